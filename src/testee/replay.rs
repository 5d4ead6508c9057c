//! Reproducers (`dmnoti run --case ID --debug` writes them, `dmnoti replay` runs them): the testee
//! command and the exact protocol lines of one case, sent again one by one, each answer compared
//! (as JSON) with the recorded one.
//!
//! A reproducer is written to be run anywhere: its command and working directory are absolute.
//! The keys of the profile's accounts are masked unless the user asks; the built-in suites' keys
//! are published test keys and stay in the clear, so a reproducer of the built-in suites replays
//! as it is, and one with masked keys replays with `--iut PROFILE`, whose accounts give them back.

use super::process::{CommandSpec, TesteeProcess};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What stands for a secret in a reproducer or a transcript written without `--show-secrets`.
pub const MASK: &str = "<masked>";

/// A protocol line with the accounts' keys (`secret`, the 1.2 `password`) masked, except those
/// in `published` (hex, as the protocol writes keys). A line that is not a provision is returned
/// as it is.
pub fn mask_line(line: &str, published: &BTreeSet<String>) -> String {
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(line) else {
        return line.to_owned();
    };
    let mut masked = false;
    let mut mask = |key: Option<&mut serde_json::Value>| {
        if let Some(k) = key.filter(|k| !k.as_str().is_some_and(|s| published.contains(s))) {
            *k = MASK.into();
            masked = true;
        }
    };
    if let Some(accounts) = v.get_mut("accounts").and_then(|a| a.as_array_mut()) {
        for a in accounts {
            mask(a.get_mut("secret"));
            mask(a.get_mut("v12").and_then(|v| v.get_mut("password")));
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
        "{file}: the keys of server id(s) {servers} are masked: give --iut PROFILE with those accounts, or write the reproducer again with `dmnoti run --case ID --debug --show-secrets`"
    )]
    Masked { file: String, servers: String },
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("{0} is not a reproducer: {1}")]
    Format(String, String),
    #[error("{error}{}", stderr.as_deref().map(|e| format!("\nthe IUT's stderr ends:\n{e}")).unwrap_or_default())]
    Testee {
        error: super::process::TesteeError,
        stderr: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replayed {
    pub same: usize,
    pub differ: usize,
}

/// The command of a reproducer as it can be run from anywhere: the working directory the testee
/// ran in (`cwd`, else the harness's), and a relative program path resolved against it, as the
/// testee's start resolved it.
pub fn portable(mut spec: CommandSpec) -> CommandSpec {
    let here = std::env::current_dir().unwrap_or_default();
    let cwd = match spec.cwd.take() {
        Some(c) if c.is_relative() => here.join(c),
        Some(c) => c,
        None => here,
    };
    // A bare name is looked up on PATH; a path with a directory is the working directory's.
    if spec.command.is_relative() && spec.command.components().count() > 1 {
        spec.command = cwd.join(&spec.command);
    }
    spec.cwd = Some(cwd);
    spec
}

/// The reproducer of a case: what to start and the lines exchanged, (sent, line).
pub fn reproducer(case: &str, testee: &CommandSpec, lines: &[(bool, String)]) -> serde_json::Value {
    serde_json::json!({
        "case": case,
        "testee": portable(testee.clone()),
        "lines": lines.iter().map(|(sent, line)| serde_json::json!({"sent": sent, "line": line})).collect::<Vec<_>>(),
    })
}

/// A reproducer as read back.
#[derive(Debug, Clone)]
pub struct Reproducer {
    pub file: PathBuf,
    pub case: String,
    pub testee: CommandSpec,
    /// (sent, line), in order.
    pub lines: Vec<(bool, String)>,
}

/// An account's keys as the protocol writes them (hex), to put back where a reproducer masked them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    pub server_id: String,
    pub secret: Option<String>,
    pub password: Option<String>,
}

