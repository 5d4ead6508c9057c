//! Kannel (Debian's `kannel`), a real WAP gateway, both ways, on loopback, with the
//! configurations in tests/kannel/:
//! - a real gateway encodes, dmnoti decodes: the harness hands each client case's Package #0 to
//!   Kannel's Push Proxy Gateway (wapbox) as a PAP push-message; Kannel frames it as a WAP push,
//!   cuts it into SMS and submits it over SMPP to the harness's SMSC, where the reference client
//!   is bound as a receiver; the client's session shows at the mock DM server;
//! - dmnoti encodes, a real gateway decodes: the SMS-DELIVER TPDUs of `dmnoti encode --sms` go to
//!   Kannel as deliver_sm; Kannel reads their headers, joins the segments and hands the message to
//!   its SMS service, which must get WAP-259's ports and the WSP push byte for byte.

mod common;
use common::{Killed, free_port, require};
use std::path::Path;
use std::process::{Command, Stdio};

fn start(program: &str, conf: &Path, dir: &Path) -> Killed {
    Killed(
        Command::new(program)
            .arg(conf)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{program}: {e}")),
    )
}

#[test]
#[ignore = "needs Kannel (bearerbox, wapbox): .ci/run installs it and runs this with --ignored"]
fn every_client_case_passes_through_kannel() {
    require("bearerbox");
    require("wapbox");
    let dir = common::tempdir("kannel");
    let (smsc, ppg) = (free_port(), free_port());
    let conf = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/kannel/kannel.conf.in"
    ))
    .unwrap()
    .replace("@ADMIN_PORT@", &free_port().to_string())
    .replace("@WAPBOX_PORT@", &free_port().to_string())
    .replace("@SMSBOX_PORT@", &free_port().to_string())
    .replace("@SMSC_PORT@", &smsc.to_string())
    .replace("@PPG_PORT@", &ppg.to_string())
    .replace("@DIR@", dir.to_str().unwrap());
    let conf_path = dir.join("kannel.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let _bearerbox = start("bearerbox", &conf_path, &dir);
    // wapbox connects to bearerbox when it listens; it retries until then.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let _wapbox = start("wapbox", &conf_path, &dir);
    // The PPG listens once wapbox is connected to bearerbox; a busy machine takes a while.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", ppg)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "Kannel's PPG did not listen on {ppg}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let profile = dir.join("p.yaml");
    std::fs::write(
        &profile,
        format!(
            "name: reference-client-through-kannel\nrole: client\nadapter: pap\nppg: http://127.0.0.1:{ppg}/wappush\nsmsc: 127.0.0.1:{smsc}\nsmsc_system_id: dmnoti\nsmsc_password: kannel\ncommand: {}\nargs: [iut, client, --adapter, pap]\nclaims: {{SCR-DM-NOTI-C-020-O: true}}\nparameters:\n  digest_reading: literal-colons\n  timeout_unit: minutes\n  step_timeout_ms: 10000\n",
            env!("CARGO_BIN_EXE_dmnoti")
        ),
    )
    .unwrap();
    let out = common::dmnoti()
        .args(["run", "--assume-unclaimed", "--jobs", "1", "--iut"])
        .arg(&profile)
        .args(["--reports"])
        .arg(dir.join("reports"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let logs = ["bearerbox.log", "wapbox.log"]
        .iter()
        .map(|l| {
            std::fs::read_to_string(dir.join(l))
                .unwrap_or_default()
                .lines()
                .filter(|l| l.contains("ERROR") || l.contains("PANIC"))
                .take(10)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}\nKannel said:\n{logs}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The pushes went through Kannel: its PPG took them and its SMSC connection submitted them.
    let results: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("reports").join("results.json")).unwrap(),
    )
    .unwrap();
    let passed = results["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["verdict"] == "pass")
        .count();
    assert!(passed >= 150, "{passed} cases passed\n{stdout}");
    println!(
        "through Kannel: {}",
        stdout.lines().rev().nth(1).unwrap_or_default()
    );
    let wapbox = std::fs::read_to_string(dir.join("wapbox.log")).unwrap_or_default();
    assert!(wapbox.contains("PPG"), "wapbox's PPG logged nothing");
}

/// Percent-decoding of a query value, as Kannel's `%u` and `%b` escape bytes.
fn unescape(value: &str) -> Vec<u8> {
    let b = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// dmnoti encodes, Kannel decodes: the SMS-DELIVER TPDUs of `dmnoti encode --sms deliver` (a
/// push too long for one SMS: concatenated segments) go to Kannel as deliver_sm from the harness's
/// SMSC; Kannel reads their user data headers, joins the segments and hands the message to its
/// SMS service, whose URL gets the header and the data. The header must be WAP-259's port
/// element (to 2948 from 9200) and the data the WSP push dmnoti made, byte for byte.
#[test]
#[ignore = "needs Kannel (bearerbox, smsbox): .ci/run installs it and runs this with --ignored"]
fn kannel_reads_the_sms_dmnoti_encodes() {
    use dmnoti::adapter::smpp::{Segment, Smsc};
    use dmnoti::codec::sms;
    require("bearerbox");
    require("smsbox");
    let dir = common::tempdir("kannel-mo");
    let (smsc_port, service_port) = (free_port(), free_port());
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let tx = std::sync::Mutex::new(tx);
    let _service = dmnoti::adapter::http::serve(
        format!("127.0.0.1:{service_port}").parse().unwrap(),
        None,
        move |r| {
            if let Ok(tx) = tx.lock() {
                let _ = tx.send(format!("{}?{}", r.path, r.query));
            }
            dmnoti::adapter::http::Reply {
                status: 200,
                headers: vec![],
                body: vec![],
            }
        },
    )
    .unwrap();
    let smsc = Smsc::start(
        format!("127.0.0.1:{smsc_port}").parse().unwrap(),
        None,
        Some(("dmnoti".into(), "kannel".into())),
    )
    .unwrap();
    let conf = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/kannel/kannel-mo.conf.in"
    ))
    .unwrap()
    .replace("@ADMIN_PORT@", &free_port().to_string())
    .replace("@SMSBOX_PORT@", &free_port().to_string())
    .replace("@SMSC_PORT@", &smsc_port.to_string())
    .replace("@SERVICE_PORT@", &service_port.to_string())
    .replace("@DIR@", dir.to_str().unwrap());
    let conf_path = dir.join("kannel.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let _bearerbox = start("bearerbox", &conf_path, &dir);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let _smsbox = start("smsbox", &conf_path, &dir);
    // The WAP push dmnoti frames, and its SMS-DELIVER TPDUs.
    let wsp = common::dmnoti()
        .args(["encode", "--server-id", "com.example.dm", "--secret", "k"])
        .args(["--vendor-info", &"v".repeat(200), "--wsp"])
        .output()
        .unwrap();
    assert!(wsp.status.success());
    let wsp = dmnoti::codec::parse_hex(String::from_utf8_lossy(&wsp.stdout).trim()).unwrap();
    let tpdus = common::dmnoti()
        .args(["encode", "--server-id", "com.example.dm", "--secret", "k"])
        .args(["--vendor-info", &"v".repeat(200), "--sms", "deliver"])
        .output()
        .unwrap();
    assert!(tpdus.status.success());
    let tpdus: Vec<Vec<u8>> = String::from_utf8_lossy(&tpdus.stdout)
        .lines()
        .map(|l| dmnoti::codec::parse_hex(l).unwrap())
        .collect();
    assert!(tpdus.len() >= 2, "a concatenated push");
    // Kannel binds as a transceiver: wait for it, then deliver each segment's user data.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let probe = Segment {
        source: "+15550100".into(),
        destination: "+15550199".into(),
        esm_class: 0,
        data_coding: 0,
        user_data: b"ping".to_vec(),
    };
    while smsc.deliver(&probe) == 0 {
        assert!(std::time::Instant::now() < deadline, "Kannel did not bind");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let ping = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("Kannel's service got the probe");
    assert!(ping.contains("bin=ping"), "{ping}");
    for (udhi, dcs, ud) in sms::user_data(&tpdus) {
        smsc.deliver(&Segment {
            source: "+15550100".into(),
            destination: "+15550199".into(),
            esm_class: if udhi { 0x40 } else { 0 },
            data_coding: dcs,
            user_data: ud,
        });
    }
    let got = rx
        .recv_timeout(std::time::Duration::from_secs(15))
        .expect("Kannel's service got the push");
    let query = got.split_once('?').map_or("", |(_, q)| q);
    let field = |name: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .map(unescape)
            .unwrap_or_default()
    };
    let udh = field("udh");
    assert!(
        udh.windows(6)
            .any(|w| w == [0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0]),
        "Kannel read the header as {}",
        dmnoti::codec::hex(&udh)
    );
    assert_eq!(
        dmnoti::codec::hex(&field("bin")),
        dmnoti::codec::hex(&wsp),
        "Kannel's data is not the WSP push"
    );
}
