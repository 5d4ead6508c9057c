//! Known-failure lists (`--known-failures FILE`), strict in protobuf's conformance runner's way: a
//! listed case that fails with the expected message is an expected failure and does not fail the
//! run; a listed case that passes, fails with another message, or no longer exists fails the run,
//! naming the entry. Globs (`*`) are allowed only as narrow as they need to be: one that also
//! covers a case that does not fail as listed is an error.

use crate::report::result::{CaseResult, Run, Verdict};
use crate::yaml::{self, YamlError};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// A case id, or a glob of them (`client.6.5.5.*`).
    pub case: String,
    /// How the case's first failure message starts.
    pub expect: String,
    /// Why the failure is accepted for now (required).
    pub reason: String,
}

/// What is wrong with a known-failure list after a run; each fails the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub entry: Entry,
    pub problem: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "known failure {:?}: {}", self.entry.case, self.problem)
    }
}

pub fn load(path: &Path) -> Result<Vec<Entry>, YamlError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| YamlError::whole_file(path, format!("cannot read: {e}")))?;
    let entries: Vec<Entry> = if text.trim().is_empty() {
        Vec::new()
    } else {
        yaml::from_str(path, &text)?
    };
    for e in &entries {
        if !has_reason(e) {
            let line = text
                .lines()
                .position(|l| l.contains(&e.case))
                .map_or(1, |i| i + 1);
            return Err(YamlError::at(
                path,
                &text,
                line,
                1,
                format!(
                    "known failure {:?} has no reason: say why it is accepted (replace {PLACEHOLDER:?})",
                    e.case
                ),
            ));
        }
    }
    Ok(entries)
}

/// What `--fix-known-failures` writes for a new failure: not a reason, and refused as one, so
/// that a list nobody has read fails the run until a person says why each failure is accepted.
pub const PLACEHOLDER: &str = "TODO: say why this failure is accepted";

fn has_reason(e: &Entry) -> bool {
    let r = e.reason.trim();
    !r.is_empty() && !r.starts_with("TODO")
}

/// The start of a failure message an entry is listed by: at most `max` characters, cut at the end
/// of a word or clause, never inside one.
pub fn prefix(message: &str, max: usize) -> String {
    if message.chars().count() <= max {
        return message.to_owned();
    }
    let head: String = message.chars().take(max + 1).collect();
    // The last boundary: a space, or just after a clause mark.
    let cut = head
        .char_indices()
        .filter(|(i, c)| c.is_whitespace() && *i <= max)
        .map(|(i, _)| i)
        .next_back()
        .unwrap_or(0);
    head[..cut]
        .trim_end_matches([' ', ';', ',', ':'])
        .to_owned()
}

/// `*` matches any run of characters; nothing else is special.
pub fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            let Some(rest) = text.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len())
                .filter(|i| rest.is_char_boundary(*i))
                .any(|i| glob(tail, &rest[i..]))
        }
    }
}

/// The message a failed case is listed by.
pub fn first_message(r: &CaseResult) -> String {
    r.why()
}

/// Marks expected failures in the runs and returns what is wrong with the list.
pub fn apply(entries: &[Entry], runs: &mut [Run]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for entry in entries {
        let matched: Vec<&mut CaseResult> = runs
            .iter_mut()
            .flat_map(|r| r.results.iter_mut())
            .filter(|r| glob(&entry.case, &r.id))
            .collect();
        if matched.is_empty() {
            problems.push(Problem {
                entry: entry.clone(),
                problem: "no such case in the suites: remove the entry".into(),
            });
            continue;
        }
        let is_glob = entry.case.contains('*');
        for r in matched {
            match r.verdict {
                Verdict::Fail | Verdict::Error if first_message(r).starts_with(&entry.expect) => {
                    r.verdict = Verdict::ExpectedFailure;
                    r.known_reason = Some(entry.reason.clone());
                }
                Verdict::Fail | Verdict::Error => problems.push(Problem {
                    entry: entry.clone(),
                    problem: format!(
                        "{} fails with another message: {:?}",
                        r.id,
                        first_message(r)
                    ),
                }),
                Verdict::Skipped => {}
                _ if is_glob => problems.push(Problem {
                    entry: entry.clone(),
                    problem: format!("the glob covers {}, which does not fail: narrow it", r.id),
                }),
                _ => problems.push(Problem {
                    entry: entry.clone(),
                    problem: format!("{} now passes: remove the entry", r.id),
                }),
            }
        }
    }
    problems
}

/// The list that matches the run: entries of failing cases keep their reasons (and globs that are
/// still exact), new failures get a reason to fill in, the rest are dropped.
pub fn fixed(entries: &[Entry], runs: &[Run]) -> Vec<Entry> {
    let failing: Vec<&CaseResult> = runs
        .iter()
        .flat_map(|r| r.results.iter())
        .filter(|r| {
            matches!(
                r.verdict,
                Verdict::Fail | Verdict::Error | Verdict::ExpectedFailure
            )
        })
        .collect();
    failing
        .into_iter()
        .map(|r| Entry {
            case: r.id.clone(),
            expect: prefix(&first_message(r), 80),
            reason: entries
                .iter()
                .find(|e| glob(&e.case, &r.id))
                .map(|e| e.reason.clone())
                .unwrap_or_else(|| PLACEHOLDER.into()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("client.6.5.5.*", "client.6.5.5.empty"));
        assert!(glob("*.empty", "client.6.5.5.empty"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("client.6.5.5.*", "client.6.5.6.x"));
        assert!(glob("exact", "exact") && !glob("exact", "exactly"));
    }

    #[test]
    fn prefixes_end_at_a_word_or_clause() {
        let m = "step 1: SessionID \"a01\": lower-case hex digits; 6.4.8 requires upper-case A-F; expected \"A01\"";
        let p = prefix(m, 60);
        assert!(m.starts_with(&p));
        assert!(p.chars().count() <= 60);
        assert_eq!(p, "step 1: SessionID \"a01\": lower-case hex digits; 6.4.8");
        assert_eq!(prefix("short message", 80), "short message");
        // A cut never falls inside a word: what follows the prefix starts a new word.
        for max in 10..m.len() {
            let p = prefix(m, max);
            let rest = &m[p.len()..];
            assert!(
                rest.is_empty() || rest.starts_with([' ', ';', ',', ':']),
                "{max}: {p:?} | {rest:?}"
            );
        }
    }

    #[test]
    fn placeholder_reasons_are_no_reasons() {
        let dir = tempfile_dir();
        let path = dir.join("known.yaml");
        std::fs::write(
            &path,
            format!("- case: a.b\n  expect: step 1\n  reason: \"{PLACEHOLDER}\"\n"),
        )
        .unwrap();
        let e = load(&path).unwrap_err();
        assert!(e.to_string().contains("has no reason"), "{e}");
        assert_eq!(e.line, Some(1));
        std::fs::write(
            &path,
            "- case: a.b\n  expect: step 1\n  reason: ticket 42\n",
        )
        .unwrap();
        assert_eq!(load(&path).unwrap().len(), 1);
        let _ = std::fs::remove_dir_all(dir);
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("dmnoti-known-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
