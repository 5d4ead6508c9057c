use super::*;
use crate::codec::parse_hex;
use proptest::prelude::*;
use rstest::rstest;
use std::borrow::Cow;

/// Header: VER 1, OPC `opc`, I server, UIM background, TRA HTTP, timeout 10, session 0x3039,
/// timestamp 0x5F5E1000.
fn header(opc: u8) -> Vec<u8> {
    let mut h = vec![
        0x10 | opc << 1 | 1,
        0x48,
        0x00,
        0x00,
        0x00,
        0x0A,
        0x30,
        0x39,
    ];
    h.extend_from_slice(&[0x5F, 0x5E, 0x10, 0x00]);
    h
}

const SERVER_ID: &[u8] = &[0x10, 0x02, b'd', b'm'];
const REQUESTED: &[u8] = &[0x30, 0x02, 0x00, 0x0B];
const TARGETED: &[u8] = &[0x20, 0x02, 0x00, 0x27];
const DIGEST: &[u8] = &[0xDD; 32];

fn msg(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn valid() -> Vec<u8> {
    msg(&[&header(2), SERVER_ID, REQUESTED, DIGEST])
}

#[test]
fn a_hand_built_message_decodes_field_by_field() {
    let bytes = msg(&[
        &header(5),
        SERVER_ID,
        TARGETED,
        REQUESTED,
        &[0x40, 0x01, 0x06],
        &[0x50, 0x03, b'u', b'p', b'd'],
        DIGEST,
    ]);
    let m = decode(&bytes).unwrap();
    assert_eq!(m.header.initiator, Initiator::Server);
    assert_eq!(m.header.ui_mode, UiMode::Background);
    assert_eq!(m.header.transport, Transport::Http);
    assert_eq!(m.header.timeout, 10);
    assert_eq!(m.header.session_id.value(), 0x3039);
    assert_eq!(m.header.timestamp, 0x5F5E1000);
    assert_eq!(m.server_id(), Some("dm"));
    assert_eq!(m.targeted_mo().collect::<Vec<_>>(), [MoIndex::FUMO]);
    assert_eq!(m.requested_mo().collect::<Vec<_>>(), [MoIndex::DEV_DETAIL]);
    assert_eq!(m.preferred_bearers().collect::<Vec<_>>(), [Bearer::Wlan]);
    assert_eq!(m.connect_reason(), Some("upd"));
    assert_eq!(m.vendor_info(), None);
    assert_eq!(m.digest, [0xDD; 32]);
    assert!(inspect(&bytes).is_valid());
    assert_eq!(m.encode(), bytes);
}

#[rstest]
#[case::short_header(vec![0x15; 11], 0, "short-header")]
#[case::unsupported_version({ let mut h = header(2); h[0] = 0x25; msg(&[&h, SERVER_ID, REQUESTED, DIGEST]) }, 0, "unsupported-version")]
#[case::version_0({ let mut h = header(2); h[0] = 0x05; msg(&[&h, SERVER_ID, REQUESTED, DIGEST]) }, 0, "unsupported-version")]
#[case::reserved_transport({ let mut h = header(2); h[1] = 0x68; msg(&[&h, SERVER_ID, REQUESTED, DIGEST]) }, 1, "reserved-transport")]
#[case::zero_session_id({ let mut h = header(2); h[6] = 0; h[7] = 0; msg(&[&h, SERVER_ID, REQUESTED, DIGEST]) }, 6, "zero-session-id")]
#[case::truncated_option_header(msg(&[&header(2), SERVER_ID, &[0x30]]), 16, "truncated-option-header")]
#[case::option_overrun(msg(&[&header(1), &[0x10, 0xFF, b'd', b'm']]), 12, "option-overrun")]
#[case::unknown_option(msg(&[&header(3), SERVER_ID, REQUESTED, &[0x70, 0x01, 0x00], DIGEST]), 20, "unknown-option")]
#[case::option_zero(msg(&[&header(3), &[0x00, 0x01, 0x00], SERVER_ID, REQUESTED, DIGEST]), 12, "unknown-option")]
#[case::option_out_of_order(msg(&[&header(3), SERVER_ID, REQUESTED, TARGETED, DIGEST]), 20, "option-out-of-order")]
#[case::repeated_server_id(msg(&[&header(3), SERVER_ID, SERVER_ID, REQUESTED, DIGEST]), 16, "repeated-option")]
#[case::repeated_connect_reason(msg(&[&header(4), SERVER_ID, REQUESTED, &[0x50, 0x01, b'a', 0x50, 0x01, b'b'], DIGEST]), 23, "repeated-option")]
#[case::server_id_too_long(msg(&[&header(2), &[0x11, 0x00], &[b'a'; 256], REQUESTED, DIGEST]), 12, "server-id-too-long")]
#[case::uint_of_three_bytes(msg(&[&header(2), SERVER_ID, &[0x30, 0x03, 0, 0, 0x0B], DIGEST]), 16, "bad-uint-length")]
#[case::uint_of_zero_bytes(msg(&[&header(2), SERVER_ID, &[0x30, 0x00], DIGEST]), 16, "bad-uint-length")]
#[case::bearer_of_two_bytes(msg(&[&header(3), SERVER_ID, REQUESTED, &[0x40, 0x02, 0, 6], DIGEST]), 20, "bad-uint-length")]
#[case::empty_string(msg(&[&header(3), SERVER_ID, REQUESTED, &[0x50, 0x00], DIGEST]), 20, "empty-string")]
#[case::invalid_utf8(msg(&[&header(2), &[0x10, 0x02, b'd', 0xFF], REQUESTED, DIGEST]), 12, "invalid-utf8")]
#[case::bearer_out_of_range(msg(&[&header(3), SERVER_ID, REQUESTED, &[0x40, 0x01, 0x0C], DIGEST]), 20, "bearer-out-of-range")]
#[case::missing_server_id(msg(&[&header(1), REQUESTED, DIGEST]), 16, "missing-server-id")]
#[case::missing_requested_mo(msg(&[&header(1), SERVER_ID, DIGEST]), 16, "missing-requested-mo")]
#[case::opc_too_large(msg(&[&header(3), SERVER_ID, REQUESTED, DIGEST]), 20, "option-count-mismatch")]
#[case::opc_too_small(msg(&[&header(1), SERVER_ID, REQUESTED, DIGEST]), 16, "option-count-mismatch")]
#[case::missing_digest(msg(&[&header(2), SERVER_ID, REQUESTED]), 20, "missing-digest")]
#[case::short_digest(msg(&[&header(2), SERVER_ID, REQUESTED, &[0xDD; 31]]), 20, "short-digest")]
#[case::trailing_bytes(msg(&[&header(2), SERVER_ID, REQUESTED, DIGEST, &[0x00]]), 52, "trailing-bytes")]
fn each_error_kind(#[case] bytes: Vec<u8>, #[case] offset: usize, #[case] kind: &str) {
    let err = decode(&bytes).unwrap_err();
    assert_eq!((err.offset, err.kind.name()), (offset, kind), "{err}");
    // The lenient view meets the same rule first.
    let seen = inspect(&bytes);
    assert_eq!(seen.violations.first(), Some(&err));
}

#[test]
fn errors_say_where_and_which_section() {
    let bytes = msg(&[&header(3), SERVER_ID, REQUESTED, TARGETED, DIGEST]);
    assert_eq!(
        decode(&bytes).unwrap_err().to_string(),
        "offset 20: option 2 (Targeted-MO) after option 3 (Requested-MO); options MUST appear in order of their number (6.2)"
    );
    let mut h = header(2);
    h[1] = 0x68;
    let bytes = msg(&[&h, SERVER_ID, REQUESTED, DIGEST]);
    assert_eq!(
        decode(&bytes).unwrap_err().to_string(),
        "offset 1: TRA is 101, a reserved value (101-111) (6.4.5)"
    );
}

#[test]
fn inspect_lists_every_violation() {
    let mut h = header(3);
    h[0] = 0x27; // VER 2, OPC 3
    h[6] = 0;
    h[7] = 0;
    let bytes = msg(&[&h, REQUESTED, SERVER_ID, &[0x40, 0x01, 0x0F], DIGEST, &[1]]);
    let kinds: Vec<_> = inspect(&bytes)
        .violations
        .iter()
        .map(|v| v.kind.name())
        .collect();
    assert_eq!(
        kinds,
        [
            "unsupported-version",
            "zero-session-id",
            "option-out-of-order",
            "bearer-out-of-range",
            "trailing-bytes"
        ]
    );
}

#[test]
fn inspect_shows_options_beyond_opc() {
    let bytes = msg(&[&header(1), SERVER_ID, REQUESTED, DIGEST]);
    let seen = inspect(&bytes);
    assert_eq!(seen.options.len(), 2);
    assert!(seen.options[1].beyond_opc);
    assert_eq!(
        seen.options[1].typed,
        Some(NotiOption::RequestedMo(MoIndex::DEV_DETAIL))
    );
    assert_eq!(seen.digest.map(|(at, d)| (at, d.len())), Some((20, 32)));
}

#[test]
fn reserved_bits_are_kept_not_refused() {
    let mut h = header(2);
    h[3] = 0x01;
    let m = decode(&msg(&[&h, SERVER_ID, REQUESTED, DIGEST]))
        .unwrap()
        .header;
    assert_eq!(m.reserved, 1);
}

#[test]
fn digest_verifies_and_one_flipped_bit_does_not() {
    let mut m = decode(&valid()).unwrap().into_owned();
    m.sign(b"secret", DigestReading::LiteralColons);
    let wire = m.encode();
    assert_eq!(
        verify(&wire, b"secret", DigestReading::LiteralColons),
        Ok(())
    );
    assert!(verify(&wire, b"other", DigestReading::LiteralColons).is_err());
    assert_eq!(
        matching_readings(&wire, b"secret"),
        [DigestReading::LiteralColons]
    );
    let mut flipped = wire.clone();
    *flipped.last_mut().unwrap() ^= 1;
    let err = verify(&flipped, b"secret", DigestReading::LiteralColons).unwrap_err();
    assert!(
        err.to_string().starts_with("digest mismatch") && err.to_string().ends_with("(6.6)"),
        "{err}"
    );
    // A digest computed under another reading verifies only under that reading.
    m.sign(b"secret", DigestReading::NoColons);
    assert_eq!(
        matching_readings(&m.encode(), b"secret"),
        [DigestReading::NoColons]
    );
}

#[test]
fn the_digest_is_sha256_of_secret_colon_header_colon_options() {
    use sha2::{Digest, Sha256};
    let bytes = valid();
    let mut m = decode(&bytes).unwrap();
    m.sign(b"k", DigestReading::LiteralColons);
    let mut input = b"k:".to_vec();
    input.extend_from_slice(&bytes[..12]);
    input.push(b':');
    input.extend_from_slice(&bytes[12..20]);
    let want: [u8; 32] = Sha256::digest(&input).into();
    assert_eq!(m.digest, want);
}

#[test]
fn drafts_build_wrong_messages_on_purpose() {
    let bytes = valid();
    let m = decode(&bytes).unwrap();
    let mut d = m.to_draft();
    d.options.swap(0, 1);
    assert_eq!(
        decode(&d.encode()).unwrap_err().kind.name(),
        "option-out-of-order"
    );
    let mut d = m.to_draft();
    d.header.opc = 3;
    assert_eq!(
        decode(&d.encode()).unwrap_err().kind.name(),
        "option-count-mismatch"
    );
    let mut d = m.to_draft();
    d.options[0].length = 0x0FF;
    assert_eq!(
        decode(&d.encode()).unwrap_err().kind.name(),
        "option-overrun"
    );
    let mut d = m.to_draft();
    d.trailer = vec![0xEE];
    assert_eq!(
        decode(&d.encode()).unwrap_err().kind.name(),
        "trailing-bytes"
    );
    let mut d = m.to_draft();
    d.header.version = 2;
    d.sign(b"s", DigestReading::LiteralColons);
    let wire = d.encode();
    assert_eq!(
        decode(&wire).unwrap_err().kind.name(),
        "unsupported-version"
    );
    assert_eq!(verify(&wire, b"s", DigestReading::LiteralColons), Ok(()));
    assert_eq!(Draft13::from_bytes(&wire), Some(d));
}

#[test]
fn the_header_bits_are_where_6_1_puts_them() {
    let raw = RawHeader {
        version: 1,
        opc: 7,
        initiator: 1,
        ui_mode: 3,
        transport: 4,
        reserved: RESERVED_MASK,
        timeout: 0xFFFF,
        session_id: 0xABCD,
        timestamp: 0x01020304,
    };
    let b = raw.to_bytes();
    assert_eq!(
        b,
        parse_hex("1F E7 FF FF FF FF AB CD 01 02 03 04")
            .unwrap()
            .as_slice()
    );
    assert_eq!(RawHeader::from_bytes(&b), raw);
}

fn arb_string(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 1..=max).prop_map(move |cs| {
        let mut s = String::new();
        for c in cs {
            if s.len() + c.len_utf8() > max {
                break;
            }
            s.push(c);
        }
        if s.is_empty() { "x".to_owned() } else { s }
    })
}

