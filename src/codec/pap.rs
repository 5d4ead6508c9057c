//! WAP Push Access Protocol (PAP 2.0) as a DM server uses it to hand a Package #0 to a Push Proxy
//! Gateway, which delivers it as connectionless WAP push over SMS (7.1): an HTTP POST of a
//! `multipart/related` entity whose first part is the PAP control entity (`push-message`, with
//! the device's address and the bearer) and whose second is the push content, with its content
//! type and application id; the PPG answers with a `push-response` whose `response-result` code
//! says whether it took the push (1000 or 1001: accepted).
//!
//! Only what that exchange needs is built and read here; pure functions of bytes.

use super::Format;
use super::error::{DecodeError, Rule};
use std::fmt;

pub type Error = DecodeError<ErrorKind>;

/// Rules of a push-message as a PPG reads it (PAP 2.0; WAP-247 PAP 8), then 7.1's on its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    NotMultipart { found: String },
    NoBoundary,
    MissingPart { which: &'static str },
    NotPushMessage,
    MissingAddress,
    NotDmContentType { found: String },
    NotDmApplication { found: Option<String> },
}

impl Rule for ErrorKind {
    fn name(&self) -> &'static str {
        match self {
            ErrorKind::NotMultipart { .. } => "not-multipart",
            ErrorKind::NoBoundary => "no-boundary",
            ErrorKind::MissingPart { .. } => "missing-part",
            ErrorKind::NotPushMessage => "not-push-message",
            ErrorKind::MissingAddress => "missing-address",
            ErrorKind::NotDmContentType { .. } => "not-dm-content-type",
            ErrorKind::NotDmApplication { .. } => "not-dm-application",
        }
    }

    fn section(&self) -> &'static str {
        match self {
            ErrorKind::NotMultipart { .. }
            | ErrorKind::NoBoundary
            | ErrorKind::MissingPart { .. } => "7.1, PAP 2.0 8",
            ErrorKind::NotPushMessage | ErrorKind::MissingAddress => "7.1, PAP 2.0 9.1",
            ErrorKind::NotDmContentType { .. } => "7.1, 6",
            ErrorKind::NotDmApplication { .. } => "7.1.1",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::NotMultipart { found } => write!(
                f,
                "Content-Type {found:?}; a push submission is multipart/related"
            ),
            ErrorKind::NoBoundary => f.write_str("the multipart Content-Type has no boundary"),
            ErrorKind::MissingPart { which } => write!(f, "no {which} part"),
            ErrorKind::NotPushMessage => {
                f.write_str("the control entity is not a PAP push-message")
            }
            ErrorKind::MissingAddress => {
                f.write_str("the push-message names no address (address-value)")
            }
            ErrorKind::NotDmContentType { found } => write!(
                f,
                "the push content is {found:?}; \"The MIME type for this version of DM Notification Message is application/vnd.syncml.dm.notification\""
            ),
            ErrorKind::NotDmApplication { found } => write!(
                f,
                "X-Wap-Application-Id {}; the device takes a push whose \"Application-ID and the MIME type are one assigned to the OMA DM Notification Initiation Package\"",
                found
                    .as_deref()
                    .map_or_else(|| "absent".to_owned(), |v| format!("{v:?}"))
            ),
        }
    }
}

/// The boundary of the multipart entity (it cannot occur in a PAP control entity, and the
/// push content is bounded by the part's own framing).
pub const BOUNDARY: &str = "dmnoti-pap-boundary-6f1c";

/// The application id of DM notifications (7.1.1).
pub const APP_ID: &str = "x-wap-application:syncml.dm";

/// A PAP address for a number over the GSM SMS bearer (PAP 2.0 11, WAP-249 PPG 7.1).
pub fn address(number: &str) -> String {
    format!("WAPPUSH={number}/TYPE=PLMN@ppg.dmnoti")
}

