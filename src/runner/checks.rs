//! What a session (client role) and a notification (server role) must satisfy, each check naming
//! the SCR item it stands for: a failure is counted against that item, whichever case found it.

use crate::codec::digest::DigestReading;
use crate::codec::options::number;
use crate::codec::v13::{self, ErrorKind};
use crate::codec::{Format, MoIndex, SessionId, v12};
use crate::suite::message::Built;
use crate::suite::{Check, SessionExpect};
use crate::testee::{Account, NotifyRequest, Session};

/// A broken check: the SCR item (none: the case's own items) and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Failure {
    pub scr: Option<String>,
    pub message: String,
}

impl Failure {
    pub fn of(scr: &str, message: impl Into<String>) -> Failure {
        Failure {
            scr: Some(format!("SCR-DM-NOTI-{scr}")),
            message: message.into(),
        }
    }

    pub fn case(message: impl Into<String>) -> Failure {
        Failure {
            scr: None,
            message: message.into(),
        }
    }
}

/// The server item a broken rule of a notification falls under.
pub fn server_scr(kind: &ErrorKind) -> &'static str {
    let by_option = |n: u8| match n {
        number::SERVER_ID => "S-005-M",
        number::TARGETED_MO => "S-006-M",
        number::REQUESTED_MO => "S-008-M",
        number::PREFERRED_BEARER => "S-010-M",
        number::CONNECT_REASON => "S-009-O",
        number::VENDOR_INFO => "S-007-O",
        _ => "S-002-M",
    };
    match kind {
        ErrorKind::UnsupportedVersion { .. } => "S-004-M",
        ErrorKind::ShortHeader { .. }
        | ErrorKind::ReservedTransport { .. }
        | ErrorKind::ZeroSessionId
        | ErrorKind::OptionCountMismatch { .. } => "S-003-M",
        ErrorKind::ServerIdTooLong { .. } | ErrorKind::MissingServerId => "S-005-M",
        ErrorKind::MissingRequestedMo => "S-008-M",
        ErrorKind::BearerOutOfRange { .. } => "S-010-M",
        ErrorKind::RepeatedOption { number }
        | ErrorKind::BadUintLength { number, .. }
        | ErrorKind::EmptyString { number }
        | ErrorKind::InvalidUtf8 { number, .. } => by_option(*number),
        ErrorKind::MissingDigest | ErrorKind::ShortDigest { .. } => "S-011-M",
        ErrorKind::TruncatedOptionHeader { .. }
        | ErrorKind::OptionOverrun { .. }
        | ErrorKind::UnknownOption { .. }
        | ErrorKind::OptionOutOfOrder { .. }
        | ErrorKind::TrailingBytes { .. } => "S-002-M",
    }
}

/// The root of an MO's subtree as Package #1 carries it, for the registered indexes.
pub(crate) fn mo_root(index: u16) -> Option<&'static str> {
    let name = MoIndex(index).name()?;
    Some(match name.split(' ').next()? {
        "DevDetail" => "./DevDetail",
        "DevInfo" => "./DevInfo",
        "DMAcc" => "./DMAcc",
        "FUMO" => "./FUMO",
        "SCOMO" => "./SCOMO",
        "LAWMO" => "./LAWMO",
        "DCMO" => "./DCMO",
        "DiagMon" => "./DiagMon",
        _ => return None,
    })
}

