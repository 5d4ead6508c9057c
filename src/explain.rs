//! Field-by-field breakdowns of a Package #0 message and of its framing: every field with its
//! byte offset, bits and meaning, every broken rule with its section, and the digest check.
//! One serializable [`Explanation`] serves both the text a person reads and `--json`.

use crate::codec::digest::DigestReading;
use crate::codec::options::{option_label, option_name, option_section};
use crate::codec::v12::{self, Credentials12, Verified12};
use crate::codec::v13;
use crate::codec::wsp::{self, WapPush};
use crate::codec::{
    self, Format, Initiator, Rule, SessionId, Transport, UiMode, hex, ota_http, sip, sms,
};
use serde::Serialize;
use std::fmt::Write as _;

/// One field of a message or framing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    pub name: String,
    /// Byte offset and length in the input as given.
    pub offset: usize,
    pub length: usize,
    /// The field's bits (for bit fields) or bytes in hex.
    pub raw: String,
    pub meaning: String,
    pub section: &'static str,
}

/// A broken rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub offset: usize,
    pub kind: &'static str,
    pub section: &'static str,
    pub message: String,
}

impl Violation {
    fn of<K: Rule>(e: &codec::DecodeError<K>, base: usize) -> Violation {
        Violation {
            offset: base + e.offset,
            kind: e.kind.name(),
            section: e.kind.section(),
            message: format!(
                "offset {}: {} ({})",
                base + e.offset,
                e.kind,
                e.kind.section()
            ),
        }
    }
}

/// What the digest check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestCheck {
    pub verified: bool,
    pub message: String,
    /// For 1.3: the readings under which the digest verifies.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub readings: Vec<DigestReading>,
}

/// How the message arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Framing {
    pub kind: &'static str,
    pub fields: Vec<Field>,
    pub violations: Vec<Violation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub framing: Option<Framing>,
    pub format: Format,
    pub content_type: &'static str,
    /// Offset of the notification in the input.
    pub offset: usize,
    pub length: usize,
    pub fields: Vec<Field>,
    pub violations: Vec<Violation>,
    /// Points the spec leaves open that this message touches (not violations).
    pub remarks: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<DigestCheck>,
    pub conformant: bool,
}

/// The keys to check a digest with; any may be absent.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    pub secret: Option<Vec<u8>>,
    pub reading: DigestReading,
    pub password: Option<Vec<u8>>,
    pub nonce: Option<Vec<u8>>,
    pub server_id_override: Option<Vec<u8>>,
}

/// What the input is, when the caller knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Input {
    #[default]
    Auto,
    V13,
    V12,
    Wsp,
    Http,
    Sip,
}

impl From<codec::Detected> for Input {
    fn from(d: codec::Detected) -> Input {
        match d {
            codec::Detected::V13 => Input::V13,
            codec::Detected::V12 => Input::V12,
            codec::Detected::Wsp => Input::Wsp,
            codec::Detected::Http => Input::Http,
            codec::Detected::Sip => Input::Sip,
        }
    }
}

/// Explains `bytes` as `input` says (or as detected), checking the digest with `keys`.
pub fn explain(bytes: &[u8], input: Input, keys: &Keys) -> Explanation {
    let input = if input == Input::Auto {
        codec::detect(bytes).into()
    } else {
        input
    };
    match input {
        Input::Wsp => explain_wsp(bytes, keys),
        Input::Http => explain_http(bytes, keys),
        Input::Sip => explain_sip(bytes, keys),
        Input::V12 => explain_message(bytes, 0, Format::V12, keys),
        Input::V13 | Input::Auto => explain_message(bytes, 0, Format::V13, keys),
    }
}

fn explain_message(bytes: &[u8], base: usize, format: Format, keys: &Keys) -> Explanation {
    let mut e = Explanation {
        framing: None,
        format,
        content_type: format.content_type(),
        offset: base,
        length: bytes.len(),
        fields: Vec::new(),
        violations: Vec::new(),
        remarks: Vec::new(),
        digest: None,
        conformant: false,
    };
    match format {
        Format::V13 => fields13(bytes, base, keys, &mut e),
        Format::V12 => fields12(bytes, base, keys, &mut e),
    }
    e.conformant = e.violations.is_empty()
        && e.framing.as_ref().is_none_or(|f| f.violations.is_empty())
        && e.digest.as_ref().is_none_or(|d| d.verified);
    e
}