prop_compose! {
    fn arb_header()(i in 0u8..2, uim in 0u8..4, tra in 0u8..5, reserved in 0..=RESERVED_MASK,
                    timeout in any::<u16>(), sid in 1u16.., ts in any::<u32>()) -> Header {
        Header {
            initiator: Initiator::from_bit(i),
            ui_mode: UiMode::from_bits(uim),
            transport: Transport::ALL[usize::from(tra)],
            reserved,
            timeout,
            session_id: SessionId::new(sid).unwrap(),
            timestamp: ts,
        }
    }
}

prop_compose! {
    /// A valid message: Server-ID and Requested-MO always, up to 7 options in ascending order.
    pub(crate) fn arb_notification()(
        header in arb_header(),
        server_id in arb_string(255),
        targeted in proptest::collection::vec(any::<u16>(), 0..3),
        requested in proptest::collection::vec(any::<u16>(), 1..3),
        bearers in proptest::collection::vec(0u8..12, 0..3),
        reason in proptest::option::of(arb_string(60)),
        vendor in proptest::option::of(arb_string(60)),
        digest in any::<[u8; 32]>(),
    ) -> Notification13<'static> {
        let mut options = vec![NotiOption::ServerId(Cow::Owned(server_id))];
        options.extend(targeted.into_iter().map(|v| NotiOption::TargetedMo(MoIndex(v))));
        options.extend(requested.into_iter().map(|v| NotiOption::RequestedMo(MoIndex(v))));
        options.extend(bearers.into_iter().map(|v| NotiOption::PreferredBearer(Bearer::ALL[usize::from(v)])));
        options.extend(reason.map(|s| NotiOption::ConnectReason(Cow::Owned(s))));
        options.extend(vendor.map(|s| NotiOption::VendorInfo(Cow::Owned(s))));
        options.truncate(MAX_OPTIONS);
        if !options.iter().any(|o| matches!(o, NotiOption::RequestedMo(_))) {
            options[MAX_OPTIONS - 1] = NotiOption::RequestedMo(MoIndex::DEV_DETAIL);
            options.sort_by_key(NotiOption::number);
        }
        Notification13 { header, options: options.into_iter().collect(), digest }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn encode_then_decode_is_the_identity(m in arb_notification()) {
        let wire = m.encode();
        prop_assert_eq!(&decode(&wire).unwrap(), &m);
        let seen = inspect(&wire);
        prop_assert!(seen.is_valid(), "{:?}", seen.violations);
        prop_assert_eq!(Draft13::from_bytes(&wire).map(|d| d.encode()), Some(wire));
    }

    #[test]
    fn signed_messages_verify(m in arb_notification(), secret in proptest::collection::vec(any::<u8>(), 0..80)) {
        let mut m = m;
        for reading in DigestReading::ALL {
            m.sign(&secret, reading);
            prop_assert_eq!(verify(&m.encode(), &secret, reading), Ok(()));
        }
    }

    #[test]
    fn a_flipped_bit_never_passes_for_the_same_message(m in arb_notification(), bit in any::<prop::sample::Index>()) {
        let mut m = m;
        m.sign(b"secret", DigestReading::LiteralColons);
        let mut wire = m.encode();
        let i = bit.index(wire.len() * 8);
        wire[i / 8] ^= 1 << (i % 8);
        let still_same = decode(&wire).map(|d| d == m).unwrap_or(false);
        prop_assert!(!(still_same && verify(&wire, b"secret", DigestReading::LiteralColons).is_ok()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    /// Arbitrary bytes: no panic, no read out of bounds, and strict and lenient agree on the
    /// first broken rule.
    #[test]
    fn decoders_never_panic_and_agree(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
        let strict = decode(&bytes);
        let lenient = inspect(&bytes);
        prop_assert_eq!(strict.as_ref().err(), lenient.violations.first());
        let _ = Draft13::from_bytes(&bytes);
    }

    /// Bytes that start like a message, so the option and tail rules get exercised.
    #[test]
    fn near_valid_bytes_agree(opc in 0u8..8, body in proptest::collection::vec(prop_oneof![Just(0x10u8), Just(0x30), Just(0x02), Just(0x00), any::<u8>()], 0..90)) {
        let mut bytes = header(opc);
        bytes.extend_from_slice(&body);
        let strict = decode(&bytes);
        let lenient = inspect(&bytes);
        prop_assert_eq!(strict.as_ref().err(), lenient.violations.first());
    }
}
