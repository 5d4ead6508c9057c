//! The README tells the truth about the tool: its sample output is a real run's (every table row
//! it shows and its summary line, but for the time), and the counts it quotes (cases, faults,
//! vectors) are the tool's. When the suites change, this test says which line to update.

use dmnoti::iut::faults::Fault;
use dmnoti::scr::Catalog;
use dmnoti::transport::TransportProfile;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// `in 0.05 s` of a summary line, whatever the time.
fn untimed(line: &str) -> String {
    let Some(at) = line.find(" in ") else {
        return line.to_owned();
    };
    let rest = &line[at + 4..];
    match rest.find(" s:") {
        Some(end) if rest[..end].parse::<f64>().is_ok() => {
            format!("{} in N s:{}", &line[..at], &rest[end + 3..])
        }
        _ => line.to_owned(),
    }
}

#[test]
fn the_readme_sample_is_a_real_runs_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dmnoti"))
        .arg("run")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let real = String::from_utf8_lossy(&out.stdout).into_owned();
    let text = readme();
    let start = text
        .find("```text\nSCR item ")
        .expect("the README shows a sample run");
    let sample = &text[start + 8..];
    let sample = &sample[..sample.find("```").unwrap()];
    let mut rows = 0;
    for line in sample.lines() {
        if line.starts_with("SCR item") || line.starts_with("SCR-DM-NOTI-") {
            assert!(
                real.lines().any(|l| l == line),
                "README's sample row is not what `dmnoti run` prints now:\n  {line}\nthe run prints:\n{real}"
            );
            rows += 1;
        } else if line.contains(" passed, ") {
            let printed = real
                .lines()
                .find(|l| l.contains(" passed, "))
                .expect("a summary line");
            assert_eq!(
                untimed(line),
                untimed(printed),
                "README's sample summary line is stale"
            );
            rows += 1;
        } else if line.starts_with("reports: ") {
            assert!(real.lines().any(|l| l == line), "{line}");
        }
    }
    assert!(rows >= 8, "the sample was read: {rows} lines checked");
}

/// The number the README writes right after `before`.
fn quoted(text: &str, before: &str) -> usize {
    let at = text
        .find(before)
        .unwrap_or_else(|| panic!("the README says {before:?}"));
    let digits: String = text[at + before.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("a number after {before:?}"))
}

#[test]
fn the_readme_counts_are_the_tools() {
    let text = readme();
    let catalog = Catalog::builtin();
    let cases: usize = dmnoti::suite::load_builtin(&catalog)
        .unwrap()
        .iter()
        .map(|s| s.cases.len())
        .sum();
    assert_eq!(
        quoted(&text, "one file per spec section ("),
        cases,
        "README: suites/ (N cases)"
    );
    let vectors: usize = dmnoti::vectors::generate()
        .iter()
        .map(|f| f.number_of_tests)
        .sum();
    assert_eq!(
        quoted(&text, "`vectors/` holds "),
        vectors,
        "README: vectors/ holds N messages"
    );
    assert_eq!(
        quoted(&text, "against the reference IUT and each of its\n"),
        Fault::ALL.len(),
        "README: each of its N named faults"
    );
    let over_stdio = Fault::ALL
        .iter()
        .filter(|f| f.observable_over(TransportProfile::Stdio))
        .count();
    assert_eq!(
        quoted(&text, "that the adapter can show ("),
        over_stdio,
        "README: (N over stdio; ...)"
    );
}
