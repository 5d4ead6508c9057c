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
        if e.reason.trim().is_empty() {
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
                    "known failure {:?} has no reason: say why it is accepted",
                    e.case
                ),
            ));
        }
    }
    Ok(entries)
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
            expect: first_message(r).chars().take(80).collect(),
            reason: entries
                .iter()
                .find(|e| glob(&e.case, &r.id))
                .map(|e| e.reason.clone())
                .unwrap_or_else(|| "TODO: say why this failure is accepted".into()),
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
}