/// A session against the message that started it and what the step expects.
pub fn session(s: &Session, built: &Built, e: &SessionExpect) -> Vec<Failure> {
    let mut f = Vec::new();
    // 6.4.8: the SessionID string, always.
    if let Some(wire) = built.wire_session_id().and_then(SessionId::new) {
        let want = wire.to_package1();
        match SessionId::parse_package1(&s.session_id) {
            Err(err) => f.push(Failure::of(
                "C-008-M",
                format!("SessionID {:?}: {err}; expected {want:?}", s.session_id),
            )),
            Ok(got) if got != wire => f.push(Failure::of(
                "C-008-M",
                format!(
                    "SessionID {:?}, the notification's SESSIONID is {want:?}",
                    s.session_id
                ),
            )),
            Ok(_) => {}
        }
    }
    if let Some(p1) = &s.package1 {
        match crate::syncml::parse_package1(p1) {
            Ok(doc) if doc.session_id.as_deref() == Some(s.session_id.as_str()) => {}
            Ok(doc) => f.push(Failure::of(
                "C-008-M",
                format!(
                    "Package #1 SessionID {:?} differs from the session's {:?}",
                    doc.session_id.unwrap_or_default(),
                    s.session_id
                ),
            )),
            Err(e) => f.push(Failure::of("C-001-M", e.to_string())),
        }
    }

    if let Some(want) = &e.session_id {
        if &s.session_id != want {
            f.push(Failure::of(
                "C-008-M",
                format!("SessionID {:?}, expected {want:?}", s.session_id),
            ));
        }
    }
    let mut field = |scr: &str, name: &str, ok: bool, got: String, want: String| {
        if !ok {
            f.push(Failure::of(scr, format!("{name} {got}, expected {want}")));
        }
    };
    if let Some(want) = &e.server_id {
        field(
            "C-010-M",
            "server_id",
            &s.server_id == want,
            format!("{:?}", s.server_id),
            format!("{want:?}"),
        );
    }
    if let Some(want) = e.format {
        let scr = if want == Format::V12 {
            "C-003-M"
        } else {
            "C-004-M"
        };
        field(
            scr,
            "format",
            s.format == Some(want),
            format!("{:?}", s.format),
            want.to_string(),
        );
    }
    if let Some(want) = e.ui_mode {
        field(
            "C-007-O",
            "ui_mode",
            s.ui_mode == Some(want),
            format!("{:?}", s.ui_mode),
            format!("{want:?}"),
        );
    }
    if let Some(want) = &e.requested_mo {
        field(
            "C-013-M",
            "requested_mo",
            &s.requested_mo == want,
            format!("{:?}", s.requested_mo),
            format!("{want:?}"),
        );
    }
    if let Some(want) = &e.targeted_mo {
        field(
            "C-011-O",
            "targeted_mo",
            &s.targeted_mo == want,
            format!("{:?}", s.targeted_mo),
            format!("{want:?}"),
        );
    }
    if let Some(want) = e.bearer {
        field(
            "C-017-O",
            "bearer",
            s.bearer == want,
            format!("{:?}", s.bearer),
            format!("{want:?}"),
        );
    }
    if let Some(want) = &e.connect_reason {
        field(
            "C-015-O",
            "connect_reason",
            s.connect_reason.as_ref() == Some(want),
            format!("{:?}", s.connect_reason),
            format!("{want:?}"),
        );
    }
    if let Some(want) = &e.vendor_info {
        field(
            "C-012-O",
            "vendor_info",
            s.vendor_info.as_ref() == Some(want),
            format!("{:?}", s.vendor_info),
            format!("{want:?}"),
        );
    }
    let p1 = s.package1.as_deref().unwrap_or("");
    for text in &e.package1_contains {
        if !p1.contains(text.as_str()) {
            f.push(Failure::case(format!(
                "Package #1 does not contain {text:?}"
            )));
        }
    }
    if e.package1_has_requested_mo {
        let requested = match v13::decode(&built.bytes) {
            Ok(m) => m.requested_mo().map(|m| m.0).collect(),
            Err(_) => Vec::new(),
        };
        for index in requested {
            if let Some(root) = mo_root(index) {
                if !p1.contains(&format!("<LocURI>{root}/")) {
                    f.push(Failure::of("C-013-M", format!("Package #1 does not carry {root}, requested by Requested-MO 0x{index:04X}")));
                }
            }
        }
    }
    f
}

/// What a server's notification must be.
pub struct NotificationCheck<'a> {
    pub request: &'a NotifyRequest,
    pub account: &'a Account,
    pub content_type: Option<&'a str>,
    pub message: &'a [u8],
    /// The SessionID the server says it expects, if it says.
    pub session_id: Option<&'a str>,
    pub now: u64,
    /// Session ids of earlier notifications of the case.
    pub earlier: &'a [u16],
    /// The profile's declared reading, or none.
    pub reading: Option<DigestReading>,
}

/// The outcome of the checks: failures, and notes that make the case inconclusive.
#[derive(Debug, Default)]
pub struct Checked {
    pub failures: Vec<Failure>,
    pub inconclusive: Vec<String>,
    pub session_id: Option<u16>,
}

