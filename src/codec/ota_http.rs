//! Package #0 over HTTP push (seed 7.4; PushOTA as docs/spec-notes.md sums it up). Two forms reach a client:
//! - OTA-HTTP: `POST` with `Content-Type: application/http` and `X-Wap-Push-OTA-Version: 1.0`, whose
//!   body is a whole HTTP response message carrying the notification with its own headers;
//! - plain: a `POST` of the notification bytes with the notification content type, which many
//!   servers send.
//!
//! This module builds and reads those bytes; sockets are the adapters' business.

use super::Format;
use super::error::{DecodeError, Rule};
use super::wsp::APP_ID_SYNCML_DM_TEXT;
use std::fmt;

pub const CONTENT_TYPE_HTTP: &str = "application/http";
pub const OTA_VERSION_HEADER: &str = "X-Wap-Push-OTA-Version";
pub const OTA_VERSION: &str = "1.0";
pub const APP_ID_HEADER: &str = "X-Wap-Application-Id";
/// The terminal's answer to an accepted push.
pub const PUSH_STATUS_HEADER: &str = "X-Wap-Push-Status";
pub const PUSH_STATUS_ACCEPTED: &str = "400 Accepted";
/// Headers read at most, in the request and in the carried message.
const MAX_HEADERS: usize = 32;

pub type Error = DecodeError<ErrorKind>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    BadRequest { reason: String },
    NotPost { method: String },
    MissingContentType,
    UnsupportedContentType { found: String },
    BadCarriedMessage { reason: String },
    NotDmContentType { found: String },
    WrongApplicationId { found: String },
    LengthMismatch { declared: usize, present: usize },
}

impl Rule for ErrorKind {
    fn name(&self) -> &'static str {
        match self {
            ErrorKind::BadRequest { .. } => "bad-request",
            ErrorKind::NotPost { .. } => "not-post",
            ErrorKind::MissingContentType => "missing-content-type",
            ErrorKind::UnsupportedContentType { .. } => "unsupported-content-type",
            ErrorKind::BadCarriedMessage { .. } => "bad-carried-message",
            ErrorKind::NotDmContentType { .. } => "not-dm-content-type",
            ErrorKind::WrongApplicationId { .. } => "wrong-application-id",
            ErrorKind::LengthMismatch { .. } => "length-mismatch",
        }
    }

    fn section(&self) -> &'static str {
        match self {
            ErrorKind::NotDmContentType { .. } => "7.4",
            _ => "7.4, PushOTA",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::BadRequest { reason } => write!(f, "not an HTTP request: {reason}"),
            ErrorKind::NotPost { method } => write!(f, "method {method}; a push is a POST"),
            ErrorKind::MissingContentType => f.write_str("no Content-Type header"),
            ErrorKind::UnsupportedContentType { found } => write!(
                f,
                "Content-Type {found:?} is neither application/http nor a DM notification type"
            ),
            ErrorKind::BadCarriedMessage { reason } => {
                write!(
                    f,
                    "the application/http body is not an HTTP message: {reason}"
                )
            }
            ErrorKind::NotDmContentType { found } => write!(
                f,
                "carried Content-Type {found:?}; it MUST be application/vnd.syncml.dm.notification"
            ),
            ErrorKind::WrongApplicationId { found } => {
                write!(
                    f,
                    "X-Wap-Application-Id {found:?}; DM's is {APP_ID_SYNCML_DM_TEXT}"
                )
            }
            ErrorKind::LengthMismatch { declared, present } => {
                write!(f, "Content-Length {declared}, {present} bytes present")
            }
        }
    }
}

/// Which of the two HTTP push forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Form {
    OtaHttp,
    Plain,
}

/// A push as a client receives it: the form, the notification format, and the message bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpPush<'a> {
    pub form: Form,
    pub format: Format,
    /// Offset of the notification in the bytes given to the decoder.
    pub message_offset: usize,
    pub message: &'a [u8],
    pub app_id: Option<String>,
}

/// The `application/http` entity of an OTA-HTTP push: an HTTP response message carrying the
/// notification with its content type and application id.
pub fn carried_message(format: Format, message: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {}\r\n{APP_ID_HEADER}: {APP_ID_SYNCML_DM_TEXT}\r\nContent-Length: {}\r\n\r\n",
        format.content_type(),
        message.len()
    )
    .into_bytes();
    out.extend_from_slice(message);
    out
}

/// The content type and body a push of `form` sends.
pub fn entity(form: Form, format: Format, message: &[u8]) -> (&'static str, Vec<u8>) {
    match form {
        Form::OtaHttp => (CONTENT_TYPE_HTTP, carried_message(format, message)),
        Form::Plain => (format.content_type(), message.to_vec()),
    }
}

