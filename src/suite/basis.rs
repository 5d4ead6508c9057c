//! The normative basis of a case (`suites/bases.yaml`): the sentence of the spec it enforces,
//! verbatim, and the level that sentence gives a deviation. The engine judges by the level
//! (`must` fails, `should` and `robustness` warn, `ambiguous` is inconclusive); `dmnoti lint
//! --spec` holds every quote to the spec text.

use crate::report::result::Level;
use crate::yaml::{self, YamlError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The file beside the suites that holds the bases.
pub const FILE: &str = "bases.yaml";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Basis {
    /// Its name in `bases.yaml`, as cases refer to it (the map's key there).
    #[serde(default)]
    pub name: String,
    /// The section the sentence stands in.
    pub section: String,
    pub level: Level,
    /// The sentence, verbatim (or a table's cell, with `table`).
    pub quote: String,
    /// The table the quote is a cell of (`B.1`, `6.3`): a table constraint, not a sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// For `ambiguous`: the readings the text allows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub readings: Vec<String>,
}

impl Basis {
    /// The basis of a case that names none (suites written inline, in tests): a MUST of its own
    /// items, with no sentence to show.
    pub fn unstated() -> Basis {
        Basis {
            name: String::new(),
            section: String::new(),
            level: Level::Must,
            quote: String::new(),
            table: None,
            readings: Vec::new(),
        }
    }
}

/// Every basis, by name.
pub type Bases = BTreeMap<String, Basis>;

/// Reads `bases.yaml` under `dir`: none there is no bases (the suites then name none).
pub fn load(dir: &Path) -> Result<Option<Bases>, YamlError> {
    let path = dir.join(FILE);
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| YamlError::whole_file(&path, format!("cannot read: {e}")))?;
    parse(&path, &text).map(Some)
}

/// The built-in bases (those of the built-in suites).
pub fn builtin() -> Result<Option<Bases>, YamlError> {
    super::builtin::FILES
        .iter()
        .find(|(name, _)| *name == FILE)
        .map(|(name, text)| parse(&Path::new("suites").join(name), text))
        .transpose()
}

/// Parses a `bases.yaml` (`path` names it in errors).
pub fn parse(path: &Path, text: &str) -> Result<Bases, YamlError> {
    let mut bases: Bases = yaml::from_str(path, text)?;
    for (name, b) in &mut bases {
        b.name = name.clone();
        let line = text
            .lines()
            .position(|l| l.starts_with(&format!("{name}:")))
            .map_or(1, |i| i + 1);
        if b.level == Level::Ambiguous && b.readings.len() < 2 {
            return Err(YamlError::at(
                path,
                text,
                line,
                1,
                format!("basis {name} is ambiguous: name the readings (at least two)"),
            ));
        }
    }
    Ok(bases)
}

/// Text as the quotes are compared: markdown emphasis (`*`, `` ` ``) dropped, white space folded.
pub fn normalise(text: &str) -> String {
    text.replace(['*', '`'], "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// What is wrong with the bases against the spec text: quotes that do not occur in it, and `must`
/// bases whose quote says no MUST, SHALL or REQUIRED and is no table's cell.
pub fn check_against(bases: &Bases, spec: &str) -> Vec<String> {
    let spec = normalise(spec);
    let mut problems = Vec::new();
    for (name, b) in bases {
        let quote = normalise(&b.quote);
        if quote.is_empty() || !spec.contains(&quote) {
            problems.push(format!(
                "basis {name}: the quote does not occur in the spec: {:?}",
                b.quote
            ));
        }
        let normative = ["MUST", "SHALL", "REQUIRED"]
            .iter()
            .any(|w| quote.contains(w));
        if b.level == Level::Must && !normative && b.table.is_none() {
            problems.push(format!(
                "basis {name} is `must`, but its quote says no MUST, SHALL or REQUIRED and names no table"
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basis(level: Level, quote: &str, table: Option<&str>) -> Basis {
        Basis {
            level,
            quote: quote.into(),
            table: table.map(Into::into),
            ..Basis::unstated()
        }
    }

    #[test]
    fn the_registration_basis_is_built_in_and_a_must() {
        let bases = builtin().unwrap().unwrap();
        let b = &bases[crate::runner::link::transport::REGISTRATION_BASIS];
        assert_eq!(b.level, Level::Must);
        assert!(b.quote.contains("MUST register with the SIP/IP Core"));
    }

    #[test]
    fn quotes_are_held_to_the_spec() {
        let spec = "6.6 Digest\n\nThe DM Client **MUST** ignore notification message\n  with digest which is not correctly computed.\nItem\tFunction\nSCR-X\tSupport WAP Push\tSection 7.1";
        let mut bases = Bases::new();
        bases.insert(
            "ok".into(),
            basis(
                Level::Must,
                "The DM Client MUST ignore notification message with digest which is not correctly computed.",
                None,
            ),
        );
        bases.insert(
            "table".into(),
            basis(Level::Must, "Support WAP Push", Some("B.1")),
        );
        assert!(check_against(&bases, spec).is_empty());
        bases.insert(
            "typo".into(),
            basis(
                Level::Should,
                "The DM Client MUST ignore notifications",
                None,
            ),
        );
        bases.insert("weak".into(), basis(Level::Must, "Support WAP Push", None));
        let problems = check_against(&bases, spec);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("basis typo: the quote does not occur"));
        assert!(problems[1].contains("basis weak is `must`"));
    }
}
