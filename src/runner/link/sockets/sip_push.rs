//! 7.3 on the harness's side: its SIP element as the registrar the device registers with and the
//! user agent that sends each MESSAGE (client role), or registered as the device at a real core
//! (server role).

use super::super::net::Answered;
use super::super::{Broken, IutError, SetupError};
use super::{Sockets, host_port, reachable, reachable_towards, resolve};
use crate::adapter::sip::SipElement;
use crate::codec::sip::{self, SipTransport};
use crate::codec::{self};
use crate::suite::Framing;
use crate::suite::message::Built;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// The sentence 7.3 asks of a device over SIP push, as `suites/bases.yaml` names it: "The DM
/// Client MUST register with the SIP/IP Core as soon as practical." Its case judges the device's
/// REGISTER (`Problem::Requirement`).
pub const REGISTRATION_BASIS: &str = "c-sip-register";

impl Sockets {
    pub(super) fn sip_element(&self) -> Result<&SipElement, SetupError> {
        self.sip
            .as_ref()
            .ok_or(SetupError::NotRunning("SIP element"))
    }

    /// `sip:HOST:PORT` of the element, with an address a peer can reach.
    pub(super) fn sip_uri(&self, user: Option<&str>) -> Result<String, SetupError> {
        let at = reachable(self.sip_element()?.addr);
        Ok(match user {
            Some(u) => format!("sip:{u}@{}", host_port(at)),
            None => format!("sip:{}", host_port(at)),
        })
    }

    /// The device's URI: the profile's, or the contact it registered (waited for).
    pub(super) fn sip_contact(&self) -> Result<String, Broken> {
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

    /// 7.3: the Package #0 in a MESSAGE to the device, and its final response.
    pub(super) fn push_sip(
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
pub(super) fn register_device(
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
