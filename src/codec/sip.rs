//! Package #0 over SIP push (seed 7.3): the device registers with the SIP/IP core, and the server
//! delivers the notification as a SIP `MESSAGE` (RFC 3428, pager mode) whose body is the binary
//! Package #0, with `Content-Type: application/vnd.syncml.dm.notification` in text form and the
//! `g.oma.eventappid` media feature tag set to `syncml.dm`.
//!
//! Only the subset of RFC 3261 these need is read here: a start line, header fields (compact forms
//! and folded lines included), and a body bounded by Content-Length. Written by hand rather than
//! with a SIP crate: the one maintained-looking candidate (`rsip` 0.4.0) publishes no licence in its
//! crate metadata and reports no byte offsets, and every error here must name one. Pure functions
//! of bytes, like the rest of the codec; the links own the sockets.

use super::Format;
use super::error::{DecodeError, Rule};
use std::fmt;

/// The media feature tag 7.3 names, as it appears on a Contact or in Accept-Contact (RFC 3840).
pub const FEATURE_TAG: &str = "+g.oma.eventappid";
/// Its value for DM.
pub const FEATURE_VALUE: &str = "syncml.dm";
/// A head (start line and headers) longer than this is refused: no SIP request the harness meets
/// needs more, and a hostile peer must not make it buffer without bound.
pub const MAX_HEAD: usize = 8 * 1024;
/// Header fields read at most.
pub const MAX_HEADERS: usize = 64;
/// Largest body accepted. A Package #0 is a few hundred bytes; 64 KiB leaves room for any vendor
/// part and still bounds what a Content-Length can make the harness wait for.
pub const MAX_BODY: usize = 64 * 1024;

pub type Error = DecodeError<ErrorKind>;

/// Rules of the SIP framing, in the order a reader meets them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    HeadTooLong,
    BadStartLine { reason: String },
    BadHeader { reason: String },
    TooManyHeaders,
    BadContentLength { found: String },
    BodyTooLong { declared: usize },
    MissingContentLength,
    ShortBody { declared: usize, present: usize },
    NotMessage { method: String },
    MissingContentType,
    NotDmContentType { found: String },
    MissingFeatureTag,
    WrongFeatureTag { found: String },
    NotRegister { method: String },
    MissingContact,
    ContactWithoutFeatureTag { contact: String },
    GruuNotUsed,
}

