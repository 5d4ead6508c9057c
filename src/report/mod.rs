//! Reports of a run, as CI pipelines read them: JUnit XML ([`junit`]) and coverage per SCR item
//! ([`coverage`]: JSON, Markdown, one self-contained HTML page), rendered from the run's results
//! ([`result`]) by pure functions; the console summary ([`summary`]). [`write_all`] is the one
//! place that writes the report files.

pub mod coverage;
pub mod junit;
pub mod result;
pub mod summary;

use crate::report::result::Run;
use std::path::{Path, PathBuf};

/// Writes junit.xml, coverage.json, coverage.md and coverage.html into `dir`; returns the paths.
pub fn write_all(
    dir: &Path,
    runs: &[Run],
    cov: &coverage::Coverage,
) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let files = [
        (
            "junit.xml",
            junit::to_xml_with(runs, &cov.claims_contradicted),
        ),
        (
            "coverage.json",
            serde_json::to_string_pretty(&cov).map_err(std::io::Error::other)? + "\n",
        ),
        ("coverage.md", cov.to_markdown()),
        ("coverage.html", cov.to_html(runs)),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}