pub fn notification(n: &NotificationCheck<'_>, checks: &[Check]) -> Checked {
    let mut out = Checked::default();
    let want_format = n.request.format.unwrap_or(Format::V13);
    if checks.contains(&Check::ContentType) && n.content_type != Some(want_format.content_type()) {
        out.failures.push(Failure::of(
            "S-002-M",
            format!(
                "content type {:?}, expected {:?}",
                n.content_type,
                want_format.content_type()
            ),
        ));
    }
    if want_format == Format::V12 {
        notification12(n, &mut out);
        return out;
    }
    let wire_session = n
        .message
        .get(6..8)
        .map(|b| u16::from_be_bytes([b[0], b[1]]));
    out.session_id = wire_session;
    let decoded = v13::decode(n.message);
    if checks.contains(&Check::WellFormed) {
        if let Err(e) = &decoded {
            out.failures.push(Failure::of(
                server_scr(&e.kind),
                format!("the notification breaks a rule: {e}"),
            ));
        }
    }
    if checks.contains(&Check::Digest) {
        let reading = n.reading.unwrap_or_default();
        if let Err(e) = v13::verify(n.message, n.account.secret.bytes(), reading) {
            let others = v13::matching_readings(n.message, n.account.secret.bytes());
            match (others.first(), n.reading) {
                (Some(other), None) => out.inconclusive.push(format!(
                    "the digest verifies under the {} reading, not the literal colons ({})",
                    other.name(),
                    crate::suite::Ambiguity::DigestReading.explain()
                )),
                (Some(other), Some(declared)) => out.failures.push(Failure::of(
                    "S-011-M",
                    format!(
                        "the digest verifies under the {} reading, not the declared {}",
                        other.name(),
                        declared.name()
                    ),
                )),
                (None, _) => out.failures.push(Failure::of("S-011-M", e.to_string())),
            }
        }
    }
    if checks.contains(&Check::SessionIdFresh) {
        if let Some(id) = wire_session {
            if n.earlier.contains(&id) {
                out.failures.push(Failure::of(
                    "S-002-M",
                    format!(
                        "SESSIONID 0x{id:04X} was already used by an earlier notification (6.4.8)"
                    ),
                ));
            }
        }
    }
    if checks.contains(&Check::SessionIdMatches) {
        if let (Some(said), Some(id)) = (n.session_id, wire_session) {
            let wire = SessionId::new(id)
                .map(SessionId::to_package1)
                .unwrap_or_else(|| "0".into());
            if said != wire {
                out.failures.push(Failure::of(
                    "S-003-M",
                    format!("the server expects SessionID {said:?} but SESSIONID on the wire is 0x{id:04X} ({wire:?}); network byte order? (6.4.8)"),
                ));
            }
        }
    }
    let Ok(m) = decoded else { return out };
    if checks.contains(&Check::Timestamp) {
        let skew = (i64::from(m.header.timestamp) - n.now as i64).abs();
        if skew > 60 {
            out.failures.push(Failure::of(
                "S-003-M",
                format!(
                    "TIMESTAMP {} is {skew} s from the clock {} (6.4.9)",
                    m.header.timestamp, n.now
                ),
            ));
        }
    }
    if checks.contains(&Check::Fields) {
        fields13(n, &m, &mut out.failures);
    }
    out
}

fn fields13(n: &NotificationCheck<'_>, m: &v13::Notification13<'_>, f: &mut Vec<Failure>) {
    let r = n.request;
    let mut expect = |scr: &str, name: &str, ok: bool, got: String, want: String| {
        if !ok {
            f.push(Failure::of(scr, format!("{name} {got}, requested {want}")));
        }
    };
    expect(
        "S-005-M",
        "Server-ID",
        m.server_id() == Some(n.account.server_id.as_str()),
        format!("{:?}", m.server_id()),
        format!("{:?}", n.account.server_id),
    );
    expect(
        "S-003-M",
        "UIM",
        m.header.ui_mode == r.ui_mode,
        format!("{:?}", m.header.ui_mode),
        format!("{:?}", r.ui_mode),
    );
    if let Some(i) = r.initiator {
        expect(
            "S-003-M",
            "I",
            m.header.initiator == i,
            format!("{:?}", m.header.initiator),
            format!("{i:?}"),
        );
    }
    if let Some(t) = r.transport {
        expect(
            "S-003-M",
            "TRA",
            m.header.transport == t,
            format!("{:?}", m.header.transport),
            format!("{t:?}"),
        );
    }
    if let Some(t) = r.timeout {
        expect(
            "S-003-M",
            "TIMEOUT",
            m.header.timeout == t,
            m.header.timeout.to_string(),
            t.to_string(),
        );
    }
    let targeted: Vec<u16> = m.targeted_mo().map(|x| x.0).collect();
    expect(
        "S-006-M",
        "Targeted-MO",
        targeted == r.targeted_mo,
        format!("{targeted:?}"),
        format!("{:?}", r.targeted_mo),
    );
    let requested: Vec<u16> = m.requested_mo().map(|x| x.0).collect();
    if r.requested_mo.is_empty() {
        expect(
            "S-008-M",
            "Requested-MO",
            !requested.is_empty(),
            "none".into(),
            "at least one".into(),
        );
    } else {
        expect(
            "S-008-M",
            "Requested-MO",
            requested == r.requested_mo,
            format!("{requested:?}"),
            format!("{:?}", r.requested_mo),
        );
    }
    let bearers: Vec<u8> = m.preferred_bearers().map(|b| b.value()).collect();
    expect(
        "S-010-M",
        "Preferred-Bearer",
        bearers == r.preferred_bearer,
        format!("{bearers:?}"),
        format!("{:?}", r.preferred_bearer),
    );
    expect(
        "S-009-O",
        "Connect-Reason",
        m.connect_reason() == r.connect_reason.as_deref(),
        format!("{:?}", m.connect_reason()),
        format!("{:?}", r.connect_reason),
    );
    expect(
        "S-007-O",
        "Vendor-Info",
        m.vendor_info() == r.vendor_info.as_deref(),
        format!("{:?}", m.vendor_info()),
        format!("{:?}", r.vendor_info),
    );
}

