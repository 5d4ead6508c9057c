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
    SIGNAL.store(signal, Ordering::SeqCst);
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
