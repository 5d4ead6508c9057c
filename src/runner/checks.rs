//! What a session (client role) and a notification (server role) must satisfy, each check naming
//! the SCR item it stands for: a failure is counted against that item, whichever case found it.
//! Pure functions of what the IUT did and what was asked.

use crate::codec::digest::DigestReading;
use crate::codec::options::number;
use crate::codec::v13::{self, ErrorKind};
use crate::codec::{Format, MoIndex, SessionId, v12};
use crate::report::result::{Failure, Level};
use crate::scr::{ScrId, id};
use crate::suite::message::Built;
use crate::suite::{Check, SessionExpect};
use crate::testee::{Account, NotifyRequest, Session};

/// `"x"` for a value, `none` for its absence: no Rust `Some(..)` in a message.
fn show<T: std::fmt::Debug>(v: Option<T>) -> String {
    v.map_or_else(|| "none".to_owned(), |v| format!("{v:?}"))
}

/// The server item a broken rule of a notification falls under.
pub fn server_scr(kind: &ErrorKind) -> ScrId {
    let by_option = |n: u8| match n {
        number::SERVER_ID => id::S_005_M,
        number::TARGETED_MO => id::S_006_M,
        number::REQUESTED_MO => id::S_008_M,
        number::PREFERRED_BEARER => id::S_010_M,
        number::CONNECT_REASON => id::S_009_O,
        number::VENDOR_INFO => id::S_007_O,
        _ => id::S_002_M,
    };
    match kind {
        ErrorKind::UnsupportedVersion { .. } => id::S_004_M,
        ErrorKind::ShortHeader { .. }
        | ErrorKind::ReservedTransport { .. }
        | ErrorKind::ZeroSessionId
        | ErrorKind::OptionCountMismatch { .. } => id::S_003_M,
        ErrorKind::ServerIdTooLong { .. } | ErrorKind::MissingServerId => id::S_005_M,
        ErrorKind::MissingRequestedMo => id::S_008_M,
        ErrorKind::BearerOutOfRange { .. } => id::S_010_M,
        ErrorKind::RepeatedOption { number }
        | ErrorKind::BadUintLength { number, .. }
        | ErrorKind::EmptyString { number }
        | ErrorKind::InvalidUtf8 { number, .. } => by_option(*number),
        ErrorKind::MissingDigest | ErrorKind::ShortDigest { .. } => id::S_011_M,
        ErrorKind::TruncatedOptionHeader { .. }
        | ErrorKind::OptionOverrun { .. }
        | ErrorKind::UnknownOption { .. }
        | ErrorKind::OptionOutOfOrder { .. }
        | ErrorKind::TrailingBytes { .. } => id::S_002_M,
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

/// A check that could not be made: the IUT did not report what it needs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Unobserved {
    /// The item the check stands for.
    pub scr: String,
    /// What was not reported: `format`, `package1`...
    pub field: String,
    /// The step asked for this check; otherwise it is one made of every session.
    pub expected_by_step: bool,
}

impl std::fmt::Display for Unobserved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "not observed: the IUT did not report `{}`, so its check on {} was not made",
            self.field, self.scr
        )
    }
}

/// What judging an answer gave: broken expectations, and checks not made.
#[derive(Debug, Default)]
pub struct Judged {
    pub failures: Vec<Failure>,
    pub unobserved: Vec<Unobserved>,
}

