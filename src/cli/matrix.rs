//! `dmnoti matrix`: every server IUT's notification to every client IUT.

use super::*;
use crate::scr::{Catalog, Role};
use anyhow::{Result, bail};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct MatrixArgs {
    /// Server profiles, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub servers: Vec<PathBuf>,
    /// Client profiles, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub clients: Vec<PathBuf>,
    /// Where matrix.md and matrix.html go.
    #[arg(long, default_value = "reports")]
    pub reports: PathBuf,
    #[arg(long, default_value_t = 2000)]
    pub timeout_ms: u64,
}

pub(super) fn matrix(args: &MatrixArgs) -> Result<u8> {
    let catalog = Catalog::builtin();
    let load = |paths: &[PathBuf], role: Role| -> Result<Vec<crate::profile::Profile>> {
        let mut out = vec![crate::profile::Profile::reference(role, &[])];
        for p in paths {
            let profile = crate::profile::Profile::load(p, &catalog)?;
            if profile.role != role {
                bail!(
                    "{} is a {} profile, given as a {role}",
                    p.display(),
                    profile.role
                );
            }
            if profile.command.is_none() {
                bail!(
                    "{}: the matrix drives IUTs over stdio; give the profile a command",
                    p.display()
                );
            }
            out.push(profile);
        }
        Ok(out)
    };
    let servers = load(&args.servers, Role::Server)?;
    let clients = load(&args.clients, Role::Client)?;
    let m = crate::matrix::run(
        &servers,
        &clients,
        std::time::Duration::from_millis(args.timeout_ms),
    );
    std::fs::create_dir_all(&args.reports)?;
    std::fs::write(args.reports.join("matrix.md"), m.to_markdown())?;
    std::fs::write(args.reports.join("matrix.html"), m.to_html())?;
    print!("{}", m.to_markdown());
    println!(
        "\nreports: {}, {}",
        args.reports.join("matrix.md").display(),
        args.reports.join("matrix.html").display()
    );
    Ok(if m.ok() { EXIT_OK } else { EXIT_FAIL })
}
