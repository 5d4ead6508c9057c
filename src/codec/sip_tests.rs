//! Tests of the SIP codec (beside it, as v13's are).
use super::*;
use proptest::prelude::*;
use rstest::rstest;

const BODY: &[u8] = &[0x1a, 0x00, 0x0d, 0x0a, 0x0d, 0x0a, 0xff];

fn built(spec: &MessageSpec<'_>) -> Vec<u8> {
    message_request(spec, BODY)
}

/// RFC 3581 4: a request whose top Via asks for rport gets it answered, with `received`;
/// another Via stays as it was; the To tag is the UAS's.
#[test]
fn rport_is_answered_with_the_source_and_received() {
    let request = b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK1;rport, SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK0\r\nVia: SIP/2.0/UDP 10.0.0.8;rport\r\nFrom: <sip:b@h>;tag=x\r\nTo: <sip:a@h>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    let m = parse_datagram(request).unwrap();
    let from: std::net::SocketAddr = "192.0.2.7:40000".parse().unwrap();
    let bytes = response_to(&m, Some(from), "a1b2c3d4", 200, "OK", "");
    let r = parse_datagram(&bytes).unwrap();
    let vias: Vec<&str> = r.header_values("Via").collect();
    assert_eq!(
        vias[0],
        "SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK1;received=192.0.2.7;rport=40000"
    );
    assert_eq!(vias[1], "SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK0");
    assert_eq!(vias[2], "SIP/2.0/UDP 10.0.0.8;rport");
    assert_eq!(r.header("To"), Some("<sip:a@h>;tag=a1b2c3d4"));
    // No rport asked: the Via as it came.
    let plain = parse_datagram(b"OPTIONS sip:a@h SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:b@h>;tag=x\r\nTo: <sip:a@h>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").unwrap();
    let bytes = response_to(&plain, Some(from), "t", 200, "OK", "");
    let r = parse_datagram(&bytes).unwrap();
    assert_eq!(
        r.header("Via"),
        Some("SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1")
    );
}

fn spec() -> MessageSpec<'static> {
    MessageSpec::new(
        "sip:device@127.0.0.1:5070",
        "sip:dm@127.0.0.1",
        "127.0.0.1:5060",
    )
}

#[rstest]
#[case(Format::V13, SipTransport::Udp)]
#[case(Format::V12, SipTransport::Udp)]
#[case(Format::V13, SipTransport::Tcp)]
fn a_built_message_is_a_push(#[case] format: Format, #[case] transport: SipTransport) {
    let mut s = spec();
    s.format = format;
    s.transport = transport;
    let bytes = built(&s);
    let Parsed::Complete(m, used) = parse(&bytes, transport).unwrap() else {
        panic!("partial")
    };
    assert_eq!(used, bytes.len());
    let push = decode_push(&m).unwrap();
    assert_eq!(push.format, format);
    assert_eq!(push.message, BODY);
    assert_eq!(&bytes[push.message_offset..], BODY);
    assert_eq!(push.request_uri, "sip:device@127.0.0.1:5070");
}

#[test]
fn sender_rules_name_every_broken_rule() {
    let bytes = built(&spec());
    assert!(sender_rules(&parse_datagram(&bytes).unwrap()).is_empty());
    let mut s = spec();
    s.content_type = Some("application/octet-stream");
    s.feature_tag = false;
    let bytes = built(&s);
    let names: Vec<_> = sender_rules(&parse_datagram(&bytes).unwrap())
        .iter()
        .map(|e| e.kind.name())
        .collect();
    assert_eq!(names, ["not-dm-content-type", "missing-feature-tag"]);
}

#[rstest]
#[case(false, false, None, Ok(()))]
#[case(true, false, None, Err("contact-without-feature-tag"))]
#[case(false, true, None, Err("gruu-not-used"))]
#[case(false, true, Some("<urn:uuid:00000000-0000-1000-8000-000000000001>"), Ok(()))]
fn a_built_register_is_judged(
    #[case] no_tag: bool,
    #[case] gruu: bool,
    #[case] instance: Option<&str>,
    #[case] want: Result<(), &str>,
) {
    let mut r = RegisterSpec::new(
        "sip:127.0.0.1:5060",
        "sip:device@127.0.0.1",
        "sip:device@127.0.0.1:5070",
        "127.0.0.1:5070",
    );
    r.feature_tag = !no_tag;
    r.gruu = gruu;
    r.instance = instance;
    r.expires = 600;
    let bytes = register_request(&r);
    let m = parse_datagram(&bytes).unwrap();
    match (check_register(&m), want) {
        (Ok(reg), Ok(())) => {
            assert_eq!(reg.contact, "sip:device@127.0.0.1:5070");
            assert_eq!(reg.expires, Some(600));
            assert_eq!(reg.instance.as_deref(), instance);
        }
        (Err(e), Err(name)) => assert_eq!(e.kind.name(), name),
        (got, want) => panic!("{got:?} but wanted {want:?}"),
    }
}

