//! CI-grade features through the binary: strict known-failure lists, reproducers and replay, the
//! interop matrix, suite diffs, retired ids, and claims checked against behaviour.

mod common;
use common::{claims_yaml, dmnoti, tempdir};
use dmnoti::scr::Role;
use predicates::prelude::*;
use predicates::str::contains;
use std::path::{Path, PathBuf};

const BIN: &str = env!("CARGO_BIN_EXE_dmnoti");

fn profile(dir: &Path, name: &str, role: &str, faults: &[&str], claims: &str) -> PathBuf {
    let mut args = vec!["iut".to_owned(), role.to_owned()];
    for f in faults {
        args.extend(["--fault".to_owned(), (*f).to_owned()]);
    }
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, format!("name: {name}\nrole: {role}\ncommand: {BIN}\nargs: {}\n{claims}parameters:\n  digest_reading: literal-colons\n  timeout_unit: minutes\n", serde_json::to_string(&args).unwrap())).unwrap();
    path
}

/// A client that accepts bad digests, run on the digest suite with a known-failure list.
fn run_known(dir: &Path, list: &str, extra: &[&str]) -> (Option<i32>, String, PathBuf) {
    let p = profile(dir, "bad-digest", "client", &["accept-bad-digest"], "");
    let known = dir.join("known.yaml");
    std::fs::write(&known, list).unwrap();
    let mut args = vec![
        "run",
        "--assume-unclaimed",
        "--iut",
        p.to_str().unwrap(),
        "--filter",
        "client.6.6.",
        "--known-failures",
        known.to_str().unwrap(),
        "--reports",
        dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = dmnoti().args(&args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        known,
    )
}

const FLIPS: &str = "- case: \"client.6.6.flip-digest-bit-*\"\n  expect: \"step 1: the client started session\"\n  reason: the digest check is being rewritten (ticket 42)\n";

fn all_failing() -> String {
    let mut s = FLIPS.to_owned();
    for c in [
        "wrong-secret",
        "zero-digest",
        "header-changed",
        "replayed-timestamp",
        "no-colons",
        "hmac",
    ] {
        s.push_str(&format!("- case: client.6.6.{c}\n  expect: \"step 1: the client started session\"\n  reason: ticket 42\n"));
    }
    s
}

#[test]
fn listed_failures_with_their_message_do_not_fail_the_run() {
    let dir = tempdir("known-ok");
    let (code, stdout, _) = run_known(&dir, &all_failing(), &[]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("expected failures"), "{stdout}");
    let xml = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert!(
        xml.contains("type=\"expected-failure\"")
            && xml.contains("<property name=\"known-failure\" value=\"true\"/>")
    );
    assert!(xml.contains("ticket 42"));
}

#[test]
fn an_unexpected_pass_a_changed_message_and_a_stale_entry_fail_the_run() {
    let dir = tempdir("known-bad");
    let passing = format!(
        "{}- case: client.6.6.valid\n  expect: x\n  reason: r\n",
        all_failing()
    );
    let (code, stdout, _) = run_known(&dir, &passing, &[]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("known failure \"client.6.6.valid\": client.6.6.valid now passes"),
        "{stdout}"
    );

    let changed = all_failing().replacen(
        "expect: \"step 1: the client started session\"",
        "expect: \"step 1: something else\"",
        1,
    );
    let (code, stdout, _) = run_known(&dir, &changed, &[]);
    assert_eq!(code, Some(1));
    assert!(stdout.contains("fails with another message"), "{stdout}");

    let stale = format!(
        "{}- case: client.6.6.gone\n  expect: x\n  reason: r\n",
        all_failing()
    );
    let (code, stdout, _) = run_known(&dir, &stale, &[]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("known failure \"client.6.6.gone\": no such case"),
        "{stdout}"
    );

    let broad = "- case: \"client.6.6.*\"\n  expect: \"step 1\"\n  reason: r\n";
    let (code, stdout, _) = run_known(&dir, broad, &[]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("the glob covers client.6.6.valid, which does not fail: narrow it"),
        "{stdout}"
    );

    let (code, _, _) = run_known(&dir, "- case: x\n  expect: y\n  reason: \"\"\n", &[]);
    assert_eq!(code, Some(2), "a missing reason is bad input");
}

#[test]
fn fix_known_failures_round_trips_keeping_reasons() {
    let dir = tempdir("known-fix");
    let start = format!("{FLIPS}- case: client.6.6.gone\n  expect: x\n  reason: r\n");
    // The fixing run is judged by the list it started with; the next run by the fixed one.
    let (code, _, known) = run_known(&dir, &start, &["--fix-known-failures"]);
    assert_eq!(code, Some(1));
    let fixed = std::fs::read_to_string(&known).unwrap();
    assert!(!fixed.contains("client.6.6.gone"), "{fixed}");
    assert!(
        fixed.contains("client.6.6.flip-digest-bit-0")
            && fixed.contains("the digest check is being rewritten (ticket 42)"),
        "{fixed}"
    );
    assert!(
        fixed.contains("client.6.6.wrong-secret") && fixed.contains("TODO"),
        "{fixed}"
    );
    // Placeholders fail the run until a person writes the reasons.
    let (code, stdout, _) = run_known(&dir, &fixed, &[]);
    assert_eq!(code, Some(2), "{stdout}");
    let (code, stdout, _) = run_known(
        &dir,
        &fixed.replace(dmnoti::known::PLACEHOLDER, "ticket 43"),
        &[],
    );
    assert_eq!(code, Some(0), "{stdout}");
}

#[test]
fn a_reproducer_replays_against_the_reference_client() {
    let dir = tempdir("repro");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "--case",
            "client.6.5.4.devdetail",
            "--debug",
            "--reports",
            dir.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        dmnoti()
            .args(&args)
            .assert()
            .success()
            .stdout(contains("-> {\"id\":3,\"op\":\"deliver\""))
            .stdout(contains("[28..31]   option 3 (Requested-MO)"))
    };
    let repro = dir.join("repro-client.6.5.4.devdetail.json");
    // The built-in suites' keys are published test keys: the default reproducer has them.
    run(&[]);
    assert!(
        std::fs::read_to_string(&repro)
            .unwrap()
            .contains("646d6e6f74692d")
    );
    // The command a reproducer names is shown whole, not run, unless the user says so; what to
    // pass is said, not as an error.
    dmnoti()
        .args(["replay", repro.to_str().unwrap()])
        .assert()
        .code(2)
        .stdout(
            contains("would run:")
                .and(contains("command: "))
                .and(contains("cwd: /"))
                .and(contains("--run-command"))
                .and(contains("--iut PROFILE")),
        )
        .stderr(contains("error").not());
    // An environment the reproducer adds is shown before anything runs, whole.
    let mut doctored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&repro).unwrap()).unwrap();
    doctored["testee"]["env"] = serde_json::json!({"LD_PRELOAD": "/tmp/evil.so"});
    let evil = dir.join("evil.json");
    std::fs::write(&evil, doctored.to_string()).unwrap();
    dmnoti()
        .args(["replay", evil.to_str().unwrap()])
        .assert()
        .code(2)
        .stdout(contains("would run:").and(contains("env: LD_PRELOAD=/tmp/evil.so")));
    // It runs from any directory: its command and working directory are absolute.
    let elsewhere = tempdir("repro-elsewhere");
    dmnoti()
        .current_dir(&elsewhere)
        .args(["replay", repro.to_str().unwrap(), "--run-command"])
        .assert()
        .success()
        .stdout(contains("0 differ"));
    let text = std::fs::read_to_string(&repro).unwrap().replace(
        "\\\"session_id\\\":\\\"A01\\\"",
        "\\\"session_id\\\":\\\"0A01\\\"",
    );
    std::fs::write(&repro, text).unwrap();
    dmnoti()
        .args(["replay", repro.to_str().unwrap(), "--run-command"])
        .assert()
        .code(1)
        .stdout(contains("DIFFERS"));
}

