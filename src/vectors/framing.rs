//! The delivery framings of section 7: connectionless WAP push (7.1), over UDP and over SMS, SIP
//! push (7.3) and OTA-HTTP push (7.4).

use super::v13::base13;
use super::*;
use crate::codec::wsp::{AppId, ContentType, PushBuilder};
use crate::codec::{self, Format, hex, ota_http};
use crate::scr::id;
use serde_json::json;

pub(super) fn wsp() -> VectorFile {
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

pub(super) fn ota_http_file() -> VectorFile {
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

/// A SIP MESSAGE as 7.3 describes it, written out here from the rules (RFC 3261 request line and
/// headers, RFC 3428 pager mode, the 7.3 content type and feature tag) rather than by the codec's
/// builder, so that the decoder is checked against the text and not against itself.
fn sip_text(content_type: &str, accept_contact: Option<&str>, length: usize) -> Vec<u8> {
    let accept = accept_contact.map_or(String::new(), |a| format!("Accept-Contact: {a}\r\n"));
    format!(
        "MESSAGE sip:device@127.0.0.1:5070 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKvector\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:dm-server@127.0.0.1>;tag=1\r\n\
         To: <sip:device@127.0.0.1:5070>\r\n\
         Call-ID: vector@127.0.0.1\r\n\
         CSeq: 1 MESSAGE\r\n\
         {accept}\
         Content-Type: {content_type}\r\n\
         Content-Length: {length}\r\n\r\n"
    )
    .into_bytes()
}

pub(super) fn sip_file() -> VectorFile {
    let body = base13().encode();
    let c22 = [scr(id::C_022_O)];
    let tag = "*;+g.oma.eventappid=\"syncml.dm\"";
    let with_body = |mut head: Vec<u8>, extra: &[u8]| {
        head.extend_from_slice(&body);
        head.extend_from_slice(extra);
        head
    };
    let mut t = Vec::new();
    let valid: [(&str, &str, Option<&str>, &[u8]); 3] = [
        (
            "a MESSAGE as 7.3 says",
            codec::CONTENT_TYPE_V13,
            Some(tag),
            b"",
        ),
        (
            "a MESSAGE with the feature tag among other Accept-Contact values",
            codec::CONTENT_TYPE_V13,
            Some("*;+g.3gpp.icsi-ref=\"x\", *;+g.oma.eventappid=\"syncml.dm\";require"),
            b"",
        ),
        (
            "a datagram with bytes past Content-Length, which the receiver discards (RFC 3261 18.3)",
            codec::CONTENT_TYPE_V13,
            Some(tag),
            b"\r\n\r\n",
        ),
    ];
    for (comment, ct, accept, extra) in valid {
        t.push((
            with_body(sip_text(ct, accept, body.len()), extra),
            Test::new(
                comment,
                &c22,
                json!({"format": "1.3", "bodyHex": hex(&body), "trailing": extra.len()}),
                Expected::Valid,
            ),
        ));
    }
    let invalid: [(&str, Vec<u8>, &'static str, &'static str); 6] = [
        (
            "Content-Type application/octet-stream",
            with_body(
                sip_text("application/octet-stream", Some(tag), body.len()),
                b"",
            ),
            "not-dm-content-type",
            "7.3",
        ),
        (
            "no Accept-Contact feature tag",
            with_body(sip_text(codec::CONTENT_TYPE_V13, None, body.len()), b""),
            "missing-feature-tag",
            "7.3",
        ),
        (
            "g.oma.eventappid for another application",
            with_body(
                sip_text(
                    codec::CONTENT_TYPE_V13,
                    Some("*;+g.oma.eventappid=\"other\""),
                    body.len(),
                ),
                b"",
            ),
            "wrong-feature-tag",
            "7.3",
        ),
        (
            "Content-Length longer than the datagram's body",
            with_body(
                sip_text(codec::CONTENT_TYPE_V13, Some(tag), body.len() + 8),
                b"",
            ),
            "short-body",
            "7.3, RFC 3261 18.3",
        ),
        (
            "an INVITE, not a MESSAGE",
            b"INVITE sip:device@127.0.0.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n".to_vec(),
            "not-message",
            "7.3",
        ),
        (
            "not SIP",
            b"garbage\r\n\r\n".to_vec(),
            "bad-start-line",
            "7.3, RFC 3261 7",
        ),
    ];
    for (comment, bytes, kind, section) in invalid {
        t.push((
            bytes,
            Test::new(
                comment,
                &c22,
                json!({}),
                Expected::Invalid { kind, section },
            ),
        ));
    }
    file(
        "framing/sip.json",
        "SIP-Push",
        json!({}),
        vec![(json!({"type": "SipPush", "transport": "UDP"}), t)],
    )
}

/// An SMS TPDU written out here from TS 23.040 9.2.2 (SMS-DELIVER: first octet, TP-OA, TP-PID,
/// TP-DCS, TP-SCTS, TP-UDL, TP-UD; SMS-SUBMIT: first octet, TP-MR, TP-DA, TP-PID, TP-DCS,
/// TP-UDL, TP-UD) rather than by the codec's builder, so that the decoder is checked against the
/// layout and a second decoder can check the layout.
fn tpdu_by_hand(deliver: bool, dcs: u8, udh: &[u8], data: &[u8]) -> Vec<u8> {
    let udhi = if udh.is_empty() { 0x00 } else { 0x40 };
    let mut out = if deliver {
        vec![0x04 | udhi]
    } else {
        vec![0x01 | udhi, 0x00]
    };
    // +15550100: 8 digits, international (0x91), semi-octets swapped.
    out.extend_from_slice(&[0x08, 0x91, 0x51, 0x55, 0x10, 0x00]);
    out.extend_from_slice(&[0x00, dcs]);
    if deliver {
        // 26-11-24 12:00:00 +00.
        out.extend_from_slice(&[0x62, 0x11, 0x42, 0x21, 0x00, 0x00, 0x00]);
    }
    let mut ud = Vec::new();
    if !udh.is_empty() {
        ud.push(udh.len() as u8);
        ud.extend_from_slice(udh);
    }
    ud.extend_from_slice(data);
    out.push(ud.len() as u8);
    out.extend_from_slice(&ud);
    out
}

/// WAP-259's port element: to `destination` from 9200.
fn ports(destination: u16) -> Vec<u8> {
    let mut e = vec![0x05, 0x04];
    e.extend_from_slice(&destination.to_be_bytes());
    e.extend_from_slice(&9200u16.to_be_bytes());
    e
}

/// The concatenation element, 8- or 16-bit reference.
fn concat(reference: u16, total: u8, seq: u8, wide: bool) -> Vec<u8> {
    if wide {
        let r = reference.to_be_bytes();
        vec![0x08, 0x04, r[0], r[1], total, seq]
    } else {
        vec![0x00, 0x03, reference as u8, total, seq]
    }
}

/// The segments of `pdu`, each with the concatenation and port elements, 120 bytes of data each.
fn segmented(deliver: bool, pdu: &[u8], reference: u16, wide: bool) -> Vec<Vec<u8>> {
    let chunks: Vec<&[u8]> = pdu.chunks(120).collect();
    let total = chunks.len() as u8;
    chunks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut udh = concat(reference, total, i as u8 + 1, wide);
            udh.extend(ports(2948));
            tpdu_by_hand(deliver, 0x04, &udh, c)
        })
        .collect()
}

