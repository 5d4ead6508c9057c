//! Connectionless WAP push PDU (seed 7.1, 7.1.1; WAP-230 WSP as docs/spec-notes.md sums it up):
//! `TID | 0x06 | HeadersLen (uintvar) | content type | headers | body`.
//! Decoding is structural and skips any header it does not need; [`route`] is the receiver's
//! check of 7.1.1 (is this for the DM client?), [`sender_rules`] the sender's rules of 7.1.

use super::error::{DecodeError, Rule};
use super::reader::Reader;
use super::{CONTENT_TYPE_V12, CONTENT_TYPE_V13, Format};
use std::fmt;

/// PDU type of a Push (WSP table 34).
pub const PDU_PUSH: u8 = 0x06;
/// Well-known header field X-Wap-Application-Id (0x2F), as a short integer.
pub const FIELD_APPLICATION_ID: u8 = 0x2F;
/// x-wap-application:syncml.dm (OMNA push application id 0x07).
pub const APP_ID_SYNCML_DM: u32 = 0x07;
pub const APP_ID_SYNCML_DM_TEXT: &str = "x-wap-application:syncml.dm";
/// Content type plus headers may not exceed this (7.1).
pub const MAX_HEADERS_LEN: usize = 48;
/// The IANA port for connectionless WAP push (7.1).
pub const PORT: u16 = 2948;

pub type Error = DecodeError<ErrorKind>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    Truncated { needed: &'static str },
    NotPush { pdu_type: u8 },
    BadUintvar,
    HeadersOverrun { declared: usize, available: usize },
    BadContentType,
    BadHeader,
    HeadersTooLong { length: usize },
    ContentTypeAsText,
    NotDmContentType { found: String },
    MissingApplicationId,
    WrongApplicationId { found: String },
    ApplicationIdAsText,
}

impl Rule for ErrorKind {
    fn name(&self) -> &'static str {
        match self {
            ErrorKind::Truncated { .. } => "truncated",
            ErrorKind::NotPush { .. } => "not-push",
            ErrorKind::BadUintvar => "bad-uintvar",
            ErrorKind::HeadersOverrun { .. } => "headers-overrun",
            ErrorKind::BadContentType => "bad-content-type",
            ErrorKind::BadHeader => "bad-header",
            ErrorKind::HeadersTooLong { .. } => "headers-too-long",
            ErrorKind::ContentTypeAsText => "content-type-as-text",
            ErrorKind::NotDmContentType { .. } => "not-dm-content-type",
            ErrorKind::MissingApplicationId => "missing-application-id",
            ErrorKind::WrongApplicationId { .. } => "wrong-application-id",
            ErrorKind::ApplicationIdAsText => "application-id-as-text",
        }
    }

    fn section(&self) -> &'static str {
        match self {
            ErrorKind::NotDmContentType { .. }
            | ErrorKind::MissingApplicationId
            | ErrorKind::WrongApplicationId { .. } => "7.1.1",
            ErrorKind::HeadersTooLong { .. }
            | ErrorKind::ContentTypeAsText
            | ErrorKind::ApplicationIdAsText => "7.1",
            _ => "7.1, WSP push PDU",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Truncated { needed } => write!(f, "the PDU ends before its {needed}"),
            ErrorKind::NotPush { pdu_type } => {
                write!(f, "PDU type 0x{pdu_type:02X}; a push is 0x06")
            }
            ErrorKind::BadUintvar => f.write_str("HeadersLen is not a uintvar of at most 5 bytes"),
            ErrorKind::HeadersOverrun {
                declared,
                available,
            } => {
                write!(f, "HeadersLen {declared}, {available} bytes left")
            }
            ErrorKind::BadContentType => f.write_str("the content type cannot be read"),
            ErrorKind::BadHeader => f.write_str("a header cannot be read"),
            ErrorKind::HeadersTooLong { length } => write!(
                f,
                "headers of {length} bytes; they MUST NOT exceed {MAX_HEADERS_LEN}"
            ),
            ErrorKind::ContentTypeAsText => {
                f.write_str("content type sent as text; the code 0x58 MUST be used")
            }
            ErrorKind::NotDmContentType { found } => {
                write!(f, "content type {found} is not a DM notification")
            }
            ErrorKind::MissingApplicationId => f.write_str("no X-Wap-Application-Id header"),
            ErrorKind::WrongApplicationId { found } => {
                write!(f, "application id {found}; DM's is 0x07 (syncml.dm)")
            }
            ErrorKind::ApplicationIdAsText => {
                f.write_str("application id sent as text; the code 0x07 MUST be used")
            }
        }
    }
}

