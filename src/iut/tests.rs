use super::client::{ClientSettings, Decision, ReferenceClient, TimeoutUnit};
use super::device::DeviceTree;
use super::faults::{Fault, Faults};
use super::server::ReferenceServer;
use crate::codec::build::{self, EncodeSpec};
use crate::codec::digest::{self, DigestReading};
use crate::codec::v12;
use crate::codec::v13::{self, Draft13, RawOption};
use crate::codec::{Format, Initiator, SessionId, Transport, UiMode};
use crate::iut::server::NotifyError;
use crate::testee::protocol::V12Credentials;
use crate::testee::{Account, HexBytes, NotifyRequest, Secret};
use proptest::prelude::*;
use rstest::rstest;

const SERVER: &str = "com.example.dm";
const SECRET: &[u8] = b"s3cret";
const NOW: u64 = 1_700_000_000;
const V13: &str = crate::codec::CONTENT_TYPE_V13;
const V12: &str = crate::codec::CONTENT_TYPE_V12;

fn account() -> Account {
    Account {
        server_id: SERVER.into(),
        secret: Secret::new(SECRET),
        v12: Some(V12Credentials {
            password: Secret::new(b"pw".to_vec()),
            nonce: HexBytes(vec![1, 2, 3, 4]),
            aauth_name: None,
        }),
        server_uri: Some("http://dm.example/manage".into()),
    }
}

fn client(faults: &[Fault]) -> ReferenceClient {
    let mut c = ReferenceClient::new(
        DeviceTree::default(),
        ClientSettings::default(),
        Faults::of(faults.iter().copied()),
    );
    c.provision(vec![account()], Some(NOW));
    c
}

fn server(faults: &[Fault]) -> ReferenceServer {
    let mut s = ReferenceServer::new(Faults::of(faults.iter().copied()));
    s.provision(vec![account()], Some(NOW));
    s
}

fn spec() -> EncodeSpec {
    EncodeSpec {
        server_id: SERVER.into(),
        session_id: 0x00AB,
        ui_mode: UiMode::Background,
        timestamp: NOW as u32,
        timeout: 10,
        requested_mo: vec![0x000B],
        secret: Some(SECRET.to_vec()),
        ..EncodeSpec::default()
    }
}

fn message(edit: impl FnOnce(&mut EncodeSpec)) -> Vec<u8> {
    let mut s = spec();
    edit(&mut s);
    build::encode(&s).unwrap()
}

/// A valid message changed in its raw form, then signed again (so the change, not the digest, is
/// what the client sees).
fn drafted(edit: fn(&mut Draft13)) -> Vec<u8> {
    let mut d = Draft13::from_bytes(&message(|_| {})).unwrap();
    edit(&mut d);
    if d.digest.len() == 32 {
        d.sign(SECRET, DigestReading::LiteralColons);
    }
    d.encode()
}

fn v12_message(session: u16, password: &[u8], nonce: &[u8], version: u16) -> Vec<u8> {
    let mut d = v12::Draft12 {
        digest: vec![],
        trigger: v12::RawTrigger {
            version,
            ui_mode: 1,
            initiator: 1,
            future: 0,
            session_id: session,
        },
        server_id_length: None,
        server_id: SERVER.as_bytes().to_vec(),
        vendor_body: vec![],
    };
    d.sign(SERVER.as_bytes(), password, nonce);
    d.encode()
}

fn session(d: Decision) -> crate::testee::Session {
    match d {
        Decision::Session(s) => s,
        other => panic!("expected a session, got {other:?}"),
    }
}

fn ignored(d: Decision) -> String {
    match d {
        Decision::Ignored(reason) => reason,
        other => panic!("expected ignored, got {other:?}"),
    }
}

#[test]
fn a_valid_message_starts_a_session_with_its_package1() {
    let s = session(client(&[]).deliver(V13, &message(|s| s.bearers = vec![0x00, 0x06])));
    assert_eq!(s.server_id, SERVER);
    assert_eq!(s.session_id, "AB");
    assert_eq!(s.format, Some(Format::V13));
    assert_eq!(s.ui_mode, Some(UiMode::Background));
    assert_eq!(s.requested_mo.as_deref(), Some(&[0x000B][..]));
    assert_eq!(s.bearer, Some(Some(0x06)));
    let p1 = s.package1.unwrap();
    for part in [
        "<VerDTD>1.2</VerDTD>",
        "<VerProto>DM/1.3</VerProto>",
        "<SessionID>AB</SessionID>",
        "<MsgID>1</MsgID>",
        "<Target><LocURI>http://dm.example/manage</LocURI></Target>",
        "<Source><LocURI>IMEI:490154203237518</LocURI></Source>",
        "<Data>1200</Data>",
        "./DevInfo/DevId",
        "./DevDetail/LrgObj",
    ] {
        assert!(p1.contains(part), "{part} missing from {p1}");
    }
}

