//! `dmnoti run`, `lint` and `selftest` through the binary, against the reference IUT, faulty and
//! broken testees, and bad suites.

mod common;
use common::{dmnoti, require, tempdir};
use predicates::str::contains;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn item<'v>(coverage: &'v serde_json::Value, id: &str) -> &'v serde_json::Value {
    coverage["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap()
}

/// A profile for the reference client with faults.
fn faulty_client(dir: &Path, faults: &[&str]) -> PathBuf {
    let mut args = vec!["iut".to_owned(), "client".into()];
    for f in faults {
        args.extend(["--fault".to_owned(), (*f).to_owned()]);
    }
    let text = format!(
        "name: faulty\nrole: client\ncommand: {}\nargs: {}\nclaims:\n  SCR-DM-NOTI-C-007-O: true\nparameters:\n  digest_reading: literal-colons\n  timeout_unit: minutes\n",
        env!("CARGO_BIN_EXE_dmnoti"),
        serde_json::to_string(&args).unwrap()
    );
    let path = dir.join("faulty.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_default_run_passes_the_reference_iut_and_writes_every_report() {
    let reports = tempdir("default");
    let out = dmnoti()
        .args(["run", "--reports", reports.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("every mandatory and claimed item passes"),
        "{stdout}"
    );
    for f in ["junit.xml", "coverage.json", "coverage.md", "coverage.html"] {
        assert!(reports.join(f).is_file(), "{f} missing");
    }
    let coverage = json(&reports.join("coverage.json"));
    assert_eq!(coverage["ok"], true);
    let items = coverage["items"].as_array().unwrap();
    assert_eq!(items.len(), 38);
    for i in items.iter().filter(|i| i["status"] == "M") {
        assert_eq!(i["verdict"], "PASS", "{}", i["id"]);
    }
    assert_eq!(
        item(&coverage, "SCR-DM-NOTI-C-020-O")["verdict"],
        "NOT_CLAIMED"
    );
    let xml = std::fs::read_to_string(reports.join("junit.xml")).unwrap();
    let report = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    assert!(report.tests >= 150, "{} test cases", report.tests);
    assert_eq!(report.failures, 0);
    let md = std::fs::read_to_string(reports.join("coverage.md")).unwrap();
    assert!(md.starts_with("## dmnoti conformance: PASS"));
    let html = std::fs::read_to_string(reports.join("coverage.html")).unwrap();
    // One self-contained file: its script inline, nothing fetched.
    assert!(
        html.contains("<table>")
            && html.contains("<script>(function(){")
            && !html.contains("src=")
            && !html.contains("href=\"http")
            && !html.contains("url("),
        "self-contained"
    );
}

#[test]
fn a_faulty_client_fails_the_run_on_the_right_item() {
    let dir = tempdir("faulty");
    let profile = faulty_client(&dir, &["accept-bad-digest"]);
    let out = dmnoti()
        .args([
            "run",
            "--assume-unclaimed",
            "--iut",
            profile.to_str().unwrap(),
            "--reports",
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL client.6.6.flip-digest-bit-0"),
        "{stdout}"
    );
    let coverage = json(&dir.join("coverage.json"));
    assert_eq!(coverage["ok"], false);
    assert_eq!(item(&coverage, "SCR-DM-NOTI-C-019-M")["verdict"], "FAIL");
    assert_eq!(item(&coverage, "SCR-DM-NOTI-C-016-M")["verdict"], "PASS");
    // Unclaimed optional items are skipped, never failed.
    assert_eq!(
        item(&coverage, "SCR-DM-NOTI-C-011-O")["verdict"],
        "NOT_CLAIMED"
    );
    let xml = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert!(
        xml.contains("expected the message to be ignored"),
        "the failure says expected against observed"
    );
    assert!(xml.contains("<property name=\"scr\" value=\"SCR-DM-NOTI-C-019-M\"/>"));
    assert!(xml.contains("not claimed: SCR-DM-NOTI-C-011-O"));
}

#[test]
fn a_hung_or_dying_testee_fails_cases_without_hanging_the_harness() {
    let dir = tempdir("hang");
    let profile = faulty_client(&dir, &["hang-on-vendor-info", "crash-on-long-server-id"]);
    let started = Instant::now();
    let out = dmnoti()
        .args([
            "run",
            "--assume-unclaimed",
            "--iut",
            profile.to_str().unwrap(),
            "--reports",
            dir.to_str().unwrap(),
            "--timeout-ms",
            "300",
            "--filter",
            "client.6.5",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("no answer in 0.3 s"), "{stdout}");
    assert!(stdout.contains("IUT exited with status 101"), "{stdout}");
    assert!(started.elapsed() < Duration::from_secs(20));
    // The testee is restarted: later cases of the run still pass.
    let coverage = json(&dir.join("coverage.json"));
    let bearer = item(&coverage, "SCR-DM-NOTI-C-016-M");
    assert_eq!(bearer["verdict"], "PASS");
    assert!(bearer["passed"].as_u64().unwrap() >= 12, "{bearer}");

    let silent = dir.join("silent.yaml");
    std::fs::write(
        &silent,
        "name: silent\nrole: client\ncommand: /bin/sh\nargs: [-c, 'sleep 30']\n",
    )
    .unwrap();
    let started = Instant::now();
    let out = dmnoti()
        .args([
            "run",
            "--assume-unclaimed",
            "--iut",
            silent.to_str().unwrap(),
            "--reports",
            dir.to_str().unwrap(),
            "--timeout-ms",
            "100",
            "--filter",
            "client.6.6.valid",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ERROR client.6.6.valid"));
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        dir.join("junit.xml").is_file(),
        "reports are written whatever the IUT did"
    );
}

#[test]
fn bad_suites_and_profiles_exit_2_naming_the_place() {
    let dir = tempdir("bad");
    let suites = dir.join("suites");
    std::fs::create_dir_all(&suites).unwrap();
    std::fs::write(
        suites.join("a.yaml"),
        "role: client\ntitle: t\ncases:\n  - id: x.1\n    title: t\n    scrs: [SCR-DM-NOTI-C-042-M]\n    steps:\n      - deliver: {}\n        expect: session\n",
    )
    .unwrap();
    dmnoti()
        .args([
            "run",
            "--suites",
            suites.to_str().unwrap(),
            "--reports",
            dir.to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(contains(
            "a.yaml:6:12: unknown SCR item \"SCR-DM-NOTI-C-042-M\"",
        ));
    dmnoti()
        .args(["lint", "--suites", suites.to_str().unwrap()])
        .assert()
        .code(2);
    let profile = dir.join("p.yaml");
    std::fs::write(
        &profile,
        "name: p\nrole: client\ncommand: x\nclaims:\n  SCR-DM-NOTI-C-019-M: false\n",
    )
    .unwrap();
    dmnoti()
        .args(["run", "--iut", profile.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(contains("p.yaml:5:3: SCR-DM-NOTI-C-019-M is mandatory"));
    dmnoti()
        .args(["run", "--partition", "3/2"])
        .assert()
        .code(2)
        .stderr(contains("K must be 1 to N"));
}

#[test]
fn partitions_split_the_cases() {
    let count = |part: &str| {
        let dir = tempdir("part");
        let out = dmnoti()
            .args([
                "run",
                "--partition",
                part,
                "--reports",
                dir.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let report = quick_junit::Report::deserialize_from_str(
            &std::fs::read_to_string(dir.join("junit.xml")).unwrap(),
        )
        .unwrap();
        report.tests
    };
    let whole = count("1/1");
    assert_eq!(count("1/3") + count("2/3") + count("3/3"), whole);
}

#[test]
fn lint_checks_every_suite_and_the_example_profile() {
    dmnoti()
        .args(["lint", "--iut", "docs/examples/toy-client.profile.yaml"])
        .assert()
        .success()
        .stdout(contains(
            "every SCR item of the catalog is named by at least one case",
        ));
}

/// The toy shim of the docs, driven through its profile: a vendor's first run.
#[test]
#[ignore = "needs python3: .ci/run installs it and runs this with --ignored"]
fn the_toy_shim_passes_the_digest_cases() {
    require("python3");
    let dir = tempdir("toy");
    let out = dmnoti()
        .args([
            "run",
            "--iut",
            "docs/examples/toy-client.profile.yaml",
            "--filter",
            "client.6.6.",
            "--reports",
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let coverage = json(&dir.join("coverage.json"));
    assert_eq!(item(&coverage, "SCR-DM-NOTI-C-019-M")["verdict"], "PASS");
    // The whole suite set finds what the toy leaves out.
    let out = dmnoti()
        .args([
            "run",
            "--iut",
            "docs/examples/toy-client.profile.yaml",
            "--reports",
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL client.6.v12"));
}

#[test]
fn selftest_catches_every_fault() {
    let out = dmnoti()
        .args(["selftest", "--timeout-ms", "300"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let n = dmnoti::iut::faults::Fault::ALL
        .iter()
        .filter(|f| f.observable_over(dmnoti::transport::TransportProfile::Stdio))
        .count();
    assert!(
        stdout.contains(&format!(
            "0 conformant failures, {n} of {n} faults caught: OK"
        )),
        "{stdout}"
    );
    // Every protocol variant: no false failure, the same item verdicts where observable.
    assert_eq!(
        stdout.matches("same where observable").count(),
        8,
        "{stdout}"
    );
}