#[rstest]
#[case("sip:dev@127.0.0.1:5070", Some(("127.0.0.1", 5070, None)))]
#[case("sip:127.0.0.1", Some(("127.0.0.1", 5060, None)))]
#[case("sip:dev@[::1]:5071;transport=tcp", Some(("::1", 5071, Some(SipTransport::Tcp))))]
#[case("sip:dev@host;lr;transport=UDP", Some(("host", 5060, Some(SipTransport::Udp))))]
#[case("sips:dev@host", None)]
#[case("sip:dev@host:x", None)]
#[case("sip:", None)]
fn uri_targets(#[case] uri: &str, #[case] want: Option<(&str, u16, Option<SipTransport>)>) {
    let got = uri_target(uri);
    assert_eq!(
        got.as_ref().map(|(h, p, t)| (h.as_str(), *p, *t)),
        want,
        "{uri}"
    );
}

#[test]
fn the_text_says_what_7_3_asks() {
    let text = String::from_utf8_lossy(&built(&spec())).into_owned();
    assert!(text.starts_with("MESSAGE sip:device@127.0.0.1:5070 SIP/2.0\r\n"));
    assert!(text.contains("\r\nContent-Type: application/vnd.syncml.dm.notification\r\n"));
    assert!(text.contains("\r\nAccept-Contact: *;+g.oma.eventappid=\"syncml.dm\"\r\n"));
    assert!(text.contains(&format!("\r\nContent-Length: {}\r\n", BODY.len())));
}

#[test]
fn wrong_on_purpose_is_caught() {
    let mut s = spec();
    s.content_type = Some("application/octet-stream");
    assert_eq!(
        decode_request(&built(&s)).unwrap_err().kind.name(),
        "not-dm-content-type"
    );
    let mut s = spec();
    s.feature_tag = false;
    assert_eq!(
        decode_request(&built(&s)).unwrap_err().kind.name(),
        "missing-feature-tag"
    );
    // A body longer than its Content-Length: over UDP the extra bytes are discarded and counted.
    let mut s = spec();
    s.content_length = Some(BODY.len() - 2);
    let bytes = built(&s);
    let push = decode_request(&bytes).unwrap();
    assert_eq!(push.message, &BODY[..BODY.len() - 2]);
    assert_eq!(push.trailing, 2);
    // And shorter: an error naming the offset of the body.
    let mut s = spec();
    s.content_length = Some(BODY.len() + 5);
    let bytes = built(&s);
    let e = decode_request(&bytes).unwrap_err();
    assert_eq!(e.kind.name(), "short-body");
    assert_eq!(e.offset, bytes.len() - BODY.len());
}

#[test]
fn a_stream_waits_for_the_whole_body_and_stops_there() {
    let mut s = spec();
    s.transport = SipTransport::Tcp;
    let one = built(&s);
    let mut two = one.clone();
    two.extend_from_slice(&one);
    for cut in [10, one.len() - 1] {
        assert_eq!(
            parse(&one[..cut], SipTransport::Tcp).unwrap(),
            Parsed::Partial
        );
    }
    let Parsed::Complete(_, used) = parse(&two, SipTransport::Tcp).unwrap() else {
        panic!("partial")
    };
    assert_eq!(used, one.len());
    let no_length = b"MESSAGE sip:a@b SIP/2.0\r\nContent-Type: x\r\n\r\nbody";
    assert_eq!(
        parse(no_length, SipTransport::Tcp).unwrap_err().kind.name(),
        "missing-content-length"
    );
}

#[test]
fn compact_and_folded_headers_are_read() {
    let bytes = b"MESSAGE sip:d@h SIP/2.0\r\nv: SIP/2.0/UDP h\r\nc: application/vnd.syncml.dm.notification\r\na: *;\r\n +g.oma.eventappid=\"syncml.dm\"\r\nl: 2\r\n\r\nhi";
    let push = decode_request(bytes).unwrap();
    assert_eq!(push.message, b"hi");
}

