//! `dmnoti replay`: a reproducer against its testee, or against a testee of the user's.

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
    /// someone else's bug report). It is shown in full before it runs.
    #[arg(long, conflicts_with = "iut")]
    pub run_command: bool,
    /// Replay against the testee of this profile instead of the reproducer's command; the
    /// profile's accounts give back the keys the reproducer masks.
    #[arg(long)]
    pub iut: Option<PathBuf>,
}

pub(super) fn replay(args: &ReplayArgs) -> Result<u8> {
    use crate::testee::replay::{Keys, Reproducer, describe, portable};
    let mut repro = Reproducer::read(&args.file)?;
    let spec = match &args.iut {
        Some(path) => {
            let profile = crate::profile::Profile::load(path, &crate::scr::Catalog::builtin())?;
            let keys: Vec<Keys> = profile
                .accounts
                .iter()
                .filter_map(|a| {
                    let v = serde_json::to_value(a.to_account().ok()?).ok()?;
                    Some(Keys {
                        server_id: a.server_id.clone(),
                        secret: v["secret"].as_str().map(str::to_owned),
                        password: v["v12"]["password"].as_str().map(str::to_owned),
                    })
                })
                .collect();
            repro.unmask(&keys);
            portable(profile.command())
        }
        None if args.run_command => repro.testee.clone(),
        None => {
            // Nothing said: show what it would run, and how to run it.
            println!(
                "{} was not replayed. It would run:\n{}To run that command, give --run-command (only if you trust where the reproducer came from); to replay it against a testee of your own, give --iut PROFILE.",
                args.file.display(),
                describe(&repro.testee)
            );
            return Ok(EXIT_BAD_INPUT);
        }
    };
    println!(
        "replaying {} ({}):\n{}",
        args.file.display(),
        repro.case,
        describe(&spec)
    );
    let outcome = crate::testee::replay::replay(
        &repro,
        &spec,
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
