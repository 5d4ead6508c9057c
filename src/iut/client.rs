//! The reference DM client's decisions (seed 4-6, C-001..C-019): for each delivered message, a
//! session or the reason it is ignored. Pure logic: the testee loop and the adapters carry it.
//!
//! Order of checks: content type (which format), strict decoding, an authorized server (seed 4),
//! the digest (6.6), the message's age (6.4.9, C-009-O), one session per (server, session id)
//! (6.4.8); then the session and its Package #1.

use super::Clock;
use super::device::{DeviceTree, ManagementObject};
use super::faults::{Fault, Faults, LONG_SERVER_ID};
use crate::codec::digest::DigestReading;
use crate::codec::v12::{self, Credentials12, Leniency};
use crate::codec::v13::{self, Draft13, Notification13};
use crate::codec::{Format, MoIndex, SessionId, UiMode};
use crate::package1::Draft;
use crate::testee::{Account, Session};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// How TIMEOUT is read when judging a message's age: 6.4.7 says minutes, 6.4.9 and C-009 say days
/// (erratum 3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimeoutUnit {
    #[default]
    Minutes,
    Days,
}

impl TimeoutUnit {
    pub fn seconds(self) -> u64 {
        match self {
            TimeoutUnit::Minutes => 60,
            TimeoutUnit::Days => 86_400,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSettings {
    pub timeout_unit: TimeoutUnit,
    /// C-009-O: ignore messages older than TIMEOUT.
    pub ignore_old: bool,
    pub reading: DigestReading,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            timeout_unit: TimeoutUnit::Minutes,
            ignore_old: true,
            reading: DigestReading::LiteralColons,
        }
    }
}

/// What the client does with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Session(Session),
    Ignored(String),
    /// A fault makes the process exit.
    Crash,
    /// A fault makes the process stop answering.
    Hang,
}

/// What both formats yield once decoded, for the checks they share.
struct Received<'m> {
    format: Format,
    server_id: &'m str,
    session_id: SessionId,
    ui_mode: UiMode,
    requested_mo: Vec<u16>,
    targeted_mo: Vec<u16>,
    bearers: Vec<u8>,
    connect_reason: Option<String>,
    vendor_info: Option<String>,
    /// The message's SESSIONID was 0 (taken only under `session-id-zero-used`).
    zero: bool,
}

#[derive(Debug, Clone)]
pub struct ReferenceClient {
    pub accounts: Vec<Account>,
    pub clock: Clock,
    pub device: DeviceTree,
    pub settings: ClientSettings,
    pub faults: Faults,
    seen: HashSet<(String, u16)>,
}

impl ReferenceClient {
    pub fn new(device: DeviceTree, settings: ClientSettings, faults: Faults) -> ReferenceClient {
        ReferenceClient {
            accounts: Vec::new(),
            clock: Clock::default(),
            device,
            settings,
            faults,
            seen: HashSet::new(),
        }
    }

    /// New accounts; earlier sessions are forgotten.
    pub fn provision(&mut self, accounts: Vec<Account>, now: Option<u64>) {
        self.accounts = accounts;
        self.seen.clear();
        self.clock.set(now);
    }

