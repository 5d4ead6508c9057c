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

/// `diff` and `vectors check` take the built-in suites and vectors, as `run` does, in a directory
/// with neither; `--suites DIR` and `--dir DIR` still read files.
#[test]
fn diff_and_vectors_check_run_from_an_empty_directory() {
    let empty = tempdir("anywhere-diff");
    let (code, out) = dmnoti_in(&empty, &["vectors", "check"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("the vectors built into dmnoti: ") && out.contains(" vectors match"),
        "{out}"
    );
    let (code, out) = dmnoti_in(&empty, &["vectors", "check", "--dir", "vectors"]);
    assert_eq!(code, Some(2), "{out}");
    // The built-in suites against an older set in a directory: what it lacks is added.
    let (code, out) = dmnoti_in(&empty, &["suites", "export", "old"]);
    assert_eq!(code, Some(0), "{out}");
    let old = empty.join("old");
    let first = std::fs::read_dir(old.join("client"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "yaml"))
        .unwrap();
    std::fs::remove_file(&first).unwrap();
    let (code, out) = dmnoti_in(&empty, &["diff", "old"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(!out.contains("0 added"), "{out}");
    assert!(out.contains(" added, 0 changed, 0 removed"), "{out}");
}

#[test]
fn a_profile_resolves_its_paths_and_lint_greets_its_iut() {
    let dir = tempdir("profiles");
    // The toy shim's profile names its script beside itself: it runs from any directory.
    let toy = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/toy-client.profile.yaml");
    let (code, out) = dmnoti_in(&dir, &["lint", "--iut", toy.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}");
    // A profile whose IUT is of the other role, or does not start: one error at its file:line.
    let bin = env!("CARGO_BIN_EXE_dmnoti");
    std::fs::write(
        dir.join("wrong.yaml"),
        format!("name: x\nrole: server\ncommand: {bin}\nargs: [iut, client]\n"),
    )
    .unwrap();
    let (code, out) = dmnoti_in(&dir, &["lint", "--iut", "wrong.yaml"]);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("wrong.yaml:2:1: the IUT says it is a client"),
        "{out}"
    );
    std::fs::write(
        dir.join("gone.yaml"),
        "name: x\nrole: client\ncommand: sh\nargs: [\"-c\", \"echo 'cannot open gone.py' >&2; exit 2\"]\n",
    )
    .unwrap();
    let (code, out) = dmnoti_in(&dir, &["lint", "--iut", "gone.yaml"]);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("gone.yaml:3:1: the IUT does not answer hello"),
        "{out}"
    );
    assert!(out.contains("cannot open gone.py"), "{out}");
}

/// Every example of docs/profiles.md loads as a profile: the page does not drift from the code.
#[test]
fn the_profile_examples_load() {
    let dir = tempdir("profile-docs");
    let page =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/profiles.md")).unwrap();
    let blocks: Vec<&str> = page
        .split("```yaml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .collect();
    assert_eq!(blocks.len(), 6, "{page}");
    let catalog = dmnoti::scr::Catalog::builtin();
    for (i, block) in blocks.iter().enumerate() {
        let path = dir.join(format!("p{i}.yaml"));
        std::fs::write(&path, block).unwrap();
        let p = dmnoti::profile::Profile::load(&path, &catalog).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            dmnoti::claims::unset(&p, &catalog).is_empty(),
            "{}: claims incomplete",
            p.name
        );
    }
}

/// Every report says what it is of: the harness, the suites hash, the seeds and the claims.
#[test]
fn reports_record_what_they_are_of() {
    let dir = tempdir("provenance");
    let (code, out) = dmnoti_in(&dir, &["run", "--reports", "r"]);
    assert_eq!(code, Some(0), "{out}");
    let hash = suites_hash(&dir.join("r"));
    let junit = std::fs::read_to_string(dir.join("r/junit.xml")).unwrap();
    let md = std::fs::read_to_string(dir.join("r/coverage.md")).unwrap();
    let html = std::fs::read_to_string(dir.join("r/coverage.html")).unwrap();
    for (name, text) in [
        ("junit.xml", &junit),
        ("coverage.md", &md),
        ("coverage.html", &html),
    ] {
        assert!(text.contains(&hash), "{name}: no suites hash");
        assert!(
            text.contains(concat!("dmnoti ", env!("CARGO_PKG_VERSION"))),
            "{name}: no version"
        );
        assert!(
            text.contains("client.6.generated.truncate"),
            "{name}: no seeds"
        );
        assert!(
            text.contains("C-007-O") || text.contains("C\\-007\\-O"),
            "{name}: no claims"
        );
    }
    assert!(junit.contains("name=\"suites-hash\""));
}
