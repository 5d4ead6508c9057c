//! The 1.3 DM notification message (seed 6.1-6.6): a 12-byte header, options in TLV form, and a
//! 32-byte SHA-256 digest.
//!
//! Three views of the same bytes:
//! - [`decode`]: strict; the first broken rule is the error, with its byte offset and section.
//! - [`inspect`]: lenient; decodes what it can and lists every broken rule, for explaining what an
//!   IUT sent.
//! - [`Draft13`]: the raw form, any value in any field, for building wrong messages on purpose.
//!
//! The rules live in small functions ([`typed_option`], [`Transport::from_bits`], [`tail_rule`]...)
//! that `decode` and `inspect` both call; a property test holds them to the same verdicts.

use super::digest::{self, DIGEST13_LEN, DigestReading};
use super::error::{DecodeError, Rule};
use super::fields::{Initiator, Transport, UiMode};
use super::mo::MoIndex;
use super::options::{self, Bearer, NotiOption, number, option_label, typed_option};
use super::reader::{Codec, Reader};
use super::session_id::SessionId;
use arrayvec::ArrayVec;
use std::fmt;

pub const VERSION: u8 = 1;
pub const HEADER_LEN: usize = 12;
/// Most options OPC can count: it has 3 bits (6.4.2; erratum 5 of docs/spec-notes.md).
pub const MAX_OPTIONS: usize = 7;
/// Largest option value the 12-bit Option-Length can declare (6.2.2).
pub const MAX_OPTION_LEN: usize = 0x0fff;

pub type Error = DecodeError<ErrorKind>;

/// Each rule of 6.1-6.6 a received 1.3 message can break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    ShortHeader {
        length: usize,
    },
    UnsupportedVersion {
        version: u8,
    },
    ReservedTransport {
        bits: u8,
    },
    ZeroSessionId,
    TruncatedOptionHeader {
        remaining: usize,
    },
    OptionOverrun {
        number: u8,
        length: usize,
        available: usize,
    },
    UnknownOption {
        number: u8,
    },
    OptionOutOfOrder {
        number: u8,
        previous: u8,
    },
    RepeatedOption {
        number: u8,
    },
    ServerIdTooLong {
        length: usize,
    },
    BadUintLength {
        number: u8,
        length: usize,
    },
    EmptyString {
        number: u8,
    },
    InvalidUtf8 {
        number: u8,
        at: usize,
    },
    BearerOutOfRange {
        value: u8,
    },
    MissingServerId,
    MissingRequestedMo,
    OptionCountMismatch {
        opc: u8,
        present: usize,
    },
    MissingDigest,
    ShortDigest {
        length: usize,
    },
    TrailingBytes {
        count: usize,
    },
}

