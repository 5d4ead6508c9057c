//! `dmnoti scrs`: the SCR catalog of Appendix B, with errata.

use super::*;
use crate::scr::Catalog;
use anyhow::Result;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ScrsArgs {
    /// List the errata attached to items.
    #[arg(long)]
    pub errata: bool,
    #[arg(long)]
    pub json: bool,
    /// Read the catalog from this directory instead of the built-in one.
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

pub(super) fn scrs(args: &ScrsArgs) -> Result<u8> {
    let catalog = match &args.dir {
        Some(dir) => Catalog::load_dir(dir)?,
        None => Catalog::builtin(),
    };
    let text = if args.json {
        serde_json::to_string_pretty(&catalog)? + "\n"
    } else if args.errata {
        catalog.errata_text()
    } else {
        catalog.table()
    };
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(EXIT_OK)
}
