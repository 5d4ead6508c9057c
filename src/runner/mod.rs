//! Runs suites against an IUT. The pieces, driver to pure core:
//! - [`pool`]: `--jobs` workers, each with its own link; reads the real clock and times cases.
//! - [`select`]: which cases a run takes.
//! - [`engine`]: one case, step by step, over a link; no I/O, no clock.
//! - [`link`]: how an IUT is reached (stdio testee protocol, the network, in process).
//! - [`checks`]: what a session and a notification must satisfy, each check on its SCR item.
//!
//! The results ([`crate::report::result`]) are what the reports are made from.

pub mod checks;
pub mod engine;
pub mod ids;
pub mod late;
pub mod link;
pub mod pool;
pub mod select;

#[cfg(test)]
mod tests;

pub use engine::{DEFAULT_NOW, FIRST_SESSION_ID};
pub use pool::run;
pub use select::select;

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Options {
    pub jobs: usize,
    /// Case ids, suite names or SCR items (substrings); all cases when empty.
    pub filters: Vec<String>,
    /// Only the case with exactly this id.
    pub case: Option<String>,
    /// Run only part K of N (1-based).
    pub partition: Option<(usize, usize)>,
    /// Step timeout; the profile's (or 2 s) when absent.
    pub step_timeout: Option<Duration>,
    pub progress: bool,
    /// Keep the `explain` text of every message (reports want it; the self-test does not).
    pub explain: bool,
    /// Where network traffic is recorded (`--pcap`).
    pub capture: Option<crate::adapter::capture::Capture>,
    /// Keep every protocol line of each case (for `--debug` and reproducers).
    pub debug: bool,
    /// `should` and `robustness` deviations fail (`--strict`).
    pub strict: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            jobs: 2,
            filters: Vec::new(),
            case: None,
            partition: None,
            step_timeout: None,
            progress: false,
            explain: true,
            capture: None,
            debug: false,
            strict: false,
        }
    }
}

/// `2 s`, `0.3 s`.
pub(crate) fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}