fn field(
    name: impl Into<String>,
    offset: usize,
    length: usize,
    raw: String,
    meaning: String,
    section: &'static str,
) -> Field {
    Field {
        name: name.into(),
        offset,
        length,
        raw,
        meaning,
        section,
    }
}

fn fields13(bytes: &[u8], base: usize, keys: &Keys, e: &mut Explanation) {
    let seen = v13::inspect(bytes);
    e.violations = seen
        .violations
        .iter()
        .map(|v| Violation::of(v, base))
        .collect();
    if let Some(h) = seen.header {
        let version = if h.version == v13::VERSION {
            "1".to_owned()
        } else {
            format!("{} (MUST be 1)", h.version)
        };
        e.fields.extend([
            field(
                "VER",
                base,
                1,
                format!("{:04b}", h.version),
                version,
                "6.4.1",
            ),
            field(
                "OPC",
                base,
                1,
                format!("{:03b}", h.opc),
                format!("{} options", h.opc),
                "6.4.2",
            ),
            field(
                "I",
                base,
                1,
                format!("{:01b}", h.initiator),
                Initiator::from_bit(h.initiator).meaning().to_owned(),
                "6.4.3",
            ),
            field(
                "UIM",
                base + 1,
                1,
                format!("{:02b}", h.ui_mode),
                UiMode::from_bits(h.ui_mode).meaning().to_owned(),
                "6.4.4",
            ),
            field(
                "TRA",
                base + 1,
                1,
                format!("{:03b}", h.transport),
                Transport::from_bits(h.transport)
                    .map_or("reserved value".to_owned(), |t| t.meaning().to_owned()),
                "6.4.5",
            ),
            field(
                "RESERVED",
                base + 1,
                3,
                format!("{:019b}", h.reserved),
                if h.reserved == 0 {
                    "0".to_owned()
                } else {
                    format!("0x{:05X} (not zero)", h.reserved)
                },
                "6.4.6",
            ),
            field(
                "TIMEOUT",
                base + 4,
                2,
                format!("0x{:04X}", h.timeout),
                if h.timeout == 0 {
                    "0: no timeout".to_owned()
                } else {
                    format!("{} minutes", h.timeout)
                },
                "6.4.7",
            ),
            field(
                "SESSIONID",
                base + 6,
                2,
                format!("0x{:04X}", h.session_id),
                SessionId::new(h.session_id).map_or("0: MUST NOT be used".to_owned(), |s| {
                    format!("Package #1 SessionID \"{}\"", s.to_package1())
                }),
                "6.4.8",
            ),
            field(
                "TIMESTAMP",
                base + 8,
                4,
                format!("0x{:08X}", h.timestamp),
                posix_time(h.timestamp),
                "6.4.9",
            ),
        ]);
        if h.reserved != 0 {
            e.remarks.push("RESERVED bits are not zero; the text neither requires zero nor says to ignore them (erratum 6)".into());
        }
    }
    for o in &seen.options {
        let mut raw = hex(&bytes[o.offset..o.offset + 2]);
        raw.push_str(" | ");
        raw.push_str(&abbreviated_hex(o.value));
        let meaning = match &o.typed {
            Some(t) => t.describe_value(),
            None if option_name(o.number).is_none() => "undefined option".to_owned(),
            None => "value breaks the option's rules".to_owned(),
        };
        let mut name = format!("{} len {}", option_label(o.number), o.length);
        if o.beyond_opc {
            name.push_str(" [beyond OPC]");
        }
        e.fields.push(field(
            name,
            base + o.offset,
            2 + o.length,
            raw,
            meaning,
            option_section(o.number),
        ));
    }
    if let Some((at, d)) = seen.digest {
        e.fields.push(field(
            "DIGEST",
            base + at,
            d.len(),
            hex(d),
            format!("{} bytes", d.len()),
            "6.6",
        ));
    }
    if let Some((at, t)) = seen.trailer {
        e.fields.push(field(
            "TRAILER",
            base + at,
            t.len(),
            abbreviated_hex(t),
            format!("{} bytes after the digest", t.len()),
            "6",
        ));
    }
    if let Some(secret) = &keys.secret {
        let check = match v13::verify(bytes, secret, keys.reading) {
            Ok(()) => DigestCheck {
                verified: true,
                message: format!("digest verifies: {}", keys.reading.describe()),
                readings: vec![keys.reading],
            },
            Err(err) => {
                let others = v13::matching_readings(bytes, secret);
                let message = match others.first() {
                    Some(r) => format!(
                        "{err}; it verifies under another reading: {} ({})",
                        r.name(),
                        r.describe()
                    ),
                    None => err.to_string(),
                };
                DigestCheck {
                    verified: false,
                    message,
                    readings: others,
                }
            }
        };
        e.digest = Some(check);
    }
}

