//! The 1.3 families: header fields (6.4), options (6.2, 6.3, 6.5) and the digest (6.6).

use super::*;
use crate::codec::digest::DigestReading;
use crate::codec::options::number;
use crate::codec::v13::{Draft13, RawHeader, RawOption};
use crate::codec::{self, Bearer, MoIndex, hex};
use crate::scr::id;
use serde_json::{Value, json};

/// A conformant 1.3 message as a draft: header, Server-ID, Requested-MO DevDetail, signed.
pub(super) fn base13() -> Draft13 {
    let mut d = Draft13 {
        header: RawHeader {
            version: 1,
            opc: 0,
            initiator: 1,
            ui_mode: 1,
            transport: 0,
            reserved: 0,
            timeout: 10,
            session_id: 0x0A01,
            timestamp: NOW,
        },
        options: vec![
            RawOption::new(number::SERVER_ID, SERVER.as_bytes().to_vec()),
            RawOption::new(number::REQUESTED_MO, vec![0x00, 0x0B]),
        ],
        digest: Vec::new(),
        trailer: Vec::new(),
    };
    d.count_options();
    d.sign(SECRET, DigestReading::LiteralColons);
    d
}

/// Edits a conformant draft, recounts OPC (unless the edit set it) and signs it again.
fn edited(edit: impl FnOnce(&mut Draft13)) -> Vec<u8> {
    let mut d = base13();
    let opc = d.header.opc;
    edit(&mut d);
    if d.header.opc == opc {
        d.count_options();
    }
    d.sign(SECRET, DigestReading::LiteralColons);
    d.encode()
}

/// The decoded fields of a 1.3 draft built to be valid (from how it was built, not by decoding).
fn fields13(d: &Draft13) -> Value {
    let mut targeted = Vec::new();
    let mut requested = Vec::new();
    let mut bearers = Vec::new();
    let mut strings = serde_json::Map::new();
    for o in &d.options {
        let uint = o.value.iter().fold(0u32, |v, b| v << 8 | u32::from(*b));
        match o.number {
            number::TARGETED_MO => targeted.push(uint),
            number::REQUESTED_MO => requested.push(uint),
            number::PREFERRED_BEARER => bearers.push(uint),
            number::SERVER_ID => {
                strings.insert("serverId".into(), json!(String::from_utf8_lossy(&o.value)));
            }
            number::CONNECT_REASON => {
                strings.insert(
                    "connectReason".into(),
                    json!(String::from_utf8_lossy(&o.value)),
                );
            }
            number::VENDOR_INFO => {
                strings.insert(
                    "vendorInfo".into(),
                    json!(String::from_utf8_lossy(&o.value)),
                );
            }
            _ => {}
        }
    }
    let h = &d.header;
    let mut decoded = json!({
        "version": h.version, "initiator": h.initiator, "uiMode": h.ui_mode, "transport": h.transport,
        "reserved": h.reserved, "timeout": h.timeout, "sessionId": h.session_id, "timestamp": h.timestamp,
        "targetedMo": targeted, "requestedMo": requested, "preferredBearer": bearers,
        "package1SessionId": format!("{:X}", h.session_id),
    });
    decoded.as_object_mut().expect("object").extend(strings);
    json!({ "decoded": decoded })
}