/// A session against the message that started it and what the step expects. A field the session
/// does not report is a check not made ([`Unobserved`]), never a failure.
/// `absent`: the answer's fields that were not reported (or not of their type), by JSON path.
pub fn session(s: &Session, built: &Built, e: &SessionExpect, absent: &[&str]) -> Judged {
    let mut j = Judged::default();
    let f = &mut j.failures;
    let session_id_reported = !absent.contains(&"session.session_id");
    if !session_id_reported {
        j.unobserved.push(Unobserved {
            scr: id::C_008_M.into(),
            field: "session_id".into(),
            expected_by_step: true,
        });
    }
    // 6.4.8: the SessionID string, always.
    if let Some(wire) = built
        .wire_session_id()
        .and_then(SessionId::new)
        .filter(|_| session_id_reported)
    {
        let want = wire.to_package1();
        match SessionId::parse_package1(&s.session_id) {
            Err(err) => f.push(Failure::new(
                id::C_008_M,
                format!("{want:?}"),
                format!("SessionID {:?}: {err}", s.session_id),
            )),
            Ok(got) if got != wire => f.push(Failure::new(
                id::C_008_M,
                format!("{want:?}, the notification's SESSIONID"),
                format!("SessionID {:?}", s.session_id),
            )),
            Ok(_) => {}
        }
    }
    match &s.package1 {
        Some(_) if !session_id_reported => {}
        Some(p1) => match crate::package1::parse_package1(p1) {
            Ok(doc) if doc.session_id.as_deref() == Some(s.session_id.as_str()) => {}
            Ok(doc) => f.push(Failure::new(
                id::C_008_M,
                format!("the session's {:?}", s.session_id),
                format!(
                    "Package #1 SessionID {:?}",
                    doc.session_id.unwrap_or_default()
                ),
            )),
            Err(e) => f.push(Failure::observed(id::C_001_M, e.to_string())),
        },
        None => j.unobserved.push(Unobserved {
            scr: id::C_008_M.into(),
            field: "package1".into(),
            expected_by_step: false,
        }),
    }
    if let Some(want) = e.session_id.as_ref().filter(|_| session_id_reported) {
        if &s.session_id != want {
            f.push(Failure::new(
                id::C_008_M,
                format!("{want:?}"),
                format!("SessionID {:?}", s.session_id),
            ));
        }
    }
    let mut field = |scr: ScrId, name: &'static str, got: Option<String>, want: Option<String>| {
        let Some(want) = want else { return };
        match got {
            None => j.unobserved.push(Unobserved {
                scr: scr.into(),
                field: name.into(),
                expected_by_step: true,
            }),
            Some(got) if got != want => {
                j.failures
                    .push(Failure::new(scr, want, format!("{name} {got}")))
            }
            Some(_) => {}
        }
    };
    let text = |v: &Option<String>| v.as_ref().map_or("none".to_owned(), |v| format!("{v:?}"));
    field(
        id::C_010_M,
        "server_id",
        Some(format!("{:?}", s.server_id)).filter(|_| !absent.contains(&"session.server_id")),
        e.server_id.as_ref().map(|w| format!("{w:?}")),
    );
    field(
        if e.format == Some(Format::V12) {
            id::C_003_M
        } else {
            id::C_004_M
        },
        "format",
        s.format.map(|f| f.to_string()),
        e.format.map(|f| f.to_string()),
    );
    field(
        id::C_007_O,
        "ui_mode",
        s.ui_mode.map(|m| format!("{m:?}")),
        e.ui_mode.map(|m| format!("{m:?}")),
    );
    field(
        id::C_013_M,
        "requested_mo",
        s.requested_mo.as_ref().map(|v| format!("{v:?}")),
        e.requested_mo.as_ref().map(|v| format!("{v:?}")),
    );
    field(
        id::C_011_O,
        "targeted_mo",
        s.targeted_mo.as_ref().map(|v| format!("{v:?}")),
        e.targeted_mo.as_ref().map(|v| format!("{v:?}")),
    );
    field(
        id::C_017_O,
        "bearer",
        s.bearer.map(|b| show(b.as_ref())),
        e.bearer.map(|b| show(b.as_ref())),
    );
    field(
        id::C_015_O,
        "connect_reason",
        s.connect_reason.as_ref().map(text),
        e.connect_reason.as_ref().map(|w| format!("{w:?}")),
    );
    field(
        id::C_012_O,
        "vendor_info",
        s.vendor_info.as_ref().map(text),
        e.vendor_info.as_ref().map(|w| format!("{w:?}")),
    );
    let wants_package1 = !e.package1_contains.is_empty() || e.package1_has_requested_mo;
    let Some(p1) = s.package1.as_deref() else {
        if wants_package1 {
            j.unobserved.push(Unobserved {
                scr: id::C_001_M.into(),
                field: "package1".into(),
                expected_by_step: true,
            });
        }
        return j;
    };
    for text in &e.package1_contains {
        if !p1.contains(text.as_str()) {
            j.failures.push(Failure::new(
                id::C_001_M,
                format!("Package #1 to contain {text:?}"),
                "it does not",
            ));
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
                    j.failures.push(Failure::new(
                        id::C_013_M,
                        format!("{root}, requested by Requested-MO 0x{index:04X}"),
                        format!("Package #1 does not carry {root}"),
                    ));
                }
            }
        }
    }
    j
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