/// The body and Content-Type of a push-message POST: the control entity, then the content.
pub fn push_message(
    push_id: &str,
    number: &str,
    format: Format,
    content_type: Option<&str>,
    content: &[u8],
) -> (String, Vec<u8>) {
    let control = format!(
        "<?xml version=\"1.0\"?>\r\n\
         <!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" \"http://www.wapforum.org/DTD/pap_2.0.dtd\">\r\n\
         <pap><push-message push-id=\"{push_id}\"><address address-value=\"{}\"/>\
         <quality-of-service delivery-method=\"unconfirmed\" network=\"GSM\" bearer=\"SMS\"/>\
         </push-message></pap>",
        address(number)
    );
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Type: application/xml\r\n\r\n{control}\r\n--{BOUNDARY}\r\n\
         Content-Type: {}\r\nX-Wap-Application-Id: {APP_ID}\r\n\r\n",
        content_type.unwrap_or(format.content_type())
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    (
        format!("multipart/related; boundary={BOUNDARY}; type=\"application/xml\""),
        body,
    )
}

/// The `response-result` code of a PPG's push-response (PAP 2.0 9.3), if it has one.
pub fn response_code(xml: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(xml);
    let at = text.find("<response-result")?;
    let rest = &text[at..];
    let code = rest.find("code")?;
    let value = rest[code + 4..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = value.chars().next()?;
    let value = value.strip_prefix(quote)?;
    value.split(quote).next()?.trim().parse().ok()
}

/// Whether a response-result code says the PPG took the push (PAP 2.0 9.13: 1xxx success).
pub fn accepted(code: u16) -> bool {
    (1000..2000).contains(&code)
}

/// A push-message as the PPG received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PapPush {
    pub push_id: Option<String>,
    pub address: String,
    pub content_type: String,
    pub app_id: Option<String>,
    pub content: Vec<u8>,
}

/// One MIME part: its headers and body.
fn split_part(part: &[u8]) -> (Vec<(String, String)>, &[u8]) {
    let end = part
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| {
            part.windows(2)
                .position(|w| w == b"\n\n")
                .map(|i| (i, i + 2))
        });
    let Some((head_end, body_start)) = end else {
        return (Vec::new(), part);
    };
    let headers = String::from_utf8_lossy(&part[..head_end])
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect();
    (headers, &part[body_start..])
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The value of an XML attribute in `text` (`name="v"` or `name='v'`, spaces allowed).
fn attribute(text: &str, name: &str) -> Option<String> {
    let mut rest = text;
    while let Some(at) = rest.find(name) {
        let after = rest[at + name.len()..].trim_start();
        if let Some(value) = after.strip_prefix('=') {
            let value = value.trim_start();
            let quote = value.chars().next()?;
            if quote == '"' || quote == '\'' {
                return value[1..].split(quote).next().map(str::to_owned);
            }
        }
        rest = &rest[at + name.len()..];
    }
    None
}

/// Reads a push submission: the framing errors stop it; the content's rules (type, application
/// id) are left to [`content_rules`].
pub fn parse_push(content_type: &str, body: &[u8]) -> Result<PapPush, Error> {
    let bare = content_type.split(';').next().unwrap_or("").trim();
    if !bare.eq_ignore_ascii_case("multipart/related") {
        return Err(Error::new(
            0,
            ErrorKind::NotMultipart {
                found: content_type.to_owned(),
            },
        ));
    }
    let boundary = content_type
        .split(';')
        .skip(1)
        .find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("boundary")
                .then(|| v.trim().trim_matches('"').to_owned())
        })
        .ok_or(Error::new(0, ErrorKind::NoBoundary))?;
    let delimiter = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut at = 0;
    while let Some(i) = body[at..]
        .windows(delimiter.len())
        .position(|w| w == delimiter.as_slice())
    {
        parts.push(at + i);
        at += i + delimiter.len();
    }
    let mut bodies = Vec::new();
    for pair in parts.windows(2) {
        let start = pair[0] + delimiter.len();
        // The part runs to the CRLF before the next delimiter.
        let mut end = pair[1];
        if body[..end].ends_with(b"\r\n") {
            end -= 2;
        } else if body[..end].ends_with(b"\n") {
            end -= 1;
        }
        let part = &body[start..end];
        let part = part
            .strip_prefix(b"\r\n")
            .or_else(|| part.strip_prefix(b"\n"))
            .unwrap_or(part);
        bodies.push((start, part));
    }
    let (control_at, control) = *bodies.first().ok_or(Error::new(
        0,
        ErrorKind::MissingPart {
            which: "control entity",
        },
    ))?;
    let (_, control_body) = split_part(control);
    let xml = String::from_utf8_lossy(control_body);
    if !xml.contains("<push-message") {
        return Err(Error::new(control_at, ErrorKind::NotPushMessage));
    }
    let address = attribute(&xml, "address-value")
        .ok_or(Error::new(control_at, ErrorKind::MissingAddress))?;
    let push_id = attribute(&xml, "push-id");
    let (_, content) = *bodies.get(1).ok_or(Error::new(
        control_at,
        ErrorKind::MissingPart {
            which: "push content",
        },
    ))?;
    let (headers, content_body) = split_part(content);
    Ok(PapPush {
        push_id,
        address,
        content_type: header(&headers, "Content-Type").unwrap_or("").to_owned(),
        app_id: header(&headers, "X-Wap-Application-Id").map(str::to_owned),
        content: content_body.to_vec(),
    })
}

