//! Links: how the case engine reaches an IUT. The engine decides what to send and judges what
//! comes back; a link only moves it, over the stdio testee protocol ([`stdio`]), over the network
//! as a device or server meets it ([`net`]), or straight into a [`Testee`](crate::testee::Testee)
//! in this process ([`control::InProcess`], for unit tests). A new transport of section 7 is a new
//! link; the engine does not change.
//!
//! A link reports what it saw in its own words ([`Problem`]); which SCR item that touches is the
//! engine's business, so no link names an item.

pub mod arrival;
pub mod control;
pub mod ledger;
pub mod net;
pub mod stdio;
pub mod transport;
pub mod trigger;

use crate::suite::Framing;
use crate::suite::message::Built;
use crate::testee::process::TesteeError;
use crate::testee::{Account, NotifyRequest, Response};
use std::time::Duration;

pub use control::{Control, InProcess, ProcessControl};
pub use ledger::Ticket;
pub use net::NetLink;
pub use stdio::StdioLink;

pub use crate::transport::TransportProfile;

/// The harness could not set a case up: the case is an error, not the IUT's fault.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{0}")]
    Start(TesteeError),
    #[error("hello: {0}")]
    Hello(TesteeError),
    #[error("hello: the IUT speaks protocol {0}; this harness speaks 1 (docs/testee-protocol.md)")]
    Protocol(u32),
    #[error("the IUT says it is a {said}, the profile says {profile}")]
    WrongRole {
        said: crate::scr::Role,
        profile: crate::scr::Role,
    },
    #[error("{what} ({at}): {source}")]
    Listener {
        what: &'static str,
        at: String,
        source: std::io::Error,
    },
    #[error("address {0:?}: expected udp://HOST:PORT, http://HOST:PORT/PATH or sip:USER@HOST:PORT")]
    Address(String),
    #[error("binding to the SMSC: {0}")]
    Smsc(String),
    #[error("registering the device with the SIP/IP core ({registrar}): {why}")]
    Registration { registrar: String, why: String },
    #[error("the IUT's address is unknown: give address in the profile")]
    NoAddress,
    #[error("the {0} is not running")]
    NotRunning(&'static str),
    #[error("bad account: {0}")]
    Account(#[from] crate::suite::AccountError),
    #[error("message from case {0:?}: no such case with a delivered message")]
    NoSuchCase(String),
    #[error("cannot build the message: {0}")]
    Build(#[from] crate::suite::message::BuildError),
    #[error("the network link needs a sentinel message")]
    NoSentinel,
    #[error("framing: {0}")]
    Framing(String),
    #[error("no link speaks {0} yet")]
    NoLink(TransportProfile),
    /// A gateway between the harness and the device (an SMSC, a Push Proxy Gateway) refused or
    /// garbled a push: the run's side failed, not the IUT, which never saw it.
    #[error("the {gateway} did not take the push: {answer} (a gateway's failure, not the IUT's)")]
    Gateway { gateway: String, answer: String },
}

/// Valid messages with fresh session ids, 1.3 then 1.2: a link that proves "ignored" by a session
/// that did start sends the one its IUT answers (the 1.3 one, unless the IUT has shown it answers
/// only the other).
pub type Sentinels = [Built; 2];

/// The IUT broke during a case: it died, hung, refused provisioning or stopped answering. The case
/// fails, and the next one starts on a fresh testee.
#[derive(Debug, thiserror::Error)]
pub enum IutError {
    #[error("{0}")]
    Testee(TesteeError),
    #[error("provision refused: {0}")]
    ProvisionRefused(String),
    #[error("push: {0}")]
    Push(#[from] crate::adapter::AdapterError),
    #[error("no session for the valid sentinel message in {}: the IUT stopped answering", crate::runner::seconds(*.0))]
    SentinelLost(Duration),
    #[error(
        "no session for the valid sentinel message in {}, though {arrived} Package #1(s) arrived that answer no message sent (the first: {first})",
        crate::runner::seconds(*waited)
    )]
    SentinelUnanswered {
        waited: Duration,
        arrived: usize,
        first: String,
    },
    #[error("trigger: {0}")]
    Trigger(#[from] trigger::TriggerError),
    #[error(
        "the device did not register with the harness's registrar ({registrar}) in {}; \"The DM Client MUST register with the SIP/IP Core as soon as practical.\"",
        crate::runner::seconds(*waited)
    )]
    NotRegistered { registrar: String, waited: Duration },
}

