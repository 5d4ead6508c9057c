//! `cargo bench --bench loaded`: the network verdicts on a loaded machine. Busy loops on every
//! core (twice as many as there are, as a shared CI runner has), and meanwhile `dmnoti run` over
//! every network adapter against the conformant reference IUT, RUNS times each. Every case that is
//! not a pass or a skip is a false verdict; the figure printed is their count, per adapter, with
//! the first of them. Not a timed test: it prints, and asserts nothing but that the runs ran.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

const BIN: &str = env!("CARGO_BIN_EXE_dmnoti");
const RUNS: usize = 10;

fn main() {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let stop = Arc::new(AtomicBool::new(false));
    let loops: Vec<_> = (0..cores * 3)
        .map(|_| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut x = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            })
        })
        .collect();
    println!(
        "{} busy loops on {cores} cores; {RUNS} runs per adapter",
        cores * 3
    );
    println!(
        "{:<8} {:>6} {:>8} {:>8} {:>16}  first false verdict",
        "adapter", "runs", "cases", "false", "wall per run (s)"
    );
    let mut total_false = 0;
    for adapter in ["udp", "http", "sip", "smpp", "obex", "pap"] {
        let reports = std::env::temp_dir().join(format!("dmnoti-bench-loaded-{adapter}"));
        let (mut cases, mut false_verdicts, mut first) = (0, 0, None);
        let started = Instant::now();
        for _ in 0..RUNS {
            let out = Command::new(BIN)
                .args(["run", "--adapter", adapter, "--reports"])
                .arg(&reports)
                .output()
                .expect("dmnoti runs");
            let results: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(reports.join("results.json")).expect("results.json"),
            )
            .expect("a results file");
            for run in results["runs"].as_array().into_iter().flatten() {
                for r in run["results"].as_array().into_iter().flatten() {
                    cases += 1;
                    let verdict = r["verdict"].as_str().unwrap_or("");
                    if verdict != "pass" && verdict != "skipped" {
                        false_verdicts += 1;
                        first.get_or_insert_with(|| {
                            format!(
                                "{} {}: {}",
                                verdict,
                                r["id"].as_str().unwrap_or(""),
                                r["failures"][0]["message"]
                                    .as_str()
                                    .or_else(|| r["notes"][0].as_str())
                                    .unwrap_or("")
                            )
                        });
                    }
                }
            }
            if !out.status.success() && first.is_none() {
                first = Some(
                    String::from_utf8_lossy(&out.stdout)
                        .lines()
                        .last()
                        .unwrap_or("")
                        .to_owned(),
                );
                false_verdicts += 1;
            }
        }
        total_false += false_verdicts;
        println!(
            "{adapter:<8} {RUNS:>6} {cases:>8} {false_verdicts:>8} {:>16.2}  {}",
            started.elapsed().as_secs_f64() / RUNS as f64,
            first.unwrap_or_default()
        );
    }
    stop.store(true, Ordering::Relaxed);
    for l in loops {
        let _ = l.join();
    }
    println!("false verdicts in all: {total_false}");
}
