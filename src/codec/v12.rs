//! The 1.2 DM notification (OMA-TS-DM_Notification-V1_2, as docs/spec-notes.md gives it), which a 1.3 client
//! MUST still accept (C-003): a 16-byte MD5 digest, then the trigger:
//! `V(10) UIM(2) I(1) FUTURE(27) | SESSIONID(16) | LEN(8) SERVER-ID | vendor body`.

use super::digest::{self, DIGEST12_LEN, RESYNC_NONCE};
use super::error::{DecodeError, Rule};
use super::fields::{Initiator, UiMode};
use super::reader::Reader;
use super::session_id::SessionId;
use std::borrow::Cow;
use std::fmt;

/// V on the wire: '0000001011'.
pub const VERSION: u16 = 11;
/// What many real clients accept besides 11 (docs/spec-notes.md): a leniency, not the conformant value.
pub const VERSION_LENIENT: u16 = 12;
/// Digest, 5 bytes of bit fields, session id, server id length.
pub const MIN_LEN: usize = DIGEST12_LEN + 5 + 2 + 1;
/// Where the trigger (everything the digest's second hash covers) starts.
pub const TRIGGER_OFFSET: usize = DIGEST12_LEN;
pub const FUTURE_MASK: u32 = (1 << 27) - 1;

pub type Error = DecodeError<ErrorKind>;

const SECTION_TRIGGER: &str = "DMNoti12 trigger, docs/spec-notes.md";

/// Each rule of the 1.2 format a received message can break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    ShortMessage {
        length: usize,
    },
    UnsupportedVersion {
        version: u16,
    },
    /// Version 12: refused by strict decoding, accepted with [`Leniency::version_12`].
    Version12,
    FutureBitsSet {
        bits: u32,
    },
    ZeroSessionId,
    EmptyServerId,
    ServerIdOverrun {
        length: usize,
        available: usize,
    },
    InvalidUtf8 {
        at: usize,
    },
}

impl Rule for ErrorKind {
    fn name(&self) -> &'static str {
        match self {
            ErrorKind::ShortMessage { .. } => "short-message",
            ErrorKind::UnsupportedVersion { .. } => "unsupported-version",
            ErrorKind::Version12 => "version-12",
            ErrorKind::FutureBitsSet { .. } => "future-bits-set",
            ErrorKind::ZeroSessionId => "zero-session-id",
            ErrorKind::EmptyServerId => "empty-server-id",
            ErrorKind::ServerIdOverrun { .. } => "server-id-overrun",
            ErrorKind::InvalidUtf8 { .. } => "invalid-utf8",
        }
    }

    fn section(&self) -> &'static str {
        match self {
            ErrorKind::ZeroSessionId => "6.4.8",
            _ => SECTION_TRIGGER,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::ShortMessage { length } => write!(
                f,
                "{length} bytes; a 1.2 notification is at least {MIN_LEN} (digest, trigger header, server id length)"
            ),
            ErrorKind::UnsupportedVersion { version } => {
                write!(f, "V is {version}; the 1.2 format sets 11")
            }
            ErrorKind::Version12 => {
                f.write_str("V is 12; the 1.2 format sets 11 (a reader may take 12 as a leniency)")
            }
            ErrorKind::FutureBitsSet { bits } => {
                write!(
                    f,
                    "FUTURE bits are 0x{bits:07X}; they are 0 in this version"
                )
            }
            ErrorKind::ZeroSessionId => {
                f.write_str("SESSIONID is 0; a value of zero MUST NOT be used")
            }
            ErrorKind::EmptyServerId => f.write_str("the server identifier is empty"),
            ErrorKind::ServerIdOverrun { length, available } => {
                write!(
                    f,
                    "server identifier length {length}, {available} bytes left"
                )
            }
            ErrorKind::InvalidUtf8 { at } => {
                write!(f, "server identifier is not UTF-8 (bad byte {at})")
            }
        }
    }
}