impl Rule for ErrorKind {
    fn name(&self) -> &'static str {
        match self {
            ErrorKind::ShortHeader { .. } => "short-header",
            ErrorKind::UnsupportedVersion { .. } => "unsupported-version",
            ErrorKind::ReservedTransport { .. } => "reserved-transport",
            ErrorKind::ZeroSessionId => "zero-session-id",
            ErrorKind::TruncatedOptionHeader { .. } => "truncated-option-header",
            ErrorKind::OptionOverrun { .. } => "option-overrun",
            ErrorKind::UnknownOption { .. } => "unknown-option",
            ErrorKind::OptionOutOfOrder { .. } => "option-out-of-order",
            ErrorKind::RepeatedOption { .. } => "repeated-option",
            ErrorKind::ServerIdTooLong { .. } => "server-id-too-long",
            ErrorKind::BadUintLength { .. } => "bad-uint-length",
            ErrorKind::EmptyString { .. } => "empty-string",
            ErrorKind::InvalidUtf8 { .. } => "invalid-utf8",
            ErrorKind::BearerOutOfRange { .. } => "bearer-out-of-range",
            ErrorKind::MissingServerId => "missing-server-id",
            ErrorKind::MissingRequestedMo => "missing-requested-mo",
            ErrorKind::OptionCountMismatch { .. } => "option-count-mismatch",
            ErrorKind::MissingDigest => "missing-digest",
            ErrorKind::ShortDigest { .. } => "short-digest",
            ErrorKind::TrailingBytes { .. } => "trailing-bytes",
        }
    }

    fn section(&self) -> &'static str {
        match self {
            ErrorKind::ShortHeader { .. } => "6.1",
            ErrorKind::UnsupportedVersion { .. } => "6.4.1",
            ErrorKind::ReservedTransport { .. } => "6.4.5",
            ErrorKind::ZeroSessionId => "6.4.8",
            ErrorKind::TruncatedOptionHeader { .. } => "6.2",
            ErrorKind::OptionOverrun { .. } => "6.2.2",
            ErrorKind::UnknownOption { .. } => "6.3",
            ErrorKind::OptionOutOfOrder { .. } => "6.2",
            ErrorKind::RepeatedOption { number } => match *number {
                number::SERVER_ID => "6.5.1",
                number::VENDOR_INFO => "6.5.3",
                _ => "6.3",
            },
            ErrorKind::ServerIdTooLong { .. } => "6.5.1",
            ErrorKind::BadUintLength { .. } => "6.3",
            ErrorKind::EmptyString { .. } => "6.3",
            ErrorKind::InvalidUtf8 { .. } => "6.2.3",
            ErrorKind::BearerOutOfRange { .. } => "6.5.6",
            ErrorKind::MissingServerId => "6.5.1",
            ErrorKind::MissingRequestedMo => "6.5.4",
            ErrorKind::OptionCountMismatch { .. } => "6.4.2",
            ErrorKind::MissingDigest | ErrorKind::ShortDigest { .. } => "6.6",
            ErrorKind::TrailingBytes { .. } => "6",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::ShortHeader { length } => {
                write!(f, "{length} bytes; the header alone is {HEADER_LEN}")
            }
            ErrorKind::UnsupportedVersion { version } => {
                write!(
                    f,
                    "VER is {version}; this version of the message MUST set 0x01"
                )
            }
            ErrorKind::ReservedTransport { bits } => {
                write!(f, "TRA is {bits:03b}, a reserved value (101-111)")
            }
            ErrorKind::ZeroSessionId => {
                f.write_str("SESSIONID is 0; a value of zero MUST NOT be used")
            }
            ErrorKind::TruncatedOptionHeader { remaining } => {
                write!(f, "an option header needs 2 bytes, {remaining} left")
            }
            ErrorKind::OptionOverrun {
                number,
                length,
                available,
            } => write!(
                f,
                "{} declares {length} bytes, {available} left",
                option_label(*number)
            ),
            ErrorKind::UnknownOption { number } => {
                write!(f, "option number {number} is not defined")
            }
            ErrorKind::OptionOutOfOrder { number, previous } => write!(
                f,
                "{} after {}; options MUST appear in order of their number",
                option_label(*number),
                option_label(*previous)
            ),
            ErrorKind::RepeatedOption { number } => {
                write!(f, "{} MUST NOT occur more than once", option_label(*number))
            }
            ErrorKind::ServerIdTooLong { length } => write!(
                f,
                "Server-ID of {length} bytes; its length MUST fit in 8 bits (at most {})",
                options::SERVER_ID_MAX
            ),
            ErrorKind::BadUintLength { number, length } => {
                let allowed = if *number == number::PREFERRED_BEARER {
                    "1"
                } else {
                    "1-2"
                };
                write!(
                    f,
                    "{} is a Uint of {length} bytes; it takes {allowed}",
                    option_label(*number)
                )
            }
            ErrorKind::EmptyString { number } => {
                write!(
                    f,
                    "{} is empty; it takes at least 1 byte",
                    option_label(*number)
                )
            }
            ErrorKind::InvalidUtf8 { number, at } => write!(
                f,
                "{} is not UTF-8 (bad byte {at} of the value)",
                option_label(*number)
            ),
            ErrorKind::BearerOutOfRange { value } => {
                write!(f, "Preferred-Bearer 0x{value:02X} is not one of 0x00-0x0B")
            }
            ErrorKind::MissingServerId => f.write_str("the Server-ID option MUST be present"),
            ErrorKind::MissingRequestedMo => f.write_str("the Requested-MO option MUST be present"),
            ErrorKind::OptionCountMismatch { opc, present } => {
                write!(f, "OPC says {opc} options, the message holds {present}")
            }
            ErrorKind::MissingDigest => f.write_str("no digest; it MUST be present"),
            ErrorKind::ShortDigest { length } => {
                write!(f, "digest of {length} bytes; it MUST be {DIGEST13_LEN}")
            }
            ErrorKind::TrailingBytes { count } => {
                write!(f, "{count} bytes after the digest")
            }
        }
    }
}