impl Reproducer {
    pub fn read(file: &Path) -> Result<Reproducer, ReplayError> {
        let name = file.display().to_string();
        let text = std::fs::read_to_string(file).map_err(|e| ReplayError::Read(name.clone(), e))?;
        let repro: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| ReplayError::Format(name.clone(), e.to_string()))?;
        let testee: CommandSpec = serde_json::from_value(repro["testee"].clone())
            .map_err(|e| ReplayError::Format(name.clone(), format!("testee: {e}")))?;
        let lines = repro["lines"]
            .as_array()
            .ok_or_else(|| ReplayError::Format(name.clone(), "no lines".into()))?
            .iter()
            .map(|l| {
                (
                    l["sent"] == true,
                    l["line"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        Ok(Reproducer {
            file: file.to_owned(),
            case: repro["case"].as_str().unwrap_or("").to_owned(),
            testee,
            lines,
        })
    }

    /// Puts each masked key back from `keys`, by server id; the server ids still masked after.
    pub fn unmask(&mut self, keys: &[Keys]) -> BTreeSet<String> {
        let mut missing = BTreeSet::new();
        for (_, line) in &mut self.lines {
            if !line.contains(MASK) {
                continue;
            }
            let Ok(mut v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if let Some(accounts) = v.get_mut("accounts").and_then(|a| a.as_array_mut()) {
                for a in accounts {
                    let server = a["server_id"].as_str().unwrap_or("").to_owned();
                    let mine = keys.iter().find(|k| k.server_id == server);
                    let mut put = |slot: Option<&mut serde_json::Value>, key: Option<&String>| {
                        if let Some(slot) = slot.filter(|s| *s == MASK) {
                            match key {
                                Some(k) => *slot = k.clone().into(),
                                None => {
                                    missing.insert(server.clone());
                                }
                            }
                        }
                    };
                    put(a.get_mut("secret"), mine.and_then(|k| k.secret.as_ref()));
                    put(
                        a.get_mut("v12").and_then(|v| v.get_mut("password")),
                        mine.and_then(|k| k.password.as_ref()),
                    );
                }
            }
            *line = v.to_string();
        }
        missing
    }

    /// The server ids whose keys are masked.
    pub fn masked(&self) -> BTreeSet<String> {
        self.clone().unmask(&[])
    }
}

/// The whole of what starting `spec` runs: program, arguments, working directory, environment.
pub fn describe(spec: &CommandSpec) -> String {
    let plain = crate::report::summary::plain;
    let mut out = format!(
        "  command: {}\n",
        plain(
            &std::iter::once(format!("{:?}", spec.command.display().to_string()))
                .chain(spec.args.iter().map(|a| format!("{a:?}")))
                .collect::<Vec<_>>()
                .join(" ")
        )
    );
    out.push_str(&format!(
        "  cwd: {}\n",
        spec.cwd
            .as_ref()
            .map_or("(the current directory)".to_owned(), |c| plain(
                &c.display().to_string()
            ))
    ));
    if spec.env.is_empty() {
        out.push_str("  env: (nothing added)\n");
    }
    for (k, v) in &spec.env {
        out.push_str(&format!("  env: {}={}\n", plain(k), plain(v)));
    }
    out
}

/// Replays `repro` against the testee `spec` starts; `say` is told each line sent and answered,
/// and each difference. Keys must be unmasked first.
pub fn replay(
    repro: &Reproducer,
    spec: &CommandSpec,
    timeout: Duration,
    say: &mut dyn FnMut(String),
) -> Result<Replayed, ReplayError> {
    let masked = repro.masked();
    if !masked.is_empty() {
        return Err(ReplayError::Masked {
            file: repro.file.display().to_string(),
            servers: masked.into_iter().collect::<Vec<_>>().join(", "),
        });
    }
    let mut testee = TesteeProcess::spawn(spec).map_err(|error| ReplayError::Testee {
        error,
        stderr: None,
    })?;
    let mut expected = repro
        .lines
        .iter()
        .filter(|(sent, _)| !sent)
        .map(|(_, l)| l.clone());
    let as_json = |s: &str| serde_json::from_str::<serde_json::Value>(s).ok();
    let mut out = Replayed { same: 0, differ: 0 };
    for (_, line) in repro.lines.iter().filter(|(sent, _)| *sent) {
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
                let stderr = testee.stderr_at_exit();
                if !stderr.trim().is_empty() {
                    say(format!("   the IUT's stderr:\n{}", stderr.trim_end()));
                }
                out.differ += 1;
                break;
            }
        }
    }
    Ok(out)
}
