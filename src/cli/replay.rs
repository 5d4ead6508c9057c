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
    /// Run the command the reproducer names (only for a reproducer you trust: it may come from
    /// someone else's bug report).
    #[arg(long, conflicts_with = "iut")]
    pub run_command: bool,
    /// Replay against the testee of this profile instead of the reproducer's command.
    #[arg(long)]
    pub iut: Option<PathBuf>,
}

pub(super) fn replay(args: &ReplayArgs) -> Result<u8> {
    use crate::testee::replay::Runs;
    let runs = match (&args.iut, args.run_command) {
        (Some(path), _) => Runs::This(
            crate::profile::Profile::load(path, &crate::scr::Catalog::builtin())?.command(),
        ),
        (None, true) => Runs::ItsCommand,
        (None, false) => Runs::Undecided,
    };
    let outcome = crate::testee::replay::replay(
        &args.file,
        runs,
        std::time::Duration::from_millis(args.timeout_ms),
        &mut |line| println!("{}", crate::report::summary::plain(&line)),
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