#[rstest]
#[case::version_2(|d: &mut Draft13| d.header.version = 2, "unsupported-version")]
#[case::reserved_transport(|d: &mut Draft13| d.header.transport = 5, "reserved-transport")]
#[case::zero_session_id(|d: &mut Draft13| d.header.session_id = 0, "zero-session-id")]
#[case::unknown_option(|d: &mut Draft13| { d.options.push(RawOption::new(7, vec![1])); d.count_options(); }, "unknown-option")]
#[case::out_of_order(|d: &mut Draft13| d.options.swap(0, 1), "option-out-of-order")]
#[case::repeated_server_id(|d: &mut Draft13| { let o = d.options[0].clone(); d.options.insert(0, o); d.count_options(); }, "repeated-option")]
#[case::server_id_too_long(|d: &mut Draft13| d.options[0] = RawOption::new(1, vec![b'a'; 256]), "server-id-too-long")]
#[case::uint_of_three(|d: &mut Draft13| d.options[1] = RawOption::new(3, vec![0, 0, 11]), "bad-uint-length")]
#[case::empty_reason(|d: &mut Draft13| { d.options.push(RawOption::new(5, vec![])); d.count_options(); }, "empty-string")]
#[case::bad_utf8(|d: &mut Draft13| d.options[0] = RawOption::new(1, vec![0xff]), "invalid-utf8")]
#[case::bearer_out_of_range(|d: &mut Draft13| { d.options.push(RawOption::new(4, vec![0x0C])); d.count_options(); }, "bearer-out-of-range")]
#[case::missing_server_id(|d: &mut Draft13| { d.options.remove(0); d.count_options(); }, "missing-server-id")]
#[case::missing_requested_mo(|d: &mut Draft13| { d.options.remove(1); d.count_options(); }, "missing-requested-mo")]
#[case::opc_mismatch(|d: &mut Draft13| d.header.opc = 3, "option-count-mismatch")]
#[case::overrun(|d: &mut Draft13| d.options[0].length = 0x0FF, "option-overrun")]
#[case::missing_digest(|d: &mut Draft13| d.digest.clear(), "missing-digest")]
#[case::short_digest(|d: &mut Draft13| d.digest.truncate(20), "short-digest")]
#[case::trailing_bytes(|d: &mut Draft13| d.trailer = vec![0xEE], "trailing-bytes")]
fn malformed_messages_are_ignored_with_the_rule(
    #[case] edit: fn(&mut Draft13),
    #[case] kind: &str,
) {
    let bytes = drafted(edit);
    let rule = v13::decode(&bytes).unwrap_err();
    assert_eq!(crate::codec::Rule::name(&rule.kind), kind);
    let reason = ignored(client(&[]).deliver(V13, &bytes));
    assert_eq!(reason, format!("malformed: {rule}"));
}

#[test]
fn account_and_digest_cases() {
    // Unknown server.
    let other = message(|s| s.server_id = "evil.example".into());
    assert!(ignored(client(&[]).deliver(V13, &other)).contains("no account"));
    // Wrong secret, and a digest under another reading.
    assert!(
        ignored(client(&[]).deliver(V13, &message(|s| s.secret = Some(b"guess".to_vec()))))
            .starts_with("digest mismatch")
    );
    assert!(
        ignored(client(&[]).deliver(V13, &message(|s| s.reading = DigestReading::NoColons)))
            .starts_with("digest mismatch")
    );
    let mut lenient = client(&[]);
    lenient.settings.reading = DigestReading::NoColons;
    session(lenient.deliver(V13, &message(|s| s.reading = DigestReading::NoColons)));
    // Not a notification content type.
    assert!(
        ignored(client(&[]).deliver("text/plain", &message(|_| {})))
            .contains("not a DM notification")
    );
    // A 1.3 message sent as 1.2 is malformed as 1.2.
    assert!(ignored(client(&[]).deliver(V12, &message(|_| {}))).starts_with("malformed 1.2"));
}

