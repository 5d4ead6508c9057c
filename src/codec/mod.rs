//! Package #0 wire code: the 1.3 format (seed 6.1-6.6), the 1.2 format that 1.3 clients must still
//! accept (C-003, docs/spec-notes.md), their digests, and the delivery framings of seed 7 (connectionless
//! WAP push, OTA-HTTP push, SIP push). Pure functions of bytes: no I/O, no clock, nothing of suites,
//! adapters or reports.

pub mod build;
pub mod digest;
pub mod error;
pub mod fields;
pub mod mo;
pub mod obex;
pub mod options;
pub mod ota_http;
pub mod pap;
pub mod reader;
pub mod session_id;
pub mod sip;
pub mod sms;
pub mod v12;
pub mod v13;
pub mod wsp;

pub use digest::DigestReading;
pub use error::{DecodeError, Rule};
pub use fields::{Initiator, Transport, UiMode};
pub use mo::MoIndex;
pub use options::{Bearer, NotiOption};
pub use session_id::SessionId;

/// MIME type of a 1.3 notification (seed 6).
pub const CONTENT_TYPE_V13: &str = "application/vnd.syncml.dm.notification";
/// MIME type of a 1.2 notification (docs/spec-notes.md).
pub const CONTENT_TYPE_V12: &str = "application/vnd.syncml.notification";
/// WSP well-known content type code of a 1.3 notification (seed 6, 7.1).
pub const WSP_CODE_V13: u8 = 0x58;
/// WSP well-known content type code of a 1.2 notification (docs/spec-notes.md).
pub const WSP_CODE_V12: u8 = 0x44;

/// Which of the two Package #0 formats a message is in. A client tells them apart by content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Format {
    #[serde(rename = "1.2")]
    V12,
    #[serde(rename = "1.3")]
    V13,
}

impl Format {
    /// The version as written: "1.2" or "1.3".
    pub fn name(self) -> &'static str {
        match self {
            Format::V12 => "1.2",
            Format::V13 => "1.3",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::V12 => CONTENT_TYPE_V12,
            Format::V13 => CONTENT_TYPE_V13,
        }
    }

    pub fn wsp_code(self) -> u8 {
        match self {
            Format::V12 => WSP_CODE_V12,
            Format::V13 => WSP_CODE_V13,
        }
    }

    /// The format a content type names, ignoring parameters and case.
    pub fn from_content_type(content_type: &str) -> Option<Format> {
        let bare = content_type.split(';').next().unwrap_or("").trim();
        if bare.eq_ignore_ascii_case(CONTENT_TYPE_V13) {
            Some(Format::V13)
        } else if bare.eq_ignore_ascii_case(CONTENT_TYPE_V12) {
            Some(Format::V12)
        } else {
            None
        }
    }

    pub fn from_wsp_code(code: u8) -> Option<Format> {
        match code {
            WSP_CODE_V13 => Some(Format::V13),
            WSP_CODE_V12 => Some(Format::V12),
            _ => None,
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::V12 => "1.2",
            Format::V13 => "1.3",
        })
    }
}

/// Lower-case hex of a byte string, for messages and reports.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    s
}