/// A content type as WSP carries it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// A well-known code: 0x58 for 1.3, 0x44 for 1.2.
    Code(u8),
    Text(String),
}

impl ContentType {
    pub fn format(&self) -> Option<Format> {
        match self {
            ContentType::Code(c) => Format::from_wsp_code(*c),
            ContentType::Text(t) => Format::from_content_type(t),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            ContentType::Code(c) => out.push(0x80 | c),
            ContentType::Text(t) => {
                out.extend_from_slice(t.as_bytes());
                out.push(0);
            }
        }
    }
}

impl fmt::Display for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContentType::Code(c) => match Format::from_wsp_code(*c) {
                Some(format) => write!(f, "0x{c:02X} ({})", format.content_type()),
                None => write!(f, "0x{c:02X}"),
            },
            ContentType::Text(t) => write!(f, "{t:?}"),
        }
    }
}

/// An X-Wap-Application-Id value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AppId {
    Code(u32),
    Text(String),
}

impl AppId {
    pub fn is_syncml_dm(&self) -> bool {
        match self {
            AppId::Code(c) => *c == APP_ID_SYNCML_DM,
            AppId::Text(t) => t.eq_ignore_ascii_case(APP_ID_SYNCML_DM_TEXT),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            AppId::Code(c) if *c < 0x80 => out.push(0x80 | *c as u8),
            AppId::Code(c) => {
                let bytes = c.to_be_bytes();
                let skip = bytes.iter().take_while(|b| **b == 0).count();
                out.push((4 - skip) as u8);
                out.extend_from_slice(&bytes[skip..]);
            }
            AppId::Text(t) => {
                out.extend_from_slice(t.as_bytes());
                out.push(0);
            }
        }
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppId::Code(c) => write!(f, "0x{c:02X}"),
            AppId::Text(t) => write!(f, "{t:?}"),
        }
    }
}

/// A decoded push PDU. Offsets are from the start of the PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WapPush<'a> {
    pub tid: u8,
    pub content_type: ContentType,
    pub app_id: Option<AppId>,
    /// Offset of the content type, where the headers start.
    pub headers_offset: usize,
    /// HeadersLen: content type and headers.
    pub headers_len: usize,
    pub body_offset: usize,
    pub body: &'a [u8],
}

