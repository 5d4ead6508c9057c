//! `dmnoti vectors generate|check`: test vectors for implementers' own unit tests.

use super::*;
use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum VectorsCommand {
    /// Write the vector files.
    Generate {
        #[arg(long, default_value = "vectors")]
        dir: PathBuf,
        /// json (the committed files) or yaml.
        #[arg(long, value_enum, default_value = "json")]
        format: VectorFormat,
    },
    /// Regenerate in memory and compare with the files: exit 1 at the first difference.
    Check {
        /// The vector files to check (a copy in your own tree, or this repository's vectors/);
        /// the ones built into dmnoti when absent.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum VectorFormat {
    Json,
    Yaml,
}

pub(super) fn vectors(cmd: &VectorsCommand) -> Result<u8> {
    match cmd {
        VectorsCommand::Generate { dir, format } => {
            let written = crate::vectors::write(dir, matches!(format, VectorFormat::Yaml))
                .with_context(|| format!("writing {}", dir.display()))?;
            let total: u64 = crate::vectors::generate()
                .iter()
                .map(|f| f.number_of_tests as u64)
                .sum();
            println!(
                "{total} vectors in {} files under {}",
                written.len(),
                dir.display()
            );
            Ok(EXIT_OK)
        }
        VectorsCommand::Check { dir } => match dir
            .as_deref()
            .map_or_else(crate::vectors::check_builtin, crate::vectors::check)
        {
            Ok(n) => {
                println!(
                    "{}: {n} vectors match a fresh generation",
                    dir.as_deref()
                        .map_or(crate::vectors::BUILTIN.to_owned(), |d| d
                            .display()
                            .to_string())
                );
                Ok(EXIT_OK)
            }
            Err(crate::vectors::CheckError::Differs(diff)) => {
                println!("{diff}");
                Ok(EXIT_FAIL)
            }
            Err(e @ crate::vectors::CheckError::Unreadable(_)) => Err(e.into()),
        },
    }
}
