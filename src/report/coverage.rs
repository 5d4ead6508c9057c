//! Coverage per SCR item: for every item of the roles run, M/O, claimed or not, the cases that ran,
//! passed, failed or were skipped, and a verdict: PASS, FAIL, NOT CLAIMED, NOT COVERED. A mandatory
//! (or claimed) item that is not PASS fails the run.

use crate::report::result::{CaseResult, Run, Verdict};
use crate::scr::{Catalog, Role, Status};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ItemVerdict {
    Pass,
    Fail,
    /// Every case that ran on it was inconclusive: nothing was proven either way.
    Inconclusive,
    /// Failed only in cases of the known-failure list.
    KnownFailure,
    NotClaimed,
    NotCovered,
}

impl ItemVerdict {
    pub fn text(self) -> &'static str {
        match self {
            ItemVerdict::Pass => "PASS",
            ItemVerdict::Fail => "FAIL",
            ItemVerdict::Inconclusive => "INCONCLUSIVE",
            ItemVerdict::KnownFailure => "KNOWN FAILURE",
            ItemVerdict::NotClaimed => "NOT CLAIMED",
            ItemVerdict::NotCovered => "NOT COVERED",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemCoverage {
    pub id: String,
    pub printed_id: String,
    pub role: Role,
    pub status: &'static str,
    pub function: String,
    pub section: String,
    pub claimed: bool,
    pub cases: Vec<String>,
    pub passed: usize,
    pub failed: usize,
    pub inconclusive: usize,
    pub skipped: usize,
    pub verdict: ItemVerdict,
    /// Whether this item's verdict fails the run.
    pub fails_run: bool,
    /// Failed cases and their first failure on this item.
    pub failures: Vec<(String, String)>,
    /// Cases of other items that saw this item deviate, with the first such message.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub observed: Vec<(String, String)>,
    /// Cases that warned on this item (a SHOULD, or robustness), with the first warning.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warned: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub harness: String,
    pub iut: Vec<String>,
    /// When the run was, UTC (set by the command that made it; empty in pure reports).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub generated: String,
    /// The run was stopped by this signal before its end: what is here is partial.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<i32>,
    /// SHA-256 of the suite files run (sorted by path), to tell suite sets apart.
    pub suites_hash: String,
    /// The seed of every generated case (they are fixed in the suites, so the hash covers them too).
    pub seeds: BTreeMap<String, u64>,
    /// The claims of each IUT, as used.
    pub claims: BTreeMap<String, BTreeMap<String, bool>>,
    /// Problems of the known-failure list: each fails the run.
    pub known_failure_problems: Vec<String>,
    /// Where behaviour contradicts a claim (failures under --strict-claims).
    pub claims_contradicted: Vec<String>,
    /// What is wrong with the run as a whole (a merge missing a partition): each fails the run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub run_problems: Vec<String>,
    /// The policy the verdicts were settled under.
    pub policy: crate::report::result::Policy,
    pub items: Vec<ItemCoverage>,
    pub totals: BTreeMap<&'static str, usize>,
    /// The run passes: every mandatory and claimed item passes, the known-failure list has no
    /// problems, and (under --strict-claims) no claim is contradicted. See [`Coverage::settle`].
    pub ok: bool,
}

impl Coverage {
    /// The run's pass/fail policy, once the known-failure problems and the contradicted claims
    /// are in: either fails the run, contradictions only under `strict_claims`.
    pub fn settle(&mut self, strict_claims: bool) {
        let contradicted = strict_claims && !self.claims_contradicted.is_empty();
        self.ok = self.ok
            && self.known_failure_problems.is_empty()
            && self.run_problems.is_empty()
            && !contradicted;
    }

    pub fn of(runs: &[Run], catalog: &Catalog) -> Coverage {
        let mut items = Vec::new();
        let mut totals = BTreeMap::new();
        for run in runs {
            for r in &run.results {
                *totals.entry(r.verdict.word()).or_insert(0) += 1;
            }
            for item in catalog.role(run.profile.role) {
                let claimed = run.profile.claims(&item.id, catalog);
                let listing: Vec<&CaseResult> = run
                    .results
                    .iter()
                    .filter(|r| r.scrs.contains(&item.id) || r.scrs.contains(&item.printed_id))
                    .collect();
                let failing: Vec<&CaseResult> = run
                    .results
                    .iter()
                    .filter(|r| {
                        matches!(r.verdict, Verdict::Fail | Verdict::Error)
                            && (r.failed_items().contains(&item.id)
                                || (r.verdict == Verdict::Error && r.scrs.contains(&item.id)))
                    })
                    .collect();
                let observed: Vec<(String, String)> = run
                    .results
                    .iter()
                    .filter_map(|r| {
                        r.observations
                            .iter()
                            .find(|o| o.scr == item.id)
                            .map(|o| (r.id.clone(), o.message()))
                    })
                    .collect();
                let warned: Vec<(String, String)> =
                    run.results
                        .iter()
                        .filter_map(|r| {
                            r.warnings.iter().find(|w| w.scr == item.id).map(|w| {
                                (r.id.clone(), format!("{}: {}", w.level.word(), w.message()))
                            })
                        })
                        .collect();
                let known = run.results.iter().any(|r| {
                    r.verdict == Verdict::ExpectedFailure && r.failed_items().contains(&item.id)
                });
                let count = |v: Verdict| listing.iter().filter(|r| r.verdict == v).count();
                let executed = count(Verdict::Pass) + count(Verdict::Inconclusive);
                // An optional item the IUT does not claim is judged by nobody: cases that touch
                // it test mandatory behaviour, and count there.
                let verdict = if item.status == Status::Optional && !claimed {
                    ItemVerdict::NotClaimed
                } else if !failing.is_empty() {
                    ItemVerdict::Fail
                } else if known {
                    // The list accepts this item's deviation: what other cases saw of it is the
                    // same deviation, listed with them (`observed`), not a new failure.
                    ItemVerdict::KnownFailure
                } else if !observed.is_empty() {
                    ItemVerdict::Fail
                } else if count(Verdict::Pass) > 0 {
                    ItemVerdict::Pass
                } else if executed > 0 {
                    ItemVerdict::Inconclusive
                } else {
                    ItemVerdict::NotCovered
                };
                // Items whose cases the transport cannot observe are left to a stdio run, unless mandatory.
                let unobservable = !listing.is_empty() && listing.iter().all(|r| r.unobservable());
                let fails_run = verdict == ItemVerdict::Fail
                    || (verdict == ItemVerdict::NotCovered
                        && !run.partial
                        && (item.status == Status::Mandatory || !unobservable));
                let mut cases: Vec<String> = listing.iter().map(|r| r.id.clone()).collect();
                for r in &failing {
                    if !cases.contains(&r.id) {
                        cases.push(r.id.clone());
                    }
                }
                items.push(ItemCoverage {
                    id: item.id.clone(),
                    printed_id: item.printed_id.clone(),
                    role: item.role,
                    status: item.status.letter(),
                    function: item.function.clone(),
                    section: item.section.clone(),
                    claimed,
                    cases,
                    passed: count(Verdict::Pass),
                    failed: failing.len(),
                    inconclusive: count(Verdict::Inconclusive),
                    skipped: count(Verdict::Skipped),
                    verdict,
                    fails_run,
                    failures: failing
                        .iter()
                        .map(|r| {
                            let message = r
                                .failures
                                .iter()
                                .find(|f| f.scr == item.id)
                                .map(|f| f.message())
                                .or_else(|| r.notes.first().cloned())
                                .unwrap_or_default();
                            (r.id.clone(), message)
                        })
                        .collect(),
                    observed,
                    warned,
                });
            }
        }
        let interrupted = runs.iter().find_map(|r| r.interrupted);
        let ok = items.iter().all(|i| !i.fails_run) && interrupted.is_none();
        Coverage {
            interrupted,
            generated: String::new(),
            harness: concat!("dmnoti ", env!("CARGO_PKG_VERSION")).to_owned(),
            iut: runs.iter().map(|r| r.profile.name.clone()).collect(),
            suites_hash: String::new(),
            seeds: BTreeMap::new(),
            claims: runs
                .iter()
                .map(|r| (r.profile.name.clone(), r.profile.claims.clone()))
                .collect(),
            known_failure_problems: Vec::new(),
            claims_contradicted: Vec::new(),
            run_problems: Vec::new(),
            policy: Default::default(),
            items,
            totals,
            ok,
        }
    }

    /// The per-SCR table as plain text, for the terminal.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{:<22} {:<3} {:<7} {:>4} {:>4} {:>4} {:>4}  {}\n",
            "SCR item", "M/O", "claimed", "pass", "fail", "inc", "skip", "verdict"
        );
        for i in &self.items {
            let _ = writeln!(
                out,
                "{:<22} {:<3} {:<7} {:>4} {:>4} {:>4} {:>4}  {}{}",
                i.id,
                i.status,
                if i.claimed { "yes" } else { "no" },
                i.passed,
                i.failed,
                i.inconclusive,
                i.skipped,
                i.verdict.text(),
                if i.fails_run {
                    "  <-- fails the run"
                } else {
                    ""
                }
            );
        }
        out
    }