fn notification12(n: &NotificationCheck<'_>, out: &mut Checked) {
    let m = match v12::decode(n.message) {
        Ok(m) => m,
        Err(e) => {
            out.failures.push(Failure::of(
                "S-002-M",
                format!("the 1.2 notification breaks a rule: {e}"),
            ));
            return;
        }
    };
    out.session_id = Some(m.session_id.value());
    if n.earlier.contains(&m.session_id.value()) {
        out.failures.push(Failure::of(
            "S-002-M",
            format!("SESSIONID {} was already used (6.4.8)", m.session_id),
        ));
    }
    let Some(v) = &n.account.v12 else {
        out.failures.push(Failure::case(
            "the account has no 1.2 credentials to check the digest with",
        ));
        return;
    };
    let creds = v12::Credentials12 {
        password: v.password.bytes(),
        nonce: &v.nonce.0,
        server_id_override: v.aauth_name.as_deref().map(str::as_bytes),
    };
    if let Err(e) = v12::verify(n.message, m.server_id.as_bytes(), creds) {
        out.failures.push(Failure::of("S-011-M", e.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_kind_maps_to_a_server_item() {
        let catalog = crate::scr::Catalog::builtin();
        let kinds = [
            ErrorKind::UnsupportedVersion { version: 0 },
            ErrorKind::ZeroSessionId,
            ErrorKind::MissingServerId,
            ErrorKind::MissingRequestedMo,
            ErrorKind::OptionOutOfOrder {
                number: 2,
                previous: 3,
            },
            ErrorKind::MissingDigest,
            ErrorKind::BadUintLength {
                number: 4,
                length: 2,
            },
        ];
        let items: Vec<_> = kinds.iter().map(server_scr).collect();
        assert_eq!(
            items,
            [
                "S-004-M", "S-003-M", "S-005-M", "S-008-M", "S-002-M", "S-011-M", "S-010-M"
            ]
        );
        for i in items {
            let item = catalog.get(&format!("SCR-DM-NOTI-{i}")).unwrap();
            assert_eq!(item.role, crate::scr::Role::Server, "{i}");
        }
    }

    #[test]
    fn package1_must_carry_the_sessions_id() {
        let built = Built {
            format: Format::V13,
            bytes: crate::tools::encode(&crate::tools::EncodeSpec {
                server_id: "dm".into(),
                session_id: 0x0A01,
                secret: Some(b"k".to_vec()),
                ..Default::default()
            })
            .unwrap(),
        };
        let record = |p1: &str| Session {
            server_id: "dm".into(),
            session_id: "A01".into(),
            package1: Some(p1.into()),
            ..Session::default()
        };
        let items = |p1: &str| {
            session(&record(p1), &built, &SessionExpect::default())
                .into_iter()
                .map(|f| f.scr.unwrap_or_default())
                .collect::<Vec<_>>()
        };
        assert!(items("<SyncML><SyncHdr><SessionID>A01</SessionID></SyncHdr></SyncML>").is_empty());
        assert_eq!(
            items("<SyncML><SyncHdr><SessionID>0A01</SessionID></SyncHdr></SyncML>"),
            ["SCR-DM-NOTI-C-008-M"]
        );
        assert_eq!(
            items("<SyncML><SyncHdr></SyncHdr></SyncML>"),
            ["SCR-DM-NOTI-C-001-M"]
        );
        assert_eq!(items("not xml <"), ["SCR-DM-NOTI-C-001-M"]);
    }
}
