//! The session ids of a run over the network: fresh across the whole run, so that an answer that
//! comes late lands on its own message (the arrival ledger matches by SESSIONID).

use crate::codec::{Format, SessionId};
use crate::suite::message::Built;
use crate::suite::{Action, Suite};
use std::sync::atomic::{AtomicU16, Ordering};

/// The session ids of a whole run: each fresh id once (until all 65,535 are spent), none that a
/// suite names explicitly or a generated variant already carries (those messages are the cases'
/// own), never 0.
#[derive(Debug)]
pub struct RunIds {
    next: AtomicU16,
    /// One bit per id: issued, or a message's own.
    taken: Vec<std::sync::atomic::AtomicU64>,
}

impl RunIds {
    /// Ids from `start` on, skipping every SESSIONID the suites name.
    pub fn new(start: u16, suites: &[Suite]) -> RunIds {
        let ids = RunIds {
            next: AtomicU16::new(start),
            taken: (0..1024)
                .map(|_| std::sync::atomic::AtomicU64::new(0))
                .collect(),
        };
        for message in suites
            .iter()
            .flat_map(|s| &s.cases)
            .flat_map(|c| &c.steps)
            .filter_map(|st| match &st.action {
                Action::Deliver { message, .. } => Some(message),
                _ => None,
            })
        {
            // A SESSIONID fixed by the suite: named, or inside a message given as it is.
            let fixed = message.session_id.or_else(|| {
                let (format, bytes) = match (&message.hex, &message.from_vector) {
                    (Some(hex), _) => (
                        message.format.unwrap_or(Format::V13),
                        crate::codec::parse_hex(hex).ok()?,
                    ),
                    (None, Some(v)) => crate::vectors::find(v)?,
                    (None, None) => return None,
                };
                Built { bytes, format }.wire_session_id()
            });
            if let Some(id) = fixed {
                ids.claim(id);
            }
        }
        ids
    }

    /// Marks `id` taken; whether it was free.
    pub fn claim(&self, id: u16) -> bool {
        let bit = 1u64 << (id % 64);
        self.taken[usize::from(id / 64)].fetch_or(bit, Ordering::Relaxed) & bit == 0
    }

    /// The next free id. None reads the same byte-swapped (`SessionId::same_either_way`): which
    /// case got such an id would depend on which worker asked first, and a byte-order defect
    /// would show on some runs and not others.
    pub fn next(&self) -> u16 {
        // Once every id is spent, ids come round again.
        for _ in 0..=u16::MAX {
            let id = self.next.fetch_add(1, Ordering::Relaxed);
            if id != 0 && !SessionId::same_either_way(id) && self.claim(id) {
                return id;
            }
        }
        loop {
            let id = self.next.fetch_add(1, Ordering::Relaxed);
            if id != 0 {
                return id;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From 0x0A01 on, the ids skip 0x0A0A, 0x0B0B...: none reads the same byte-swapped.
    #[test]
    fn no_id_reads_the_same_byte_swapped() {
        let ids = RunIds::new(0x0A01, &[]);
        let given: Vec<u16> = (0..600).map(|_| ids.next()).collect();
        assert!(given.iter().all(|id| !SessionId::same_either_way(*id)));
        assert!(!given.contains(&0x0A0A) && given.contains(&0x0A0B));
        assert!(SessionId::same_either_way(0x0A0A) && !SessionId::same_either_way(0x0A01));
    }
}
