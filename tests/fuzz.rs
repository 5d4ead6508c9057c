//! The fuzz targets for a bounded time (`DMNOTI_FUZZ_SECONDS` each, 10 by default), from a seed
//! that is printed (`DMNOTI_FUZZ_SEED` repeats a run). Ignored by `cargo test`: `.ci/run` runs it.

#[test]
#[ignore = "long-running: .ci/run runs it with --ignored for a bounded time"]
fn every_parser_survives_mutated_inputs() {
    let seconds: u64 = std::env::var("DMNOTI_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let seed: u64 = std::env::var("DMNOTI_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(1)
        });
    for target in dmnoti::fuzz::TARGETS {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
        let f = dmnoti::fuzz::fuzz(target, seed, deadline);
        println!(
            "fuzz {target}: {} inputs in {seconds} s (seed {seed}: DMNOTI_FUZZ_SEED={seed} repeats it)",
            f.inputs
        );
    }
}
