//! The network link (7.1 connectionless WAP push over UDP and over SMS, 7.2 OBEX, 7.3 SIP push,
//! 7.4 OTA-HTTP push):
//! messages go to a client as a device meets them, and the client's answer is the Package #1 it
//! posts to the mock DM server; a server's notifications arrive at the harness playing the device.
//! Over SIP the harness is the SIP/IP core as well: the client registers with its registrar, and
//! each MESSAGE goes to the contact registered (or through a real core's outbound proxy). The IUT may have
//! a control channel (a [`Control`], used for provisioning and for asking a server to notify) or
//! none (a device provisioned by hand; a server made to notify by a trigger command).
//!
//! "Ignored" is not proven by waiting out a timeout, nor by a grace period: after each message the
//! link sends the valid sentinel the engine gave it, and every Package #1 goes into the
//! [`Ledger`], matched to the message it answers whenever it comes. Once the sentinel's session
//! has arrived, a message with its own is a session; one without is *pending*, and the end of the
//! run ([`Link::drain`]) settles it, when a late answer has landed on it.
//!
//! The sockets are behind [`Wire`] (the real one is [`super::sockets`]), so that the sentinel and
//! ledger logic can be tested over a simulated one; what reached the harness as the device is read
//! by [`super::arrival`].

use super::ledger::{Entered, Ledger, Ticket};
pub use super::transport::Sockets;
use super::{
    Batch, Broken, ClockSet, Control, Delivered, Delivery, Drained, IutError, Link, Notified,
    Problem, Provisioned, Sentinels, SetupError, TransportProfile,
};
use crate::adapter::device::Arrival;
use crate::adapter::dm_server::Posted;
use crate::adapter::http::Answer;
use crate::codec::Format;
use crate::codec::sip::SipTransport;
use crate::profile::Profile;
use crate::suite::Framing;
use crate::suite::message::Built;
use crate::testee::{Account, NotifyRequest, Op, Outcome, Response, Session};
use std::fmt;
use std::time::{Duration, Instant};

/// How the transport answered a push, where it answers (UDP does not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answered {
    /// The OTA-HTTP push's status.
    Http(u16),
    /// The MESSAGE's final response.
    Sip {
        code: u16,
        reason: String,
        over: SipTransport,
    },
    /// No final response to the MESSAGE (nothing listens, or the deadline passed).
    SipNone { over: SipTransport, why: String },
    /// The OBEX response codes to CONNECT and to the PUT's last packet (0: not reached).
    Obex {
        connect: u8,
        put: u8,
        packets: usize,
    },
    /// The SMSC took the submit_sm of every segment.
    Smpp { segments: usize },
    /// The PPG's HTTP status and PAP response-result code.
    Pap { status: u16, code: Option<u16> },
}

impl From<&Answer> for Answered {
    fn from(a: &Answer) -> Self {
        Answered::Http(a.status)
    }
}

impl fmt::Display for Answered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answered::Http(status) => write!(f, "the push was answered {status}"),
            Answered::Sip { code, reason, over } => {
                write!(
                    f,
                    "the MESSAGE over {} was answered {code} {reason}",
                    over.as_str()
                )
            }
            Answered::SipNone { over, why } => {
                write!(
                    f,
                    "the MESSAGE over {} got no final response: {why}",
                    over.as_str()
                )
            }
            Answered::Obex {
                connect, put: 0, ..
            } => {
                write!(f, "the OBEX CONNECT was answered 0x{connect:02X}")
            }
            Answered::Obex { put, packets, .. } => {
                write!(
                    f,
                    "the OBEX PUT ({packets} packets) was answered 0x{put:02X}"
                )
            }
            Answered::Smpp { segments } => write!(f, "the SMSC took the {segments} segment(s)"),
            Answered::Pap { status, code } => write!(
                f,
                "the PPG answered HTTP {status}, PAP response-result {}",
                code.map_or_else(|| "absent".to_owned(), |c| c.to_string())
            ),
        }
    }
}