/// A profile's own keys are masked in a reproducer; `replay --iut PROFILE` puts them back from the
/// profile's accounts. A testee that dies during a replay has its stderr shown.
#[test]
fn a_reproducer_with_a_profiles_keys_replays_with_the_profile() {
    let dir = tempdir("repro-keys");
    let accounts = "accounts:\n  - {server_id: com.acme.dm, secret: acme-very-secret, password: acme-pw, nonce: 00e56e00}\n";
    let p = profile(&dir, "acme", "client", &[], accounts);
    let reports = dir.join("r");
    dmnoti()
        .args([
            "run",
            "--iut",
            p.to_str().unwrap(),
            "--assume-unclaimed",
            "--case",
            "client.6.6.valid",
            "--debug",
            "--reports",
            reports.to_str().unwrap(),
        ])
        .assert()
        .success()
        .stdout(contains("--iut PROFILE puts them back"));
    let repro = reports.join("repro-client.6.6.valid.json");
    let text = std::fs::read_to_string(&repro).unwrap();
    assert!(text.contains("<masked>"));
    // hex of "acme-very-secret"
    assert!(!text.contains("61636d652d766572792d736563726574"));
    dmnoti()
        .args(["replay", repro.to_str().unwrap(), "--run-command"])
        .assert()
        .code(2)
        .stderr(contains("the keys of server id(s) com.acme.dm are masked"));
    dmnoti()
        .args([
            "replay",
            repro.to_str().unwrap(),
            "--iut",
            p.to_str().unwrap(),
        ])
        .assert()
        .success()
        .stdout(contains("0 differ"));
    std::fs::write(
        dir.join("dies.yaml"),
        "name: dies\nrole: client\ncommand: sh\nargs: [\"-c\", \"echo the shim cannot open its port >&2; exit 3\"]\naccounts:\n  - {server_id: com.acme.dm, secret: acme-very-secret, password: acme-pw, nonce: 00e56e00}\n",
    )
    .unwrap();
    dmnoti()
        .args([
            "replay",
            repro.to_str().unwrap(),
            "--iut",
            dir.join("dies.yaml").to_str().unwrap(),
        ])
        .assert()
        .code(1)
        .stdout(contains("the shim cannot open its port"));
}

