//! The 1.2 families: the format a 1.3 client must still accept (C-003-M), and its digest.

use super::*;
use crate::codec::digest::{self, RESYNC_NONCE};
use crate::codec::hex;
use crate::codec::v12::{Draft12, RawTrigger};
use crate::scr::id;
use serde_json::{Value, json};

/// A conformant 1.2 trigger, signed.
fn draft12(
    server_id: &[u8],
    password: &[u8],
    nonce: &[u8],
    edit: impl FnOnce(&mut Draft12),
) -> Draft12 {
    let mut d = Draft12 {
        digest: Vec::new(),
        trigger: RawTrigger {
            version: 11,
            ui_mode: 1,
            initiator: 1,
            future: 0,
            session_id: 0x3039,
        },
        server_id_length: None,
        server_id: server_id.to_vec(),
        vendor_body: Vec::new(),
    };
    edit(&mut d);
    let key = d.server_id.clone();
    d.sign(&key, password, nonce);
    d
}

fn fields12(d: &Draft12) -> Value {
    json!({"decoded": {
        "version": d.trigger.version, "uiMode": d.trigger.ui_mode, "initiator": d.trigger.initiator,
        "sessionId": d.trigger.session_id, "serverId": String::from_utf8_lossy(&d.server_id),
        "vendorBodyHex": hex(&d.vendor_body), "package1SessionId": format!("{:X}", d.trigger.session_id),
    }})
}

const NOTES_NONCE: [u8; 4] = [0x00, 0xE5, 0x6E, 0x00];

fn notes12() -> Value {
    json!({
        "Version12Leniency": "V = 12, not the conformant 11; many clients accept it",
        "NonceResync": "signed with the resync nonce 00000000: a client SHOULD retry with it after a digest failure",
        "AAuthNameKey": "the digest keyed with SRVCRED's AAuthName (the group's aauthName) instead of the message's ServerID",
        "NotesExample": "the worked example of the spec notes, with its intermediate values",
    })
}

pub(super) fn v12_format() -> VectorFile {
    let c3 = [scr(id::C_003_M)];
    let (pw, id) = (b"SimpleClient".as_slice(), b"Scts".as_slice());
    let mut t = Vec::new();
    let example = draft12(id, pw, &NOTES_NONCE, |_| {});
    let trigger = example.trigger_bytes();
    let mut f = fields12(&example);
    f.as_object_mut().expect("object").extend(
        json!({
            "credentialB64": String::from_utf8_lossy(&digest::credential12(id, pw)),
            "triggerB64": String::from_utf8_lossy(&digest::trigger_hash12(&trigger)),
            "triggerHex": hex(&trigger),
        })
        .as_object()
        .cloned()
        .unwrap_or_default(),
    );
    t.push((
        example.encode(),
        Test::new("the worked example of the notes", &c3, f, Expected::Valid).flag("NotesExample"),
    ));
    let valid = |comment: String, edit: &dyn Fn(&mut Draft12)| {
        let d = draft12(id, pw, &NOTES_NONCE, |d| edit(d));
        let fields = fields12(&d);
        (d.encode(), Test::new(comment, &c3, fields, Expected::Valid))
    };
    let invalid = |comment: String, kind: &'static str, edit: &dyn Fn(&mut Draft12)| {
        let d = draft12(id, pw, &NOTES_NONCE, |d| edit(d));
        (
            d.encode(),
            Test::new(
                comment,
                &c3,
                json!({}),
                Expected::Invalid {
                    kind,
                    section: if kind == "zero-session-id" {
                        "6.4.8"
                    } else {
                        "DMNoti12 trigger, docs/spec-notes.md"
                    },
                },
            ),
        )
    };
    for uim in 0..4u8 {
        for i in 0..2u8 {
            t.push(valid(format!("UIM {uim:02b}, I {i}"), &|d| {
                d.trigger.ui_mode = uim;
                d.trigger.initiator = i;
            }));
        }
    }
    for sid in [1u16, 0x00AB, 0xFFFF] {
        t.push(valid(format!("SESSIONID 0x{sid:04X}"), &|d| {
            d.trigger.session_id = sid
        }));
    }
    t.push(invalid("SESSIONID 0".into(), "zero-session-id", &|d| {
        d.trigger.session_id = 0
    }));
    let d12 = draft12(id, pw, &NOTES_NONCE, |d| d.trigger.version = 12);
    let f12 = fields12(&d12);
    t.push((
        d12.encode(),
        Test::new("V = 12", &c3, f12, Expected::Acceptable).flag("Version12Leniency"),
    ));
    for v in [0u16, 10, 13, 1023] {
        t.push(invalid(format!("V = {v}"), "unsupported-version", &|d| {
            d.trigger.version = v
        }));
    }
    for bits in [1u32, 0x7FF_FFFF] {
        t.push(invalid(
            format!("FUTURE = 0x{bits:07X}"),
            "future-bits-set",
            &|d| d.trigger.future = bits,
        ));
    }
    t.push(invalid(
        "server identifier length 0".into(),
        "empty-server-id",
        &|d| d.server_id_length = Some(0),
    ));
    t.push(invalid(
        "server identifier length past the end".into(),
        "server-id-overrun",
        &|d| d.server_id_length = Some(40),
    ));
    t.push(invalid(
        "server identifier bytes ff".into(),
        "invalid-utf8",
        &|d| d.server_id = vec![0xff],
    ));
    t.push(valid("UTF-8 server identifier".into(), &|d| {
        d.server_id = "dm.exämple".as_bytes().to_vec()
    }));
    t.push(valid("server identifier of 255 bytes".into(), &|d| {
        d.server_id = vec![b's'; 255]
    }));
    for len in [1usize, 100] {
        t.push(valid(format!("vendor body of {len} bytes"), &|d| {
            d.vendor_body = vec![0xA5; len]
        }));
    }
    for len in [0usize, 16, 23] {
        let bytes = example.encode()[..len].to_vec();
        t.push((
            bytes,
            Test::new(
                format!("{len} bytes"),
                &c3,
                json!({}),
                Expected::Invalid {
                    kind: "short-message",
                    section: "DMNoti12 trigger, docs/spec-notes.md",
                },
            ),
        ));
    }
    let group = json!({"type": "Notification12", "format": "1.2", "serverId": "Scts", "passwordHex": hex(pw), "nonceHex": hex(&NOTES_NONCE)});
    file(
        "v12/format.json",
        "OMA-DM-Notification-1.2",
        notes12(),
        vec![(group, t)],
    )
}

