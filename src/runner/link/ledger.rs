//! The arrival ledger of a network link, client role: every message the link sends is entered
//! with its SESSIONID, and every Package #1 that reaches the mock DM server is matched to the
//! message it answers, whenever it comes. Nothing here reads a clock or a socket: the link passes
//! in when it sent and the server stamps when a Package #1 arrived.
//!
//! A Package #1 is matched by every reading a real client produces of the SESSIONID it answers
//! (6.4.8 asks for upper-case hex without leading zeros): hex in either case and with leading
//! zeros, decimal, and the 16-bit byte swap. Matching only finds the message; the SessionID is
//! then judged strictly, as over stdio. One that answers no message sent is a stray: recorded and
//! reported, never dropped.

use crate::adapter::dm_server::Posted;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

/// How a client spelled the SESSIONID it answers (6.4.8 asks for [`Spelling::Hex`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// Hex, in either case, with or without leading zeros.
    Hex,
    Decimal,
    /// Hex of the value with its two bytes swapped (a little-endian read).
    ByteSwap,
    /// Hex of the low byte sign-extended (0x0080 read as a signed byte: FF80).
    SignExtended,
}

impl Spelling {
    const ALL: [Spelling; 4] = [
        Spelling::Hex,
        Spelling::Decimal,
        Spelling::ByteSwap,
        Spelling::SignExtended,
    ];
}

/// The SESSIONIDs a SessionID text may answer, most literal reading first: hex (any case, any
/// leading zeros), decimal, hex with its two bytes swapped. (A sign-extended low byte, FF85 for
/// 0x0A85, names only the low byte: [`Ledger::enter`] looks for a send that has it.)
pub fn readings(text: &str) -> Vec<(u16, Spelling)> {
    let text = text.trim();
    let mut out = Vec::new();
    let hex = u16::from_str_radix(text, 16).ok();
    if let Some(v) = hex {
        out.push((v, Spelling::Hex));
    }
    if let Ok(v) = text.parse::<u16>() {
        out.push((v, Spelling::Decimal));
    }
    if let Some(v) = hex {
        out.push((v.swap_bytes(), Spelling::ByteSwap));
    }
    let mut seen = BTreeSet::new();
    out.retain(|(v, _)| seen.insert(*v));
    out
}

/// One message sent: answers are matched to sends, not to SESSIONIDs, so that two sends of one
/// message (a duplicate) each get their own answer, or none.
pub type Ticket = u64;

/// What a Package #1 that arrived turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entered {
    /// It answers this send.
    Answers(Ticket),
    /// It cannot be read: the link's problem to report.
    Unreadable(crate::adapter::dm_server::Unread),
    /// It answers no message sent (or one already answered): a stray, recorded.
    Stray,
}

/// One send waiting for its answer.
#[derive(Debug, Clone)]
struct Send {
    ticket: Ticket,
    /// The case it belongs to.
    generation: u64,
    at: Instant,
    /// The Server-ID it names: the DM server its answer goes to.
    server: Option<String>,
}

#[derive(Debug, Default)]
pub struct Ledger {
    /// Sends not answered yet, by SESSIONID, oldest first.
    outstanding: BTreeMap<u16, VecDeque<Send>>,
    /// Answers not claimed yet.
    answered: BTreeMap<Ticket, Posted>,
    /// Every SESSIONID answered so far, to name a second answer as such.
    ever_answered: BTreeSet<u16>,
    /// Strays not reported yet.
    strays: Vec<String>,
    /// The longest round trip seen, message sent to its Package #1 arrived.
    slowest: Duration,
    next_ticket: Ticket,
    /// Which case the sends belong to (the IUT is provisioned anew for each).
    generation: u64,
    /// How often each spelling was the only reading that answered a send: a client spells one
    /// way, so a text two sends could be read as goes to the send of the client's spelling.
    spellings: [u32; 4],
}

