//! 7.4, OTA-HTTP push. Client role: each push POSTed to the device's `http://` URL (under the
//! step's content type, when it names one, as a plain push). Server role: the harness is the
//! device, an HTTP listener (`adapter::device`).

use super::{Start, Target, Transport};
use crate::adapter::address::DeviceAddress;
use crate::adapter::device::{Arrival, Device};
use crate::adapter::{self, capture::Capture};
use crate::codec::wsp::PushBuilder;
use crate::runner::link::net::Answered;
use crate::runner::link::{Broken, IutError, SetupError};
use crate::suite::Framing;
use crate::suite::message::Built;
use std::time::Duration;

pub(super) fn carries(f: &Framing) -> Result<(), &'static str> {
    super::no_framing(f)
}

pub(super) fn start(s: &Start<'_>) -> Result<Box<dyn Transport>, SetupError> {
    Ok(Box::new(Http {
        target: Target::of(s, |a| match a.parse() {
            Ok(DeviceAddress::Http(url)) => Some(url),
            _ => None,
        })?,
        device: super::device_listener(s)?,
        capture: s.capture.clone(),
        timeout: s.timeout,
    }))
}

struct Http {
    target: Target<String>,
    device: Option<Device>,
    capture: Option<Capture>,
    timeout: Duration,
}

impl Transport for Http {
    fn learn(&mut self, hello_address: Option<&str>) -> Result<(), Broken> {
        self.target.learn(hello_address)
    }

    fn push(
        &mut self,
        message: &Built,
        content_type: Option<&str>,
        _: Option<&Framing>,
    ) -> Result<Option<Answered>, Broken> {
        let url = self.target.get()?;
        push_one(
            &url,
            message,
            content_type,
            self.timeout,
            self.capture.as_ref(),
        )
    }

    /// A batch on one persistent connection (HTTP/1.1 8.1), as a push initiator keeps one open
    /// to a device it pushes to often.
    fn push_batch(&mut self, messages: &[Built]) -> Result<(), Broken> {
        let url = self.target.get()?;
        let bodies: Vec<_> = messages.iter().map(|m| (m.format, &m.bytes[..])).collect();
        adapter::push_http_many(&url, &bodies, self.timeout, self.capture.as_ref())
            .map(|_| ())
            .map_err(|e| IutError::Push(e).into())
    }

    fn device(&mut self) -> Result<String, Broken> {
        let device = self
            .device
            .as_ref()
            .ok_or(SetupError::NotRunning("device listener"))?;
        device.drain();
        Ok(DeviceAddress::Http(format!("http://{}/push", device.http_addr)).to_string())
    }

    fn next_arrival(&mut self, wait: Duration) -> Option<Arrival> {
        let device = self.device.as_ref()?;
        crate::interrupt::wait_for(wait, |w| device.next(w))
    }
}

/// One OTA-HTTP push to `url` (a plain one under `content_type` when the step names one).
fn push_one(
    url: &str,
    message: &Built,
    content_type: Option<&str>,
    timeout: Duration,
    capture: Option<&Capture>,
) -> Result<Option<Answered>, Broken> {
    if let Some(ct) = content_type {
        // A plain push under the step's content type.
        return adapter::http::post(url, ct, &[], &message.bytes, timeout)
            .map(|a| Some(Answered::from(&a)))
            .map_err(|e| IutError::Push(e).into());
    }
    adapter::push(
        None,
        &adapter::Delivery::Http {
            url: url.to_owned(),
            plain: false,
        },
        message.format,
        &PushBuilder::new(message.format),
        &message.bytes,
        timeout,
        capture,
    )
    .map(|a| a.as_ref().map(Answered::from))
    .map_err(|e| IutError::Push(e).into())
}
