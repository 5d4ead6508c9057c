//! 7.3, SIP push. Client role: the harness's SIP element is the registrar the device registers
//! with (or a real core is, behind the outbound proxy) and the user agent that sends each MESSAGE
//! to the device's contact. Server role: the element is the device's user agent, registered at a
//! real core when the profile names one.
//!
//! What 7.3 requires of the device, its registration, is declared here
//! ([`REGISTRATION_BASIS`]) and judged by the case whose basis is that sentence.

use super::{Start, Transport};
use crate::adapter::device::Arrival;
use crate::adapter::reachable;
use crate::adapter::sip::{MessagePush, SipElement, reachable_towards, resolve};
use crate::codec::sip::{self, SipTransport};
use crate::runner::link::net::Answered;
use crate::runner::link::{Broken, IutError, Problem, SetupError};
use crate::scr::Role;
use crate::suite::Framing;
use crate::suite::message::Built;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// The sentence 7.3 asks of a device over SIP push, as `suites/bases.yaml` names it: "The DM
/// Client MUST register with the SIP/IP Core as soon as practical." Its case judges the device's
/// REGISTER (`Problem::Requirement`).
pub const REGISTRATION_BASIS: &str = "c-sip-register";

pub(super) fn carries(f: &Framing) -> Result<(), &'static str> {
    match f {
        Framing::Sip(_) => Ok(()),
        _ => super::no_framing(f),
    }
}

pub(super) fn start(s: &Start<'_>) -> Result<Box<dyn Transport>, SetupError> {
    let at = s.at(s.profile.sip);
    let element = SipElement::start(at, s.capture.clone())
        .map_err(Start::listener("SIP element (UDP and TCP)", at))?;
    let target = s.profile.address.clone();
    if let Some(t) = &target
        && sip::uri_target(t).is_none()
    {
        return Err(SetupError::Address(t.clone()));
    }
    if let (Role::Server, Some(proxy)) = (s.profile.role, s.profile.outbound_proxy) {
        register_device(&element, proxy, target.as_deref(), s.timeout)?;
    }
    Ok(Box::new(Sip {
        element,
        role: s.profile.role,
        target,
        outbound_proxy: s.profile.outbound_proxy,
        registration: None,
        hello: None,
        dropped: 0,
        timeout: s.timeout,
    }))
}

struct Sip {
    element: SipElement,
    role: Role,
    /// Client role: the device's URI when the profile names it (else its registration);
    /// server role: the device's public URI behind a real core.
    target: Option<String>,
    outbound_proxy: Option<SocketAddr>,
    /// Client role: what is wrong with the device's latest REGISTER.
    registration: Option<Problem>,
    /// Client role: the device's own address, from its hello (its contact).
    hello: Option<String>,
    /// What the element had dropped when last reported.
    dropped: usize,
    timeout: Duration,
}

impl Sip {
    /// `sip:[USER@]HOST:PORT` of the element, with an address a peer can reach.
    fn uri(&self, user: Option<&str>) -> String {
        let at = reachable(self.element.addr);
        match user {
            Some(u) => format!("sip:{u}@{at}"),
            None => format!("sip:{at}"),
        }
    }

    /// Where a request for `uri` goes: the outbound proxy, else the URI's host.
    fn next_hop(&self, uri: &str) -> Result<SocketAddr, SetupError> {
        let (host, port, _) =
            sip::uri_target(uri).ok_or_else(|| SetupError::Address(uri.to_owned()))?;
        match self.outbound_proxy {
            Some(p) => Ok(p),
            None => resolve(&host, port).ok_or_else(|| SetupError::Address(uri.to_owned())),
        }
    }