/// The 12 header bytes as the numbers in their bit fields (6.1), whatever their values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RawHeader {
    /// VER, 4 bits.
    pub version: u8,
    /// OPC, 3 bits.
    pub opc: u8,
    /// I, 1 bit.
    pub initiator: u8,
    /// UIM, 2 bits.
    pub ui_mode: u8,
    /// TRA, 3 bits.
    pub transport: u8,
    /// RESERVED, 19 bits.
    pub reserved: u32,
    pub timeout: u16,
    pub session_id: u16,
    pub timestamp: u32,
}

pub const RESERVED_MASK: u32 = (1 << 19) - 1;

impl RawHeader {
    /// Packs the fields, each masked to its width.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0] = (self.version & 0x0f) << 4 | (self.opc & 0x07) << 1 | (self.initiator & 1);
        let bits = u32::from(self.ui_mode & 0b11) << 22
            | u32::from(self.transport & 0b111) << 19
            | (self.reserved & RESERVED_MASK);
        b[1..4].copy_from_slice(&bits.to_be_bytes()[1..]);
        b[4..6].copy_from_slice(&self.timeout.to_be_bytes());
        b[6..8].copy_from_slice(&self.session_id.to_be_bytes());
        b[8..12].copy_from_slice(&self.timestamp.to_be_bytes());
        b
    }

    pub fn from_bytes(b: &[u8; HEADER_LEN]) -> RawHeader {
        let bits = u32::from_be_bytes([0, b[1], b[2], b[3]]);
        RawHeader {
            version: b[0] >> 4,
            opc: (b[0] >> 1) & 0x07,
            initiator: b[0] & 1,
            ui_mode: (bits >> 22) as u8 & 0b11,
            transport: (bits >> 19) as u8 & 0b111,
            reserved: bits & RESERVED_MASK,
            timeout: u16::from_be_bytes([b[4], b[5]]),
            session_id: u16::from_be_bytes([b[6], b[7]]),
            timestamp: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
        }
    }
}

impl Codec<'_> for RawHeader {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bytes());
    }

    fn read(r: &mut Reader<'_>) -> Option<Self> {
        r.array().map(|b| RawHeader::from_bytes(&b))
    }
}

/// A header that keeps every rule of 6.4. VER is always 1 and OPC is the number of options, so
/// neither is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    pub initiator: Initiator,
    pub ui_mode: UiMode,
    pub transport: Transport,
    /// Kept as received: the text neither requires zero nor says to ignore them (erratum 6).
    pub reserved: u32,
    /// Minutes the server keeps SESSIONID valid, 0 for no timeout (6.4.7).
    pub timeout: u16,
    pub session_id: SessionId,
    /// Server time, POSIX seconds (6.4.9); the digest's nonce.
    pub timestamp: u32,
}