/// A whole `POST` request of a push, as bytes (for files, captures and the CLI).
pub fn request(form: Form, format: Format, host: &str, path: &str, message: &[u8]) -> Vec<u8> {
    let (content_type, body) = entity(form, format, message);
    let ota = match form {
        Form::OtaHttp => format!("{OTA_VERSION_HEADER}: {OTA_VERSION}\r\n"),
        Form::Plain => String::new(),
    };
    let mut out = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n{ota}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

fn header<'h>(headers: &'h [httparse::Header<'_>], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .and_then(|h| std::str::from_utf8(h.value).ok())
        .map(str::trim)
}

fn content_length(headers: &[httparse::Header<'_>]) -> Option<usize> {
    header(headers, "Content-Length").and_then(|v| v.parse().ok())
}

/// Takes the body a Content-Length declares (all of it when none is declared).
fn bounded_body(body: &[u8], declared: Option<usize>, at: usize) -> Result<&[u8], Error> {
    match declared {
        None => Ok(body),
        Some(n) => body.get(..n).ok_or(Error::new(
            at,
            ErrorKind::LengthMismatch {
                declared: n,
                present: body.len(),
            },
        )),
    }
}

/// Reads a push entity as a server receives it: the request's Content-Type and body. `base` is
/// the body's offset in whatever the caller reports offsets against.
pub fn decode_entity<'a>(
    content_type: &str,
    body: &'a [u8],
    base: usize,
) -> Result<HttpPush<'a>, Error> {
    let bare = content_type.split(';').next().unwrap_or("").trim();
    if let Some(format) = Format::from_content_type(bare) {
        return Ok(HttpPush {
            form: Form::Plain,
            format,
            message_offset: base,
            message: body,
            app_id: None,
        });
    }
    if !bare.eq_ignore_ascii_case(CONTENT_TYPE_HTTP) {
        return Err(Error::new(
            base,
            ErrorKind::UnsupportedContentType {
                found: content_type.to_owned(),
            },
        ));
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let bad = |reason: String| Error::new(base, ErrorKind::BadCarriedMessage { reason });
    let head_len = match response.parse(body) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Err(bad("it ends inside its headers".into())),
        Err(e) => return Err(bad(e.to_string())),
    };
    let inner_type = header(response.headers, "Content-Type").unwrap_or("");
    let format = Format::from_content_type(inner_type).ok_or_else(|| {
        Error::new(
            base,
            ErrorKind::NotDmContentType {
                found: inner_type.to_owned(),
            },
        )
    })?;
    let app_id = header(response.headers, APP_ID_HEADER).map(str::to_owned);
    if let Some(id) = &app_id {
        let known = id.eq_ignore_ascii_case(APP_ID_SYNCML_DM_TEXT)
            || id == "7"
            || id.eq_ignore_ascii_case("0x07");
        if !known {
            return Err(Error::new(
                base,
                ErrorKind::WrongApplicationId { found: id.clone() },
            ));
        }
    }
    let message = bounded_body(
        &body[head_len..],
        content_length(response.headers),
        base + head_len,
    )?;
    Ok(HttpPush {
        form: Form::OtaHttp,
        format,
        message_offset: base + head_len,
        message,
        app_id,
    })
}

/// Reads a whole push request (request line, headers, body).
pub fn decode_request(bytes: &[u8]) -> Result<HttpPush<'_>, Error> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let bad = |reason: String| Error::new(0, ErrorKind::BadRequest { reason });
    let head_len = match request.parse(bytes) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Err(bad("it ends inside its headers".into())),
        Err(e) => return Err(bad(e.to_string())),
    };
    let method = request.method.unwrap_or("");
    if method != "POST" {
        return Err(Error::new(
            0,
            ErrorKind::NotPost {
                method: method.to_owned(),
            },
        ));
    }
    let content_type = header(request.headers, "Content-Type")
        .ok_or(Error::new(0, ErrorKind::MissingContentType))?;
    let body = bounded_body(
        &bytes[head_len..],
        content_length(request.headers),
        head_len,
    )?;
    decode_entity(content_type, body, head_len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(Form::OtaHttp, Format::V13)]
    #[case(Form::OtaHttp, Format::V12)]
    #[case(Form::Plain, Format::V13)]
    #[case(Form::Plain, Format::V12)]
    fn requests_round_trip(#[case] form: Form, #[case] format: Format) {
        let message = [0x1a, 0x00, 0xff, 0x0d, 0x0a, 0x0d, 0x0a];
        let bytes = request(form, format, "127.0.0.1:9", "/push", &message);
        let push = decode_request(&bytes).unwrap();
        assert_eq!(push.form, form);
        assert_eq!(push.format, format);
        assert_eq!(push.message, message);
        assert_eq!(&bytes[push.message_offset..], message);
    }

    #[test]
    fn carried_message_has_the_notification_headers() {
        let text = String::from_utf8(carried_message(Format::V13, b"")).unwrap();
        assert!(text.contains("Content-Type: application/vnd.syncml.dm.notification\r\n"));
        assert!(text.contains("X-Wap-Application-Id: x-wap-application:syncml.dm\r\n"));
    }

    #[rstest]
    #[case(b"garbage\r\n\r\n".as_slice(), "bad-request")]
    #[case(b"POST / HTTP/1.1\r\nHost: x".as_slice(), "bad-request")]
    #[case(b"GET / HTTP/1.1\r\n\r\n".as_slice(), "not-post")]
    #[case(b"POST / HTTP/1.1\r\n\r\n".as_slice(), "missing-content-type")]
    #[case(b"POST / HTTP/1.1\r\nContent-Type: text/plain\r\n\r\nx".as_slice(), "unsupported-content-type")]
    #[case(b"POST / HTTP/1.1\r\nContent-Type: application/vnd.syncml.dm.notification\r\nContent-Length: 9\r\n\r\nx".as_slice(), "length-mismatch")]
    #[case(b"POST / HTTP/1.1\r\nContent-Type: application/http\r\n\r\nnot http".as_slice(), "bad-carried-message")]
    #[case(b"POST / HTTP/1.1\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nx".as_slice(), "not-dm-content-type")]
    #[case(b"POST / HTTP/1.1\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/vnd.syncml.dm.notification\r\nX-Wap-Application-Id: x-wap-application:wml.ua\r\n\r\nx".as_slice(), "wrong-application-id")]
    fn errors_name_the_rule(#[case] bytes: &[u8], #[case] kind: &str) {
        assert_eq!(decode_request(bytes).unwrap_err().kind.name(), kind);
    }
}
