//! The worker pool: `--jobs` threads take cases from one queue, each with its own link (and so its
//! own testee process), and send results back in the order they finish. This is the driver of the
//! case engine: it makes the links, reads the real clock and times each case.

use super::engine::{self, CaseContext};
use super::link::net::Sockets;
use super::link::{Broken, Link, NetLink, ProcessControl, SetupError, StdioLink};
use super::{Options, select};
use crate::profile::Profile;
use crate::report::result::{CaseResult, Run};
use crate::scr::Catalog;
use crate::suite::Suite;
use crate::transport::TransportProfile as Adapter;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Cases in a row whose IUT would not start before the run gives up.
const UNSTARTABLE_LIMIT: usize = 3;

/// The last lines of a testee's stderr (at most 20 and 4 KiB), for a message.
fn tail(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    let mut out = lines[lines.len().saturating_sub(20)..].join("\n");
    if out.len() > 4096 {
        let cut = (0..=out.len() - 4096)
            .find(|i| out.is_char_boundary(*i))
            .unwrap_or(0);
        out = out.split_off(cut);
    }
    out
}

/// 16 bits from the OS's random source.
fn random_u16() -> u16 {
    u16::from_str_radix(&crate::adapter::random_token()[..4], 16).unwrap_or(0x0A01)
}

/// The real time, POSIX seconds.
fn wall_clock() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(engine::DEFAULT_NOW)
}

/// The link a worker reaches the profile's IUT by.
fn link(profile: &Profile, opts: &Options, timeout: Duration) -> Result<Box<dyn Link>, SetupError> {
    let control = || ProcessControl::new(profile.command(), profile.role, timeout, opts.debug);
    Ok(match profile.adapter {
        Adapter::Stdio => Box::new(StdioLink::new(control())),
        Adapter::Udp
        | Adapter::Smpp
        | Adapter::Pap
        | Adapter::Obex
        | Adapter::Sip
        | Adapter::Http => {
            let control = profile.command.as_ref().map(|_| control());
            let (profile_c, capture) = (profile.clone(), opts.capture.clone());
            Box::new(NetLink::new(
                control,
                Box::new(move || {
                    Sockets::start(&profile_c, capture.clone(), timeout).map_err(Broken::from)
                }),
                profile,
                timeout,
            ))
        }
    })
}

