//! `dmnoti selftest`: the suites against the reference IUT, conformant and with each fault.

use super::*;
use crate::scr::Catalog;
use crate::transport::TransportProfile;
use anyhow::Result;
use clap::Args;

#[derive(Debug, Args)]
pub struct SelftestArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// Run the reference IUT over this adapter.
    #[arg(long, value_enum, default_value = "stdio")]
    pub adapter: TransportProfile,
}

pub(super) fn selftest(args: &SelftestArgs) -> Result<u8> {
    crate::interrupt::install();
    let catalog = Catalog::builtin();
    let suites = load_suites(args.suite.suites.as_deref(), &catalog)?;
    let mut opts = options(&args.suite);
    opts.explain = false;
    if opts.step_timeout.is_none() {
        // Hang faults make cases wait this long; a conformant run never does.
        opts.step_timeout = Some(std::time::Duration::from_millis(1000));
    }
    let started = std::time::Instant::now();
    let result = crate::selftest::run(&suites, &catalog, &opts, args.adapter, &mut |what| {
        eprintln!("selftest: {what}")
    });
    print!("{}", result.to_text());
    println!(
        "selftest wall time: {:.2} s",
        started.elapsed().as_secs_f64()
    );
    Ok(if result.ok() { EXIT_OK } else { EXIT_FAIL })
}
