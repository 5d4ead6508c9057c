//! JUnit XML (quick-junit): a testsuite per suite file, a testcase per case with its SCR items as
//! `scr` properties, the failure saying expected against observed, and the messages exchanged (hex
//! and `explain` text) in system-out. Inconclusive cases are reported as skipped with the reading
//! the IUT took, so CI viewers show them apart from passes.

use crate::report::result::{CaseResult, Run, Verdict};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

fn status(r: &CaseResult) -> TestCaseStatus {
    match r.verdict {
        Verdict::Pass => TestCaseStatus::success(),
        Verdict::Fail => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(super::summary::plain(
                &r.failures
                    .first()
                    .map(|f| f.message())
                    .unwrap_or_else(|| "failed".into()),
            ));
            s.set_type(r.failed_items().into_iter().collect::<Vec<_>>().join(" "));
            s.set_description(super::summary::plain(
                &r.failures
                    .iter()
                    .map(|f| format!("[{}] {}", f.scr, f.message()))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ));
            s
        }
        Verdict::Error => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_message(r.notes.first().map(String::as_str).unwrap_or("error"));
            s
        }
        Verdict::Skipped => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(r.notes.first().map(String::as_str).unwrap_or("skipped"));
            s
        }
        Verdict::ExpectedFailure => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(format!(
                "expected failure: {} ({})",
                r.known_reason.as_deref().unwrap_or(""),
                crate::known::first_message(r)
            ));
            s.set_type("expected-failure");
            s
        }
        Verdict::Inconclusive => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(format!("inconclusive: {}", r.notes.join("; ")));
            s.set_type("inconclusive");
            s
        }
    }
}

fn test_case(r: &CaseResult) -> TestCase {
    let mut tc = TestCase::new(r.id.clone(), status(r));
    tc.set_classname(r.suite.clone());
    tc.set_time(r.duration);
    for scr in &r.scrs {
        tc.add_property(Property::new("scr", scr.clone()));
    }
    tc.add_property(Property::new("verdict", r.verdict.word()));
    if r.verdict == Verdict::ExpectedFailure {
        tc.add_property(Property::new("known-failure", "true"));
    }
    if let Some(b) = &r.basis {
        tc.add_property(Property::new("basis", b.name.clone()));
        tc.add_property(Property::new("basis-level", b.level.word()));
    }
    for o in &r.observations {
        tc.add_property(Property::new(
            "observed",
            format!("[{}] {}", o.scr, o.message()),
        ));
    }
    for s in &r.strays {
        tc.add_property(Property::new("stray", s.clone()));
    }
    for w in &r.warnings {
        tc.add_property(Property::new(
            "warning",
            format!("[{}] {}", w.scr, w.message()),
        ));
    }
    tc.set_system_out(super::summary::messages(r));
    if let Some(err) = &r.stderr {
        tc.set_system_err(err.clone());
    }
    tc
}

/// The JUnit XML of one or more runs.
pub fn to_xml(runs: &[Run]) -> String {
    let mut report = Report::new("dmnoti");
    add_suites(&mut report, runs, &[], &[]);
    finish(report)
}

/// The JUnit XML, with what the coverage knows besides as properties of every testsuite: claims
/// contradicted (warnings), and what the report is of (harness, suites hash, seeds, claims).
pub fn to_xml_with(runs: &[Run], cov: &super::coverage::Coverage) -> String {
    let mut report = Report::new("dmnoti");
    add_suites(
        &mut report,
        runs,
        &cov.claims_contradicted,
        &cov.provenance(),
    );
    finish(report)
}

