//! How the verdict of a run is settled once its cases are in: `--strict` (a `should` or
//! `robustness` deviation fails), the known-failure list, the claims behaviour contradicts
//! (`--strict-claims`), and problems of the run as a whole. `dmnoti run` and `dmnoti merge` settle
//! through this one function, so that a run split across CI jobs and merged gets the verdict the
//! whole run gets under the same policy.

use crate::known;
use crate::report::coverage::Coverage;
use crate::report::result::{Policy, Run, Verdict};
use crate::scr::Catalog;
use crate::suite::Suite;

/// Settles `runs` under `policy`: every case judged again under its `--strict`, the known-failure
/// list applied, then the coverage with its pass/fail decision. `run_problems` (a merge missing a
/// partition) each fail the run. With `fixing_known_failures` the list's own problems are
/// reported but do not fail the run (the list is about to be rewritten).
pub fn settle(
    runs: &mut [Run],
    suites: &[Suite],
    catalog: &Catalog,
    policy: &Policy,
    run_problems: Vec<String>,
    fixing_known_failures: bool,
) -> Coverage {
    for r in runs.iter_mut().flat_map(|r| r.results.iter_mut()) {
        crate::runner::engine::rejudge_strictness(r, policy.strict);
    }
    let known_problems = match &policy.known_failures {
        Some(entries) => known::apply(entries, runs),
        None => Vec::new(),
    };
    let mut coverage = Coverage::of(runs, catalog);
    coverage.suites_hash = crate::suite::suites_hash(suites);
    coverage.seeds = crate::suite::seeds(suites);
    coverage.known_failure_problems = if fixing_known_failures {
        Vec::new()
    } else {
        known_problems.iter().map(ToString::to_string).collect()
    };
    coverage.claims_contradicted = crate::claims::contradicted(runs, catalog);
    coverage.run_problems = run_problems;
    coverage.policy = policy.clone();
    coverage.settle(policy.strict_claims);
    coverage
}

/// A case result as its run's engine left it, before any policy: an expected failure is a
/// failure again (its list is applied anew).
pub fn unsettle(runs: &mut [Run]) {
    for r in runs.iter_mut().flat_map(|r| r.results.iter_mut()) {
        if r.verdict == Verdict::ExpectedFailure {
            r.verdict = if r.failures.is_empty() {
                Verdict::Error
            } else {
                Verdict::Fail
            };
            r.known_reason = None;
        }
    }
}
