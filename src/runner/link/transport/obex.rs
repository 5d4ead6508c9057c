//! 7.2, OBEX. Client role: each Package #0 in an OBEX PUT (CONNECT, PUT, DISCONNECT) to the
//! device's OBEX server. Server role: the harness is the device, an OBEX server.

use super::{Start, Target, Transport};
use crate::adapter::address::DeviceAddress;
use crate::adapter::capture::Capture;
use crate::adapter::device::Arrival;
use crate::adapter::obex::{self as obex_link, ObexServer};
use crate::adapter::reachable;
use crate::codec::obex;
use crate::runner::link::net::Answered;
use crate::runner::link::{Broken, IutError, SetupError};
use crate::scr::Role;
use crate::suite::Framing;
use crate::suite::message::Built;
use std::net::SocketAddr;
use std::time::Duration;

pub(super) fn carries(f: &Framing) -> Result<(), &'static str> {
    match f {
        Framing::Obex { .. } => Ok(()),
        _ => super::no_framing(f),
    }
}

pub(super) fn start(s: &Start<'_>) -> Result<Box<dyn Transport>, SetupError> {
    let device = match s.profile.role {
        Role::Client => None,
        Role::Server => {
            let at = s.at(s.profile.device);
            Some(
                ObexServer::start(at, s.capture.clone(), obex_link::RECEIVE_MAX, None)
                    .map_err(Start::listener("OBEX server (the device)", at))?,
            )
        }
    };
    Ok(Box::new(Obex {
        target: Target::of(s, |a| match a.parse() {
            Ok(DeviceAddress::Obex(at)) => Some(at),
            _ => None,
        })?,
        device,
        capture: s.capture.clone(),
        timeout: s.timeout,
    }))
}

struct Obex {
    target: Target<SocketAddr>,
    device: Option<ObexServer>,
    capture: Option<Capture>,
    timeout: Duration,
}

impl Transport for Obex {
    fn learn(&mut self, hello_address: Option<&str>) -> Result<(), Broken> {
        self.target.learn(hello_address)
    }

    fn push(
        &mut self,
        message: &Built,
        content_type: Option<&str>,
        framing: Option<&Framing>,
    ) -> Result<Option<Answered>, Broken> {
        let to = self.target.get()?;
        let chunk = match framing {
            Some(Framing::Obex { chunk }) => Some(*chunk),
            _ => None,
        };
        push_one(
            to,
            message,
            content_type,
            chunk,
            self.timeout,
            self.capture.as_ref(),
        )
    }

    /// A batch in one OBEX session (OBEX lets a client PUT any number of objects between its
    /// CONNECT and DISCONNECT); what the session did not get to, on connections of their own.
    fn push_batch(&mut self, messages: &[Built]) -> Result<(), Broken> {
        let to = self.target.get()?;
        let (timeout, capture) = (self.timeout, self.capture.as_ref());
        let bodies: Vec<_> = messages.iter().map(|m| (m.format, &m.bytes[..])).collect();
        let spec = obex_link::PushSpec::default();
        let done = match obex_link::push_session(to, &spec, &bodies, timeout, capture) {
            // A device that refuses the session takes none of them.
            Ok(p) if p.first().is_some_and(|p| p.connect != obex::rsp::SUCCESS) => messages.len(),
            Ok(p) => p.len(),
            Err(e) => return Err(IutError::Push(e).into()),
        };
        super::push_concurrently(&messages[done..], |m| {
            push_one(to, m, None, None, timeout, capture).map(|_| ())
        })
    }

    fn device(&mut self) -> Result<String, Broken> {
        let server = self
            .device
            .as_ref()
            .ok_or(SetupError::NotRunning("OBEX server"))?;
        server.drain();
        Ok(DeviceAddress::Obex(reachable(server.addr)).to_string())
    }

    fn next_arrival(&mut self, wait: Duration) -> Option<Arrival> {
        let device = self.device.as_ref()?;
        crate::interrupt::wait_for(wait, |w| device.next(w)).map(Arrival::Obex)
    }
}

/// 7.2: one Package #0 in an OBEX PUT (on a connection of its own) to the device at `to`.
fn push_one(
    to: SocketAddr,
    message: &Built,
    content_type: Option<&str>,
    chunk: Option<usize>,
    timeout: Duration,
    capture: Option<&Capture>,
) -> Result<Option<Answered>, Broken> {
    let spec = obex_link::PushSpec {
        put: obex::PutSpec {
            type_text: content_type,
            chunk,
            ..obex::PutSpec::default()
        },
        ..obex_link::PushSpec::default()
    };
    let pushed = obex_link::push(to, &spec, message.format, &message.bytes, timeout, capture)
        .map_err(IutError::Push)?;
    Ok(Some(Answered::Obex {
        connect: pushed.connect,
        put: pushed.put,
        packets: pushed.packets,
    }))
}
