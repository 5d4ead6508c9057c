//! Test vectors (`dmnoti vectors`): Wycheproof-like JSON files of messages with known answers, for
//! implementers' own unit tests. Every vector states its expected result from how it was built
//! (never by asking our decoder), so a test that runs them through the codec checks the codec.
//! Generation is deterministic: same generator version, byte-identical files.
//!
//! Ids are stable: a vector's `id` is its file's prefix and `tcId`; new vectors are appended to the
//! end of a file, never inserted.

use crate::codec::digest::{self, DigestReading, RESYNC_NONCE};
use crate::codec::options::number;
use crate::codec::v12::{Draft12, RawTrigger};
use crate::codec::v13::{Draft13, RawHeader, RawOption};
use crate::codec::wsp::{AppId, ContentType, PushBuilder};
use crate::codec::{self, Bearer, Format, MoIndex, SessionId, hex, ota_http};
use crate::scr::{ScrId, id};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

pub const GENERATOR: &str = concat!("dmnoti ", env!("CARGO_PKG_VERSION"));
const SERVER: &str = "com.example.dm";
const SECRET: &[u8] = b"vector-secret";
const NOW: u32 = 1_700_000_000;

/// One generated file: its path under `vectors/` and its contents.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorFile {
    pub path: &'static str,
    pub value: Value,
}

/// What a vector's bytes should be judged.
#[derive(Debug, Clone)]
enum Expected {
    Valid,
    Invalid {
        kind: &'static str,
        section: &'static str,
    },
    Acceptable,
}

/// A vector's bytes and what is said of them.
type Vector = (Vec<u8>, Test);
/// A group's shared keys and its vectors.
type Group = (Value, Vec<Vector>);

struct Test {
    comment: String,
    scrs: Vec<&'static str>,
    flags: Vec<&'static str>,
    fields: Value,
    expected: Expected,
}

impl Test {
    fn new(
        comment: impl Into<String>,
        scrs: &[&'static str],
        fields: Value,
        expected: Expected,
    ) -> Test {
        Test {
            comment: comment.into(),
            scrs: scrs.to_vec(),
            flags: Vec::new(),
            fields,
            expected,
        }
    }

    fn flag(mut self, flag: &'static str) -> Test {
        self.flags.push(flag);
        self
    }
}

/// A catalog id as a `'static` string the vectors can hold.
fn scr(item: ScrId) -> &'static str {
    item.as_str()
}

/// The kinds' sections, as the codec's rules state them (the same table the spec gives).
fn invalid13(kind: &'static str) -> Expected {
    let section = match kind {
        "short-header" => "6.1",
        "unsupported-version" => "6.4.1",
        "reserved-transport" => "6.4.5",
        "zero-session-id" => "6.4.8",
        "truncated-option-header" | "option-out-of-order" => "6.2",
        "option-overrun" => "6.2.2",
        "unknown-option" | "bad-uint-length" | "empty-string" => "6.3",
        "server-id-too-long" | "missing-server-id" => "6.5.1",
        "invalid-utf8" => "6.2.3",
        "bearer-out-of-range" => "6.5.6",
        "missing-requested-mo" => "6.5.4",
        "option-count-mismatch" => "6.4.2",
        "missing-digest" | "short-digest" | "digest-mismatch" => "6.6",
        "trailing-bytes" => "6",
        "repeated-option" => "6.3",
        other => panic!("{other:?} is not an error kind of the 1.3 decoder: add its section"),
    };
    Expected::Invalid { kind, section }
}

