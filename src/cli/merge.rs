//! `dmnoti merge DIR...`: the reports of a run split across CI jobs (`--partition K/N`), or of runs
//! of one IUT over several adapters, merged into one set: one junit.xml and one coverage, with the
//! item verdicts over all the cases. It reads each directory's `results.json`.
//!
//! A merge cannot pass on less than the whole run: the parts must cover every partition exactly
//! once and every case of the suites (a part whose artifact was lost is named, and fails the
//! merge), case ids the suites do not have are refused, and the merged verdict is settled by the
//! code and the policy a whole run is settled by (`--strict`, `--strict-claims`, known failures).

use super::*;
use crate::report::result::{CaseResult, Policy, Results, Run, Selection};
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
    /// Settle the merged verdicts under --strict (else as the parts were run).
    #[arg(long)]
    pub strict: bool,
    /// Settle under --strict-claims (else as the parts were run).
    #[arg(long)]
    pub strict_claims: bool,
    /// Settle with this known-failure list (else the parts' own list).
    #[arg(long)]
    pub known_failures: Option<PathBuf>,
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
        check_times(&results).with_context(|| format!("{}", path.display()))?;
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
    let policy = policy(args, &read)?;
    // The cases in suite order, to put the merged results in it.
    let order: HashMap<&str, usize> = suites
        .iter()
        .flat_map(|s| &s.cases)
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let mut merged: BTreeMap<String, Merging> = BTreeMap::new();
    for (dir, results) in read {
        for record in results.runs {
            let name = record.profile.name.clone();
            let mut run = record.into_run();
            crate::settle::unsettle(std::slice::from_mut(&mut run));
            // A case the suites do not have, or not for this role, is not a result of them.
            let role_cases: BTreeSet<&str> =
                crate::runner::select(&suites, run.profile.role, &Default::default())
                    .iter()
                    .map(|(_, c)| c.id.as_str())
                    .collect();
            let strangers: Vec<&str> = run
                .results
                .iter()
                .map(|r| r.id.as_str())
                .filter(|id| !role_cases.contains(id))
                .collect();
            if let Some(first) = strangers.first() {
                bail!(
                    "{}: {} case id(s) not among the {} cases of {}, the first {first:?}: not results of these suites",
                    dir.join("results.json").display(),
                    strangers.len(),
                    run.profile.role,
                    suites_origin(args.suites.as_deref())
                );
            }
            let entry = merged.entry(name).or_insert_with(|| Merging {
                run: Run {
                    results: Vec::new(),
                    wall: std::time::Duration::ZERO,
                    ..run.clone()
                },
                results: BTreeMap::new(),
                parts: Vec::new(),
            });
            entry.run.wall = entry.run.wall.saturating_add(run.wall);
            entry.run.interrupted = entry.run.interrupted.or(run.interrupted);
            entry
                .parts
                .push((dir.display().to_string(), run.selection.clone()));
            for r in run.results {
                match entry.results.get(&r.id) {
                    Some(seen) if seen.verdict != r.verdict => bail!(
                        "case {} is in two of the runs with different verdicts ({} and {}, the second in {})",
                        r.id,
                        seen.verdict.word(),
                        r.verdict.word(),
                        dir.display()
                    ),
                    Some(_) => {}
                    None => {
                        entry.results.insert(r.id.clone(), r);
                    }
                }
            }
        }
    }
    let mut runs = Vec::new();
    let mut problems = Vec::new();
    for (name, m) in merged {
        let Merging {
            mut run,
            results,
            parts,
        } = m;
        let mut results: Vec<CaseResult> = results.into_values().collect();
        results.sort_by_key(|r| order.get(r.id.as_str()).copied().unwrap_or(usize::MAX));
        let (complete, found) = completeness(&suites, &run, &parts, &results);
        problems.extend(found.into_iter().map(|p| format!("{name}: {p}")));
        run.partial = !complete || run.interrupted.is_some();
        run.selection = Default::default();
        run.results = results;
        runs.push(run);
    }
    let mut coverage =
        crate::settle::settle(&mut runs, &suites, &catalog, &policy, problems, false);
    coverage.suites_hash = hashes.into_iter().collect::<Vec<_>>().join("+");
    coverage.generated = now_utc();
    let written = crate::report::write_all(&args.reports, &runs, &coverage)
        .with_context(|| format!("writing reports to {}", args.reports.display()))?;
    print!(
        "{}",
        crate::report::summary::text(&runs, &coverage, policy.strict_claims, &written)
    );
    Ok(if coverage.ok { EXIT_OK } else { EXIT_FAIL })
}

/// One IUT's runs being merged: the run's profile, the results by case id, and each part's
/// directory and selection.
struct Merging {
    run: Run,
    results: BTreeMap<String, CaseResult>,
    parts: Vec<(String, Selection)>,
}