/// The fixed fields of a trigger as numbers, whatever their values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RawTrigger {
    /// V, 10 bits.
    pub version: u16,
    pub ui_mode: u8,
    pub initiator: u8,
    /// FUTURE, 27 bits.
    pub future: u32,
    pub session_id: u16,
}

impl RawTrigger {
    pub fn to_bytes(&self) -> [u8; 7] {
        let bits: u64 = u64::from(self.version & 0x03ff) << 30
            | u64::from(self.ui_mode & 0b11) << 28
            | u64::from(self.initiator & 1) << 27
            | u64::from(self.future & FUTURE_MASK);
        let mut b = [0u8; 7];
        b[..5].copy_from_slice(&bits.to_be_bytes()[3..]);
        b[5..].copy_from_slice(&self.session_id.to_be_bytes());
        b
    }

    pub fn from_bytes(b: &[u8; 7]) -> RawTrigger {
        let bits = u64::from_be_bytes([0, 0, 0, b[0], b[1], b[2], b[3], b[4]]);
        RawTrigger {
            version: (bits >> 30) as u16 & 0x03ff,
            ui_mode: (bits >> 28) as u8 & 0b11,
            initiator: (bits >> 27) as u8 & 1,
            future: bits as u32 & FUTURE_MASK,
            session_id: u16::from_be_bytes([b[5], b[6]]),
        }
    }
}

/// What strict decoding lets pass beyond the letter of the format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Leniency {
    /// Accept V = 12 as real clients do.
    pub version_12: bool,
}

/// A 1.2 notification that keeps the format's rules (but the digest's value: see [`verify`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Notification12<'a> {
    pub digest: [u8; DIGEST12_LEN],
    /// 11, or 12 when decoded with leniency.
    pub version: u16,
    pub ui_mode: UiMode,
    pub initiator: Initiator,
    pub session_id: SessionId,
    pub server_id: Cow<'a, str>,
    /// The vendor-specific rest of the message, possibly empty.
    pub vendor_body: Cow<'a, [u8]>,
}

impl<'a> Notification12<'a> {
    pub fn to_draft(&self) -> Draft12 {
        Draft12 {
            digest: self.digest.to_vec(),
            trigger: RawTrigger {
                version: self.version,
                ui_mode: self.ui_mode.bits(),
                initiator: self.initiator.bit(),
                future: 0,
                session_id: self.session_id.value(),
            },
            server_id_length: None,
            server_id: self.server_id.as_bytes().to_vec(),
            vendor_body: self.vendor_body.to_vec(),
        }
    }

    pub fn trigger_bytes(&self) -> Vec<u8> {
        self.to_draft().trigger_bytes()
    }

    pub fn encode(&self) -> Vec<u8> {
        self.to_draft().encode()
    }

    /// Computes and stores the digest, keyed with this message's ServerID.
    pub fn sign(&mut self, password: &[u8], nonce: &[u8]) {
        let trigger = self.trigger_bytes();
        self.digest = digest::digest12(self.server_id.as_bytes(), password, nonce, &trigger);
    }

    pub fn into_owned(self) -> Notification12<'static> {
        Notification12 {
            server_id: Cow::Owned(self.server_id.into_owned()),
            vendor_body: Cow::Owned(self.vendor_body.into_owned()),
            ..self
        }
    }
}

/// A 1.2 message in raw form, right or wrong.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Draft12 {
    pub digest: Vec<u8>,
    pub trigger: RawTrigger,
    /// The LEN byte; `None` writes the server id's length.
    pub server_id_length: Option<u8>,
    pub server_id: Vec<u8>,
    pub vendor_body: Vec<u8>,
}

