//! The harness's own test: the suites against the reference client and server, once
//! conformant (no case may fail) and once per named fault (some case must fail on one of the
//! fault's SCR items). A fault no case catches is a missing case.

use crate::iut::faults::Fault;
use crate::profile::Profile;
use crate::report::coverage::{Coverage, ItemVerdict};
use crate::report::result::{Run, Verdict};
use crate::runner::{self, Options};
use crate::scr::{Catalog, Role};
use crate::suite::Suite;
use crate::testee::variant::Variant;
use crate::transport::TransportProfile;
use std::collections::BTreeSet;
use std::fmt::Write as _;

#[derive(Debug, Clone)]
pub struct FaultResult {
    pub fault: Fault,
    pub failed_cases: usize,
    /// Items failed that the fault names.
    pub caught_on: BTreeSet<String>,
    /// Caught only as a warning: the sentence it breaks is a SHOULD, or a robustness reading.
    pub as_warning: bool,
    /// Every item failed.
    pub failed_items: BTreeSet<String>,
    pub caught: bool,
    /// The fault cannot show over the adapter the self-test ran on (and was not run).
    pub not_applicable: bool,
    /// Over the network: the cases that ran both here and over stdio and were judged otherwise
    /// (`case: stdio X, here Y`). A network link must say what stdio says.
    pub differs_from_stdio: Vec<String>,
}

/// The conformant reference IUT answering as a testee that speaks less of the protocol: it must
/// fail no case, and judge every item it still lets be observed as the full protocol does.
#[derive(Debug, Clone)]
pub struct VariantResult {
    pub variant: Variant,
    pub role: Role,
    pub failed: usize,
    pub inconclusive: usize,
    /// Items not observable this way (INCONCLUSIVE or NOT COVERED where the full run PASSes).
    pub unobservable: usize,
    /// Items judged otherwise than with the full protocol: `item: full X, variant Y`.
    pub mismatches: Vec<String>,
    /// The cases that failed, as the summary says them.
    pub failures: Vec<String>,
}

