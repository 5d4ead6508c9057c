//! The real wire of the network link ([`Wire`]): one module per delivery profile of section 7,
//! each behind [`Transport`], and what they all share: the mock DM server a client connects back
//! to with Package #1 (client role). `net` keeps the protocol of a case; a transport only moves
//! bytes and says what it saw.
//!
//! A transport declares, before any socket opens, its [`Kind`]: the SCR item of its "Support ...
//! Push" per role, and which of a case's own framings it can send (the engine skips a case whose
//! framing it cannot, with the reason the transport gives). Adding a transport is one module here,
//! one entry in [`kind`], its suites and its docs.

mod http;
mod obex;
mod pap;
mod sip;
mod sms;
mod udp;

use super::net::{Answered, Wire};
use super::{Broken, Problem, SetupError};
use crate::adapter::capture::Capture;
use crate::adapter::device::Arrival;
use crate::adapter::dm_server::{DmServer, Posted};
use crate::codec::Format;
use crate::codec::wsp::{AppId, ContentType, PushBuilder};
use crate::profile::Profile;
use crate::scr::{Role, ScrId, id};
use crate::suite::message::Built;
use crate::suite::{AppIdChoice, Framing};
use crate::transport::TransportProfile;
use std::net::SocketAddr;
use std::time::Duration;

pub use sip::REGISTRATION_BASIS;

/// One delivery profile of section 7 on its real wire, for one run.
pub(super) trait Transport {
    /// Client role: the SIP registrar the client is told to register with.
    fn registrar(&self) -> Option<String> {
        None
    }

    /// Client role: the SMSC the client is told to bind to.
    fn smsc(&self) -> Option<String> {
        None
    }

    /// Client role: what the transport saw wrong outside the pushes (the device's REGISTER
    /// breaking 7.3), and what reached it from others (strays).
    fn problems(&mut self) -> Vec<Problem> {
        Vec::new()
    }

    /// Client role: where the client takes pushes, from its hello, unless the profile named one.
    fn learn(&mut self, hello_address: Option<&str>) -> Result<(), Broken> {
        let _ = hello_address;
        Ok(())
    }

    /// Client role: one message pushed, in the case's framing when it has one (only a framing
    /// [`Kind::carries`] allows reaches here); the transport's answer, where it has one.
    fn push(
        &mut self,
        message: &Built,
        content_type: Option<&str>,
        framing: Option<&Framing>,
    ) -> Result<Option<Answered>, Broken>;

    /// Client role: a batch of messages pushed in no framing of their own, whose answers are
    /// not looked at (only what the client then does is): one after another, unless the
    /// transport can keep several pushes in flight at once.
    fn push_batch(&mut self, messages: &[Built]) -> Result<(), Broken> {
        for m in messages {
            self.push(m, None, None)?;
        }
        Ok(())
    }

    /// Server role: the device address a server is to notify, with nothing pending there.
    fn device(&mut self) -> Result<String, Broken>;

    /// Server role: the next thing that reached the device within `wait` (none once a signal
    /// has come: waits are sliced by `interrupt::wait_for`).
    fn next_arrival(&mut self, wait: Duration) -> Option<Arrival>;
}

/// What a transport is before it runs.
pub struct Kind {
    pub profile: TransportProfile,
    /// The SCR item of the transport, (client, server): where what a server sent over it, or
    /// what it requires of a client, is judged.
    pub items: (ScrId, ScrId),
    /// Whether it sends a case's own framing; why not, when it cannot.
    pub carries: fn(&Framing) -> Result<(), &'static str>,
    start: fn(&Start<'_>) -> Result<Box<dyn Transport>, SetupError>,
}

impl Kind {
    pub fn item(&self, role: Role) -> ScrId {
        match role {
            Role::Client => self.items.0,
            Role::Server => self.items.1,
        }
    }
}

/// The transports of section 7, as a network run picks them.
static KINDS: [Kind; 6] = [
    Kind {
        profile: TransportProfile::Udp,
        items: (id::C_020_O, id::S_012_O),
        carries: udp::carries,
        start: udp::start,
    },
    Kind {
        profile: TransportProfile::Smpp,
        items: (id::C_020_O, id::S_012_O),
        carries: sms::carries,
        start: sms::start,
    },
    Kind {
        profile: TransportProfile::Pap,
        items: (id::C_020_O, id::S_012_O),
        carries: pap::carries,
        start: pap::start,
    },
    Kind {
        profile: TransportProfile::Obex,
        items: (id::C_021_O, id::S_013_O),
        carries: obex::carries,
        start: obex::start,
    },
    Kind {
        profile: TransportProfile::Sip,
        items: (id::C_022_O, id::S_014_O),
        carries: sip::carries,
        start: sip::start,
    },
    Kind {
        profile: TransportProfile::Http,
        items: (id::C_023_O, id::S_015_O),
        carries: http::carries,
        start: http::start,
    },
];

/// The network transport of a profile's adapter (none for stdio).
pub fn kind(profile: TransportProfile) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.profile == profile)
}

