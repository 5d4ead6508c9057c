//! The stdio testee protocol, v1 (docs/testee-protocol.md): one JSON object per line each way,
//! `id` echoed. These types are both sides' wire format. Byte strings travel as hex.

use crate::codec::{self, Format, Initiator, Transport, UiMode};
use crate::scr::Role;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

pub const PROTOCOL_VERSION: u32 = 1;

/// Bytes on the wire as a hex string.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct HexBytes(pub Vec<u8>);

impl fmt::Debug for HexBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", codec::hex(&self.0))
    }
}

impl Serialize for HexBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&codec::hex(&self.0))
    }
}

impl<'de> Deserialize<'de> for HexBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        codec::parse_hex(&text)
            .map(HexBytes)
            .map_err(|e| serde::de::Error::custom(format!("not hex: {e}")))
    }
}

/// A key: sent as hex like any bytes, but never shown by `Debug` (reports print Debug output of
/// requests; secrets stay out of them unless the user asks).
#[derive(Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub HexBytes);

impl Secret {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Secret {
        Secret(HexBytes(bytes.into()))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<secret, {} bytes>", self.0.0.len())
    }
}

/// 1.2 credentials of an account: SRVCRED's password and nonce.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct V12Credentials {
    pub password: Secret,
    #[serde(default)]
    pub nonce: HexBytes,
    /// SRVCRED AAuthName, for implementations that key the 1.2 digest with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aauth_name: Option<String>,
}

/// A DM account (DMAcc) as the testee is provisioned with it: for a client, a server it trusts;
/// for a server, its own identity and keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub server_id: String,
    /// The 1.3 notification secret (AAuthSecret of NOTICRED, else SRVCRED), hex.
    #[serde(default)]
    pub secret: Secret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v12: Option<V12Credentials>,
    /// Where the client connects for the DM session (the Package #1 Target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_uri: Option<String>,
}

/// A request from the harness.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: u64,
    #[serde(flatten)]
    pub op: Op,
}

/// The operations of protocol v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    Hello {
        protocol: u32,
    },
    /// Replaces every account and forgets every earlier session; sets the clock when `now` is given.
    Provision {
        accounts: Vec<Account>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        now: Option<u64>,
        /// SIP push (7.3): the SIP/IP core's registrar (`sip:HOST:PORT`, the harness's own) the
        /// client registers with before it answers; absent over the other transports.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        registrar: Option<String>,
        /// WAP push over SMS (7.1): the SMSC (`smpp://HOST:PORT`, the harness's) the client binds
        /// to as a receiver, as a handset attaches to its network, before it answers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        smsc: Option<String>,
    },
    /// Sets the testee's clock (POSIX seconds).
    Clock {
        now: u64,
    },
    /// Client role: a Package #0 as received, with its content type.
    Deliver {
        content_type: String,
        message: HexBytes,
    },
    /// Server role: send a notification with these contents.
    Notify {
        request: NotifyRequest,
    },
    Shutdown,
}

impl Op {
    pub const NAMES: [&'static str; 6] = [
        "hello",
        "provision",
        "clock",
        "deliver",
        "notify",
        "shutdown",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            Op::Hello { .. } => "hello",
            Op::Provision { .. } => "provision",
            Op::Clock { .. } => "clock",
            Op::Deliver { .. } => "deliver",
            Op::Notify { .. } => "notify",
            Op::Shutdown => "shutdown",
        }
    }
}

/// What the harness asks a DM server to notify.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyRequest {
    /// The account to notify as; the only one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_id: Option<String>,
    /// 1.3 unless asked otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
    #[serde(default)]
    pub ui_mode: UiMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiator: Option<Initiator>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<Transport>,
    /// Minutes the session id stays valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u16>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requested_mo: Vec<u16>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targeted_mo: Vec<u16>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preferred_bearer: Vec<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_info: Option<String>,
    /// Network servers: where to send the notification, `udp://HOST:PORT` (WAP push),
    /// `obex://HOST:PORT` (an OBEX PUT), `sip:USER@HOST:PORT` (SIP push, a MESSAGE) or
    /// `http://HOST:PORT/PATH` (OTA-HTTP push). The notification is also in the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

/// What a client did with a delivered message, or what a server produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Session,
    Ignored,
    Notification,
}

/// The management session a client opened: what it says of itself, and its Package #1.
///
/// Every field but `server_id` and `session_id` may be left out by a testee that does not know it;
/// `None` is "not reported", and a check that needs the field is then not made. Where `null` means
/// something ("no bearer", "no reason shown"), the field is `Option<Option<_>>`: `Some(None)` is a
/// reported null.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub server_id: String,
    /// SessionID exactly as the client put it in Package #1.
    pub session_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
    /// How the client ran the session (C-007).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui_mode: Option<UiMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_mo: Option<Vec<u16>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targeted_mo: Option<Vec<u16>>,
    /// The bearer used for the session (C-017); null when none was asked for or known.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "reported"
    )]
    pub bearer: Option<Option<u8>>,
    /// The Connect-Reason shown to the user (C-015); null when none was shown.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "reported"
    )]
    pub connect_reason: Option<Option<String>>,
    /// The Vendor-Info the client read (C-012); null when none.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "reported"
    )]
    pub vendor_info: Option<Option<String>>,
    /// The SyncML DM Package #1 document the client sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package1: Option<String>,
}