/// The least the end of a run waits for late answers, however fast the link's round trips were:
/// a margin for the scheduler on an idle machine, not the measure (that is four of the slowest
/// round trips, which a loaded machine or a slow device lengthens: `cargo bench --bench loaded`).
const MIN_DRAIN: Duration = Duration::from_millis(20);

/// The sockets of a network link.
pub trait Wire {
    /// Client role: where the client takes pushes, from its hello, unless the profile named one.
    fn learn(&mut self, hello_address: Option<&str>) -> Result<(), Broken>;

    /// Client role: pushes one message; the transport's answer, where it has one.
    fn push(
        &mut self,
        message: &Built,
        content_type: Option<&str>,
        framing: Option<&Framing>,
    ) -> Result<Option<Answered>, Broken>;

    /// Client role: the SIP registrar the client is told to register with (SIP push only).
    fn registrar(&self) -> Option<String> {
        None
    }

    /// Client role: the SMSC the client is told to bind to (WAP push over SMS only).
    fn smsc(&self) -> Option<String> {
        None
    }

    /// Client role: what the wire saw wrong outside the pushes (the device's REGISTER breaking
    /// 7.3); the engine decides which cases it concerns.
    fn problems(&mut self) -> Vec<Problem> {
        Vec::new()
    }

    /// Client role: the next Package #1 posted to the mock DM server within `wait`.
    fn next_post(&mut self, wait: Duration) -> Option<Posted>;

    /// Client role: the URI the mock DM server takes an account's sessions at.
    fn server_uri(&self, server_id: &str) -> Option<String>;

    /// Client role: a batch of messages pushed in no framing of their own, their answers not
    /// looked at.
    fn push_batch(&mut self, messages: &[Built]) -> Result<(), Broken> {
        for m in messages {
            self.push(m, None, None)?;
        }
        Ok(())
    }

    /// Server role: the device address a server is to notify, with nothing pending there.
    fn device(&mut self) -> Result<String, Broken>;

    /// Server role: the next thing that reached the device within `wait`.
    fn next_arrival(&mut self, wait: Duration) -> Option<Arrival>;
}

pub struct NetLink<C, W> {
    control: Option<C>,
    wire: Option<W>,
    start: Box<dyn FnMut() -> Result<W, Broken>>,
    transport: TransportProfile,
    /// A command that makes a server without a control channel notify.
    trigger: Option<String>,
    timeout: Duration,
    /// Client role: every message sent and every Package #1 that answered one.
    ledger: Ledger,
    /// Client role: the sentinel the IUT answers, 0 (1.3) or 1 (1.2), and whether it has.
    sentinel_format: usize,
    sentinel_answered: bool,
}

impl<C: Control, W: Wire> NetLink<C, W> {
    /// `start` brings the wire up when the link is first used.
    pub fn new(
        control: Option<C>,
        start: Box<dyn FnMut() -> Result<W, Broken>>,
        profile: &Profile,
        timeout: Duration,
    ) -> Self {
        NetLink {
            control,
            wire: None,
            start,
            transport: profile.adapter,
            trigger: profile.trigger.clone(),
            timeout,
            ledger: Ledger::default(),
            sentinel_format: 0,
            sentinel_answered: false,
        }
    }

    /// The wire, started (and told the IUT's address) when it is not yet.
    fn wire(&mut self) -> Result<&mut W, Broken> {
        let hello = match self.control.as_mut() {
            Some(c) => c.ensure()?,
            None => None,
        };
        if self.wire.is_none() {
            let mut w = (self.start)()?;
            w.learn(None)?;
            self.wire = Some(w);
        }
        let w = self
            .wire
            .as_mut()
            .ok_or(SetupError::NotRunning("network adapter"))?;
        if let Some(h) = hello {
            w.learn(h.address.as_deref())?;
        }
        Ok(w)
    }