impl Rule for ErrorKind {
    fn name(&self) -> &'static str {
        match self {
            ErrorKind::HeadTooLong => "head-too-long",
            ErrorKind::BadStartLine { .. } => "bad-start-line",
            ErrorKind::BadHeader { .. } => "bad-header",
            ErrorKind::TooManyHeaders => "too-many-headers",
            ErrorKind::BadContentLength { .. } => "bad-content-length",
            ErrorKind::BodyTooLong { .. } => "body-too-long",
            ErrorKind::MissingContentLength => "missing-content-length",
            ErrorKind::ShortBody { .. } => "short-body",
            ErrorKind::NotMessage { .. } => "not-message",
            ErrorKind::MissingContentType => "missing-content-type",
            ErrorKind::NotDmContentType { .. } => "not-dm-content-type",
            ErrorKind::MissingFeatureTag => "missing-feature-tag",
            ErrorKind::WrongFeatureTag { .. } => "wrong-feature-tag",
            ErrorKind::NotRegister { .. } => "not-register",
            ErrorKind::MissingContact => "missing-contact",
            ErrorKind::ContactWithoutFeatureTag { .. } => "contact-without-feature-tag",
            ErrorKind::GruuNotUsed => "gruu-not-used",
        }
    }

    fn section(&self) -> &'static str {
        match self {
            ErrorKind::HeadTooLong | ErrorKind::TooManyHeaders | ErrorKind::BodyTooLong { .. } => {
                "7.3 (harness bound)"
            }
            ErrorKind::BadStartLine { .. } | ErrorKind::BadHeader { .. } => "7.3, RFC 3261 7",
            ErrorKind::BadContentLength { .. } => "7.3, RFC 3261 20.14",
            ErrorKind::MissingContentLength | ErrorKind::ShortBody { .. } => "7.3, RFC 3261 18.3",
            ErrorKind::NotMessage { .. } => "7.3",
            ErrorKind::MissingContentType | ErrorKind::NotDmContentType { .. } => "7.3",
            ErrorKind::MissingFeatureTag | ErrorKind::WrongFeatureTag { .. } => "7.3",
            ErrorKind::NotRegister { .. } | ErrorKind::MissingContact => "7.3, RFC 3261 10",
            ErrorKind::ContactWithoutFeatureTag { .. } => "7.3",
            ErrorKind::GruuNotUsed => "7.3, RFC 5627 4.1",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::HeadTooLong => write!(f, "no end of headers in {MAX_HEAD} bytes"),
            ErrorKind::BadStartLine { reason } => write!(f, "bad start line: {reason}"),
            ErrorKind::BadHeader { reason } => write!(f, "bad header field: {reason}"),
            ErrorKind::TooManyHeaders => write!(f, "more than {MAX_HEADERS} header fields"),
            ErrorKind::BadContentLength { found } => {
                write!(f, "Content-Length {found:?} is not a number")
            }
            ErrorKind::BodyTooLong { declared } => {
                write!(
                    f,
                    "Content-Length {declared} is over the {MAX_BODY}-byte bound"
                )
            }
            ErrorKind::MissingContentLength => f.write_str(
                "no Content-Length on a stream transport; \"The Content-Length header field MUST be used with stream oriented transports.\"",
            ),
            ErrorKind::ShortBody { declared, present } => write!(
                f,
                "Content-Length {declared}, {present} bytes present; \"If the transport packet ends before the end of the message body, this is considered an error.\""
            ),
            ErrorKind::NotMessage { method } => write!(
                f,
                "method {method}; \"\\\"SIP MESSAGE method (Pager-Mode)\\\" SHALL be used to deliver the Package #0 message.\""
            ),
            ErrorKind::MissingContentType => f.write_str("no Content-Type header field"),
            ErrorKind::NotDmContentType { found } => write!(
                f,
                "Content-Type {found:?}; \"The Content-Type MUST be used '*application/vnd.syncml.dm.notification*' in text format.\""
            ),
            ErrorKind::MissingFeatureTag => write!(
                f,
                "no {FEATURE_TAG} in Accept-Contact; \"\\\"syncml.dm\\\" SHALL be used for \\\"g.oma.eventappid\\\" media feature tag.\""
            ),
            ErrorKind::WrongFeatureTag { found } => write!(
                f,
                "{FEATURE_TAG}={found}; \"\\\"syncml.dm\\\" SHALL be used for \\\"g.oma.eventappid\\\" media feature tag.\""
            ),
            ErrorKind::NotRegister { method } => write!(f, "method {method}, not REGISTER"),
            ErrorKind::MissingContact => f.write_str("a REGISTER without a Contact"),
            ErrorKind::ContactWithoutFeatureTag { contact } => write!(
                f,
                "Contact {contact:?} lacks {FEATURE_TAG}=\"{FEATURE_VALUE}\"; \"\\\"syncml.dm\\\" SHALL be used for \\\"g.oma.eventappid\\\" media feature tag.\""
            ),
            ErrorKind::GruuNotUsed => f.write_str(
                "the device says Supported: gruu but its Contact has no +sip.instance; \"If GRUU [RFC5627] is supported on the device, then it MUST be used in the registration process.\"",
            ),
        }
    }
}

/// The transport a SIP message came over: it decides how its body ends (RFC 3261 18.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SipTransport {
    Udp,
    Tcp,
}

impl SipTransport {
    pub fn as_str(self) -> &'static str {
        match self {
            SipTransport::Udp => "UDP",
            SipTransport::Tcp => "TCP",
        }
    }
}

/// A request's method and Request-URI, or a response's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    Request { method: String, uri: String },
    Response { code: u16, reason: String },
}

/// One SIP message as read off the wire. Header names are kept as sent; [`SipMessage::header`]
/// looks them up by full or compact name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipMessage<'a> {
    pub start: StartLine,
    pub headers: Vec<(String, String)>,
    /// Offset of the body in the bytes given to [`parse`].
    pub body_offset: usize,
    pub body: &'a [u8],
    /// Bytes of a datagram past the declared body: discarded, as RFC 3261 18.3 says, and
    /// reported so a check can see a body longer than its Content-Length.
    pub trailing: usize,
}

