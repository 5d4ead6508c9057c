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
        crate::profile::Profile::load(path, &catalog)?;
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