    /// Enters in the ledger every Package #1 that arrives until the sentinel's (the send
    /// `sentinel`) has; the strays among them.
    fn await_sentinel(
        &mut self,
        sentinel: Option<Ticket>,
        problems: &mut Vec<Problem>,
    ) -> Result<Vec<String>, Broken> {
        let Some(sentinel) = sentinel else {
            return Err(SetupError::NoSentinel.into());
        };
        let timeout = self.timeout;
        self.wire()?;
        let wire = self
            .wire
            .as_mut()
            .ok_or(SetupError::NotRunning("network adapter"))?;
        let deadline = Instant::now() + timeout;
        let mut arrived = 0;
        while !self.ledger.is_answered(sentinel) {
            let left = deadline.saturating_duration_since(Instant::now());
            let Some(p) = (!left.is_zero()).then(|| wire.next_post(left)).flatten() else {
                break;
            };
            arrived += 1;
            if let Entered::Unreadable(e) = self.ledger.enter(p) {
                problems.push(Problem::UnreadablePackage1(e));
            }
        }
        problems.extend(wire.problems());
        let strays = self.ledger.take_strays();
        if self.ledger.take(sentinel).is_none() {
            return Err(match strays.first() {
                // "Stopped answering" only when nothing at all came.
                None if arrived == 0 => IutError::SentinelLost(timeout),
                first => IutError::SentinelUnanswered {
                    waited: timeout,
                    arrived,
                    first: first.cloned().unwrap_or_default(),
                },
            }
            .into());
        }
        Ok(strays)
    }

    /// Sends a message, entering its SESSIONID in the ledger first (its answer cannot come
    /// before it is sent): the send's ticket (none for a message too short to have a SESSIONID),
    /// and the transport's answer.
    fn send(
        &mut self,
        message: &Built,
        content_type: Option<&str>,
        framing: Option<&Framing>,
    ) -> Result<(Option<Ticket>, Option<Answered>), Broken> {
        let ticket = self.ticket(message);
        Ok((ticket, self.wire()?.push(message, content_type, framing)?))
    }

    /// The ticket of a message about to be sent (none when it has no SESSIONID to answer by),
    /// once any answer still on its way to an earlier case's send of its SESSIONID has landed.
    fn ticket(&mut self, message: &Built) -> Option<Ticket> {
        if let Some(id) = message.wire_session_id() {
            if self.ledger.open_from_earlier_case(id) {
                self.settle_earlier(id);
            }
        }
        message
            .wire_session_id()
            .map(|id| self.ledger.sent(id, message.server_id(), Instant::now()))
    }

    /// An earlier case sent this SESSIONID and has no answer yet: before it is sent again, any
    /// answer still on its way is let land there (as long as the link's round trips say one may
    /// come), so that it is not taken for the new send's.
    fn settle_earlier(&mut self, id: u16) {
        let quiet = self.drain_quiet();
        let deadline = Instant::now() + quiet;
        if let Some(wire) = self.wire.as_mut() {
            while self.ledger.open_from_earlier_case(id) {
                let left = deadline.saturating_duration_since(Instant::now());
                let Some(p) = (!left.is_zero()).then(|| wire.next_post(left)).flatten() else {
                    break;
                };
                let _ = self.ledger.enter(p);
            }
        }
        self.ledger.retire(id);
    }

    /// How long answers may still come after the last one: four of the slowest round trips
    /// measured (at least [`MIN_DRAIN`], at most the step timeout).
    fn drain_quiet(&self) -> Duration {
        (self.ledger.slowest() * 4).max(MIN_DRAIN).min(self.timeout)
    }

    /// Sends the sentinel the IUT answers and waits for its session; if none comes from an IUT
    /// that has answered none yet, the one of the other format (an IUT that answers only 1.2),
    /// which then stands for the run.
    fn prove_alive(
        &mut self,
        sentinels: &Sentinels,
        problems: &mut Vec<Problem>,
    ) -> Result<Vec<String>, Broken> {
        let first = self.sentinel_format;
        let (ticket, _) = self.send(&sentinels[first], None, None)?;
        let lost = match self.await_sentinel(ticket, problems) {
            Ok(strays) => {
                self.sentinel_answered = true;
                return Ok(strays);
            }
            Err(Broken::Iut(e)) if !self.sentinel_answered => e,
            Err(e) => return Err(e),
        };
        let other = 1 - first;
        let (ticket, _) = self.send(&sentinels[other], None, None)?;
        match self.await_sentinel(ticket, problems) {
            Ok(strays) => {
                self.sentinel_format = other;
                self.sentinel_answered = true;
                Ok(strays)
            }
            Err(_) => Err(lost.into()),
        }
    }
}

