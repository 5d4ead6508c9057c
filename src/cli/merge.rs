//! `dmnoti merge DIR...`: the reports of a run split across CI jobs (`--partition K/N`), or of runs
//! of one IUT over several adapters, merged into one set: one junit.xml and one coverage, with the
//! item verdicts over all the cases. It reads each directory's `results.json`.

use super::*;
use crate::report::result::{CaseResult, Results, Run};
use anyhow::Context;
use clap::Args;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The report directories of the runs to merge.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where the merged reports go.
    #[arg(long, default_value = "reports")]
    pub reports: PathBuf,
    /// The suites the runs ran (the built-in ones by default): the order of the cases, and which
    /// of them a complete run has.
    #[arg(long)]
    pub suites: Option<PathBuf>,
    /// Merge runs of different suite sets, or of different IUTs, all the same.
    #[arg(long)]
    pub force: bool,
}

pub(super) fn merge(args: &MergeArgs) -> Result<u8> {
    let catalog = Catalog::builtin();
    let suites = load_suites(args.suites.as_deref(), &catalog)?;
    crate::report::check_dir(&args.reports)
        .with_context(|| format!("--reports {}", args.reports.display()))?;
    let mut read = Vec::new();
    for dir in &args.dirs {
        let path = dir.join("results.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {} (written by dmnoti run)", path.display()))?;
        let results: Results = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a dmnoti results file", path.display()))?;
        read.push((dir, results));
    }
    let hashes: BTreeSet<String> = read.iter().map(|(_, r)| r.suites_hash.clone()).collect();
    if hashes.len() > 1 && !args.force {
        bail!(
            "the runs are of different suite sets ({}): merge them anyway with --force",
            read.iter()
                .map(|(d, r)| format!(
                    "{} {}",
                    d.display(),
                    &r.suites_hash[..12.min(r.suites_hash.len())]
                ))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let iuts = |r: &Results| -> BTreeSet<String> {
        r.runs.iter().map(|x| x.profile.name.clone()).collect()
    };
    let first = iuts(&read[0].1);
    if let Some((dir, _)) = read.iter().find(|(_, r)| iuts(r) != first) {
        if !args.force {
            bail!(
                "{} has runs of other IUTs than {} ({}): merge them anyway with --force",
                dir.display(),
                read[0].0.display(),
                first.iter().cloned().collect::<Vec<_>>().join(", ")
            );
        }
    }
    // The cases in suite order, to put the merged results in it.
    let order: HashMap<&str, usize> = suites
        .iter()
        .flat_map(|s| &s.cases)
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let mut merged: BTreeMap<String, (Run, BTreeMap<String, CaseResult>)> = BTreeMap::new();
    for (dir, results) in read {
        for record in results.runs {
            let name = record.profile.name.clone();
            let run = record.into_run();
            let entry = merged
                .entry(name)
                .or_insert_with(|| (run.clone(), BTreeMap::new()));
            entry.0.wall += run.wall;
            entry.0.interrupted = entry.0.interrupted.or(run.interrupted);
            for r in run.results {
                match entry.1.get(&r.id) {
                    Some(seen) if seen.verdict != r.verdict => bail!(
                        "case {} is in two of the runs with different verdicts ({} and {}, the second in {})",
                        r.id,
                        seen.verdict.word(),
                        r.verdict.word(),
                        dir.display()
                    ),
                    Some(_) => {}
                    None => {
                        entry.1.insert(r.id.clone(), r);
                    }
                }
            }
        }
    }
    let mut runs = Vec::new();
    for (_, (mut run, results)) in merged {
        let mut results: Vec<CaseResult> = results.into_values().collect();
        results.sort_by_key(|r| order.get(r.id.as_str()).copied().unwrap_or(usize::MAX));
        // Complete when every case of the role is here.
        let all = crate::runner::select(&suites, run.profile.role, &Default::default()).len();
        run.partial = results.len() < all || run.interrupted.is_some();
        run.results = results;
        runs.push(run);
    }
    let mut coverage = crate::report::coverage::Coverage::of(&runs, &catalog);
    coverage.suites_hash = hashes.into_iter().collect::<Vec<_>>().join("+");
    coverage.seeds = crate::suite::seeds(&suites);
    coverage.claims_contradicted = crate::claims::contradicted(&runs, &catalog);
    coverage.generated = now_utc();
    coverage.settle(false);
    let written = crate::report::write_all(&args.reports, &runs, &coverage)
        .with_context(|| format!("writing reports to {}", args.reports.display()))?;
    print!(
        "{}",
        crate::report::summary::text(&runs, &coverage, false, &written)
    );
    Ok(if coverage.ok { EXIT_OK } else { EXIT_FAIL })
}