impl Draft12 {
    pub fn trigger_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + self.server_id.len() + self.vendor_body.len());
        out.extend_from_slice(&self.trigger.to_bytes());
        let len = self
            .server_id_length
            .unwrap_or(self.server_id.len().min(usize::from(u8::MAX)) as u8);
        out.push(len);
        out.extend_from_slice(&self.server_id);
        out.extend_from_slice(&self.vendor_body);
        out
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.digest.clone();
        out.extend_from_slice(&self.trigger_bytes());
        out
    }

    /// Replaces the digest with one over the trigger as it now stands, keyed with `server_id`.
    pub fn sign(&mut self, server_id: &[u8], password: &[u8], nonce: &[u8]) {
        self.digest = digest::digest12(server_id, password, nonce, &self.trigger_bytes()).to_vec();
    }
}

/// The rules on the trigger's fixed fields, in field order.
fn trigger_rules(
    raw: &RawTrigger,
    leniency: Leniency,
    mut broken: impl FnMut(usize, ErrorKind) -> Result<(), Error>,
) -> Result<(), Error> {
    match raw.version {
        VERSION => {}
        VERSION_LENIENT if leniency.version_12 => {}
        VERSION_LENIENT => broken(DIGEST12_LEN, ErrorKind::Version12)?,
        version => broken(DIGEST12_LEN, ErrorKind::UnsupportedVersion { version })?,
    }
    if raw.future != 0 {
        broken(
            DIGEST12_LEN + 1,
            ErrorKind::FutureBitsSet { bits: raw.future },
        )?;
    }
    if raw.session_id == 0 {
        broken(DIGEST12_LEN + 5, ErrorKind::ZeroSessionId)?;
    }
    Ok(())
}

/// Reads LEN and the server identifier (offset of LEN is `DIGEST12_LEN + 7`).
fn server_id_rule<'a>(r: &mut Reader<'a>) -> Result<&'a str, (usize, ErrorKind)> {
    let at = r.offset();
    let length = usize::from(r.u8().ok_or((at, ErrorKind::ShortMessage { length: at }))?);
    if length == 0 {
        return Err((at, ErrorKind::EmptyServerId));
    }
    let available = r.remaining();
    let bytes = r
        .take(length)
        .ok_or((at, ErrorKind::ServerIdOverrun { length, available }))?;
    std::str::from_utf8(bytes).map_err(|e| {
        (
            at + 1,
            ErrorKind::InvalidUtf8 {
                at: e.valid_up_to(),
            },
        )
    })
}

/// Strict decoding of a 1.2 notification.
pub fn decode(bytes: &[u8]) -> Result<Notification12<'_>, Error> {
    decode_with(bytes, Leniency::default())
}

pub fn decode_with(bytes: &[u8], leniency: Leniency) -> Result<Notification12<'_>, Error> {
    if bytes.len() < MIN_LEN {
        return Err(Error::new(
            0,
            ErrorKind::ShortMessage {
                length: bytes.len(),
            },
        ));
    }
    let mut r = Reader::new(bytes);
    let short = || {
        Error::new(
            0,
            ErrorKind::ShortMessage {
                length: bytes.len(),
            },
        )
    };
    let digest = r.array::<DIGEST12_LEN>().ok_or_else(short)?;
    let raw = RawTrigger::from_bytes(&r.array::<7>().ok_or_else(short)?);
    trigger_rules(&raw, leniency, |at, kind| Err(Error::new(at, kind)))?;
    let server_id = server_id_rule(&mut r).map_err(|(at, kind)| Error::new(at, kind))?;
    Ok(Notification12 {
        digest,
        version: raw.version,
        ui_mode: UiMode::from_bits(raw.ui_mode),
        initiator: Initiator::from_bit(raw.initiator),
        session_id: SessionId::new(raw.session_id)
            .ok_or(Error::new(DIGEST12_LEN + 5, ErrorKind::ZeroSessionId))?,
        server_id: Cow::Borrowed(server_id),
        vendor_body: Cow::Borrowed(r.rest()),
    })
}