    fn account(&self, server_id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.server_id == server_id)
    }

    pub fn deliver(&mut self, content_type: &str, bytes: &[u8]) -> Decision {
        match Format::from_content_type(content_type) {
            None => Decision::Ignored(format!(
                "content type {content_type:?} is not a DM notification"
            )),
            Some(Format::V12) if self.faults.has(Fault::RejectV12Format) => {
                Decision::Ignored("the 1.2 format is not supported".into())
            }
            Some(Format::V12) => self.deliver12(bytes),
            Some(Format::V13) => self.deliver13(bytes),
        }
    }

    fn deliver13(&mut self, bytes: &[u8]) -> Decision {
        let message = match v13::decode(bytes) {
            Ok(m) => m,
            Err(e) => match self.tolerate(bytes, &e) {
                Some(m) => m,
                None => return Decision::Ignored(format!("malformed: {e}")),
            },
        };
        let server_id = message.server_id().unwrap_or_default();
        if let Some(d) = self.crash_check(server_id) {
            return d;
        }
        match self.account(server_id) {
            Some(account) => {
                if let Err(e) = v13::verify(bytes, account.secret.bytes(), self.settings.reading) {
                    if !self.faults.has(Fault::AcceptBadDigest) {
                        return Decision::Ignored(e.to_string());
                    }
                }
            }
            None if self.faults.has(Fault::AcceptUnknownServer) => {}
            None => return Decision::Ignored(format!("no account for Server-ID {server_id:?}")),
        }
        if self.settings.ignore_old && message.header.timeout != 0 {
            let age = self
                .clock
                .now()
                .saturating_sub(u64::from(message.header.timestamp));
            let limit = u64::from(message.header.timeout) * self.settings.timeout_unit.seconds();
            if age > limit {
                return Decision::Ignored(format!(
                    "older than TIMEOUT: {age} s old, TIMEOUT {} {:?}",
                    message.header.timeout, self.settings.timeout_unit
                ));
            }
        }
        let received = Received {
            format: Format::V13,
            server_id,
            session_id: message.header.session_id,
            ui_mode: message.header.ui_mode,
            requested_mo: message.requested_mo().map(|m| m.0).collect(),
            targeted_mo: message.targeted_mo().map(|m| m.0).collect(),
            bearers: message.preferred_bearers().map(|b| b.value()).collect(),
            connect_reason: message.connect_reason().map(str::to_owned),
            vendor_info: message.vendor_info().map(str::to_owned),
            zero: bytes.get(6..8) == Some(&[0, 0]),
        };
        self.accept(received)
    }

    /// What faults make the client accept that a conformant one refuses.
    fn tolerate(&self, bytes: &[u8], e: &v13::Error) -> Option<Notification13<'static>> {
        match e.kind {
            v13::ErrorKind::UnsupportedVersion { version: 2 }
                if self.faults.has(Fault::AcceptVersion2) =>
            {
                let mut copy = bytes.to_vec();
                copy[0] = (copy[0] & 0x0f) | (v13::VERSION << 4);
                v13::decode(&copy).ok().map(Notification13::into_owned)
            }
            v13::ErrorKind::ZeroSessionId if self.faults.has(Fault::SessionIdZeroUsed) => {
                // Read as if it were 1; the session says 0 (`Received::zero`).
                let mut copy = bytes.to_vec();
                copy[7] = 1;
                v13::decode(&copy).ok().map(Notification13::into_owned)
            }
            v13::ErrorKind::OptionOutOfOrder { .. }
                if self.faults.has(Fault::AcceptOutOfOrderOptions) =>
            {
                let mut draft = Draft13::from_bytes(bytes)?;
                draft.options.sort_by_key(|o| o.number);
                v13::decode(&draft.encode())
                    .ok()
                    .map(Notification13::into_owned)
            }
            _ => None,
        }
    }

    fn crash_check(&self, server_id: &str) -> Option<Decision> {
        (self.faults.has(Fault::CrashOnLongServerId) && server_id.len() > LONG_SERVER_ID)
            .then_some(Decision::Crash)
    }

    fn deliver12(&mut self, bytes: &[u8]) -> Decision {
        let message = match v12::decode_with(bytes, Leniency { version_12: true }) {
            Ok(m) => m,
            Err(e) => return Decision::Ignored(format!("malformed 1.2 notification: {e}")),
        };
        if let Some(d) = self.crash_check(&message.server_id) {
            return d;
        }
        if self.faults.has(Fault::V12ShortServerId) && message.server_id.len() >= 24 {
            return Decision::Ignored("Server-ID too long for this client".into());
        }
        match self.account(&message.server_id) {
            Some(account) => {
                let Some(v12) = &account.v12 else {
                    return Decision::Ignored(format!(
                        "no 1.2 credentials for {:?}",
                        message.server_id
                    ));
                };
                let creds = Credentials12 {
                    password: v12.password.bytes(),
                    nonce: &v12.nonce.0,
                    server_id_override: v12.aauth_name.as_deref().map(str::as_bytes),
                };
                // Real parsers' digest bugs: what they hash is not what was signed.
                let miscomputed = (self.faults.has(Fault::V12TriggerLengthByte)
                    && bytes.len().saturating_sub(16) > 255)
                    || (self.faults.has(Fault::V12EmptyPasswordNoColon)
                        && v12.password.bytes().is_empty());
                let verified = v12::verify(bytes, message.server_id.as_bytes(), creds)
                    .map_err(|e| e.to_string())
                    .and_then(|v| {
                        if miscomputed {
                            Err("digest mismatch".to_owned())
                        } else {
                            Ok(v)
                        }
                    });
                if let Err(e) = verified {
                    if !self.faults.has(Fault::AcceptBadDigest) {
                        return Decision::Ignored(e);
                    }
                }
            }
            None if self.faults.has(Fault::AcceptUnknownServer) => {}
            None => {
                return Decision::Ignored(format!(
                    "no account for Server-ID {:?}",
                    message.server_id
                ));
            }
        }
        let mut session_id = message.session_id;
        let raw = session_id.value();
        let misread = match () {
            _ if self.faults.has(Fault::V12SessionIdSignExtension) && raw & 0x80 != 0 => {
                raw | 0xFF00
            }
            _ if self.faults.has(Fault::V12SessionIdByteSwap) => raw.swap_bytes(),
            _ => raw,
        };
        if let Some(id) = crate::codec::SessionId::new(misread) {
            session_id = id;
        }
        let received = Received {
            format: Format::V12,
            server_id: &message.server_id,
            session_id,
            ui_mode: message.ui_mode,
            requested_mo: Vec::new(),
            targeted_mo: Vec::new(),
            bearers: Vec::new(),
            connect_reason: None,
            vendor_info: None,
            zero: false,
        };
        self.accept(received)
    }

    /// The checks both formats share once the message is authentic, then the session.
    fn accept(&mut self, m: Received<'_>) -> Decision {
        if self.faults.has(Fault::HangOnVendorInfo) && m.vendor_info.is_some() {
            return Decision::Hang;
        }
        let key = (m.server_id.to_owned(), m.session_id.value());
        if !self.seen.insert(key) && !self.faults.has(Fault::DuplicateSessions) {
            return Decision::Ignored(format!(
                "session id {} from {:?} already started a session (6.4.8)",
                m.session_id.to_package1(),
                m.server_id
            ));
        }
        let v = m.session_id.value();
        let session_id = if m.zero {
            "0".to_owned()
        } else if self.faults.has(Fault::SessionIdLeadingZeros) {
            format!("{v:04X}")
        } else if self.faults.has(Fault::SessionIdLowercase) {
            format!("{v:x}")
        } else if self.faults.has(Fault::SessionIdDecimal) {
            v.to_string()
        } else if self.faults.has(Fault::SessionIdByteSwap) {
            format!("{:X}", v.swap_bytes())
        } else {
            m.session_id.to_package1()
        };
        let mut objects: Vec<ManagementObject> = Vec::new();
        if let Some(dev_info) = self.device.object(MoIndex(0x000C)) {
            objects.push(dev_info);
        }
        if !self.faults.has(Fault::OmitRequestedMoInPackage1) {
            for index in &m.requested_mo {
                if let Some(o) = self.device.object(MoIndex(*index)) {
                    if !objects.iter().any(|have| have.root == o.root) {
                        objects.push(o);
                    }
                }
            }
        }
        let target = self
            .account(m.server_id)
            .and_then(|a| a.server_uri.clone())
            .unwrap_or_else(|| format!("http://127.0.0.1/dm/{}", m.server_id));
        let ver_proto = match m.format {
            Format::V13 => "DM/1.3",
            Format::V12 => "DM/1.2",
        };
        let package1 = Draft {
            ver_proto,
            session_id: &session_id,
            target: &target,
            source: &self.device.dev_id,
            objects: &objects,
        }
        .to_xml();
        let bearer = m
            .bearers
            .iter()
            .copied()
            .find(|b| *b != 0 && self.device.bearers.contains(b));
        Decision::Session(Session {
            server_id: m.server_id.to_owned(),
            session_id,
            format: Some(m.format),
            ui_mode: Some(if self.faults.has(Fault::IgnoreUiMode) {
                UiMode::NotSpecified
            } else {
                m.ui_mode
            }),
            requested_mo: Some(m.requested_mo),
            targeted_mo: Some(m.targeted_mo),
            bearer: Some(bearer),
            connect_reason: Some(m.connect_reason),
            vendor_info: Some(m.vendor_info),
            package1: Some(package1),
        })
    }
}