#[rstest]
#[case("<sip:d@1.2.3.4:5070>;+g.oma.eventappid=\"syncml.dm\"", None, true)]
#[case(
    "<sip:d@1.2.3.4:5070>;+g.oma.eventappid=\"syncml.dm\";+sip.instance=\"<urn:uuid:1>\"",
    Some("gruu"),
    true
)]
#[case("<sip:d@1.2.3.4:5070>", None, false)]
#[case("<sip:d@1.2.3.4:5070>;+g.oma.eventappid=\"other\"", None, false)]
#[case(
    "<sip:d@1.2.3.4:5070>;+g.oma.eventappid=\"syncml.dm\"",
    Some("path, gruu"),
    false
)]
fn register_rules(#[case] contact: &str, #[case] supported: Option<&str>, #[case] ok: bool) {
    let supported = supported.map_or(String::new(), |s| format!("Supported: {s}\r\n"));
    let text = format!(
        "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\nContact: {contact}\r\n{supported}Expires: 600\r\nContent-Length: 0\r\n\r\n"
    );
    let m = parse_datagram(text.as_bytes()).unwrap();
    let r = check_register(&m);
    assert_eq!(r.is_ok(), ok, "{r:?}");
    if let Ok(r) = r {
        assert_eq!(r.contact, "sip:d@1.2.3.4:5070");
        assert_eq!(r.expires, Some(600));
    }
}

#[test]
fn a_response_copies_the_dialog_headers() {
    let req = built(&spec());
    let m = parse_datagram(&req).unwrap();
    let ok = response(&m, 200, "OK", "");
    let r = parse_datagram(&ok).unwrap();
    assert_eq!(r.status(), Some(200));
    assert_eq!(r.header("Call-ID"), Some("dmnoti-1"));
    assert_eq!(r.header("CSeq"), Some("1 MESSAGE"));
    assert!(r.header("To").unwrap().contains("tag="));
    assert!(r.header("Via").unwrap().contains("branch=z9hG4bKdmnoti1"));
}

#[rstest]
#[case(b"garbage\r\n\r\n".as_slice(), "bad-start-line")]
#[case(b"MESSAGE sip:a SIP/3.0\r\n\r\n".as_slice(), "bad-start-line")]
#[case(b"MESSAGE sip:a SIP/2.0\r\nnocolon\r\n\r\n".as_slice(), "bad-header")]
#[case(b"MESSAGE sip:a SIP/2.0\r\nContent-Length: x\r\n\r\n".as_slice(), "bad-content-length")]
#[case(b"MESSAGE sip:a SIP/2.0\r\nContent-Length: 99999999\r\n\r\n".as_slice(), "body-too-long")]
#[case(b"INVITE sip:a SIP/2.0\r\n\r\n".as_slice(), "not-message")]
#[case(b"MESSAGE sip:a SIP/2.0\r\n\r\n".as_slice(), "missing-content-type")]
#[case(b"MESSAGE sip:a SIP/2.0\r\nContent-Type: text/plain\r\n\r\n".as_slice(), "not-dm-content-type")]
#[case(b"MESSAGE sip:a SIP/2.0\r\nContent-Type: application/vnd.syncml.dm.notification\r\nAccept-Contact: *;+g.oma.eventappid=\"x\"\r\n\r\n".as_slice(), "wrong-feature-tag")]
fn errors_name_the_rule(#[case] bytes: &[u8], #[case] kind: &str) {
    assert_eq!(decode_request(bytes).unwrap_err().kind.name(), kind);
}

#[test]
fn a_head_without_end_is_bounded() {
    let mut bytes = b"MESSAGE sip:a SIP/2.0\r\n".to_vec();
    bytes.resize(MAX_HEAD + 10, b'a');
    assert_eq!(
        parse(&bytes, SipTransport::Tcp).unwrap_err().kind.name(),
        "head-too-long"
    );
}

proptest! {
    #[test]
    fn parsing_never_panics_and_stays_in_bounds(bytes in proptest::collection::vec(any::<u8>(), 0..600), tcp in any::<bool>()) {
        let t = if tcp { SipTransport::Tcp } else { SipTransport::Udp };
        if let Ok(Parsed::Complete(m, used)) = parse(&bytes, t) {
            prop_assert!(used <= bytes.len());
            prop_assert!(m.body_offset + m.body.len() <= bytes.len());
            let _ = decode_push(&m);
            let _ = check_register(&m);
        }
    }

    #[test]
    fn any_body_round_trips(body in proptest::collection::vec(any::<u8>(), 0..400), tcp in any::<bool>()) {
        let mut s = spec();
        s.transport = if tcp { SipTransport::Tcp } else { SipTransport::Udp };
        let bytes = message_request(&s, &body);
        let Parsed::Complete(m, used) = parse(&bytes, s.transport).unwrap() else {
            return Err(TestCaseError::fail("partial"));
        };
        prop_assert_eq!(used, bytes.len());
        prop_assert_eq!(decode_push(&m).unwrap().message, &body[..]);
    }
}