impl Header {
    pub fn raw(&self, opc: u8) -> RawHeader {
        RawHeader {
            version: VERSION,
            opc,
            initiator: self.initiator.bit(),
            ui_mode: self.ui_mode.bits(),
            transport: self.transport.bits(),
            reserved: self.reserved,
            timeout: self.timeout,
            session_id: self.session_id.value(),
            timestamp: self.timestamp,
        }
    }
}

/// Every rule of 6.4 on one header field, in field order. The callback sees each broken rule
/// with the offset of its byte; strict decoding stops at the first.
fn header_rules(
    raw: &RawHeader,
    mut broken: impl FnMut(usize, ErrorKind) -> Result<(), Error>,
) -> Result<(), Error> {
    if raw.version != VERSION {
        broken(
            0,
            ErrorKind::UnsupportedVersion {
                version: raw.version,
            },
        )?;
    }
    if Transport::from_bits(raw.transport).is_none() {
        broken(
            1,
            ErrorKind::ReservedTransport {
                bits: raw.transport,
            },
        )?;
    }
    if raw.session_id == 0 {
        broken(6, ErrorKind::ZeroSessionId)?;
    }
    Ok(())
}

/// The options of a valid message: OPC's 3 bits bound them to 7, so they live inline and decoding
/// allocates nothing.
pub type Options<'a> = ArrayVec<NotiOption<'a>, MAX_OPTIONS>;

/// A 1.3 message that keeps every rule of 6.1-6.6 (but the digest's value, which needs a secret:
/// see [`verify`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Notification13<'a> {
    pub header: Header,
    /// In the order they appear, which is ascending option number.
    pub options: Options<'a>,
    pub digest: [u8; DIGEST13_LEN],
}

impl<'a> Notification13<'a> {
    pub fn server_id(&self) -> Option<&str> {
        self.options.iter().find_map(|o| match o {
            NotiOption::ServerId(s) => Some(s.as_ref()),
            _ => None,
        })
    }

    pub fn requested_mo(&self) -> impl Iterator<Item = MoIndex> + '_ {
        self.options.iter().filter_map(|o| match o {
            NotiOption::RequestedMo(m) => Some(*m),
            _ => None,
        })
    }

    pub fn targeted_mo(&self) -> impl Iterator<Item = MoIndex> + '_ {
        self.options.iter().filter_map(|o| match o {
            NotiOption::TargetedMo(m) => Some(*m),
            _ => None,
        })
    }

    pub fn preferred_bearers(&self) -> impl Iterator<Item = Bearer> + '_ {
        self.options.iter().filter_map(|o| match o {
            NotiOption::PreferredBearer(b) => Some(*b),
            _ => None,
        })
    }

    pub fn connect_reason(&self) -> Option<&str> {
        self.options.iter().find_map(|o| match o {
            NotiOption::ConnectReason(s) => Some(s.as_ref()),
            _ => None,
        })
    }

    pub fn vendor_info(&self) -> Option<&str> {
        self.options.iter().find_map(|o| match o {
            NotiOption::VendorInfo(s) => Some(s.as_ref()),
            _ => None,
        })
    }

    /// Header and option bytes: what the digest covers.
    pub fn signed_bytes(&self) -> Vec<u8> {
        self.to_draft().signed_bytes()
    }

    /// The message on the wire, with the digest it carries.
    pub fn encode(&self) -> Vec<u8> {
        self.to_draft().encode()
    }

    /// Computes and stores the digest for `secret` under `reading`.
    pub fn sign(&mut self, secret: &[u8], reading: DigestReading) {
        let body = self.signed_bytes();
        self.digest = digest::digest13(secret, &body[..HEADER_LEN], &body[HEADER_LEN..], reading);
    }

    /// The raw form of this message, to change on purpose.
    pub fn to_draft(&self) -> Draft13 {
        Draft13 {
            header: self
                .header
                .raw(self.options.len().min(usize::from(u8::MAX)) as u8),
            options: self.options.iter().map(RawOption::typed).collect(),
            digest: self.digest.to_vec(),
            trailer: Vec::new(),
        }
    }

    pub fn into_owned(self) -> Notification13<'static> {
        Notification13 {
            header: self.header,
            options: self
                .options
                .into_iter()
                .map(NotiOption::into_owned)
                .collect(),
            digest: self.digest,
        }
    }
}