fn file(path: &'static str, algorithm: &str, notes: Value, groups: Vec<Group>) -> VectorFile {
    let prefix = path
        .trim_end_matches(".json")
        .replace('/', "-")
        .replace("framing-", "");
    let mut tc_id = 0;
    let mut count = 0;
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(mut keys, tests)| {
            let tests: Vec<Value> = tests
                .into_iter()
                .map(|(bytes, t)| {
                    tc_id += 1;
                    count += 1;
                    let mut v = json!({
                        "tcId": tc_id,
                        "id": format!("{prefix}-{tc_id}"),
                        "comment": t.comment,
                        "scrs": t.scrs,
                        "flags": t.flags,
                        "input": hex(&bytes),
                    });
                    let obj = v.as_object_mut().expect("object");
                    match t.expected {
                        Expected::Valid => {
                            obj.insert("result".into(), json!("valid"));
                        }
                        Expected::Acceptable => {
                            obj.insert("result".into(), json!("acceptable"));
                        }
                        Expected::Invalid { kind, section } => {
                            obj.insert("result".into(), json!("invalid"));
                            obj.insert("error".into(), json!({"kind": kind, "section": section}));
                        }
                    }
                    if let Value::Object(extra) = t.fields {
                        obj.extend(extra);
                    }
                    v
                })
                .collect();
            keys.as_object_mut()
                .expect("object")
                .insert("tests".into(), Value::Array(tests));
            keys
        })
        .collect();
    VectorFile {
        path,
        value: json!({
            "algorithm": algorithm,
            "generatorVersion": GENERATOR,
            "schema": "schema.json",
            "numberOfTests": count,
            "notes": notes,
            "testGroups": groups,
        }),
    }
}

