//! `dmnoti diff`: what changed in the suites since an older set.

use super::*;
use crate::scr::Catalog;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older suite set: a directory, or a git revision of the repository here (its suites/,
    /// or the --suites directory's path in it).
    pub old: String,
    /// The current suites (the built-in ones when absent).
    #[arg(long)]
    pub suites: Option<PathBuf>,
    /// A known-failure list to check for entries the changes made obsolete.
    #[arg(long)]
    pub known_failures: Option<PathBuf>,
    /// A profile to check for claims the new cases need and it never declared.
    #[arg(long)]
    pub iut: Option<PathBuf>,
}

pub(super) fn diff(args: &DiffArgs) -> Result<u8> {
    let catalog = Catalog::builtin();
    let new = load_suites(args.suites.as_deref(), &catalog)?;
    // A revision's suites are where the current ones are in the tree: suites/ by default.
    let in_tree = args
        .suites
        .clone()
        .unwrap_or_else(|| PathBuf::from("suites"));
    let checkout;
    let old = if std::path::Path::new(&args.old).is_dir() {
        load_suites(Some(std::path::Path::new(&args.old)), &catalog)?
    } else {
        checkout = crate::diff::checkout(&args.old, &in_tree)?;
        // Errors name the revision's files, not the temporary directory they were written to.
        load_suites(Some(checkout.path()), &catalog).map_err(|e| {
            anyhow::anyhow!(
                "{}",
                format!("{e:#}").replace(
                    &checkout.path().display().to_string(),
                    &format!("{}:{}", args.old, in_tree.display())
                )
            )
        })?
    };
    let known = args
        .known_failures
        .as_ref()
        .map(|p| crate::known::load(p))
        .transpose()?
        .unwrap_or_default();
    let profile = args
        .iut
        .as_ref()
        .map(|p| crate::profile::Profile::load(p, &catalog))
        .transpose()?;
    let d = crate::diff::diff(&old, &new, &known, profile.as_ref());
    print!("{}", d.to_text());
    Ok(EXIT_OK)
}