/// What a transport starts from.
pub(super) struct Start<'a> {
    pub profile: &'a Profile,
    pub capture: Option<Capture>,
    pub timeout: Duration,
}

impl Start<'_> {
    /// Where to bind a listener: the profile's address, else loopback.
    fn at(&self, bind: Option<SocketAddr>) -> SocketAddr {
        bind.unwrap_or(([127, 0, 0, 1], 0).into())
    }

    /// The error of a listener that could not start.
    fn listener(what: &'static str, at: SocketAddr) -> impl FnOnce(std::io::Error) -> SetupError {
        move |source| SetupError::Listener {
            what,
            at: at.to_string(),
            source,
        }
    }
}

/// Client role: where the device takes pushes: the profile's address, fixed, else the one its
/// hello gives; read by the transport's own form (`udp://`, `http://`, `obex://`).
pub(super) struct Target<T> {
    at: Option<T>,
    fixed: bool,
    read: fn(&str) -> Option<T>,
}

impl<T: Clone> Target<T> {
    pub fn of(s: &Start<'_>, read: fn(&str) -> Option<T>) -> Result<Target<T>, SetupError> {
        let at = match s.profile.address.as_deref() {
            Some(a) => Some(read(a).ok_or_else(|| SetupError::Address(a.to_owned()))?),
            None => None,
        };
        Ok(Target {
            fixed: at.is_some(),
            at,
            read,
        })
    }

    /// A hello's address, unless the profile fixed one.
    pub fn learn(&mut self, hello_address: Option<&str>) -> Result<(), Broken> {
        if let (false, Some(a)) = (self.fixed, hello_address) {
            self.at = Some((self.read)(a).ok_or_else(|| SetupError::Address(a.to_owned()))?);
        }
        Ok(())
    }

    pub fn get(&self) -> Result<T, SetupError> {
        self.at.clone().ok_or(SetupError::NoAddress)
    }
}

/// Server role over UDP or HTTP: the harness as the device, a UDP and an HTTP listener.
fn device_listener(s: &Start<'_>) -> Result<Option<crate::adapter::device::Device>, SetupError> {
    if s.profile.role == Role::Client {
        return Ok(None);
    }
    let at = s.at(s.profile.device);
    crate::adapter::device::Device::start(at, s.capture.clone())
        .map(Some)
        .map_err(Start::listener("device listener", at))
}

/// The real wire: the mock DM server (client role) and the run's transport.
pub struct Sockets {
    dm: Option<DmServer>,
    transport: Box<dyn Transport>,
}

impl Sockets {
    pub fn start(
        profile: &Profile,
        capture: Option<Capture>,
        timeout: Duration,
    ) -> Result<Sockets, SetupError> {
        let kind = kind(profile.adapter).ok_or(SetupError::NotRunning("network adapter"))?;
        let dm = match profile.role {
            Role::Client => {
                let at = profile.dm_server.unwrap_or(([127, 0, 0, 1], 0).into());
                Some(
                    DmServer::start(at, capture.clone())
                        .map_err(Start::listener("mock DM server", at))?,
                )
            }
            Role::Server => None,
        };
        let transport = (kind.start)(&Start {
            profile,
            capture,
            timeout,
        })?;
        Ok(Sockets { dm, transport })
    }
}

impl Wire for Sockets {
    fn registrar(&self) -> Option<String> {
        self.transport.registrar()
    }

    fn smsc(&self) -> Option<String> {
        self.transport.smsc()
    }

    fn problems(&mut self) -> Vec<Problem> {
        self.transport.problems()
    }

    fn learn(&mut self, hello_address: Option<&str>) -> Result<(), Broken> {
        self.transport.learn(hello_address)
    }

    fn push(
        &mut self,
        message: &Built,
        content_type: Option<&str>,
        framing: Option<&Framing>,
    ) -> Result<Option<Answered>, Broken> {
        self.transport.push(message, content_type, framing)
    }

