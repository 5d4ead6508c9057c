//! SIGINT and SIGTERM (a user's ^C, a CI job cancelled): the run stops taking cases, every testee's
//! process group is killed at once, and the reports are written, marked as interrupted. The handler
//! only stores the signal (all a signal handler may do); a watcher thread does the killing.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// The process groups of the testees alive now.
static GROUPS: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());

extern "C" fn on_signal(signal: libc::c_int) {
    // A second signal: the user means it. Exit at once (the first already had the testees
    // killed); _exit is async-signal-safe, unlike anything that writes a report.
    if SIGNAL.swap(signal, Ordering::SeqCst) != 0 {
        // SAFETY: _exit is async-signal-safe and takes a plain integer.
        unsafe { libc::_exit(128 + signal) }
    }
}

/// How long one wait of the harness blocks before it looks for a signal again: after the first
/// signal a run stops within about this (and a second of its own for the reports).
pub const SLICE: Duration = Duration::from_millis(100);

/// Waits up to `wait` for `next` (given the part of the wait to block for), in slices of
/// [`SLICE`], giving up as soon as a signal has come.
pub fn wait_for<T>(wait: Duration, mut next: impl FnMut(Duration) -> Option<T>) -> Option<T> {
    let deadline = std::time::Instant::now() + wait;
    loop {
        if received().is_some() {
            return None;
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if let Some(t) = next(left.min(SLICE)) {
            return Some(t);
        }
        if left <= SLICE {
            return None;
        }
    }
}

/// Installs the handlers and the watcher. Called once, by the commands that run testees.
pub fn install() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: `on_signal` only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
    std::thread::spawn(|| {
        while SIGNAL.load(Ordering::SeqCst) == 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
        kill_all();
    });
}

/// The signal received, if any.
pub fn received() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// The exit status of a run a signal ended: 128 + the signal, as a shell reports it.
pub fn exit_code(signal: i32) -> u8 {
    u8::try_from(128 + signal).unwrap_or(130)
}

pub(crate) fn register(group: u32) {
    if let Ok(mut g) = GROUPS.lock() {
        g.insert(group);
    }
}

pub(crate) fn unregister(group: u32) {
    if let Ok(mut g) = GROUPS.lock() {
        g.remove(&group);
    }
}

/// Kills every live testee's process group.
pub fn kill_all() {
    let groups: Vec<u32> = GROUPS
        .lock()
        .map(|g| g.iter().copied().collect())
        .unwrap_or_default();
    for g in groups {
        kill_group_id(g);
    }
}

/// SIGKILL to a whole process group.
pub(crate) fn kill_group_id(group: u32) {
    if let Ok(pgid) = libc::pid_t::try_from(group) {
        // SAFETY: killpg takes plain integers; a group that is gone gives ESRCH, nothing more.
        unsafe {
            libc::killpg(pgid, libc::SIGKILL);
        }
    }
}