#[test]
fn one_session_per_server_and_session_id() {
    let mut c = client(&[]);
    let m = message(|_| {});
    session(c.deliver(V13, &m));
    assert!(ignored(c.deliver(V13, &m)).contains("already started a session"));
    session(c.deliver(V13, &message(|s| s.session_id = 0x00AC)));
    // Provisioning again forgets earlier sessions.
    c.provision(vec![account()], None);
    session(c.deliver(V13, &m));
}

#[rstest]
#[case::fresh(0, 10, TimeoutUnit::Minutes, true)]
#[case::nine_minutes(9 * 60, 10, TimeoutUnit::Minutes, true)]
#[case::eleven_minutes(11 * 60, 10, TimeoutUnit::Minutes, false)]
#[case::no_timeout(1_000_000, 0, TimeoutUnit::Minutes, true)]
#[case::eleven_minutes_as_days(11 * 60, 10, TimeoutUnit::Days, true)]
#[case::eleven_days(11 * 86_400, 10, TimeoutUnit::Days, false)]
fn old_messages_by_timeout(
    #[case] age: u64,
    #[case] timeout: u16,
    #[case] unit: TimeoutUnit,
    #[case] accepted: bool,
) {
    let mut c = client(&[]);
    c.settings.timeout_unit = unit;
    let m = message(|s| {
        s.timestamp = (NOW - age) as u32;
        s.timeout = timeout;
    });
    match c.deliver(V13, &m) {
        Decision::Session(_) => assert!(accepted),
        Decision::Ignored(r) => assert!(!accepted && r.starts_with("older than TIMEOUT"), "{r}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_12_format_with_resync_and_leniency() {
    let s = session(client(&[]).deliver(V12, &v12_message(0x3039, b"pw", &[1, 2, 3, 4], 11)));
    assert_eq!(
        (s.session_id.as_str(), s.format),
        ("3039", Some(Format::V12))
    );
    assert!(s.package1.unwrap().contains("<VerProto>DM/1.2</VerProto>"));
    session(client(&[]).deliver(V12, &v12_message(0x3039, b"pw", &digest::RESYNC_NONCE, 11)));
    session(client(&[]).deliver(V12, &v12_message(0x3039, b"pw", &[1, 2, 3, 4], 12)));
    assert!(
        ignored(client(&[]).deliver(V12, &v12_message(0x3039, b"nope", &[1, 2, 3, 4], 11)))
            .starts_with("digest mismatch")
    );
    assert!(
        ignored(client(&[]).deliver(V12, &v12_message(0x3039, b"pw", &[1, 2, 3, 4], 10)))
            .contains("V is 10")
    );
    let mut no_creds = client(&[]);
    no_creds.provision(
        vec![Account {
            v12: None,
            ..account()
        }],
        None,
    );
    assert!(
        ignored(no_creds.deliver(V12, &v12_message(1, b"pw", &[1, 2, 3, 4], 11)))
            .contains("no 1.2 credentials")
    );
    // Keyed with AAuthName when the account says so.
    let mut named = client(&[]);
    let mut a = account();
    a.v12.as_mut().unwrap().aauth_name = Some("auth-name".into());
    named.provision(vec![a], None);
    let mut d = v12::Draft12 {
        digest: vec![],
        trigger: v12::RawTrigger {
            version: 11,
            ui_mode: 0,
            initiator: 1,
            future: 0,
            session_id: 5,
        },
        server_id_length: None,
        server_id: SERVER.as_bytes().to_vec(),
        vendor_body: vec![],
    };
    d.sign(b"auth-name", b"pw", &[1, 2, 3, 4]);
    session(named.deliver(V12, &d.encode()));
}

/// One concrete message per client fault on which the faulty client decides otherwise.
#[rstest]
#[case(Fault::AcceptBadDigest)]
#[case(Fault::AcceptUnknownServer)]
#[case(Fault::RejectV12Format)]
#[case(Fault::AcceptVersion2)]
#[case(Fault::SessionIdLeadingZeros)]
#[case(Fault::SessionIdLowercase)]
#[case(Fault::SessionIdDecimal)]
#[case(Fault::SessionIdByteSwap)]
#[case(Fault::DuplicateSessions)]
#[case(Fault::OmitRequestedMoInPackage1)]
#[case(Fault::IgnoreUiMode)]
#[case(Fault::AcceptOutOfOrderOptions)]
#[case(Fault::CrashOnLongServerId)]
#[case(Fault::HangOnVendorInfo)]
fn each_client_fault_changes_a_decision(#[case] fault: Fault) {
    let long = "x".repeat(100);
    let (content_type, bytes): (&str, Vec<u8>) = match fault {
        Fault::AcceptBadDigest => (V13, message(|s| s.digest = Some(vec![0; 32]))),
        Fault::AcceptUnknownServer => (V13, message(|s| s.server_id = "evil.example".into())),
        Fault::RejectV12Format => (V12, v12_message(7, b"pw", &[1, 2, 3, 4], 11)),
        Fault::AcceptVersion2 => (V13, message(|s| s.version = Some(2))),
        Fault::AcceptOutOfOrderOptions => (V13, drafted(|d| d.options.swap(0, 1))),
        Fault::CrashOnLongServerId => (V13, message(|s| s.server_id = "x".repeat(100))),
        Fault::HangOnVendorInfo => (V13, message(|s| s.vendor_info = Some("acme".into()))),
        _ => (V13, message(|_| {})),
    };
    let run = |faults: &[Fault]| {
        let mut c = client(faults);
        c.accounts.push(Account {
            server_id: long.clone(),
            ..account()
        });
        let first = c.deliver(content_type, &bytes);
        // A second copy, for the duplicate fault.
        let second = c.deliver(content_type, &bytes);
        (first, second)
    };
    let conformant = run(&[]);
    let faulty = run(&[fault]);
    assert_ne!(
        conformant, faulty,
        "{fault} decided as the conformant client does"
    );
    // The conformant client keeps the rules on that message.
    match (fault, &conformant.0) {
        (
            Fault::AcceptBadDigest
            | Fault::AcceptUnknownServer
            | Fault::AcceptVersion2
            | Fault::AcceptOutOfOrderOptions,
            d,
        ) => {
            assert!(matches!(d, Decision::Ignored(_)), "{d:?}")
        }
        (_, d) => assert!(matches!(d, Decision::Session(_)), "{d:?}"),
    }
}

/// Every check a harness makes on notifications, over two notifications; empty when conformant.
fn server_broken_checks(faults: &[Fault]) -> Vec<&'static str> {
    let mut s = server(faults);
    let req = NotifyRequest {
        requested_mo: vec![0x000B],
        targeted_mo: vec![0x0027],
        preferred_bearer: vec![6],
        ..NotifyRequest::default()
    };
    let a = s.notify(&req).unwrap();
    let b = s.notify(&req).unwrap();
    let mut broken = Vec::new();
    for n in [&a, &b] {
        match v13::decode(&n.message) {
            Err(_) => broken.push("decode"),
            Ok(m) => {
                if m.header.session_id.to_package1() != n.session_id {
                    broken.push("session-id");
                }
                if u64::from(m.header.timestamp) != NOW {
                    broken.push("timestamp");
                }
            }
        }
        if v13::verify(&n.message, SECRET, DigestReading::LiteralColons).is_err() {
            broken.push("digest");
        }
    }
    if a.message[6..8] == b.message[6..8] {
        broken.push("repeat");
    }
    broken
}

#[rstest]
#[case(Fault::Version0, "decode")]
#[case(Fault::OmitServerId, "decode")]
#[case(Fault::OmitRequestedMo, "decode")]
#[case(Fault::OptionsOutOfOrder, "decode")]
#[case(Fault::ZeroSessionId, "decode")]
#[case(Fault::RepeatSessionId, "repeat")]
#[case(Fault::Md5Digest, "decode")]
#[case(Fault::DigestWithoutColons, "digest")]
#[case(Fault::WrongSecret, "digest")]
#[case(Fault::OpcOffByOne, "decode")]
#[case(Fault::LittleEndianSessionId, "session-id")]
#[case(Fault::TimestampZero, "timestamp")]
fn each_server_fault_breaks_a_check(#[case] fault: Fault, #[case] check: &str) {
    assert!(
        server_broken_checks(&[]).is_empty(),
        "{:?}",
        server_broken_checks(&[])
    );
    let broken = server_broken_checks(&[fault]);
    assert!(broken.contains(&check), "{fault}: {broken:?}");
}

#[test]
fn server_refuses_what_it_cannot_send() {
    let mut s = server(&[]);
    let too_many = NotifyRequest {
        preferred_bearer: vec![1, 2, 3, 4, 5, 6],
        ..NotifyRequest::default()
    };
    assert_eq!(s.notify(&too_many), Err(NotifyError::TooManyOptions(8)));
    let bad_bearer = NotifyRequest {
        preferred_bearer: vec![0x0C],
        ..NotifyRequest::default()
    };
    assert!(matches!(s.notify(&bad_bearer), Err(NotifyError::Bearer(_))));
    let unknown = NotifyRequest {
        server_id: Some("nobody".into()),
        ..NotifyRequest::default()
    };
    assert!(matches!(s.notify(&unknown), Err(NotifyError::NoAccount(_))));
    let mut empty = ReferenceServer::new(Faults::none());
    assert!(empty.notify(&NotifyRequest::default()).unwrap_err() == NotifyError::NotProvisioned);
}

#[test]
fn session_ids_are_fresh_and_never_zero() {
    let mut s = server(&[]);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..70_000 {
        let n = s.notify(&NotifyRequest::default()).unwrap();
        let m = v13::decode(&n.message).unwrap();
        let id = m.header.session_id.value();
        assert_ne!(
            id.swap_bytes(),
            id,
            "an id that reads the same byte-swapped"
        );
        // Every id but 0 and the 255 whose two bytes are equal, before one comes again.
        if seen.len() < 65_280 {
            assert!(
                seen.insert(m.header.session_id),
                "repeated {}",
                m.header.session_id
            );
        }
    }
}

fn arb_request() -> impl Strategy<Value = NotifyRequest> {
    (
        (
            0u8..4,
            0u8..2,
            proptest::option::of(0u8..5),
            proptest::option::of(any::<u16>()),
        ),
        proptest::collection::vec(any::<u16>(), 1..3),
        proptest::collection::vec(any::<u16>(), 0..2),
        proptest::collection::vec(0u8..12, 0..2),
        proptest::option::of("[ -~]{1,40}"),
        proptest::option::of("[ -~é]{1,40}"),
        prop_oneof![3 => Just(Format::V13), 1 => Just(Format::V12)],
    )
        .prop_map(
            |((uim, i, tra, timeout), requested, targeted, bearers, reason, vendor, format)| {
                NotifyRequest {
                    server_id: None,
                    format: Some(format),
                    ui_mode: UiMode::from_bits(uim),
                    initiator: Some(Initiator::from_bit(i)),
                    transport: tra.and_then(Transport::from_bits),
                    timeout,
                    requested_mo: requested,
                    targeted_mo: targeted,
                    preferred_bearer: bearers,
                    connect_reason: reason,
                    vendor_info: vendor,
                    device: None,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    /// The reference server's notifications are accepted by the reference client, field for field.
    #[test]
    fn server_to_client_round_trip(req in arb_request()) {
        let mut s = server(&[]);
        let mut c = client(&[]);
        let n = s.notify(&req).unwrap();
        let decision = c.deliver(n.format.content_type(), &n.message);
        let Decision::Session(session) = decision else {
            return Err(TestCaseError::fail(format!("{decision:?}")));
        };
        prop_assert_eq!(&session.session_id, &n.session_id);
        prop_assert_eq!(session.server_id.as_str(), SERVER);
        prop_assert_eq!(session.ui_mode, Some(req.ui_mode));
        prop_assert_eq!(session.format, req.format);
        if req.format == Some(Format::V13) {
            prop_assert_eq!(session.requested_mo.as_ref(), Some(&req.requested_mo));
            prop_assert_eq!(session.targeted_mo.as_ref(), Some(&req.targeted_mo));
            prop_assert_eq!(session.connect_reason.as_ref(), Some(&req.connect_reason));
            prop_assert_eq!(session.vendor_info.as_ref(), Some(&req.vendor_info));
            let first_bearer = req.preferred_bearer.iter().copied().find(|b| *b != 0);
            prop_assert_eq!(session.bearer, Some(first_bearer));
        }
        prop_assert!(SessionId::parse_package1(&session.session_id).is_ok());
    }
}