/// Reads a uintvar of at most 5 bytes (WSP 8.1.2).
pub fn read_uintvar(r: &mut Reader<'_>) -> Option<u32> {
    let mut value: u32 = 0;
    for _ in 0..5 {
        let b = r.u8()?;
        value = value.checked_mul(128)? | u32::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

pub fn write_uintvar(mut value: u32, out: &mut Vec<u8>) {
    let mut buf = [0u8; 5];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = (value & 0x7f) as u8 | if i == buf.len() - 1 { 0 } else { 0x80 };
        value >>= 7;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

fn read_text(r: &mut Reader<'_>) -> Option<String> {
    let rest = r.rest();
    let end = rest.iter().position(|b| *b == 0)?;
    let text = String::from_utf8_lossy(&rest[..end]).into_owned();
    r.take(end + 1)?;
    Some(text)
}

/// Reads a WSP value-length (WSP 8.4.2.2).
fn read_value_length(r: &mut Reader<'_>) -> Option<usize> {
    match r.u8()? {
        n @ 0..=30 => Some(usize::from(n)),
        31 => read_uintvar(r).map(|n| n as usize),
        _ => None,
    }
}

/// Skips one header value of any encoding, returning its bytes.
fn read_value<'a>(r: &mut Reader<'a>) -> Option<&'a [u8]> {
    let start = r.clone();
    let first = r.peek()?;
    match first {
        0x80..=0xff => {
            r.u8()?;
        }
        0..=31 => {
            let n = read_value_length(r)?;
            r.take(n)?;
        }
        _ => {
            read_text(r)?;
        }
    }
    let len = r.offset() - start.offset();
    start.rest().get(..len)
}

fn read_content_type(r: &mut Reader<'_>) -> Option<ContentType> {
    match r.peek()? {
        0x80..=0xff => r.u8().map(|b| ContentType::Code(b & 0x7f)),
        0..=31 => {
            let n = read_value_length(r)?;
            let mut inner = Reader::new(r.take(n)?);
            match inner.peek()? {
                0x80..=0xff => inner.u8().map(|b| ContentType::Code(b & 0x7f)),
                _ => read_text(&mut inner).map(ContentType::Text),
            }
        }
        _ => read_text(r).map(ContentType::Text),
    }
}

fn parse_app_id(value: &[u8]) -> Option<AppId> {
    match value.first()? {
        b @ 0x80..=0xff => Some(AppId::Code(u32::from(b & 0x7f))),
        n @ 1..=4 => {
            let bytes = value.get(1..1 + usize::from(*n))?;
            Some(AppId::Code(
                bytes.iter().fold(0u32, |v, b| v << 8 | u32::from(*b)),
            ))
        }
        0x20..=0x7f => {
            let end = value.iter().position(|b| *b == 0).unwrap_or(value.len());
            Some(AppId::Text(
                String::from_utf8_lossy(&value[..end]).into_owned(),
            ))
        }
        _ => None,
    }
}

/// Structural decoding of a connectionless push PDU. Headers other than the application id are
/// skipped by their encoding; a header block that does not parse is an error.
pub fn decode(bytes: &[u8]) -> Result<WapPush<'_>, Error> {
    let mut r = Reader::new(bytes);
    let tid = r
        .u8()
        .ok_or(Error::new(0, ErrorKind::Truncated { needed: "TID" }))?;
    let pdu_type = r
        .u8()
        .ok_or(Error::new(1, ErrorKind::Truncated { needed: "PDU type" }))?;
    if pdu_type != PDU_PUSH {
        return Err(Error::new(1, ErrorKind::NotPush { pdu_type }));
    }
    let declared = read_uintvar(&mut r).ok_or(Error::new(2, ErrorKind::BadUintvar))? as usize;
    let headers_offset = r.offset();
    let available = r.remaining();
    let block = r.take(declared).ok_or(Error::new(
        2,
        ErrorKind::HeadersOverrun {
            declared,
            available,
        },
    ))?;
    let mut h = Reader::new(block);
    let content_type =
        read_content_type(&mut h).ok_or(Error::new(headers_offset, ErrorKind::BadContentType))?;
    let mut app_id = None;
    while h.remaining() > 0 {
        let at = headers_offset + h.offset();
        let bad = || Error::new(at, ErrorKind::BadHeader);
        match h.peek().ok_or_else(bad)? {
            name @ 0x80..=0xff => {
                h.u8().ok_or_else(bad)?;
                let value = read_value(&mut h).ok_or_else(bad)?;
                if name & 0x7f == FIELD_APPLICATION_ID {
                    app_id = Some(parse_app_id(value).ok_or_else(bad)?);
                }
            }
            // Shift delimiter and page: a code page change.
            0x7f => {
                h.take(2).ok_or_else(bad)?;
            }
            // Short-cut shift to a code page.
            1..=31 => {
                h.u8().ok_or_else(bad)?;
            }
            0 => return Err(bad()),
            // Application header: text name, then text value.
            _ => {
                read_text(&mut h).ok_or_else(bad)?;
                read_text(&mut h).ok_or_else(bad)?;
            }
        }
    }
    Ok(WapPush {
        tid,
        content_type,
        app_id,
        headers_offset,
        headers_len: declared,
        body_offset: r.offset(),
        body: r.rest(),
    })
}

/// The receiver's check of 7.1.1: the application id and the MIME type must be DM's. Gives the
/// notification format the content type names.
pub fn route(push: &WapPush<'_>) -> Result<Format, Error> {
    let at = push.headers_offset;
    let format = push.content_type.format().ok_or_else(|| {
        Error::new(
            at,
            ErrorKind::NotDmContentType {
                found: push.content_type.to_string(),
            },
        )
    })?;
    match &push.app_id {
        None => Err(Error::new(at, ErrorKind::MissingApplicationId)),
        Some(id) if !id.is_syncml_dm() => Err(Error::new(
            at,
            ErrorKind::WrongApplicationId {
                found: id.to_string(),
            },
        )),
        Some(_) => Ok(format),
    }
}

