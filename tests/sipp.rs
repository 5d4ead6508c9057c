//! The harness's SIP element (7.3) against a real SIP stack, SIPp (Debian's sip-tester), with the
//! scenarios in tests/sipp/: a DM device that registers with the feature tag and takes a MESSAGE.
//! SIPp must accept the harness's SIP, and its scenario fails a MESSAGE without 7.3's content type
//! or feature tag, which the second test shows.

mod common;
use common::{free_port, require};
use dmnoti::adapter::sip::SipElement;
use dmnoti::codec::sip::{self, SipTransport};
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sipp");

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// SIPp with a scenario, on `port`, quiet, bounded by its own global timeout.
fn sipp(scenario: &str, port: u16, extra: &[&str]) -> Child {
    sipp_in(Path::new(SCENARIOS), scenario, port, extra)
}

/// The same, working in `dir` (where a scenario's `[file]` keyword looks).
fn sipp_in(dir: &Path, scenario: &str, port: u16, extra: &[&str]) -> Child {
    Command::new("sipp")
        .current_dir(dir)
        .arg("-sf")
        .arg(Path::new(SCENARIOS).join(scenario))
        .args(["-i", "127.0.0.1", "-p", &port.to_string(), "-m", "1"])
        .args([
            "-nostdin",
            "-timeout",
            "15s",
            "-timeout_error",
            "-max_recv_loops",
            "1000",
        ])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sipp runs")
}

