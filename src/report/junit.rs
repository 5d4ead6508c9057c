//! JUnit XML (quick-junit): a testsuite per suite file, a testcase per case with its SCR items as
//! `scr` properties, the failure saying expected against observed, and the messages exchanged (hex
//! and `explain` text) in system-out. Inconclusive cases are reported as skipped with the reading
//! the IUT took, so CI viewers show them apart from passes.

use crate::runner::{CaseResult, Run, Verdict};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::fmt::Write as _;

fn status(r: &CaseResult) -> TestCaseStatus {
    match r.verdict {
        Verdict::Pass => TestCaseStatus::success(),
        Verdict::Fail => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(
                r.failures
                    .first()
                    .map(|f| f.message.as_str())
                    .unwrap_or("failed"),
            );
            s.set_type(r.failed_items().into_iter().collect::<Vec<_>>().join(" "));
            s.set_description(
                r.failures
                    .iter()
                    .map(|f| format!("[{}] {}", f.scr.as_deref().unwrap_or("case"), f.message))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
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
        Verdict::Inconclusive => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(format!("inconclusive: {}", r.notes.join("; ")));
            s.set_type("inconclusive");
            s
        }
    }
}

fn system_out(r: &CaseResult) -> String {
    let mut out = format!("{}\n", r.title);
    for e in &r.exchanges {
        let _ = writeln!(
            out,
            "\n-- step {} {}{}",
            e.step,
            e.op,
            e.content_type
                .as_ref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default()
        );
        if let Some(m) = &e.message {
            let _ = writeln!(out, "message: {m}");
        }
        if let Some(x) = &e.explain {
            out.push_str(x);
        }
        let _ = writeln!(out, "answer: {}", e.response);
    }
    out
}

fn test_case(r: &CaseResult) -> TestCase {
    let mut tc = TestCase::new(r.id.clone(), status(r));
    tc.set_classname(r.suite.clone());
    tc.set_time(r.duration);
    for scr in &r.scrs {
        tc.add_property(Property::new("scr", scr.clone()));
    }
    tc.add_property(Property::new("verdict", r.verdict.word()));
    tc.set_system_out(system_out(r));
    if let Some(err) = &r.stderr {
        tc.set_system_err(err.clone());
    }
    tc
}

/// The JUnit XML of one or more runs.
pub fn to_xml(runs: &[Run]) -> String {
    let mut report = Report::new("dmnoti");
    report.set_time(runs.iter().map(|r| r.wall).sum());
    for run in runs {
        let mut names: Vec<&str> = Vec::new();
        for r in &run.results {
            if !names.contains(&r.suite.as_str()) {
                names.push(&r.suite);
            }
        }
        for name in names {
            let mut suite = TestSuite::new(format!("{}/{name}", run.profile.role));
            suite.add_property(Property::new("iut", run.profile.name.clone()));
            suite.add_property(Property::new(
                "harness",
                concat!("dmnoti ", env!("CARGO_PKG_VERSION")),
            ));
            let cases: Vec<&CaseResult> = run.results.iter().filter(|r| r.suite == name).collect();
            suite.set_time(cases.iter().map(|r| r.duration).sum());
            suite.add_test_cases(cases.into_iter().map(test_case));
            report.add_test_suite(suite);
        }
    }
    report
        .to_string()
        .unwrap_or_else(|e| format!("<!-- cannot serialize the JUnit report: {e} -->\n"))
}