impl VariantResult {
    pub fn ok(&self) -> bool {
        self.failed == 0 && self.mismatches.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct SelfTest {
    /// The adapter the reference IUT ran over.
    pub adapter: crate::transport::TransportProfile,
    pub conformant: Vec<Run>,
    pub faults: Vec<FaultResult>,
    pub variants: Vec<VariantResult>,
}

impl SelfTest {
    pub fn ok(&self) -> bool {
        self.conformant_failures() == 0
            && self
                .faults
                .iter()
                .all(|f| (f.caught || f.not_applicable) && f.differs_from_stdio.is_empty())
            && self.variants.iter().all(VariantResult::ok)
    }

    pub fn conformant_failures(&self) -> usize {
        self.conformant
            .iter()
            .flat_map(|r| &r.results)
            .filter(|r| matches!(r.verdict, Verdict::Fail | Verdict::Error))
            .count()
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for run in &self.conformant {
            let count = |v: Verdict| run.results.iter().filter(|r| r.verdict == v).count();
            let _ = writeln!(
                out,
                "conformant {}: {} cases, {} pass, {} fail, {} error, {} inconclusive, {} skipped",
                run.profile.role,
                run.results.len(),
                count(Verdict::Pass),
                count(Verdict::Fail),
                count(Verdict::Error),
                count(Verdict::Inconclusive),
                count(Verdict::Skipped)
            );
            for r in run
                .results
                .iter()
                .filter(|r| matches!(r.verdict, Verdict::Fail | Verdict::Error))
            {
                let _ = writeln!(out, "  {}", r.headline());
            }
        }
        let _ = writeln!(
            out,
            "\n{:<31} {:<7} {:>6}  {:<40} caught",
            "fault", "role", "failed", "on its SCR items"
        );
        let not_here = format!("n/a over {}", self.adapter);
        for f in &self.faults {
            let on = if f.not_applicable {
                String::new()
            } else if f.caught_on.is_empty() {
                format!(
                    "(failed: {})",
                    f.failed_items
                        .iter()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                f.caught_on.iter().cloned().collect::<Vec<_>>().join(", ")
            };
            let _ = writeln!(
                out,
                "{:<31} {:<7} {:>6}  {:<40} {}",
                f.fault.name(),
                f.fault.role().to_string(),
                f.failed_cases,
                on,
                if f.not_applicable {
                    not_here.as_str()
                } else if f.as_warning {
                    "as a warning"
                } else if f.caught {
                    "yes"
                } else {
                    "NO"
                }
            );
        }
        for f in self
            .faults
            .iter()
            .filter(|f| !f.differs_from_stdio.is_empty())
        {
            let _ = writeln!(
                out,
                "\n{} over {} is judged otherwise than over stdio:\n  {}",
                f.fault.name(),
                self.adapter,
                f.differs_from_stdio.join("\n  ")
            );
        }
        if !self.variants.is_empty() {
            let _ = writeln!(
                out,
                "\n{:<12} {:<7} {:>6} {:>13} {:>13}  item verdicts",
                "variant", "role", "failed", "inconclusive", "unobservable"
            );
        }
        for v in &self.variants {
            let _ = writeln!(
                out,
                "{:<12} {:<7} {:>6} {:>13} {:>13}  {}",
                v.variant.name(),
                v.role.to_string(),
                v.failed,
                v.inconclusive,
                v.unobservable,
                if v.mismatches.is_empty() {
                    "same where observable".to_owned()
                } else {
                    format!("DIFFER: {}", v.mismatches.join("; "))
                }
            );
            for f in &v.failures {
                let _ = writeln!(out, "  {f}");
            }
        }
        let caught = self.faults.iter().filter(|f| f.caught).count();
        let applicable = self.faults.iter().filter(|f| !f.not_applicable).count();
        let _ = writeln!(
            out,
            "\nselftest: {} conformant failures, {caught} of {applicable} faults caught: {}",
            self.conformant_failures(),
            if self.ok() { "OK" } else { "FAILED" }
        );
        out
    }
}

/// Runs the self-test. `progress` is told what is running.
pub fn run(
    suites: &[Suite],
    catalog: &Catalog,
    opts: &Options,
    adapter: TransportProfile,
    progress: &mut dyn FnMut(&str),
) -> SelfTest {
    let mut conformant = Vec::new();
    let roles = Profile::reference_roles(adapter);
    for role in roles.iter().copied() {
        progress(&format!("conformant {role}"));
        conformant.push(runner::run(
            &Profile::reference_over(role, &[], adapter),
            suites,
            catalog,
            opts,
            &mut |_| {},
        ));
    }
    let mut variants = Vec::new();
    if adapter == TransportProfile::Stdio {
        for (full, role) in conformant.iter().zip([Role::Client, Role::Server]) {
            let full_cov = Coverage::of(std::slice::from_ref(full), catalog);
            for variant in Variant::PROTOCOL
                .into_iter()
                .filter(|v| *v != Variant::Full)
            {
                progress(&format!("{role} speaking {}", variant.name()));
                let run = runner::run(
                    &Profile::reference_speaking(role, variant),
                    suites,
                    catalog,
                    opts,
                    &mut |_| {},
                );
                variants.push(compare(variant, role, &full_cov, &run, catalog));
            }
        }
    }
    // Over the network, the conformant client answering late or out of order, as a loaded or
    // real device does: the same verdicts, item by item.
    if adapter != TransportProfile::Stdio && roles.contains(&Role::Client) {
        if let Some(full) = conformant.iter().find(|r| r.profile.role == Role::Client) {
            let full_cov = Coverage::of(std::slice::from_ref(full), catalog);
            for variant in Variant::TIMING {
                progress(&format!(
                    "client over {adapter} answering with {}",
                    variant.name()
                ));
                let run = runner::run(
                    &Profile::reference_over(Role::Client, &[], adapter).speaking(variant),
                    suites,
                    catalog,
                    opts,
                    &mut |_| {},
                );
                let mut result = compare(variant, Role::Client, &full_cov, &run, catalog);
                // Nothing is less observable for answering late: every item as the full run.
                if result.unobservable > 0 {
                    result
                        .mismatches
                        .push(format!("{} item(s) no longer judged", result.unobservable));
                }
                variants.push(result);
            }
        }
    }
    let mut faults = Vec::new();
    for fault in Fault::ALL {
        progress(fault.name());
        if !fault.observable_over(adapter) || !roles.contains(&fault.role()) {
            faults.push(FaultResult {
                fault,
                failed_cases: 0,
                caught_on: BTreeSet::new(),
                as_warning: false,
                failed_items: BTreeSet::new(),
                caught: false,
                not_applicable: true,
                differs_from_stdio: Vec::new(),
            });
            continue;
        }
        let profile = Profile::reference_over(fault.role(), &[fault.name().to_owned()], adapter);
        let run = runner::run(&profile, suites, catalog, opts, &mut |_| {});
        let failed: Vec<_> = run
            .results
            .iter()
            .filter(|r| r.verdict == Verdict::Fail)
            .collect();
        // A fault is caught on an item that failed in a case, or that a case saw deviate.
        let failed_items: BTreeSet<String> = failed
            .iter()
            .flat_map(|r| r.failed_items())
            .chain(run.results.iter().flat_map(|r| r.observed_items()))
            .collect();
        let of_fault = |i: &String| fault.scrs().iter().any(|s| s.as_str() == i.as_str());
        let mut caught_on: BTreeSet<String> = failed_items
            .iter()
            .filter(|i| of_fault(i))
            .cloned()
            .collect();
        let as_warning = caught_on.is_empty();
        if as_warning {
            caught_on = run
                .results
                .iter()
                .flat_map(|r| &r.warnings)
                .map(|w| w.scr.clone())
                .filter(of_fault)
                .collect();
        }
        // Over the network the same fault must be judged as over stdio, case by case, wherever
        // a case runs over both.
        let differs_from_stdio = if adapter != TransportProfile::Stdio
            && fault.observable_over(TransportProfile::Stdio)
        {
            let stdio = runner::run(
                &Profile::reference(fault.role(), &[fault.name().to_owned()]),
                suites,
                catalog,
                opts,
                &mut |_| {},
            );
            differences(&stdio, &run)
        } else {
            Vec::new()
        };
        faults.push(FaultResult {
            fault,
            failed_cases: failed.len(),
            caught: !caught_on.is_empty(),
            as_warning: as_warning && !caught_on.is_empty(),
            not_applicable: false,
            caught_on,
            failed_items,
            differs_from_stdio,
        });
    }
    SelfTest {
        adapter,
        conformant,
        faults,
        variants,
    }
}

/// The cases that ran (were not skipped) in both runs and were judged otherwise: another verdict,
/// or failures on other items. (What a case saw of other items on the way may differ: over stdio
/// a generated batch is followed by a valid message the network's sentinel stands in for.)
fn differences(stdio: &Run, here: &Run) -> Vec<String> {
    let judged = |r: &crate::report::result::CaseResult| (r.verdict, r.failed_items());
    here.results
        .iter()
        .filter(|r| r.verdict != Verdict::Skipped)
        .filter_map(|r| {
            let s = stdio
                .results
                .iter()
                .find(|s| s.id == r.id && s.verdict != Verdict::Skipped)?;
            (judged(s) != judged(r)).then(|| {
                format!(
                    "{}: stdio {} {:?}, here {} {:?} ({})",
                    r.id,
                    s.verdict.word(),
                    s.failed_items(),
                    r.verdict.word(),
                    r.failed_items(),
                    r.why()
                )
            })
        })
        .collect()
}

/// A variant's run against the full protocol's item verdicts.
fn compare(
    variant: Variant,
    role: Role,
    full: &Coverage,
    run: &Run,
    catalog: &Catalog,
) -> VariantResult {
    let cov = Coverage::of(std::slice::from_ref(run), catalog);
    let count = |v: Verdict| run.results.iter().filter(|r| r.verdict == v).count();
    let mut unobservable = 0;
    let mut mismatches = Vec::new();
    for (a, b) in full.items.iter().zip(&cov.items) {
        match (a.verdict, b.verdict) {
            (x, y) if x == y => {}
            (ItemVerdict::Pass, ItemVerdict::Inconclusive | ItemVerdict::NotCovered) => {
                unobservable += 1
            }
            (x, y) => mismatches.push(format!("{}: full {}, {}", a.id, x.text(), y.text())),
        }
    }
    VariantResult {
        variant,
        role,
        failed: count(Verdict::Fail) + count(Verdict::Error),
        inconclusive: count(Verdict::Inconclusive),
        unobservable,
        mismatches,
        failures: run
            .results
            .iter()
            .filter(|r| matches!(r.verdict, Verdict::Fail | Verdict::Error))
            .map(|r| r.headline())
            .collect(),
    }
}