/// The sender's rules of 7.1 for a 1.3 notification, every one broken: code 0x58 (not text),
/// application id code 0x07, headers at most 48 bytes.
pub fn sender_rules(push: &WapPush<'_>) -> Vec<Error> {
    let at = push.headers_offset;
    let mut broken = Vec::new();
    // 7.1.1: "the MIME type ... one assigned to the OMA DM Notification Initiation Package":
    // the 1.3 type, or the 1.2 type a 1.2 notification goes with (6: a client takes both).
    match &push.content_type {
        ContentType::Code(c) if *c == super::WSP_CODE_V13 || *c == super::WSP_CODE_V12 => {}
        ContentType::Text(t)
            if t.eq_ignore_ascii_case(CONTENT_TYPE_V13)
                || t.eq_ignore_ascii_case(super::CONTENT_TYPE_V12) =>
        {
            broken.push(Error::new(at, ErrorKind::ContentTypeAsText))
        }
        other => broken.push(Error::new(
            at,
            ErrorKind::NotDmContentType {
                found: other.to_string(),
            },
        )),
    }
    match &push.app_id {
        Some(AppId::Code(APP_ID_SYNCML_DM)) => {}
        Some(AppId::Text(t)) if t.eq_ignore_ascii_case(APP_ID_SYNCML_DM_TEXT) => {
            broken.push(Error::new(at, ErrorKind::ApplicationIdAsText))
        }
        Some(other) => broken.push(Error::new(
            at,
            ErrorKind::WrongApplicationId {
                found: other.to_string(),
            },
        )),
        None => broken.push(Error::new(at, ErrorKind::MissingApplicationId)),
    }
    if push.headers_len > MAX_HEADERS_LEN {
        broken.push(Error::new(
            at,
            ErrorKind::HeadersTooLong {
                length: push.headers_len,
            },
        ));
    }
    broken
}

/// Builds a push PDU, conformant by default (`PushBuilder::new(format)`), or with any header
/// choice a framing case needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushBuilder {
    pub tid: u8,
    pub content_type: ContentType,
    /// Encoded headers placed between the content type and the application id.
    pub extra_headers: Vec<u8>,
    pub app_id: Option<AppId>,
}

impl PushBuilder {
    pub fn new(format: Format) -> PushBuilder {
        PushBuilder {
            tid: 0x01,
            content_type: ContentType::Code(format.wsp_code()),
            extra_headers: Vec::new(),
            app_id: Some(AppId::Code(APP_ID_SYNCML_DM)),
        }
    }

    /// The content type and headers block (what HeadersLen counts).
    pub fn headers(&self) -> Vec<u8> {
        let mut h = Vec::new();
        self.content_type.encode(&mut h);
        h.extend_from_slice(&self.extra_headers);
        if let Some(id) = &self.app_id {
            h.push(0x80 | FIELD_APPLICATION_ID);
            id.encode(&mut h);
        }
        h
    }

    pub fn encode(&self, body: &[u8]) -> Vec<u8> {
        let headers = self.headers();
        let mut out = Vec::with_capacity(8 + headers.len() + body.len());
        out.push(self.tid);
        out.push(PDU_PUSH);
        write_uintvar(headers.len() as u32, &mut out);
        out.extend_from_slice(&headers);
        out.extend_from_slice(body);
        out
    }
}