    /// The device's URI: the profile's, or the contact it registered (waited for).
    fn contact(&self) -> Result<String, Broken> {
        if let Some(t) = &self.target {
            return Ok(t.clone());
        }
        let deadline = Instant::now() + self.timeout;
        loop {
            if let Some((_, b)) = self.element.device_binding(self.hello.as_deref()) {
                return Ok(b.contact);
            }
            if Instant::now() >= deadline || crate::interrupt::received().is_some() {
                return Err(IutError::NotRegistered {
                    registrar: self.uri(None),
                    waited: self.timeout,
                }
                .into());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Transport for Sip {
    fn registrar(&self) -> Option<String> {
        // Only a client registers.
        (self.role == Role::Client).then(|| self.uri(None))
    }

    fn problems(&mut self) -> Vec<Problem> {
        let device = self
            .element
            .device_binding(self.hello.as_deref())
            .map(|(aor, _)| aor);
        let mut strays = Vec::new();
        // The device's latest REGISTER is its registration; another device's is recorded.
        while let Some(r) = self.element.next_register(Duration::ZERO) {
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
            .map(|e| {
                use crate::codec::Rule as _;
                Problem::Requirement {
                    basis: REGISTRATION_BASIS,
                    broken: format!(
                        "the device's REGISTER breaks 7.3: {} ({})",
                        e.kind,
                        e.kind.section()
                    ),
                }
            });
        }
        // What the element dropped past its bounds (a flooding peer, one that does not read) is
        // recorded with the case that was running.
        let dropped = self.element.dropped();
        if dropped > self.dropped {
            strays.push(Problem::Stray(format!(
                "the SIP element dropped {} request(s), REGISTER(s) or connection(s) past its bounds (a peer flooding it or not reading)",
                dropped - self.dropped
            )));
            self.dropped = dropped;
        }
        self.registration.iter().cloned().chain(strays).collect()
    }

    fn learn(&mut self, hello_address: Option<&str>) -> Result<(), Broken> {
        // A SIP client is reached at the contact it registers, as through a SIP/IP core: its
        // hello's address tells its binding from another device's.
        if let Some(a) = hello_address {
            self.hello = Some(a.to_owned());
        }
        Ok(())
    }

    fn push(
        &mut self,
        message: &Built,
        content_type: Option<&str>,
        framing: Option<&Framing>,
    ) -> Result<Option<Answered>, Broken> {
        let uri = self.contact()?;
        let to = self.next_hop(&uri)?;
        let mut push = MessagePush::new(message.format);
        push.content_type = content_type;
        if let Some(Framing::Sip(f)) = framing {
            push.feature_tag = !f.no_feature_tag;
            push.transport = f.transport;
            push.past_content_length = &f.past_content_length;
        }
        let (over, answer) =
            self.element
                .send_message(to, &uri, &push, &message.bytes, self.timeout);
        Ok(Some(match answer {
            Ok(f) => Answered::Sip {
                code: f.code,
                reason: f.reason,
                over,
            },
            Err(e) => Answered::SipNone {
                over,
                why: e.to_string(),
            },
        }))
    }

    fn push_batch(&mut self, messages: &[Built]) -> Result<(), Broken> {
        let uri = self.contact()?;
        let to = self.next_hop(&uri)?;
        let (element, timeout) = (&self.element, self.timeout);
        super::push_concurrently(messages, |m| {
            let push = MessagePush::new(m.format);
            // Whether the device took each is not looked at: only what it then does.
            let _ = element.send_message(to, &uri, &push, &m.bytes, timeout);
            Ok(())
        })
    }

    fn device(&mut self) -> Result<String, Broken> {
        while self.element.next_request(Duration::ZERO).is_some() {}
        // Behind a real core, the device's public URI; else the element itself.
        Ok(match &self.target {
            Some(aor) => aor.clone(),
            None => self.uri(Some("device")),
        })
    }

    fn next_arrival(&mut self, wait: Duration) -> Option<Arrival> {
        crate::interrupt::wait_for(wait, |w| self.element.next_request(w)).map(|r| Arrival::Sip {
            transport: r.transport,
            bytes: r.bytes,
        })
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
    let registrar = format!("sip:{proxy}");
    let aor = aor.map_or_else(|| format!("sip:device@{}", proxy.ip()), str::to_owned);
    let contact = format!("sip:device@{at}");
    let via = at.to_string();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Format;
    use crate::profile::Profile;
    use crate::transport::TransportProfile;
    use std::net::UdpSocket;

    fn start_sip(
        role: Role,
        profile: Option<Profile>,
        timeout: Duration,
    ) -> Result<Box<dyn Transport>, SetupError> {
        let profile =
            profile.unwrap_or_else(|| Profile::reference_over(role, &[], TransportProfile::Sip));
        start(&Start {
            profile: &profile,
            capture: None,
            timeout,
        })
    }

    /// Server role behind a real core: the harness registers as the device, with the DM feature
    /// tag, at the proxy; the server is told the device's public URI.
    #[test]
    fn a_sip_server_behind_a_core_gets_the_device_registered() {
        let core = SipElement::start("127.0.0.1:0".parse().unwrap(), None).unwrap();
        let mut profile = Profile::reference_over(Role::Server, &[], TransportProfile::Sip);
        profile.outbound_proxy = Some(core.addr);
        profile.address = Some("sip:+15550100@ims.example.net".into());
        let mut sip =
            start_sip(Role::Server, Some(profile.clone()), Duration::from_secs(2)).unwrap();
        let r = core.next_register(Duration::from_secs(1)).unwrap();
        let m = sip::parse_datagram(&r.bytes).unwrap();
        let reg = sip::check_register(&m).unwrap();
        assert_eq!(m.header("To"), Some("<sip:+15550100@ims.example.net>"));
        assert!(
            reg.contact.starts_with("sip:device@127.0.0.1:"),
            "{}",
            reg.contact
        );
        assert_eq!(sip.device().unwrap(), "sip:+15550100@ims.example.net");
        // A core that refuses: the run cannot start, and says where and why.
        drop(sip);
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        profile.outbound_proxy = Some(silent.local_addr().unwrap());
        let err = start_sip(Role::Server, Some(profile), Duration::from_millis(300))
            .err()
            .unwrap();
        assert!(err.to_string().contains("registering the device"), "{err}");
    }

    /// Client role: the registrar is offered to the client; a client that never registers is an
    /// error that quotes 7.3's sentence, not a hang.
    #[test]
    fn a_sip_client_that_does_not_register_is_named() {
        let mut sip = start_sip(Role::Client, None, Duration::from_millis(200)).unwrap();
        let registrar = sip.registrar().unwrap();
        assert!(registrar.starts_with("sip:127.0.0.1:"), "{registrar}");
        let built = Built {
            bytes: vec![0; 8],
            format: Format::V13,
        };
        let err = sip.push(&built, None, None).err().unwrap();
        assert!(
            err.to_string()
                .contains("MUST register with the SIP/IP Core as soon as practical"),
            "{err}"
        );
    }
}