pub(super) fn v12_digest() -> VectorFile {
    let scrs = [scr(id::C_003_M), scr(id::C_019_M)];
    let accounts: [(&[u8], &[u8], &[u8]); 3] = [
        (b"Scts", b"SimpleClient", &NOTES_NONCE),
        (
            b"com.example.dm",
            b"dm-password",
            b"\x01\x02\x03\x04\x05\x06\x07\x08",
        ),
        (b"x", b"", b""),
    ];
    let mut groups = Vec::new();
    for (id, pw, nonce) in accounts {
        let mut t = Vec::new();
        let good = draft12(id, pw, nonce, |_| {});
        let fields = fields12(&good);
        t.push((
            good.encode(),
            Test::new(
                "signed with the account's nonce",
                &scrs,
                fields,
                Expected::Valid,
            ),
        ));
        for bit in [0usize, 64, 127] {
            let mut bytes = good.encode();
            bytes[bit / 8] ^= 0x80 >> (bit % 8);
            t.push((
                bytes,
                Test::new(
                    format!("digest bit {bit} flipped"),
                    &scrs,
                    json!({}),
                    Expected::Invalid {
                        kind: "digest-mismatch",
                        section: "DMNoti12 digest, docs/spec-notes.md",
                    },
                ),
            ));
        }
        let resync = draft12(id, pw, &RESYNC_NONCE, |_| {});
        t.push((
            resync.encode(),
            Test::new(
                "signed with the resync nonce 00000000",
                &scrs,
                json!({}),
                Expected::Acceptable,
            )
            .flag("NonceResync"),
        ));
        let wrong = draft12(id, b"not the password", nonce, |_| {});
        t.push((
            wrong.encode(),
            Test::new(
                "signed with another password",
                &scrs,
                json!({}),
                Expected::Invalid {
                    kind: "digest-mismatch",
                    section: "DMNoti12 digest, docs/spec-notes.md",
                },
            ),
        ));
        let mut by_name = draft12(id, pw, nonce, |_| {});
        by_name.sign(b"aauth-name", pw, nonce);
        t.push((
            by_name.encode(),
            Test::new(
                "keyed with the AAuthName",
                &scrs,
                json!({}),
                Expected::Acceptable,
            )
            .flag("AAuthNameKey"),
        ));
        groups.push((json!({"type": "Notification12Digest", "format": "1.2", "serverId": String::from_utf8_lossy(id), "passwordHex": hex(pw), "nonceHex": hex(nonce), "aauthName": "aauth-name"}), t));
    }
    file(
        "v12/digest.json",
        "OMA-DM-Notification-1.2",
        notes12(),
        groups,
    )
}
