//! Network verdicts against what is not the IUT: a second device registering at the harness's
//! registrar, a Push Proxy Gateway that refuses, a server that never notifies. None of them may
//! change a verdict on the IUT, and nothing the IUT did not send may pass.

mod common;
use common::{free_port, tempdir};
use std::net::UdpSocket;
use std::path::Path;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_dmnoti");

fn results(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap()
}

fn cases(v: &serde_json::Value) -> Vec<serde_json::Value> {
    v["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Another phone registers at the harness's registrar throughout a run: its bindings are kept
/// beside the device's and recorded, and every verdict is the device's own.
#[test]
fn a_second_sip_device_registering_changes_no_verdict() {
    let dir = tempdir("second-device");
    let port = free_port();
    let profile = dir.join("sip.yaml");
    std::fs::write(
        &profile,
        format!(
            "name: ref-sip\nrole: client\nadapter: sip\nsip: 127.0.0.1:{port}\ncommand: {BIN}\nargs: [iut, client, --adapter, sip]\nparameters:\n  digest_reading: literal-colons\n  timeout_unit: minutes\n"
        ),
    )
    .unwrap();
    let reports = dir.join("r");
    let mut run = std::process::Command::new(BIN)
        .args(["run", "--jobs", "1", "--assume-unclaimed", "--iut"])
        .arg(&profile)
        .arg("--reports")
        .arg(&reports)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The other phone: a REGISTER every 20 ms, 150 in all, each with a fresh Call-ID.
    let phone = UdpSocket::bind("127.0.0.1:0").unwrap();
    let at = phone.local_addr().unwrap();
    for n in 0..150 {
        let register = format!(
            "REGISTER sip:127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {at};branch=z9hG4bKphone{n}\r\nMax-Forwards: 70\r\nFrom: <sip:phone2@lab.example>;tag=p{n}\r\nTo: <sip:phone2@lab.example>\r\nCall-ID: phone-{n}@{at}\r\nCSeq: {n} REGISTER\r\nContact: <sip:phone2@{at}>;+g.oma.eventappid=\"syncml.dm\"\r\nExpires: 600\r\nContent-Length: 0\r\n\r\n"
        );
        let _ = phone.send_to(register.as_bytes(), ("127.0.0.1", port));
        std::thread::sleep(Duration::from_millis(20));
        if run.try_wait().unwrap().is_some() {
            break;
        }
    }
    let out = run.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let all = cases(&results(&reports));
    assert!(
        all.iter()
            .all(|c| c["verdict"] != "fail" && c["verdict"] != "error")
    );
    let strays: Vec<String> = all
        .iter()
        .flat_map(|c| c["strays"].as_array().cloned().unwrap_or_default())
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect();
    assert!(
        strays
            .iter()
            .any(|s| s.contains("another address of record (sip:phone2@lab.example)")),
        "{strays:?}"
    );
}

/// A PPG that refuses every push: each case is an ERROR of the run naming the gateway and its
/// answer, never a verdict on the device, which never saw a push.
#[test]
fn a_refusing_ppg_is_an_error_naming_the_gateway() {
    let dir = tempdir("refusing-ppg");
    let ppg = dmnoti::adapter::http::serve("127.0.0.1:0".parse().unwrap(), None, |_| {
        dmnoti::adapter::http::Reply {
            status: 400,
            headers: vec![("Content-Type".into(), "application/xml".into())],
            body: br#"<?xml version="1.0"?><pap><push-response push-id="x"><response-result code="2000" desc="Bad Request"/></push-response></pap>"#.to_vec(),
        }
    })
    .unwrap();
    let profile = dir.join("pap.yaml");
    std::fs::write(
        &profile,
        format!(
            "name: ref-pap\nrole: client\nadapter: pap\nppg: http://{}/pap\nsmsc: 127.0.0.1:{}\ncommand: {BIN}\nargs: [iut, client, --adapter, pap]\nparameters:\n  digest_reading: literal-colons\n  timeout_unit: minutes\n",
            ppg.addr,
            free_port()
        ),
    )
    .unwrap();
    let reports = dir.join("r");
    let out = std::process::Command::new(BIN)
        .args([
            "run",
            "--jobs",
            "1",
            "--assume-unclaimed",
            "--filter",
            "client.6.6.",
            "--iut",
        ])
        .arg(&profile)
        .arg("--reports")
        .arg(&reports)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let all = cases(&results(&reports));
    let ran: Vec<&serde_json::Value> = all.iter().filter(|c| c["verdict"] != "skipped").collect();
    assert!(!ran.is_empty(), "{stdout}");
    for c in ran {
        assert_eq!(c["verdict"], "error", "{c}");
        let note = c["notes"][0].as_str().unwrap_or("");
        assert!(
            note.contains(&format!(
                "the PPG at http://{}/pap did not take the push",
                ppg.addr
            )) && note.contains("HTTP 400, PAP response-result 2000")
                && note.contains("a gateway's failure, not the IUT's"),
            "{note}"
        );
    }
}

/// A server whose trigger sends nothing: every case that asked for a notification fails on its
/// own item, whatever its basis's level, and the run fails.
#[test]
fn a_server_that_never_notifies_passes_nothing() {
    let dir = tempdir("silent-server");
    let profile = dir.join("silent.yaml");
    std::fs::write(
        &profile,
        "name: silent\nrole: server\nadapter: udp\ntrigger: \"true\"\nparameters:\n  step_timeout_ms: 200\n",
    )
    .unwrap();
    let ran = every_case_fails_on_its_own_item(&profile, &dir, "nothing reached the device");
    assert!(ran.len() > 20);
}

/// A server (over stdio, a shell script of no one's making) that answers every `notify` with an
/// error: no case passes, the 1.2 cases included (the profile says it sends 1.2), and the run
/// fails, each case on its own item.
#[test]
fn a_server_that_refuses_every_notify_passes_nothing() {
    let dir = tempdir("refusing-server");
    let script = dir.join("refuse.sh");
    std::fs::write(
        &script,
        r#"while IFS= read -r line; do
  id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
  case "$line" in
    *'"op":"hello"'*) printf '{"id":%s,"ok":true,"role":"server","name":"refuser","protocol":1}\n' "$id" ;;
    *'"op":"notify"'*) printf '{"id":%s,"ok":false,"error":"cannot notify"}\n' "$id" ;;
    *) printf '{"id":%s,"ok":true}\n' "$id" ;;
  esac
done
"#,
    )
    .unwrap();
    let profile = dir.join("refuser.yaml");
    std::fs::write(
        &profile,
        format!(
            "name: refuser\nrole: server\ncommand: /bin/sh\nargs: [{:?}]\nformats: [1.3, 1.2]\n",
            script.display().to_string()
        ),
    )
    .unwrap();
    let ran = every_case_fails_on_its_own_item(&profile, &dir, "no notification: ");
    assert!(
        ran.iter()
            .any(|c| c["id"].as_str().is_some_and(|id| id.contains(".v12."))),
        "the 1.2 cases ran"
    );
    assert!(ran.len() > 30, "{}", ran.len());
}

/// Runs the server `profile` (reports in `dir`): the run fails (exit 1), and every case that ran
/// fails first on its own item, for a reason that contains `observed`. The cases that ran.
fn every_case_fails_on_its_own_item(
    profile: &Path,
    dir: &Path,
    observed: &str,
) -> Vec<serde_json::Value> {
    let reports = dir.join("r");
    let out = std::process::Command::new(BIN)
        .args(["run", "--assume-unclaimed", "--iut"])
        .arg(profile)
        .arg("--reports")
        .arg(&reports)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let ran: Vec<serde_json::Value> = cases(&results(&reports))
        .into_iter()
        .filter(|c| c["verdict"] != "skipped")
        .collect();
    for c in &ran {
        assert_eq!(c["verdict"], "fail", "{c}");
        let own = c["scrs"][0].as_str().unwrap();
        assert_eq!(c["failures"][0]["scr"], own, "{c}");
        assert!(
            c["failures"][0]["observed"]
                .as_str()
                .unwrap()
                .contains(observed),
            "{c}"
        );
    }
    ran
}