/// A conformant 1.3 message as a draft: header, Server-ID, Requested-MO DevDetail, signed.
fn base13() -> Draft13 {
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
) -> Vector {
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
) -> Vector {
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

fn header13() -> VectorFile {
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

fn options13() -> VectorFile {
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

fn digest13() -> VectorFile {
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

fn v12_format() -> VectorFile {
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

fn v12_digest() -> VectorFile {
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

fn wsp() -> VectorFile {
    let body = base13().encode();
    let c20 = [scr(id::C_020_O)];
    let mut t = Vec::new();
    let expect = |b: &PushBuilder| json!({"contentType": b.content_type.to_string(), "bodyHex": hex(&body), "headersLength": b.headers().len()});
    let routed = |format: Format| json!({"format": format.to_string()});
    let mut push = |comment: &str,
                    b: PushBuilder,
                    expected: Expected,
                    flags: &[&'static str],
                    format: Format| {
        let mut fields = expect(&b);
        fields
            .as_object_mut()
            .expect("object")
            .extend(routed(format).as_object().cloned().unwrap_or_default());
        let mut test = Test::new(comment, &c20, fields, expected);
        test.flags.extend_from_slice(flags);
        t.push((b.encode(&body), test));
    };
    push(
        "the notes' minimal PDU: 01 06 03 D8 AF 87",
        PushBuilder::new(Format::V13),
        Expected::Valid,
        &[],
        Format::V13,
    );
    push(
        "1.2 content type 0xC4",
        PushBuilder::new(Format::V12),
        Expected::Valid,
        &[],
        Format::V12,
    );
    for tid in [0u8, 0x7F, 0xFF] {
        let mut b = PushBuilder::new(Format::V13);
        b.tid = tid;
        push(
            &format!("TID 0x{tid:02X}"),
            b,
            Expected::Valid,
            &[],
            Format::V13,
        );
    }
    let extras: [(&str, Vec<u8>); 4] = [
        ("Content-Length before the application id", vec![0x8D, 0x9C]),
        (
            "an application header before the application id",
            b"X-Foo\0bar\0".to_vec(),
        ),
        (
            "X-Wap-Initiator-URI (text) before the application id",
            [&[0xB2][..], b"http://dm\0"].concat(),
        ),
        (
            "a push-flag and a value-length header",
            vec![0xB4, 0x81, 0x8E, 0x02, 0x01, 0x02],
        ),
    ];
    for (comment, extra) in extras {
        let mut b = PushBuilder::new(Format::V13);
        b.extra_headers = extra;
        push(comment, b, Expected::Valid, &["ExtraHeaders"], Format::V13);
    }
    let mut text = PushBuilder::new(Format::V13);
    text.content_type = ContentType::Text(codec::CONTENT_TYPE_V13.into());
    push(
        "content type as text: a receiver routes it, a sender MUST use the code",
        text,
        Expected::Acceptable,
        &["ContentTypeText"],
        Format::V13,
    );
    let mut app_text = PushBuilder::new(Format::V13);
    app_text.app_id = Some(AppId::Text("x-wap-application:syncml.dm".into()));
    push(
        "application id as text",
        app_text,
        Expected::Acceptable,
        &["AppIdText"],
        Format::V13,
    );
    let mut long = PushBuilder::new(Format::V13);
    long.extra_headers = [&[0xB0][..], &[b'h'; 50], &[0]].concat();
    push(
        "headers of more than 48 bytes: a receiver routes it, a sender MUST NOT send it",
        long,
        Expected::Acceptable,
        &["HeadersTooLong"],
        Format::V13,
    );
    let wrong = |comment: &str,
                 kind: &'static str,
                 section: &'static str,
                 edit: &dyn Fn(&mut PushBuilder)| {
        let mut b = PushBuilder::new(Format::V13);
        edit(&mut b);
        (
            b.encode(&body),
            Test::new(
                comment,
                &c20,
                json!({}),
                Expected::Invalid { kind, section },
            ),
        )
    };
    t.push(wrong(
        "application id 0x02 (wml.ua)",
        "wrong-application-id",
        "7.1.1",
        &|b| b.app_id = Some(AppId::Code(2)),
    ));
    t.push(wrong(
        "application id 0x9000",
        "wrong-application-id",
        "7.1.1",
        &|b| b.app_id = Some(AppId::Code(0x9000)),
    ));
    t.push(wrong(
        "no application id",
        "missing-application-id",
        "7.1.1",
        &|b| b.app_id = None,
    ));
    t.push(wrong(
        "content type 0x3E",
        "not-dm-content-type",
        "7.1.1",
        &|b| b.content_type = ContentType::Code(0x3E),
    ));
    t.push(wrong(
        "content type text/plain",
        "not-dm-content-type",
        "7.1.1",
        &|b| b.content_type = ContentType::Text("text/plain".into()),
    ));
    let raw: [(&str, Vec<u8>, &'static str); 5] = [
        (
            "PDU type 0x07 (confirmed push)",
            vec![0x01, 0x07, 0x03, 0xD8, 0xAF, 0x87],
            "not-push",
        ),
        (
            "a HeadersLen of six continuation bytes",
            vec![0x01, 0x06, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
            "bad-uintvar",
        ),
        (
            "HeadersLen past the end",
            vec![0x01, 0x06, 0x09, 0xD8, 0xAF, 0x87],
            "headers-overrun",
        ),
        ("only a TID", vec![0x01], "truncated"),
        (
            "a header cut short",
            vec![0x01, 0x06, 0x02, 0xD8, 0xAF],
            "bad-header",
        ),
    ];
    for (comment, bytes, kind) in raw {
        t.push((
            bytes,
            Test::new(
                comment,
                &c20,
                json!({}),
                Expected::Invalid {
                    kind,
                    section: "7.1, WSP push PDU",
                },
            ),
        ));
    }
    let group = json!({"type": "WapPush", "port": codec::wsp::PORT, "applicationId": 7});
    let notes = json!({
        "ExtraHeaders": "headers between the content type and the application id, which a receiver skips",
        "ContentTypeText": "the content type as text: 7.1 requires the code 0x58 of a sender",
        "AppIdText": "the application id as text: 7.1 requires the code 0x07 of a sender",
        "HeadersTooLong": "more than 48 bytes of headers: 7.1 forbids a sender this",
    });
    file(
        "framing/wsp.json",
        "WAP-Push-Connectionless",
        notes,
        vec![(group, t)],
    )
}

fn ota_http_file() -> VectorFile {
    let body = base13().encode();
    let c23 = [scr(id::C_023_O)];
    let mut t = Vec::new();
    for (form, format) in [
        (ota_http::Form::OtaHttp, Format::V13),
        (ota_http::Form::OtaHttp, Format::V12),
        (ota_http::Form::Plain, Format::V13),
        (ota_http::Form::Plain, Format::V12),
    ] {
        let bytes = ota_http::request(form, format, "127.0.0.1", "/push", &body);
        let name = match form {
            ota_http::Form::OtaHttp => "ota-http",
            ota_http::Form::Plain => "plain",
        };
        t.push((
            bytes,
            Test::new(
                format!("{name} push of a {format} notification"),
                &c23,
                json!({"form": name, "format": format.to_string(), "bodyHex": hex(&body)}),
                Expected::Valid,
            ),
        ));
    }
    let cases: [(&str, &[u8], &'static str); 8] = [
        ("not HTTP", b"garbage\r\n\r\n", "bad-request"),
        ("a GET", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "not-post"),
        ("no Content-Type", b"POST / HTTP/1.1\r\nHost: x\r\n\r\n", "missing-content-type"),
        ("Content-Type text/plain", b"POST / HTTP/1.1\r\nContent-Type: text/plain\r\n\r\nx", "unsupported-content-type"),
        ("an application/http body that is not HTTP", b"POST / HTTP/1.1\r\nContent-Type: application/http\r\n\r\nnot http", "bad-carried-message"),
        ("a carried message of type text/plain", b"POST / HTTP/1.1\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nx", "not-dm-content-type"),
        ("a carried message for x-wap-application:wml.ua", b"POST / HTTP/1.1\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/vnd.syncml.dm.notification\r\nX-Wap-Application-Id: x-wap-application:wml.ua\r\n\r\nx", "wrong-application-id"),
        ("Content-Length longer than the body", b"POST / HTTP/1.1\r\nContent-Type: application/vnd.syncml.dm.notification\r\nContent-Length: 99\r\n\r\nx", "length-mismatch"),
    ];
    for (comment, bytes, kind) in cases {
        let section = if kind == "not-dm-content-type" {
            "7.4"
        } else {
            "7.4, PushOTA"
        };
        t.push((
            bytes.to_vec(),
            Test::new(
                comment,
                &c23,
                json!({}),
                Expected::Invalid { kind, section },
            ),
        ));
    }
    file(
        "framing/ota-http.json",
        "OTA-HTTP-Push",
        json!({}),
        vec![(json!({"type": "HttpPush"}), t)],
    )
}

fn session_id_file() -> VectorFile {
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

/// Every vector file, in a fixed order.
pub fn generate() -> Vec<VectorFile> {
    vec![
        header13(),
        options13(),
        digest13(),
        v12_format(),
        v12_digest(),
        wsp(),
        ota_http_file(),
        session_id_file(),
    ]
}

/// The text of a file as written (JSON with sorted keys, or YAML).
pub fn render(f: &VectorFile, yaml: bool) -> String {
    if yaml {
        serde_yaml::to_string(&f.value).unwrap_or_default()
    } else {
        serde_json::to_string_pretty(&f.value).unwrap_or_default() + "\n"
    }
}

/// Writes every file under `dir` (paths ending .yaml with `yaml`).
pub fn write(dir: &Path, yaml: bool) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for f in generate() {
        let mut path = dir.join(f.path);
        if yaml {
            path.set_extension("yaml");
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, render(&f, yaml))?;
        written.push(path);
    }
    Ok(written)
}

/// Where a committed file differs from a fresh generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub path: PathBuf,
    pub line: usize,
    pub expected: String,
    pub found: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: differs from a fresh generation\n- {}\n+ {}\n(`dmnoti vectors generate` writes them anew)",
            self.path.display(),
            self.line,
            self.found,
            self.expected
        )
    }
}

/// Regenerates in memory and compares with the JSON files under `dir`: the first difference.
pub fn check(dir: &Path) -> Result<usize, Difference> {
    let mut count = 0;
    for f in generate() {
        let path = dir.join(f.path);
        let want = render(&f, false);
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if want != have {
            let (line, (expected, found)) = want
                .lines()
                .map(Some)
                .chain(std::iter::repeat(None))
                .zip(have.lines().map(Some).chain(std::iter::repeat(None)))
                .take(want.lines().count().max(have.lines().count()) + 1)
                .enumerate()
                .find(|(_, (a, b))| a != b)
                .map(|(i, (a, b))| {
                    (
                        i + 1,
                        (
                            a.unwrap_or("(end of file)").to_owned(),
                            b.unwrap_or("(end of file)").to_owned(),
                        ),
                    )
                })
                .unwrap_or((1, ("?".into(), "?".into())));
            return Err(Difference {
                path,
                line,
                expected,
                found,
            });
        }
        count += f.value["numberOfTests"].as_u64().unwrap_or(0) as usize;
    }
    Ok(count)
}

/// The message of a vector by id (`v13-digest-17`), for suites' `from_vector`.
pub fn find(id: &str) -> Option<(Format, Vec<u8>)> {
    generate().into_iter().find_map(|f| {
        let format = if f.path.starts_with("v12") {
            Format::V12
        } else {
            Format::V13
        };
        f.value["testGroups"]
            .as_array()?
            .iter()
            .flat_map(|g| g["tests"].as_array().into_iter().flatten())
            .find(|t| t["id"] == id)
            .and_then(|t| codec::parse_hex(t["input"].as_str()?).ok())
            .map(|b| (format, b))
    })
}
