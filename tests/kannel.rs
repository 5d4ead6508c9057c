//! Kannel (Debian's `kannel`), a real WAP gateway, between the harness and the reference client,
//! on loopback, with the configuration in tests/kannel/: the harness hands each client case's
//! Package #0 to Kannel's Push Proxy Gateway (wapbox) as a PAP push-message; Kannel frames it as
//! a WAP push, cuts it into SMS and submits it over SMPP to the harness's SMSC, where the
//! reference client is bound as a receiver; the client's session shows at the mock DM server. A
//! real gateway encodes, dmnoti decodes.

mod common;
use common::require;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Kills the child when dropped, so that a failed assertion leaves no box behind.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

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