/// One option as it stands on the wire: 4-bit number, 12-bit declared length, value bytes (6.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawOption {
    pub number: u8,
    /// The Option-Length field; equals `value.len()` unless set otherwise on purpose.
    pub length: u16,
    pub value: Vec<u8>,
}

impl RawOption {
    pub fn new(number: u8, value: Vec<u8>) -> RawOption {
        RawOption {
            number,
            length: value.len().min(MAX_OPTION_LEN) as u16,
            value,
        }
    }

    /// The raw form of a typed option.
    pub fn typed(option: &NotiOption<'_>) -> RawOption {
        let mut value = Vec::new();
        option.encode_value(&mut value);
        RawOption::new(option.number(), value)
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let word = u16::from(self.number & 0x0f) << 12 | (self.length & 0x0fff);
        out.extend_from_slice(&word.to_be_bytes());
        out.extend_from_slice(&self.value);
    }
}

/// A 1.3 message in raw form, right or wrong: any header value, any options in any order with any
/// declared length, any digest bytes, bytes appended or cut off the end.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Draft13 {
    pub header: RawHeader,
    pub options: Vec<RawOption>,
    pub digest: Vec<u8>,
    /// Bytes after the digest.
    pub trailer: Vec<u8>,
}

impl Draft13 {
    /// Header and option bytes, exactly as they will be sent.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            HEADER_LEN
                + self
                    .options
                    .iter()
                    .map(|o| 2 + o.value.len())
                    .sum::<usize>(),
        );
        self.header.encode(&mut out);
        for o in &self.options {
            o.encode(&mut out);
        }
        out
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.signed_bytes();
        out.extend_from_slice(&self.digest);
        out.extend_from_slice(&self.trailer);
        out
    }

    /// Sets OPC to the number of options present (saturating at what 3 bits hold).
    pub fn count_options(&mut self) {
        self.header.opc = self.options.len().min(MAX_OPTIONS) as u8;
    }

    /// Replaces the digest with one computed over the header and options as they now stand.
    pub fn sign(&mut self, secret: &[u8], reading: DigestReading) {
        let body = self.signed_bytes();
        self.digest =
            digest::digest13(secret, &body[..HEADER_LEN], &body[HEADER_LEN..], reading).to_vec();
    }

    /// Splits received bytes into raw parts when their structure allows it (header, OPC options
    /// that fit, 32 digest bytes, the rest as trailer), whatever rules the values break; for
    /// mutating a message that came from elsewhere.
    pub fn from_bytes(bytes: &[u8]) -> Option<Draft13> {
        let mut r = Reader::new(bytes);
        let header = RawHeader::read(&mut r)?;
        let mut options = Vec::new();
        for _ in 0..header.opc {
            let (number, length) = option_header(&mut r).ok()?;
            let value = r.take(usize::from(length))?.to_vec();
            options.push(RawOption {
                number,
                length,
                value,
            });
        }
        let digest = r.take(DIGEST13_LEN.min(r.remaining()))?.to_vec();
        Some(Draft13 {
            header,
            options,
            digest,
            trailer: r.rest().to_vec(),
        })
    }
}

/// Reads NUMBER(4) LENGTH(12) (6.2).
#[inline]
fn option_header(r: &mut Reader<'_>) -> Result<(u8, u16), ErrorKind> {
    let remaining = r.remaining();
    let word = r
        .u16()
        .ok_or(ErrorKind::TruncatedOptionHeader { remaining })?;
    Ok(((word >> 12) as u8, word & 0x0fff))
}

