//! The reference DM server's notifications (S-001..S-011): a conformant 1.3 message for every
//! `notify` request (a 1.2 one on request), with a fresh non-zero session id each time.

use super::Clock;
use super::faults::{Fault, Faults};
use crate::codec::digest::DigestReading;
use crate::codec::options::{self, NotiOption};
use crate::codec::v12::{Draft12, RawTrigger, VERSION as V12_VERSION};
use crate::codec::v13::{self, Draft13, MAX_OPTIONS, RawHeader, RawOption};
use crate::codec::{Bearer, Format, Initiator, MoIndex, SessionId, Transport};
use crate::testee::{Account, NotifyRequest};
use md5::{Digest as _, Md5};
use std::borrow::Cow;

/// What `repeat-session-id` sends every time.
const REPEATED_SESSION_ID: SessionId = match SessionId::new(0x1234) {
    Some(id) => id,
    None => panic!("0x1234 is not zero"),
};

/// A notification ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub format: Format,
    pub message: Vec<u8>,
    /// The SessionID the server expects in Package #1.
    pub session_id: String,
}

/// Why the reference server will not make a notification: the request asks for one that the
/// spec does not allow, or the server is not provisioned for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    #[error("no account for Server-ID {0:?}")]
    NoAccount(String),
    #[error("not provisioned: no account to notify as")]
    NotProvisioned,
    #[error("several accounts: the request must name server_id")]
    WhichAccount,
    #[error("the account has no 1.2 credentials")]
    No12Credentials,
    #[error("Server-ID of {0} bytes; it takes 1 to 255 (6.5.1)")]
    ServerIdLength(usize),
    #[error("Preferred-Bearer 0x{0:02X} is not one of 0x00-0x0B (6.5.6)")]
    Bearer(u8),
    #[error("an option string of {0} bytes; it takes 1 to 4095 (6.3)")]
    OptionLength(usize),
    #[error("{0} options; OPC has 3 bits, so at most {MAX_OPTIONS} (erratum 5)")]
    TooManyOptions(usize),
}

#[derive(Debug, Clone)]
pub struct ReferenceServer {
    pub accounts: Vec<Account>,
    pub clock: Clock,
    pub faults: Faults,
    next_session: u16,
}

impl ReferenceServer {
    pub fn new(faults: Faults) -> ReferenceServer {
        ReferenceServer {
            accounts: Vec::new(),
            clock: Clock::default(),
            faults,
            next_session: 0,
        }
    }

    pub fn provision(&mut self, accounts: Vec<Account>, now: Option<u64>) {
        self.accounts = accounts;
        self.clock.set(now);
        // Start somewhere that depends on the clock, so restarts do not reuse recent ids.
        self.next_session = (self.clock.now().wrapping_mul(2_654_435_761) >> 16) as u16;
    }

    /// A session id never used before in this run of the server (6.4.8), never zero.
    fn fresh_session_id(&mut self) -> SessionId {
        if self.faults.has(Fault::RepeatSessionId) {
            return REPEATED_SESSION_ID;
        }
        loop {
            self.next_session = self.next_session.wrapping_add(1);
            // Not one whose two bytes are equal: it reads the same in either byte order, and the
            // suites could not tell a byte-order fault by it.
            if SessionId::same_either_way(self.next_session) {
                continue;
            }
            if let Some(id) = SessionId::new(self.next_session) {
                return id;
            }
        }
    }

    fn account(&self, server_id: Option<&str>) -> Result<&Account, NotifyError> {
        match server_id {
            Some(id) => self
                .accounts
                .iter()
                .find(|a| a.server_id == id)
                .ok_or_else(|| NotifyError::NoAccount(id.to_owned())),
            None => match self.accounts.as_slice() {
                [only] => Ok(only),
                [] => Err(NotifyError::NotProvisioned),
                _ => Err(NotifyError::WhichAccount),
            },
        }
    }

    pub fn notify(&mut self, req: &NotifyRequest) -> Result<Notification, NotifyError> {
        let account = self.account(req.server_id.as_deref())?.clone();
        let session_id = self.fresh_session_id();
        match req.format.unwrap_or(Format::V13) {
            Format::V13 => self.notify13(req, &account, session_id),
            Format::V12 => self.notify12(req, &account, session_id),
        }
    }

    fn notify12(
        &self,
        req: &NotifyRequest,
        account: &Account,
        session_id: SessionId,
    ) -> Result<Notification, NotifyError> {
        let v12 = account.v12.as_ref().ok_or(NotifyError::No12Credentials)?;
        let faults = &self.faults;
        let mut body = Vec::new();
        if faults.has(Fault::V12BodyPrefixByte) && req.vendor_info.is_some() {
            body.push(0);
        }
        body.extend_from_slice(req.vendor_info.as_deref().unwrap_or("").as_bytes());
        let mut draft = Draft12 {
            digest: Vec::new(),
            trigger: RawTrigger {
                // 11 with its low two bits lost: 8.
                version: if faults.has(Fault::V12VersionBits) {
                    V12_VERSION & !0b11
                } else {
                    V12_VERSION
                },
                ui_mode: req.ui_mode.bits(),
                initiator: req.initiator.unwrap_or(Initiator::Server).bit(),
                future: 0,
                session_id: if faults.has(Fault::V12SessionZero) {
                    0
                } else {
                    session_id.value()
                },
            },
            server_id_length: None,
            server_id: account.server_id.as_bytes().to_vec(),
            vendor_body: body,
        };
        let key = v12
            .aauth_name
            .as_deref()
            .unwrap_or(&account.server_id)
            .as_bytes()
            .to_vec();
        let nonce: &[u8] = if faults.has(Fault::V12NonceCString) {
            // Through a C string the nonce ends at its first 00 byte.
            let end = v12
                .nonce
                .0
                .iter()
                .position(|b| *b == 0)
                .unwrap_or(v12.nonce.0.len());
            &v12.nonce.0[..end]
        } else {
            &v12.nonce.0
        };
        draft.sign(&key, v12.password.bytes(), nonce);
        Ok(Notification {
            format: Format::V12,
            message: draft.encode(),
            session_id: session_id.to_package1(),
        })
    }

