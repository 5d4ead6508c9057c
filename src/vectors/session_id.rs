//! SESSIONID as Package #1 writes it (6.4.8): the `%X` mapping and its parsing.

use super::*;
use crate::codec::SessionId;
use crate::scr::id;
use serde_json::json;

pub(super) fn session_id_file() -> VectorFile {
    let c8 = [scr(id::C_008_M)];
    let mut map = Vec::new();
    let mut values: Vec<u16> = (1..=16).collect();
    values.extend([
        0x00AB, 0x0ABC, 0x0A0F, 0x1000, 0x1A2B, 0x3039, 0x7FFF, 0x8000, 0xABCD, 0xFFFE, 0xFFFF,
    ]);
    values.extend((5..16).map(|s| 1u16 << s));
    for v in values {
        let text = SessionId::new(v)
            .map(SessionId::to_package1)
            .unwrap_or_default();
        map.push((
            v.to_be_bytes().to_vec(),
            Test::new(
                format!("0x{v:04X} -> {text:?}"),
                &c8,
                json!({"sessionId": v, "package1SessionId": text}),
                Expected::Valid,
            ),
        ));
    }
    map.push((
        vec![0, 0],
        Test::new(
            "0 MUST NOT be used",
            &c8,
            json!({"sessionId": 0}),
            Expected::Invalid {
                kind: "zero",
                section: "6.4.8",
            },
        ),
    ));
    let mut parse = Vec::new();
    let strings: [(&str, Option<&'static str>); 14] = [
        ("1", None),
        ("AB", None),
        ("FFFF", None),
        ("A0F", None),
        ("", Some("empty")),
        ("0", Some("zero")),
        ("00AB", Some("leading-zero")),
        ("0001", Some("leading-zero")),
        ("ab", Some("lower-case")),
        ("1a2B", Some("lower-case")),
        ("12345", Some("too-long")),
        ("G", Some("not-hex")),
        ("+1", Some("not-hex")),
        ("0x1", Some("not-hex")),
    ];
    for (s, error) in strings {
        let expected = match error {
            None => Expected::Valid,
            Some(kind) => Expected::Invalid {
                kind,
                section: "6.4.8",
            },
        };
        parse.push((
            s.as_bytes().to_vec(),
            Test::new(
                format!("SessionID {s:?} in Package #1"),
                &c8,
                json!({"text": s}),
                expected,
            ),
        ));
    }
    file(
        "session-id.json",
        "OMA-DM-Notification-SessionID",
        json!({}),
        vec![
            (
                json!({"type": "SessionIdMapping", "comment": "input: SESSIONID, 2 bytes big-endian"}),
                map,
            ),
            (
                json!({"type": "SessionIdParse", "comment": "input: the SessionID text as UTF-8"}),
                parse,
            ),
        ],
    )
}