fn add_suites(
    report: &mut Report,
    runs: &[Run],
    warnings: &[String],
    provenance: &[(String, String)],
) {
    report.set_time(runs.iter().map(|r| r.wall).sum());
    for run in runs {
        let mut names: Vec<&str> = Vec::new();
        for r in &run.results {
            if !names.contains(&r.suite.as_str()) {
                names.push(&r.suite);
            }
        }
        for name in names {
            let mut suite = TestSuite::new(name);
            suite.add_property(Property::new("iut", run.profile.name.clone()));
            if let Some(signal) = run.interrupted {
                suite.add_property(Property::new("interrupted", format!("signal {signal}")));
            }
            for w in warnings {
                suite.add_property(Property::new("claim-contradicted", w.clone()));
            }
            suite.add_property(Property::new(
                "harness",
                concat!("dmnoti ", env!("CARGO_PKG_VERSION")),
            ));
            for (k, v) in provenance.iter().filter(|(k, _)| k != "harness") {
                suite.add_property(Property::new(k.clone(), v.clone()));
            }
            let cases: Vec<&CaseResult> = run.results.iter().filter(|r| r.suite == name).collect();
            suite.set_time(cases.iter().map(|r| r.duration).sum());
            suite.add_test_cases(cases.into_iter().map(test_case));
            report.add_test_suite(suite);
        }
    }
}

fn finish(report: Report) -> String {
    report
        .to_string()
        .unwrap_or_else(|e| format!("<!-- cannot serialize the JUnit report: {e} -->\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;
    use crate::report::result::Exchange;
    use crate::report::result::Failure;
    use crate::scr::Role;
    use std::time::Duration;

    fn result(id: &str, verdict: Verdict, failures: Vec<Failure>, notes: Vec<&str>) -> CaseResult {
        CaseResult {
            suite: "client/6.6-digest".into(),
            file: "suites/client/6.6-digest.yaml".into(),
            id: id.into(),
            title: format!("title of {id}"),
            scrs: vec!["SCR-DM-NOTI-C-019-M".into()],
            verdict,
            failures,
            observations: Vec::new(),
            warnings: Vec::new(),
            basis: None,
            unobserved: Vec::new(),
            protocol_errors: Vec::new(),
            strays: Vec::new(),
            skip: None,
            notes: notes.into_iter().map(str::to_owned).collect(),
            exchanges: vec![Exchange {
                step: 1,
                op: "deliver".into(),
                content_type: Some("application/vnd.syncml.dm.notification".into()),
                message: Some("1b40".into()),
                explain: Some("Package #0 ...\n".into()),
                response: r#"{"id":3,"outcome":"ignored","reason":"digest mismatch"}"#.into(),
            }],
            duration: Duration::ZERO,
            stderr: None,
            known_reason: None,
            transcript: Vec::new(),
            unstartable: false,
        }
    }

    /// The XML of a fixed run, against the file in fixtures/ (UPDATE_GOLDEN=1 rewrites it).
    #[test]
    fn junit_matches_the_golden_file() {
        let mut profile = Profile::reference(Role::Client, &[]);
        profile.name = "golden-client".into();
        let run = Run {
            profile,
            results: vec![
                result("a.pass", Verdict::Pass, vec![], vec![]),
                result(
                    "a.fail",
                    Verdict::Fail,
                    vec![
                        Failure::new(
                            crate::scr::id::C_019_M,
                            "the message to be ignored",
                            "the client started session \"A01\"",
                        )
                        .at_step(1),
                    ],
                    vec![],
                ),
                result(
                    "a.skip",
                    Verdict::Skipped,
                    vec![],
                    vec!["not claimed: SCR-DM-NOTI-C-011-O"],
                ),
                result(
                    "a.inconclusive",
                    Verdict::Inconclusive,
                    vec![],
                    vec!["step 1: erratum 9 <&>"],
                ),
                result(
                    "a.error",
                    Verdict::Error,
                    vec![],
                    vec!["cannot start the IUT"],
                ),
            ],
            wall: Duration::ZERO,
            partial: false,
            interrupted: None,
            aborted: None,
            selection: Default::default(),
        };
        let xml = to_xml(&[run]);
        let golden = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/junit.golden.xml"
        );
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(golden, &xml).unwrap();
        }
        let want = std::fs::read_to_string(golden).unwrap();
        assert_eq!(
            xml, want,
            "JUnit output changed; UPDATE_GOLDEN=1 cargo test rewrites the fixture"
        );
        let back = quick_junit::Report::deserialize_from_str(&xml).unwrap();
        assert_eq!((back.tests, back.failures, back.errors), (5, 1, 1));
    }
}