impl Ledger {
    /// Whether a send of this SESSIONID from an earlier case is still unanswered (sending it
    /// again would make its answer ambiguous).
    pub fn open_from_earlier_case(&self, id: u16) -> bool {
        self.outstanding
            .get(&id)
            .is_some_and(|q| q.iter().any(|s| s.generation != self.generation))
    }

    /// Retires the unanswered sends of this SESSIONID from earlier cases.
    pub fn retire(&mut self, id: u16) {
        let generation = self.generation;
        if let Some(q) = self.outstanding.get_mut(&id) {
            q.retain(|s| s.generation == generation);
        }
    }

    /// A new case begins: a SESSIONID sent again from now on is this case's message, and an
    /// answer to it is this case's (an earlier case's send of that id, still unanswered, is
    /// retired: it gets only an answer that has come already).
    pub fn new_case(&mut self) {
        self.generation += 1;
    }

    /// A message with this SESSIONID, naming this Server-ID, went out at `at`.
    pub fn sent(&mut self, id: u16, server: Option<String>, at: Instant) -> Ticket {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        let generation = self.generation;
        let queue = self.outstanding.entry(id).or_default();
        queue.retain(|s| s.generation == generation);
        queue.push_back(Send {
            ticket,
            generation,
            at,
            server,
        });
        ticket
    }

    /// A Package #1 arrived: it answers the oldest unanswered send of a reading of its SessionID
    /// (the only one that has a send, or the client's usual spelling among several).
    pub fn enter(&mut self, posted: Posted) -> Entered {
        let text = match &posted.package1 {
            Ok(p1) => p1.session_id.clone().unwrap_or_default(),
            Err(e) => return Entered::Unreadable(e.clone()),
        };
        let readings = readings(&text);
        let is_open = |id: &u16| self.outstanding.get(id).is_some_and(|q| !q.is_empty());
        let mut open: Vec<(u16, Spelling)> = readings
            .iter()
            .copied()
            .filter(|(id, _)| is_open(id))
            .collect();
        // FFxx with bit 7 of xx set: the low byte of a send, its high byte lost to sign extension
        // (a send of this case's is preferred below; a late answer may be an earlier case's).
        let generation = self.generation;
        if let Some(v) = u16::from_str_radix(text.trim(), 16)
            .ok()
            .filter(|v| v >> 7 == 0x1FF)
        {
            open.extend(
                self.outstanding
                    .iter()
                    .filter(|(id, q)| *id & 0xFF == v & 0xFF && **id != v && !q.is_empty())
                    .map(|(id, _)| (*id, Spelling::SignExtended)),
            );
        }
        let kind = |s: Spelling| Spelling::ALL.iter().position(|k| *k == s).unwrap_or(0);
        // One reading answers a send: it is taken, and teaches the client's spelling. Several:
        // the one the client has spelled most, then a send of this case's over an earlier one,
        // then the most literal.
        let current = |id: u16| {
            self.outstanding
                .get(&id)
                .and_then(|q| q.front())
                .is_some_and(|s| s.generation == generation)
        };
        let chosen = match open.as_slice() {
            [] => None,
            [one] => {
                self.spellings[kind(one.1)] += 1;
                Some(one.0)
            }
            many => many
                .iter()
                .rev()
                .max_by_key(|(id, s)| (self.spellings[kind(*s)], current(*id)))
                .map(|(id, _)| *id),
        };
        // Of the sends of that SESSIONID, the oldest to the DM server the client connected to
        // (two servers may send one SESSIONID).
        let send = chosen.and_then(|id| {
            let queue = self.outstanding.get_mut(&id)?;
            let at = queue
                .iter()
                .position(|s| s.server.is_some() && s.server == posted.server_id)
                .unwrap_or(0);
            Some((id, queue.remove(at)?))
        });
        if let Some((id, send)) = send {
            self.slowest = self
                .slowest
                .max(posted.at.saturating_duration_since(send.at));
            self.ever_answered.insert(id);
            self.answered.insert(send.ticket, posted);
            return Entered::Answers(send.ticket);
        }
        let to = posted
            .server_id
            .as_deref()
            .map_or_else(|| "an unknown path".to_owned(), |s| format!("{s:?}"));
        self.strays.push(
            match readings
                .iter()
                .map(|(id, _)| id)
                .find(|id| self.ever_answered.contains(id))
            {
                Some(id) => format!(
                    "a second Package #1 (SessionID {text:?}, to {to}) for the message with SESSIONID 0x{id:04X}, already answered"
                ),
                None => format!(
                    "a Package #1 (SessionID {text:?}, to {to}) that answers no message the harness sent"
                ),
            },
        );
        Entered::Stray
    }