/// Runs the profile's role's cases of `suites`. `on_result` sees each result as it comes (for
/// progress); the returned run has them in suite order.
pub fn run(
    profile: &Profile,
    suites: &[Suite],
    catalog: &Catalog,
    opts: &Options,
    on_result: &mut dyn FnMut(&CaseResult),
) -> Run {
    let started = Instant::now();
    let cases = select::select(suites, profile.role, opts);
    let index = engine::message_index(suites);
    let timeout = opts.step_timeout.unwrap_or_else(|| profile.step_timeout());
    let queue: Arc<Mutex<VecDeque<usize>>> = Arc::new(Mutex::new((0..cases.len()).collect()));
    // Over the network session ids are fresh across the run, so that an answer that comes late
    // lands on its own message (the ledger matches by SESSIONID). An IUT without a control channel
    // is never provisioned again: its ids must be fresh across runs too (the device remembers
    // them), drawn from the OS's random source, which std's hasher keys are seeded from: two runs
    // share a start 1 time in 65,280. Others start where a case's own ids do (a letter, a leading
    // zero to drop).
    let run_ids = (profile.adapter != Adapter::Stdio).then(|| {
        let start = match profile.command {
            None => random_u16() | 0x0100,
            Some(_) => engine::FIRST_SESSION_ID,
        };
        engine::RunIds::new(start, suites)
    });
    // An IUT that will not start gives the same error for every case: after a few in a row the
    // run stops and says so once, with the IUT's stderr.
    let unstartable_in_a_row = AtomicUsize::new(0);
    let give_up = AtomicBool::new(false);
    let aborted: Mutex<Option<String>> = Mutex::new(None);
    let (tx, rx) = mpsc::channel::<(usize, CaseResult)>();
    let mut results: Vec<Option<CaseResult>> = vec![None; cases.len()];
    std::thread::scope(|scope| {
        for _ in 0..opts.jobs.max(1).min(cases.len().max(1)) {
            let queue = Arc::clone(&queue);
            let tx = tx.clone();
            let (cases, index, run_ids) = (&cases, &index, run_ids.as_ref());
            let (in_a_row, give_up, aborted) = (&unstartable_in_a_row, &give_up, &aborted);
            scope.spawn(move || {
                let mut link = link(profile, opts, timeout);
                // Results not sent yet: those with steps pending, and the latest.
                let mut held: Vec<(usize, CaseResult, Vec<engine::Pending>)> = Vec::new();
                loop {
                    // A signal stops the run: no new case starts; so does an IUT that will not start.
                    if crate::interrupt::received().is_some() || give_up.load(Ordering::SeqCst) {
                        break;
                    }
                    let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                    let Some(i) = next else { break };
                    let (suite, case) = cases[i];
                    let link = match link.as_mut() {
                        Ok(l) => l,
                        Err(e) => {
                            let mut r = CaseResult::new(suite, case);
                            r.verdict = crate::report::result::Verdict::Error;
                            r.notes.push(e.to_string());
                            if tx.send((i, r)).is_err() {
                                break;
                            }
                            continue;
                        }
                    };
                    let ctx = CaseContext {
                        profile,
                        catalog,
                        index,
                        wall_clock: wall_clock(),
                        run_ids,
                        explain: opts.explain,
                        strict: opts.strict,
                    };
                    let began = Instant::now();
                    let (mut result, pending) =
                        engine::run_case_pending(suite, case, &ctx, link.as_mut());
                    result.duration = began.elapsed();
                    if result.unstartable {
                        if in_a_row.fetch_add(1, Ordering::SeqCst) + 1 >= UNSTARTABLE_LIMIT
                            && !give_up.swap(true, Ordering::SeqCst)
                        {
                            if let Ok(mut a) = aborted.lock() {
                                *a = Some(format!(
                                    "the IUT did not start for {UNSTARTABLE_LIMIT} cases in a row: {}{}",
                                    result.notes.first().cloned().unwrap_or_default(),
                                    result
                                        .stderr
                                        .as_deref()
                                        .map(|e| format!(
                                            "\nits stderr ends:\n{}",
                                            crate::report::summary::plain(&tail(e))
                                        ))
                                        .unwrap_or_default()
                                ));
                            }
                        }
                    } else {
                        in_a_row.store(0, Ordering::SeqCst);
                    }
                    if let Some(signal) = crate::interrupt::received() {
                        // Its testee was killed under it: whatever it says is not the IUT's.
                        result.verdict = crate::report::result::Verdict::Error;
                        result.failures.clear();
                        result.notes = vec![format!("interrupted by signal {signal}")];
                        held.push((i, result, Vec::new()));
                    } else {
                        held.push((i, result, pending));
                    }
                    // A result with nothing pending is final, but the latest, which takes
                    // what arrives at the end.
                    let latest = held.pop();
                    let (done, rest): (Vec<_>, Vec<_>) =
                        held.drain(..).partition(|(_, _, p)| p.is_empty());
                    held = rest;
                    held.extend(latest);
                    let mut send_failed = false;
                    for (i, r, _) in done {
                        if tx.send((i, r)).is_err() {
                            send_failed = true;
                            break;
                        }
                    }
                    if send_failed {
                        break;
                    }
                }
                // The end of the worker's run: the pending steps are settled with what arrived
                // for them by now, late answers included.
                let waiting: Vec<_> = held
                    .iter()
                    .flat_map(|(_, _, p)| engine::pending_messages(p))
                    .map(|(id, b)| (id, b.clone()))
                    .collect();
                let drained = match link.as_mut() {
                    Ok(l) if crate::interrupt::received().is_none() => {
                        let refs: Vec<_> = waiting.iter().map(|(id, b)| (*id, b)).collect();
                        l.drain(&refs)
                    }
                    _ => Default::default(),
                };
                let last = held.len().saturating_sub(1);
                for (n, (i, mut r, p)) in held.into_iter().enumerate() {
                    match (p.is_empty(), crate::interrupt::received()) {
                        (true, _) => {}
                        // Not drained: what it is waiting for cannot be judged, not even "ignored".
                        (false, Some(signal)) => {
                            r.verdict = crate::report::result::Verdict::Error;
                            r.failures.clear();
                            r.notes = vec![format!(
                                "interrupted by signal {signal} before the answers to its network deliveries were settled"
                            )];
                        }
                        (false, None) => {
                            engine::settle_pending(cases[i].1, opts.strict, &mut r, &p, &drained)
                        }
                    }
                    if n == last {
                        r.strays.extend(drained.strays.iter().cloned());
                    }
                    if tx.send((i, r)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (i, result) in rx {
            on_result(&result);
            results[i] = Some(result);
        }
    });
    let interrupted = crate::interrupt::received();
    Run {
        profile: profile.clone(),
        results: results.into_iter().flatten().collect(),
        wall: started.elapsed(),
        partial: !opts.filters.is_empty()
            || opts.case.is_some()
            || opts.partition.is_some()
            || interrupted.is_some()
            || give_up.load(Ordering::SeqCst),
        interrupted,
        aborted: aborted.into_inner().ok().flatten(),
        selection: crate::report::result::Selection {
            partition: opts
                .partition
                .map(|(k, n)| crate::report::result::Partition { k, n }),
            filters: opts.filters.clone(),
            case: opts.case.clone(),
            cases: cases.iter().map(|(_, c)| c.id.clone()).collect(),
        },
    }
}