/// What [`parse`] found: a whole message and the bytes it took, or a need for more (streams only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<'a> {
    Complete(SipMessage<'a>, usize),
    Partial,
}

/// The compact form of a header name (RFC 3261 7.3.3, RFC 3841 for `a`).
fn compact(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_lowercase().as_str() {
        "c" => "Content-Type",
        "l" => "Content-Length",
        "i" => "Call-ID",
        "f" => "From",
        "t" => "To",
        "v" => "Via",
        "m" => "Contact",
        "k" => "Supported",
        "a" => "Accept-Contact",
        "s" => "Subject",
        "e" => "Content-Encoding",
        _ => return None,
    })
}

fn same_header(sent: &str, wanted: &str) -> bool {
    sent.eq_ignore_ascii_case(wanted) || compact(sent).is_some_and(|full| full == wanted)
}

impl SipMessage<'_> {
    /// The first value of a header, by its full name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| same_header(n, name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header, comma-separated lists split where the field allows it.
    pub fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.headers
            .iter()
            .filter(move |(n, _)| same_header(n, name))
            .flat_map(|(_, v)| split_list(v))
    }

    pub fn method(&self) -> Option<&str> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match &self.start {
            StartLine::Response { code, .. } => Some(*code),
            StartLine::Request { .. } => None,
        }
    }
}

/// Splits a header value at `sep` where it stands outside quotes and angle brackets (a quoted
/// `+sip.instance="<urn:...>"` or a `<sip:a;b>` keeps its separators).
fn split_outside(value: &str, sep: u8) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut angled) = (0, false, false);
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b'<' if !quoted => angled = true,
            b'>' if !quoted => angled = false,
            b if b == sep && !quoted && !angled => {
                out.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&value[start..]);
    out
}

/// Splits a header value into its comma-separated elements.
fn split_list(value: &str) -> Vec<&str> {
    split_outside(value, b',')
        .into_iter()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

/// The parameters after the first `;` outside quotes and angle brackets: `(name, value)`, values
/// unquoted.
pub fn params(value: &str) -> Vec<(String, Option<String>)> {
    split_outside(value, b';')
        .into_iter()
        .skip(1)
        .filter_map(|p| {
            let p = p.trim();
            if p.is_empty() {
                return None;
            }
            Some(match p.split_once('=') {
                Some((n, v)) => (
                    n.trim().to_owned(),
                    Some(v.trim().trim_matches('"').to_owned()),
                ),
                None => (p.to_owned(), None),
            })
        })
        .collect()
}

/// The value of the `g.oma.eventappid` tag among a header value's parameters, if present
/// (`Some(None)` for the tag without a value).
pub fn feature_tag(value: &str) -> Option<Option<String>> {
    params(value)
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(FEATURE_TAG))
        .map(|(_, v)| v)
}

/// Whether a feature tag value (a quoted list in RFC 3840) names `syncml.dm`.
fn names_dm(value: &str) -> bool {
    value.split(',').any(|v| {
        v.trim()
            .trim_matches('"')
            .eq_ignore_ascii_case(FEATURE_VALUE)
    })
}

fn bad_start(reason: &str) -> Error {
    Error::new(
        0,
        ErrorKind::BadStartLine {
            reason: reason.to_owned(),
        },
    )
}

fn parse_start(line: &str) -> Result<StartLine, Error> {
    if let Some(rest) = line.strip_prefix("SIP/2.0 ") {
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        let code: u16 = code
            .parse()
            .ok()
            .filter(|c| (100..700).contains(c))
            .ok_or_else(|| bad_start("a status line without a status code 100-699"))?;
        return Ok(StartLine::Response {
            code,
            reason: reason.to_owned(),
        });
    }
    let mut parts = line.split(' ');
    let (Some(method), Some(uri), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad_start("not `METHOD Request-URI SIP/2.0`"));
    };
    if version != "SIP/2.0" {
        return Err(bad_start("the version is not SIP/2.0"));
    }
    if method.is_empty()
        || !method
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b))
    {
        return Err(bad_start("the method is not a token"));
    }
    if uri.is_empty() {
        return Err(bad_start("no Request-URI"));
    }
    Ok(StartLine::Request {
        method: method.to_owned(),
        uri: uri.to_owned(),
    })
}