fn sentinel_of(s: Option<&Sentinels>) -> Result<&Sentinels, Broken> {
    s.ok_or_else(|| SetupError::NoSentinel.into())
}

impl<C: Control, W: Wire> Link for NetLink<C, W> {
    fn transport(&self) -> TransportProfile {
        self.transport
    }

    fn shows_session_details(&self) -> bool {
        false
    }

    fn needs_sentinel(&self) -> bool {
        true
    }

    fn cannot_send(&self, framing: &Framing) -> Option<&'static str> {
        super::transport::kind(self.transport).and_then(|k| (k.carries)(framing).err())
    }

    fn transport_item(&self, role: crate::scr::Role) -> Option<crate::scr::ScrId> {
        super::transport::kind(self.transport).map(|k| k.item(role))
    }

    fn provision(
        &mut self,
        mut accounts: Vec<Account>,
        now: Option<u64>,
    ) -> Result<Provisioned, Broken> {
        // Every case starts by provisioning: what it sends from now on is its own.
        self.ledger.new_case();
        let wire = self.wire()?;
        // A network client connects back to the mock DM server.
        for a in &mut accounts {
            if let Some(uri) = wire.server_uri(&a.server_id) {
                a.server_uri = Some(uri);
            }
        }
        let attach = (wire.registrar(), wire.smsc());
        let Some(control) = self.control.as_mut() else {
            // A network IUT with no control channel is provisioned by hand.
            return Ok(Provisioned::ByHand);
        };
        super::stdio::provision(control, accounts, now, attach)
    }

    fn set_clock(&mut self, now: u64) -> Result<ClockSet, Broken> {
        match self.control.as_mut() {
            Some(c) => super::stdio::set_clock(c, now),
            None => Ok(ClockSet::ByHand),
        }
    }

    fn deliver(&mut self, d: Delivery<'_>) -> Result<Delivered, Broken> {
        let sentinel = sentinel_of(d.sentinel)?;
        let (ticket, answer) = self.send(d.message, d.content_type, d.framing)?;
        let mut problems = Vec::new();
        let strays = self.prove_alive(sentinel, &mut problems)?;
        let (response, pending) = match ticket.and_then(|t| self.ledger.take(t)) {
            Some(p) => (
                Response {
                    outcome: Some(Outcome::Session),
                    session: Some(session(&p, d.message)),
                    ..Response::default()
                },
                None,
            ),
            None => (
                Response {
                    outcome: Some(Outcome::Ignored),
                    reason: Some(match &answer {
                        Some(a) => format!("no session arrived for it by the end of the run; {a}"),
                        None => "no session arrived for it by the end of the run".into(),
                    }),
                    ..Response::default()
                },
                ticket,
            ),
        };
        Ok(Delivered {
            response,
            problems,
            pending,
            strays,
        })
    }

    fn deliver_batch(
        &mut self,
        variants: &[Built],
        sentinel: Option<&Sentinels>,
    ) -> Result<Batch, Broken> {
        let sentinel = sentinel_of(sentinel)?;
        let mut tickets = Vec::with_capacity(variants.len());
        for v in variants {
            tickets.push(self.ticket(v));
        }
        self.wire()?.push_batch(variants)?;
        let mut batch = Batch::default();
        batch.strays = self.prove_alive(sentinel, &mut batch.problems)?;
        for (index, (v, ticket)) in variants.iter().zip(tickets).enumerate() {
            let Some(ticket) = ticket else {
                continue;
            };
            match self.ledger.take(ticket) {
                Some(p) => batch.accepted.push((
                    index,
                    Response {
                        outcome: Some(Outcome::Session),
                        session: Some(session(&p, v)),
                        ..Response::default()
                    },
                )),
                None => batch.pending.push((index, ticket)),
            }
        }
        Ok(batch)
    }

    fn drain(&mut self, pending: &[(Ticket, &Built)]) -> Drained {
        let mut out = Drained::default();
        let Some(wire) = self.wire.as_mut().filter(|_| !pending.is_empty()) else {
            return out;
        };
        // Answers may still come as long as the link's own round trips say: four of the slowest
        // measured, from the last arrival; in all, at most one step timeout past that.
        let quiet = (self.ledger.slowest() * 4).max(MIN_DRAIN).min(self.timeout);
        let deadline = Instant::now() + self.timeout + quiet;
        while pending.iter().any(|(t, _)| !self.ledger.is_answered(*t)) {
            let left = deadline
                .saturating_duration_since(Instant::now())
                .min(quiet);
            let Some(p) = (!left.is_zero()).then(|| wire.next_post(left)).flatten() else {
                break;
            };
            let _ = self.ledger.enter(p);
        }
        for (ticket, built) in pending {
            if let Some(p) = self.ledger.take(*ticket) {
                out.sessions.insert(
                    *ticket,
                    Response {
                        outcome: Some(Outcome::Session),
                        session: Some(session(&p, built)),
                        reason: Some("its Package #1 arrived after the sentinel's".into()),
                        ..Response::default()
                    },
                );
            }
        }
        out.strays = self.ledger.take_strays();
        out
    }

    fn notify(&mut self, request: &NotifyRequest) -> Result<Notified, Broken> {
        let timeout = self.timeout;
        let device = self.wire()?.device()?;
        let mut request = request.clone();
        request.device = Some(device.clone());
        let mut said = None;
        if let Some(control) = self.control.as_mut() {
            let r = control.call(Op::Notify {
                request: request.clone(),
            })?;
            if r.ok == Some(false) || r.outcome != Some(Outcome::Notification) {
                return Ok(Notified::Refused {
                    error: r.error.clone().unwrap_or_default(),
                    response: r,
                });
            }
            said = r.session_id;
        } else if let Some(template) = &self.trigger {
            let json = serde_json::to_string(&request).unwrap_or_default();
            let server_id = request.server_id.as_deref().unwrap_or("");
            super::trigger::run(template, &device, server_id, &json, timeout)
                .map_err(IutError::Trigger)?;
        }
        let Some(arrival) = self.wire()?.next_arrival(timeout) else {
            return Ok(Notified::NothingArrived {
                device,
                waited: timeout,
            });
        };
        let arrived = Response {
            outcome: Some(Outcome::Notification),
            reason: Some("arrived at the device".into()),
            ..Response::default()
        };
        Ok(super::arrival::notified(arrival, said, arrived))
    }

    fn take_transcript(&mut self) -> Vec<(bool, String)> {
        self.control
            .as_mut()
            .map(Control::take_transcript)
            .unwrap_or_default()
    }

    fn stderr(&self) -> Option<String> {
        self.control.as_ref().and_then(Control::stderr)
    }

    fn reset(&mut self) {
        if let Some(c) = self.control.as_mut() {
            c.reset();
        }
    }
}