/// A content type's text for a format, as the text form of the header carries it.
pub fn text_content_type(format: Format) -> ContentType {
    ContentType::Text(match format {
        Format::V12 => CONTENT_TYPE_V12.to_owned(),
        Format::V13 => CONTENT_TYPE_V13.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[test]
    fn notes_example_decodes_and_routes() {
        let pdu = [0x01, 0x06, 0x03, 0xD8, 0xAF, 0x87, 0xAA, 0xBB];
        let push = decode(&pdu).unwrap();
        assert_eq!(push.tid, 1);
        assert_eq!(push.content_type, ContentType::Code(0x58));
        assert_eq!(push.app_id, Some(AppId::Code(7)));
        assert_eq!(push.body, &[0xAA, 0xBB]);
        assert_eq!(push.body_offset, 6);
        assert_eq!(route(&push), Ok(Format::V13));
        assert!(sender_rules(&push).is_empty());
        assert_eq!(PushBuilder::new(Format::V13).encode(&[0xAA, 0xBB]), pdu);
    }

    #[test]
    fn extra_headers_are_skipped() {
        let mut b = PushBuilder::new(Format::V12);
        // Content-Length (0x0D) short integer, an application header, X-Wap-Initiator-URI text.
        b.extra_headers = [&[0x8D, 0x9C][..], b"X-Foo\0bar\0", &[0xB2], b"http://x\0"].concat();
        let pdu = b.encode(b"body");
        let push = decode(&pdu).unwrap();
        assert_eq!(route(&push), Ok(Format::V12));
        assert_eq!(push.body, b"body");
    }

    #[test]
    fn text_forms_route_but_break_sender_rules() {
        let mut b = PushBuilder::new(Format::V13);
        b.content_type = text_content_type(Format::V13);
        b.app_id = Some(AppId::Text(APP_ID_SYNCML_DM_TEXT.into()));
        let pdu = b.encode(b"x");
        let push = decode(&pdu).unwrap();
        assert_eq!(route(&push), Ok(Format::V13));
        let kinds: Vec<_> = sender_rules(&push)
            .into_iter()
            .map(|e| e.kind.name())
            .collect();
        // Both texts together (38 + 28 bytes) cannot fit in 48 bytes of headers either.
        assert_eq!(
            kinds,
            [
                "content-type-as-text",
                "application-id-as-text",
                "headers-too-long"
            ]
        );
    }

    #[test]
    fn long_headers_and_long_app_id_codes() {
        let mut b = PushBuilder::new(Format::V13);
        b.extra_headers = [&[0x80 | 0x30][..], &[b'a'; 50], &[0]].concat();
        b.app_id = Some(AppId::Code(0x9000));
        let pdu = b.encode(b"x");
        let push = decode(&pdu).unwrap();
        assert_eq!(push.app_id, Some(AppId::Code(0x9000)));
        let kinds: Vec<_> = sender_rules(&push)
            .into_iter()
            .map(|e| e.kind.name())
            .collect();
        assert_eq!(kinds, ["wrong-application-id", "headers-too-long"]);
    }

    #[rstest]
    #[case(&[], "truncated")]
    #[case(&[0x01], "truncated")]
    #[case(&[0x01, 0x07, 0x01, 0xD8], "not-push")]
    #[case(&[0x01, 0x06, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], "bad-uintvar")]
    #[case(&[0x01, 0x06, 0x09, 0xD8, 0xAF, 0x87], "headers-overrun")]
    #[case(&[0x01, 0x06, 0x00], "bad-content-type")]
    #[case(&[0x01, 0x06, 0x02, 0xD8, 0xAF], "bad-header")]
    fn structural_errors(#[case] pdu: &[u8], #[case] kind: &str) {
        assert_eq!(decode(pdu).unwrap_err().kind.name(), kind);
    }

    #[rstest]
    #[case(&[0x01, 0x06, 0x01, 0xD8], "missing-application-id")]
    #[case(&[0x01, 0x06, 0x03, 0xD8, 0xAF, 0x82], "wrong-application-id")]
    #[case(&[0x01, 0x06, 0x03, 0xBE, 0xAF, 0x87], "not-dm-content-type")]
    fn routing_errors(#[case] pdu: &[u8], #[case] kind: &str) {
        let push = decode(pdu).unwrap();
        assert_eq!(route(&push).unwrap_err().kind.name(), kind);
    }

    proptest! {
        #[test]
        fn uintvar_round_trips(v in any::<u32>()) {
            let mut out = Vec::new();
            write_uintvar(v, &mut out);
            prop_assert!(out.len() <= 5);
            prop_assert_eq!(read_uintvar(&mut Reader::new(&out)), Some(v));
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            if let Ok(push) = decode(&bytes) {
                let _ = route(&push);
                let _ = sender_rules(&push);
            }
        }
    }
}