fn fields12(bytes: &[u8], base: usize, keys: &Keys, e: &mut Explanation) {
    let seen = v12::inspect(bytes);
    e.violations = seen
        .violations
        .iter()
        .map(|v| Violation::of(v, base))
        .collect();
    const S: &str = "DMNoti12";
    if let Some(d) = seen.digest {
        e.fields
            .push(field("DIGEST", base, d.len(), hex(d), "MD5".into(), S));
    }
    let mut server_id = None;
    if let Some(t) = seen.trigger {
        let at = base + v12::TRIGGER_OFFSET;
        let version = match t.version {
            v12::VERSION => "11".to_owned(),
            v12::VERSION_LENIENT => "12 (not 11; a leniency many clients allow)".to_owned(),
            v => format!("{v} (the 1.2 format sets 11)"),
        };
        e.fields.extend([
            field("V", at, 2, format!("{:010b}", t.version), version, S),
            field(
                "UIM",
                at + 1,
                1,
                format!("{:02b}", t.ui_mode),
                UiMode::from_bits(t.ui_mode).meaning().to_owned(),
                "6.4.4",
            ),
            field(
                "I",
                at + 1,
                1,
                format!("{:01b}", t.initiator),
                Initiator::from_bit(t.initiator).meaning().to_owned(),
                "6.4.3",
            ),
            field(
                "FUTURE",
                at + 1,
                4,
                format!("0x{:07X}", t.future),
                if t.future == 0 {
                    "0".into()
                } else {
                    "not zero".into()
                },
                S,
            ),
            field(
                "SESSIONID",
                at + 5,
                2,
                format!("0x{:04X}", t.session_id),
                SessionId::new(t.session_id).map_or("0: MUST NOT be used".to_owned(), |s| {
                    format!("Package #1 SessionID \"{}\"", s.to_package1())
                }),
                "6.4.8",
            ),
        ]);
        if t.version == v12::VERSION_LENIENT {
            e.remarks
                .push("V = 12: real clients accept it; the conformant value is 11".into());
        }
    }
    if let Some((len, id)) = seen.server_id {
        let at = base + v12::TRIGGER_OFFSET + 7;
        e.fields.push(field(
            "LEN",
            at,
            1,
            format!("0x{len:02X}"),
            format!("{len} bytes"),
            S,
        ));
        e.fields.push(field(
            "SERVER-ID",
            at + 1,
            id.len(),
            abbreviated_hex(id),
            format!("{:?}", String::from_utf8_lossy(id)),
            S,
        ));
        server_id = Some(id);
    }
    if let Some((at, body)) = seen.vendor_body.filter(|(_, b)| !b.is_empty()) {
        e.fields.push(field(
            "VENDOR",
            base + at,
            body.len(),
            abbreviated_hex(body),
            format!("{} bytes", body.len()),
            S,
        ));
    }
    if let (Some(password), Some(server_id)) = (&keys.password, server_id) {
        let nonce = keys.nonce.clone().unwrap_or_default();
        let creds = Credentials12 {
            password,
            nonce: &nonce,
            server_id_override: keys.server_id_override.as_deref(),
        };
        e.digest = Some(match v12::verify(bytes, server_id, creds) {
            Ok(Verified12::Nonce) => DigestCheck {
                verified: true,
                message: "digest verifies with the nonce".into(),
                readings: vec![],
            },
            Ok(Verified12::ResyncNonce) => DigestCheck {
                verified: true,
                message: "digest verifies with the resync nonce 00000000 (not the account's nonce)"
                    .into(),
                readings: vec![],
            },
            Err(err) => DigestCheck {
                verified: false,
                message: err.to_string(),
                readings: vec![],
            },
        });
    }
}

