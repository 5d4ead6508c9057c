//! Reproducers (`dmnoti run --case ID --debug` writes them, `dmnoti replay` runs them): the testee
//! command and the exact protocol lines of one case, sent again one by one, each answer compared
//! (as JSON) with the recorded one.

use super::process::{CommandSpec, TesteeProcess};
use std::path::Path;
use std::time::Duration;

/// What stands for a secret in a reproducer or a transcript written without `--show-secrets`.
pub const MASK: &str = "<masked>";

/// A protocol line with the accounts' keys (`secret`, the 1.2 `password`) masked. A line that
/// is not a provision is returned as it is.
pub fn mask_line(line: &str) -> String {
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(line) else {
        return line.to_owned();
    };
    let mut masked = false;
    if let Some(accounts) = v.get_mut("accounts").and_then(|a| a.as_array_mut()) {
        for a in accounts {
            if let Some(s) = a.get_mut("secret") {
                *s = MASK.into();
                masked = true;
            }
            if let Some(p) = a.get_mut("v12").and_then(|v| v.get_mut("password")) {
                *p = MASK.into();
                masked = true;
            }
        }
    }
    if masked {
        v.to_string()
    } else {
        line.to_owned()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(
        "{0}'s secrets are masked: write it again with `dmnoti run --case ID --debug --show-secrets` to replay it"
    )]
    Masked(String),
    #[error(
        "{file} would run: {command}\nrun it only if you trust where the reproducer came from: give --run-command, or --iut PROFILE to run a testee of your own"
    )]
    Untrusted { file: String, command: String },
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("{0} is not a reproducer: {1}")]
    Format(String, String),
    #[error(transparent)]
    Testee(#[from] super::process::TesteeError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replayed {
    pub same: usize,
    pub differ: usize,
}

/// The reproducer of a case: what to start and the lines exchanged, (sent, line).
pub fn reproducer(case: &str, testee: &CommandSpec, lines: &[(bool, String)]) -> serde_json::Value {
    serde_json::json!({
        "case": case,
        "testee": testee,
        "lines": lines.iter().map(|(sent, line)| serde_json::json!({"sent": sent, "line": line})).collect::<Vec<_>>(),
    })
}

/// Whom a replay runs: the reproducer's own command (which may have come from someone else's bug
/// report), or a testee of the user's.
#[derive(Debug, Clone)]
pub enum Runs {
    /// The user said to run the command the reproducer names.
    ItsCommand,
    /// The user's own testee.
    This(CommandSpec),
    /// Nothing said: the command is shown, not run.
    Undecided,
}

/// Replays a reproducer; `say` is told each line sent and answered, and each difference.
pub fn replay(
    file: &Path,
    runs: Runs,
    timeout: Duration,
    say: &mut dyn FnMut(String),
) -> Result<Replayed, ReplayError> {
    let name = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|e| ReplayError::Read(name.clone(), e))?;
    let repro: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| ReplayError::Format(name.clone(), e.to_string()))?;
    if text.contains(MASK) {
        return Err(ReplayError::Masked(name));
    }
    let theirs: CommandSpec = serde_json::from_value(repro["testee"].clone())
        .map_err(|e| ReplayError::Format(name.clone(), format!("testee: {e}")))?;
    let spec = match runs {
        Runs::ItsCommand => theirs,
        Runs::This(mine) => mine,
        Runs::Undecided => {
            let command = std::iter::once(theirs.command.display().to_string())
                .chain(theirs.args.iter().map(|a| format!("{a:?}")))
                .collect::<Vec<_>>()
                .join(" ");
            return Err(ReplayError::Untrusted {
                file: name,
                command: crate::report::summary::plain(&command),
            });
        }
    };
    let mut testee = TesteeProcess::spawn(&spec)?;
    let lines = repro["lines"].as_array().cloned().unwrap_or_default();
    let mut expected = lines
        .iter()
        .filter(|l| l["sent"] == false)
        .map(|l| l["line"].as_str().unwrap_or("").to_owned());
    let as_json = |s: &str| serde_json::from_str::<serde_json::Value>(s).ok();
    let mut out = Replayed { same: 0, differ: 0 };
    for l in lines.iter().filter(|l| l["sent"] == true) {
        let line = l["line"].as_str().unwrap_or("");
        say(format!("-> {line}"));
        let want = expected.next();
        match testee.exchange_line(line, timeout) {
            Ok(got) if want.as_deref().map(as_json) == Some(as_json(&got)) => {
                say(format!("<- {got}"));
                out.same += 1;
            }
            Ok(got) => {
                say(format!(
                    "<- {got}\n   DIFFERS from the recorded {}",
                    want.unwrap_or_else(|| "(nothing)".into())
                ));
                out.differ += 1;
            }
            Err(e) => {
                say(format!(
                    "   {e} (recorded: {})",
                    want.unwrap_or_else(|| "(nothing)".into())
                ));
                out.differ += 1;
                break;
            }
        }
    }
    Ok(out)
}