    fn summary(&self) -> String {
        let n = |v: ItemVerdict| self.items.iter().filter(|i| i.verdict == v).count();
        format!(
            "{} items: {} PASS, {} FAIL, {} NOT CLAIMED, {} NOT COVERED. Cases: {}.",
            self.items.len(),
            n(ItemVerdict::Pass),
            n(ItemVerdict::Fail),
            n(ItemVerdict::NotClaimed),
            n(ItemVerdict::NotCovered),
            self.totals
                .iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }

    /// What a report is of, for its header: harness, suites hash, seeds, claims.
    pub fn provenance(&self) -> Vec<(String, String)> {
        let mut out = vec![
            ("harness".to_owned(), self.harness.clone()),
            ("suites-hash".to_owned(), self.suites_hash.clone()),
        ];
        for (case, seed) in &self.seeds {
            out.push((format!("seed {case}"), seed.to_string()));
        }
        for (iut, claims) in &self.claims {
            let claimed: Vec<&str> = claims
                .iter()
                .filter(|(_, c)| **c)
                .map(|(id, _)| id.as_str())
                .collect();
            out.push((
                format!("claims of {iut}"),
                if claimed.is_empty() {
                    "none".to_owned()
                } else {
                    claimed.join(", ")
                },
            ));
        }
        out
    }

    /// Markdown that fits a CI job summary.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        if let Some(signal) = self.interrupted {
            let _ = writeln!(
                out,
                "> **Interrupted** by signal {signal}: the run stopped before its end; this report is partial.\n"
            );
        }
        for p in &self.run_problems {
            let _ = writeln!(
                out,
                "> **Incomplete**: {}\n",
                crate::report::summary::plain(p)
            );
        }
        out += &format!(
            "## dmnoti conformance: {}\n\n{} against {}. {}\n\n| SCR item | M/O | Function | Claimed | Pass | Fail | Inconclusive | Skipped | Verdict |\n|---|---|---|---|---|---|---|---|---|\n",
            if self.ok { "PASS" } else { "FAIL" },
            self.harness,
            crate::report::summary::markdown(&self.iut.join(", ")),
            self.summary()
        );
        for i in &self.items {
            let mark = match i.verdict {
                ItemVerdict::Pass => "✅ PASS",
                ItemVerdict::Fail => "❌ FAIL",
                ItemVerdict::Inconclusive => "❔ INCONCLUSIVE",
                ItemVerdict::KnownFailure => "⚠️ KNOWN FAILURE",
                ItemVerdict::NotClaimed => "➖ NOT CLAIMED",
                ItemVerdict::NotCovered if i.fails_run => "❌ NOT COVERED",
                ItemVerdict::NotCovered => "➖ NOT COVERED",
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {mark} |",
                i.id,
                i.status,
                i.function.replace('|', "\\|"),
                if i.claimed { "yes" } else { "no" },
                i.passed,
                i.failed,
                i.inconclusive,
                i.skipped
            );
        }
        let failures: Vec<_> = self
            .items
            .iter()
            .flat_map(|i| i.failures.iter().chain(&i.observed).map(move |f| (i, f)))
            .collect();
        let warnings: Vec<_> = self
            .items
            .iter()
            .flat_map(|i| i.warned.iter().map(move |w| (i, w)))
            .collect();
        if !warnings.is_empty() {
            out.push_str("\n### Warnings (SHOULD and robustness; they fail under --strict)\n\n");
            for (i, (case, message)) in warnings {
                let _ = writeln!(
                    out,
                    "- **{}** `{case}`: {}",
                    i.id,
                    crate::report::summary::markdown(message)
                );
            }
        }
        if !failures.is_empty() {
            out.push_str("\n### Failures\n\n");
            for (i, (case, message)) in failures {
                let _ = writeln!(
                    out,
                    "- **{}** `{case}`: {}",
                    i.id,
                    crate::report::summary::markdown(message)
                );
            }
        }
        out.push_str("\n<details><summary>What this report is of</summary>\n\n");
        for (k, v) in self.provenance() {
            let _ = writeln!(
                out,
                "- {}: {}",
                crate::report::summary::markdown(&k),
                crate::report::summary::markdown(&v)
            );
        }
        out.push_str("\n</details>\n");
        out
    }

    /// One self-contained page (`report::html`).
    pub fn to_html(&self, runs: &[Run]) -> String {
        super::html::page(self, runs)
    }
}
