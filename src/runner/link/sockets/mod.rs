//! The real wire of the network link ([`Wire`]): the sockets and servers a run needs by its
//! transport and role, on loopback unless the profile binds them elsewhere: a UDP socket to push
//! from, the mock DM server (client role) or the harness as the device (server role), and per
//! transport the pieces of section 7 (`sms`: the SMSC and ESME of 7.1 over SMS; `pap`: the PPG
//! the harness submits to or is; `obex`: 7.2; `sip`: the SIP element of 7.3). `net` keeps the
//! protocol of a case; this module only moves bytes and says what it saw.

mod obex_push;
mod pap;
pub mod sip_push;
mod sms_push;

use super::net::{Answered, Wire};
use super::{Broken, IutError, Problem, SetupError};
use crate::codec::Rule as _;
pub use sip_push::REGISTRATION_BASIS;
use sip_push::register_device;
use sms_push::whole_message;

/// The UDP port of connectionless WSP (WAP-259), which Wireshark's WSP dissector listens for.
const WSP_PORT: u16 = 9200;
use crate::adapter::capture::Capture;
use crate::adapter::device::{Arrival, Device};
use crate::adapter::dm_server::{DmServer, Posted};
use crate::adapter::obex::{self as obex_link, ObexServer};
use crate::adapter::sip::SipElement;
use crate::adapter::smpp::{self, Esme, Smsc};
use crate::adapter::{self};
use crate::codec::sip::{self};
use crate::codec::sms;
use crate::codec::wsp::{self, AppId, ContentType, PushBuilder};
use crate::codec::{self, Format};
use crate::profile::Profile;
use crate::scr::Role;
use crate::suite::Framing;
use crate::suite::message::Built;
use crate::transport::TransportProfile as Adapter;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

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
            _ => smpp::DEVICE_NUMBER.to_owned(),
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
pub(super) fn framing(
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

/// An address a peer can send to: the unspecified address stands for loopback.
pub(super) fn reachable(mut at: SocketAddr) -> SocketAddr {
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
pub(super) fn reachable_towards(at: SocketAddr, to: SocketAddr) -> SocketAddr {
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
pub(super) fn host_port(at: SocketAddr) -> String {
    at.to_string()
}

/// A SIP URI's host and port as a socket address (an IP literal, or a name the system resolves).
pub(super) fn resolve(host: &str, port: u16) -> Option<SocketAddr> {
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
        let address = match self.lab_smsc {
            Some(lab) => smpp::SmppAddress {
                credentials: None,
                smsc: lab,
                number: None,
            },
            // The credentials ride in the URI when the SMSC asks for them.
            None => smpp::SmppAddress {
                credentials: self.smsc_required.clone(),
                smsc: reachable(self.smsc.as_ref()?.addr),
                number: None,
            },
        };
        Some(address.to_string())
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
            .map(|e| Problem::Requirement {
                basis: sip_push::REGISTRATION_BASIS,
                broken: format!(
                    "the device's REGISTER breaks 7.3: {} ({})",
                    e.kind,
                    e.kind.section()
                ),
            });
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
            return Ok(smpp::SmppAddress {
                credentials: None,
                smsc: reachable(smsc.addr),
                number: Some(self.sms_number.clone()),
            }
            .to_string());
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
