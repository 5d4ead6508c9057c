//! Reproducers (`dmnoti run --case ID --debug` writes them, `dmnoti replay` runs them): the testee
//! command and the exact protocol lines of one case, sent again one by one, each answer compared
//! (as JSON) with the recorded one.

use super::process::{CommandSpec, TesteeProcess};
use std::path::Path;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
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

/// Replays a reproducer; `say` is told each line sent and answered, and each difference.
pub fn replay(
    file: &Path,
    timeout: Duration,
    say: &mut dyn FnMut(String),
) -> Result<Replayed, ReplayError> {
    let name = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|e| ReplayError::Read(name.clone(), e))?;
    let repro: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| ReplayError::Format(name.clone(), e.to_string()))?;
    let spec: CommandSpec = serde_json::from_value(repro["testee"].clone())
        .map_err(|e| ReplayError::Format(name, format!("testee: {e}")))?;
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
