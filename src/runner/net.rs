//! Cases over the network adapters (seed 7): messages go to a client by WAP push over UDP or by
//! OTA-HTTP push, and the client's answer is the Package #1 it posts to the mock DM server; a
//! server's notifications arrive at the harness playing the device.
//!
//! "Ignored" is not proven by waiting out a timeout: after each message the harness sends a valid
//! sentinel with a fresh session id; once the sentinel's session has arrived (and a short grace
//! for reordering has passed), a message without a session was ignored.

use super::checks::Failure;
use super::{Broken, CaseRun};
use crate::adapter::capture::Capture;
use crate::adapter::device::{Arrival, Device};
use crate::adapter::dm_server::{DmServer, Posted};
use crate::adapter::{self, Delivery};
use crate::codec::wsp::{self, AppId, ContentType, PushBuilder};
use crate::codec::{self, Format, ota_http};
use crate::profile::{Adapter, Profile};
use crate::scr::Role;
use crate::suite::Framing;
use crate::suite::message::{Built, MessageSpec};
use crate::testee::{NotifyRequest, Op, Outcome, Response, Session};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

/// A notification as it reached the device: its content type, its bytes, and the SessionID the
/// server said it expects.
pub(super) type Arrived = (String, Vec<u8>, Option<String>);

/// How long after the sentinel's session other sessions may still arrive.
const GRACE: Duration = Duration::from_millis(10);

/// The network side of a worker.
pub(super) struct Net {
    socket: UdpSocket,
    dm: Option<DmServer>,
    device: Option<Device>,
    target: Option<Delivery>,
    capture: Option<Capture>,
    adapter: Adapter,
}

/// Where an `udp://` or `http://` address points.
fn delivery(address: &str) -> Result<Delivery, String> {
    if let Some(a) = address.strip_prefix("udp://") {
        a.parse::<SocketAddr>()
            .map(Delivery::Udp)
            .map_err(|e| format!("{address}: {e}"))
    } else if address.starts_with("http://") {
        Ok(Delivery::Http {
            url: address.to_owned(),
            plain: false,
        })
    } else {
        Err(format!(
            "address {address:?}: expected udp://HOST:PORT or http://HOST:PORT/PATH"
        ))
    }
}

impl Net {
    pub(super) fn start(profile: &Profile, capture: Option<Capture>) -> Result<Net, String> {
        let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
        let socket = UdpSocket::bind(loopback).map_err(|e| format!("UDP socket: {e}"))?;
        let (dm, device) = match profile.role {
            Role::Client => (
                Some(
                    DmServer::start(profile.dm_server.unwrap_or(loopback), capture.clone())
                        .map_err(|e| format!("mock DM server: {e}"))?,
                ),
                None,
            ),
            Role::Server => (
                None,
                Some(
                    Device::start(profile.device.unwrap_or(loopback), capture.clone())
                        .map_err(|e| format!("device listener: {e}"))?,
                ),
            ),
        };
        let target = profile.address.as_deref().map(delivery).transpose()?;
        Ok(Net {
            socket,
            dm,
            device,
            target,
            capture,
            adapter: profile.adapter,
        })
    }

    /// The client's address as its hello gives it, unless the profile names one.
    pub(super) fn learn(
        &mut self,
        profile: &Profile,
        hello_address: Option<&str>,
    ) -> Result<(), String> {
        if profile.address.is_none() {
            if let Some(a) = hello_address {
                self.target = Some(delivery(a)?);
            }
        }
        Ok(())
    }

    /// The URI the mock DM server takes an account's sessions at.
    pub(super) fn server_uri(&self, server_id: &str) -> Option<String> {
        self.dm.as_ref().map(|d| d.uri_for(server_id))
    }
}

/// The session ids a SessionID text may stand for: its hex value whatever the case and padding,
/// and its decimal value (so that a wrong mapping is still attributed, and then judged).
fn candidates(text: &str) -> Vec<u16> {
    let mut out = Vec::new();
    if let Ok(v) = u16::from_str_radix(text, 16) {
        out.push(v);
    }
    if let Ok(v) = text.parse::<u16>() {
        out.push(v);
    }
    out
}

