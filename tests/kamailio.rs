//! The harness's SIP against a real SIP/IP core, Debian's kamailio (configured by
//! tests/kamailio/kamailio.cfg.in): a stateful proxy whose transaction layer takes a request that
//! reuses a branch for a retransmission (RFC 3261 17.2.3), and a registrar that keeps one binding
//! per contact and `+sip.instance` (RFC 5627). The same case run twice through it passes twice,
//! and two reference clients registered at once keep both their bindings.

mod common;
use common::{free_port, require, tempdir};
use dmnoti::codec::sip;
use dmnoti::testee::Op;
use dmnoti::testee::process::{CommandSpec, TesteeProcess};
use std::net::UdpSocket;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_dmnoti");
const CONFIG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/kamailio/kamailio.cfg.in"
);

/// kamailio on a free loopback port, in the foreground of its own process, killed on drop.
struct Core {
    child: Child,
    port: u16,
}

impl Drop for Core {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn core(dir: &Path) -> Core {
    require("kamailio");
    let port = free_port();
    let cfg = dir.join("kamailio.cfg");
    std::fs::write(
        &cfg,
        std::fs::read_to_string(CONFIG)
            .unwrap()
            .replace("@PORT@", &port.to_string()),
    )
    .unwrap();
    let run = dir.join("run");
    std::fs::create_dir_all(&run).unwrap();
    // Owned by a Core at once: killed and waited for on every path out.
    let core = Core {
        child: Command::new("kamailio")
            .arg("-f")
            .arg(&cfg)
            .args(["-DD", "-E", "-Y"])
            .arg(&run)
            .arg("-P")
            .arg(run.join("kamailio.pid"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("kamailio runs"),
        port,
    };
    // Ready when it answers an OPTIONS (404: no user; any answer will do).
    let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
    probe
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let at = probe.local_addr().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut buf = [0u8; 2048];
    loop {
        let options = format!(
            "OPTIONS sip:nobody@127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {at};branch=z9hG4bKprobe{}\r\nMax-Forwards: 70\r\nFrom: <sip:probe@{at}>;tag=p\r\nTo: <sip:nobody@127.0.0.1>\r\nCall-ID: probe-{}@{at}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
            deadline.elapsed().as_nanos(),
            Instant::now().elapsed().as_nanos()
        );
        let _ = probe.send_to(options.as_bytes(), ("127.0.0.1", port));
        if probe.recv_from(&mut buf).is_ok() {
            return core;
        }
        assert!(Instant::now() < deadline, "kamailio did not start");
    }
}

/// The reference client over SIP push, its messages through the core's proxy.
fn profile(dir: &Path, core: &Core, sip_port: u16) -> std::path::PathBuf {
    let path = dir.join("client.yaml");
    std::fs::write(
        &path,
        format!(
            "name: ref-sip-core\nrole: client\nadapter: sip\nsip: 127.0.0.1:{sip_port}\noutbound_proxy: 127.0.0.1:{}\ncommand: {BIN}\nargs: [iut, client, --adapter, sip]\nclaims: {{SCR-DM-NOTI-C-022-O: true}}\nparameters:\n  digest_reading: literal-colons\n  timeout_unit: minutes\n",
            core.port
        ),
    )
    .unwrap();
    path
}

/// The same case, run twice in a row at the same address through the core: each MESSAGE is a new
/// transaction (fresh Call-ID and branch), so the proxy forwards both and both pass.
#[test]
#[ignore = "needs kamailio: .ci/run installs it and runs this with --ignored"]
fn the_same_case_through_a_real_core_passes_twice() {
    let dir = tempdir("kamailio-twice");
    let core = core(&dir);
    let profile = profile(&dir, &core, free_port());
    for run in 1..=2 {
        let reports = dir.join(format!("r{run}"));
        let out = Command::new(BIN)
            .args(["run", "--jobs", "1", "--assume-unclaimed", "--iut"])
            .arg(&profile)
            .args(["--case", "client.7.3.sip", "--reports"])
            .arg(&reports)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "run {run}: {stdout}");
        assert!(stdout.contains("1 passed, 0 failed"), "run {run}: {stdout}");
    }
}

/// Two reference clients register the same address of record at the core at once: each with its
/// own `+sip.instance`, so the registrar keeps both bindings (a REGISTER without Contact lists
/// them, RFC 3261 10.2.3), where one shared instance would leave one.
#[test]
#[ignore = "needs kamailio: .ci/run installs it and runs this with --ignored"]
fn two_reference_clients_keep_both_their_bindings() {
    let dir = tempdir("kamailio-two");
    let core = core(&dir);
    let registrar = format!("sip:127.0.0.1:{}", core.port);
    let spec = CommandSpec {
        command: BIN.into(),
        args: vec![
            "iut".into(),
            "client".into(),
            "--adapter".into(),
            "sip".into(),
        ],
        ..CommandSpec::default()
    };
    let t = Duration::from_secs(5);
    let mut clients = Vec::new();
    for _ in 0..2 {
        let mut iut = TesteeProcess::spawn(&spec).unwrap();
        iut.hello(t).unwrap();
        let answer = iut
            .call(
                Op::Provision {
                    accounts: vec![],
                    now: None,
                    registrar: Some(registrar.clone()),
                    smsc: None,
                },
                t,
            )
            .unwrap();
        assert_ne!(answer.ok, Some(false), "{answer:?}");
        clients.push(iut);
    }
    // A REGISTER with no Contact: the registrar answers with every binding of the AOR.
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(t)).unwrap();
    let at = socket.local_addr().unwrap();
    let query = format!(
        "REGISTER {registrar} SIP/2.0\r\nVia: SIP/2.0/UDP {at};branch=z9hG4bKquery{}\r\nMax-Forwards: 70\r\nFrom: <sip:dmclient@127.0.0.1>;tag=q\r\nTo: <sip:dmclient@127.0.0.1>\r\nCall-ID: query-{}@{at}\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n",
        std::process::id(),
        std::process::id()
    );
    socket
        .send_to(query.as_bytes(), ("127.0.0.1", core.port))
        .unwrap();
    let mut buf = vec![0u8; 65_536];
    let (n, _) = socket.recv_from(&mut buf).unwrap();
    let m = sip::parse_datagram(&buf[..n]).unwrap();
    assert_eq!(
        m.status(),
        Some(200),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    let contacts: Vec<&str> = m
        .header_values("Contact")
        .flat_map(|v| v.split(','))
        .collect();
    assert_eq!(contacts.len(), 2, "{contacts:?}");
    drop(clients);
}
