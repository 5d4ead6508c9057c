//! `dmnoti run`: the suites against an IUT, with reports.

use super::*;
use crate::scr::{Catalog, Role};
use crate::transport::TransportProfile;
use anyhow::{Context, Result, bail};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The implementation under test; the reference client and server when absent.
    #[arg(long)]
    pub iut: Option<PathBuf>,
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// Where reports go.
    #[arg(long, default_value = "reports")]
    pub reports: PathBuf,
    /// Only cases whose id, suite or SCR item contains this (repeatable).
    #[arg(long)]
    pub filter: Vec<String>,
    /// Run part K of N of the cases (K/N), to split a run across CI jobs.
    #[arg(long, value_parser = parse_partition)]
    pub partition: Option<(usize, usize)>,
    /// Without --iut: run the reference client and server as network peers over this adapter
    /// (stdio by default). With --iut the profile's `adapter` says how the IUT is reached.
    #[arg(long, value_enum)]
    pub adapter: Option<TransportProfile>,
    /// Record every datagram and HTTP exchange as a pcap file (raw IPv4).
    #[arg(long)]
    pub pcap: Option<PathBuf>,
    /// A known-failure list: listed failures do not fail the run; stale entries do.
    #[arg(long)]
    pub known_failures: Option<PathBuf>,
    /// Rewrite the known-failure list to match this run, keeping reasons.
    #[arg(long, requires = "known_failures")]
    pub fix_known_failures: bool,
    /// Run this one case.
    #[arg(long)]
    pub case: Option<String>,
    /// Print every byte and protocol line of each case, and write reproducers into the reports.
    #[arg(long)]
    pub debug: bool,
    /// Keep the accounts' secrets in --debug output and reproducers (masked otherwise).
    #[arg(long)]
    pub show_secrets: bool,
    /// Optional items the profile says nothing of count as not claimed.
    #[arg(long)]
    pub assume_unclaimed: bool,
    /// Behaviour that contradicts a claim fails the run.
    #[arg(long)]
    pub strict_claims: bool,
    /// Deviations from a SHOULD, and robustness cases, fail instead of warning (as h2spec's
    /// strict mode).
    #[arg(long)]
    pub strict: bool,
}

