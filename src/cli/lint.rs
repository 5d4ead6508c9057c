//! `dmnoti lint`: suites and profiles checked without running anything.

use super::*;
use crate::scr::Catalog;
use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Check the suites of this directory instead of the built-in ones.
    #[arg(long)]
    pub suites: Option<PathBuf>,
    /// Profiles to check as well (repeatable).
    #[arg(long)]
    pub iut: Vec<PathBuf>,
    /// The spec's text: every basis's quote must occur in it (whitespace and markdown emphasis
    /// normalised), and every `must` basis must say MUST, SHALL or REQUIRED or name a table.
    #[arg(long)]
    pub spec: Option<PathBuf>,
}

pub(super) fn lint(args: &LintArgs) -> Result<u8> {
    let catalog = Catalog::builtin();
    let suites = load_suites(args.suites.as_deref(), &catalog)?;
    for path in &args.iut {
        let profile = crate::profile::Profile::load(path, &catalog)?;
        if profile.command.is_some() {
            check_hello(path, &profile)?;
        }
    }
    let cases: usize = suites.iter().map(|s| s.cases.len()).sum();
    let covered: std::collections::BTreeSet<&str> = suites
        .iter()
        .flat_map(|s| &s.cases)
        .flat_map(|c| &c.scrs)
        .map(String::as_str)
        .collect();
    let missing: Vec<&str> = catalog
        .items
        .iter()
        .map(|i| i.id.as_str())
        .filter(|id| !covered.contains(id))
        .collect();
    println!(
        "{} suites, {cases} cases, {} profiles: OK",
        suites.len(),
        args.iut.len()
    );
    if !missing.is_empty() {
        println!("SCR items no case names: {}", missing.join(", "));
        return Ok(EXIT_FAIL);
    }
    println!("every SCR item of the catalog is named by at least one case");
    let mut levels = std::collections::BTreeMap::new();
    for c in suites.iter().flat_map(|s| &s.cases) {
        *levels.entry(c.basis.level.word()).or_insert(0usize) += 1;
    }
    println!(
        "bases: {}",
        levels
            .iter()
            .map(|(l, n)| format!("{n} {l}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(path) = &args.spec {
        let spec = std::fs::read_to_string(path)
            .with_context(|| format!("reading the spec text {}", path.display()))?;
        let bases = match &args.suites {
            Some(dir) => crate::suite::basis::load(dir)?,
            None => crate::suite::basis::builtin()?,
        }
        .unwrap_or_default();
        let problems = crate::suite::basis::check_against(&bases, &spec);
        for p in &problems {
            println!(
                "{}/{}: {p}",
                suites_origin(args.suites.as_deref()),
                crate::suite::basis::FILE
            );
        }
        if !problems.is_empty() {
            return Ok(EXIT_FAIL);
        }
        println!("{} bases quote {} verbatim", bases.len(), path.display());
    }
    Ok(EXIT_OK)
}

/// Starts the profile's IUT once and checks its hello: it starts, speaks protocol 1, and is of the
/// profile's role. A broken profile is then one error naming its file and line, not a run of
/// errors.
fn check_hello(path: &std::path::Path, profile: &crate::profile::Profile) -> Result<()> {
    use crate::testee::process::TesteeProcess;
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let at = |needle: &str, message: String| {
        let line = text
            .lines()
            .position(|l| l.trim_start().starts_with(needle))
            .map_or(1, |i| i + 1);
        anyhow::Error::from(crate::yaml::YamlError::at(path, &text, line, 1, message))
    };
    let mut testee = TesteeProcess::spawn(&profile.command())
        .map_err(|e| at("command:", format!("the IUT does not start: {e}")))?;
    let hello = testee.hello(profile.step_timeout()).map_err(|e| {
        let err = testee.stderr_at_exit();
        at(
            "command:",
            format!(
                "the IUT does not answer hello: {e}{}",
                if err.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; its stderr ends: {}",
                        crate::report::summary::plain(err.trim_end())
                    )
                }
            ),
        )
    })?;
    if let Some(p) = hello.protocol.filter(|p| *p != 1) {
        return Err(at(
            "command:",
            format!("the IUT speaks protocol {p}; this harness speaks 1"),
        ));
    }
    if let Some(role) = hello.role.filter(|r| *r != profile.role) {
        return Err(at(
            "role:",
            format!(
                "the IUT says it is a {role}; this profile says {}",
                profile.role
            ),
        ));
    }
    testee.shutdown(profile.step_timeout());
    Ok(())
}