/// Reads one SIP message from the front of `bytes`. Over UDP the datagram is the message: a body
/// shorter than its Content-Length is an error, bytes past it are discarded and counted. Over TCP
/// Content-Length is required and the message ends there; [`Parsed::Partial`] asks for more.
pub fn parse(bytes: &[u8], transport: SipTransport) -> Result<Parsed<'_>, Error> {
    let window = &bytes[..bytes.len().min(MAX_HEAD)];
    let Some(end) = window.windows(4).position(|w| w == b"\r\n\r\n") else {
        if bytes.len() >= MAX_HEAD {
            return Err(Error::new(0, ErrorKind::HeadTooLong));
        }
        return match transport {
            SipTransport::Tcp => Ok(Parsed::Partial),
            SipTransport::Udp => Err(bad_start("the datagram ends inside the headers")),
        };
    };
    let head = std::str::from_utf8(&bytes[..end]).map_err(|e| {
        Error::new(
            e.valid_up_to(),
            ErrorKind::BadHeader {
                reason: "not UTF-8".into(),
            },
        )
    })?;
    // RFC 3261 25.1: no header octet is NUL (a peer's NUL would cut a C reader's value short).
    if let Some(at) = head.find('\0') {
        return Err(Error::new(
            at,
            ErrorKind::BadHeader {
                reason: "a NUL byte in the headers".into(),
            },
        ));
    }
    let mut lines = head.split("\r\n");
    let start = parse_start(lines.next().unwrap_or(""))?;
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut offset = head.find("\r\n").map_or(head.len(), |n| n + 2);
    for line in lines {
        let at = offset;
        offset += line.len() + 2;
        if line.starts_with([' ', '\t']) {
            // A folded line continues the previous field (RFC 3261 7.3.1).
            let Some(last) = headers.last_mut() else {
                return Err(Error::new(
                    at,
                    ErrorKind::BadHeader {
                        reason: "a continuation line before any header".into(),
                    },
                ));
            };
            last.1.push(' ');
            last.1.push_str(line.trim());
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(Error::new(
                at,
                ErrorKind::BadHeader {
                    reason: format!("{line:?} has no colon"),
                },
            ));
        };
        let name = name.trim();
        if name.is_empty() || name.contains(' ') {
            return Err(Error::new(
                at,
                ErrorKind::BadHeader {
                    reason: format!("{name:?} is not a header name"),
                },
            ));
        }
        if headers.len() == MAX_HEADERS {
            return Err(Error::new(at, ErrorKind::TooManyHeaders));
        }
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    let body_offset = end + 4;
    // Two Content-Lengths that a reader would resolve one way and a proxy the other: refused
    // (RFC 3261 7.3.1 allows one field, not a list, for it).
    if headers
        .iter()
        .filter(|(n, _)| same_header(n, "Content-Length"))
        .count()
        > 1
    {
        return Err(Error::new(
            body_offset,
            ErrorKind::BadHeader {
                reason: "Content-Length appears more than once".into(),
            },
        ));
    }
    let declared = match headers
        .iter()
        .find(|(n, _)| same_header(n, "Content-Length"))
    {
        None => None,
        Some((_, v)) => Some(v.parse::<usize>().map_err(|_| {
            Error::new(
                body_offset,
                ErrorKind::BadContentLength { found: v.clone() },
            )
        })?),
    };
    if let Some(n) = declared
        && n > MAX_BODY
    {
        return Err(Error::new(
            body_offset,
            ErrorKind::BodyTooLong { declared: n },
        ));
    }
    let rest = &bytes[body_offset..];
    let (body, trailing, consumed) = match (transport, declared) {
        (SipTransport::Udp, None) => (rest, 0, bytes.len()),
        (SipTransport::Udp, Some(n)) => {
            let body = rest.get(..n).ok_or(Error::new(
                body_offset,
                ErrorKind::ShortBody {
                    declared: n,
                    present: rest.len(),
                },
            ))?;
            (body, rest.len() - n, bytes.len())
        }
        (SipTransport::Tcp, None) => {
            return Err(Error::new(body_offset, ErrorKind::MissingContentLength));
        }
        (SipTransport::Tcp, Some(n)) => match rest.get(..n) {
            Some(body) => (body, 0, body_offset + n),
            None => return Ok(Parsed::Partial),
        },
    };
    Ok(Parsed::Complete(
        SipMessage {
            start,
            headers,
            body_offset,
            body,
            trailing,
        },
        consumed,
    ))
}