/// Its exit status within `wait`; killed (and failed) past it.
fn finish(mut child: Child, wait: Duration) -> i32 {
    let deadline = Instant::now() + wait;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("sipp did not finish within {wait:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A MESSAGE carrying a Package #0 to `to`, from the element, over UDP; the final response code.
fn push(element: &SipElement, to: SocketAddr, feature_tag: bool) -> Result<u16, String> {
    push_over(element, to, feature_tag, SipTransport::Udp)
}

fn push_over(
    element: &SipElement,
    to: SocketAddr,
    feature_tag: bool,
    transport: SipTransport,
) -> Result<u16, String> {
    let (call, branch, tag) = element.next_ids();
    let uri = format!("sip:device@{to}");
    let via = element.addr.to_string();
    let mut spec = sip::MessageSpec::new(&uri, "sip:dm-server@127.0.0.1", &via);
    spec.call_id = &call;
    spec.branch = &branch;
    spec.from_tag = &tag;
    spec.feature_tag = feature_tag;
    spec.transport = transport;
    let message = dmnoti::codec::parse_hex("15400000000000002a6b06008110037372763002000b").unwrap();
    let request = sip::message_request(&spec, &message);
    element
        .send(to, transport, &call, &request, Duration::from_secs(3))
        .map(|f| f.code)
        .map_err(|e| e.to_string())
}

#[test]
#[ignore = "needs sipp (Debian's sip-tester): .ci/run installs it and runs this with --ignored"]
fn sipp_registers_with_the_harness_and_takes_its_message() {
    require("sipp");
    let element = SipElement::start("127.0.0.1:0".parse().unwrap(), None).unwrap();
    let device_port = free_udp_port();
    let uas = sipp("dm-device-message.xml", device_port, &[]);
    let registrar = element.addr.to_string();
    let uac = sipp(
        "dm-device-register.xml",
        free_udp_port(),
        &["-key", "device_port", &device_port.to_string(), &registrar],
    );
    assert_eq!(
        finish(uac, Duration::from_secs(20)),
        0,
        "SIPp's REGISTER got no 200"
    );
    // The registrar judged the REGISTER by 7.3 and bound the contact SIPp gave.
    let register = element.next_register(Duration::from_secs(1)).unwrap();
    let parsed = sip::parse_datagram(&register.bytes).unwrap();
    let binding = sip::check_register(&parsed).unwrap();
    assert_eq!(
        binding.contact,
        format!("sip:device@127.0.0.1:{device_port}")
    );
    assert_eq!(element.binding(None).unwrap().contact, binding.contact);
    let to: SocketAddr = format!("127.0.0.1:{device_port}").parse().unwrap();
    assert_eq!(push(&element, to, true), Ok(200));
    assert_eq!(
        finish(uas, Duration::from_secs(20)),
        0,
        "SIPp refused the MESSAGE"
    );
}

#[test]
#[ignore = "needs sipp (Debian's sip-tester): .ci/run installs it and runs this with --ignored"]
fn sipp_fails_a_message_without_the_feature_tag() {
    require("sipp");
    let element = SipElement::start("127.0.0.1:0".parse().unwrap(), None).unwrap();
    let device_port = free_udp_port();
    let uas = sipp("dm-device-message.xml", device_port, &[]);
    let to: SocketAddr = format!("127.0.0.1:{device_port}").parse().unwrap();
    // SIPp takes the MESSAGE and still answers 200 (its check marks the call failed, it does not
    // stop it): the answer shows the scenario ran to its end, the exit status that it failed.
    assert_eq!(push(&element, to, false), Ok(200));
    assert_ne!(
        finish(uas, Duration::from_secs(20)),
        0,
        "the scenario must fail a MESSAGE without +g.oma.eventappid"
    );
}

#[test]
#[ignore = "needs sipp (Debian's sip-tester): .ci/run installs it and runs this with --ignored"]
fn sipp_takes_the_message_over_tcp() {
    require("sipp");
    let element = SipElement::start("127.0.0.1:0".parse().unwrap(), None).unwrap();
    // Free for TCP too: SIPp listens there (a port free only for UDP made it fail to start).
    let device_port = free_port();
    let uas = sipp("dm-device-message.xml", device_port, &["-t", "t1"]);
    let to: SocketAddr = format!("127.0.0.1:{device_port}").parse().unwrap();
    // SIPp listens once it has started: connect until it does.
    let deadline = Instant::now() + Duration::from_secs(10);
    let code = loop {
        match push_over(&element, to, true, SipTransport::Tcp) {
            Ok(code) => break code,
            Err(e) if Instant::now() > deadline => panic!("{e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    assert_eq!(code, 200);
    assert_eq!(
        finish(uas, Duration::from_secs(20)),
        0,
        "SIPp refused the MESSAGE"
    );
}

/// SIPp as a DM server: its MESSAGE carries a Package #0 made by `dmnoti encode`, and the harness's
/// user agent must take it whole, over UDP and over TCP, and answer 200.
#[test]
#[ignore = "needs sipp (Debian's sip-tester): .ci/run installs it and runs this with --ignored"]
fn the_harness_takes_a_message_from_sipp() {
    require("sipp");
    let dir = common::tempdir("sipp-server");
    let encoded = common::dmnoti()
        .args([
            "encode",
            "--server-id",
            "srv",
            "--session-id",
            "42",
            "--secret",
            "s3cret",
        ])
        .args(["--output", "raw"])
        .output()
        .unwrap();
    assert!(encoded.status.success());
    let package0 = encoded.stdout;
    std::fs::write(dir.join("package0.bin"), &package0).unwrap();
    std::fs::copy(
        Path::new(SCENARIOS).join("dm-server-message.xml"),
        dir.join("dm-server-message.xml"),
    )
    .unwrap();
    for (transport, flag) in [(SipTransport::Udp, "u1"), (SipTransport::Tcp, "t1")] {
        let element = SipElement::start("127.0.0.1:0".parse().unwrap(), None).unwrap();
        let target = element.addr.to_string();
        let uac = sipp_in(
            &dir,
            "dm-server-message.xml",
            free_port(),
            &["-t", flag, &target],
        );
        let got = element
            .next_request(Duration::from_secs(10))
            .expect("the MESSAGE reached the harness");
        assert_eq!(got.transport, transport);
        let message = sip::parse_datagram(&got.bytes).unwrap();
        let push = sip::decode_push(&message).unwrap();
        assert_eq!(push.message, package0.as_slice(), "{transport:?}");
        assert_eq!(push.trailing, 0);
        assert!(dmnoti::codec::v13::decode(push.message).is_ok());
        assert_eq!(finish(uac, Duration::from_secs(20)), 0, "SIPp got no 200");
    }
}

/// SIPp as the SIP stack of a DM server under test, end to end: `dmnoti run` in the server role
/// over SIP push, its trigger a script that makes each requested Package #0 with `dmnoti encode`
/// and has SIPp send it in a MESSAGE to the harness's user agent. The SIP cases pass: SIPp's
/// MESSAGE keeps 7.3, and the harness's UA answers it as SIPp's scenario requires.
#[test]
#[ignore = "needs sipp and python3: .ci/run installs them and runs this with --ignored"]
fn sipp_as_a_dm_server_passes_the_sip_cases() {
    require("sipp");
    require("python3");
    let dir = common::tempdir("sipp-dm-server");
    std::fs::copy(
        Path::new(SCENARIOS).join("dm-server-message.xml"),
        dir.join("dm-server-message.xml"),
    )
    .unwrap();
    let script = dir.join("notify.py");
    std::fs::write(
        &script,
        format!(
            r#"#!/usr/bin/env python3
# The trigger of a DM server whose SIP stack is SIPp: the device's SIP URI and the notify request
# (JSON) come in the environment (a placeholder in an interpreter's argv is refused).
import json, os, random, socket, subprocess, sys
DMNOTI, DIR = {dmnoti:?}, {dir:?}
device, request = os.environ["DMNOTI_DEVICE"], json.loads(os.environ["DMNOTI_REQUEST"])
args = [DMNOTI, "encode", "--output", "raw",
        "--server-id", request.get("server_id") or "com.example.dm",
        "--session-id", str(random.randint(1, 0xFFFF)),
        "--secret", "dmnoti-notification-secret"]
for mo in request.get("requested_mo", []): args += ["--requested-mo", str(mo)]
for mo in request.get("targeted_mo", []): args += ["--targeted-mo", str(mo)]
for b in request.get("preferred_bearer", []): args += ["--bearer", str(b)]
if request.get("connect_reason"): args += ["--connect-reason", request["connect_reason"]]
package0 = subprocess.run(args, check=True, capture_output=True).stdout
open(DIR + "/package0.bin", "wb").write(package0)
hostport = device.split("@", 1)[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]; s.close()
subprocess.run(["sipp", "-sf", "dm-server-message.xml", "-m", "1", "-i", "127.0.0.1",
                "-p", str(port), "-nostdin", "-timeout", "10s", "-timeout_error",
                "-t", "u1", hostport],
               cwd=DIR, check=True, stdout=subprocess.DEVNULL)
"#,
            dmnoti = env!("CARGO_BIN_EXE_dmnoti"),
            dir = dir.to_str().unwrap(),
        ),
    )
    .unwrap();
    let profile = dir.join("p.yaml");
    std::fs::write(
        &profile,
        format!(
            "name: sipp-dm-server\nrole: server\nadapter: sip\ntrigger: \"python3 {}\"\nclaims: {{SCR-DM-NOTI-S-014-O: true}}\nparameters:\n  step_timeout_ms: 10000\n",
            script.display()
        ),
    )
    .unwrap();
    let out = common::dmnoti()
        .args(["run", "--assume-unclaimed", "--jobs", "1", "--iut"])
        .arg(&profile)
        .args(["--filter", "server.7.3", "--reports"])
        .arg(dir.join("reports"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("3 passed, 0 failed"), "{stdout}");
}
