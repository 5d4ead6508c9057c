//! The `dmnoti` binary: parses the command line and hands it to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    dmnoti::cli::run(dmnoti::cli::Cli::parse())
}