/// Parses a whole datagram (or a whole captured message).
pub fn parse_datagram(bytes: &[u8]) -> Result<SipMessage<'_>, Error> {
    match parse(bytes, SipTransport::Udp)? {
        Parsed::Complete(m, _) => Ok(m),
        Parsed::Partial => Err(bad_start("incomplete")),
    }
}

/// A Package #0 as a device receives it over SIP push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipPush<'a> {
    pub format: Format,
    pub request_uri: String,
    pub message_offset: usize,
    pub message: &'a [u8],
    /// Bytes past Content-Length in the datagram (discarded).
    pub trailing: usize,
}

/// Judges a received request as 7.3's delivery of a Package #0: method, content type, feature tag.
/// The first broken rule is the error, like the other framings' decoders.
pub fn decode_push<'a>(message: &SipMessage<'a>) -> Result<SipPush<'a>, Error> {
    let StartLine::Request { method, uri } = &message.start else {
        return Err(bad_start("a response, not a request"));
    };
    if method != "MESSAGE" {
        return Err(Error::new(
            0,
            ErrorKind::NotMessage {
                method: method.clone(),
            },
        ));
    }
    let content_type = message
        .header("Content-Type")
        .ok_or(Error::new(0, ErrorKind::MissingContentType))?;
    let bare = content_type.split(';').next().unwrap_or("").trim();
    let format = Format::from_content_type(bare).ok_or_else(|| {
        Error::new(
            0,
            ErrorKind::NotDmContentType {
                found: content_type.to_owned(),
            },
        )
    })?;
    let tag = message
        .header_values("Accept-Contact")
        .find_map(feature_tag)
        .ok_or(Error::new(0, ErrorKind::MissingFeatureTag))?;
    match tag {
        Some(v) if names_dm(&v) => {}
        other => {
            return Err(Error::new(
                0,
                ErrorKind::WrongFeatureTag {
                    found: other.unwrap_or_default(),
                },
            ));
        }
    }
    Ok(SipPush {
        format,
        request_uri: uri.clone(),
        message_offset: message.body_offset,
        message: message.body,
        trailing: message.trailing,
    })
}

/// Every rule of 7.3 a received request breaks, not only the first: the server role reports each
/// as an observation and still judges the body as a Package #0 when there is one.
pub fn sender_rules(message: &SipMessage<'_>) -> Vec<Error> {
    let mut out = Vec::new();
    if let Some(method) = message.method()
        && method != "MESSAGE"
    {
        out.push(Error::new(
            0,
            ErrorKind::NotMessage {
                method: method.to_owned(),
            },
        ));
    }
    match message.header("Content-Type") {
        None => out.push(Error::new(0, ErrorKind::MissingContentType)),
        Some(ct)
            if Format::from_content_type(ct.split(';').next().unwrap_or("").trim()).is_none() =>
        {
            out.push(Error::new(
                0,
                ErrorKind::NotDmContentType {
                    found: ct.to_owned(),
                },
            ))
        }
        Some(_) => {}
    }
    match message
        .header_values("Accept-Contact")
        .find_map(feature_tag)
    {
        None => out.push(Error::new(0, ErrorKind::MissingFeatureTag)),
        Some(Some(v)) if names_dm(&v) => {}
        Some(other) => out.push(Error::new(
            0,
            ErrorKind::WrongFeatureTag {
                found: other.unwrap_or_default(),
            },
        )),
    }
    out
}