    fn notify13(
        &self,
        req: &NotifyRequest,
        account: &Account,
        session_id: SessionId,
    ) -> Result<Notification, NotifyError> {
        if account.server_id.is_empty() || account.server_id.len() > options::SERVER_ID_MAX {
            return Err(NotifyError::ServerIdLength(account.server_id.len()));
        }
        let mut typed: Vec<NotiOption<'_>> = Vec::new();
        if !self.faults.has(Fault::OmitServerId) {
            typed.push(NotiOption::ServerId(Cow::Borrowed(&account.server_id)));
        }
        typed.extend(
            req.targeted_mo
                .iter()
                .map(|m| NotiOption::TargetedMo(MoIndex(*m))),
        );
        if !self.faults.has(Fault::OmitRequestedMo) {
            let requested: &[u16] = if req.requested_mo.is_empty() {
                &[MoIndex::DEV_DETAIL.0]
            } else {
                &req.requested_mo
            };
            typed.extend(
                requested
                    .iter()
                    .map(|m| NotiOption::RequestedMo(MoIndex(*m))),
            );
        }
        for b in &req.preferred_bearer {
            let bearer = Bearer::from_u8(*b).ok_or(NotifyError::Bearer(*b))?;
            typed.push(NotiOption::PreferredBearer(bearer));
        }
        for text in [&req.connect_reason, &req.vendor_info]
            .into_iter()
            .flatten()
        {
            if text.is_empty() || text.len() > v13::MAX_OPTION_LEN {
                return Err(NotifyError::OptionLength(text.len()));
            }
        }
        typed.extend(
            req.connect_reason
                .as_deref()
                .map(|t| NotiOption::ConnectReason(Cow::Borrowed(t))),
        );
        typed.extend(
            req.vendor_info
                .as_deref()
                .map(|t| NotiOption::VendorInfo(Cow::Borrowed(t))),
        );
        if typed.len() > MAX_OPTIONS {
            return Err(NotifyError::TooManyOptions(typed.len()));
        }
        let mut options: Vec<RawOption> = typed.iter().map(RawOption::typed).collect();
        if self.faults.has(Fault::OptionsOutOfOrder) {
            options.sort_by_key(|o| std::cmp::Reverse(o.number));
        }
        let wire_session = match () {
            _ if self.faults.has(Fault::ZeroSessionId) => 0,
            _ if self.faults.has(Fault::LittleEndianSessionId) => session_id.value().swap_bytes(),
            _ => session_id.value(),
        };
        let mut draft = Draft13 {
            header: RawHeader {
                version: if self.faults.has(Fault::Version0) {
                    0
                } else {
                    v13::VERSION
                },
                opc: 0,
                initiator: req.initiator.unwrap_or(Initiator::Server).bit(),
                ui_mode: req.ui_mode.bits(),
                transport: req.transport.unwrap_or(Transport::NotSpecified).bits(),
                reserved: 0,
                timeout: req.timeout.unwrap_or(0),
                session_id: wire_session,
                timestamp: if self.faults.has(Fault::TimestampZero) {
                    0
                } else {
                    self.clock.now().min(u64::from(u32::MAX)) as u32
                },
            },
            options,
            digest: Vec::new(),
            trailer: Vec::new(),
        };
        draft.count_options();
        if self.faults.has(Fault::OpcOffByOne) {
            draft.header.opc = (draft.header.opc + 1) & 0x07;
        }
        let mut secret = account.secret.bytes().to_vec();
        if self.faults.has(Fault::WrongSecret) {
            match secret.first_mut() {
                Some(b) => *b ^= 0x01,
                None => secret.push(0x01),
            }
        }
        if self.faults.has(Fault::Md5Digest) {
            let body = draft.signed_bytes();
            let mut h = Md5::new();
            for part in [
                &secret[..],
                b":",
                &body[..v13::HEADER_LEN],
                b":",
                &body[v13::HEADER_LEN..],
            ] {
                h.update(part);
            }
            draft.digest = h.finalize().to_vec();
        } else {
            let reading = if self.faults.has(Fault::DigestWithoutColons) {
                DigestReading::NoColons
            } else {
                DigestReading::LiteralColons
            };
            draft.sign(&secret, reading);
        }
        Ok(Notification {
            format: Format::V13,
            message: draft.encode(),
            session_id: session_id.to_package1(),
        })
    }
}