/// The policy to settle the merged verdicts under: the flags given to merge, else the parts' own,
/// which must then agree.
fn policy(args: &MergeArgs, read: &[(&PathBuf, Results)]) -> Result<Policy> {
    fn agreed<T: PartialEq + Clone>(
        read: &[(&PathBuf, Results)],
        what: &str,
        flag: &str,
        get: impl Fn(&Policy) -> T,
    ) -> Result<T> {
        let first = get(&read[0].1.policy);
        if let Some((dir, _)) = read.iter().find(|(_, r)| get(&r.policy) != first) {
            bail!(
                "{} and {} were run with different {what}: give merge {flag} to settle them alike",
                read[0].0.display(),
                dir.display()
            );
        }
        Ok(first)
    }
    Ok(Policy {
        strict: args.strict || agreed(read, "strictness", "--strict", |p| p.strict)?,
        strict_claims: args.strict_claims
            || agreed(read, "claim strictness", "--strict-claims", |p| {
                p.strict_claims
            })?,
        known_failures: match &args.known_failures {
            Some(path) => Some(crate::known::load(path)?),
            None => agreed(read, "known-failure lists", "--known-failures FILE", |p| {
                p.known_failures.clone()
            })?,
        },
    })
}

/// Whether the parts of one IUT make its whole run, and what is missing if not: every partition
/// 1 to N exactly once (of one N, one filter), and, where no part was filtered, every case of the
/// role's suites.
fn completeness(
    suites: &[crate::suite::Suite],
    run: &Run,
    parts: &[(String, Selection)],
    results: &[CaseResult],
) -> (bool, Vec<String>) {
    let mut problems = Vec::new();
    let partitioned: Vec<&(String, Selection)> = parts
        .iter()
        .filter(|(_, s)| s.partition.is_some())
        .collect();
    let filtered = parts
        .iter()
        .any(|(_, s)| !s.filters.is_empty() || s.case.is_some());
    let ns: BTreeSet<usize> = partitioned
        .iter()
        .filter_map(|(_, s)| s.partition.map(|p| p.n))
        .collect();
    if ns.len() > 1 {
        problems.push(format!(
            "the parts split the run in different ways ({}): merge the parts of one split",
            partitioned
                .iter()
                .filter_map(|(d, s)| s.partition.map(|p| format!("{d} {p}")))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    } else if let Some(&n) = ns.iter().next() {
        let mut by_k: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
        for (d, s) in &partitioned {
            if let Some(p) = s.partition {
                by_k.entry(p.k).or_default().push(d);
            }
        }
        for (k, dirs) in &by_k {
            if dirs.len() > 1 {
                problems.push(format!(
                    "partition {k}/{n} is given {} times ({})",
                    dirs.len(),
                    dirs.join(", ")
                ));
            }
        }
        // The cases of a missing partition, as the run that has one chose them.
        let template = &partitioned[0].1;
        for k in (1..=n).filter(|k| !by_k.contains_key(k)) {
            let opts = crate::runner::Options {
                filters: template.filters.clone(),
                case: template.case.clone(),
                partition: Some((k, n)),
                ..Default::default()
            };
            let cases = crate::runner::select(suites, run.profile.role, &opts);
            problems.push(format!(
                "partition {k}/{n} is missing: its {} case(s) ({}) have no result",
                cases.len(),
                first_ids(cases.iter().map(|(_, c)| c.id.as_str()))
            ));
        }
    }
    if filtered {
        return (false, problems);
    }
    let have: BTreeSet<&str> = results.iter().map(|r| r.id.as_str()).collect();
    let all = crate::runner::select(suites, run.profile.role, &Default::default());
    let missing: Vec<&str> = all
        .iter()
        .map(|(_, c)| c.id.as_str())
        .filter(|id| !have.contains(id))
        .collect();
    // Missing partitions are named above; an interrupted part says so itself.
    if !missing.is_empty() && problems.is_empty() && run.interrupted.is_none() {
        problems.push(format!(
            "{} of the {} {} case(s) have no result in any part ({})",
            missing.len(),
            all.len(),
            run.profile.role,
            first_ids(missing.iter().copied())
        ));
    }
    (missing.is_empty() && problems.is_empty(), problems)
}

/// The first few ids of a list, and how many more.
fn first_ids<'a>(ids: impl Iterator<Item = &'a str>) -> String {
    let ids: Vec<&str> = ids.collect();
    let mut out = ids.iter().take(3).copied().collect::<Vec<_>>().join(", ");
    if ids.len() > 3 {
        out.push_str(&format!(" and {} more", ids.len() - 3));
    }
    out
}

/// The longest a run or a case can have taken, as a results file says: a year. Anything more is
/// not a time a run took, and summing such times could overflow.
const LONGEST: std::time::Duration = std::time::Duration::from_secs(366 * 24 * 3600);

/// Durations in a results file are times a run took: each at most [`LONGEST`].
fn check_times(results: &Results) -> Result<()> {
    for (n, run) in results.runs.iter().enumerate() {
        if std::time::Duration::from_millis(run.wall_ms) > LONGEST {
            bail!(
                "runs[{n}].wall_ms is {}: not the time a run took (at most a year)",
                run.wall_ms
            );
        }
        if let Some(r) = run.results.iter().find(|r| r.duration > LONGEST) {
            bail!(
                "runs[{n}], case {}: a duration of {} s is not the time a case took (at most a year)",
                crate::report::summary::plain(&r.id),
                r.duration.as_secs()
            );
        }
    }
    Ok(())
}