/// Parses and judges a whole MESSAGE datagram (for files, captures and the CLI).
pub fn decode_request(bytes: &[u8]) -> Result<SipPush<'_>, Error> {
    decode_push(&parse_datagram(bytes)?)
}

/// What a device's REGISTER told the registrar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The Contact URI, without its angle brackets.
    pub contact: String,
    /// `+sip.instance`, when the device gave one (RFC 5627).
    pub instance: Option<String>,
    pub supports_gruu: bool,
    pub expires: Option<u32>,
}

/// Judges a REGISTER by 7.3's rules: a Contact carrying the DM feature tag, and GRUU used when the
/// device supports it. Returns the binding the registrar stores.
pub fn check_register(message: &SipMessage<'_>) -> Result<Registration, Error> {
    let method = message.method().unwrap_or("(a response)");
    if method != "REGISTER" {
        return Err(Error::new(
            0,
            ErrorKind::NotRegister {
                method: method.to_owned(),
            },
        ));
    }
    let contact = message
        .header_values("Contact")
        .next()
        .ok_or(Error::new(0, ErrorKind::MissingContact))?
        .to_owned();
    match feature_tag(&contact) {
        Some(Some(v)) if names_dm(&v) => {}
        _ => {
            return Err(Error::new(
                0,
                ErrorKind::ContactWithoutFeatureTag { contact },
            ));
        }
    }
    let supports_gruu = message
        .header_values("Supported")
        .any(|o| o.eq_ignore_ascii_case("gruu"));
    let contact_params = params(&contact);
    let instance = contact_params
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("+sip.instance"))
        .and_then(|(_, v)| v.clone());
    if supports_gruu && instance.is_none() {
        return Err(Error::new(0, ErrorKind::GruuNotUsed));
    }
    let expires = contact_params
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("expires"))
        .and_then(|(_, v)| v.as_deref()?.parse().ok())
        .or_else(|| message.header("Expires")?.parse().ok());
    Ok(Registration {
        contact: contact_uri(&contact).to_owned(),
        instance,
        supports_gruu,
        expires,
    })
}

/// The URI of a name-addr (`"x" <sip:a@b>;p`) or addr-spec (`sip:a@b;p`).
pub fn contact_uri(value: &str) -> &str {
    if let (Some(open), Some(close)) = (value.find('<'), value.find('>'))
        && open < close
    {
        return &value[open + 1..close];
    }
    value.split(';').next().unwrap_or(value).trim()
}

/// How a MESSAGE carrying Package #0 is built. `None`s mean what 7.3 says; the overrides build the
/// wrong ones on purpose.
#[derive(Debug, Clone)]
pub struct MessageSpec<'a> {
    pub request_uri: &'a str,
    pub from: &'a str,
    /// `host:port` for the Via header: where responses come back.
    pub via: &'a str,
    pub transport: SipTransport,
    pub call_id: &'a str,
    pub branch: &'a str,
    /// The From tag (RFC 3261 19.3: random, at least 32 bits; the sender chooses it).
    pub from_tag: &'a str,
    pub cseq: u32,
    pub format: Format,
    pub content_type: Option<&'a str>,
    pub feature_tag: bool,
    /// A Content-Length other than the body's.
    pub content_length: Option<usize>,
}

impl<'a> MessageSpec<'a> {
    pub fn new(request_uri: &'a str, from: &'a str, via: &'a str) -> Self {
        MessageSpec {
            request_uri,
            from,
            via,
            transport: SipTransport::Udp,
            call_id: "dmnoti-1",
            branch: "z9hG4bKdmnoti1",
            from_tag: "dmnoti",
            cseq: 1,
            format: Format::V13,
            content_type: None,
            feature_tag: true,
            content_length: None,
        }
    }
}

