//! Fuzz targets: every parser that reads bytes from a peer, as one function of bytes each, and a
//! mutational runner for stable Rust. A target fails by panicking (or by breaking the invariant
//! it states); the runner reports the input that did it, as hex.
//!
//! Why this runner and not cargo-fuzz: cargo-fuzz and bolero's libFuzzer engine need a nightly
//! toolchain, and this project builds on stable only; afl.rs needs AFL++ built against rustc's
//! LLVM. The targets are plain `fn(&[u8])`, so a `fuzz_target!(|d| dmnoti::fuzz::run(NAME, d))`
//! wraps each for cargo-fuzz on a machine that has nightly. The stable runner is not coverage
//! guided: it mutates a corpus seeded from `vectors/` (bit flips, byte changes, insertions,
//! deletions, splices, lengths at their limits) for a bounded time.

use crate::codec::{self, Format, obex, ota_http, sip, sms, v12, v13, wsp};

/// The targets by name: `dmnoti` parsers a peer's bytes reach.
pub const TARGETS: [&str; 10] = [
    "decode13", "decode12", "wsp", "ota-http", "sip", "obex", "sms", "package1", "answer",
    "explain",
];

/// Runs one target on one input. Panics on a defect.
pub fn run(target: &str, data: &[u8]) {
    match target {
        "decode13" => {
            // Strict decoding and lenient inspection agree on whether a message is well formed.
            let strict = v13::decode(data).is_ok();
            let seen = v13::inspect(data);
            assert_eq!(
                strict,
                seen.violations.is_empty(),
                "decode and inspect disagree on {}",
                codec::hex(data)
            );
            let _ = v13::verify(data, b"k", Default::default());
        }
        "decode12" => {
            let _ = v12::decode(data);
            let _ = v12::decode_with(data, v12::Leniency { version_12: true });
            let _ = v12::inspect(data);
        }
        "wsp" => {
            if let Ok(push) = wsp::decode(data) {
                let _ = wsp::route(&push);
                let _ = wsp::sender_rules(&push);
            }
        }
        "ota-http" => {
            let _ = ota_http::decode_request(data);
            let _ = ota_http::decode_entity(Format::V13.content_type(), data, 0);
            let _ = ota_http::decode_entity("application/http", data, 0);
        }
        "sip" => {
            for t in [sip::SipTransport::Udp, sip::SipTransport::Tcp] {
                if let Ok(sip::Parsed::Complete(m, _)) = sip::parse(data, t) {
                    let _ = sip::decode_push(&m);
                    let _ = sip::check_register(&m);
                    let _ = sip::response(&m, 200, "OK", "");
                }
            }
        }
        "obex" => {
            // A stream of packets, read as a receiver reads one: each complete packet is consumed,
            // and a packet never claims bytes it does not have.
            let mut rest = data;
            for kind in [
                obex::Kind::Request,
                obex::Kind::Response { to_connect: true },
            ] {
                while let Ok(obex::Parsed::Complete(p)) = obex::parse(rest, kind) {
                    assert!(p.length >= 3 && p.length <= rest.len());
                    let _ = p.type_text();
                    let _ = p.body().count();
                    rest = &rest[p.length..];
                }
                rest = data;
            }
        }
        "sms" => {
            // One TPDU, and the input cut in two as segments: decoding and reassembly end without
            // a panic, and a datagram holds only bytes the TPDUs carried.
            for direction in [
                None,
                Some(sms::Direction::Deliver),
                Some(sms::Direction::Submit),
            ] {
                let _ = sms::decode(data, direction);
            }
            let (a, b) = data.split_at(data.len() / 2);
            if let Ok(d) = sms::decode_push(&[a, b], None) {
                assert!(d.payload.len() <= data.len());
            }
        }
        "package1" => {
            let _ = crate::package1::parse_package1(&String::from_utf8_lossy(data));
        }
        "answer" => {
            if let Ok(r) = crate::testee::Response::parse(&String::from_utf8_lossy(data)) {
                // Whatever it holds renders without panicking.
                let _ = serde_json::to_string(&r);
                for e in &r.field_errors {
                    let _ = e.to_string();
                }
            }
        }
        "explain" => {
            let e = crate::explain::explain(
                data,
                crate::explain::Input::Auto,
                &crate::explain::Keys::default(),
            );
            let _ = e.to_text();
        }
        other => panic!("no fuzz target {other:?}"),
    }
}