/// Reads one option's header and value bytes, or names why the structure breaks (6.2).
#[inline]
fn read_option<'a>(r: &mut Reader<'a>) -> Result<(u8, &'a [u8]), ErrorKind> {
    let (number, length) = option_header(r)?;
    let length = usize::from(length);
    let available = r.remaining();
    let value = r.take(length).ok_or(ErrorKind::OptionOverrun {
        number,
        length,
        available,
    })?;
    Ok((number, value))
}

/// The ordering and occurrence rules (6.2, 6.3) for an option after `previous`.
#[inline]
fn sequence_rule(previous: Option<u8>, number: u8) -> Option<ErrorKind> {
    let previous = previous?;
    if number < previous {
        Some(ErrorKind::OptionOutOfOrder { number, previous })
    } else if number == previous && options::at_most_once(number) {
        Some(ErrorKind::RepeatedOption { number })
    } else {
        None
    }
}

/// What the bytes after OPC options must be: exactly the 32-byte digest (6.6). When there are
/// more, and they read as whole options followed by exactly a digest, OPC undercounts (6.4.2).
fn tail_rule(after_options: &[u8], opc: u8, read: usize) -> Option<ErrorKind> {
    match after_options.len() {
        DIGEST13_LEN => None,
        0 => Some(ErrorKind::MissingDigest),
        n if n < DIGEST13_LEN => Some(ErrorKind::ShortDigest { length: n }),
        n => {
            let extra = count_whole_options(&after_options[..n - DIGEST13_LEN]);
            match extra {
                Some(k) => Some(ErrorKind::OptionCountMismatch {
                    opc,
                    present: read + k,
                }),
                None => Some(ErrorKind::TrailingBytes {
                    count: n - DIGEST13_LEN,
                }),
            }
        }
    }
}

/// Trailing bytes are reported where they start, after the digest; the rest where options end.
fn tail_offset(kind: &ErrorKind, options_end: usize) -> usize {
    match kind {
        ErrorKind::TrailingBytes { .. } => options_end + DIGEST13_LEN,
        _ => options_end,
    }
}

/// How many whole options of defined numbers `bytes` is, if it is a sequence of them with
/// nothing left over. Undefined numbers say "not options": the first bytes of a digest would too
/// often pass for an option otherwise.
fn count_whole_options(bytes: &[u8]) -> Option<usize> {
    let mut r = Reader::new(bytes);
    let mut k = 0;
    while r.remaining() > 0 {
        let (number, _) = read_option(&mut r).ok()?;
        options::option_name(number)?;
        k += 1;
    }
    Some(k)
}

/// Before reading option `i` of `opc`: when just the digest is left, OPC overcounts (6.4.2).
#[inline]
fn opc_overcount(r: &Reader<'_>, opc: u8, read: usize) -> Option<ErrorKind> {
    (r.remaining() == DIGEST13_LEN).then_some(ErrorKind::OptionCountMismatch { opc, present: read })
}

