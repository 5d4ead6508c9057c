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
//! The sockets are behind [`Wire`], so that the sentinel logic can be tested over a simulated one.

use super::ledger::{Entered, Ledger, Ticket};
use super::{
    Batch, Broken, ClockSet, Control, Delivered, Delivery, Drained, IutError, Link, Notified,
    Problem, Provisioned, Sentinels, SetupError, TransportProfile,
};
use crate::adapter::capture::Capture;
use crate::adapter::device::{Arrival, Device};
use crate::adapter::dm_server::{DmServer, Posted};
use crate::adapter::obex::{self as obex_link, ObexServer};
use crate::adapter::sip::SipElement;
use crate::adapter::smpp::{self, BindAs, Esme, Segment, Smsc};
use crate::adapter::{self, http::Answer};
use crate::codec::Rule as _;
use crate::codec::obex;
use crate::codec::sip::{self, SipTransport};
use crate::codec::sms;
use crate::codec::wsp::{self, AppId, ContentType, PushBuilder};
use crate::codec::{self, Format, ota_http};
use crate::profile::Profile;
use crate::scr::Role;
use crate::suite::Framing;
use crate::suite::message::Built;
use crate::testee::{Account, NotifyRequest, Op, Outcome, Response, Session};
use crate::transport::TransportProfile as Adapter;
use std::fmt;
use std::net::{SocketAddr, UdpSocket};
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

/// The UDP port of connectionless WSP (WAP-259), which Wireshark's WSP dissector listens for.
const WSP_PORT: u16 = 9200;

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
            transport: match profile.adapter {
                Adapter::Http => TransportProfile::Http,
                Adapter::Smpp => TransportProfile::Smpp,
                Adapter::Pap => TransportProfile::Pap,
                Adapter::Obex => TransportProfile::Obex,
                Adapter::Sip => TransportProfile::Sip,
                _ => TransportProfile::Udp,
            },
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
        if let Some(id) = message.wire_session_id() {
            if self.ledger.open_from_earlier_case(id) {
                self.settle_earlier(id);
            }
        }
        let ticket = message
            .wire_session_id()
            .map(|id| self.ledger.sent(id, message.server_id(), Instant::now()));
        Ok((ticket, self.wire()?.push(message, content_type, framing)?))
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
            tickets.push(self.send(v, None, None)?.0);
        }
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
        Ok(match arrival {
            Arrival::Datagram { bytes, .. } => wap_push_arrived(&bytes, Vec::new(), said, arrived),
            Arrival::Push {
                content_type, body, ..
            } => match ota_http::decode_entity(&content_type, &body, 0) {
                Err(e) => Notified::Unreadable(Problem::NotOtaHttp(e.to_string())),
                Ok(push) => Notified::Arrived {
                    content_type: Some(push.format.content_type().to_owned()),
                    message: push.message.to_vec(),
                    session_id: said,
                    problems: Vec::new(),
                    response: arrived,
                },
            },
            Arrival::Sms { tpdus } => {
                let read: Result<Vec<sms::Tpdu>, _> = tpdus
                    .iter()
                    .map(|t| sms::decode(t, Some(sms::Direction::Submit)))
                    .collect();
                match read.and_then(|r| sms::reassemble(&r)) {
                    Err(e) => Notified::Unreadable(Problem::NotWapPush(format!(
                        "{} ({})",
                        e.kind,
                        e.kind.section()
                    ))),
                    // The SMS framing's rules (port, coding) are observations; the WSP push
                    // inside is read as over UDP.
                    Ok(datagram) => wap_push_arrived(
                        &datagram.payload,
                        sms::route(&datagram)
                            .err()
                            .map(|e| {
                                Problem::SenderRule(format!("{} ({})", e.kind, e.kind.section()))
                            })
                            .into_iter()
                            .collect(),
                        said,
                        arrived,
                    ),
                }
            }
            Arrival::Pap(Err(e)) => Notified::Unreadable(Problem::NotPap(e)),
            Arrival::Pap(Ok(push)) => Notified::Arrived {
                // The content's rules (type, application id) are observations; the Package #0
                // is judged.
                problems: crate::codec::pap::content_rules(&push)
                    .into_iter()
                    .map(|e| Problem::SenderRule(format!("{} ({})", e.kind, e.kind.section())))
                    .collect(),
                content_type: Some(
                    Format::from_content_type(
                        push.content_type.split(';').next().unwrap_or("").trim(),
                    )
                    .unwrap_or(Format::V13)
                    .content_type()
                    .to_owned(),
                ),
                message: push.content,
                session_id: said,
                response: arrived,
            },
            Arrival::Obex(put) => Notified::Arrived {
                // Each broken rule of 7.2 is an observation; the body is still judged.
                problems: obex::sender_rules(&put)
                    .into_iter()
                    .map(|e| Problem::SenderRule(format!("{} ({})", e.kind, e.kind.section())))
                    .collect(),
                content_type: Some(
                    put.type_text
                        .as_deref()
                        .and_then(Format::from_content_type)
                        .unwrap_or(Format::V13)
                        .content_type()
                        .to_owned(),
                ),
                message: put.body,
                session_id: said,
                response: arrived,
            },
            Arrival::Sip { transport, bytes } => match sip::parse(&bytes, transport) {
                Ok(sip::Parsed::Complete(m, _)) => {
                    // Each broken rule of 7.3 is an observation; the body is still judged as
                    // the Package #0 it carries.
                    let format = m
                        .header("Content-Type")
                        .and_then(|ct| Format::from_content_type(ct.split(';').next()?.trim()));
                    Notified::Arrived {
                        problems: sip::sender_rules(&m)
                            .into_iter()
                            .map(|e| Problem::SenderRule(e.to_string()))
                            .collect(),
                        content_type: Some(format.unwrap_or(Format::V13).content_type().to_owned()),
                        message: m.body.to_vec(),
                        session_id: said,
                        response: arrived,
                    }
                }
                // The element records only whole messages.
                Ok(sip::Parsed::Partial) => {
                    Notified::Unreadable(Problem::NotSip("an incomplete message".into()))
                }
                Err(e) => Notified::Unreadable(Problem::NotSip(e.to_string())),
            },
        })
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