/// The WSP framing a step asks for.
fn framing(
    format: Format,
    f: Option<&Framing>,
    content_type: Option<&str>,
) -> Result<PushBuilder, String> {
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
            b.extra_headers = codec::parse_hex(h).map_err(|e| format!("extra_headers: {e}"))?;
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

impl CaseRun<'_, '_, '_> {
    fn net(&self) -> Result<&Net, Broken> {
        self.worker
            .net
            .as_ref()
            .ok_or_else(|| Broken::Setup("the network adapter is not running".into()))
    }

    fn push(
        &self,
        built: &Built,
        content_type: Option<&str>,
        f: Option<&Framing>,
    ) -> Result<Option<adapter::http::Answer>, Broken> {
        let net = self.net()?;
        let target = net.target.as_ref().ok_or_else(|| {
            Broken::Setup("the IUT's address is unknown: give address in the profile".into())
        })?;
        let pdu = framing(built.format, f, content_type).map_err(Broken::Setup)?;
        let to = match (target, content_type) {
            (Delivery::Http { url, .. }, Some(_)) => Delivery::Http {
                url: url.clone(),
                plain: true,
            },
            (t, _) => t.clone(),
        };
        if let (Delivery::Http { url, plain: true }, Some(ct)) = (&to, content_type) {
            // A plain push under the step's content type.
            return adapter::http::post(url, ct, &[], &built.bytes, self.worker.timeout)
                .map(Some)
                .map_err(|e| Broken::Iut(format!("push: {e}")));
        }
        adapter::push(
            &net.socket,
            &to,
            built.format,
            &pdu,
            &built.bytes,
            self.worker.timeout,
            net.capture.as_ref(),
        )
        .map_err(|e| Broken::Iut(format!("push: {e}")))
    }

    /// Posts that arrive until the sentinel's session has, plus the grace; those for `ids`.
    fn collect(&mut self, n: usize, ids: &[u16], sentinel: u16) -> Result<Vec<Posted>, Broken> {
        let timeout = self.worker.timeout;
        let deadline = Instant::now() + timeout;
        let mut grace_until: Option<Instant> = None;
        let mut found = Vec::new();
        loop {
            let until = grace_until.unwrap_or(deadline).min(deadline);
            let left = until.saturating_duration_since(Instant::now());
            let posted = match self.net()?.dm.as_ref() {
                Some(dm) => dm.next(left),
                None => None,
            };
            let Some(p) = posted else { break };
            match &p.package1 {
                Ok(p1) => {
                    let c = candidates(p1.session_id.as_deref().unwrap_or(""));
                    if c.contains(&sentinel) && grace_until.is_none() {
                        grace_until = Some(Instant::now() + GRACE);
                    } else if ids.iter().any(|id| c.contains(id)) {
                        found.push(p);
                    }
                }
                Err(e) => self.result.failures.push(Failure::of(
                    "C-001-M",
                    format!(
                        "step {n}: the client connected with a Package #1 that cannot be read: {e}"
                    ),
                )),
            }
        }
        if grace_until.is_none() {
            return Err(Broken::Iut(format!(
                "no session for the valid sentinel message in {}: the IUT stopped answering",
                super::seconds(timeout)
            )));
        }
        Ok(found)
    }

    fn sentinel(&mut self, format: Format, avoid: &[u16]) -> Result<Built, Broken> {
        loop {
            let s = self.build(&MessageSpec {
                format: Some(format),
                ..MessageSpec::default()
            })?;
            if !s.wire_session_id().is_some_and(|id| avoid.contains(&id)) {
                return Ok(s);
            }
        }
    }

    /// A message delivered over the network, answered as the stdio protocol would answer it.
    pub(super) fn net_deliver(
        &mut self,
        n: usize,
        built: &Built,
        content_type: Option<&str>,
        f: Option<&Framing>,
    ) -> Result<Response, Broken> {
        let id = built.wire_session_id().unwrap_or(0);
        let sentinel = self.sentinel(built.format, &[id])?;
        let answer = self.push(built, content_type, f)?;
        self.push(&sentinel, None, None)?;
        let found = self.collect(n, &[id], sentinel.wire_session_id().unwrap_or(0))?;
        Ok(match found.into_iter().next() {
            Some(p) => Response {
                outcome: Some(Outcome::Session),
                session: Some(session(&p, built)),
                ..Response::default()
            },
            None => Response {
                outcome: Some(Outcome::Ignored),
                reason: Some(match &answer {
                    Some(a) => format!(
                        "no session arrived, while the sentinel's did; the push was answered {}",
                        a.status
                    ),
                    None => "no session arrived, while the sentinel's did".into(),
                }),
                ..Response::default()
            },
        })
    }

    /// Generated variants over the network: all sent, then one sentinel; no variant may start a session.
    pub(super) fn net_generate(&mut self, n: usize, variants: &[Built]) -> Result<usize, Broken> {
        let ids: Vec<u16> = variants.iter().filter_map(Built::wire_session_id).collect();
        for v in variants {
            self.push(v, None, None)?;
        }
        let format = variants.first().map_or(Format::V13, |v| v.format);
        let sentinel = self.sentinel(format, &ids)?;
        self.push(&sentinel, None, None)?;
        Ok(self
            .collect(n, &ids, sentinel.wire_session_id().unwrap_or(0))?
            .len())
    }

    /// Asks a server to notify the harness-device, and takes what arrives: (content type, bytes,
    /// the SessionID the server says it expects).
    pub(super) fn net_notify(
        &mut self,
        n: usize,
        request: &NotifyRequest,
    ) -> Result<Option<Arrived>, Broken> {
        let (device_address, transport_item) = {
            let net = self.net()?;
            let device = net
                .device
                .as_ref()
                .ok_or_else(|| Broken::Setup("no device listener".into()))?;
            device.drain();
            match net.adapter {
                Adapter::Http => (format!("http://{}/push", device.http_addr), "S-015-O"),
                _ => (format!("udp://{}", device.udp_addr), "S-012-O"),
            }
        };
        let mut request = request.clone();
        request.device = Some(device_address.clone());
        let mut said = None;
        if self.worker.profile.command.is_some() {
            let r = self.call(Op::Notify {
                request: request.clone(),
            })?;
            if r.ok == Some(false) || r.outcome != Some(Outcome::Notification) {
                self.result.failures.push(Failure::of(
                    "S-002-M",
                    format!("step {n}: no notification: {}", r.error.unwrap_or_default()),
                ));
                return Ok(None);
            }
            said = r.session_id;
        } else if let Some(template) = &self.worker.profile.trigger {
            let json = serde_json::to_string(&request).unwrap_or_default();
            let command = template
                .replace("{device}", &device_address)
                .replace("{server_id}", request.server_id.as_deref().unwrap_or(""))
                .replace("{request}", &json);
            trigger(&command, self.worker.timeout)
                .map_err(|e| Broken::Iut(format!("trigger: {e}")))?;
        }
        let timeout = self.worker.timeout;
        let arrival = self.net()?.device.as_ref().and_then(|d| d.next(timeout));
        let Some(arrival) = arrival else {
            self.result.failures.push(Failure::of(
                transport_item,
                format!(
                    "step {n}: no notification reached the device ({device_address}) in {}",
                    super::seconds(timeout)
                ),
            ));
            return Ok(None);
        };
        match arrival {
            Arrival::Datagram { bytes, .. } => match wsp::decode(&bytes) {
                Err(e) => {
                    self.result.failures.push(Failure::of(
                        "S-012-O",
                        format!("step {n}: the datagram is not a WAP push: {e}"),
                    ));
                    Ok(None)
                }
                Ok(push) => {
                    for e in wsp::sender_rules(&push) {
                        self.result
                            .failures
                            .push(Failure::of("S-012-O", format!("step {n}: {e}")));
                    }
                    let format = wsp::route(&push).unwrap_or(Format::V13);
                    Ok(Some((
                        format.content_type().to_owned(),
                        push.body.to_vec(),
                        said,
                    )))
                }
            },
            Arrival::Push {
                content_type, body, ..
            } => match ota_http::decode_entity(&content_type, &body, 0) {
                Err(e) => {
                    self.result.failures.push(Failure::of(
                        "S-015-O",
                        format!("step {n}: the push is not an OTA-HTTP push: {e}"),
                    ));
                    Ok(None)
                }
                Ok(push) => Ok(Some((
                    push.format.content_type().to_owned(),
                    push.message.to_vec(),
                    said,
                ))),
            },
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
        requested_mo: requested
            .into_iter()
            .filter(|i| super::checks::mo_root(*i).is_none_or(|r| roots.iter().any(|x| x == r)))
            .collect(),
        package1: Some(String::from_utf8_lossy(&p.body).into_owned()),
        ..Session::default()
    }
}

/// Runs a trigger command, killing it after `timeout`.
fn trigger(command: &str, timeout: Duration) -> Result<(), String> {
    let mut child = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .spawn()
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("exited with {status}")),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("still running after {}", super::seconds(timeout)));
            }
        }
    }
}