/// A `MESSAGE` request carrying `body` (seed 7.3, RFC 3428).
pub fn message_request(spec: &MessageSpec<'_>, body: &[u8]) -> Vec<u8> {
    let content_type = spec.content_type.unwrap_or(spec.format.content_type());
    let accept = if spec.feature_tag {
        format!("Accept-Contact: *;{FEATURE_TAG}=\"{FEATURE_VALUE}\"\r\n")
    } else {
        String::new()
    };
    let mut out = format!(
        "MESSAGE {uri} SIP/2.0\r\n\
         Via: SIP/2.0/{t} {via};branch={branch};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <{from}>;tag={tag}\r\n\
         To: <{uri}>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: {cseq} MESSAGE\r\n\
         {accept}\
         Content-Type: {content_type}\r\n\
         Content-Length: {len}\r\n\r\n",
        uri = spec.request_uri,
        t = spec.transport.as_str(),
        via = spec.via,
        branch = spec.branch,
        from = spec.from,
        tag = spec.from_tag,
        call_id = spec.call_id,
        cseq = spec.cseq,
        len = spec.content_length.unwrap_or(body.len()),
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// How a REGISTER is built (RFC 3261 10.2). The defaults keep 7.3's rules; the overrides break
/// them on purpose (the reference client's faults).
#[derive(Debug, Clone)]
pub struct RegisterSpec<'a> {
    /// The registrar's URI (`sip:HOST:PORT`): the Request-URI.
    pub registrar: &'a str,
    /// The address of record: From and To.
    pub aor: &'a str,
    /// Where the device takes requests (a SIP URI without brackets).
    pub contact: &'a str,
    pub via: &'a str,
    pub transport: SipTransport,
    pub call_id: &'a str,
    pub branch: &'a str,
    /// The From tag (RFC 3261 19.3).
    pub from_tag: &'a str,
    pub cseq: u32,
    pub expires: u32,
    /// The DM feature tag on the Contact.
    pub feature_tag: bool,
    /// `Supported: gruu` (RFC 5627); with `instance`, the `+sip.instance` it asks a GRUU for.
    pub gruu: bool,
    pub instance: Option<&'a str>,
}

impl<'a> RegisterSpec<'a> {
    pub fn new(registrar: &'a str, aor: &'a str, contact: &'a str, via: &'a str) -> Self {
        RegisterSpec {
            registrar,
            aor,
            contact,
            via,
            transport: SipTransport::Udp,
            call_id: "dmnoti-reg-1",
            branch: "z9hG4bKdmnotireg1",
            from_tag: "dmnoti",
            cseq: 1,
            expires: 3600,
            feature_tag: true,
            gruu: false,
            instance: None,
        }
    }
}

/// A `REGISTER` binding `contact` to `aor`, the DM feature tag on the Contact (7.3).
pub fn register_request(spec: &RegisterSpec<'_>) -> Vec<u8> {
    let mut contact = format!("<{}>", spec.contact);
    if spec.feature_tag {
        contact.push_str(&format!(";{FEATURE_TAG}=\"{FEATURE_VALUE}\""));
    }
    if let Some(i) = spec.instance {
        contact.push_str(&format!(";+sip.instance=\"{i}\""));
    }
    let supported = if spec.gruu { "Supported: gruu\r\n" } else { "" };
    format!(
        "REGISTER {registrar} SIP/2.0\r\n\
         Via: SIP/2.0/{t} {via};branch={branch};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <{aor}>;tag={tag}\r\n\
         To: <{aor}>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: {cseq} REGISTER\r\n\
         Contact: {contact}\r\n\
         {supported}\
         Expires: {expires}\r\n\
         Content-Length: 0\r\n\r\n",
        registrar = spec.registrar,
        t = spec.transport.as_str(),
        via = spec.via,
        branch = spec.branch,
        aor = spec.aor,
        tag = spec.from_tag,
        call_id = spec.call_id,
        cseq = spec.cseq,
        expires = spec.expires,
    )
    .into_bytes()
}

/// Where a SIP URI points: its host and port (5060 when absent) and its `transport` parameter
/// (RFC 3263 4.1 with the URI's own port, no DNS lookups: a lab names addresses).
pub fn uri_target(uri: &str) -> Option<(String, u16, Option<SipTransport>)> {
    let rest = uri
        .strip_prefix("sip:")
        .or_else(|| uri.strip_prefix("SIP:"))?;
    let mut parts = split_outside(rest, b';').into_iter();
    let hostport = parts.next()?;
    let hostport = hostport.rsplit_once('@').map_or(hostport, |(_, h)| h);
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (h, after) = v6.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => 5060,
            None => return None,
        };
        (h.to_owned(), port)
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h.to_owned(), p.parse().ok()?),
            None => (hostport.to_owned(), 5060),
        }
    };
    if host.is_empty() {
        return None;
    }
    let transport = parts.find_map(|p| {
        let (n, v) = p.split_once('=')?;
        if !n.trim().eq_ignore_ascii_case("transport") {
            return None;
        }
        match v.trim().to_ascii_lowercase().as_str() {
            "tcp" => Some(SipTransport::Tcp),
            "udp" => Some(SipTransport::Udp),
            _ => None,
        }
    });
    Some((host, port, transport))
}