fn valid13(
    comment: impl Into<String>,
    scrs: &[&'static str],
    edit: impl FnOnce(&mut Draft13),
) -> Case {
    let mut d = base13();
    edit(&mut d);
    d.count_options();
    d.sign(SECRET, DigestReading::LiteralColons);
    let fields = fields13(&d);
    (
        d.encode(),
        Test::new(comment, scrs, fields, Expected::Valid),
    )
}

fn bad13(
    comment: impl Into<String>,
    scrs: &[&'static str],
    kind: &'static str,
    bytes: Vec<u8>,
) -> Case {
    (bytes, Test::new(comment, scrs, json!({}), invalid13(kind)))
}

fn group13(kind: &str) -> Value {
    json!({"type": kind, "format": "1.3", "serverId": SERVER, "secretHex": hex(SECRET), "reading": "literal-colons"})
}

fn notes13() -> Value {
    json!({
        "ReservedBits": "RESERVED bits not zero: the text neither requires zero nor says to ignore them (erratum 6); decoders keep them",
        "DigestNoColons": "the digest computed without the colons: another reading of 6.6 (erratum 9); valid only under that reading",
        "DigestHmac": "the digest as HMAC-SHA-256 keyed with the secret over header ':' options: another reading of 6.6",
        "OptionOrder": "options out of their number's order (6.2)",
        "Utf8": "strings with non-ASCII UTF-8",
    })
}

pub(super) fn header13() -> VectorFile {
    let c5 = [scr(id::C_005_M)];
    let mut t = Vec::new();
    for uim in 0..4u8 {
        t.push(valid13(format!("UIM {uim:02b}"), &c5, |d| {
            d.header.ui_mode = uim
        }));
    }
    for tra in 0..5u8 {
        t.push(valid13(format!("TRA {tra:03b}"), &c5, |d| {
            d.header.transport = tra
        }));
    }
    for tra in 5..8u8 {
        t.push(bad13(
            format!("TRA {tra:03b} is reserved"),
            &c5,
            "reserved-transport",
            edited(|d| d.header.transport = tra),
        ));
    }
    for i in 0..2u8 {
        t.push(valid13(format!("I = {i}"), &c5, |d| d.header.initiator = i));
    }
    t.push(valid13("VER 1", &[scr(id::C_006_M)], |_| {}));
    for v in (0..16u8).filter(|v| *v != 1) {
        t.push(bad13(
            format!("VER {v}"),
            &[scr(id::C_006_M)],
            "unsupported-version",
            edited(|d| d.header.version = v),
        ));
    }
    for r in [1u32, 0x40000, 0x7FFFF] {
        let mut d = base13();
        d.header.reserved = r;
        d.sign(SECRET, DigestReading::LiteralColons);
        let fields = fields13(&d);
        t.push((
            d.encode(),
            Test::new(
                format!("RESERVED 0x{r:05X}"),
                &c5,
                fields,
                Expected::Acceptable,
            )
            .flag("ReservedBits"),
        ));
    }
    for timeout in [0u16, 1, 10, 0xFFFF] {
        t.push(valid13(format!("TIMEOUT {timeout}"), &c5, |d| {
            d.header.timeout = timeout
        }));
    }
    for sid in [1u16, 0x000A, 0x00AB, 0x0ABC, 0x1000, 0xFFFF] {
        t.push(valid13(
            format!("SESSIONID 0x{sid:04X}"),
            &[scr(id::C_008_M)],
            |d| d.header.session_id = sid,
        ));
    }
    t.push(bad13(
        "SESSIONID 0",
        &[scr(id::C_008_M)],
        "zero-session-id",
        edited(|d| d.header.session_id = 0),
    ));
    for ts in [0u32, 1, NOW, u32::MAX] {
        t.push(valid13(format!("TIMESTAMP {ts}"), &c5, |d| {
            d.header.timestamp = ts
        }));
    }
    let full = base13().encode();
    for len in 0..12 {
        t.push(bad13(
            format!("{len} bytes: shorter than the header"),
            &c5,
            "short-header",
            full[..len].to_vec(),
        ));
    }
    for opc in [0u8, 1, 3, 4, 7] {
        t.push(bad13(
            format!("OPC {opc} with 2 options"),
            &c5,
            "option-count-mismatch",
            edited(|d| d.header.opc = opc),
        ));
    }
    // Appended later: every UIM with every TRA value, initiator alternating.
    for uim in 0..4u8 {
        for tra in 0..5u8 {
            t.push(valid13(
                format!("UIM {uim:02b} with TRA {tra:03b}"),
                &c5,
                |d| {
                    d.header.ui_mode = uim;
                    d.header.transport = tra;
                    d.header.initiator = (uim + tra) & 1;
                },
            ));
        }
    }
    file(
        "v13/header.json",
        "OMA-DM-Notification-1.3",
        notes13(),
        vec![(group13("Notification13Header"), t)],
    )
}

pub(super) fn options13() -> VectorFile {
    let (c4, c10, c13) = ([scr(id::C_004_M)], [scr(id::C_010_M)], [scr(id::C_013_M)]);
    let mut t = Vec::new();
    for len in [1usize, 2, 16, 64, 128, 254, 255] {
        let id: String = (0..len).map(|i| (b'a' + (i % 26) as u8) as char).collect();
        t.push(valid13(
            format!("Server-ID of {len} bytes"),
            &c10,
            move |d| d.options[0] = RawOption::new(number::SERVER_ID, id.into_bytes()),
        ));
    }
    for len in [256usize, 300, 4095] {
        t.push(bad13(
            format!("Server-ID of {len} bytes (erratum 4: at most 255)"),
            &c10,
            "server-id-too-long",
            edited(|d| d.options[0] = RawOption::new(1, vec![b's'; len])),
        ));
    }
    t.push(bad13(
        "empty Server-ID",
        &c10,
        "empty-string",
        edited(|d| d.options[0] = RawOption::new(1, vec![])),
    ));
    for s in ["dm.exämple.com", "测试服务器"] {
        let (bytes, test) = valid13(format!("UTF-8 Server-ID {s:?}"), &c10, |d| {
            d.options[0] = RawOption::new(number::SERVER_ID, s.as_bytes().to_vec())
        });
        t.push((bytes, test.flag("Utf8")));
    }
    for bad in ["ff", "c328", "eda080"] {
        let v = codec::parse_hex(bad).unwrap_or_default();
        t.push(bad13(
            format!("Server-ID bytes {bad} are not UTF-8"),
            &c10,
            "invalid-utf8",
            edited(|d| d.options[0] = RawOption::new(1, v)),
        ));
    }
    t.push(bad13(
        "no Server-ID",
        &c10,
        "missing-server-id",
        edited(|d| {
            d.options.remove(0);
        }),
    ));
    let twice = edited(|d| {
        let o = d.options[0].clone();
        d.options.insert(0, o);
    });
    // 6.5.1: the Server-ID option MUST NOT occur more than once.
    t.push((
        twice,
        Test::new(
            "Server-ID twice",
            &c10,
            json!({}),
            Expected::Invalid {
                kind: "repeated-option",
                section: "6.5.1",
            },
        ),
    ));
    for (number, name, scrs) in [
        (number::TARGETED_MO, "Targeted-MO", [scr(id::C_011_O)]),
        (number::REQUESTED_MO, "Requested-MO", c13),
    ] {
        for value in [
            vec![0x00],
            vec![0x0B],
            vec![0xFF],
            vec![0x00, 0x00],
            vec![0x00, 0x27],
            vec![0xFF, 0xFF],
        ] {
            let label = format!("{name} of {} byte(s): {}", value.len(), hex(&value));
            t.push(valid13(label, &scrs, move |d| {
                d.options.retain(|o| o.number != number);
                d.options.push(RawOption::new(number, value));
                if number == number::TARGETED_MO {
                    d.options
                        .push(RawOption::new(number::REQUESTED_MO, vec![0x00, 0x0B]));
                }
                d.options.sort_by_key(|o| o.number);
            }));
        }
        for len in [0usize, 3, 4] {
            t.push(bad13(
                format!("{name} of {len} bytes"),
                &scrs,
                "bad-uint-length",
                edited(|d| {
                    d.options.retain(|o| o.number != number);
                    d.options.push(RawOption::new(number, vec![0x01; len]));
                    if number == number::TARGETED_MO {
                        d.options
                            .push(RawOption::new(number::REQUESTED_MO, vec![0x00, 0x0B]));
                    }
                    d.options.sort_by_key(|o| o.number);
                }),
            ));
        }
    }
    t.push(bad13(
        "no Requested-MO",
        &c13,
        "missing-requested-mo",
        edited(|d| {
            d.options.retain(|o| o.number != number::REQUESTED_MO);
        }),
    ));
    for n in 2..4usize {
        t.push(valid13(
            format!("{n} Targeted-MOs"),
            &[scr(id::C_011_O)],
            move |d| {
                for i in 0..n {
                    d.options.insert(
                        1,
                        RawOption::new(number::TARGETED_MO, vec![0x00, 0x27 + i as u8]),
                    );
                }
            },
        ));
        t.push(valid13(format!("{n} Requested-MOs"), &c13, move |d| {
            for i in 1..n {
                d.options.push(RawOption::new(
                    number::REQUESTED_MO,
                    vec![0x00, 0x0B + i as u8],
                ));
            }
        }));
    }
    for index in (0u16..0x80).filter(|i| MoIndex(*i).name().is_some()) {
        let name = MoIndex(index).name().unwrap_or_default();
        t.push(valid13(
            format!("Requested-MO 0x{index:04X} {name}"),
            &c13,
            move |d| {
                d.options[1] = RawOption::new(number::REQUESTED_MO, index.to_be_bytes().to_vec())
            },
        ));
    }
    for b in Bearer::ALL {
        t.push(valid13(
            format!("Preferred-Bearer 0x{:02X} {}", b.value(), b.meaning()),
            &[scr(id::C_016_M)],
            move |d| {
                d.options
                    .push(RawOption::new(number::PREFERRED_BEARER, vec![b.value()]))
            },
        ));
    }
    for v in [0x0Cu8, 0x10, 0x80, 0xFF] {
        t.push(bad13(
            format!("Preferred-Bearer 0x{v:02X}"),
            &[scr(id::C_016_M)],
            "bearer-out-of-range",
            edited(|d| {
                d.options
                    .push(RawOption::new(number::PREFERRED_BEARER, vec![v]))
            }),
        ));
    }
    for len in [0usize, 2] {
        t.push(bad13(
            format!("Preferred-Bearer of {len} bytes"),
            &[scr(id::C_016_M)],
            "bad-uint-length",
            edited(|d| {
                d.options
                    .push(RawOption::new(number::PREFERRED_BEARER, vec![6; len]))
            }),
        ));
    }
    t.push(valid13(
        "Preferred-Bearers WLAN, LTE, 3GPP PS",
        &[scr(id::C_016_M)],
        |d| {
            for b in [6u8, 3, 2] {
                d.options
                    .push(RawOption::new(number::PREFERRED_BEARER, vec![b]));
            }
        },
    ));
    for (number, name, item) in [
        (number::CONNECT_REASON, "Connect-Reason", id::C_014_O),
        (number::VENDOR_INFO, "Vendor-Info", id::C_012_O),
    ] {
        for len in [1usize, 100, 1000, 4095] {
            t.push(valid13(
                format!("{name} of {len} bytes"),
                &[scr(item)],
                move |d| d.options.push(RawOption::new(number, vec![b'r'; len])),
            ));
        }
        t.push(bad13(
            format!("empty {name}"),
            &[scr(item)],
            "empty-string",
            edited(|d| d.options.push(RawOption::new(number, vec![]))),
        ));
        t.push(bad13(
            format!("{name} bytes c328 are not UTF-8"),
            &[scr(item)],
            "invalid-utf8",
            edited(|d| d.options.push(RawOption::new(number, vec![0xc3, 0x28]))),
        ));
        let twice = edited(|d| {
            d.options.push(RawOption::new(number, b"a".to_vec()));
            d.options.push(RawOption::new(number, b"b".to_vec()));
        });
        // Vendor-Info MUST NOT occur more than once (6.5.3); Connect-Reason is ZeroOrOne (6.3).
        let section = if number == number::VENDOR_INFO {
            "6.5.3"
        } else {
            "6.3"
        };
        t.push((
            twice,
            Test::new(
                format!("{name} twice"),
                &[scr(item)],
                json!({}),
                Expected::Invalid {
                    kind: "repeated-option",
                    section,
                },
            ),
        ));
    }
    for n in [0u8, 7, 8, 9, 10, 11, 12, 13, 14, 15] {
        t.push(bad13(
            format!("option number {n} is not defined"),
            &c4,
            "unknown-option",
            edited(|d| {
                d.options.push(RawOption::new(n, vec![0x01]));
                d.options.sort_by_key(|o| o.number);
            }),
        ));
    }
    for (a, b) in [(1u8, 2u8), (2, 3), (3, 4), (4, 5), (5, 6)] {
        let option = |n: u8| match n {
            1 => RawOption::new(1, SERVER.as_bytes().to_vec()),
            2 | 3 => RawOption::new(n, vec![0x00, 0x0B]),
            4 => RawOption::new(4, vec![6]),
            _ => RawOption::new(n, b"x".to_vec()),
        };
        let (bytes, test) = bad13(
            format!("option {b} before option {a}"),
            &c4,
            "option-out-of-order",
            edited(|d| {
                d.options = [1u8, 3]
                    .into_iter()
                    .filter(|n| *n != a && *n != b)
                    .map(option)
                    .collect();
                d.options.push(option(b));
                d.options.push(option(a));
                d.options.sort_by_key(|o| {
                    if o.number == a || o.number == b {
                        10
                    } else {
                        o.number
                    }
                });
            }),
        );
        t.push((bytes, test.flag("OptionOrder")));
    }
    let full = base13().encode();
    t.push(bad13(
        "cut inside the second option header",
        &c4,
        "truncated-option-header",
        full[..12 + 2 + SERVER.len() + 1].to_vec(),
    ));
    for declared in [15usize, 200, 4095] {
        t.push(bad13(
            format!("Server-ID declares {declared} bytes"),
            &c4,
            "option-overrun",
            {
                let mut d = base13();
                d.options[0].length = declared as u16;
                d.encode()
            },
        ));
    }
    t.push(bad13(
        "no digest",
        &[scr(id::C_018_M)],
        "missing-digest",
        full[..full.len() - 32].to_vec(),
    ));
    for len in [1usize, 16, 31] {
        t.push(bad13(
            format!("digest of {len} bytes"),
            &[scr(id::C_018_M)],
            "short-digest",
            full[..full.len() - 32 + len].to_vec(),
        ));
    }
    for extra in [vec![0x00], vec![0x00, 0x01, 0x02], vec![0xEE; 33]] {
        let mut bytes = full.clone();
        bytes.extend_from_slice(&extra);
        t.push(bad13(
            format!("{} bytes after the digest", extra.len()),
            &[scr(id::C_002_M)],
            "trailing-bytes",
            bytes,
        ));
    }
    t.push(valid13("all six options", &c4, |d| {
        d.options.push(RawOption::new(2, vec![0x00, 0x27]));
        d.options.push(RawOption::new(4, vec![6]));
        d.options
            .push(RawOption::new(5, b"firmware update".to_vec()));
        d.options.push(RawOption::new(6, b"acme".to_vec()));
        d.options.sort_by_key(|o| o.number);
    }));
    t.push(valid13("seven options, OPC's most", &c4, |d| {
        d.options.push(RawOption::new(2, vec![0x00, 0x27]));
        d.options.push(RawOption::new(3, vec![0x00, 0x0C]));
        d.options.push(RawOption::new(4, vec![6]));
        d.options.push(RawOption::new(5, b"r".to_vec()));
        d.options.push(RawOption::new(6, b"v".to_vec()));
        d.options.sort_by_key(|o| o.number);
    }));
    file(
        "v13/options.json",
        "OMA-DM-Notification-1.3",
        notes13(),
        vec![(group13("Notification13Options"), t)],
    )
}

pub(super) fn digest13() -> VectorFile {
    let secrets: [(&str, Vec<u8>); 5] = [
        ("empty secret", Vec::new()),
        ("one-byte secret", b"a".to_vec()),
        ("16-byte secret", (0u8..16).collect()),
        (
            "64-byte secret",
            (0u8..64).map(|b| b.wrapping_mul(7)).collect(),
        ),
        (
            "100-byte secret (longer than a SHA-256 block)",
            vec![0x5a; 100],
        ),
    ];
    let scrs = [scr(id::C_018_M), scr(id::C_019_M)];
    let mut groups = Vec::new();
    for (label, secret) in secrets {
        let mut t = Vec::new();
        let mut d = base13();
        d.sign(&secret, DigestReading::LiteralColons);
        let body = d.signed_bytes();
        let fields = fields13(&d);
        let good = d.encode();
        t.push((good.clone(), Test::new(format!("{label}: SHA-256(secret ':' header ':' options)"), &scrs, json!({
            "digestInputHex": hex(&[&secret[..], b":", &body[..12], b":", &body[12..]].concat()),
            "decoded": fields["decoded"],
        }), Expected::Valid)));
        for bit in [0usize, 1, 7, 8, 128, 255] {
            let mut bytes = good.clone();
            let at = bytes.len() - 32 + bit / 8;
            bytes[at] ^= 0x80 >> (bit % 8);
            t.push((
                bytes,
                Test::new(
                    format!("{label}: digest bit {bit} flipped"),
                    &scrs,
                    json!({}),
                    invalid13("digest-mismatch"),
                ),
            ));
        }
        for (reading, flag) in [
            (DigestReading::NoColons, "DigestNoColons"),
            (DigestReading::HmacSha256, "DigestHmac"),
        ] {
            let mut other = base13();
            other.sign(&secret, reading);
            t.push((
                other.encode(),
                Test::new(
                    format!("{label}: {}", reading.describe()),
                    &scrs,
                    json!({"reading": reading.name()}),
                    Expected::Acceptable,
                )
                .flag(flag),
            ));
        }
        let mut wrong = base13();
        wrong.sign(b"another secret", DigestReading::LiteralColons);
        t.push((
            wrong.encode(),
            Test::new(
                format!("{label}: signed with another secret"),
                &scrs,
                json!({}),
                invalid13("digest-mismatch"),
            ),
        ));
        let mut changed = good.clone();
        changed[1] ^= 0x40;
        t.push((
            changed,
            Test::new(
                format!("{label}: UIM changed after signing"),
                &scrs,
                json!({}),
                invalid13("digest-mismatch"),
            ),
        ));
        groups.push((json!({"type": "Notification13Digest", "format": "1.3", "serverId": SERVER, "secretHex": hex(&secret), "reading": "literal-colons"}), t));
    }
    file(
        "v13/digest.json",
        "OMA-DM-Notification-1.3",
        notes13(),
        groups,
    )
}
