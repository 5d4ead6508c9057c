//! 7.1, connectionless WAP push over UDP. Client role: each push a WSP push PDU sent to the
//! device's `udp://` address from the WSP port. Server role: the harness is the device, a UDP
//! listener (`adapter::device`).

use super::{Start, Target, Transport, wsp_push};
use crate::adapter::address::DeviceAddress;
use crate::adapter::device::{Arrival, Device};
use crate::adapter::{self, capture::Capture};
use crate::runner::link::net::Answered;
use crate::runner::link::{Broken, IutError, SetupError};
use crate::suite::Framing;
use crate::suite::message::Built;
use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The UDP port of connectionless WSP (WAP-259), which Wireshark's WSP dissector listens for.
const WSP_PORT: u16 = 9200;

pub(super) fn carries(f: &Framing) -> Result<(), &'static str> {
    match f {
        Framing::Wsp(_) => Ok(()),
        _ => super::no_framing(f),
    }
}

pub(super) fn start(s: &Start<'_>) -> Result<Box<dyn Transport>, SetupError> {
    Ok(Box::new(Udp {
        target: Target::of(s, |a| match a.parse() {
            Ok(DeviceAddress::Udp(at)) => Some(at),
            _ => None,
        })?,
        socket: None,
        device: super::device_listener(s)?,
        capture: s.capture.clone(),
        timeout: s.timeout,
    }))
}

pub(super) struct Udp {
    target: Target<SocketAddr>,
    socket: Option<Arc<UdpSocket>>,
    /// Server role: the harness as the device.
    device: Option<Device>,
    capture: Option<Capture>,
    timeout: Duration,
}

impl Udp {
    /// The push socket for a target: bound to the unspecified address of its family, so that the
    /// kernel picks the route to any device (a socket on 127.0.0.1 reaches only loopback).
    fn socket_for(&mut self, to: SocketAddr) -> Result<(), SetupError> {
        let family_matches = self
            .socket
            .as_ref()
            .and_then(|s| s.local_addr().ok())
            .is_some_and(|a| a.is_ipv4() == to.is_ipv4());
        if family_matches {
            return Ok(());
        }
        let any = |port: u16| -> SocketAddr {
            if to.is_ipv4() {
                ([0, 0, 0, 0], port).into()
            } else {
                (std::net::Ipv6Addr::UNSPECIFIED, port).into()
            }
        };
        // From WSP's own port, one socket for the whole run (its workers share it), so that a
        // capture's pushes dissect as WSP whatever port the device listens on; from any port
        // when another process holds 9200.
        static WSP_V4: OnceLock<Option<Arc<UdpSocket>>> = OnceLock::new();
        static WSP_V6: OnceLock<Option<Arc<UdpSocket>>> = OnceLock::new();
        let shared = if to.is_ipv4() { &WSP_V4 } else { &WSP_V6 };
        let socket = match shared.get_or_init(|| UdpSocket::bind(any(WSP_PORT)).ok().map(Arc::new))
        {
            Some(s) => Arc::clone(s),
            None => Arc::new(
                UdpSocket::bind(any(0)).map_err(|source| SetupError::Listener {
                    what: "UDP socket",
                    at: any(0).to_string(),
                    source,
                })?,
            ),
        };
        self.socket = Some(socket);
        Ok(())
    }
}

impl Transport for Udp {
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
        self.socket_for(to)?;
        let pdu = wsp_push(message.format, framing, content_type);
        adapter::push(
            self.socket.as_deref(),
            &adapter::Delivery::Udp(to),
            message.format,
            &pdu,
            &message.bytes,
            self.timeout,
            self.capture.as_ref(),
        )
        .map(|a| a.as_ref().map(Answered::from))
        .map_err(|e| IutError::Push(e).into())
    }

    fn device(&mut self) -> Result<String, Broken> {
        let device = self
            .device
            .as_ref()
            .ok_or(SetupError::NotRunning("device listener"))?;
        device.drain();
        Ok(DeviceAddress::Udp(device.udp_addr).to_string())
    }

    fn next_arrival(&mut self, wait: Duration) -> Option<Arrival> {
        let device = self.device.as_ref()?;
        crate::interrupt::wait_for(wait, |w| device.next(w))
    }
}