/// The seed corpus of a target: every vector's input (and, for the text parsers, texts of their
/// own kind), so that mutations start from messages that reach deep into the parsers.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = crate::vectors::generate()
        .iter()
        .flat_map(|f| f.vectors().map(|v| v.input.clone()).collect::<Vec<_>>())
        .collect();
    match target {
        "package1" => out.push(
            b"<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.3</VerProto><SessionID>A01</SessionID><MsgID>1</MsgID><Target><LocURI>http://h/dm</LocURI></Target><Source><LocURI>IMEI:1</LocURI></Source></SyncHdr><SyncBody><Alert><CmdID>1</CmdID><Data>1200</Data></Alert><Replace><CmdID>2</CmdID><Item><Source><LocURI>./DevInfo/DevId</LocURI></Source><Data>x&amp;y</Data></Item></Replace><Final/></SyncBody></SyncML>".to_vec(),
        ),
        "answer" => out.extend([
            br#"{"id":3,"outcome":"session","session":{"server_id":"a","session_id":"A01","format":"1.3","ui_mode":"background","requested_mo":[11],"bearer":null,"package1":"<SyncML/>"}}"#.to_vec(),
            br#"{"id":4,"outcome":"notification","content_type":"application/vnd.syncml.dm.notification","message":"15400000","session_id":"A01"}"#.to_vec(),
        ]),
        "sip" => {
            let spec = sip::MessageSpec::new("sip:d@127.0.0.1:5070", "sip:dm@127.0.0.1", "127.0.0.1:5060");
            out.push(sip::message_request(&spec, &[0x1a, 0x00, 0xff]));
            out.push(b"REGISTER sip:127.0.0.1 SIP/2.0\r\nv: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\nm: <sip:d@127.0.0.1:5070>;+g.oma.eventappid=\"syncml.dm\";+sip.instance=\"<urn:uuid:1>\"\r\nk: gruu\r\nl: 0\r\n\r\n".to_vec());
        }
        "sms" => {
            let spec = sms::SmsSpec::new(sms::Direction::Deliver);
            let push = crate::codec::wsp::PushBuilder::new(Format::V13).encode(&[0x1a; 300]);
            out.extend(sms::encode(&spec, &push));
        }
        "obex" => {
            out.push(obex::connect_request(Some(obex::TARGET_DM), 1024));
            let spec = obex::PutSpec {
                connection_id: Some(1),
                name: Some("n"),
                chunk: Some(4),
                ..obex::PutSpec::default()
            };
            out.extend(obex::put_requests(&spec, Format::V13, &[0x1a; 20], 255));
            out.push(obex::disconnect_request(Some(1)));
        }
        _ => {}
    }
    out
}

/// SplitMix64: the runner's random source, seeded so that a run can be repeated.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// One mutation of `input`, with `other` for splices.
fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut d = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(d.len() + 1);
        match rng.below(8) {
            0 if !d.is_empty() => {
                let i = at.min(d.len() - 1);
                d[i] ^= 1 << rng.below(8);
            }
            1 if !d.is_empty() => {
                let i = at.min(d.len() - 1);
                d[i] = rng.next() as u8;
            }
            2 => d.insert(at, rng.next() as u8),
            3 if at < d.len() => {
                d.remove(at);
            }
            4 => d.truncate(at),
            5 => {
                // A length or count at its limits.
                let v = [0x00, 0x01, 0x7F, 0x80, 0xFF][rng.below(5)];
                if at < d.len() {
                    d[at] = v;
                } else {
                    d.push(v);
                }
            }
            6 => {
                let from = rng.below(other.len() + 1);
                d.truncate(at);
                d.extend_from_slice(&other[from..]);
            }
            _ => d.extend((0..rng.below(16)).map(|_| rng.next() as u8)),
        }
    }
    d
}

/// What a bounded run of one target did.
#[derive(Debug, Clone, Copy)]
pub struct Fuzzed {
    pub inputs: u64,
}

/// Fuzzes `target` until `deadline`, from `seed`. A panic of the target propagates (the test
/// that runs this fails), after the input is printed.
pub fn fuzz(target: &str, seed: u64, deadline: std::time::Instant) -> Fuzzed {
    let corpus = seeds(target);
    let mut rng = Rng(seed);
    let mut inputs = 0;
    for s in &corpus {
        run(target, s);
        inputs += 1;
    }
    while std::time::Instant::now() < deadline {
        for _ in 0..256 {
            let a = &corpus[rng.below(corpus.len())];
            let b = &corpus[rng.below(corpus.len())];
            let data = mutate(&mut rng, a, b);
            let outcome = std::panic::catch_unwind(|| run(target, &data));
            if let Err(panic) = outcome {
                eprintln!("fuzz {target}: input {}", codec::hex(&data));
                std::panic::resume_unwind(panic);
            }
            inputs += 1;
        }
    }
    Fuzzed { inputs }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_takes_its_seeds_and_a_moment_of_mutations() {
        for t in TARGETS {
            let f = fuzz(
                t,
                7,
                std::time::Instant::now() + std::time::Duration::from_millis(30),
            );
            assert!(f.inputs > 400, "{t}: {} inputs", f.inputs);
        }
    }

    #[test]
    #[should_panic(expected = "no fuzz target")]
    fn an_unknown_target_is_named() {
        run("nope", b"");
    }
}