fn explain_wsp(bytes: &[u8], keys: &Keys) -> Explanation {
    let push = match wsp::decode(bytes) {
        Ok(p) => p,
        Err(err) => {
            // The framing does not parse: explain the bytes as a bare message, with the framing error.
            let mut e = explain_message(bytes, 0, Format::V13, keys);
            e.framing = Some(Framing {
                kind: "wsp",
                fields: vec![],
                violations: vec![Violation::of(&err, 0)],
            });
            e.conformant = false;
            return e;
        }
    };
    let mut violations: Vec<Violation> = Vec::new();
    let format = match wsp::route(&push) {
        Ok(f) => f,
        Err(err) => {
            violations.push(Violation::of(&err, 0));
            Format::V13
        }
    };
    if format == Format::V13 {
        for err in wsp::sender_rules(&push) {
            let v = Violation::of(&err, 0);
            if !violations.contains(&v) {
                violations.push(v);
            }
        }
    }
    let fields = wsp_fields(bytes, &push);
    let mut e = explain_message(push.body, push.body_offset, format, keys);
    e.conformant &= violations.is_empty();
    e.framing = Some(Framing {
        kind: "wsp",
        fields,
        violations,
    });
    e
}

fn wsp_fields(bytes: &[u8], push: &WapPush<'_>) -> Vec<Field> {
    vec![
        field(
            "TID",
            0,
            1,
            format!("0x{:02X}", push.tid),
            "transaction id".into(),
            "7.1",
        ),
        field("PDU type", 1, 1, "0x06".into(), "Push".into(), "7.1"),
        field(
            "HeadersLen",
            2,
            push.headers_offset - 2,
            hex(&bytes[2..push.headers_offset]),
            format!("{} bytes of content type and headers", push.headers_len),
            "7.1",
        ),
        field(
            "Content-Type",
            push.headers_offset,
            0,
            String::new(),
            push.content_type.to_string(),
            "7.1",
        ),
        field(
            "X-Wap-Application-Id",
            push.headers_offset,
            0,
            String::new(),
            push.app_id.as_ref().map_or("absent".into(), |id| {
                if id.is_syncml_dm() {
                    format!("{id} (x-wap-application:syncml.dm)")
                } else {
                    id.to_string()
                }
            }),
            "7.1",
        ),
        field(
            "body",
            push.body_offset,
            push.body.len(),
            String::new(),
            format!("{} bytes", push.body.len()),
            "7.1",
        ),
    ]
}

/// The explanation of a framing that broke a rule before its Package #0 could be found.
fn framing_broken<K: Rule>(
    kind: &'static str,
    err: &codec::DecodeError<K>,
    keys: &Keys,
) -> Explanation {
    let mut e = explain_message(&[], 0, Format::V13, keys);
    e.framing = Some(Framing {
        kind,
        fields: vec![],
        violations: vec![Violation::of(err, 0)],
    });
    e.conformant = false;
    e
}