/// The session record of a Package #1, with what the network shows: the server by the path posted
/// to, SessionID as sent, the format by VerProto, the requested MOs whose subtrees it carries.
fn session(p: &Posted, built: &Built) -> Session {
    let p1 = p.package1.as_ref().ok();
    let roots = p1.map(|p| p.roots()).unwrap_or_default();
    let requested: Vec<u16> = crate::codec::v13::decode(&built.bytes)
        .map(|m| m.requested_mo().map(|x| x.0).collect())
        .unwrap_or_default();
    Session {
        server_id: p.server_id.clone().unwrap_or_default(),
        session_id: p1.and_then(|p| p.session_id.clone()).unwrap_or_default(),
        format: p1.and_then(|p| p.ver_proto.as_deref()).map(|v| {
            if v.ends_with("1.2") {
                Format::V12
            } else {
                Format::V13
            }
        }),
        // An index whose subtree's root the harness cannot name is taken as carried.
        requested_mo: Some(
            requested
                .into_iter()
                .filter(|i| {
                    crate::runner::checks::mo_root(*i).is_none_or(|r| roots.iter().any(|x| x == r))
                })
                .collect(),
        ),
        package1: Some(String::from_utf8_lossy(&p.body).into_owned()),
        ..Session::default()
    }
}