pub(super) fn sms_file() -> VectorFile {
    let short = PushBuilder::new(Format::V13).encode(&base13().encode());
    let long_message = codec::build::encode(&codec::build::EncodeSpec {
        server_id: "com.example.dm".into(),
        session_id: 0x0A5,
        timestamp: 1_700_000_000,
        vendor_info: Some("acme:".to_owned() + &"firmware=4.2.17;".repeat(13)),
        secret: Some(b"dmnoti-vector-secret".to_vec()),
        framing: codec::build::Framing::Wsp,
        tid: 1,
        ..codec::build::EncodeSpec::default()
    })
    .expect("the long vector message builds");
    let c20 = [scr(id::C_020_O)];
    let valid_fields = |pdu: &[u8], segments: &[Vec<u8>]| json!({"wspHex": hex(pdu), "segmentsHex": segments.iter().map(|s| hex(s)).collect::<Vec<_>>()});
    let mut deliver_tests = Vec::new();
    let mut submit_tests = Vec::new();
    for (deliver, tests) in [(true, &mut deliver_tests), (false, &mut submit_tests)] {
        let one = vec![tpdu_by_hand(deliver, 0x04, &ports(2948), &short)];
        tests.push((
            one.concat(),
            Test::new(
                "one TPDU: 8-bit data, ports 9200 -> 2948",
                &c20,
                valid_fields(&short, &one),
                Expected::Valid,
            ),
        ));
        for (wide, reference) in [(false, 0x2A), (true, 0x1234)] {
            let segs = segmented(deliver, &long_message, reference, wide);
            tests.push((
                segs.concat(),
                Test::new(
                    format!(
                        "{} segments, {}-bit concatenation reference",
                        segs.len(),
                        if wide { 16 } else { 8 }
                    ),
                    &c20,
                    valid_fields(&long_message, &segs),
                    Expected::Valid,
                ),
            ));
        }
    }
    let segs = segmented(true, &long_message, 7, false);
    let mut reversed = segs.clone();
    reversed.reverse();
    deliver_tests.push((
        reversed.concat(),
        Test::new(
            "segments out of order: reassembled by sequence number",
            &c20,
            valid_fields(&long_message, &reversed),
            Expected::Valid,
        ),
    ));
    let invalid = |comment: &str, segments: Vec<Vec<u8>>, kind: &'static str, section| {
        (
            segments.concat(),
            Test::new(
                comment,
                &c20,
                json!({"segmentsHex": segments.iter().map(|s| hex(s)).collect::<Vec<_>>()}),
                Expected::Invalid { kind, section },
            ),
        )
    };
    deliver_tests.push(invalid(
        "destination port 2949, not WAP push's 2948",
        vec![tpdu_by_hand(true, 0x04, &ports(2949), &short)],
        "wrong-port",
        "7.1, WAP-259 6.5",
    ));
    deliver_tests.push(invalid(
        "TP-DCS 0x00: the GSM 7-bit alphabet",
        vec![tpdu_by_hand(true, 0x00, &ports(2948), &short)],
        "seven-bit-coding",
        "7.1, WAP-259 6.5, TS 23.038 4",
    ));
    deliver_tests.push(invalid(
        "no port addressing element",
        vec![tpdu_by_hand(true, 0x04, &[], &short)],
        "no-ports",
        "7.1, WAP-259 6.5",
    ));
    let mut missing = segs.clone();
    missing.remove(1);
    deliver_tests.push(invalid(
        "segment 2 missing",
        missing,
        "missing-segment",
        "7.1, TS 23.040 9.2.3.24.1",
    ));
    let mut twice = segs.clone();
    twice.push(segs[0].clone());
    deliver_tests.push(invalid(
        "segment 1 twice",
        twice,
        "duplicate-segment",
        "7.1, TS 23.040 9.2.3.24.1",
    ));
    file(
        "framing/sms.json",
        "WAP-Push-over-SMS",
        json!({"ports": "WAP-259: to 2948 (connectionless WAP push) from 9200 (WSP)", "address": "+15550100"}),
        vec![
            (
                json!({"type": "SmsPush", "direction": "deliver"}),
                deliver_tests,
            ),
            (
                json!({"type": "SmsPush", "direction": "submit"}),
                submit_tests,
            ),
        ],
    )
}