/// Why a case stops early.
#[derive(Debug, thiserror::Error)]
pub enum Broken {
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error(transparent)]
    Iut(#[from] IutError),
}

/// What a link saw on its wire that is wrong, each with the typed error of the codec that read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Client role: the client posted a Package #1 that cannot be read.
    UnreadablePackage1(crate::adapter::dm_server::Unread),
    /// Server role: what reached the device does not read as a push of the transport's kind.
    NotPush(WireError),
    /// Server role: a push that reads, but breaks a sender rule of its transport (section 7).
    SenderRule(WireError),
    /// Client role: what the transport requires of the device (over SIP, its registration) is
    /// broken. It stands for the whole run: the case whose basis is `basis` (the sentence the
    /// transport names) judges it, once; other cases pass it by.
    Requirement { basis: &'static str, broken: String },
    /// Something that is not the IUT's reached the harness (another device registering): recorded
    /// with the case, judged nowhere.
    Stray(String),
}

/// The decoding error of one of section 7's framings, as its codec typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireError {
    /// 7.1: the WSP push PDU (over UDP, or reassembled from SMS).
    Wsp(crate::codec::wsp::Error),
    /// 7.1 over SMS: the TPDUs and their concatenation.
    Sms(crate::codec::sms::Error),
    /// 7.1 through a PPG: the PAP push submission.
    Pap(crate::codec::pap::Error),
    /// 7.2: the OBEX PUT.
    Obex(crate::codec::obex::Error),
    /// 7.3: the SIP request (none when it never came whole).
    Sip(Option<crate::codec::sip::Error>),
    /// 7.4: the OTA-HTTP push.
    OtaHttp(crate::codec::ota_http::Error),
}

impl WireError {
    /// What the bytes should have been, in the words of a report.
    pub fn what(&self) -> &'static str {
        match self {
            WireError::Wsp(_) => "the datagram is not a WAP push",
            WireError::Sms(_) => "the SMS segments are not a WAP push",
            WireError::Pap(_) => "what reached the PPG is not a PAP push submission",
            WireError::Obex(_) => "the OBEX PUT is not a push",
            WireError::Sip(_) => "what reached the device's user agent is not SIP",
            WireError::OtaHttp(_) => "the push is not an OTA-HTTP push",
        }
    }
}

impl std::fmt::Display for WireError {
    /// The broken rule and its section (a sender rule is judged on the whole message; the byte
    /// offset is kept where the bytes stop reading).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::codec::Rule as _;
        match self {
            WireError::Wsp(e) => write!(f, "{e}"),
            WireError::Sms(e) => write!(f, "{} ({})", e.kind, e.kind.section()),
            WireError::Pap(e) => write!(f, "{} ({})", e.kind, e.kind.section()),
            WireError::Obex(e) => write!(f, "{} ({})", e.kind, e.kind.section()),
            WireError::Sip(Some(e)) => write!(f, "{e}"),
            WireError::Sip(None) => f.write_str("an incomplete message"),
            WireError::OtaHttp(e) => write!(f, "{e}"),
        }
    }
}

/// How provisioning went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provisioned {
    /// The IUT took the accounts; how its clock went.
    Done(ClockSet),
    /// The IUT has no control channel: it was provisioned by hand and keeps its own time.
    ByHand,
}

/// How setting the clock went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClockSet {
    Set,
    /// No time was asked for.
    Untouched,
    /// The IUT cannot set its clock, and said why; it runs on real time.
    Refused(String),
    /// The IUT has no control channel; it keeps its own time.
    ByHand,
}

/// One message to deliver.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    pub message: &'a Built,
    /// The content type the step asks for, when not the format's.
    pub content_type: Option<&'a str>,
    pub framing: Option<&'a Framing>,
    /// Valid messages with fresh session ids, for links that must prove "ignored" by a session
    /// that did start ([`Link::needs_sentinel`]).
    pub sentinel: Option<&'a Sentinels>,
}

