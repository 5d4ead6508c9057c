//! `cargo bench --bench network`: wall time of the default suites over UDP, OBEX, SIP and HTTP against
//! the reference IUT as network peers, and how many notification-to-Package #1 round trips per
//! second pass through the mock DM server under concurrent load (over SIP, through the harness's
//! registrar and user agent, the MESSAGE over UDP and over TCP; over OBEX, a connection per push:
//! CONNECT, PUT, DISCONNECT). Prints figures, asserts nothing.

use dmnoti::adapter::dm_server::DmServer;
use dmnoti::adapter::sip::SipElement;
use dmnoti::adapter::{self, Delivery};
use dmnoti::codec::Format;
use dmnoti::codec::sip::{self, SipTransport};
use dmnoti::codec::wsp::PushBuilder;
use dmnoti::suite::AccountSpec;
use dmnoti::suite::message::{BuildContext, MessageSpec};
use dmnoti::testee::Op;
use dmnoti::testee::process::{CommandSpec, TesteeProcess};
use std::net::UdpSocket;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_dmnoti");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn suites(adapter: &str) -> Duration {
    let reports = std::env::temp_dir().join(format!("dmnoti-bench-net-{adapter}"));
    let started = Instant::now();
    let out = Command::new(BIN)
        .args([
            "run",
            "--adapter",
            adapter,
            "--reports",
            reports.to_str().unwrap_or("reports"),
        ])
        .current_dir(ROOT)
        .output()
        .expect("dmnoti runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    started.elapsed()
}

/// The reference client over `adapter`, provisioned with the default account (its DM server the
/// mock one) and told `registrar` or `smsc` when its transport attaches to one; and its hello's
/// address. The testee lives as long as this does.
struct Client {
    _iut: TesteeProcess,
    address: String,
    account: AccountSpec,
}

fn reference_client(
    adapter: &str,
    dm: &DmServer,
    registrar: Option<String>,
    smsc: Option<String>,
) -> Client {
    let spec = CommandSpec {
        command: BIN.into(),
        args: vec![
            "iut".into(),
            "client".into(),
            "--adapter".into(),
            adapter.into(),
        ],
        ..CommandSpec::default()
    };
    let mut iut = TesteeProcess::spawn(&spec).expect("testee");
    let hello = iut.hello(Duration::from_secs(2)).expect("hello");
    let mut account = AccountSpec::default_account();
    account.server_uri = Some(dm.uri_for(&account.server_id));
    iut.call(
        Op::Provision {
            accounts: vec![account.to_account().expect("account")],
            now: Some(1_700_000_000),
            registrar,
            smsc,
        },
        Duration::from_secs(2),
    )
    .expect("provision");
    iut.call(Op::Clock { now: 1_700_000_000 }, Duration::from_secs(2))
        .expect("clock");
    Client {
        _iut: iut,
        address: hello.address.unwrap_or_default(),
        account,
    }
}

/// `total` notifications for `account`, session ids 1 to `total`.
fn messages(account: &AccountSpec, total: u16) -> Vec<Vec<u8>> {
    (1..=total)
        .map(|id| {
            let ctx = BuildContext {
                account,
                now: 1_700_000_000,
                reading: Default::default(),
                fresh_session_id: id,
                timeout_unit_seconds: 60,
            };
            MessageSpec::default().build(&ctx).expect("message").bytes
        })
        .collect()
}

/// Round trips per second: notifications pushed to one reference client over
/// `adapter`, each answered by a Package #1 at the mock DM server.
fn round_trips(adapter: &str, total: u16) -> f64 {
    let dm = DmServer::start("127.0.0.1:0".parse().expect("addr"), None).expect("dm server");
    let client = reference_client(adapter, &dm, None, None);
    let to = match client.address.as_str() {
        a if a.starts_with("udp://") => {
            Delivery::Udp(a.trim_start_matches("udp://").parse().expect("udp address"))
        }
        a => Delivery::Http {
            url: a.to_owned(),
            plain: false,
        },
    };
    let messages = messages(&client.account, total);
    // A closed loop: at most WINDOW notifications outstanding, as a DM server paces a campaign;
    // an unpaced burst only measures the socket buffer.
    const WINDOW: u16 = 32;
    let socket = UdpSocket::bind("127.0.0.1:0").expect("socket");
    let started = Instant::now();
    let (mut sent, mut arrived) = (0u16, 0u16);
    while arrived < total {
        while sent < total && sent - arrived < WINDOW {
            adapter::push(
                Some(&socket),
                &to,
                Format::V13,
                &PushBuilder::new(Format::V13),
                &messages[usize::from(sent)],
                Duration::from_secs(2),
                None,
            )
            .expect("push");
            sent += 1;
        }
        if dm.next(Duration::from_secs(2)).is_none() {
            break;
        }
        arrived += 1;
    }
    let took = started.elapsed();
    if arrived < total {
        eprintln!("{adapter}: {arrived} of {total} Package #1 arrived");
    }
    f64::from(arrived) / took.as_secs_f64()
}

