//! The manifest tells the truth: `rust-version` is at least what every crate the binary is built
//! from requires (read from the locked dependency graph with `cargo metadata`), so that
//! `cargo install --locked` on the toolchain it names builds what CI tested.

use std::collections::{BTreeMap, BTreeSet};

fn version(text: &str) -> Vec<u64> {
    let mut v: Vec<u64> = text.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    v.resize(3, 0);
    v
}

#[test]
fn rust_version_covers_every_locked_dependency_of_the_binary() {
    // This machine's platform only: the crates of others are not downloaded here.
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let vv = std::process::Command::new(rustc)
        .arg("-vV")
        .output()
        .expect("rustc -vV runs");
    let host = String::from_utf8_lossy(&vv.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .expect("rustc names its host");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--offline",
            "--filter-platform",
            &host,
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages: BTreeMap<&str, &serde_json::Value> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p))
        .collect();
    let nodes: BTreeMap<&str, &serde_json::Value> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let root = meta["resolve"]["root"].as_str().unwrap();
    let ours = version(
        packages[root]["rust_version"]
            .as_str()
            .expect("rust-version is set"),
    );
    // What the binary is built from: normal and build dependencies, not dev-dependencies.
    let mut seen = BTreeSet::new();
    let mut todo = vec![root];
    let mut needs: Vec<(Vec<u64>, String)> = Vec::new();
    while let Some(id) = todo.pop() {
        if !seen.insert(id) {
            continue;
        }
        let p = packages[id];
        if let Some(rv) = p["rust_version"].as_str() {
            needs.push((version(rv), format!("{} {}", p["name"], p["version"])));
        }
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let kinds = dep["dep_kinds"].as_array().unwrap();
            if kinds.iter().any(|k| k["kind"] != "dev") {
                todo.push(dep["pkg"].as_str().unwrap());
            }
        }
    }
    assert!(seen.len() > 50, "the graph was read: {} crates", seen.len());
    let (most, who) = needs.iter().max().unwrap();
    assert!(
        *most <= ours,
        "Cargo.toml says rust-version {ours:?}, but {who} requires {most:?}: raise rust-version"
    );
}

/// `.ci/spec-check` on a clone without the spec text beside it: skipped, and says so (exit 0);
/// with a text that lacks the suites' quotes: fails loudly.
#[test]
fn the_spec_check_is_skipped_without_the_text_and_fails_on_a_wrong_one() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/spec-check");
    let run = |spec: &str| {
        std::process::Command::new("bash")
            .arg(script)
            .env("DMNOTI_SPEC", spec)
            .env("DMNOTI", env!("CARGO_BIN_EXE_dmnoti"))
            .output()
            .expect("bash runs")
    };
    let out = run("/nonexistent/spec.txt");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains(
            "SKIPPED: the basis quotes against the spec text: /nonexistent/spec.txt is not here"
        ),
        "{stdout}"
    );
    let wrong =
        std::env::temp_dir().join(format!("dmnoti-not-the-spec-{}.txt", std::process::id()));
    std::fs::write(&wrong, "This is not the DM Notification specification.\n").unwrap();
    let out = run(wrong.to_str().unwrap());
    let _ = std::fs::remove_file(&wrong);
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("the quote does not occur in the spec"),
        "{said}"
    );
}