/// Parses hex as people paste it: upper or lower case, with spaces, colons, dashes, line breaks
/// or a leading `0x` ignored. The error names the character offset of the first bad character.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, HexError> {
    let text = text.trim();
    let text = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    let mut out = Vec::with_capacity(text.len() / 2);
    let mut high: Option<u8> = None;
    for (at, c) in text.char_indices() {
        if c.is_whitespace() || c == ':' || c == '-' {
            continue;
        }
        let nibble = c.to_digit(16).ok_or(HexError::BadChar { at, found: c })? as u8;
        match high.take() {
            Some(h) => out.push(h << 4 | nibble),
            None => high = Some(nibble),
        }
    }
    if high.is_some() {
        return Err(HexError::OddDigits);
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    #[error("not a hex digit: {found:?} at character {at}")]
    BadChar { at: usize, found: char },
    #[error("an odd number of hex digits")]
    OddDigits,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_separators() {
        assert_eq!(
            parse_hex("0x02 D8:00-00\n3039").unwrap(),
            [2, 0xd8, 0, 0, 0x30, 0x39]
        );
        assert_eq!(hex(&[0xab, 0x01]), "ab01");
        assert_eq!(parse_hex("abc"), Err(HexError::OddDigits));
        assert_eq!(
            parse_hex("a g"),
            Err(HexError::BadChar { at: 2, found: 'g' })
        );
    }

    /// Bare bytes are taken for the format that reads them better: a 1.2 message whose V is
    /// broken is still 1.2 (its lengths fit), whatever its digest's first nibble.
    #[test]
    fn a_broken_1_2_message_is_still_read_as_1_2() {
        let mut d = v12::Draft12 {
            digest: vec![0xA5; 16],
            trigger: v12::RawTrigger {
                version: 8,
                initiator: 1,
                ..v12::RawTrigger::default()
            },
            server_id_length: None,
            server_id: b"Scts".to_vec(),
            vendor_body: Vec::new(),
        };
        assert_eq!(detect(&d.encode()), Detected::V12);
        let r = Readings::of(&d.encode());
        assert!(r.neither_clean());
        assert!(r.v12.structure && !r.v12.version);
        d.trigger.version = v12::VERSION;
        d.trigger.session_id = 1;
        assert_eq!(detect(&d.encode()), Detected::V12);
        assert!(Readings::of(&d.encode()).v12.clean());
        let v13 = build::encode(&build::EncodeSpec {
            server_id: "dm".into(),
            session_id: 0x0A01,
            secret: Some(b"k".to_vec()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(detect(&v13), Detected::V13);
    }

    #[test]
    fn content_types_name_formats() {
        assert_eq!(
            Format::from_content_type("Application/vnd.syncml.dm.notification; charset=x"),
            Some(Format::V13)
        );
        assert_eq!(
            Format::from_content_type(CONTENT_TYPE_V12),
            Some(Format::V12)
        );
        assert_eq!(Format::from_content_type("text/plain"), None);
        assert_eq!(Format::from_wsp_code(0x44), Some(Format::V12));
    }
}

/// What bytes are, as far as their first bytes tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected {
    /// A bare 1.3 message (and the fallback).
    V13,
    /// A bare 1.2 message: its trigger's version field reads 11 (or the lenient 12).
    V12,
    /// A connectionless WAP push PDU of a DM content type (7.1).
    Wsp,
    /// An HTTP request or response (7.4).
    Http,
    /// A SIP request or response (7.3).
    Sip,
}

/// Guesses what bytes are: an HTTP message, a WSP push PDU, or a bare 1.3 or 1.2 message.
pub fn detect(bytes: &[u8]) -> Detected {
    if bytes.starts_with(b"POST ") || bytes.starts_with(b"HTTP/") {
        return Detected::Http;
    }
    let sip_line = bytes
        .iter()
        .position(|&b| b == b'\r')
        .is_some_and(|n| bytes[..n].ends_with(b" SIP/2.0"));
    if sip_line || bytes.starts_with(b"SIP/2.0 ") {
        return Detected::Sip;
    }
    if bytes.get(1) == Some(&wsp::PDU_PUSH)
        && wsp::decode(bytes).is_ok_and(|p| p.content_type.format().is_some())
    {
        return Detected::Wsp;
    }
    match Readings::of(bytes).better() {
        Format::V12 => Detected::V12,
        Format::V13 => Detected::V13,
    }
}

/// How well bare bytes read as each format: whether the reading's structure holds (the
/// lengths it reads fit the bytes), and how many rules it breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readings {
    pub v13: Reading,
    pub v12: Reading,
}

/// One format's reading of bare bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// Its version field holds the format's value (1.3's VER 1; 1.2's V 11, or the lenient 12).
    pub version: bool,
    /// Every length it reads fits: the bytes are explained to their end.
    pub structure: bool,
    pub violations: usize,
}

impl Reading {
    pub fn clean(self) -> bool {
        self.violations == 0
    }

    /// The better of two readings: a version that fits, then a structure that holds, then fewer
    /// broken rules.
    fn key(self) -> (bool, bool, std::cmp::Reverse<usize>) {
        (
            self.version,
            self.structure,
            std::cmp::Reverse(self.violations),
        )
    }
}

impl Readings {
    pub fn of(bytes: &[u8]) -> Readings {
        let i13 = v13::inspect(bytes);
        let i12 = v12::inspect(bytes);
        let v13 = Reading {
            version: bytes.first().is_some_and(|b| b >> 4 == v13::VERSION),
            structure: !i13.violations.iter().any(|e| {
                matches!(
                    e.kind,
                    v13::ErrorKind::ShortHeader { .. }
                        | v13::ErrorKind::TruncatedOptionHeader { .. }
                        | v13::ErrorKind::OptionOverrun { .. }
                        | v13::ErrorKind::TrailingBytes { .. }
                        | v13::ErrorKind::ShortDigest { .. }
                )
            }),
            violations: i13.violations.len(),
        };
        let v12 = Reading {
            version: i12
                .trigger
                .is_some_and(|t| matches!(t.version, v12::VERSION | v12::VERSION_LENIENT)),
            structure: !i12.violations.iter().any(|e| {
                matches!(
                    e.kind,
                    v12::ErrorKind::ShortMessage { .. }
                        | v12::ErrorKind::ServerIdOverrun { .. }
                        | v12::ErrorKind::EmptyServerId
                        | v12::ErrorKind::InvalidUtf8 { .. }
                )
            }),
            violations: i12.violations.len(),
        };
        Readings { v13, v12 }
    }

    /// The format the bytes read better as: the one whose version field holds its value (1.3's
    /// when both do, as a 1.3 reader takes them); when neither does, the one whose lengths fit,
    /// then the one that breaks fewer rules (1.3 when they read as well as both).
    pub fn better(self) -> Format {
        if self.v12.key() > self.v13.key() {
            Format::V12
        } else {
            Format::V13
        }
    }

    /// Neither reading is clean: the bytes are a broken message of one format or the other.
    pub fn neither_clean(self) -> bool {
        !self.v13.clean() && !self.v12.clean()
    }
}