/// Round trips per second with `WINDOW` senders, each calling `send` (which waits for the
/// transport's answer) on its share of `messages`, while the Package #1 documents are counted at
/// the mock DM server: a closed loop, as a DM server paces a campaign.
fn closed_loop<F>(name: &str, dm: &DmServer, messages: Vec<Vec<u8>>, send: F) -> f64
where
    F: Fn(&[u8]) + Clone + Send + 'static,
{
    const WINDOW: usize = 32;
    let total = messages.len();
    let messages = Arc::new(messages);
    let started = Instant::now();
    let senders: Vec<_> = (0..WINDOW)
        .map(|w| {
            let (messages, send) = (Arc::clone(&messages), send.clone());
            std::thread::spawn(move || {
                for m in messages.iter().skip(w).step_by(WINDOW) {
                    send(m);
                }
            })
        })
        .collect();
    let mut arrived = 0usize;
    while arrived < total && dm.next(Duration::from_secs(2)).is_some() {
        arrived += 1;
    }
    let took = started.elapsed();
    for s in senders {
        let _ = s.join();
    }
    if arrived < total {
        eprintln!("{name}: {arrived} of {total} Package #1 arrived");
    }
    arrived as f64 / took.as_secs_f64()
}

/// Round trips per second over SIP push: the reference client registers with the harness's
/// registrar, and each notification goes in a MESSAGE over `transport` to the contact it
/// registered, answered 200, then by a Package #1 at the mock DM server. `WINDOW` senders keep
/// that many MESSAGEs outstanding.
fn sip_round_trips(transport: SipTransport, total: u16) -> f64 {
    let dm = DmServer::start("127.0.0.1:0".parse().expect("addr"), None).expect("dm server");
    let element =
        Arc::new(SipElement::start("127.0.0.1:0".parse().expect("addr"), None).expect("element"));
    let client = reference_client("sip", &dm, Some(format!("sip:{}", element.addr)), None);
    let contact = element.binding(None).expect("registered").contact;
    let (host, port, _) = sip::uri_target(&contact).expect("contact");
    let to: std::net::SocketAddr = format!("{host}:{port}").parse().expect("contact address");
    let send = move |m: &[u8]| {
        let via = element.addr.to_string();
        let (call_id, branch, tag) = element.next_ids();
        let mut spec = sip::MessageSpec::new(&contact, "sip:dm@127.0.0.1", &via);
        spec.call_id = &call_id;
        spec.branch = &branch;
        spec.from_tag = &tag;
        spec.transport = transport;
        let request = sip::message_request(&spec, m);
        if let Err(e) = element.send(to, transport, &call_id, &request, Duration::from_secs(2)) {
            eprintln!("MESSAGE: {e}");
        }
    };
    closed_loop(
        &format!("sip/{transport:?}"),
        &dm,
        messages(&client.account, total),
        send,
    )
}

/// Round trips per second over OBEX: `WINDOW` senders each push to the reference client's OBEX
/// server (a TCP connection, CONNECT, PUT, DISCONNECT per notification), each answered by a
/// Package #1 at the mock DM server.
fn obex_round_trips(total: u16) -> f64 {
    let dm = DmServer::start("127.0.0.1:0".parse().expect("addr"), None).expect("dm server");
    let client = reference_client("obex", &dm, None, None);
    let to: std::net::SocketAddr = client
        .address
        .strip_prefix("obex://")
        .and_then(|a| a.parse().ok())
        .expect("obex address");
    let send = move |m: &[u8]| {
        let spec = dmnoti::adapter::obex::PushSpec::default();
        if let Err(e) =
            dmnoti::adapter::obex::push(to, &spec, Format::V13, m, Duration::from_secs(2), None)
        {
            eprintln!("OBEX push: {e}");
        }
    };
    closed_loop("obex", &dm, messages(&client.account, total), send)
}

/// Segments per second through the harness's SMSC: one transmitter submits the SMS user data of
/// WAP pushes (`submit_sm`, waiting for each `submit_sm_resp`), one receiver takes them as
/// `deliver_sm`. The SMSC's own relay rate, before any link or client is measured.
fn smsc_relay(total: u32) -> f64 {
    use dmnoti::adapter::smpp::{BindAs, Esme, Segment, Smsc};
    let smsc = Smsc::start("127.0.0.1:0".parse().expect("addr"), None, None).expect("smsc");
    let t = Duration::from_secs(5);
    let mut rx = Esme::bind(smsc.addr, BindAs::Receiver, "bench", "pw", t, None).expect("rx");
    let mut tx = Esme::bind(smsc.addr, BindAs::Transmitter, "bench", "pw", t, None).expect("tx");
    let segment = Segment {
        source: "+15550199".into(),
        destination: "+15550100".into(),
        esm_class: 0x40,
        data_coding: 0x04,
        user_data: [
            vec![0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0],
            vec![0x5A; 100],
        ]
        .concat(),
    };
    let receiver = std::thread::spawn(move || {
        let mut n = 0u32;
        while n < total && matches!(rx.next_delivery(t), Ok(Some(_))) {
            n += 1;
        }
        n
    });
    let started = Instant::now();
    for _ in 0..total {
        tx.submit(&segment).expect("submit_sm");
    }
    let delivered = receiver.join().unwrap_or(0);
    let took = started.elapsed();
    while smsc.next(Duration::ZERO).is_some() {}
    f64::from(delivered) / took.as_secs_f64()
}