/// A WSP push PDU that reached the device (over UDP, or reassembled from SMS): its sender rules
/// (7.1) join `problems`, and its body is the notification to judge.
fn wap_push_arrived(
    pdu: &[u8],
    mut problems: Vec<Problem>,
    session_id: Option<String>,
    response: Response,
) -> Notified {
    match wsp::decode(pdu) {
        Err(e) => Notified::Unreadable(Problem::NotWapPush(e.to_string())),
        Ok(push) => {
            problems.extend(
                wsp::sender_rules(&push)
                    .into_iter()
                    .map(|e| Problem::SenderRule(e.to_string())),
            );
            Notified::Arrived {
                problems,
                content_type: Some(
                    wsp::route(&push)
                        .unwrap_or(Format::V13)
                        .content_type()
                        .to_owned(),
                ),
                message: push.body.to_vec(),
                session_id,
                response,
            }
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

/// The real wire: a UDP socket to push from, and the mock DM server (client role) or the device
/// listener (server role), on loopback unless the profile binds them elsewhere.
pub struct Sockets {
    /// Bound to the unspecified address of the target's family, so that the kernel picks the
    /// route to any device (a socket on 127.0.0.1 reaches only loopback).
    socket: Option<std::sync::Arc<UdpSocket>>,
    dm: Option<DmServer>,
    device: Option<Device>,
    target: Option<adapter::Delivery>,
    /// The profile names the IUT's address: a hello's does not override it.
    fixed_target: bool,
    capture: Option<Capture>,
    adapter: Adapter,
    timeout: Duration,
    /// SIP push: the harness's registrar and user agent.
    sip: Option<SipElement>,
    /// SIP push, client role: the device's URI when the profile names it (else its registration).
    sip_target: Option<String>,
    outbound_proxy: Option<SocketAddr>,
    /// SIP push, client role: what is wrong with the device's latest REGISTER.
    registration: Option<Problem>,
    /// SIP push, client role: the device's own address, from its hello (its contact).
    sip_hello: Option<String>,
    /// OBEX, client role: the device's OBEX server; server role: the harness's, as the device.
    obex_target: Option<SocketAddr>,
    obex_device: Option<ObexServer>,
    /// WAP push over SMS: the harness's SMSC, its ESME (client role, bound on the first push),
    /// the device's number, the bind credentials, and (server role) segments not yet whole.
    smsc: Option<Smsc>,
    esme: Option<Esme>,
    sms_number: String,
    smsc_credentials: (String, String),
    /// smpp clients: a lab SMSC to submit to instead of the harness's own.
    lab_smsc: Option<SocketAddr>,
    /// smpp clients: each push whole in message_payload.
    message_payload: bool,
    /// The credentials the harness's SMSC requires, when the profile sets them.
    smsc_required: Option<(String, String)>,
    sms_reference: u16,
    sms_pending: Vec<Vec<u8>>,
    /// PAP: the Push Proxy Gateway's URL (client role), or the harness's own PPG and what
    /// reached it (server role).
    ppg: Option<String>,
    ppg_server: Option<(
        adapter::http::HttpServer,
        std::sync::mpsc::Receiver<Result<crate::codec::pap::PapPush, String>>,
    )>,
}

/// The number of the device a client case pushes to over SMS, when the profile names none.
pub const SMS_NUMBER: &str = "+15550100";
/// The harness's own number, the pushes' originator.
const HARNESS_NUMBER: &str = "+15550199";

/// Where an `obex://HOST:PORT` address points.
fn obex_address(address: &str) -> Result<SocketAddr, SetupError> {
    address
        .strip_prefix("obex://")
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| SetupError::Address(address.to_owned()))
}

/// Where an `udp://` or `http://` address points.
fn delivery(address: &str) -> Result<adapter::Delivery, SetupError> {
    if let Some(a) = address.strip_prefix("udp://") {
        a.parse::<SocketAddr>()
            .map(adapter::Delivery::Udp)
            .map_err(|_| SetupError::Address(address.to_owned()))
    } else if address.starts_with("http://") {
        Ok(adapter::Delivery::Http {
            url: address.to_owned(),
            plain: false,
        })
    } else {
        Err(SetupError::Address(address.to_owned()))
    }
}

impl Sockets {
    pub fn start(
        profile: &Profile,
        capture: Option<Capture>,
        timeout: Duration,
    ) -> Result<Sockets, SetupError> {
        let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
        let listener = |what: &'static str, at: SocketAddr| {
            move |source| SetupError::Listener {
                what,
                at: at.to_string(),
                source,
            }
        };
        let (dm, device) = match profile.role {
            Role::Client => {
                let at = profile.dm_server.unwrap_or(loopback);
                (
                    Some(
                        DmServer::start(at, capture.clone())
                            .map_err(listener("mock DM server", at))?,
                    ),
                    None,
                )
            }
            // Over SIP the device is the SIP element's user agent; over OBEX, an OBEX server.
            Role::Server if matches!(profile.adapter, Adapter::Sip | Adapter::Obex) => (None, None),
            Role::Server => {
                let at = profile.device.unwrap_or(loopback);
                (
                    None,
                    Some(
                        Device::start(at, capture.clone())
                            .map_err(listener("device listener", at))?,
                    ),
                )
            }
        };
        let (sip, sip_target, target) = if profile.adapter == Adapter::Sip {
            let at = profile.sip.unwrap_or(loopback);
            let element = SipElement::start(at, capture.clone())
                .map_err(listener("SIP element (UDP and TCP)", at))?;
            let target = profile.address.clone();
            if let Some(t) = &target
                && sip::uri_target(t).is_none()
            {
                return Err(SetupError::Address(t.clone()));
            }
            if let (Role::Server, Some(proxy)) = (profile.role, profile.outbound_proxy) {
                register_device(&element, proxy, target.as_deref(), timeout)?;
            }
            (Some(element), target, None)
        } else if matches!(
            profile.adapter,
            Adapter::Obex | Adapter::Smpp | Adapter::Pap
        ) {
            (None, None, None)
        } else {
            let target = profile.address.as_deref().map(delivery).transpose()?;
            (None, None, target)
        };
        let smsc_credentials = (
            profile
                .smsc_system_id
                .clone()
                .unwrap_or_else(|| "dmnoti".into()),
            profile.smsc_password.clone().unwrap_or_default(),
        );
        // Server role through a PPG: the harness is the PPG the server submits to.
        let ppg_server = if (profile.adapter, profile.role) == (Adapter::Pap, Role::Server) {
            let at = profile.device.unwrap_or(loopback);
            let (tx, rx) = std::sync::mpsc::channel();
            let tx = std::sync::Mutex::new(tx);
            let server = adapter::http::serve(at, capture.clone(), move |r| {
                let content_type = r.header("content-type").unwrap_or("").to_owned();
                let parsed = crate::codec::pap::parse_push(&content_type, &r.body);
                let reply = match &parsed {
                    Ok(p) => adapter::http::Reply {
                        status: 202,
                        headers: vec![("Content-Type".into(), "application/xml".into())],
                        body: crate::codec::pap::push_response(
                            p.push_id.as_deref(),
                            1001,
                            "The request has been accepted for processing",
                        ),
                    },
                    Err(e) => adapter::http::Reply {
                        status: 400,
                        headers: vec![("Content-Type".into(), "application/xml".into())],
                        body: crate::codec::pap::push_response(None, 2000, &e.kind.to_string()),
                    },
                };
                if let Ok(tx) = tx.lock() {
                    let _ =
                        tx.send(parsed.map_err(|e| format!("{} ({})", e.kind, e.kind.section())));
                }
                reply
            })
            .map_err(listener("PPG (PAP over HTTP)", at))?;
            Some((server, rx))
        } else {
            None
        };
        let smsc = if profile.adapter == Adapter::Smpp
            || (profile.adapter, profile.role) == (Adapter::Pap, Role::Client)
        {
            let at = profile.smsc.unwrap_or(loopback);
            let required = profile
                .smsc_system_id
                .is_some()
                .then(|| smsc_credentials.clone());
            Some(Smsc::start(at, capture.clone(), required).map_err(listener("SMSC (SMPP)", at))?)
        } else {
            None
        };
        let sms_number = match (profile.adapter, &profile.address) {
            (Adapter::Smpp | Adapter::Pap, Some(a)) => {
                a.strip_prefix("sms:").unwrap_or(a).to_owned()
            }
            _ => SMS_NUMBER.to_owned(),
        };
        let obex_target = match (profile.adapter, &profile.address) {
            (Adapter::Obex, Some(a)) => Some(obex_address(a)?),
            _ => None,
        };
        let obex_device = match (profile.adapter, profile.role) {
            (Adapter::Obex, Role::Server) => {
                let at = profile.device.unwrap_or(loopback);
                Some(
                    ObexServer::start(at, capture.clone(), obex_link::RECEIVE_MAX, None)
                        .map_err(listener("OBEX server (the device)", at))?,
                )
            }
            _ => None,
        };
        Ok(Sockets {
            socket: None,
            dm,
            device,
            fixed_target: target.is_some() || obex_target.is_some(),
            target,
            capture,
            adapter: profile.adapter,
            timeout,
            sip,
            sip_target,
            outbound_proxy: profile.outbound_proxy,
            registration: None,
            sip_hello: None,
            obex_target,
            obex_device,
            smsc,
            esme: None,
            sms_number,
            lab_smsc: profile.lab_smsc,
            message_payload: profile.smsc_message_payload,
            smsc_required: profile
                .smsc_system_id
                .is_some()
                .then(|| smsc_credentials.clone()),
            smsc_credentials,
            sms_reference: 0,
            sms_pending: Vec::new(),
            ppg: profile.ppg.clone(),
            ppg_server,
        })
    }
}

/// The WAP push framing a step asks for.
fn framing(
    format: Format,
    f: Option<&Framing>,
    content_type: Option<&str>,
) -> Result<PushBuilder, SetupError> {
    let mut b = PushBuilder::new(format);
    if let Some(ct) = content_type {
        b.content_type = match Format::from_content_type(ct) {
            Some(f) => ContentType::Code(f.wsp_code()),
            None => ContentType::Text(ct.to_owned()),
        };
    }
    if let Some(f) = f {
        if f.text_content_type {
            b.content_type = wsp::text_content_type(format);
        }
        if let Some(h) = &f.extra_headers {
            b.extra_headers = codec::parse_hex(h)
                .map_err(|e| SetupError::Framing(format!("extra_headers: {e}")))?;
        }
        if let Some(id) = f.app_id {
            b.app_id = Some(AppId::Code(id));
        }
        if let Some(text) = &f.app_id_text {
            b.app_id = Some(AppId::Text(text.clone()));
        }
        if f.no_app_id {
            b.app_id = None;
        }
    }
    Ok(b)
}

impl Sockets {
    /// The push socket for a target: bound to the unspecified address of its family.
    fn udp_socket_for(&mut self, to: SocketAddr) -> Result<(), SetupError> {
        let family_matches = self
            .socket
            .as_ref()
            .and_then(|s| s.local_addr().ok())
            .is_some_and(|a| a.is_ipv4() == to.is_ipv4());
        if !family_matches {
            let any = |port: u16| -> SocketAddr {
                if to.is_ipv4() {
                    ([0, 0, 0, 0], port).into()
                } else {
                    (std::net::Ipv6Addr::UNSPECIFIED, port).into()
                }
            };
            // From WSP's own port, one socket for the whole run (its workers share it), so that
            // a capture's pushes dissect as WSP whatever port the device listens on; from any
            // port when another process holds 9200.
            static WSP_V4: std::sync::OnceLock<Option<std::sync::Arc<UdpSocket>>> =
                std::sync::OnceLock::new();
            static WSP_V6: std::sync::OnceLock<Option<std::sync::Arc<UdpSocket>>> =
                std::sync::OnceLock::new();
            let shared = if to.is_ipv4() { &WSP_V4 } else { &WSP_V6 };
            let socket = match shared
                .get_or_init(|| UdpSocket::bind(any(WSP_PORT)).ok().map(std::sync::Arc::new))
            {
                Some(s) => std::sync::Arc::clone(s),
                None => std::sync::Arc::new(UdpSocket::bind(any(0)).map_err(|source| {
                    SetupError::Listener {
                        what: "UDP socket",
                        at: any(0).to_string(),
                        source,
                    }
                })?),
            };
            self.socket = Some(socket);
        }
        Ok(())
    }
}

impl Sockets {
    fn sip_element(&self) -> Result<&SipElement, SetupError> {
        self.sip
            .as_ref()
            .ok_or(SetupError::NotRunning("SIP element"))
    }

    /// `sip:HOST:PORT` of the element, with an address a peer can reach.
    fn sip_uri(&self, user: Option<&str>) -> Result<String, SetupError> {
        let at = reachable(self.sip_element()?.addr);
        Ok(match user {
            Some(u) => format!("sip:{u}@{}", host_port(at)),
            None => format!("sip:{}", host_port(at)),
        })
    }

    /// The device's URI: the profile's, or the contact it registered (waited for).
    fn sip_contact(&self) -> Result<String, Broken> {
        if let Some(t) = &self.sip_target {
            return Ok(t.clone());
        }
        let element = self.sip_element()?;
        let deadline = Instant::now() + self.timeout;
        loop {
            if let Some((_, b)) = element.device_binding(self.sip_hello.as_deref()) {
                return Ok(b.contact);
            }
            if Instant::now() >= deadline {
                return Err(IutError::NotRegistered {
                    registrar: self.sip_uri(None)?,
                    waited: self.timeout,
                }
                .into());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// 7.1 over SMS: the WAP push in SMS segments, each submitted to the SMSC for the device.
    fn push_sms(
        &mut self,
        message: &Built,
        content_type: Option<&str>,
        f: Option<&Framing>,
    ) -> Result<Option<Answered>, Broken> {
        let pdu = framing(message.format, f, content_type)?.encode(&message.bytes);
        let mut spec = sms::SmsSpec::new(sms::Direction::Submit);
        spec.address = sms::Address::number(&self.sms_number);
        if let Some(port) = f.and_then(|f| f.sms_port) {
            spec.destination_port = port;
        }
        self.sms_reference = self.sms_reference.wrapping_add(1);
        spec.reference = self.sms_reference % 256;
        let tpdus = sms::encode(&spec, &pdu);
        let mut user_data = sms::user_data(&tpdus);
        if self.message_payload && user_data.len() > 1 {
            // Whole, for the SMSC to cut: the port element, then all of the push.
            let mut ud = vec![6, 0x05, 0x04];
            ud.extend_from_slice(&spec.destination_port.to_be_bytes());
            ud.extend_from_slice(&spec.source_port.to_be_bytes());
            ud.extend_from_slice(&pdu);
            user_data = vec![(true, spec.dcs, ud)];
        }
        if self.esme.is_none() {
            // A lab SMSC the device is behind, else the harness's own.
            let to = match self.lab_smsc {
                Some(lab) => lab,
                None => {
                    self.smsc
                        .as_ref()
                        .ok_or(SetupError::NotRunning("SMSC"))?
                        .addr
                }
            };
            let (id, pw) = &self.smsc_credentials;
            // Towards its own SMSC the harness's SMSC records the session; towards a lab's, the
            // ESME does.
            let capture = self.lab_smsc.and(self.capture.clone());
            let esme = Esme::bind(to, BindAs::Transmitter, id, pw, self.timeout, capture)
                .map_err(|e| SetupError::Smsc(e.to_string()))?;
            self.esme = Some(esme);
        }
        let gateway = match self.lab_smsc {
            Some(lab) => format!("lab SMSC at {lab}"),
            None => "harness's SMSC".to_owned(),
        };
        let esme = self.esme.as_mut().ok_or(SetupError::NotRunning("ESME"))?;
        for (n, (udhi, dcs, ud)) in user_data.iter().enumerate() {
            let segment = Segment {
                source: HARNESS_NUMBER.into(),
                destination: self.sms_number.clone(),
                esm_class: if *udhi { smpp::ESM_UDHI } else { 0 },
                data_coding: *dcs,
                user_data: ud.clone(),
            };
            match esme.submit(&segment) {
                Ok(status) if status == smpp::OK => {}
                Ok(status) => {
                    return Err(SetupError::Gateway {
                        gateway,
                        answer: format!(
                            "submit_sm of segment {} of {} answered {status:?}",
                            n + 1,
                            user_data.len()
                        ),
                    }
                    .into());
                }
                Err(e) => {
                    // The session is gone: bind again on the next push.
                    self.esme = None;
                    return Err(SetupError::Gateway {
                        gateway,
                        answer: e.to_string(),
                    }
                    .into());
                }
            }
        }
        Ok(Some(Answered::Smpp {
            segments: user_data.len(),
        }))
    }

    /// 7.1 through a PPG: the Package #0 in a PAP push-message for the device's number; the
    /// gateway frames it and delivers it over SMS through the harness's SMSC.
    fn push_pap(
        &mut self,
        message: &Built,
        content_type: Option<&str>,
    ) -> Result<Option<Answered>, Broken> {
        let url = self.ppg.clone().ok_or(SetupError::NoAddress)?;
        self.sms_reference = self.sms_reference.wrapping_add(1);
        let push_id = format!(
            "dmnoti-{}-{}@harness",
            std::process::id(),
            self.sms_reference
        );
        let (ct, body) = crate::codec::pap::push_message(
            &push_id,
            &self.sms_number,
            message.format,
            content_type,
            &message.bytes,
        );
        let gateway = format!("PPG at {url}");
        let answer = adapter::http::post(&url, &ct, &[], &body, self.timeout).map_err(|e| {
            SetupError::Gateway {
                gateway: gateway.clone(),
                answer: e.to_string(),
            }
        })?;
        if let (Some(c), Some(local)) = (&self.capture, answer.local) {
            c.tcp(local, answer.peer, &body);
            c.tcp(answer.peer, local, &answer.wire());
        }
        let answered = Answered::Pap {
            status: answer.status,
            code: crate::codec::pap::response_code(&answer.body),
        };
        // PAP 2.0: response-result codes 1xxx are success; anything else did not take the push.
        let accepted = (200..300).contains(&answer.status)
            && crate::codec::pap::response_code(&answer.body)
                .is_some_and(|c| (1000..2000).contains(&c));
        if !accepted {
            return Err(SetupError::Gateway {
                gateway,
                answer: answered.to_string(),
            }
            .into());
        }
        Ok(Some(answered))
    }

    /// 7.2: the Package #0 in an OBEX PUT to the device, and its answers.
    fn push_obex(
        &mut self,
        message: &Built,
        content_type: Option<&str>,
        f: Option<&Framing>,
    ) -> Result<Option<Answered>, Broken> {
        let to = self.obex_target.ok_or(SetupError::NoAddress)?;
        let spec = obex_link::PushSpec {
            put: obex::PutSpec {
                type_text: content_type,
                chunk: f.and_then(|f| f.obex_chunk),
                ..obex::PutSpec::default()
            },
            ..obex_link::PushSpec::default()
        };
        let pushed = obex_link::push(
            to,
            &spec,
            message.format,
            &message.bytes,
            self.timeout,
            self.capture.as_ref(),
        )
        .map_err(IutError::Push)?;
        Ok(Some(Answered::Obex {
            connect: pushed.connect,
            put: pushed.put,
            packets: pushed.packets,
        }))
    }

    /// 7.3: the Package #0 in a MESSAGE to the device, and its final response.
    fn push_sip(
        &mut self,
        message: &Built,
        content_type: Option<&str>,
        f: Option<&Framing>,
    ) -> Result<Option<Answered>, Broken> {
        let uri = self.sip_contact()?;
        let (host, port, uri_transport) =
            sip::uri_target(&uri).ok_or_else(|| SetupError::Address(uri.clone()))?;
        let to = match self.outbound_proxy {
            Some(p) => p,
            None => resolve(&host, port).ok_or_else(|| SetupError::Address(uri.clone()))?,
        };
        let element = self.sip_element()?;
        let mut body = message.bytes.clone();
        let declared = body.len();
        if let Some(hex) = f.and_then(|f| f.past_content_length.as_deref()) {
            body.extend(
                codec::parse_hex(hex)
                    .map_err(|e| SetupError::Framing(format!("past_content_length: {e}")))?,
            );
        }
        let (call_id, branch, tag) = element.next_ids();
        let via = host_port(reachable_towards(element.addr, to));
        let from = format!("sip:dm-server@{via}");
        let mut spec = sip::MessageSpec::new(&uri, &from, &via);
        spec.call_id = &call_id;
        spec.branch = &branch;
        spec.from_tag = &tag;
        spec.format = message.format;
        spec.content_type = content_type;
        spec.feature_tag = !f.is_some_and(|f| f.no_feature_tag);
        spec.content_length = Some(declared);
        let chosen = f.and_then(|f| f.sip_transport).or(uri_transport);
        spec.transport = chosen.unwrap_or(SipTransport::Udp);
        let mut request = sip::message_request(&spec, &body);
        if chosen.is_none() && request.len() > sip::UDP_LIMIT {
            // RFC 3261 18.1.1: a request over 1300 bytes goes over TCP.
            spec.transport = SipTransport::Tcp;
            request = sip::message_request(&spec, &body);
        }
        let over = spec.transport;
        Ok(Some(
            match element.send(to, over, &call_id, &request, self.timeout) {
                Ok(f) => Answered::Sip {
                    code: f.code,
                    reason: f.reason,
                    over,
                },
                Err(e) => Answered::SipNone {
                    over,
                    why: e.to_string(),
                },
            },
        ))
    }
}

/// Server role behind a real SIP/IP core: the harness registers as the device, the DM feature tag
/// on its Contact (7.3), so that the core routes the server's MESSAGE to it. `aor` is the device's
/// public URI (the profile's `address`), else one at the proxy's host.
fn register_device(
    element: &SipElement,
    proxy: SocketAddr,
    aor: Option<&str>,
    timeout: Duration,
) -> Result<(), SetupError> {
    let at = reachable_towards(element.addr, proxy);
    let registrar = format!("sip:{}", host_port(proxy));
    let aor = aor.map_or_else(|| format!("sip:device@{}", proxy.ip()), str::to_owned);
    let contact = format!("sip:device@{}", host_port(at));
    let via = host_port(at);
    let (call_id, branch, tag) = element.next_ids();
    let mut spec = sip::RegisterSpec::new(&registrar, &aor, &contact, &via);
    spec.call_id = &call_id;
    spec.branch = &branch;
    spec.from_tag = &tag;
    let request = sip::register_request(&spec);
    let refused = |why: String| SetupError::Registration {
        registrar: registrar.clone(),
        why,
    };
    match element.send(proxy, SipTransport::Udp, &call_id, &request, timeout) {
        Ok(f) if (200..300).contains(&f.code) => Ok(()),
        Ok(f) => Err(refused(format!("answered {} {}", f.code, f.reason))),
        Err(e) => Err(refused(e.to_string())),
    }
}

/// An address a peer can send to: the unspecified address stands for loopback.
fn reachable(mut at: SocketAddr) -> SocketAddr {
    if at.ip().is_unspecified() {
        at.set_ip(if at.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    at
}

/// The element's address as `to` sees it: on an unspecified bind, the route's source address.
fn reachable_towards(at: SocketAddr, to: SocketAddr) -> SocketAddr {
    if !at.ip().is_unspecified() {
        return at;
    }
    let probe = UdpSocket::bind(SocketAddr::new(at.ip(), 0))
        .and_then(|s| s.connect(to).map(|()| s))
        .and_then(|s| s.local_addr());
    match probe {
        Ok(local) => SocketAddr::new(local.ip(), at.port()),
        Err(_) => reachable(at),
    }
}

/// `host:port`, an IPv6 host in brackets (RFC 3261 25.1).
fn host_port(at: SocketAddr) -> String {
    at.to_string()
}

/// A SIP URI's host and port as a socket address (an IP literal, or a name the system resolves).
fn resolve(host: &str, port: u16) -> Option<SocketAddr> {
    use std::net::ToSocketAddrs;
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Some(SocketAddr::new(ip, port));
    }
    (host, port).to_socket_addrs().ok()?.next()
}

impl Wire for Sockets {
    fn registrar(&self) -> Option<String> {
        // Only a client registers.
        self.dm.as_ref()?;
        self.sip_uri(None).ok()
    }

    fn smsc(&self) -> Option<String> {
        // Only a client binds to receive.
        self.dm.as_ref()?;
        // The device attaches where the pushes go: a lab SMSC, else the harness's.
        if let Some(lab) = self.lab_smsc {
            return Some(format!("smpp://{lab}"));
        }
        let at = reachable(self.smsc.as_ref()?.addr);
        // The credentials ride in the URI when the SMSC asks for them.
        Some(match &self.smsc_required {
            Some((id, pw)) => format!("smpp://{id}:{pw}@{at}"),
            None => format!("smpp://{at}"),
        })
    }

    fn problems(&mut self) -> Vec<Problem> {
        let Some(element) = self.sip.as_ref() else {
            return Vec::new();
        };
        let device = element
            .device_binding(self.sip_hello.as_deref())
            .map(|(aor, _)| aor);
        let mut strays = Vec::new();
        // The device's latest REGISTER is its registration; another device's is recorded.
        while let Some(r) = element.next_register(Duration::ZERO) {
            let parsed = sip::parse(&r.bytes, r.transport);
            if let Ok(sip::Parsed::Complete(m, _)) = &parsed {
                let aor = m.header("To").map(|t| sip::contact_uri(t).to_owned());
                if device.is_some() && aor != device {
                    strays.push(Problem::Stray(format!(
                        "a REGISTER of another address of record ({}) from {}: bound beside the device's, not judged",
                        aor.unwrap_or_default(),
                        r.from
                    )));
                    continue;
                }
            }
            self.registration = match parsed {
                Ok(sip::Parsed::Complete(m, _)) => sip::check_register(&m).err(),
                Ok(sip::Parsed::Partial) => None,
                Err(e) => Some(e),
            }
            // A REGISTER is judged as a whole: its rule and section, no byte offset.
            .map(|e| Problem::Registration(format!("{} ({})", e.kind, e.kind.section())));
        }
        self.registration.iter().cloned().chain(strays).collect()
    }

    fn learn(&mut self, hello_address: Option<&str>) -> Result<(), Broken> {
        if self.adapter == Adapter::Obex {
            if let (false, Some(a)) = (self.fixed_target, hello_address) {
                self.obex_target = Some(obex_address(a)?);
            }
            return Ok(());
        }
        // An SMS client is reached by its number, through the SMSC.
        if matches!(self.adapter, Adapter::Smpp | Adapter::Pap) {
            return Ok(());
        }
        // A SIP client is reached at the contact it registers, as through a SIP/IP core: its
        // hello's address tells its binding from another device's.
        if self.sip.is_some() {
            if let Some(a) = hello_address {
                self.sip_hello = Some(a.to_owned());
            }
        }
        if !self.fixed_target && self.sip.is_none() {
            if let Some(a) = hello_address {
                self.target = Some(delivery(a)?);
            }
        }
        Ok(())
    }

    fn push(
        &mut self,
        message: &Built,
        content_type: Option<&str>,
        f: Option<&Framing>,
    ) -> Result<Option<Answered>, Broken> {
        if self.sip.is_some() {
            return self.push_sip(message, content_type, f);
        }
        if self.adapter == Adapter::Obex {
            return self.push_obex(message, content_type, f);
        }
        if self.adapter == Adapter::Smpp {
            return self.push_sms(message, content_type, f);
        }
        if self.adapter == Adapter::Pap {
            return self.push_pap(message, content_type);
        }
        let target = self.target.as_ref().ok_or(SetupError::NoAddress)?;
        let pdu = framing(message.format, f, content_type)?;
        if let (adapter::Delivery::Http { url, .. }, Some(ct)) = (target, content_type) {
            // A plain push under the step's content type.
            return adapter::http::post(url, ct, &[], &message.bytes, self.timeout)
                .map(|a| Some(Answered::from(&a)))
                .map_err(|e| IutError::Push(e).into());
        }
        if let adapter::Delivery::Udp(to) = target {
            let to = *to;
            self.udp_socket_for(to)?;
        }
        let target = self.target.as_ref().ok_or(SetupError::NoAddress)?;
        adapter::push(
            self.socket.as_deref(),
            target,
            message.format,
            &pdu,
            &message.bytes,
            self.timeout,
            self.capture.as_ref(),
        )
        .map(|a| a.as_ref().map(Answered::from))
        .map_err(|e| IutError::Push(e).into())
    }

    fn next_post(&mut self, wait: Duration) -> Option<Posted> {
        self.dm.as_ref().and_then(|d| d.next(wait))
    }

    fn server_uri(&self, server_id: &str) -> Option<String> {
        self.dm.as_ref().map(|d| d.uri_for(server_id))
    }

    fn device(&mut self) -> Result<String, Broken> {
        if let Some(element) = self.sip.as_ref() {
            while element.next_request(Duration::ZERO).is_some() {}
            // Behind a real core, the device's public URI; else the element itself.
            return Ok(match &self.sip_target {
                Some(aor) => aor.clone(),
                None => self.sip_uri(Some("device"))?,
            });
        }
        if let Some(server) = self.obex_device.as_ref() {
            server.drain();
            return Ok(format!("obex://{}", reachable(server.addr)));
        }
        if let Some((server, rx)) = self.ppg_server.as_ref() {
            while rx.try_recv().is_ok() {}
            return Ok(format!(
                "pap:{}@http://{}/wappush",
                self.sms_number,
                reachable(server.addr)
            ));
        }
        if let Some(smsc) = self.smsc.as_ref() {
            smsc.drain();
            self.sms_pending.clear();
            return Ok(format!(
                "smpp://{}/{}",
                reachable(smsc.addr),
                self.sms_number
            ));
        }
        let device = self
            .device
            .as_ref()
            .ok_or(SetupError::NotRunning("device listener"))?;
        device.drain();
        Ok(match self.adapter {
            Adapter::Http => format!("http://{}/push", device.http_addr),
            _ => format!("udp://{}", device.udp_addr),
        })
    }

    fn next_arrival(&mut self, wait: Duration) -> Option<Arrival> {
        if let Some(element) = self.sip.as_ref() {
            return element.next_request(wait).map(|r| Arrival::Sip {
                transport: r.transport,
                bytes: r.bytes,
            });
        }
        if let Some(server) = self.obex_device.as_ref() {
            return server.next(wait).map(Arrival::Obex);
        }
        if let Some((_, rx)) = self.ppg_server.as_ref() {
            return rx.recv_timeout(wait).ok().map(Arrival::Pap);
        }
        if let Some(smsc) = self.smsc.as_ref() {
            // Segments gather until one message is whole, or the wait ends with what came.
            let deadline = Instant::now() + wait;
            loop {
                if let Some(whole) = whole_message(&self.sms_pending) {
                    let tpdus = whole
                        .into_iter()
                        .map(|i| self.sms_pending[i].clone())
                        .collect();
                    self.sms_pending.clear();
                    return Some(Arrival::Sms { tpdus });
                }
                let left = deadline.saturating_duration_since(Instant::now());
                match smsc.next(left) {
                    Some(s) => self.sms_pending.push(sms::tpdu_of(
                        sms::Direction::Submit,
                        &s.segment.destination,
                        s.segment.data_coding,
                        s.segment.esm_class & smpp::ESM_UDHI != 0,
                        &s.segment.user_data,
                    )),
                    None if self.sms_pending.is_empty() => return None,
                    None => {
                        return Some(Arrival::Sms {
                            tpdus: std::mem::take(&mut self.sms_pending),
                        });
                    }
                }
            }
        }
        self.device.as_ref().and_then(|d| d.next(wait))
    }
}

/// The indexes of the segments that make one whole message, if some do: a TPDU without a
/// concatenation element is one on its own; else every sequence number of one reference.
fn whole_message(tpdus: &[Vec<u8>]) -> Option<Vec<usize>> {
    let read: Vec<(usize, sms::Tpdu)> = tpdus
        .iter()
        .enumerate()
        .filter_map(|(i, t)| Some((i, sms::decode(t, Some(sms::Direction::Submit)).ok()?)))
        .collect();
    // A TPDU that does not read is a message of its own, for the reader to name.
    if read.len() < tpdus.len() {
        return Some(vec![
            (0..tpdus.len()).find(|i| read.iter().all(|(j, _)| j != i))?,
        ]);
    }
    for (i, t) in &read {
        let Some((reference, total, _)) = t.concat() else {
            return Some(vec![*i]);
        };
        let of_it: Vec<usize> = read
            .iter()
            .filter(|(_, u)| {
                u.concat()
                    .is_some_and(|(r, n, _)| r == reference && n == total)
            })
            .map(|(j, _)| *j)
            .collect();
        let mut seqs: Vec<u8> = of_it
            .iter()
            .filter_map(|j| read.iter().find(|(k, _)| k == j)?.1.concat().map(|c| c.2))
            .collect();
        seqs.sort_unstable();
        seqs.dedup();
        if seqs.len() == usize::from(total) {
            return Some(of_it);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sip_profile(role: Role) -> Profile {
        Profile::reference_over(role, &[], Adapter::Sip)
    }

    /// Server role over SMS: segments make a message when every sequence number of one
    /// reference is there, in any order; a lone TPDU is one.
    #[test]
    fn sms_segments_are_whole_when_every_one_came() {
        let mut spec = sms::SmsSpec::new(sms::Direction::Submit);
        spec.reference = 9;
        let mut segs = sms::encode(&spec, &[0x5A; 300]);
        assert_eq!(segs.len(), 3);
        segs.reverse();
        assert_eq!(whole_message(&segs[..2]), None);
        assert_eq!(whole_message(&segs), Some(vec![0, 1, 2]));
        let single = sms::encode(&spec, &[1, 2, 3]);
        assert_eq!(whole_message(&single), Some(vec![0]));
        assert_eq!(whole_message(&[vec![0x03]]), Some(vec![0]));
    }

    /// Server role behind a real core: the harness registers as the device, with the DM feature
    /// tag, at the proxy; the server is told the device's public URI.
    #[test]
    fn a_sip_server_behind_a_core_gets_the_device_registered() {
        let core = SipElement::start("127.0.0.1:0".parse().unwrap(), None).unwrap();
        let mut profile = sip_profile(Role::Server);
        profile.outbound_proxy = Some(core.addr);
        profile.address = Some("sip:+15550100@ims.example.net".into());
        let mut sockets = Sockets::start(&profile, None, Duration::from_secs(2)).unwrap();
        let r = core.next_register(Duration::from_secs(1)).unwrap();
        let m = sip::parse_datagram(&r.bytes).unwrap();
        let reg = sip::check_register(&m).unwrap();
        assert_eq!(m.header("To"), Some("<sip:+15550100@ims.example.net>"));
        let element = sockets.sip.as_ref().unwrap().addr;
        assert_eq!(reg.contact, format!("sip:device@{element}"));
        assert_eq!(sockets.device().unwrap(), "sip:+15550100@ims.example.net");
        // A core that refuses: the run cannot start, and says where and why.
        drop(sockets);
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        profile.outbound_proxy = Some(silent.local_addr().unwrap());
        let err = Sockets::start(&profile, None, Duration::from_millis(300))
            .err()
            .unwrap();
        assert!(err.to_string().contains("registering the device"), "{err}");
    }

    /// Client role: the registrar is offered to the client; a client that never registers is an
    /// error that quotes 7.3's sentence, not a hang.
    #[test]
    fn a_sip_client_that_does_not_register_is_named() {
        let profile = sip_profile(Role::Client);
        let mut sockets = Sockets::start(&profile, None, Duration::from_millis(200)).unwrap();
        let registrar = sockets.registrar().unwrap();
        assert_eq!(
            registrar,
            format!("sip:{}", sockets.sip.as_ref().unwrap().addr)
        );
        let built = Built {
            bytes: vec![0; 8],
            format: Format::V13,
        };
        let err = sockets.push(&built, None, None).err().unwrap();
        assert!(
            err.to_string()
                .contains("MUST register with the SIP/IP Core as soon as practical"),
            "{err}"
        );
    }
}