/// RFC 3261 18.1.1: "If a request is within 200 bytes of the path MTU, or if it is larger than
/// 1300 bytes and the path MTU is unknown, the request MUST be sent using an RFC 2914 congestion
/// controlled transport protocol, such as TCP."
pub const UDP_LIMIT: usize = 1300;

/// A response to `request` with `code` (RFC 3261 8.2.6): Via, From, Call-ID and CSeq copied, a To
/// tag added when missing, no body. `extra` lines are appended as they are (each ending in CRLF).
/// (The element answers with [`response_to`]: its own tag, and `rport` answered.)
pub fn response(request: &SipMessage<'_>, code: u16, reason: &str, extra: &str) -> Vec<u8> {
    response_to(request, None, "dmnoti", code, reason, extra)
}

/// [`response`], with the UAS's own To tag (RFC 3261 8.2.6.2: random, the same for every
/// retransmission of the request) and, for a request from `source` whose top Via asks for
/// `rport`, that Via given `received` and `rport` with the source's address and port (RFC 3581
/// 4: "the server MUST insert a received parameter ... In addition, the server MUST insert an
/// rport parameter with the source port").
pub fn response_to(
    request: &SipMessage<'_>,
    source: Option<std::net::SocketAddr>,
    to_tag: &str,
    code: u16,
    reason: &str,
    extra: &str,
) -> Vec<u8> {
    let mut out = format!("SIP/2.0 {code} {reason}\r\n");
    let mut top = true;
    for (name, value) in &request.headers {
        if same_header(name, "Via") {
            // A Via header may hold several, comma-separated: the top one is the first.
            let value = match (top, source) {
                (true, Some(from)) => answer_rport(value, from),
                _ => (*value).to_owned(),
            };
            top = false;
            out.push_str(&format!("Via: {value}\r\n"));
        }
    }
    for name in ["From", "Call-ID", "CSeq"] {
        if let Some(v) = request.header(name) {
            out.push_str(&format!("{name}: {v}\r\n"));
        }
    }
    if let Some(to) = request.header("To") {
        if params(to)
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("tag"))
        {
            out.push_str(&format!("To: {to}\r\n"));
        } else {
            out.push_str(&format!("To: {to};tag={to_tag}\r\n"));
        }
    }
    out.push_str(extra);
    out.push_str("Content-Length: 0\r\n\r\n");
    out.into_bytes()
}

/// The first via-parm of a Via value with `rport` (valueless) answered for `from`, and
/// `received`; unchanged when it does not ask for rport.
fn answer_rport(via: &str, from: std::net::SocketAddr) -> String {
    let parts = split_outside(via, b',');
    let Some(first) = parts.first() else {
        return via.to_owned();
    };
    let mut params: Vec<String> = split_outside(first, b';')
        .into_iter()
        .map(|p| p.trim().to_owned())
        .collect();
    let asks = params
        .iter()
        .skip(1)
        .any(|p| p.eq_ignore_ascii_case("rport"));
    if !asks {
        return via.to_owned();
    }
    params.retain(|p| {
        let name = p.split('=').next().unwrap_or("").trim();
        !name.eq_ignore_ascii_case("rport") && !name.eq_ignore_ascii_case("received")
    });
    params.push(format!("received={}", from.ip()));
    params.push(format!("rport={}", from.port()));
    let mut out = params.join(";");
    for rest in parts.iter().skip(1) {
        out.push(',');
        out.push_str(rest);
    }
    out
}

#[cfg(test)]
#[path = "sip_tests.rs"]
mod tests;