/// Round trips per second over WAP push over SMS: the harness binds to its own SMSC as a
/// transmitter and submits each push (one segment each), the reference client, bound as a
/// receiver, takes it as deliver_sm and posts Package #1 to the mock DM server.
fn sms_round_trips(total: u16) -> f64 {
    use dmnoti::adapter::smpp::{BindAs, Esme, Segment, Smsc};
    use dmnoti::codec::sms;
    let dm = DmServer::start("127.0.0.1:0".parse().expect("addr"), None).expect("dm server");
    let smsc = Smsc::start("127.0.0.1:0".parse().expect("addr"), None, None).expect("smsc");
    let client = reference_client("smpp", &dm, None, Some(format!("smpp://{}", smsc.addr)));
    let mut tx = Esme::bind(
        smsc.addr,
        BindAs::Transmitter,
        "bench",
        "",
        Duration::from_secs(5),
        None,
    )
    .expect("transmitter");
    let segments: Vec<Segment> = messages(&client.account, total)
        .into_iter()
        .map(|message| {
            let pdu = PushBuilder::new(Format::V13).encode(&message);
            let tpdus = sms::encode(&sms::SmsSpec::new(sms::Direction::Submit), &pdu);
            let (_, dcs, ud) = sms::user_data(&tpdus).remove(0);
            Segment {
                source: "+15550199".into(),
                destination: "+15550100".into(),
                esm_class: 0x40,
                data_coding: dcs,
                user_data: ud,
            }
        })
        .collect();
    let started = Instant::now();
    let sender = std::thread::spawn(move || {
        for s in &segments {
            if let Err(e) = tx.submit(s) {
                eprintln!("submit_sm: {e}");
                return;
            }
        }
    });
    let mut arrived = 0u16;
    while arrived < total && dm.next(Duration::from_secs(2)).is_some() {
        arrived += 1;
    }
    let took = started.elapsed();
    let _ = sender.join();
    while smsc.next(Duration::ZERO).is_some() {}
    if arrived < total {
        eprintln!("sms: {arrived} of {total} Package #1 arrived");
    }
    f64::from(arrived) / took.as_secs_f64()
}

fn main() {
    // Side by side with the stdio run of the same suites: the network's cost, as a ratio. The
    // best of seven runs each (the first warms the page cache and the testee binary; on two cores
    // a single run's wall time varies by a fifth).
    let best = |adapter: &str| (0..7).map(|_| suites(adapter)).min().unwrap_or_default();
    let stdio = best("stdio");
    println!(
        "default suites over stdio (reference IUT): {:8.1} ms",
        stdio.as_secs_f64() * 1e3
    );
    for (name, adapter) in [
        ("UDP", "udp"),
        ("SMPP", "smpp"),
        ("OBEX", "obex"),
        ("SIP", "sip"),
        ("HTTP", "http"),
    ] {
        let t = best(adapter);
        println!(
            "default suites over {name:<5} (reference IUT): {:8.1} ms  ({:.1}x stdio)",
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() / stdio.as_secs_f64().max(1e-9)
        );
    }
    println!(
        "notification -> Package #1 round trips, UDP push:  {:8.0} per second",
        round_trips("udp", 4000)
    );
    println!(
        "notification -> Package #1 round trips, HTTP push: {:8.0} per second",
        round_trips("http", 4000)
    );
    println!(
        "notification -> Package #1 round trips, SIP MESSAGE over UDP: {:8.0} per second",
        sip_round_trips(SipTransport::Udp, 4000)
    );
    println!(
        "notification -> Package #1 round trips, SIP MESSAGE over TCP: {:8.0} per second",
        sip_round_trips(SipTransport::Tcp, 4000)
    );
    println!(
        "notification -> Package #1 round trips, OBEX PUT (a connection each): {:8.0} per second",
        obex_round_trips(4000)
    );
    println!(
        "SMS segments through the harness's SMSC (submit_sm -> deliver_sm): {:8.0} per second",
        smsc_relay(8000)
    );
    println!(
        "notification -> Package #1 round trips, WAP push over SMS (SMPP): {:8.0} per second",
        sms_round_trips(4000)
    );
}
