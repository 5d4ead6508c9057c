//! `dmnoti suites export DIR`: the built-in suites written out, for a vendor to read or extend
//! (and run with `--suites DIR`).

use super::*;
use anyhow::Context;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum SuitesCommand {
    /// Write the built-in suites (with bases.yaml and RETIRED) under DIR.
    Export { dir: PathBuf },
}

pub(super) fn suites(cmd: &SuitesCommand) -> Result<u8> {
    match cmd {
        SuitesCommand::Export { dir } => {
            let written = crate::suite::export_builtin(dir)
                .with_context(|| format!("writing the suites under {}", dir.display()))?;
            println!(
                "{} files under {} (dmnoti run --suites {} runs them)",
                written.len(),
                dir.display(),
                dir.display()
            );
            Ok(EXIT_OK)
        }
    }
}
