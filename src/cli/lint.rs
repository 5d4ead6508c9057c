//! `dmnoti lint`: suites and profiles checked without running anything.

use super::*;
use crate::scr::Catalog;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct LintArgs {
    #[arg(long, default_value = "suites")]
    pub suites: PathBuf,
    /// Profiles to check as well (repeatable).
    #[arg(long)]
    pub iut: Vec<PathBuf>,
}

pub(super) fn lint(args: &LintArgs) -> Result<u8> {
    let catalog = Catalog::builtin();
    let suites = load_suites(&args.suites, &catalog)?;
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
    Ok(EXIT_OK)
}