/// What a client did with a delivery, as the stdio protocol would answer it, and what the link saw.
#[derive(Debug, Clone, Default)]
pub struct Delivered {
    pub response: Response,
    pub problems: Vec<Problem>,
    /// Over the network: no session had arrived for the message (this send of it) when the
    /// sentinel's did. Whether it was ignored is settled at the end of the run
    /// ([`Link::drain`]), when an answer that came late has landed on it; `response` says
    /// "ignored" until then.
    pub pending: Option<Ticket>,
    /// What arrived during the delivery that answers no message sent.
    pub strays: Vec<String>,
}

/// What a batch of generated messages did.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// The variants not ignored: (index, answer).
    pub accepted: Vec<(usize, Response)>,
    pub problems: Vec<Problem>,
    /// Over the network: the variants (index, send) with no session yet, settled at the end of
    /// the run as [`Delivered::pending`] is.
    pub pending: Vec<(usize, Ticket)>,
    pub strays: Vec<String>,
}

/// What arrived for the pending messages by the end of the run.
#[derive(Debug, Clone, Default)]
pub struct Drained {
    /// The session each send that was answered late started.
    pub sessions: std::collections::BTreeMap<Ticket, Response>,
    /// What arrived that answers no message sent.
    pub strays: Vec<String>,
}

/// What a server's notification request gave.
#[derive(Debug, Clone)]
pub enum Notified {
    /// A notification, with the SessionID the server says it expects, if it says.
    Arrived {
        content_type: Option<String>,
        message: Vec<u8>,
        session_id: Option<String>,
        /// The answer as recorded in the report.
        response: Response,
        problems: Vec<Problem>,
    },
    /// The server answered, but with no notification.
    Refused { response: Response, error: String },
    /// Nothing reached the device in time.
    NothingArrived { device: String, waited: Duration },
    /// Something arrived that is not a push of the link's kind.
    Unreadable(Problem),
}

/// A way to reach an IUT. Every method has a deadline inside the link; none reads the suites.
pub trait Link {
    /// The transport this link carries messages over.
    fn transport(&self) -> TransportProfile;

    /// Whether the link shows how the device ran a session (UI mode, bearer, the reason shown...).
    /// Over the network it does not.
    fn shows_session_details(&self) -> bool;

    /// Whether "ignored" must be proven by a valid sentinel that did start a session.
    fn needs_sentinel(&self) -> bool;

    /// Why this link cannot send a case's own push framing, if it cannot (as its transport
    /// declares): the case is skipped, with this said.
    fn cannot_send(&self, framing: &crate::suite::Framing) -> Option<&'static str> {
        let _ = framing;
        None
    }

    /// The SCR item of the link's transport for `role` (section 7's "Support ... Push"), where
    /// what a server sent over it, or what the transport requires of a client, is judged; none
    /// for a link with no transport of section 7.
    fn transport_item(&self, role: crate::scr::Role) -> Option<crate::scr::ScrId> {
        let _ = role;
        None
    }

    /// Replaces the IUT's accounts (and forgets its earlier sessions), and sets its clock to
    /// `now` when given.
    fn provision(
        &mut self,
        accounts: Vec<Account>,
        now: Option<u64>,
    ) -> Result<Provisioned, Broken>;

    fn set_clock(&mut self, now: u64) -> Result<ClockSet, Broken>;

    fn deliver(&mut self, d: Delivery<'_>) -> Result<Delivered, Broken>;

    /// Delivers every variant; `sentinel` (for links that need one) follows the batch.
    fn deliver_batch(
        &mut self,
        variants: &[Built],
        sentinel: Option<&Sentinels>,
    ) -> Result<Batch, Broken>;

    fn notify(&mut self, request: &NotifyRequest) -> Result<Notified, Broken>;

    /// The protocol lines exchanged since the last call, (sent, line), when debugging.
    fn take_transcript(&mut self) -> Vec<(bool, String)>;

    /// The end of the IUT's stderr, if it has one and wrote any.
    fn stderr(&self) -> Option<String>;

    /// After a case that broke the IUT: the next case starts on a fresh one.
    fn reset(&mut self);

    /// At the end of the run: what arrived for the sends still pending (with the message as
    /// built), waiting as long as the link's own measured round trips say an answer may still
    /// come. A link that settles every delivery at once has nothing pending.
    fn drain(&mut self, pending: &[(Ticket, &Built)]) -> Drained {
        let _ = pending;
        Drained::default()
    }
}
