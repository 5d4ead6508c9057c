use super::*;
use crate::codec::digest::{credential12, trigger_hash12};
use crate::codec::parse_hex;
use proptest::prelude::*;
use rstest::rstest;

const EXAMPLE_TRIGGER: &str = "02 D8 00 00 00 30 39 04 53 63 74 73";
const EXAMPLE_DIGEST: &str = "EC E4 03 CD E6 BF D1 17 80 D5 18 50 40 EC 30 12";
const NONCE: [u8; 4] = [0x00, 0xE5, 0x6E, 0x00];

fn example() -> Vec<u8> {
    parse_hex(&format!("{EXAMPLE_DIGEST}{EXAMPLE_TRIGGER}")).unwrap()
}

/// The worked example of docs/spec-notes.md, every intermediate value.
#[test]
fn notes_worked_example() {
    let trigger = parse_hex(EXAMPLE_TRIGGER).unwrap();
    assert_eq!(
        &credential12(b"Scts", b"SimpleClient"),
        b"BUELpvK6/TfpK1NzjVznRw=="
    );
    assert_eq!(&trigger_hash12(&trigger), b"H1oODchnQnrWxB006eKrjA==");
    let d = digest::digest12(b"Scts", b"SimpleClient", &NONCE, &trigger);
    assert_eq!(d.to_vec(), parse_hex(EXAMPLE_DIGEST).unwrap());

    let wire = example();
    assert_eq!(wire.len(), 28);
    let m = decode(&wire).unwrap();
    assert_eq!(m.version, 11);
    assert_eq!(m.ui_mode, UiMode::Background);
    assert_eq!(m.initiator, Initiator::Server);
    assert_eq!(m.session_id.value(), 12345);
    assert_eq!(m.session_id.to_package1(), "3039");
    assert_eq!(m.server_id, "Scts");
    assert!(m.vendor_body.is_empty());
    assert_eq!(m.trigger_bytes(), trigger);

    let creds = Credentials12 {
        password: b"SimpleClient",
        nonce: &NONCE,
        server_id_override: None,
    };
    assert_eq!(verify(&wire, b"Scts", creds), Ok(Verified12::Nonce));

    let mut rebuilt = m.clone();
    rebuilt.digest = [0; 16];
    rebuilt.sign(b"SimpleClient", &NONCE);
    assert_eq!(rebuilt.encode(), wire);
}

#[test]
fn nonce_resync_and_server_id_source() {
    let mut m = decode(&example()).unwrap().into_owned();
    m.sign(b"SimpleClient", &RESYNC_NONCE);
    let wire = m.encode();
    let creds = Credentials12 {
        password: b"SimpleClient",
        nonce: &NONCE,
        server_id_override: None,
    };
    assert_eq!(verify(&wire, b"Scts", creds), Ok(Verified12::ResyncNonce));
    let wrong = Credentials12 {
        password: b"nope",
        ..creds
    };
    assert!(matches!(
        verify(&wire, b"Scts", wrong),
        Err(DigestError12::Mismatch { .. })
    ));

    // Keyed with SRVCRED's AAuthName instead of the message's ServerID.
    let mut d = m.to_draft();
    d.sign(b"auth-name", b"SimpleClient", &NONCE);
    let wire = d.encode();
    assert!(verify(&wire, b"Scts", creds).is_err());
    let by_name = Credentials12 {
        server_id_override: Some(b"auth-name"),
        ..creds
    };
    assert_eq!(verify(&wire, b"Scts", by_name), Ok(Verified12::Nonce));
}

#[test]
fn flipped_digest_bit_is_a_mismatch() {
    let mut wire = example();
    wire[0] ^= 0x80;
    let creds = Credentials12 {
        password: b"SimpleClient",
        nonce: &NONCE,
        server_id_override: None,
    };
    assert!(matches!(
        verify(&wire, b"Scts", creds),
        Err(DigestError12::Mismatch { .. })
    ));
}

fn with_trigger(edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut b = example();
    edit(&mut b);
    b
}

#[rstest]
#[case::short_message(example()[..23].to_vec(), 0, "short-message")]
#[case::version_10(with_trigger(|b| b[17] = (b[17] & 0x3F) | 0x80), 16, "unsupported-version")]
#[case::version_12(with_trigger(|b| { b[16] = 0x03; b[17] &= 0x3F; }), 16, "version-12")]
#[case::future_bits(with_trigger(|b| b[20] = 1), 17, "future-bits-set")]
#[case::zero_session_id(with_trigger(|b| { b[21] = 0; b[22] = 0; }), 21, "zero-session-id")]
#[case::empty_server_id(with_trigger(|b| { b[23] = 0; }), 23, "empty-server-id")]
#[case::server_id_overrun(with_trigger(|b| { b[23] = 9; }), 23, "server-id-overrun")]
#[case::invalid_utf8(with_trigger(|b| { b[25] = 0xFF; }), 24, "invalid-utf8")]
fn each_error_kind(#[case] bytes: Vec<u8>, #[case] offset: usize, #[case] kind: &str) {
    let err = decode(&bytes).unwrap_err();
    assert_eq!((err.offset, err.kind.name()), (offset, kind), "{err}");
    assert_eq!(inspect(&bytes).violations.first(), Some(&err));
}

#[test]
fn version_12_is_a_leniency() {
    let bytes = with_trigger(|b| {
        b[16] = 0x03;
        b[17] &= 0x3F;
    });
    assert_eq!(
        RawTrigger::from_bytes(bytes[16..23].try_into().unwrap()).version,
        12
    );
    let m = decode_with(&bytes, Leniency { version_12: true }).unwrap();
    assert_eq!(m.version, 12);
}

#[test]
fn vendor_body_is_the_rest() {
    let mut m = decode(&example()).unwrap().into_owned();
    m.vendor_body = b"vendor".to_vec().into();
    let wire = m.encode();
    assert_eq!(decode(&wire).unwrap().vendor_body.as_ref(), b"vendor");
    let seen = inspect(&wire);
    assert_eq!(seen.vendor_body, Some((28, &b"vendor"[..])));
}

prop_compose! {
    pub(crate) fn arb_notification12()(
        uim in 0u8..4, i in 0u8..2, sid in 1u16.., server_id in "[a-zA-Z0-9.:/é]{1,60}",
        body in proptest::collection::vec(any::<u8>(), 0..40), digest in any::<[u8; 16]>(),
    ) -> Notification12<'static> {
        Notification12 {
            digest,
            version: VERSION,
            ui_mode: UiMode::from_bits(uim),
            initiator: Initiator::from_bit(i),
            session_id: SessionId::new(sid).unwrap(),
            server_id: server_id.into(),
            vendor_body: body.into(),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn encode_then_decode_is_the_identity(m in arb_notification12()) {
        let wire = m.encode();
        prop_assert_eq!(&decode(&wire).unwrap(), &m);
        prop_assert!(inspect(&wire).is_valid());
    }

    #[test]
    fn signed_messages_verify(m in arb_notification12(), pw in proptest::collection::vec(any::<u8>(), 0..20), nonce in proptest::collection::vec(any::<u8>(), 0..8)) {
        let mut m = m;
        m.sign(&pw, &nonce);
        let creds = Credentials12 { password: &pw, nonce: &nonce, server_id_override: None };
        let wire = m.encode();
        prop_assert!(verify(&wire, m.server_id.as_bytes(), creds).is_ok());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn decoders_never_panic_and_agree(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        let strict = decode(&bytes);
        let lenient = inspect(&bytes);
        prop_assert_eq!(strict.as_ref().err(), lenient.violations.first());
    }
}