/// 7.1's rules on the push content: a DM notification type and the DM application id (7.1.1:
/// the device examines both).
pub fn content_rules(push: &PapPush) -> Vec<Error> {
    let mut out = Vec::new();
    let bare = push.content_type.split(';').next().unwrap_or("").trim();
    if Format::from_content_type(bare).is_none() {
        out.push(Error::new(
            0,
            ErrorKind::NotDmContentType {
                found: push.content_type.clone(),
            },
        ));
    }
    let dm = push.app_id.as_deref().is_some_and(|a| {
        a.eq_ignore_ascii_case(APP_ID) || a.trim() == "7" || a.eq_ignore_ascii_case("0x07")
    });
    if !dm {
        out.push(Error::new(
            0,
            ErrorKind::NotDmApplication {
                found: push.app_id.clone(),
            },
        ));
    }
    out
}

/// Text as an XML attribute value: markup escaped, and the characters XML 1.0 does not allow at
/// all (controls such as NUL and ESC) replaced with U+FFFD, so that whatever a peer sent, the reply
/// parses.
pub fn xml_attribute(text: &str) -> String {
    let allowed: String = text
        .chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect();
    quick_xml::escape::escape(allowed.as_str()).into_owned()
}

const PAP_HEAD: &str = "<?xml version=\"1.0\"?>\r\n<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" \"http://www.wapforum.org/DTD/pap_2.0.dtd\">\r\n";

/// A push-response for `push_id` with `code` (PAP 2.0 9.3); the peer's push id escaped.
pub fn push_response(push_id: Option<&str>, code: u16, desc: &str) -> Vec<u8> {
    format!(
        "{PAP_HEAD}<pap><push-response push-id=\"{}\" sender-name=\"dmnoti PPG\">\
         <response-result code=\"{code}\" desc=\"{}\"/></push-response></pap>",
        xml_attribute(push_id.unwrap_or("")),
        xml_attribute(desc)
    )
    .into_bytes()
}