fn explain_sip(bytes: &[u8], keys: &Keys) -> Explanation {
    let failed = |err: &sip::Error| framing_broken("sip", err, keys);
    let message = match sip::parse_datagram(bytes) {
        Ok(m) => m,
        Err(err) => return failed(&err),
    };
    let push = match sip::decode_push(&message) {
        Ok(p) => p,
        Err(err) => return failed(&err),
    };
    let shown = |name: &str| message.header(name).unwrap_or("absent").to_owned();
    let mut fields = vec![
        field(
            "Request-URI",
            0,
            0,
            String::new(),
            push.request_uri.clone(),
            "7.3",
        ),
        field(
            "Content-Type",
            0,
            0,
            String::new(),
            shown("Content-Type"),
            "7.3",
        ),
        field(
            "Accept-Contact",
            0,
            0,
            String::new(),
            shown("Accept-Contact"),
            "7.3",
        ),
        field(
            "body",
            push.message_offset,
            push.message.len(),
            String::new(),
            format!("{} bytes", push.message.len()),
            "7.3",
        ),
    ];
    if push.trailing > 0 {
        fields.push(field(
            "past Content-Length",
            push.message_offset + push.message.len(),
            push.trailing,
            String::new(),
            format!("{} bytes, discarded (RFC 3261 18.3)", push.trailing),
            "7.3",
        ));
    }
    let mut e = explain_message(push.message, push.message_offset, push.format, keys);
    e.framing = Some(Framing {
        kind: "sip",
        fields,
        violations: vec![],
    });
    e
}

/// Explains the SMS TPDUs of one WAP push (7.1 over SMS, WAP-259): each TPDU's fields at their
/// offsets in the input (the TPDUs one after another), then the WSP push they reassemble to. The
/// WSP and message fields' offsets are in the reassembled datagram when there are several
/// segments (in the input when there is one).
pub fn explain_sms(tpdus: &[Vec<u8>], keys: &Keys) -> Explanation {
    let mut fields = Vec::new();
    let mut read = Vec::new();
    let mut base = 0;
    for (n, bytes) in tpdus.iter().enumerate() {
        let t = match sms::decode(bytes, None) {
            Ok(t) => t,
            Err(mut err) => {
                err.offset += base;
                return framing_broken("sms", &err, keys);
            }
        };
        let name = |f: &str| {
            if tpdus.len() > 1 {
                format!("segment {}: {f}", n + 1)
            } else {
                f.to_owned()
            }
        };
        let kind = match t.direction {
            sms::Direction::Deliver => "SMS-DELIVER",
            sms::Direction::Submit => "SMS-SUBMIT",
        };
        fields.push(field(
            name("first octet"),
            base,
            1,
            format!("{:08b}", t.first_octet),
            format!("{kind}, TP-UDHI {}", u8::from(t.udhi)),
            "TS 23.040 9.2.2",
        ));
        fields.push(field(
            name(match t.direction {
                sms::Direction::Deliver => "TP-OA",
                sms::Direction::Submit => "TP-DA",
            }),
            base + t.address_offset,
            0,
            String::new(),
            t.address.to_string(),
            "TS 23.040 9.1.2.5",
        ));
        fields.push(field(
            name("TP-DCS"),
            base + t.dcs_offset,
            1,
            format!("{:02X}", t.dcs),
            if t.eight_bit() {
                "8-bit data".into()
            } else {
                "not 8-bit data".into()
            },
            "TS 23.038 4",
        ));
        fields.push(field(
            name("TP-UDL"),
            base + t.ud_offset - 1,
            1,
            format!("{:02X}", t.udl),
            format!("{} octets of user data", t.udl),
            "TS 23.040 9.2.3.16",
        ));
        for (el, at) in t.elements.iter().zip(&t.element_offsets) {
            let (what, meaning) = match el {
                sms::Element::Ports {
                    destination,
                    source,
                } => (
                    "application port addressing",
                    format!("to port {destination} from {source}"),
                ),
                sms::Element::Concat {
                    reference,
                    total,
                    seq,
                } => (
                    "concatenation",
                    format!("message {reference}, segment {seq} of {total}"),
                ),
                sms::Element::Other { iei, data } => (
                    "information element",
                    format!("IEI 0x{iei:02X}, {} bytes", data.len()),
                ),
            };
            fields.push(field(
                name(what),
                base + at,
                0,
                String::new(),
                meaning,
                "TS 23.040 9.2.3.24, WAP-259 6.5",
            ));
        }
        fields.push(field(
            name("user data"),
            base + t.data_offset,
            t.data.len(),
            String::new(),
            format!("{} bytes", t.data.len()),
            "TS 23.040 9.2.3.24",
        ));
        base += bytes.len();
        read.push(t);
    }
    let datagram = match sms::reassemble(&read).and_then(|d| sms::route(&d).map(|()| d)) {
        Ok(d) => d,
        Err(err) => return framing_broken("sms", &err, keys),
    };
    let mut e = explain_wsp(&datagram.payload, keys);
    if tpdus.len() == 1 {
        let shift = read[0].data_offset;
        e.offset += shift;
        for f in &mut e.fields {
            f.offset += shift;
        }
    }
    let mut framing = e.framing.take().unwrap_or(Framing {
        kind: "wsp",
        fields: vec![],
        violations: vec![],
    });
    fields.append(&mut framing.fields);
    e.framing = Some(Framing {
        kind: "sms",
        fields,
        violations: framing.violations,
    });
    e
}

