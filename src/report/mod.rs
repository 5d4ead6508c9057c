//! Reports of a run, as CI pipelines read them: JUnit XML ([`junit`]) and coverage per SCR item
//! ([`coverage`]: JSON, Markdown, one self-contained HTML page), rendered from the run's results
//! ([`result`]) by pure functions; the console summary ([`summary`]). [`write_all`] is the one
//! place that writes the report files.

pub mod coverage;
pub mod html;
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
        ("junit.xml", junit::to_xml_with(runs, cov)),
        (
            "coverage.json",
            serde_json::to_string_pretty(&cov).map_err(std::io::Error::other)? + "\n",
        ),
        ("coverage.md", cov.to_markdown()),
        ("coverage.html", cov.to_html(runs)),
        (
            "results.json",
            serde_json::to_string(&result::Results::of(runs, &cov.suites_hash, &cov.policy))
                .map_err(std::io::Error::other)?
                + "\n",
        ),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        write_atomically(&path, text.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

/// Writes a file so that no reader ever sees it half written: a temporary file beside it,
/// renamed over it.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    // Readable as any file is (a temporary file is made private).
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Whether reports can be written under `dir` (made when missing): checked before a run.
pub fn check_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    tempfile::NamedTempFile::new_in(dir).map(drop)
}
