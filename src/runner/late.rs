//! Steps of a case that the end of the run settles: a network delivery for which no session had
//! arrived when the sentinel's did. The engine returns them with the case ([`run_case_pending`]);
//! the pool settles them with what its link drained, late answers included.
//!
//! [`run_case_pending`]: super::engine::run_case_pending

use super::engine::{exchange, judge_delivery, judge_levels, set_verdict};
use super::link::{Drained, Ticket};
use crate::report::result::{CaseResult, Failure};
use crate::suite::message::Built;
use crate::suite::{Ambiguity, Case, Expect};
use crate::testee::Response;

/// A step of a case whose outcome the end of the run settles: a network delivery for which no
/// session had arrived when the sentinel's did. An answer that comes later lands on it.
#[derive(Debug, Clone)]
pub enum Pending {
    Deliver {
        step: usize,
        /// The send of the message.
        ticket: Ticket,
        built: Built,
        expect: Expect,
        ambiguous: Option<Ambiguity>,
        /// The profile declares how its IUT reads the ambiguity.
        declared: bool,
        /// The answer as it stood (ignored), and where the case recorded it.
        provisional: Box<Response>,
        exchange: usize,
    },
    /// Generated variants, each to be ignored.
    Batch {
        step: usize,
        variants: Vec<Built>,
        /// The variants answered at once, (index, answer).
        accepted: Vec<(usize, Response)>,
        /// The variants with no answer yet, (index, send).
        waiting: Vec<(usize, Ticket)>,
        class: String,
    },
}

/// The messages `pending` waits for, as a link's drain takes them.
pub fn pending_messages(pending: &[Pending]) -> Vec<(Ticket, &Built)> {
    pending
        .iter()
        .flat_map(|p| match p {
            Pending::Deliver { ticket, built, .. } => vec![(*ticket, built)],
            Pending::Batch {
                variants, waiting, ..
            } => waiting
                .iter()
                .filter_map(|(i, t)| Some((*t, variants.get(*i)?)))
                .collect(),
        })
        .collect()
}

/// Settles a case's pending steps with what arrived by the end of the run: each is judged as it
/// would have been had its answer come at once, and the case's verdict follows.
pub fn settle_pending(
    case: &Case,
    strict: bool,
    result: &mut CaseResult,
    pending: &[Pending],
    drained: &Drained,
) {
    let target = case.scrs.first().cloned().unwrap_or_default();
    // Judged here: what the pending steps find (the case's other failures are judged already).
    let judged_before = result.failures.len();
    for p in pending {
        match p {
            Pending::Deliver {
                step,
                ticket,
                built,
                expect,
                ambiguous,
                declared,
                provisional,
                exchange,
            } => {
                let r = drained.sessions.get(ticket).unwrap_or(provisional);
                if let Some(e) = result.exchanges.get_mut(*exchange) {
                    e.response = serde_json::to_string(r).unwrap_or_default();
                }
                let judged = judge_delivery(r, built, expect, *ambiguous, *declared, &target);
                judged.merge_into(result, *step);
            }
            Pending::Batch {
                step,
                variants,
                accepted,
                waiting,
                class,
            } => {
                let mut accepted = accepted.clone();
                accepted.extend(
                    waiting
                        .iter()
                        .filter_map(|(i, t)| Some((*i, drained.sessions.get(t)?.clone()))),
                );
                accepted.sort_by_key(|(i, _)| *i);
                if let Some(f) = batch_failure(&accepted, variants, class, &target) {
                    if let Some((first, r)) = accepted.first() {
                        if let Some(v) = variants.get(*first) {
                            result.exchanges.push(exchange(
                                *step,
                                "deliver",
                                Some(v.format.content_type()),
                                Some(&v.bytes),
                                Some(v.format),
                                r,
                                Some(&crate::explain::Keys::default()),
                            ));
                        }
                    }
                    result.failures.push(f.at_step(*step));
                }
            }
        }
    }
    let new = result.failures.split_off(judged_before);
    judge_levels(case, strict, new, result);
    set_verdict(result);
}

/// The failure of a generated batch some of whose variants started a session.
pub(super) fn batch_failure(
    accepted: &[(usize, Response)],
    variants: &[Built],
    class: &str,
    target: &str,
) -> Option<Failure> {
    let (first, _) = accepted.first()?;
    Some(Failure::new(
        target,
        "every variant to be ignored",
        format!(
            "{} of {} generated {class} variants were not ignored (first: variant {first})",
            accepted.len(),
            variants.len(),
        ),
    ))
}
