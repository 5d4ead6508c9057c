//! The stdio testee protocol end to end: the real `dmnoti iut` binary and the Python example shim,
//! driven by the harness-side process client.

mod common;
use common::require;

use dmnoti::codec::build::{self, EncodeSpec};
use dmnoti::codec::{self, CONTENT_TYPE_V13};
use dmnoti::testee::process::{CommandSpec, TesteeError, TesteeProcess};
use dmnoti::testee::{Account, HexBytes, NotifyRequest, Op, Outcome, Secret};
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(5);

fn iut(role: &str, faults: &[&str]) -> TesteeProcess {
    let mut args = vec![
        "iut".to_owned(),
        role.to_owned(),
        "--adapter".into(),
        "stdio".into(),
    ];
    for f in faults {
        args.extend(["--fault".to_owned(), (*f).to_owned()]);
    }
    let spec = CommandSpec {
        command: env!("CARGO_BIN_EXE_dmnoti").into(),
        args,
        ..CommandSpec::default()
    };
    TesteeProcess::spawn(&spec).unwrap()
}

fn account(server_id: &str) -> Account {
    Account {
        server_id: server_id.into(),
        secret: Secret::new(b"k".to_vec()),
        ..Account::default()
    }
}

fn provision(p: &mut TesteeProcess, server_id: &str) {
    let r = p
        .call(
            Op::Provision {
                accounts: vec![account(server_id)],
                now: Some(1_700_000_000),
                registrar: None,
                smsc: None,
            },
            T,
        )
        .unwrap();
    assert_eq!(r.ok, Some(true), "{r:?}");
}

fn message(server_id: &str, vendor_info: Option<&str>) -> HexBytes {
    let spec = EncodeSpec {
        server_id: server_id.into(),
        session_id: 0x00AB,
        timestamp: 1_700_000_000,
        secret: Some(b"k".to_vec()),
        vendor_info: vendor_info.map(str::to_owned),
        ..EncodeSpec::default()
    };
    HexBytes(build::encode(&spec).unwrap())
}

fn deliver(message: HexBytes) -> Op {
    Op::Deliver {
        content_type: CONTENT_TYPE_V13.into(),
        message,
    }
}

#[test]
fn reference_client_over_stdio() {
    let mut p = iut("client", &[]);
    let hello = p.hello(T).unwrap();
    assert_eq!(hello.name.as_deref(), Some("dmnoti-reference-client"));
    provision(&mut p, "dm");
    let r = p.call(deliver(message("dm", None)), T).unwrap();
    assert_eq!(r.outcome, Some(Outcome::Session));
    assert_eq!(r.session.unwrap().session_id, "AB");
    let mut flipped = message("dm", None);
    let last = flipped.0.len() - 1;
    flipped.0[last] ^= 1;
    let r = p.call(deliver(flipped), T).unwrap();
    assert_eq!(r.outcome, Some(Outcome::Ignored));
    assert!(r.reason.unwrap().starts_with("digest mismatch"));
    let r = p
        .call(
            Op::Notify {
                request: NotifyRequest::default(),
            },
            T,
        )
        .unwrap();
    assert_eq!(r.ok, Some(false));
    p.shutdown(T);
}

#[test]
fn reference_server_over_stdio() {
    let mut p = iut("server", &[]);
    provision(&mut p, "dm");
    let r = p
        .call(
            Op::Notify {
                request: NotifyRequest {
                    connect_reason: Some("update".into()),
                    ..NotifyRequest::default()
                },
            },
            T,
        )
        .unwrap();
    assert_eq!(r.outcome, Some(Outcome::Notification));
    let bytes = r.message.unwrap().0;
    let m = codec::v13::decode(&bytes).unwrap();
    assert_eq!(m.connect_reason(), Some("update"));
    assert_eq!(r.session_id.unwrap(), m.header.session_id.to_package1());
    assert!(codec::v13::verify(&bytes, b"k", codec::DigestReading::LiteralColons).is_ok());
}

#[test]
fn a_crashing_client_is_an_exit_status_and_a_hanging_one_a_timeout() {
    let mut p = iut("client", &["crash-on-long-server-id"]);
    let long = "x".repeat(100);
    provision(&mut p, &long);
    let err = p.call(deliver(message(&long, None)), T).unwrap_err();
    assert_eq!(err.to_string(), "IUT exited with status 101");

    let mut p = iut("client", &["hang-on-vendor-info"]);
    provision(&mut p, "dm");
    let started = Instant::now();
    let err = p
        .call(
            deliver(message("dm", Some("acme"))),
            Duration::from_millis(300),
        )
        .unwrap_err();
    assert!(matches!(err, TesteeError::Timeout(_)), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn unknown_faults_are_refused_at_start() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dmnoti"))
        .args(["iut", "client", "--fault", "version-0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("version-0 is a server fault"));
}

/// The example shim of docs/examples runs and behaves as the doc says.
#[test]
#[ignore = "needs python3: .ci/run installs it and runs this with --ignored"]
fn the_python_example_shim_runs() {
    require("python3");
    let spec = CommandSpec {
        command: "python3".into(),
        args: vec![concat!(env!("CARGO_MANIFEST_DIR"), "/docs/examples/toy_client.py").into()],
        ..CommandSpec::default()
    };
    let mut p = TesteeProcess::spawn(&spec).unwrap();
    assert_eq!(p.hello(T).unwrap().name.as_deref(), Some("toy-client"));
    provision(&mut p, "dm");
    let r = p.call(deliver(message("dm", None)), T).unwrap();
    let s = r
        .session
        .unwrap_or_else(|| panic!("stderr: {}", p.stderr()));
    assert_eq!(
        (s.session_id.as_str(), s.requested_mo.as_deref()),
        ("AB", Some(&[0x000B][..]))
    );
    let mut flipped = message("dm", None);
    flipped.0[20] ^= 1;
    assert_eq!(
        p.call(deliver(flipped), T).unwrap().outcome,
        Some(Outcome::Ignored)
    );
    let r = p.call(Op::Clock { now: 5 }, T).unwrap();
    assert_eq!(r.ok, Some(true));
    p.shutdown(T);
}
