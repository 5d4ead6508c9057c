//! dmnoti from any directory: the suites are built in, `--suites DIR` reads others, and
//! `suites export` writes the built-in ones out (the same set: the same suites hash).

mod common;
use common::tempdir;
use std::path::Path;

fn dmnoti_in(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dmnoti"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn suites_hash(reports: &Path) -> String {
    let cov: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("coverage.json")).unwrap())
            .unwrap();
    cov["suites_hash"].as_str().unwrap_or("").to_owned()
}

#[test]
fn an_empty_directory_runs_the_built_in_suites() {
    let empty = tempdir("anywhere");
    for args in [
        &["run"][..],
        &["lint"],
        &["selftest", "--timeout-ms", "300"],
    ] {
        let (code, out) = dmnoti_in(&empty, args);
        assert_eq!(code, Some(0), "{args:?}: {out}");
    }
    let builtin = suites_hash(&empty.join("reports"));
    let (code, out) = dmnoti_in(&empty, &["suites", "export", "mine"]);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = dmnoti_in(&empty, &["run", "--suites", "mine", "--reports", "r2"]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(suites_hash(&empty.join("r2")), builtin);
    assert!(!builtin.is_empty());
    let (code, out) = dmnoti_in(&empty, &["run", "--suites", "nowhere"]);
    assert_eq!(code, Some(2), "{out}");
}