fn explain_http(bytes: &[u8], keys: &Keys) -> Explanation {
    match ota_http::decode_request(bytes) {
        Ok(push) => {
            let kind = match push.form {
                ota_http::Form::OtaHttp => "ota-http",
                ota_http::Form::Plain => "plain-http",
            };
            let fields = vec![
                field("form", 0, 0, String::new(), kind.into(), "7.4"),
                field(
                    "Content-Type",
                    0,
                    0,
                    String::new(),
                    push.format.content_type().into(),
                    "7.4",
                ),
                field(
                    "X-Wap-Application-Id",
                    0,
                    0,
                    String::new(),
                    push.app_id.clone().unwrap_or_else(|| "absent".into()),
                    "7.4",
                ),
                field(
                    "body",
                    push.message_offset,
                    push.message.len(),
                    String::new(),
                    format!("{} bytes", push.message.len()),
                    "7.4",
                ),
            ];
            let mut e = explain_message(push.message, push.message_offset, push.format, keys);
            e.framing = Some(Framing {
                kind,
                fields,
                violations: vec![],
            });
            e
        }
        Err(err) => framing_broken("http", &err, keys),
    }
}

fn abbreviated_hex(bytes: &[u8]) -> String {
    const SHOWN: usize = 24;
    if bytes.len() <= SHOWN {
        hex(bytes)
    } else {
        format!("{}... ({} bytes)", hex(&bytes[..SHOWN]), bytes.len())
    }
}

/// POSIX seconds as an RFC 3339 UTC time (civil-from-days, H. Hinnant).
pub fn posix_time(seconds: u32) -> String {
    let days = i64::from(seconds / 86_400);
    let rem = seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

impl Explanation {
    /// The breakdown as a person reads it.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if let Some(f) = &self.framing {
            let _ = writeln!(out, "framing: {}", f.kind);
            write_fields(&mut out, &f.fields);
            for v in &f.violations {
                let _ = writeln!(out, "  VIOLATION {}", v.message);
            }
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "Package #0, format {} ({}), {} bytes at offset {}",
            self.format, self.content_type, self.length, self.offset
        );
        write_fields(&mut out, &self.fields);
        if self.violations.is_empty() {
            out.push_str("violations: none\n");
        } else {
            let _ = writeln!(out, "violations: {}", self.violations.len());
            for v in &self.violations {
                let _ = writeln!(out, "  - {}", v.message);
            }
        }
        for r in &self.remarks {
            let _ = writeln!(out, "remark: {r}");
        }
        if let Some(d) = &self.digest {
            let _ = writeln!(out, "digest: {}", d.message);
        }
        let _ = writeln!(
            out,
            "verdict: {}",
            if self.conformant {
                "conformant"
            } else {
                "NOT conformant"
            }
        );
        out
    }
}