/// Everything [`inspect`] could read of a 1.2 message, and every rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection12<'a> {
    pub length: usize,
    pub digest: Option<&'a [u8]>,
    pub trigger: Option<RawTrigger>,
    /// The LEN byte and the server id bytes it covers (possibly fewer, when they overrun).
    pub server_id: Option<(u8, &'a [u8])>,
    pub vendor_body: Option<(usize, &'a [u8])>,
    pub violations: Vec<Error>,
}

impl Inspection12<'_> {
    pub fn is_valid(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Lenient decoding: reads what it can and lists every broken rule.
pub fn inspect(bytes: &[u8]) -> Inspection12<'_> {
    let mut out = Inspection12 {
        length: bytes.len(),
        digest: None,
        trigger: None,
        server_id: None,
        vendor_body: None,
        violations: Vec::new(),
    };
    let mut r = Reader::new(bytes);
    out.digest = r.take(DIGEST12_LEN.min(bytes.len()));
    if bytes.len() < MIN_LEN {
        out.violations.push(Error::new(
            0,
            ErrorKind::ShortMessage {
                length: bytes.len(),
            },
        ));
    }
    let Some(raw) = r.array::<7>().map(|b| RawTrigger::from_bytes(&b)) else {
        return out;
    };
    out.trigger = Some(raw);
    let _ = trigger_rules(&raw, Leniency::default(), |at, kind| {
        out.violations.push(Error::new(at, kind));
        Ok(())
    });
    let Some(length) = r.peek() else { return out };
    let mut probe = r.clone();
    match server_id_rule(&mut probe) {
        Ok(id) => {
            out.server_id = Some((length, id.as_bytes()));
            r = probe;
            out.vendor_body = Some((r.offset(), r.rest()));
        }
        Err((at, kind)) => {
            if !matches!(kind, ErrorKind::ShortMessage { .. }) {
                out.violations.push(Error::new(at, kind));
            }
            let start = (r.offset() + 1).min(bytes.len());
            let end = (start + usize::from(length)).min(bytes.len());
            out.server_id = Some((length, &bytes[start..end]));
            if end < bytes.len() {
                out.vendor_body = Some((end, &bytes[end..]));
            }
        }
    }
    out
}

/// The account data a 1.2 digest is checked with.
#[derive(Debug, Clone, Copy)]
pub struct Credentials12<'k> {
    pub password: &'k [u8],
    pub nonce: &'k [u8],
    /// What the digest is keyed with instead of the message's ServerID (SRVCRED AAuthName), for
    /// implementations that read it so.
    pub server_id_override: Option<&'k [u8]>,
}

/// Which nonce a 1.2 digest verified with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified12 {
    Nonce,
    /// The resync nonce 00 00 00 00, tried after the account's nonce failed.
    ResyncNonce,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError12 {
    #[error("{length} bytes is too short to hold a digest and a trigger")]
    TooShort { length: usize },
    #[error(
        "digest mismatch: the message carries {carried}, MD5 with the nonce gives {computed} (and the resync nonce 00000000 does not match either)"
    )]
    Mismatch { carried: String, computed: String },
}

/// Checks a 1.2 digest as received, first with the account's nonce, then with the resync nonce.
/// `server_id` is the message's ServerID (used unless the credentials override it).
pub fn verify(
    wire: &[u8],
    server_id: &[u8],
    creds: Credentials12<'_>,
) -> Result<Verified12, DigestError12> {
    if wire.len() < MIN_LEN {
        return Err(DigestError12::TooShort { length: wire.len() });
    }
    let (carried, trigger) = wire.split_at(DIGEST12_LEN);
    let key = creds.server_id_override.unwrap_or(server_id);
    let computed = digest::digest12(key, creds.password, creds.nonce, trigger);
    if digest::constant_time_eq(&computed, carried) {
        return Ok(Verified12::Nonce);
    }
    let resync = digest::digest12(key, creds.password, &RESYNC_NONCE, trigger);
    if digest::constant_time_eq(&resync, carried) {
        return Ok(Verified12::ResyncNonce);
    }
    Err(DigestError12::Mismatch {
        carried: super::hex(carried),
        computed: super::hex(&computed),
    })
}

#[cfg(test)]
#[path = "v12_tests.rs"]
mod tests;
