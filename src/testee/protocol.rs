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
    /// Network servers: where to send the notification, `udp://HOST:PORT` (WAP push) or
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
    #[serde(default)]
    pub requested_mo: Vec<u16>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targeted_mo: Vec<u16>,
    /// The bearer used for the session (C-017); null when none was asked for or known.
    #[serde(default)]
    pub bearer: Option<u8>,
    /// The Connect-Reason shown to the user (C-015), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_info: Option<String>,
    /// The SyncML DM Package #1 document the client sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package1: Option<String>,
}

/// A testee's answer. One flat shape for every op; which fields are set depends on the op.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Response {
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
        let Op::Provision { accounts, now } = &ops[1].op else {
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
