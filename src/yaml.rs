//! Loading YAML that people write (the SCR catalog, later suites and profiles): unknown fields
//! are errors, and every error names file:line:column with the offending line and a caret.

use serde::de::DeserializeOwned;
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub file: PathBuf,
    /// 1-based, when the parser knows where.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    /// The offending line of the file, when known.
    pub snippet: Option<String>,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": {}", self.message)?;
        if let (Some(snippet), Some(line), Some(column)) = (&self.snippet, self.line, self.column) {
            let gutter = line.to_string();
            let pad = " ".repeat(gutter.len());
            write!(
                f,
                "\n{pad} |\n{gutter} | {snippet}\n{pad} | {}^",
                " ".repeat(column.saturating_sub(1))
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for YamlError {}

impl YamlError {
    /// An error at a known place of a file, for checks made after parsing.
    pub fn at(file: &Path, text: &str, line: usize, column: usize, message: String) -> YamlError {
        YamlError {
            file: file.to_path_buf(),
            line: Some(line),
            column: Some(column),
            message,
            snippet: text.lines().nth(line.saturating_sub(1)).map(str::to_owned),
        }
    }

    pub fn whole_file(file: &Path, message: String) -> YamlError {
        YamlError {
            file: file.to_path_buf(),
            line: None,
            column: None,
            message,
            snippet: None,
        }
    }
}

/// Parses `text` (the contents of `file`) into `T`.
pub fn from_str<T: DeserializeOwned>(file: &Path, text: &str) -> Result<T, YamlError> {
    serde_yaml::from_str(text).map_err(|e| {
        let message = strip_location(&e.to_string());
        match e.location() {
            Some(loc) => YamlError::at(file, text, loc.line(), loc.column(), message),
            None => YamlError::whole_file(file, message),
        }
    })
}

/// Reads and parses a file.
pub fn from_file<T: DeserializeOwned>(file: &Path) -> Result<T, YamlError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| YamlError::whole_file(file, format!("cannot read: {e}")))?;
    from_str(file, &text)
}

/// The parser appends " at line L column C" to its messages; the location is shown our way.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Thing {
        name: String,
        count: u32,
    }

    #[test]
    fn errors_name_file_line_column_with_a_snippet() {
        let text = "name: a\ncount: lots\n";
        let err = from_str::<Thing>(Path::new("t.yaml"), text).unwrap_err();
        assert_eq!((err.line, err.column), (Some(2), Some(8)));
        let shown = err.to_string();
        assert!(
            shown.starts_with("t.yaml:2:8: count: invalid type"),
            "{shown}"
        );
        assert!(shown.contains("2 | count: lots\n  |        ^"), "{shown}");
    }

    #[test]
    fn unknown_fields_are_errors() {
        let err =
            from_str::<Thing>(Path::new("t.yaml"), "name: a\ncount: 1\ncolour: red\n").unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(
            err.message.contains("unknown field `colour`"),
            "{}",
            err.message
        );
    }
}