    /// Whether this send has been answered (and the answer not claimed).
    pub fn is_answered(&self, ticket: Ticket) -> bool {
        self.answered.contains_key(&ticket)
    }

    /// The answer to this send, claimed.
    pub fn take(&mut self, ticket: Ticket) -> Option<Posted> {
        self.answered.remove(&ticket)
    }

    /// The strays since the last call.
    pub fn take_strays(&mut self) -> Vec<String> {
        std::mem::take(&mut self.strays)
    }

    /// Sends not answered yet.
    pub fn outstanding(&self) -> usize {
        self.outstanding.values().map(VecDeque::len).sum()
    }

    /// The longest round trip measured so far.
    pub fn slowest(&self) -> Duration {
        self.slowest
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package1::Package1;

    fn posted(session_id: &str, at: Instant) -> Posted {
        Posted {
            server_id: Some("com.example.dm".into()),
            body: Vec::new(),
            package1: Ok(Package1 {
                session_id: Some(session_id.into()),
                ..Package1::default()
            }),
            at,
        }
    }

    #[rstest::rstest]
    #[case::upper("A01", 0x0A01)]
    #[case::lower("a01", 0x0A01)]
    #[case::padded("0A01", 0x0A01)]
    #[case::decimal("2561", 0x0A01)]
    #[case::byte_swapped("10A", 0x0A01)]
    #[case::byte_swapped_padded("010a", 0x0A01)]
    #[case::sign_extended("FF80", 0x0080)]
    #[case::sign_extended_high_byte_lost("FF85", 0x0A85)]
    fn every_reading_of_a_session_id_finds_its_message(#[case] text: &str, #[case] id: u16) {
        let t = Instant::now();
        let mut l = Ledger::default();
        let ticket = l.sent(id, None, t);
        l.sent(0x0B77, None, t);
        assert_eq!(l.enter(posted(text, t)), Entered::Answers(ticket));
        assert!(l.is_answered(ticket));
        assert_eq!(
            l.take(ticket)
                .unwrap()
                .package1
                .unwrap()
                .session_id
                .as_deref(),
            Some(text)
        );
        assert_eq!(l.outstanding(), 1);
        assert!(l.take_strays().is_empty());
    }

    /// The literal reading wins: "1234" is 0x1234 when both 0x1234 and 1234 were sent.
    #[test]
    fn the_most_literal_reading_wins() {
        let t = Instant::now();
        let mut l = Ledger::default();
        let decimal = l.sent(1234, None, t);
        let hex = l.sent(0x1234, None, t);
        assert_eq!(l.enter(posted("1234", t)), Entered::Answers(hex));
        assert_eq!(l.enter(posted("1234", t)), Entered::Answers(decimal));
    }

    /// A text two sends could be read as (a decimal "2600" is also hex 0x2600) goes to the send of
    /// the spelling the client has shown.
    #[test]
    fn an_ambiguous_text_goes_to_the_clients_spelling() {
        let t = Instant::now();
        let mut l = Ledger::default();
        let first = l.sent(0x0A01, None, t);
        assert_eq!(l.enter(posted("2561", t)), Entered::Answers(first));
        let hex = l.sent(0x2600, None, t);
        let decimal = l.sent(2600, None, t);
        assert_eq!(l.enter(posted("2600", t)), Entered::Answers(decimal));
        assert!(!l.is_answered(hex));
        // A client that spells hex keeps the literal reading.
        let mut l = Ledger::default();
        let hex = l.sent(0x2600, None, t);
        let decimal = l.sent(2600, None, t);
        assert_eq!(l.enter(posted("2600", t)), Entered::Answers(hex));
        assert!(!l.is_answered(decimal));
    }

    /// An answer to nothing, and a second answer to one message, are strays named as such; a
    /// late answer lands on its own message whenever it comes.
    #[test]
    fn strays_are_kept_and_late_answers_land_on_their_message() {
        let t = Instant::now();
        let mut l = Ledger::default();
        let first = l.sent(0x0A01, None, t);
        let second = l.sent(0x0A02, None, t);
        assert_eq!(l.enter(posted("FFF", t)), Entered::Stray);
        assert_eq!(
            l.enter(posted("A02", t + Duration::from_millis(5))),
            Entered::Answers(second)
        );
        assert_eq!(l.enter(posted("A02", t)), Entered::Stray);
        let strays = l.take_strays();
        assert_eq!(strays.len(), 2, "{strays:?}");
        assert!(strays[0].contains("answers no message"), "{}", strays[0]);
        assert!(strays[1].contains("a second Package #1"), "{}", strays[1]);
        // 0x0A01's answer comes after 0x0A02's (and after anything else): still its own.
        assert_eq!(
            l.enter(posted("A01", t + Duration::from_millis(300))),
            Entered::Answers(first)
        );
        assert_eq!(l.slowest(), Duration::from_millis(300));
        assert!(l.take_strays().is_empty());
    }

    /// A sign-extended answer names only a low byte: a send of this case that has it is taken
    /// first; with none, an earlier case's (a late answer).
    #[test]
    fn a_sign_extended_answer_prefers_this_case_and_else_lands_late() {
        let t = Instant::now();
        let mut l = Ledger::default();
        l.new_case();
        let earlier = l.sent(0x0B85, None, t);
        l.new_case();
        let current = l.sent(0x0C85, None, t);
        assert_eq!(l.enter(posted("FF85", t)), Entered::Answers(current));
        assert_eq!(l.enter(posted("FF85", t)), Entered::Answers(earlier));
    }

    /// One SESSIONID from two servers: each answer goes to the send of the server it connected to,
    /// whichever comes first.
    #[test]
    fn one_session_id_from_two_servers_is_told_apart_by_the_server() {
        let t = Instant::now();
        let mut l = Ledger::default();
        let a = l.sent(0x0A01, Some("a.example".into()), t);
        let b = l.sent(0x0A01, Some("com.example.dm".into()), t);
        assert_eq!(l.enter(posted("A01", t)), Entered::Answers(b));
        assert!(!l.is_answered(a));
    }

    /// One message sent twice in a case (a duplicate): the first answer is the first send's, a
    /// second the second's. Sent again in a later case, an id is that case's: the earlier case's
    /// unanswered send of it is retired.
    #[test]
    fn duplicates_are_answered_in_order_and_a_new_case_takes_its_ids() {
        let t = Instant::now();
        let mut l = Ledger::default();
        l.new_case();
        let first = l.sent(0x0ABC, None, t);
        let again = l.sent(0x0ABC, None, t);
        assert_eq!(l.enter(posted("ABC", t)), Entered::Answers(first));
        assert!(!l.is_answered(again));
        l.new_case();
        let later = l.sent(0x0ABC, None, t);
        assert_eq!(l.enter(posted("ABC", t)), Entered::Answers(later));
        assert!(!l.is_answered(again));
        assert!(l.is_answered(first));
    }

    proptest::proptest! {
        /// Whatever text a client writes, reading it never panics, and the upper-case hex of an
        /// id always reads as that id first.
        #[test]
        fn readings_never_panic(text in ".{0,12}", id in 1u16..) {
            let _ = readings(&text);
            proptest::prop_assert_eq!(readings(&format!("{id:X}"))[0], (id, Spelling::Hex));
        }
    }
}
