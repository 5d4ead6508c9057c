//! `cargo bench --bench suites`: how long loading (and linting) suites takes for 1k, 10k and 100k
//! generated cases in one file and spread over 100 files. Prints figures, asserts nothing.

use dmnoti::scr::Catalog;
use std::fmt::Write as _;
use std::time::Instant;

fn suite(first: usize, n: usize) -> String {
    let mut text = String::from("role: client\ntitle: generated\ncases:\n");
    for i in first..first + n {
        let _ = write!(
            text,
            "  - id: gen.{i}\n    title: \"generated case {i}\"\n    scrs: [\"SCR-DM-NOTI-C-019-M\"]\n    steps:\n      - deliver: {{flip_digest_bit: {}}}\n        expect: ignored\n",
            i % 256
        );
    }
    text
}

fn main() {
    let catalog = Catalog::builtin();
    for n in [1_000, 10_000, 100_000] {
        for files in [1, 100] {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let per = n / files;
            for f in 0..files {
                std::fs::write(dir.path().join(format!("s{f}.yaml")), suite(f * per, per))
                    .expect("write");
            }
            let started = Instant::now();
            let suites = dmnoti::suite::load_dir(dir.path(), &catalog).expect("suites load");
            let took = started.elapsed();
            let cases: usize = suites.iter().map(|s| s.cases.len()).sum();
            println!(
                "load {cases:>7} cases in {files:>3} file(s): {:8.1} ms ({:.2} us per case)",
                took.as_secs_f64() * 1e3,
                took.as_secs_f64() * 1e6 / cases as f64
            );
        }
    }
}