/// A field that is there, possibly `null`: `Some(None)`. (Absent is `None`, by `default`.)
fn reported<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A testee's answer. One flat shape for every op; which fields are set depends on the op.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// Fields of the answer that were not of their type, and were left out: protocol errors,
    /// each naming its field (set by [`Response::parse`]).
    #[serde(skip)]
    pub field_errors: Vec<FieldError>,
    /// The request's id; null when the request could not be read at all.
    pub id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ok: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    // hello
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<u32>,
    /// hello, network clients: where the testee takes notifications (`udp://...`, `http://...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    // deliver / notify
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<Session>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<HexBytes>,
    /// notify: the SessionID the server will expect in Package #1, as it would compare it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

impl Response {
    pub fn ok(id: u64) -> Response {
        Response {
            id: Some(id),
            ok: Some(true),
            ..Response::default()
        }
    }

    pub fn error(id: Option<u64>, error: impl Into<String>) -> Response {
        Response {
            id,
            ok: Some(false),
            error: Some(error.into()),
            ..Response::default()
        }
    }

    pub fn session(id: u64, session: Session) -> Response {
        Response {
            id: Some(id),
            outcome: Some(Outcome::Session),
            session: Some(session),
            ..Response::default()
        }
    }

    pub fn ignored(id: u64, reason: impl Into<String>) -> Response {
        Response {
            id: Some(id),
            outcome: Some(Outcome::Ignored),
            reason: Some(reason.into()),
            ..Response::default()
        }
    }
}

/// A field of an answer that is not of its type: a protocol error of the testee, not a deviation
/// of the IUT. The field is then taken as not reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The JSON path: `session.bearer`.
    pub path: String,
    /// What the protocol says the field is.
    pub expected: &'static str,
    /// The value seen, as JSON (abbreviated).
    pub seen: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "protocol error: answer field `{}` is {}, expected {}",
            self.path, self.seen, self.expected
        )
    }
}

/// The answer line is not a JSON object at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a JSON object")]
pub struct NotAnAnswer;

/// Takes `key` out of `obj` as a `T`; a value of another type is recorded and dropped.
fn field<T: serde::de::DeserializeOwned>(
    obj: &serde_json::Map<String, serde_json::Value>,
    key: &str,
    prefix: &str,
    expected: &'static str,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let v = obj.get(key)?;
    match serde_json::from_value::<T>(v.clone()) {
        Ok(t) => Some(t),
        Err(_) => {
            let mut seen = v.to_string();
            if seen.len() > 80 {
                let cut = (0..=77)
                    .rev()
                    .find(|i| seen.is_char_boundary(*i))
                    .unwrap_or(0);
                seen.truncate(cut);
                seen.push_str("...");
            }
            errors.push(FieldError {
                path: format!("{prefix}{key}"),
                expected,
                seen,
            });
            None
        }
    }
}

/// A field that may be `null` with a meaning: absent is `None`, `null` is `Some(None)`.
fn nullable<T: serde::de::DeserializeOwned>(
    obj: &serde_json::Map<String, serde_json::Value>,
    key: &str,
    prefix: &str,
    expected: &'static str,
    errors: &mut Vec<FieldError>,
) -> Option<Option<T>> {
    match obj.get(key) {
        Some(serde_json::Value::Null) => Some(None),
        _ => field::<T>(obj, key, prefix, expected, errors).map(Some),
    }
}

impl Session {
    fn lenient(
        obj: &serde_json::Map<String, serde_json::Value>,
        errors: &mut Vec<FieldError>,
    ) -> Session {
        let p = "session.";
        let required = |key: &str, errors: &mut Vec<FieldError>| {
            let v = field::<String>(obj, key, p, "a string", errors);
            if v.is_none() && !obj.contains_key(key) {
                errors.push(FieldError {
                    path: format!("{p}{key}"),
                    expected: "a string (required)",
                    seen: "absent".into(),
                });
            }
            v.unwrap_or_default()
        };
        Session {
            server_id: required("server_id", errors),
            session_id: required("session_id", errors),
            format: field(obj, "format", p, "\"1.3\" or \"1.2\"", errors),
            ui_mode: field(obj, "ui_mode", p, "a UI mode name", errors),
            requested_mo: field(obj, "requested_mo", p, "a list of MO indexes", errors),
            targeted_mo: field(obj, "targeted_mo", p, "a list of MO indexes", errors),
            bearer: nullable(obj, "bearer", p, "a bearer number (0-255) or null", errors),
            connect_reason: nullable(obj, "connect_reason", p, "a string or null", errors),
            vendor_info: nullable(obj, "vendor_info", p, "a string or null", errors),
            package1: field(obj, "package1", p, "a string (XML)", errors),
        }
    }
}

