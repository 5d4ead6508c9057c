//! Trigger commands: how a DM server without a control channel is made to notify (a profile's
//! `trigger`). Text from a suite (a Connect-Reason, the whole request) must never become shell
//! syntax, so a trigger runs with no shell: the template is split into words once, each
//! placeholder's value lands inside one argument, and the values are in the environment as well
//! (`DMNOTI_DEVICE`, `DMNOTI_SERVER_ID`, `DMNOTI_REQUEST`) for scripts. A placeholder in a command
//! that runs a shell or an interpreter anywhere in its argv (`sh -c '... {request}'`, `env bash
//! -c ...`, `timeout 5 python3 -c ...`) is refused: use the environment there.

use std::process::Command;
use std::time::{Duration, Instant};

const PLACEHOLDERS: [&str; 3] = ["{device}", "{server_id}", "{request}"];
/// Programs that run text as code (shells and script interpreters), as a word of a trigger
/// names them: a placeholder anywhere in a command whose argv holds one is refused, whether it
/// runs the program or a wrapper runs it (`env`, `timeout`, `nice`, `sudo`, `xargs`...).
const INTERPRETERS: [&str; 28] = [
    "sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "busybox", "fish", "csh", "tcsh", "python",
    "perl", "ruby", "node", "nodejs", "php", "lua", "luajit", "tclsh", "wish", "expect", "awk",
    "gawk", "mawk", "nawk", "sed", "pwsh",
];

/// The interpreter a word names, if it names one: its file name without a version suffix
/// (`/usr/bin/python3.12` is python). A word with blanks in it (`env -S 'sh -c ...'`) is looked
/// at word by word.
fn interpreter(word: &str) -> Option<&'static str> {
    word.split_whitespace().find_map(|w| {
        let name = w.rsplit('/').next().unwrap_or(w);
        let bare = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
        INTERPRETERS.iter().copied().find(|i| *i == bare)
    })
}

/// Why a trigger did not make the server notify.
#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    #[error("{0}")]
    Template(String),
    #[error("cannot start: {0}")]
    Start(std::io::Error),
    #[error("exited with {0}")]
    Exited(std::process::ExitStatus),
    #[error("still running after {}", crate::runner::seconds(*.0))]
    Timeout(Duration),
}

/// Splits a template into words as a shell would split a plain command: blanks separate words,
/// `'...'` quotes literally, `"..."` quotes with `\"` and `\\` escapes, `\` escapes one
/// character. Nothing is expanded.
pub fn words(template: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("an unclosed ' in the trigger".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("an unclosed \" in the trigger".into()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("an unclosed \" in the trigger".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    word.push(c);
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        out.push(word);
    }
    if out.is_empty() {
        return Err("the trigger is empty".into());
    }
    Ok(out)
}

/// Checks a profile's trigger once, at load: it splits, and no placeholder is in a command that
/// runs a shell or an interpreter anywhere in its argv (directly or through a wrapper).
pub fn check(template: &str) -> Result<(), String> {
    let argv = words(template)?;
    let placeholder = argv
        .iter()
        .any(|w| PLACEHOLDERS.iter().any(|p| w.contains(p)));
    if let (true, Some(program)) = (placeholder, argv.iter().find_map(|w| interpreter(w))) {
        return Err(format!(
            "a placeholder in a command that runs {program} would run text from the suites as code: name the program that notifies directly, or use \"$DMNOTI_DEVICE\", \"$DMNOTI_SERVER_ID\" and \"$DMNOTI_REQUEST\" in the script instead"
        ));
    }
    Ok(())
}

/// Runs the trigger for one notification, killing it (and its process group) after `timeout`.
pub fn run(
    template: &str,
    device: &str,
    server_id: &str,
    request: &str,
    timeout: Duration,
) -> Result<(), TriggerError> {
    check(template).map_err(TriggerError::Template)?;
    let argv: Vec<String> = words(template)
        .map_err(TriggerError::Template)?
        .into_iter()
        .map(|w| {
            w.replace("{device}", device)
                .replace("{server_id}", server_id)
                .replace("{request}", request)
        })
        .collect();
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .env("DMNOTI_DEVICE", device)
        .env("DMNOTI_SERVER_ID", server_id)
        .env("DMNOTI_REQUEST", request)
        .stdin(std::process::Stdio::null());
    crate::testee::process::own_group(&mut cmd);
    let mut child = cmd.spawn().map_err(TriggerError::Start)?;
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(TriggerError::Exited(status)),
            Ok(None) if Instant::now() < deadline && crate::interrupt::received().is_none() => {
                std::thread::sleep(Duration::from_millis(5))
            }
            _ => {
                crate::testee::process::kill_group(&mut child);
                return Err(TriggerError::Timeout(timeout));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_a_plain_command_and_expand_nothing() {
        assert_eq!(
            words(r#"tool --to {device} 'a b' "c \"d\"" e\ f $HOME"#).unwrap(),
            ["tool", "--to", "{device}", "a b", "c \"d\"", "e f", "$HOME"]
        );
        assert!(words("tool 'open").is_err());
        assert!(words("   ").is_err());
    }

    #[test]
    fn placeholders_in_a_shell_script_are_refused() {
        assert!(check("sh -c 'notify {request}'").is_err());
        assert!(check("/bin/bash -c 'x' {device}").is_err());
        assert!(check("sh -c 'notify \"$DMNOTI_REQUEST\"'").is_ok());
        assert!(check("mytool --device={device} {request}").is_ok());
    }

    /// A wrapper does not hide the interpreter it runs, nor does a path, a version suffix or a
    /// word with blanks in it.
    #[test]
    fn placeholders_under_any_wrapper_of_an_interpreter_are_refused() {
        for t in [
            "env sh -c 'notify {request}'",
            "/usr/bin/env bash -c 'x {request}'",
            "timeout 5 sh -c 'x {device}'",
            "nice sh -c 'x {server_id}'",
            "sudo -u dm /bin/dash -c '{request}'",
            "env -S 'sh -c x' {request}",
            "python3.12 -c 'import sys' {request}",
            "xargs perl -e 'print' {device}",
            "awk 'BEGIN{system(ARGV[1])}' {request}",
        ] {
            assert!(check(t).is_err(), "{t}");
        }
        // No placeholder: any command; placeholders to a program named directly: fine.
        assert!(check("env sh -c 'notify \"$DMNOTI_REQUEST\"'").is_ok());
        assert!(check("timeout 5 /opt/dm/notify --to {device}").is_ok());
        assert!(check("shutter --to {device}").is_ok(), "not sh");
    }
}