/// Strict decoding: a message that keeps every rule of 6.1-6.6, or the first rule it breaks.
/// Allocates nothing: strings borrow from `bytes`, options are inline.
pub fn decode(bytes: &[u8]) -> Result<Notification13<'_>, Error> {
    let mut r = Reader::new(bytes);
    let raw = RawHeader::read(&mut r).ok_or(Error::new(
        0,
        ErrorKind::ShortHeader {
            length: bytes.len(),
        },
    ))?;
    header_rules(&raw, |at, kind| Err(Error::new(at, kind)))?;
    let mut options = Options::new();
    let mut previous = None;
    let (mut seen_server_id, mut seen_requested) = (false, false);
    for read in 0..usize::from(raw.opc) {
        let at = r.offset();
        if let Some(kind) = opc_overcount(&r, raw.opc, read) {
            return Err(Error::new(at, kind));
        }
        let (number, value) = read_option(&mut r).map_err(|k| Error::new(at, k))?;
        if let Some(kind) = sequence_rule(previous, number) {
            return Err(Error::new(at, kind));
        }
        let option = typed_option(number, value).map_err(|k| Error::new(at, k))?;
        seen_server_id |= number == number::SERVER_ID;
        seen_requested |= number == number::REQUESTED_MO;
        previous = Some(number);
        // OPC has 3 bits, so this loop runs at most MAX_OPTIONS times: the push cannot fail.
        let _ = options.try_push(option);
    }
    let end = r.offset();
    if let Some(kind) = tail_rule(r.rest(), raw.opc, usize::from(raw.opc)) {
        return Err(Error::new(tail_offset(&kind, end), kind));
    }
    if !seen_server_id {
        return Err(Error::new(end, ErrorKind::MissingServerId));
    }
    if !seen_requested {
        return Err(Error::new(end, ErrorKind::MissingRequestedMo));
    }
    let digest = r
        .array::<DIGEST13_LEN>()
        .ok_or(Error::new(end, ErrorKind::MissingDigest))?;
    // header_rules passed, so these conversions hold; the errors are never returned.
    let header = Header {
        initiator: Initiator::from_bit(raw.initiator),
        ui_mode: UiMode::from_bits(raw.ui_mode),
        transport: Transport::from_bits(raw.transport).ok_or(Error::new(
            1,
            ErrorKind::ReservedTransport {
                bits: raw.transport,
            },
        ))?,
        reserved: raw.reserved,
        timeout: raw.timeout,
        session_id: SessionId::new(raw.session_id)
            .ok_or(Error::new(6, ErrorKind::ZeroSessionId))?,
        timestamp: raw.timestamp,
    };
    Ok(Notification13 {
        header,
        options,
        digest,
    })
}

/// One option as [`inspect`] found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectedOption<'a> {
    /// Offset of the option's 2-byte header.
    pub offset: usize,
    pub number: u8,
    pub length: usize,
    pub value: &'a [u8],
    /// The value, when it keeps the option's rules.
    pub typed: Option<NotiOption<'a>>,
    /// Beyond what OPC counts.
    pub beyond_opc: bool,
}

impl<'a> InspectedOption<'a> {
    fn new(
        offset: usize,
        number: u8,
        value: &'a [u8],
        typed: Option<NotiOption<'a>>,
        beyond_opc: bool,
    ) -> Self {
        InspectedOption {
            offset,
            number,
            length: value.len(),
            value,
            typed,
            beyond_opc,
        }
    }
}

