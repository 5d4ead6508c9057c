//! `dmnoti replay`: a reproducer against its testee.

use super::*;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A reproducer written by `dmnoti run --case ID --debug`.
    pub file: PathBuf,
    /// How long each answer may take, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    pub timeout_ms: u64,
}

pub(super) fn replay(args: &ReplayArgs) -> Result<u8> {
    let outcome = crate::testee::replay::replay(
        &args.file,
        std::time::Duration::from_millis(args.timeout_ms),
        &mut |line| println!("{line}"),
    )?;
    println!(
        "replay: {} answers as recorded, {} differ",
        outcome.same, outcome.differ
    );
    Ok(if outcome.differ == 0 {
        EXIT_OK
    } else {
        EXIT_FAIL
    })
}