pub(super) fn run_suites(args: &RunArgs) -> Result<u8> {
    use std::io::IsTerminal;
    let catalog = Catalog::builtin();
    let suites = load_suites(args.suite.suites.as_deref(), &catalog)?;
    // Found now, not after the run: where the reports go must take them.
    crate::report::check_dir(&args.reports)
        .with_context(|| format!("--reports {}", args.reports.display()))?;
    crate::interrupt::install();
    let profiles = match &args.iut {
        Some(path) => {
            let profile = crate::profile::Profile::load(path, &catalog)?;
            // A flag that would silently lose to the profile is refused.
            if let Some(flag) = args.adapter.filter(|a| *a != profile.adapter) {
                bail!(
                    "--adapter {flag} conflicts with {}, whose IUT is reached over {} (its `adapter`): the profile says how its IUT is reached; change `adapter:` there, or drop --adapter",
                    path.display(),
                    profile.adapter
                );
            }
            let unset = crate::claims::unset(&profile, &catalog);
            if !unset.is_empty() && !args.assume_unclaimed {
                bail!(
                    "{}: the profile says nothing of {}: claim each optional item true or false (or give --assume-unclaimed)",
                    path.display(),
                    unset.join(", ")
                );
            }
            vec![profile]
        }
        None => {
            let adapter = args.adapter.unwrap_or_default();
            let roles = crate::profile::Profile::reference_roles(adapter);
            if !roles.contains(&Role::Client) {
                eprintln!(
                    "dmnoti run --adapter {adapter}: the reference server only; the client through a PPG needs a gateway (a profile with ppg and smsc, docs/profiles.md)"
                );
            }
            roles
                .iter()
                .map(|role| crate::profile::Profile::reference_over(*role, &[], adapter))
                .collect()
        }
    };
    // A listener at a fixed address can be bound once: one worker.
    if args.suite.jobs > 1 {
        for p in &profiles {
            let fixed = [p.dm_server, p.device, p.sip, p.smsc]
                .into_iter()
                .flatten()
                .find(|a| a.port() != 0);
            if let Some(at) = fixed {
                bail!(
                    "{}: the harness listens at the fixed address {at}, which one worker can bind: run with --jobs 1",
                    p.name
                );
            }
            if let Some(lab) = p.lab_smsc {
                bail!(
                    "{}: every push goes to the one device behind the lab SMSC {lab}, which one worker can drive: run with --jobs 1",
                    p.name
                );
            }
        }
    }
    if args.pcap.is_some()
        && profiles
            .iter()
            .all(|p| p.adapter == TransportProfile::Stdio)
    {
        bail!(
            "--pcap records network traffic, and this run has none: run over --adapter udp or http (or a network profile)"
        );
    }
    let known = args
        .known_failures
        .as_ref()
        .map(|p| crate::known::load(p))
        .transpose()?;
    let mut opts = options(&args.suite);
    opts.filters = args.filter.clone();
    opts.partition = args.partition;
    opts.debug = args.debug;
    opts.case = args.case.clone();
    opts.strict = args.strict;
    let capture = args
        .pcap
        .as_ref()
        .map(|_| crate::adapter::capture::Capture::default());
    opts.capture = capture.clone();
    let selected: usize = profiles
        .iter()
        .map(|p| crate::runner::select(&suites, p.role, &opts).len())
        .sum();
    if selected == 0
        && (!opts.filters.is_empty() || opts.case.is_some() || opts.partition.is_some())
    {
        bail!(
            "no case matches {} in {}: nothing would run",
            match (&opts.case, opts.filters.is_empty()) {
                (Some(c), _) => format!("--case {c}"),
                (None, false) => format!("--filter {}", opts.filters.join(", --filter ")),
                (None, true) => "--partition".to_owned(),
            },
            suites_origin(args.suite.suites.as_deref())
        );
    }
    let tty = std::io::stdout().is_terminal();
    let mut runs = Vec::new();
    for profile in &profiles {
        let total = crate::runner::select(&suites, profile.role, &opts).len() as u64;
        let bar = if tty && !args.debug {
            indicatif::ProgressBar::new(total)
        } else {
            indicatif::ProgressBar::hidden()
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template("{prefix:>8} [{bar:40}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(profile.role.to_string());
        let run = crate::runner::run(profile, &suites, &catalog, &opts, &mut |r| {
            bar.inc(1);
            bar.set_message(r.id.clone());
        });
        bar.finish_and_clear();
        runs.push(run);
    }
    let policy = crate::report::result::Policy {
        strict: args.strict,
        strict_claims: args.strict_claims,
        known_failures: known.clone(),
    };
    let mut coverage = crate::settle::settle(
        &mut runs,
        &suites,
        &catalog,
        &policy,
        Vec::new(),
        args.fix_known_failures,
    );
    coverage.generated = now_utc();
    if let (true, Some(path), Some(entries)) =
        (args.fix_known_failures, &args.known_failures, &known)
    {
        let fixed = crate::known::fixed(entries, &runs);
        std::fs::write(path, serde_yaml::to_string(&fixed)?)
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("{}: {} entries written", path.display(), fixed.len());
    }
    if let (Some(path), Some(capture)) = (&args.pcap, &capture) {
        std::fs::write(path, capture.to_pcap())
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("capture: {} packets in {}", capture.len(), path.display());
    }
    let written = crate::report::write_all(&args.reports, &runs, &coverage)
        .with_context(|| format!("writing reports to {}", args.reports.display()))?;
    let mut out = String::new();
    if args.debug {
        // The built-in suites' keys are published test keys; a profile's or a suite file's are not.
        let published = match args.suite.suites {
            None => crate::suite::published_keys(&suites),
            Some(_) => Default::default(),
        };
        for r in runs.iter().flat_map(|r| &r.results) {
            let mut r = r.clone();
            if !args.show_secrets {
                for (_, line) in &mut r.transcript {
                    *line = crate::testee::replay::mask_line(line, &published);
                }
            }
            let r = &r;
            out.push_str(&crate::report::summary::debug(r));
            let path = args.reports.join(format!("repro-{}.json", r.id));
            let profile = runs
                .iter()
                .find(|run| run.results.iter().any(|x| x.id == r.id))
                .map(|run| run.profile.command());
            let repro = crate::testee::replay::reproducer(
                &r.id,
                &profile.unwrap_or_default(),
                &r.transcript,
            );
            std::fs::write(&path, serde_json::to_string_pretty(&repro)? + "\n")?;
            let masked = r
                .transcript
                .iter()
                .any(|(_, l)| l.contains(crate::testee::replay::MASK));
            out.push_str(&if masked {
                format!(
                    "reproducer: {} (the profile's keys are masked: dmnoti replay {} --iut PROFILE puts them back; --show-secrets writes them)\n\n",
                    path.display(),
                    path.display()
                )
            } else {
                format!(
                    "reproducer: {} (dmnoti replay {} --run-command)\n\n",
                    path.display(),
                    path.display()
                )
            });
        }
    }
    out.push_str(&crate::report::summary::text(
        &runs,
        &coverage,
        args.strict_claims,
        &written,
    ));
    let aborted: Vec<&String> = runs.iter().filter_map(|r| r.aborted.as_ref()).collect();
    if let Some(why) = aborted.first() {
        std::io::stdout().write_all(out.as_bytes())?;
        bail!("{why}");
    }
    if let Some(signal) = coverage.interrupted {
        out.push_str(&format!(
            "INTERRUPTED by signal {signal}: the reports above are partial\n"
        ));
    }
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(match coverage.interrupted {
        Some(signal) => crate::interrupt::exit_code(signal),
        None if coverage.ok => EXIT_OK,
        None => EXIT_FAIL,
    })
}
