//! `cargo bench --bench harness`: wall time of the default `dmnoti run` and of `dmnoti selftest`
//! (release binary, reference IUT over stdio), the harness's own CPU time per case, and how many
//! generated malformed messages one stdio testee takes per second. Prints figures, asserts nothing.

use dmnoti::profile::Profile;
use dmnoti::report::result::Verdict;
use dmnoti::runner::{self, Options};
use dmnoti::scr::{Catalog, Role};
use dmnoti::suite::message::{self, BuildContext, MessageSpec};
use dmnoti::suite::{AccountSpec, MutationClass};
use dmnoti::testee::process::{CommandSpec, TesteeProcess};
use dmnoti::testee::{HexBytes, Op, Outcome};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_dmnoti");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn wall(args: &[&str]) -> Duration {
    let started = Instant::now();
    let out = Command::new(BIN)
        .args(args)
        .current_dir(ROOT)
        .output()
        .expect("dmnoti runs");
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "dmnoti {args:?} failed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    took
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// This process's user+system CPU time, from /proc (Linux).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: u64 = fields.get(11).and_then(|u| u.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn main() {
    let reports = std::env::temp_dir().join("dmnoti-bench-reports");
    let reports = reports.to_str().expect("utf-8 temp dir");
    let run = median(
        (0..5)
            .map(|_| wall(&["run", "--reports", reports]))
            .collect(),
    );
    let selftest = wall(&["selftest"]);

    // In process, to separate the harness's own CPU from the testees'.
    let catalog = Catalog::builtin();
    let suites =
        dmnoti::suite::load_dir(&Path::new(ROOT).join("suites"), &catalog).expect("suites load");
    let opts = Options {
        jobs: 2,
        explain: true,
        ..Options::default()
    };
    let cpu_before = cpu_time();
    let mut cases = 0;
    let mut timeouts = 0;
    let mut longest = Duration::ZERO;
    for role in [Role::Client, Role::Server] {
        let mut profile = Profile::reference(role, &[]);
        profile.command = Some(BIN.into());
        let r = runner::run(&profile, &suites, &catalog, &opts, &mut |_| {});
        cases += r
            .results
            .iter()
            .filter(|c| c.verdict != Verdict::Skipped)
            .count();
        for c in &r.results {
            longest = longest.max(c.duration);
            timeouts += c
                .failures
                .iter()
                .filter(|f| f.observed.contains("no answer"))
                .count();
        }
    }
    let harness_cpu = cpu_time().saturating_sub(cpu_before);

    // Generated malformed messages through one stdio testee.
    let spec = CommandSpec {
        command: BIN.into(),
        args: vec!["iut".into(), "client".into()],
        ..CommandSpec::default()
    };
    let mut testee = TesteeProcess::spawn(&spec).expect("testee starts");
    let account = AccountSpec::default_account();
    testee
        .call(
            Op::Provision {
                accounts: vec![account.to_account().expect("account")],
                now: Some(1_700_000_000),
                registrar: None,
                smsc: None,
            },
            Duration::from_secs(2),
        )
        .expect("provision");
    let ctx = BuildContext {
        account: &account,
        now: 1_700_000_000,
        reading: Default::default(),
        fresh_session_id: 0x0A01,
        timeout_unit_seconds: 60,
    };
    let base = MessageSpec::default().build(&ctx).expect("message");
    let variants = message::generate(&base, MutationClass::FlipAnyBit, 20_000, 1);
    let started = Instant::now();
    let mut ignored = 0;
    for v in &variants {
        let r = testee
            .call(
                Op::Deliver {
                    content_type: dmnoti::codec::CONTENT_TYPE_V13.into(),
                    message: HexBytes(v.bytes.clone()),
                },
                Duration::from_secs(2),
            )
            .expect("answer");
        ignored += usize::from(r.outcome == Some(Outcome::Ignored));
    }
    let rate = variants.len() as f64 / started.elapsed().as_secs_f64();

    println!(
        "dmnoti run (both roles, {cases} cases run), median of 5: {:8.1} ms",
        run.as_secs_f64() * 1e3
    );
    println!(
        "dmnoti selftest (conformant, variants, faults):  {:8.1} ms",
        selftest.as_secs_f64() * 1e3
    );
    println!(
        "harness CPU per case (in process, testees apart): {:8.1} us",
        harness_cpu.as_secs_f64() * 1e6 / cases.max(1) as f64
    );
    println!(
        "longest case: {:.1} ms; cases that waited for a timeout: {timeouts}",
        longest.as_secs_f64() * 1e3
    );
    println!(
        "malformed messages through one stdio testee: {rate:.0} per second ({ignored} of {} ignored)",
        variants.len()
    );
}