#[test]
fn the_matrix_names_who_breaks_which_item() {
    let dir = tempdir("matrix");
    let server = profile(&dir, "faulty-server", "server", &["wrong-secret"], "");
    let client = profile(&dir, "faulty-client", "client", &["session-id-decimal"], "");
    let out = dmnoti()
        .args([
            "matrix",
            "--servers",
            server.to_str().unwrap(),
            "--clients",
            client.to_str().unwrap(),
            "--reports",
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let md = std::fs::read_to_string(dir.join("matrix.md")).unwrap();
    let row = |name: &str| {
        md.lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .unwrap()
            .to_owned()
    };
    let reference = row("dmnoti-reference-server");
    assert!(
        reference.contains("| ✅ |") && reference.contains("SCR-DM-NOTI-C-008-M"),
        "{reference}"
    );
    let faulty = row("faulty-server");
    assert_eq!(faulty.matches("SCR-DM-NOTI-S-011-M").count(), 2, "{faulty}");
    assert!(
        std::fs::read_to_string(dir.join("matrix.html"))
            .unwrap()
            .contains("<table>")
    );
}

fn write_suite(dir: &Path, cases: &[(&str, &str)]) {
    let mut text = String::from("role: client\ntitle: t\ncases:\n");
    for (id, body) in cases {
        text.push_str(&format!("  - id: {id}\n    title: {id}\n    scrs: [SCR-DM-NOTI-C-018-M]\n{body}    steps:\n      - deliver: {{}}\n        expect: session\n"));
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("a.yaml"), text).unwrap();
}

#[test]
fn diff_lists_added_changed_removed_obsolete_and_undeclared() {
    let dir = tempdir("diff");
    let (old, new) = (dir.join("old"), dir.join("new"));
    write_suite(
        &old,
        &[("x.same", ""), ("x.changed", ""), ("x.removed", "")],
    );
    write_suite(
        &new,
        &[
            ("x.same", ""),
            ("x.changed", "    requires: [SCR-DM-NOTI-C-011-O]\n"),
            ("x.added", "    requires: [SCR-DM-NOTI-C-012-O]\n"),
        ],
    );
    let known = dir.join("known.yaml");
    std::fs::write(
        &known,
        "- case: x.removed\n  expect: a\n  reason: b\n- case: x.same\n  expect: a\n  reason: b\n",
    )
    .unwrap();
    let p = profile(
        &dir,
        "p",
        "client",
        &[],
        "claims:\n  SCR-DM-NOTI-C-011-O: true\n",
    );
    dmnoti()
        .args([
            "diff",
            old.to_str().unwrap(),
            "--suites",
            new.to_str().unwrap(),
            "--known-failures",
            known.to_str().unwrap(),
            "--iut",
            p.to_str().unwrap(),
        ])
        .assert()
        .success()
        .stdout(contains("1 added, 1 changed, 1 removed"))
        .stdout(contains("added: x.added\n"))
        .stdout(contains("changed: x.changed\n"))
        .stdout(contains("removed: x.removed\n"))
        .stdout(contains("obsolete known failures: x.removed\n"))
        .stdout(contains(
            "needs a claim the profile does not declare: x.added requires SCR-DM-NOTI-C-012-O",
        ));
    dmnoti()
        .args(["diff", "no-such-rev-or-dir"])
        .assert()
        .code(2);
}

#[test]
fn retired_ids_are_refused() {
    let dir = tempdir("retired");
    write_suite(&dir, &[("x.old", "")]);
    std::fs::write(dir.join("RETIRED"), "# retired\nx.old\n").unwrap();
    dmnoti()
        .args(["lint", "--suites", dir.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(contains("case id x.old is retired"));
}

#[test]
fn claims_are_complete_and_checked_against_behaviour() {
    let dir = tempdir("claims");
    let partial = profile(
        &dir,
        "partial",
        "client",
        &[],
        "claims:\n  SCR-DM-NOTI-C-007-O: true\n",
    );
    dmnoti()
        .args([
            "run",
            "--iut",
            partial.to_str().unwrap(),
            "--filter",
            "client.6.5.5",
            "--reports",
            dir.to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(contains("says nothing of SCR-DM-NOTI-C-009-O"));
    // The reference client shows the Connect-Reason; this profile says it does not.
    let claims = claims_yaml(
        Role::Client,
        &["C-007", "C-009", "C-011", "C-012", "C-014", "C-017"],
    );
    let denying = profile(&dir, "denying", "client", &[], &claims);
    let args = [
        "run",
        "--iut",
        denying.to_str().unwrap(),
        "--filter",
        "client.6.5.5",
        "--reports",
        dir.to_str().unwrap(),
    ];
    dmnoti().args(args).assert().success().stdout(contains(
        "warning: claim contradicted: denying claims not to implement SCR-DM-NOTI-C-015-O",
    ));
    let coverage = std::fs::read_to_string(dir.join("coverage.json")).unwrap();
    assert!(coverage.contains("claims_contradicted") && coverage.contains("C-015-O"));
    let xml = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert!(
        xml.contains("<property name=\"claim-contradicted\""),
        "JUnit carries the warning too"
    );
    let json: serde_json::Value = serde_json::from_str(&coverage).unwrap();
    assert_eq!(json["suites_hash"].as_str().map(str::len), Some(64));
    dmnoti()
        .args(args)
        .arg("--strict-claims")
        .assert()
        .code(1)
        .stdout(contains("CLAIM CONTRADICTED"));
}

/// The whole life of a known-failure list for a real deviation (a lower-case SessionID): written
/// by --fix-known-failures with placeholders that fail the run, accepted once a person says why,
/// and stale, entry by entry, against a conformant IUT.
#[test]
fn a_fixed_list_needs_reasons_and_goes_stale_against_a_conformant_iut() {
    let dir = tempdir("known-life");
    let claims = claims_yaml(
        Role::Client,
        &[
            "C-007", "C-009", "C-011", "C-012", "C-014", "C-015", "C-017",
        ],
    );
    let faulty = profile(&dir, "lower", "client", &["session-id-lowercase"], &claims);
    let conformant = profile(&dir, "good", "client", &[], &claims);
    let known = dir.join("known.yaml");
    std::fs::write(&known, "").unwrap();
    let run = |p: &Path, extra: &[&str]| {
        let mut args = vec![
            "run",
            "--iut",
            p.to_str().unwrap(),
            "--known-failures",
            known.to_str().unwrap(),
            "--reports",
            dir.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let out = dmnoti().args(&args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code(), text)
    };
    // The deviation fails the few cases on C-008, not a hundred.
    let (code, out) = run(&faulty, &["--fix-known-failures"]);
    assert_eq!(code, Some(1), "{out}");
    let list = std::fs::read_to_string(&known).unwrap();
    let entries = list.matches("- case:").count();
    assert!((5..=20).contains(&entries), "{entries} entries:\n{list}");
    assert!(list.contains(dmnoti::known::PLACEHOLDER));
    // Placeholders are no reasons: the run fails until a person writes them.
    let (code, out) = run(&faulty, &[]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("has no reason"), "{out}");
    std::fs::write(
        &known,
        list.replace(
            dmnoti::known::PLACEHOLDER,
            "lower-case SessionID, fixed in 2.1 (ticket 7)",
        ),
    )
    .unwrap();
    let (code, out) = run(&faulty, &[]);
    assert_eq!(code, Some(0), "{out}");
    // Against a conformant client every entry is stale, and each is named.
    let (code, out) = run(&conformant, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert_eq!(
        out.matches("now passes: remove the entry").count(),
        entries,
        "{out}"
    );
}

/// A run split four ways and merged equals the whole run: the same case verdicts and the same
/// item verdicts (on a faulty IUT, so that failures and observations are in play). Runs of other
/// suite sets are not merged unless asked.
#[test]
fn a_partitioned_run_merged_equals_the_whole_run() {
    let dir = tempdir("merge");
    let p = profile(&dir, "lower", "client", &["session-id-lowercase"], "");
    let run = |reports: &str, extra: &[&str]| {
        let mut args = vec![
            "run",
            "--iut",
            p.to_str().unwrap(),
            "--assume-unclaimed",
            "--reports",
        ];
        let path = dir.join(reports);
        args.push(path.to_str().unwrap());
        args.extend_from_slice(extra);
        dmnoti().args(&args).output().unwrap().status.code()
    };
    assert_eq!(run("whole", &[]), Some(1));
    for k in 1..=4 {
        let part = format!("{k}/4");
        assert_eq!(run(&format!("p{k}"), &["--partition", &part]), Some(1));
    }
    let parts: Vec<String> = (1..=4)
        .map(|k| dir.join(format!("p{k}")).to_str().unwrap().to_owned())
        .collect();
    let merged = dir.join("merged");
    let mut args = vec!["merge".to_owned()];
    args.extend(parts.iter().cloned());
    args.extend(["--reports".to_owned(), merged.to_str().unwrap().to_owned()]);
    let out = dmnoti().args(&args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts = |d: &Path| {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("results.json")).unwrap())
                .unwrap();
        v["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["id"].to_string(), r["verdict"].to_string()))
            .collect::<Vec<_>>()
    };
    let items = |d: &Path| {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("coverage.json")).unwrap())
                .unwrap();
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["id"].to_string(),
                    i["verdict"].to_string(),
                    i["failed"].to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let whole = dir.join("whole");
    assert_eq!(verdicts(&merged), verdicts(&whole));
    assert_eq!(items(&merged), items(&whole));
    assert!(items(&whole).iter().any(|(_, v, _)| v.contains("FAIL")));
    // Another suite set: refused, unless --force.
    let results = dir.join("p4/results.json");
    let text = std::fs::read_to_string(&results).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let hash = v["suites_hash"].as_str().unwrap().to_owned();
    std::fs::write(&results, text.replace(&hash, "0123456789abcdef")).unwrap();
    let out = dmnoti().args(&args).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("different suite sets"));
    args.push("--force".into());
    assert_eq!(
        dmnoti().args(&args).output().unwrap().status.code(),
        Some(1)
    );
}

/// The reports of `dmnoti run` (or merge) into `dir/name`, with `extra` arguments: the exit code.
fn run_into(dir: &Path, name: &str, profile: &Path, extra: &[&str]) -> Option<i32> {
    let reports = dir.join(name);
    let mut args = vec![
        "run",
        "--iut",
        profile.to_str().unwrap(),
        "--assume-unclaimed",
        "--reports",
        reports.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    dmnoti().args(&args).output().unwrap().status.code()
}

fn merge_into(dir: &Path, parts: &[&str], extra: &[&str]) -> std::process::Output {
    let mut args: Vec<String> = vec!["merge".into()];
    args.extend(
        parts
            .iter()
            .map(|p| dir.join(p).to_str().unwrap().to_owned()),
    );
    args.extend([
        "--reports".into(),
        dir.join("merged").to_str().unwrap().to_owned(),
    ]);
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    dmnoti().args(&args).output().unwrap()
}

/// (id, verdict) pairs, as a report writes them.
type Verdicts = Vec<(String, String)>;

/// Every case's verdict and every item's, and whether the run passed, as the reports of `d` say.
fn settled(d: &Path) -> (Verdicts, Verdicts, bool) {
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(d.join(f)).unwrap()).unwrap()
    };
    let results = read("results.json");
    let cases = results["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].to_string(), r["verdict"].to_string()))
        .collect();
    let cov = read("coverage.json");
    let items = cov["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["id"].to_string(), i["verdict"].to_string()))
        .collect();
    (cases, items, cov["ok"].as_bool().unwrap())
}

/// A merge with a part lost (a CI job whose artifact upload failed) does not pass: it fails,
/// naming the partition and its cases, and still writes the merged reports, which say so. Case
/// ids the suites do not have are refused.
#[test]
fn a_merge_missing_a_partition_fails_naming_it() {
    let dir = tempdir("merge-missing");
    let p = profile(&dir, "ref", "client", &[], "");
    for k in 1..=4 {
        let part = format!("{k}/4");
        assert_eq!(
            run_into(&dir, &format!("p{k}"), &p, &["--partition", &part]),
            Some(0)
        );
    }
    let out = merge_into(&dir, &["p1", "p2", "p4"], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("INCOMPLETE: ref: partition 3/4 is missing: its "),
        "{stdout}"
    );
    let md = std::fs::read_to_string(dir.join("merged/coverage.md")).unwrap();
    assert!(md.contains("partition 3/4 is missing"), "{md}");
    assert!(md.contains("## dmnoti conformance: FAIL"), "{md}");
    // A partition twice is not the whole run either.
    let out = merge_into(&dir, &["p1", "p2", "p3", "p4", "p4"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("partition 4/4 is given 2 times"));
    // All four: the whole run.
    let out = merge_into(&dir, &["p1", "p2", "p3", "p4"], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Invented case ids: refused, naming the file and the first one.
    let path = dir.join("p2/results.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let results = v["runs"][0]["results"].as_array_mut().unwrap();
    let template = results[0].clone();
    for i in 0..300 {
        let mut r = template.clone();
        r["id"] = format!("client.invented-{i}").into();
        results.push(r);
    }
    std::fs::write(&path, v.to_string()).unwrap();
    let out = merge_into(&dir, &["p1", "p2", "p3", "p4"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("300 case id(s) not among the client cases of the built-in suites, the first \"client.invented-0\""),
        "{stderr}"
    );
}

/// The merged verdict is settled as the whole run's is, under the same policy: parts run with
/// --strict and a known-failure list merge to the whole run's verdicts, and so do parts run
/// without them when merge is given them.
#[test]
fn a_merged_verdict_equals_the_whole_runs_under_strict_and_known_failures() {
    let dir = tempdir("merge-policy");
    // Its out-of-order acceptance is a robustness warning: a failure only under --strict.
    let p = profile(&dir, "ooo", "client", &["accept-out-of-order-options"], "");
    let known = dir.join("known.yaml");
    std::fs::write(
        &known,
        "- case: client.6.2.out-of-order\n  expect: \"step 1: the client started session\"\n  reason: ticket 7\n",
    )
    .unwrap();
    let k = known.to_str().unwrap();
    let policy = ["--strict", "--known-failures", k];
    // The whole run: one strict failure listed, the other not.
    assert_eq!(run_into(&dir, "whole", &p, &policy), Some(1));
    let whole = settled(&dir.join("whole"));
    assert!(whole.0.contains(&(
        "\"client.6.2.out-of-order\"".into(),
        "\"expectedfailure\"".into()
    )));
    assert!(whole.0.contains(&(
        "\"client.6.2.out-of-order-targeted\"".into(),
        "\"fail\"".into()
    )));
    assert!(!whole.2);
    for k in 1..=3 {
        let part = format!("{k}/3");
        let mut args = vec!["--partition", &part];
        args.extend_from_slice(&policy);
        run_into(&dir, &format!("s{k}"), &p, &args);
        run_into(&dir, &format!("l{k}"), &p, &["--partition", &part]);
    }
    // Parts run under the policy: merged under it.
    let out = merge_into(&dir, &["s1", "s2", "s3"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(settled(&dir.join("merged")), whole);
    // Lenient parts, merged under the policy: the same.
    let out = merge_into(&dir, &["l1", "l2", "l3"], &policy);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(settled(&dir.join("merged")), whole);
    // Lenient parts merged leniently: the lenient whole run.
    assert_eq!(run_into(&dir, "lenient", &p, &[]), Some(0));
    let out = merge_into(&dir, &["l1", "l2", "l3"], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(settled(&dir.join("merged")), settled(&dir.join("lenient")));
    // Parts settled under different policies are not merged silently.
    let out = merge_into(&dir, &["s1", "l2", "l3"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("were run with different strictness"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `--adapter` does not silently lose to a profile: a flag that differs from the profile's
/// `adapter` is refused, naming both; one that agrees runs.
#[test]
fn an_adapter_flag_that_contradicts_the_profile_is_refused() {
    let dir = tempdir("adapter-flag");
    let p = profile(&dir, "ref", "client", &[], "");
    let reports = dir.join("r");
    let args = |adapter: &str| {
        vec![
            "run".to_owned(),
            "--iut".into(),
            p.to_str().unwrap().into(),
            "--assume-unclaimed".into(),
            "--adapter".into(),
            adapter.into(),
            "--filter".into(),
            "client.6.6.valid".into(),
            "--reports".into(),
            reports.to_str().unwrap().into(),
        ]
    };
    let out = dmnoti().args(args("udp")).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--adapter udp conflicts with") && stderr.contains("reached over stdio"),
        "{stderr}"
    );
    assert!(!reports.join("results.json").exists());
    let out = dmnoti().args(args("stdio")).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}

/// What an IUT or a doctored results file puts in a report reaches no reader raw: a profile name
/// with markup and an escape sequence, an ignore reason with ESC and BEL, in the merged Markdown,
/// HTML and JUnit; a duration no run takes is refused by name (exit 2), never a panic.
#[test]
fn merge_escapes_what_it_reads_and_refuses_impossible_times() {
    let dir = tempdir("merge-hostile");
    let part = dir.join("part");
    dmnoti()
        .args([
            "run",
            "--case",
            "client.5.session-started",
            "--reports",
            part.to_str().unwrap(),
        ])
        .assert()
        .success();
    let path = part.join("results.json");
    let mut results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    results["runs"][0]["profile"]["name"] = "<script>alert(1)</script>\u{1b}[31m|x".into();
    results["runs"][0]["results"][0]["notes"] = serde_json::json!(["why \u{1b}[2J\u{7} <b>"]);
    std::fs::write(&path, results.to_string()).unwrap();
    let merged = dir.join("merged");
    dmnoti()
        .args([
            "merge",
            part.to_str().unwrap(),
            "--reports",
            merged.to_str().unwrap(),
        ])
        .assert()
        .stderr(contains("panicked").not());
    for report in ["coverage.md", "coverage.html", "junit.xml"] {
        let text = std::fs::read_to_string(merged.join(report)).unwrap();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{report}"
        );
        assert!(!text.contains("<script>alert"), "{report}");
    }
    results["runs"][0]["wall_ms"] = u64::MAX.into();
    std::fs::write(&path, results.to_string()).unwrap();
    dmnoti()
        .args([
            "merge",
            part.to_str().unwrap(),
            "--reports",
            merged.to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(contains("not the time a run took").and(contains("panicked").not()));
}

/// Warnings are counted where a reader looks: in the console's summary line, and in the HTML
/// page, whose "with warnings only" filter finds the cases that have them (here a server whose
/// 1.2 SESSIONID is 0, seen by the UI-mode case under its robustness basis).
#[test]
fn warnings_are_counted_in_the_summary_and_filtered_in_the_page() {
    let dir = tempdir("warned");
    let p = dir.join("server.yaml");
    std::fs::write(
        &p,
        format!(
            "name: zero-1.2\nrole: server\ncommand: {}\nargs: [iut, server, --fault, v12-session-zero]\nformats: [1.3, 1.2]\n",
            env!("CARGO_BIN_EXE_dmnoti")
        ),
    )
    .unwrap();
    let reports = dir.join("r");
    let out = dmnoti()
        .args(["run", "--assume-unclaimed", "--iut"])
        .arg(&p)
        .args(["--filter", "server.6.v12.ui-modes", "--reports"])
        .arg(&reports)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("0 errors, 6 warnings in"), "{stdout}");
    let html = std::fs::read_to_string(reports.join("coverage.html")).unwrap();
    assert!(
        html.contains("with warnings only (1)"),
        "the filter counts the case"
    );
    assert!(
        html.contains("data-warned=\"1\""),
        "the case is marked for the filter"
    );
}
