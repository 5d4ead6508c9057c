//! 7.1 through a Push Proxy Gateway. Client role: each Package #0 in a PAP 2.0 push-message to
//! the gateway (`profile.ppg`), which frames it and delivers it over SMS to the device bound at
//! the harness's SMSC (or a lab's). Server role: the harness is the PPG the server submits to.

use super::sms::{SmscSide, device_number};
use super::{Start, Transport};
use crate::adapter::address::DeviceAddress;
use crate::adapter::capture::Capture;
use crate::adapter::device::Arrival;
use crate::adapter::http::{self, HttpServer, Reply};
use crate::adapter::pap::{self as pap_link, Submission};
use crate::adapter::reachable;
use crate::codec::pap::{self, PapPush};
use crate::runner::link::net::Answered;
use crate::runner::link::{Broken, SetupError};
use crate::scr::Role;
use crate::suite::Framing;
use crate::suite::message::Built;
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

/// Through a PPG the gateway frames the push: a case's own framing cannot be sent.
pub(super) fn carries(_: &Framing) -> Result<(), &'static str> {
    Err("a push framing of the case's own (the PPG frames the push)")
}

pub(super) fn start(s: &Start<'_>) -> Result<Box<dyn Transport>, SetupError> {
    let number = device_number(s);
    Ok(match s.profile.role {
        Role::Client => Box::new(PapClient {
            smsc: SmscSide::start(s)?,
            ppg: s.profile.ppg.clone(),
            number,
            capture: s.capture.clone(),
            timeout: s.timeout,
        }),
        Role::Server => {
            let at = s.at(s.profile.device);
            let (server, received) =
                ppg(at, s.capture.clone()).map_err(Start::listener("PPG (PAP over HTTP)", at))?;
            Box::new(PapServer {
                _server: server.0,
                addr: server.1,
                received,
                number,
            })
        }
    })
}

/// The harness's PPG: each submission answered as PAP 2.0 says (202 and 1001, or 400 and 2000
/// naming the broken rule), and passed on as it read.
#[allow(clippy::type_complexity)]
fn ppg(
    at: std::net::SocketAddr,
    capture: Option<Capture>,
) -> std::io::Result<(
    (HttpServer, std::net::SocketAddr),
    Receiver<Result<PapPush, pap::Error>>,
)> {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let server = http::serve(at, capture, move |r| {
        let content_type = r.header("content-type").unwrap_or("").to_owned();
        let parsed = pap::parse_push(&content_type, &r.body);
        let reply = match &parsed {
            Ok(p) => Reply {
                status: 202,
                headers: vec![("Content-Type".into(), "application/xml".into())],
                body: pap::push_response(
                    p.push_id.as_deref(),
                    1001,
                    "The request has been accepted for processing",
                ),
            },
            Err(e) => Reply {
                status: 400,
                headers: vec![("Content-Type".into(), "application/xml".into())],
                body: pap::badmessage_response(2000, &e.kind.to_string(), &r.body),
            },
        };
        if let Ok(tx) = tx.lock() {
            let _ = tx.send(parsed);
        }
        reply
    })?;
    let addr = server.addr;
    Ok(((server, addr), rx))
}

struct PapClient {
    smsc: SmscSide,
    ppg: Option<String>,
    number: String,
    capture: Option<Capture>,
    timeout: Duration,
}

impl Transport for PapClient {
    fn smsc(&self) -> Option<String> {
        Some(self.smsc.for_device())
    }

    fn push(
        &mut self,
        message: &Built,
        content_type: Option<&str>,
        _: Option<&Framing>,
    ) -> Result<Option<Answered>, Broken> {
        let url = self.ppg.clone().ok_or(SetupError::NoAddress)?;
        let push_id = pap_link::push_id("harness");
        let submission = Submission {
            push_id: &push_id,
            number: &self.number,
            format: message.format,
            content_type,
            content: &message.bytes,
        };
        let gateway = format!("PPG at {url}");
        let answer = pap_link::submit(
            &url,
            &submission,
            |_| {},
            self.timeout,
            self.capture.as_ref(),
        )
        .map_err(|e| SetupError::Gateway {
            gateway: gateway.clone(),
            answer: e.to_string(),
        })?;
        let answered = Answered::Pap {
            status: answer.status,
            code: answer.code,
        };
        if !answer.accepted() {
            return Err(SetupError::Gateway {
                gateway,
                answer: answered.to_string(),
            }
            .into());
        }
        Ok(Some(answered))
    }

    fn device(&mut self) -> Result<String, Broken> {
        Err(SetupError::NotRunning("PPG (the harness is the PPG only for a server)").into())
    }

    fn next_arrival(&mut self, _: Duration) -> Option<Arrival> {
        None
    }
}

struct PapServer {
    _server: HttpServer,
    addr: std::net::SocketAddr,
    received: Receiver<Result<PapPush, pap::Error>>,
    number: String,
}

impl Transport for PapServer {
    fn push(
        &mut self,
        _: &Built,
        _: Option<&str>,
        _: Option<&Framing>,
    ) -> Result<Option<Answered>, Broken> {
        Err(SetupError::NoAddress.into())
    }

    fn device(&mut self) -> Result<String, Broken> {
        while self.received.try_recv().is_ok() {}
        Ok(DeviceAddress::Pap {
            number: self.number.clone(),
            ppg: format!("http://{}/wappush", reachable(self.addr)),
        }
        .to_string())
    }

    fn next_arrival(&mut self, wait: Duration) -> Option<Arrival> {
        crate::interrupt::wait_for(wait, |w| self.received.recv_timeout(w).ok()).map(Arrival::Pap)
    }
}