/// A badmessage-response (PAP 2.0 9.11): the answer to a submission that cannot be read as a
/// push message, with the start of what was received.
pub fn badmessage_response(code: u16, desc: &str, fragment: &[u8]) -> Vec<u8> {
    let fragment = String::from_utf8_lossy(&fragment[..fragment.len().min(64)]).into_owned();
    format!(
        "{PAP_HEAD}<pap><badmessage-response code=\"{code}\" desc=\"{}\" bad-message-fragment=\"{}\"/></pap>",
        xml_attribute(desc),
        xml_attribute(&fragment)
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever a peer put in its push id or its message, the reply is well-formed XML that
    /// gives the text back (controls replaced).
    #[test]
    fn replies_escape_what_the_peer_sent() {
        let hostile = "x\"/><injected a='1'/>&\u{1b}\u{0}";
        for reply in [
            push_response(Some(hostile), 1001, "accepted"),
            badmessage_response(2000, hostile, hostile.as_bytes()),
        ] {
            let text = String::from_utf8(reply).unwrap();
            let mut reader = quick_xml::Reader::from_str(&text);
            let mut attributes = Vec::new();
            loop {
                match reader.read_event().unwrap() {
                    quick_xml::events::Event::Eof => break,
                    quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                        assert_ne!(e.name().as_ref(), b"injected", "{text}");
                        for a in e.attributes() {
                            attributes.push(
                                a.unwrap()
                                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                    .unwrap()
                                    .into_owned(),
                            );
                        }
                    }
                    _ => {}
                }
            }
            assert!(
                attributes.contains(&"x\"/><injected a='1'/>&\u{FFFD}\u{FFFD}".to_owned()),
                "{attributes:?}"
            );
        }
        assert_eq!(
            response_code(&push_response(Some("a&b"), 1001, "ok")),
            Some(1001)
        );
    }

    #[test]
    fn a_push_message_has_its_control_entity_then_the_content() {
        let (ct, body) = push_message("id-1", "+15550100", Format::V13, None, &[0, 0xFF, 0x1A]);
        assert!(ct.starts_with("multipart/related; boundary="));
        let text = String::from_utf8_lossy(&body);
        let control = text.find("<push-message push-id=\"id-1\">").unwrap();
        let content = text
            .find("Content-Type: application/vnd.syncml.dm.notification")
            .unwrap();
        assert!(control < content);
        assert!(text.contains("WAPPUSH=+15550100/TYPE=PLMN@ppg.dmnoti"));
        assert!(text.contains("X-Wap-Application-Id: x-wap-application:syncml.dm"));
        let at = body.windows(3).position(|w| w == [0, 0xFF, 0x1A]).unwrap();
        assert_eq!(&body[at + 3..at + 5], b"\r\n");
    }

    #[test]
    fn a_push_message_reads_back_and_its_content_is_judged() {
        let content = [0x1a, 0x00, 0x0d, 0x0a, 0x2d, 0x2d, 0xff];
        let (ct, body) = push_message("id-7", "+15550100", Format::V13, None, &content);
        let push = parse_push(&ct, &body).unwrap();
        assert_eq!(push.push_id.as_deref(), Some("id-7"));
        assert_eq!(push.address, "WAPPUSH=+15550100/TYPE=PLMN@ppg.dmnoti");
        assert_eq!(push.content, content);
        assert!(content_rules(&push).is_empty());
        let (ct, body) = push_message("id-8", "+1", Format::V13, Some("text/plain"), &content);
        let mut push = parse_push(&ct, &body).unwrap();
        push.app_id = None;
        let names: Vec<_> = content_rules(&push).iter().map(|e| e.kind.name()).collect();
        assert_eq!(names, ["not-dm-content-type", "not-dm-application"]);
        assert_eq!(
            parse_push("application/xml", b"<pap/>")
                .unwrap_err()
                .kind
                .name(),
            "not-multipart"
        );
        let reply = push_response(Some("id-7"), 1001, "accepted");
        assert_eq!(response_code(&reply), Some(1001));
    }

    #[test]
    fn response_codes_are_read_as_ppgs_write_them() {
        // Kannel 1.4.5's answer, as it wrote it (a space before `=`).
        let kannel = br#"<?xml version="1.0"?><!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 1.0//EN" "http://www.wapforum.org/DTD/pap_1.0.dtd"><pap><push-response push-id="dmnoti-1@harness" sender-name="vm; WAP/1.3 (Kannel/1.4.5)" reply-time="2026-11-24T23:15:53Z" sender-address="/wappush"><response-result code ="1001" desc="The request has been accepted for processing"></response-result></push-response></pap>"#;
        assert_eq!(response_code(kannel), Some(1001));
        assert!(accepted(1001));
        assert_eq!(
            response_code(b"<pap><response-result code='2002' desc='x'/></pap>"),
            Some(2002)
        );
        assert!(!accepted(2002));
        assert_eq!(response_code(b"<pap/>"), None);
    }
}
