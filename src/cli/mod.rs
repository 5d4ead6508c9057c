//! The command line (nextest's dispatch): the clap model of the top level, one module per
//! subcommand, and the dispatch. `main.rs` only calls [`run`]. Exit codes (README): 0 success,
//! 1 a non-conformant message or a failed run, 2 bad input.

mod args;
mod decode;
mod diff;
mod encode;
mod input;
mod iut;
mod lint;
mod matrix;
mod merge;
mod replay;
mod run;
mod scrs;
mod selftest;
mod suites;
mod vectors;

use crate::scr::Catalog;
use anyhow::{Result, bail};
pub use args::*;
use clap::{Args, Parser, Subcommand};
pub use decode::*;
pub use diff::*;
pub use encode::*;
pub use iut::*;
pub use lint::*;
pub use matrix::*;
pub use merge::*;
pub use replay::*;
pub use run::*;
pub use scrs::*;
pub use selftest::*;
use std::path::PathBuf;
use std::process::ExitCode;
pub use suites::*;
pub use vectors::*;

pub const EXIT_OK: u8 = 0;

pub const EXIT_FAIL: u8 = 1;

pub const EXIT_BAD_INPUT: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "dmnoti",
    version,
    about = "Conformance harness for OMA DM Notification (Package #0) 1.3 and 1.2"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Field-by-field breakdown of a message (bare 1.3 or 1.2, WSP push or HTTP push).
    #[command(visible_alias = "explain")]
    Decode(DecodeArgs),
    /// Build a message from field values, conformant by default or wrong on purpose.
    Encode(Box<EncodeArgs>),
    /// The SCR catalog of Appendix B, with errata.
    Scrs(ScrsArgs),
    /// The reference DM client or server (the default IUT), speaking the stdio testee protocol.
    Iut(IutArgs),
    /// Run the suites against an IUT (the reference client and server by default) and write reports.
    Run(RunArgs),
    /// Check suites and profiles without running anything.
    Lint(LintArgs),
    /// The harness's own test: the suites must pass the reference IUT and catch each of its faults.
    Selftest(SelftestArgs),
    /// Replay a reproducer against its testee and compare every answer with the recorded one.
    Replay(ReplayArgs),
    /// Every server IUT's notification to every client IUT (the reference pair included).
    Matrix(MatrixArgs),
    /// What changed in the suites since an older set (a directory or a git revision).
    Diff(DiffArgs),
    /// Test vectors for implementers' own unit tests.
    #[command(subcommand)]
    Vectors(VectorsCommand),
    /// The built-in suites.
    #[command(subcommand)]
    Suites(SuitesCommand),
    /// Merge the reports of a run split across CI jobs (--partition K/N) into one.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
pub struct SuiteArgs {
    /// Read the suites from this directory instead of the built-in ones.
    #[arg(long)]
    pub suites: Option<PathBuf>,
    /// Testee processes run at once.
    #[arg(long, short = 'j', default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,
    /// Step timeout in milliseconds (the profile's, else 2000).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_ms: Option<u64>,
}

fn parse_partition(text: &str) -> std::result::Result<(usize, usize), String> {
    let (k, n) = text.split_once('/').ok_or("expected K/N, e.g. 1/3")?;
    let k: usize = k.parse().map_err(|_| "K is not a number")?;
    let n: usize = n.parse().map_err(|_| "N is not a number")?;
    if n == 0 || k == 0 || k > n {
        return Err(format!("{text}: K must be 1 to N"));
    }
    Ok((k, n))
}

/// Runs a parsed command line; prints errors as one line and maps them to exit code 2.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Decode(args) => decode::decode(&args),
        Command::Encode(args) => encode::encode(&args),
        Command::Scrs(args) => scrs::scrs(&args),
        Command::Iut(args) => iut::iut(&args),
        Command::Run(args) => run::run_suites(&args),
        Command::Lint(args) => lint::lint(&args),
        Command::Selftest(args) => selftest::selftest(&args),
        Command::Vectors(cmd) => vectors::vectors(&cmd),
        Command::Suites(cmd) => suites::suites(&cmd),
        Command::Merge(args) => merge::merge(&args),
        Command::Replay(args) => replay::replay(&args),
        Command::Matrix(args) => matrix::matrix(&args),
        Command::Diff(args) => diff::diff(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// The suites of `--suites DIR`, or the built-in ones.
fn load_suites(
    dir: Option<&std::path::Path>,
    catalog: &Catalog,
) -> Result<Vec<crate::suite::Suite>> {
    match dir {
        None => Ok(crate::suite::load_builtin(catalog)?),
        Some(dir) if !dir.is_dir() => bail!("--suites {}: not a directory", dir.display()),
        Some(dir) => Ok(crate::suite::load_dir(dir, catalog)?),
    }
}

/// Now, UTC, for reports.
fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    crate::explain::posix_time(u32::try_from(secs).unwrap_or(u32::MAX))
}

/// Where the suites come from, for messages.
fn suites_origin(dir: Option<&std::path::Path>) -> String {
    dir.map_or("the built-in suites".to_owned(), |d| {
        d.display().to_string()
    })
}

fn options(args: &SuiteArgs) -> crate::runner::Options {
    crate::runner::Options {
        jobs: usize::from(args.jobs),
        step_timeout: args.timeout_ms.map(std::time::Duration::from_millis),
        ..crate::runner::Options::default()
    }
}