/// The outcome of the checks: failures, notes that make the case inconclusive, checks not made.
#[derive(Debug, Default)]
pub struct Checked {
    pub failures: Vec<Failure>,
    pub inconclusive: Vec<String>,
    pub unobserved: Vec<Unobserved>,
    pub session_id: Option<u16>,
}

pub fn notification(n: &NotificationCheck<'_>, checks: &[Check]) -> Checked {
    let mut out = Checked::default();
    // A step that names its checks is about them: one of them not made leaves it inconclusive.
    let named = checks.len() < Check::ALL.len();
    let want_format = n.request.format.unwrap_or(Format::V13);
    if checks.contains(&Check::ContentType) {
        match n.content_type {
            None => out.unobserved.push(Unobserved {
                scr: id::S_002_M.into(),
                field: "content_type".into(),
                expected_by_step: named,
            }),
            Some(ct) if ct != want_format.content_type() => out.failures.push(Failure::new(
                id::S_002_M,
                format!("{:?}", want_format.content_type()),
                format!("content type {ct:?}"),
            )),
            Some(_) => {}
        }
    }
    if want_format == Format::V12 {
        notification12(n, checks, named, &mut out);
        return out;
    }
    let wire_session = n
        .message
        .get(6..8)
        .map(|b| u16::from_be_bytes([b[0], b[1]]));
    out.session_id = wire_session;
    let decoded = v13::decode(n.message);
    if checks.contains(&Check::WellFormed) && decoded.is_err() {
        // Every rule the message breaks, not only the first a strict reader stops at: the
        // lenient reading walks the whole message (its first is the strict reader's).
        for e in v13::inspect(n.message).violations {
            out.failures.push(Failure::observed(
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
                (Some(other), Some(declared)) => out.failures.push(Failure::new(
                    id::S_011_M,
                    format!("the declared {} reading", declared.name()),
                    format!("the digest verifies under the {} reading", other.name()),
                )),
                (None, _) => out
                    .failures
                    .push(Failure::observed(id::S_011_M, e.to_string())),
            }
        }
    }
    if checks.contains(&Check::SessionIdFresh) {
        if let Some(id) = wire_session {
            if n.earlier.contains(&id) {
                out.failures.push(Failure::observed(
                    id::S_002_M,
                    format!(
                        "SESSIONID 0x{id:04X} was already used by an earlier notification (6.4.8)"
                    ),
                ));
            }
        }
    }
    if checks.contains(&Check::SessionIdMatches) {
        session_id_matches(n, wire_session, named, &mut out);
    }
    let Ok(m) = decoded else { return out };
    if checks.contains(&Check::Timestamp) {
        let skew = (i64::from(m.header.timestamp) - n.now as i64).abs();
        if skew > 60 {
            // 6.4.9 says what TIMESTAMP is ("the current server time"), with no MUST.
            out.failures.push(
                Failure::new(
                    id::S_003_M,
                    "at most 60 s from it (6.4.9)",
                    format!(
                        "TIMESTAMP {} is {skew} s from the clock {}",
                        m.header.timestamp, n.now
                    ),
                )
                .at_level(Level::Should),
            );
        }
    }
    if checks.contains(&Check::Fields) {
        fields13(n, &m, &mut out.failures);
    }
    out
}

/// 6.4.8: the SESSIONID on the wire is the one the server says it expects in Package #1 (a check
/// not made when it says none).
fn session_id_matches(
    n: &NotificationCheck<'_>,
    wire_session: Option<u16>,
    named: bool,
    out: &mut Checked,
) {
    let Some(said) = n.session_id else {
        out.unobserved.push(Unobserved {
            scr: id::S_003_M.into(),
            field: "session_id".into(),
            expected_by_step: named,
        });
        return;
    };
    if let Some(id) = wire_session {
        let wire = SessionId::new(id)
            .map(SessionId::to_package1)
            .unwrap_or_else(|| "0".into());
        if said != wire {
            out.failures.push(Failure::new(
                id::S_003_M,
                format!("{wire:?}, SESSIONID 0x{id:04X} on the wire (6.4.8; network byte order?)"),
                format!("the server expects SessionID {said:?}"),
            ));
        }
    }
}

fn fields13(n: &NotificationCheck<'_>, m: &v13::Notification13<'_>, f: &mut Vec<Failure>) {
    let r = n.request;
    let mut expect = |scr: ScrId, name: &str, ok: bool, got: String, want: String| {
        if !ok {
            // The header's fields are the server's to choose (a recommendation, a preference, a
            // validity); the spec has no MUST that it honour a request for one.
            let level = if ["UIM", "I", "TRA", "TIMEOUT"].contains(&name) {
                Level::Robustness
            } else {
                Level::Must
            };
            f.push(
                Failure::new(
                    scr,
                    format!("{want}, as requested"),
                    format!("{name} {got}"),
                )
                .at_level(level),
            );
        }
    };
    expect(
        id::S_005_M,
        "Server-ID",
        m.server_id() == Some(n.account.server_id.as_str()),
        show(m.server_id()),
        format!("{:?}", n.account.server_id),
    );
    expect(
        id::S_003_M,
        "UIM",
        m.header.ui_mode == r.ui_mode,
        format!("{:?}", m.header.ui_mode),
        format!("{:?}", r.ui_mode),
    );
    if let Some(i) = r.initiator {
        expect(
            id::S_003_M,
            "I",
            m.header.initiator == i,
            format!("{:?}", m.header.initiator),
            format!("{i:?}"),
        );
    }
    if let Some(t) = r.transport {
        expect(
            id::S_003_M,
            "TRA",
            m.header.transport == t,
            format!("{:?}", m.header.transport),
            format!("{t:?}"),
        );
    }
    if let Some(t) = r.timeout {
        expect(
            id::S_003_M,
            "TIMEOUT",
            m.header.timeout == t,
            m.header.timeout.to_string(),
            t.to_string(),
        );
    }
    let targeted: Vec<u16> = m.targeted_mo().map(|x| x.0).collect();
    expect(
        id::S_006_M,
        "Targeted-MO",
        targeted == r.targeted_mo,
        format!("{targeted:?}"),
        format!("{:?}", r.targeted_mo),
    );
    let requested: Vec<u16> = m.requested_mo().map(|x| x.0).collect();
    if r.requested_mo.is_empty() {
        expect(
            id::S_008_M,
            "Requested-MO",
            !requested.is_empty(),
            "none".into(),
            "at least one".into(),
        );
    } else {
        expect(
            id::S_008_M,
            "Requested-MO",
            requested == r.requested_mo,
            format!("{requested:?}"),
            format!("{:?}", r.requested_mo),
        );
    }
    let bearers: Vec<u8> = m.preferred_bearers().map(|b| b.value()).collect();
    expect(
        id::S_010_M,
        "Preferred-Bearer",
        bearers == r.preferred_bearer,
        format!("{bearers:?}"),
        format!("{:?}", r.preferred_bearer),
    );
    expect(
        id::S_009_O,
        "Connect-Reason",
        m.connect_reason() == r.connect_reason.as_deref(),
        show(m.connect_reason()),
        show(r.connect_reason.as_ref()),
    );
    expect(
        id::S_007_O,
        "Vendor-Info",
        m.vendor_info() == r.vendor_info.as_deref(),
        show(m.vendor_info()),
        show(r.vendor_info.as_ref()),
    );
}

/// The item and level of a rule of the 1.2 format a server's notification breaks (the format as
/// docs/spec-notes.md states it): its SESSIONID is 6.4.8's (S-003-M), its server identifier the
/// Server-ID's (S-005-M), the rest the message's (S-002-M). FUTURE is stated as zero with no
/// MUST, like 1.3's RESERVED (erratum 6): a warning.
pub fn server_scr12(kind: &v12::ErrorKind) -> (ScrId, Level) {
    use v12::ErrorKind as K;
    match kind {
        K::ZeroSessionId => (id::S_003_M, Level::Must),
        K::EmptyServerId | K::ServerIdOverrun { .. } | K::InvalidUtf8 { .. } => {
            (id::S_005_M, Level::Must)
        }
        K::FutureBitsSet { .. } => (id::S_002_M, Level::Robustness),
        K::ShortMessage { .. } | K::UnsupportedVersion { .. } | K::Version12 => {
            (id::S_002_M, Level::Must)
        }
    }
}

/// A server's 1.2 notification: every rule of the format it breaks, its digest whenever its
/// trigger can be read, its SESSIONID against earlier ones and the one announced, and every field
/// the request asked for, as far as the step's checks go.
fn notification12(n: &NotificationCheck<'_>, checks: &[Check], named: bool, out: &mut Checked) {
    let inspected = v12::inspect(n.message);
    if checks.contains(&Check::WellFormed) {
        for e in &inspected.violations {
            let (item, level) = server_scr12(&e.kind);
            out.failures.push(
                Failure::observed(item, format!("the 1.2 notification breaks a rule: {e}"))
                    .at_level(level),
            );
        }
    }
    // Without a trigger nothing else can be read; the rule above says why.
    let Some(raw) = inspected.trigger else {
        return;
    };
    out.session_id = Some(raw.session_id);
    if checks.contains(&Check::SessionIdFresh)
        && raw.session_id != 0
        && n.earlier.contains(&raw.session_id)
    {
        out.failures.push(Failure::observed(
            id::S_002_M,
            format!(
                "SESSIONID 0x{:04X} was already used by an earlier notification (6.4.8)",
                raw.session_id
            ),
        ));
    }
    if checks.contains(&Check::SessionIdMatches) {
        session_id_matches(n, Some(raw.session_id), named, out);
    }
    let server_id = inspected.server_id.map(|(_, b)| b);
    if checks.contains(&Check::Digest) {
        match &n.account.v12 {
            // A check that cannot be made: the suite's account, not the IUT, lacks something.
            None => out
                .inconclusive
                .push("the account has no 1.2 credentials to check the digest with".into()),
            Some(v) => {
                let creds = v12::Credentials12 {
                    password: v.password.bytes(),
                    nonce: &v.nonce.0,
                    server_id_override: v.aauth_name.as_deref().map(str::as_bytes),
                };
                // Keyed with the server id the message carries, else the account's.
                let key = server_id.unwrap_or(n.account.server_id.as_bytes());
                if let Err(e) = v12::verify(n.message, key, creds) {
                    out.failures
                        .push(Failure::observed(id::S_011_M, e.to_string()));
                }
            }
        }
    }
    if checks.contains(&Check::Fields) {
        fields12(
            n,
            raw,
            server_id,
            inspected.vendor_body.map(|(_, b)| b),
            &mut out.failures,
        );
    }
}

/// Each field of a 1.2 notification against the request: the server id, the UI mode and
/// initiator (the server's to choose: robustness, as in 1.3) and the vendor body, byte for byte.
fn fields12(
    n: &NotificationCheck<'_>,
    raw: v12::RawTrigger,
    server_id: Option<&[u8]>,
    vendor_body: Option<&[u8]>,
    f: &mut Vec<Failure>,
) {
    let r = n.request;
    let bytes = |b: Option<&[u8]>| match b {
        None => "none".to_owned(),
        Some(b) => match std::str::from_utf8(b) {
            Ok(t) => format!("{t:?}"),
            Err(_) => format!("hex {}", crate::codec::hex(b)),
        },
    };
    if server_id != Some(n.account.server_id.as_bytes()) {
        f.push(Failure::new(
            id::S_005_M,
            format!("{:?}, the account's", n.account.server_id),
            format!("server identifier {}", bytes(server_id)),
        ));
    }
    let ui_mode = crate::codec::UiMode::from_bits(raw.ui_mode);
    if ui_mode != r.ui_mode {
        f.push(
            Failure::new(
                id::S_003_M,
                format!("{:?}, as requested", r.ui_mode),
                format!("UIM {ui_mode:?}"),
            )
            .at_level(Level::Robustness),
        );
    }
    if let Some(i) = r.initiator {
        let initiator = crate::codec::Initiator::from_bit(raw.initiator);
        if initiator != i {
            f.push(
                Failure::new(
                    id::S_003_M,
                    format!("{i:?}, as requested"),
                    format!("I {initiator:?}"),
                )
                .at_level(Level::Robustness),
            );
        }
    }
    let wanted = r.vendor_info.as_deref().unwrap_or("").as_bytes();
    let body = vendor_body.unwrap_or(&[]);
    if body != wanted {
        f.push(Failure::new(
            id::S_007_O,
            format!("vendor body {}, as requested", bytes(Some(wanted))),
            format!("vendor body {}", bytes(Some(body))),
        ));
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
                id::S_004_M,
                id::S_003_M,
                id::S_005_M,
                id::S_008_M,
                id::S_002_M,
                id::S_011_M,
                id::S_010_M
            ]
        );
        for i in items {
            let item = catalog.get(i.as_str()).unwrap();
            assert_eq!(item.role, crate::scr::Role::Server, "{i}");
        }
    }

    /// A server's 1.2 notification: every rule it breaks is named (V and SESSIONID both), its
    /// digest is checked though it does not decode, the vendor body is compared byte for byte,
    /// and a step's checks are honoured.
    #[test]
    fn a_1_2_notification_is_judged_whole() {
        let account = crate::suite::AccountSpec::default_account()
            .to_account()
            .unwrap();
        let v12 = account.v12.clone().unwrap();
        let draft = |version: u16, session_id: u16, body: &[u8], sign: bool| {
            let mut d = v12::Draft12 {
                digest: vec![0; 16],
                trigger: v12::RawTrigger {
                    version,
                    ui_mode: 0,
                    initiator: 1,
                    future: 0,
                    session_id,
                },
                server_id_length: None,
                server_id: account.server_id.as_bytes().to_vec(),
                vendor_body: body.to_vec(),
            };
            if sign {
                d.sign(
                    account.server_id.as_bytes(),
                    v12.password.bytes(),
                    &v12.nonce.0,
                );
            }
            d.encode()
        };
        let request = NotifyRequest {
            format: Some(Format::V12),
            vendor_info: Some("acme".into()),
            ..NotifyRequest::default()
        };
        let judge = |message: &[u8], checks: &[Check]| {
            let c = NotificationCheck {
                request: &request,
                account: &account,
                content_type: Some(Format::V12.content_type()),
                message,
                session_id: Some("A01"),
                now: 0,
                earlier: &[],
                reading: None,
            };
            notification(&c, checks)
                .failures
                .into_iter()
                .map(|f| (f.scr, f.level))
                .collect::<Vec<_>>()
        };
        let good = draft(v12::VERSION, 0x0A01, b"acme", true);
        assert_eq!(judge(&good, &Check::ALL), []);
        // V = 8 and SESSIONID 0: both named, each on its item; the SessionID announced differs.
        let broken = draft(8, 0, b"acme", true);
        let items = judge(&broken, &Check::ALL);
        assert!(
            items.contains(&(id::S_002_M.into(), Level::Must)),
            "{items:?}"
        );
        assert!(
            items.contains(&(id::S_003_M.into(), Level::Must)),
            "{items:?}"
        );
        assert!(
            !items.iter().any(|(i, _)| i == id::S_011_M.as_str()),
            "{items:?}"
        );
        // A wrong digest is named though the message does not decode.
        let unsigned = draft(8, 0x0A01, b"acme", false);
        assert!(judge(&unsigned, &[Check::Digest]).contains(&(id::S_011_M.into(), Level::Must)));
        // A step about the content type only is not failed on V.
        assert_eq!(judge(&broken, &[Check::ContentType]), []);
        // The vendor body, byte for byte.
        let prefixed = draft(v12::VERSION, 0x0A01, b"\0acme", true);
        assert_eq!(
            judge(&prefixed, &Check::ALL),
            [(id::S_007_O.into(), Level::Must)]
        );
    }

    #[test]
    fn package1_must_carry_the_sessions_id() {
        let built = Built {
            format: Format::V13,
            bytes: crate::codec::build::encode(&crate::codec::build::EncodeSpec {
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
            session(&record(p1), &built, &SessionExpect::default(), &[])
                .failures
                .into_iter()
                .map(|f| f.scr)
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