impl Response {
    /// Reads an answer field by field: a field of the wrong type is a protocol error that names
    /// it ([`Response::field_errors`]) and is left out, so that the checks that do not need it
    /// still judge the answer. Only a line that is not a JSON object is no answer.
    pub fn parse(text: &str) -> Result<Response, NotAnAnswer> {
        // The common case first: an answer every field of which has its type reads typed, and
        // has nothing to report. Field by field only when it does not.
        if let Ok(r) = serde_json::from_str::<Response>(text) {
            return Ok(r);
        }
        let value: serde_json::Value = serde_json::from_str(text).map_err(|_| NotAnAnswer)?;
        let obj = value.as_object().ok_or(NotAnAnswer)?;
        let mut errors = Vec::new();
        let e = &mut errors;
        let session = match obj.get("session") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::Object(s)) => Some(Session::lenient(s, e)),
            Some(other) => {
                e.push(FieldError {
                    path: "session".into(),
                    expected: "an object",
                    seen: other.to_string(),
                });
                None
            }
        };
        let mut r = Response {
            field_errors: Vec::new(),
            id: field(obj, "id", "", "the request's id (a number)", e),
            ok: field(obj, "ok", "", "true or false", e),
            error: field(obj, "error", "", "a string", e),
            role: field(obj, "role", "", "\"client\" or \"server\"", e),
            name: field(obj, "name", "", "a string", e),
            version: field(obj, "version", "", "a string", e),
            protocol: field(obj, "protocol", "", "a number", e),
            address: field(obj, "address", "", "a string", e),
            outcome: field(
                obj,
                "outcome",
                "",
                "\"session\", \"ignored\" or \"notification\"",
                e,
            ),
            session,
            reason: field(obj, "reason", "", "a string", e),
            content_type: field(obj, "content_type", "", "a string", e),
            message: field(obj, "message", "", "hex bytes", e),
            session_id: field(obj, "session_id", "", "a string", e),
        };
        r.field_errors = errors;
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn design_examples_parse() {
        let lines = [
            r#"{"id":1,"op":"hello","protocol":1}"#,
            r#"{"id":2,"op":"provision","accounts":[{"server_id":"com.example.dm","secret":"00ff","v12":{"password":"7077","nonce":"00e56e00"}}],"now":1700000000}"#,
            r#"{"id":3,"op":"deliver","content_type":"application/vnd.syncml.dm.notification","message":"1a2b"}"#,
            r#"{"id":4,"op":"notify","request":{"server_id":"com.example.dm","ui_mode":"informative","requested_mo":[11],"targeted_mo":[39],"preferred_bearer":[6],"connect_reason":"update"}}"#,
            r#"{"id":5,"op":"shutdown"}"#,
        ];
        let ops: Vec<Request> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(ops[0].op, Op::Hello { protocol: 1 });
        let Op::Provision { accounts, now, .. } = &ops[1].op else {
            panic!()
        };
        assert_eq!(*now, Some(1_700_000_000));
        assert_eq!(accounts[0].secret.bytes(), [0x00, 0xff]);
        assert_eq!(
            accounts[0].v12.as_ref().unwrap().nonce.0,
            [0x00, 0xe5, 0x6e, 0x00]
        );
        let Op::Notify { request } = &ops[3].op else {
            panic!()
        };
        assert_eq!(request.ui_mode, UiMode::Informative);
        assert_eq!(request.preferred_bearer, [6]);
        assert_eq!(ops[4].op, Op::Shutdown);
        // Serializing gives back the same objects.
        for (line, op) in lines.iter().zip(&ops) {
            let a: serde_json::Value = serde_json::from_str(line).unwrap();
            let b = serde_json::to_value(op).unwrap();
            assert_eq!(a, b);
        }
    }

    #[test]
    fn responses_are_flat_and_skip_what_is_unset() {
        let r = Response::ignored(3, "digest mismatch");
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"id":3,"outcome":"ignored","reason":"digest mismatch"}"#
        );
        let s: Response = serde_json::from_str(
            r#"{"id":3,"outcome":"session","session":{"server_id":"a","session_id":"1A2B","ui_mode":"background","requested_mo":[11],"bearer":null,"package1":"<SyncML/>"}}"#,
        )
        .unwrap();
        assert_eq!(s.session.unwrap().session_id, "1A2B");
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let a = Account {
            server_id: "x".into(),
            secret: Secret::new(b"hunter2".to_vec()),
            ..Account::default()
        };
        let shown = format!("{a:?}");
        assert!(
            !shown.contains("68756e74657232") && !shown.contains("hunter2"),
            "{shown}"
        );
        assert!(shown.contains("<secret, 7 bytes>"));
    }
}