fn write_fields(out: &mut String, fields: &[Field]) {
    for f in fields {
        let range = match f.length {
            0 | 1 => format!("[{}]", f.offset),
            n => format!("[{}..{}]", f.offset, f.offset + n - 1),
        };
        // Short raw values (bit fields) fit a column; long ones (bytes) get a line of their own.
        if f.raw.len() <= 20 {
            let _ = writeln!(
                out,
                "  {range:<10} {:<34} {:<20} {} ({})",
                f.name, f.raw, f.meaning, f.section
            );
        } else {
            let _ = writeln!(
                out,
                "  {range:<10} {:<34} {:<20} {} ({})",
                f.name, "", f.meaning, f.section
            );
            let _ = writeln!(out, "  {:<10}   {}", "", f.raw);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::parse_hex;

    const EXAMPLE12: &str = "ECE403CDE6BFD11780D5185040EC301202D8000000303904536374 73";

    fn keys12() -> Keys {
        Keys {
            password: Some(b"SimpleClient".to_vec()),
            nonce: Some(vec![0x00, 0xE5, 0x6E, 0x00]),
            ..Keys::default()
        }
    }

    #[test]
    fn posix_times() {
        assert_eq!(posix_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(posix_time(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(posix_time(u32::MAX), "2106-02-07T06:28:15Z");
    }

    #[test]
    fn a_sip_push_of_the_12_example_is_detected_and_verifies() {
        let message = parse_hex(EXAMPLE12).unwrap();
        let mut spec =
            sip::MessageSpec::new("sip:d@127.0.0.1", "sip:s@127.0.0.1", "127.0.0.1:5060");
        spec.format = Format::V12;
        let bytes = sip::message_request(&spec, &message);
        assert_eq!(codec::detect(&bytes), codec::Detected::Sip);
        let e = explain(&bytes, Input::Auto, &keys12());
        assert!(e.conformant, "{}", e.to_text());
        assert_eq!(e.offset, bytes.len() - message.len());
        // Without the feature tag the framing is named as the broken rule.
        spec.feature_tag = false;
        let e = explain(
            &sip::message_request(&spec, &message),
            Input::Auto,
            &keys12(),
        );
        assert!(!e.conformant);
        assert!(e.to_text().contains("g.oma.eventappid"), "{}", e.to_text());
    }

    #[test]
    fn the_12_example_is_detected_and_verifies() {
        let bytes = parse_hex(EXAMPLE12).unwrap();
        assert_eq!(codec::detect(&bytes), codec::Detected::V12);
        let e = explain(&bytes, Input::Auto, &keys12());
        assert!(e.conformant, "{}", e.to_text());
        let text = e.to_text();
        assert!(
            text.contains("UIM") && text.contains("background"),
            "{text}"
        );
        assert!(text.contains("Package #1 SessionID \"3039\""), "{text}");
        assert!(text.contains("digest verifies with the nonce"), "{text}");
    }

    #[test]
    fn wsp_framed_input_is_explained_at_its_offsets() {
        let bytes = parse_hex(EXAMPLE12).unwrap();
        let pdu = wsp::PushBuilder::new(Format::V12).encode(&bytes);
        assert_eq!(codec::detect(&pdu), codec::Detected::Wsp);
        let e = explain(&pdu, Input::Auto, &keys12());
        assert_eq!(e.format, Format::V12);
        assert_eq!(e.offset, 6);
        assert!(e.conformant, "{}", e.to_text());
        assert_eq!(
            e.fields
                .iter()
                .find(|f| f.name == "SESSIONID")
                .unwrap()
                .offset,
            6 + 21
        );
    }

    #[test]
    fn a_wrong_app_id_is_a_framing_violation() {
        let bytes = parse_hex(EXAMPLE12).unwrap();
        let mut b = wsp::PushBuilder::new(Format::V12);
        b.app_id = Some(wsp::AppId::Code(2));
        let e = explain(&b.encode(&bytes), Input::Wsp, &Keys::default());
        assert!(!e.conformant);
        assert_eq!(
            e.framing.unwrap().violations[0].kind,
            "wrong-application-id"
        );
    }
}