/// Everything [`inspect`] could read of a 1.3 message, and every rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection13<'a> {
    pub length: usize,
    pub header: Option<RawHeader>,
    pub options: Vec<InspectedOption<'a>>,
    /// Offset and bytes of the digest (possibly short).
    pub digest: Option<(usize, &'a [u8])>,
    /// Offset and bytes after the digest.
    pub trailer: Option<(usize, &'a [u8])>,
    pub violations: Vec<Error>,
}

impl Inspection13<'_> {
    pub fn is_valid(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Lenient decoding: reads as far as the structure allows and lists every broken rule, in the
/// order a strict decoder meets them.
pub fn inspect(bytes: &[u8]) -> Inspection13<'_> {
    let mut out = Inspection13 {
        length: bytes.len(),
        header: None,
        options: Vec::new(),
        digest: None,
        trailer: None,
        violations: Vec::new(),
    };
    let mut r = Reader::new(bytes);
    let Some(raw) = RawHeader::read(&mut r) else {
        out.violations.push(Error::new(
            0,
            ErrorKind::ShortHeader {
                length: bytes.len(),
            },
        ));
        return out;
    };
    out.header = Some(raw);
    let _ = header_rules(&raw, |at, kind| {
        out.violations.push(Error::new(at, kind));
        Ok(())
    });
    let mut previous = None;
    let mut counts = [0usize; 16];
    let mut structure_ok = true;
    for read in 0..usize::from(raw.opc) {
        let at = r.offset();
        if let Some(kind) = opc_overcount(&r, raw.opc, read) {
            out.violations.push(Error::new(at, kind));
            break;
        }
        match read_option(&mut r) {
            Ok((number, value)) => {
                if let Some(kind) = sequence_rule(previous, number) {
                    out.violations.push(Error::new(at, kind));
                }
                counts[usize::from(number & 0x0f)] += 1;
                previous = Some(number);
                let typed = match typed_option(number, value) {
                    Ok(t) => Some(t),
                    Err(kind) => {
                        out.violations.push(Error::new(at, kind));
                        None
                    }
                };
                out.options
                    .push(InspectedOption::new(at, number, value, typed, false));
            }
            Err(kind) => {
                out.violations.push(Error::new(at, kind));
                structure_ok = false;
                break;
            }
        }
    }
    if !structure_ok {
        return out;
    }
    let end = r.offset();
    let read = out.options.len();
    let tail = tail_rule(r.rest(), raw.opc, read);
    if let Some(ErrorKind::OptionCountMismatch { .. }) = tail {
        // Read the options OPC left out, so they can be shown.
        while r.remaining() > DIGEST13_LEN {
            let at = r.offset();
            let Ok((number, value)) = read_option(&mut r) else {
                break;
            };
            counts[usize::from(number & 0x0f)] += 1;
            let typed = typed_option(number, value).ok();
            out.options
                .push(InspectedOption::new(at, number, value, typed, true));
        }
    }
    if let Some(kind) = tail {
        out.violations
            .push(Error::new(tail_offset(&kind, end), kind));
    }
    if counts[usize::from(number::SERVER_ID)] == 0 {
        out.violations
            .push(Error::new(end, ErrorKind::MissingServerId));
    }
    if counts[usize::from(number::REQUESTED_MO)] == 0 {
        out.violations
            .push(Error::new(end, ErrorKind::MissingRequestedMo));
    }
    let digest_at = r.offset();
    let digest = r.take(DIGEST13_LEN.min(r.remaining())).unwrap_or_default();
    if !digest.is_empty() {
        out.digest = Some((digest_at, digest));
    }
    if r.remaining() > 0 {
        out.trailer = Some((r.offset(), r.rest()));
    }
    out
}

/// Why a digest does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    #[error("{length} bytes is too short to hold a header and a {DIGEST13_LEN}-byte digest (6.6)")]
    TooShort { length: usize },
    #[error("digest mismatch: the message carries {carried}, {reading} gives {computed} (6.6)")]
    Mismatch {
        carried: String,
        computed: String,
        reading: &'static str,
    },
}

/// Checks the digest of a 1.3 message as received: the last 32 bytes against the digest of the
/// header and everything between it and them.
pub fn verify(wire: &[u8], secret: &[u8], reading: DigestReading) -> Result<(), DigestError> {
    if wire.len() < HEADER_LEN + DIGEST13_LEN {
        return Err(DigestError::TooShort { length: wire.len() });
    }
    let (body, carried) = wire.split_at(wire.len() - DIGEST13_LEN);
    let computed = digest::digest13(secret, &body[..HEADER_LEN], &body[HEADER_LEN..], reading);
    if digest::constant_time_eq(&computed, carried) {
        Ok(())
    } else {
        Err(DigestError::Mismatch {
            carried: super::hex(carried),
            computed: super::hex(&computed),
            reading: reading.describe(),
        })
    }
}

/// The digest readings under which a message verifies, in [`DigestReading::ALL`] order: tells a
/// vendor which reading their server took.
pub fn matching_readings(wire: &[u8], secret: &[u8]) -> Vec<DigestReading> {
    DigestReading::ALL
        .into_iter()
        .filter(|r| verify(wire, secret, *r).is_ok())
        .collect()
}

#[cfg(test)]
#[path = "v13_tests.rs"]
mod tests;