    fn push_batch(&mut self, messages: &[Built]) -> Result<(), Broken> {
        self.transport.push_batch(messages)
    }

    fn next_post(&mut self, wait: Duration) -> Option<Posted> {
        let dm = self.dm.as_ref()?;
        crate::interrupt::wait_for(wait, |w| dm.next(w))
    }

    fn server_uri(&self, server_id: &str) -> Option<String> {
        self.dm.as_ref().map(|d| d.uri_for(server_id))
    }

    fn device(&mut self) -> Result<String, Broken> {
        self.transport.device()
    }

    fn next_arrival(&mut self, wait: Duration) -> Option<Arrival> {
        self.transport.next_arrival(wait)
    }
}

/// 7.1: the WAP push PDU a step asks for, over UDP or SMS.
fn wsp_push(format: Format, framing: Option<&Framing>, content_type: Option<&str>) -> PushBuilder {
    let mut b = PushBuilder::new(format);
    if let Some(ct) = content_type {
        b.content_type = match Format::from_content_type(ct) {
            Some(f) => ContentType::Code(f.wsp_code()),
            None => ContentType::Text(ct.to_owned()),
        };
    }
    if let Some(Framing::Wsp(f)) = framing {
        if f.text_content_type {
            b.content_type = crate::codec::wsp::text_content_type(format);
        }
        b.extra_headers.clone_from(&f.extra_headers);
        match &f.app_id {
            None => {}
            Some(AppIdChoice::Code(c)) => b.app_id = Some(AppId::Code(*c)),
            Some(AppIdChoice::Text(t)) => b.app_id = Some(AppId::Text(t.clone())),
            Some(AppIdChoice::Absent) => b.app_id = None,
        }
    }
    b
}

/// How many pushes of a batch a connection-per-push transport keeps in flight: a push's round
/// trip is mostly waiting, on both sides.
const IN_FLIGHT: usize = 4;

/// Pushes `messages` with `push`, [`IN_FLIGHT`] at a time; the first error, in order.
fn push_concurrently<F>(messages: &[Built], push: F) -> Result<(), Broken>
where
    F: Fn(&Built) -> Result<(), Broken> + Sync,
{
    let results: Vec<Result<(), Broken>> = std::thread::scope(|scope| {
        let lanes: Vec<_> = (0..IN_FLIGHT.min(messages.len()))
            .map(|lane| {
                let push = &push;
                scope.spawn(move || {
                    messages
                        .iter()
                        .enumerate()
                        .skip(lane)
                        .step_by(IN_FLIGHT)
                        .map(|(i, m)| (i, push(m)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<(usize, Result<(), Broken>)> = lanes
            .into_iter()
            .flat_map(|l| {
                l.join().unwrap_or_else(|_| {
                    vec![(0, Err(SetupError::NotRunning("push thread").into()))]
                })
            })
            .collect();
        all.sort_by_key(|(i, _)| *i);
        all.into_iter().map(|(_, r)| r).collect()
    });
    results.into_iter().collect()
}

/// A transport that sends no framing of a case's own.
fn no_framing(_: &Framing) -> Result<(), &'static str> {
    Err("a push framing of another transport")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each framing is sent by its own transport (and WAP push framings over SMS too); through a
    /// PPG none is, the gateway frames the push.
    #[test]
    fn each_transport_declares_the_framings_it_sends() {
        let wsp = Framing::Wsp(crate::suite::WspFraming::default());
        let sms = Framing::Sms { port: 2949 };
        let obex = Framing::Obex { chunk: 8 };
        let sip = Framing::Sip(crate::suite::SipFraming::default());
        let sends =
            |t: TransportProfile, f: &Framing| kind(t).is_some_and(|k| (k.carries)(f).is_ok());
        for t in [
            TransportProfile::Udp,
            TransportProfile::Smpp,
            TransportProfile::Pap,
            TransportProfile::Obex,
            TransportProfile::Sip,
            TransportProfile::Http,
        ] {
            for f in [&wsp, &sms, &obex, &sip] {
                let expected = t == f.transport() || (t == TransportProfile::Smpp && f == &wsp);
                assert_eq!(sends(t, f), expected, "{t} sending {f:?}");
            }
        }
        assert!(kind(TransportProfile::Stdio).is_none());
        assert!(
            (kind(TransportProfile::Pap).unwrap().carries)(&wsp)
                .unwrap_err()
                .contains("PPG")
        );
    }
}
