//! What changed between two suite sets (`dmnoti diff`): cases added, changed (steps, expectations,
//! items, claims needed) and removed; known-failure entries the changes made obsolete; new cases
//! that need claims a profile never declared. Case ids are stable forever, so ids are the key.

use crate::known::{Entry, glob};
use crate::profile::Profile;
use crate::suite::{Case, Suite};
use std::collections::BTreeMap;
use std::path::Path;

/// Why the suites of a revision cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    #[error("running git: {0}")]
    Git(std::io::Error),
    #[error("{rev:?} is neither a directory nor a git revision: {why}")]
    NotARevision { rev: String, why: String },
    #[error("writing {rev}'s suites to a temporary directory: {error}")]
    Write { rev: String, error: std::io::Error },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuiteDiff {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
    /// Known-failure entries that no longer name any case.
    pub obsolete_known_failures: Vec<String>,
    /// (case, item): new cases needing a claim the profile does not declare.
    pub undeclared_claims: Vec<(String, String)>,
}

/// What a case is, for comparing: its items, claims needed, transport and steps.
fn fingerprint(c: &Case) -> String {
    format!(
        "{:?}|{:?}|{:?}|{:?}",
        c.scrs, c.requires, c.transport, c.steps
    )
}

fn cases(suites: &[Suite]) -> BTreeMap<&str, &Case> {
    suites
        .iter()
        .flat_map(|s| s.cases.iter())
        .map(|c| (c.id.as_str(), c))
        .collect()
}

pub fn diff(old: &[Suite], new: &[Suite], known: &[Entry], profile: Option<&Profile>) -> SuiteDiff {
    let (o, n) = (cases(old), cases(new));
    let mut d = SuiteDiff::default();
    for (id, c) in &n {
        match o.get(id) {
            None => {
                d.added.push((*id).to_owned());
                if let Some(p) = profile {
                    for item in &c.requires {
                        if !p.claims.contains_key(item) {
                            d.undeclared_claims.push(((*id).to_owned(), item.clone()));
                        }
                    }
                }
            }
            Some(old) if fingerprint(old) != fingerprint(c) => d.changed.push((*id).to_owned()),
            Some(_) => {}
        }
    }
    d.removed = o
        .keys()
        .filter(|id| !n.contains_key(*id))
        .map(|s| (*s).to_owned())
        .collect();
    d.obsolete_known_failures = known
        .iter()
        .filter(|e| !n.keys().any(|id| glob(&e.case, id)))
        .map(|e| e.case.clone())
        .collect();
    d
}

impl SuiteDiff {
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{} added, {} changed, {} removed\n",
            self.added.len(),
            self.changed.len(),
            self.removed.len()
        );
        for (title, list) in [
            ("added", &self.added),
            ("changed", &self.changed),
            ("removed", &self.removed),
            ("obsolete known failures", &self.obsolete_known_failures),
        ] {
            for id in list {
                out.push_str(&format!("{title}: {id}\n"));
            }
        }
        for (case, item) in &self.undeclared_claims {
            out.push_str(&format!(
                "needs a claim the profile does not declare: {case} requires {item}\n"
            ));
        }
        out
    }
}

/// The suites of a git revision, written to a temporary directory that is removed when the
/// returned guard is dropped.
pub fn checkout(rev: &str, suites: &Path) -> Result<tempfile::TempDir, CheckoutError> {
    let write = |error| CheckoutError::Write {
        rev: rev.to_owned(),
        error,
    };
    let tmp = tempfile::Builder::new()
        .prefix("dmnoti-diff-")
        .tempdir()
        .map_err(write)?;
    let dir = tmp.path();
    let prefix = suites.to_string_lossy().trim_end_matches('/').to_owned();
    let list = std::process::Command::new("git")
        .args(["ls-tree", "-r", "--name-only", rev, "--", &prefix])
        .output()
        .map_err(CheckoutError::Git)?;
    if !list.status.success() {
        return Err(CheckoutError::NotARevision {
            rev: rev.to_owned(),
            why: String::from_utf8_lossy(&list.stderr).trim().to_owned(),
        });
    }
    for path in String::from_utf8_lossy(&list.stdout)
        .lines()
        .filter(|p| p.ends_with(".yaml") || p.ends_with(".yml"))
    {
        let show = std::process::Command::new("git")
            .args(["show", &format!("{rev}:{path}")])
            .output()
            .map_err(CheckoutError::Git)?;
        let rel = Path::new(path)
            .strip_prefix(&prefix)
            .unwrap_or(Path::new(path));
        let target = dir.join(rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(write)?;
        }
        std::fs::write(target, show.stdout).map_err(write)?;
    }
    Ok(tmp)
}
