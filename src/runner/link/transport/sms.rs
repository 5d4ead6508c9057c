//! 7.1 over SMS. Client role: each WAP push cut into SMS segments and submitted, through an ESME,
//! to the SMSC the device is bound to (the harness's own, or a lab's). Server role: the harness's
//! SMSC takes the server's submit_sm and the segments are made whole again.

use super::{Start, Transport, wsp_push};
use crate::adapter::address::{DeviceAddress, SmppAddress};
use crate::adapter::capture::Capture;
use crate::adapter::device::Arrival;
use crate::adapter::reachable;
use crate::adapter::smpp::{self, Smsc};
use crate::adapter::sms::{self as sms_link, Bind, Shape};
use crate::codec::sms;
use crate::runner::link::net::Answered;
use crate::runner::link::{Broken, SetupError};
use crate::scr::Role;
use crate::suite::Framing;
use crate::suite::message::Built;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

pub(super) fn carries(f: &Framing) -> Result<(), &'static str> {
    match f {
        Framing::Wsp(_) | Framing::Sms { .. } => Ok(()),
        _ => super::no_framing(f),
    }
}

pub(super) fn start(s: &Start<'_>) -> Result<Box<dyn Transport>, SetupError> {
    let smsc = SmscSide::start(s)?;
    Ok(Box::new(Sms {
        number: device_number(s),
        role: s.profile.role,
        sender: sms_link::Sender::default(),
        message_payload: s.profile.smsc_message_payload,
        pending: Vec::new(),
        capture: s.capture.clone(),
        timeout: s.timeout,
        smsc,
    }))
}

/// The device's number: the profile's (`sms:NUMBER`, or a bare number), else the reference's.
pub(super) fn device_number(s: &Start<'_>) -> String {
    match &s.profile.address {
        Some(a) => a.strip_prefix("sms:").unwrap_or(a).to_owned(),
        None => sms_link::DEVICE_NUMBER.to_owned(),
    }
}

/// The SMSC side of a run: the harness's SMSC, and a lab SMSC the device is behind instead.
pub(super) struct SmscSide {
    pub smsc: Smsc,
    /// Client role: a lab SMSC to submit to instead of the harness's own.
    lab: Option<SocketAddr>,
    /// The bind credentials of the harness's ESME, and whether the harness's SMSC requires them.
    credentials: (String, String),
    required: bool,
}

impl SmscSide {
    pub fn start(s: &Start<'_>) -> Result<SmscSide, SetupError> {
        let p = s.profile;
        let credentials = (
            p.smsc_system_id.clone().unwrap_or_else(|| "dmnoti".into()),
            p.smsc_password.clone().unwrap_or_default(),
        );
        let required = p.smsc_system_id.is_some();
        let at = s.at(p.smsc);
        let smsc = Smsc::start(at, s.capture.clone(), required.then(|| credentials.clone()))
            .map_err(Start::listener("SMSC (SMPP)", at))?;
        Ok(SmscSide {
            smsc,
            lab: p.lab_smsc,
            credentials,
            required,
        })
    }

    /// Client role: where the device binds to receive (a lab SMSC, else the harness's, with the
    /// credentials in the URI when it asks for them).
    pub fn for_device(&self) -> String {
        match self.lab {
            Some(lab) => SmppAddress {
                credentials: None,
                smsc: lab,
                number: None,
            },
            None => SmppAddress {
                credentials: self.required.then(|| self.credentials.clone()),
                smsc: reachable(self.smsc.addr),
                number: None,
            },
        }
        .to_string()
    }

    /// Client role: where the harness's ESME binds to submit, and in whose name the gateway's
    /// answer is reported.
    fn for_pushes(&self) -> (Bind, String) {
        let (smsc, gateway) = match self.lab {
            Some(lab) => (lab, format!("lab SMSC at {lab}")),
            None => (self.smsc.addr, "harness's SMSC".to_owned()),
        };
        let (system_id, password) = self.credentials.clone();
        (
            Bind {
                smsc,
                system_id,
                password,
            },
            gateway,
        )
    }
}

struct Sms {
    smsc: SmscSide,
    number: String,
    role: Role,
    sender: sms_link::Sender,
    /// Each push whole in message_payload.
    message_payload: bool,
    /// Server role: segments not yet whole.
    pending: Vec<Vec<u8>>,
    capture: Option<Capture>,
    timeout: Duration,
}

impl Transport for Sms {
    fn smsc(&self) -> Option<String> {
        (self.role == Role::Client).then(|| self.smsc.for_device())
    }

    fn push(
        &mut self,
        message: &Built,
        content_type: Option<&str>,
        framing: Option<&Framing>,
    ) -> Result<Option<Answered>, Broken> {
        let pdu = wsp_push(message.format, framing, content_type).encode(&message.bytes);
        let mut shape = Shape {
            message_payload: self.message_payload,
            ..Shape::default()
        };
        if let Some(Framing::Sms { port }) = framing {
            shape.port = *port;
        }
        let (bind, gateway) = self.smsc.for_pushes();
        // Towards its own SMSC the harness's SMSC records the session; towards a lab's, the
        // ESME does.
        let capture = self.smsc.lab.and(self.capture.clone());
        match self
            .sender
            .push(&bind, &self.number, &pdu, shape, self.timeout, capture)
        {
            Ok(segments) => Ok(Some(Answered::Smpp { segments })),
            Err(e) => Err(SetupError::Gateway {
                gateway,
                answer: e.to_string(),
            }
            .into()),
        }
    }

    /// A batch with several submit_sm outstanding at once, as an ESME with a window sends.
    fn push_batch(&mut self, messages: &[Built]) -> Result<(), Broken> {
        let pdus: Vec<Vec<u8>> = messages
            .iter()
            .map(|m| wsp_push(m.format, None, None).encode(&m.bytes))
            .collect();
        let shape = Shape {
            message_payload: self.message_payload,
            ..Shape::default()
        };
        let (bind, gateway) = self.smsc.for_pushes();
        let capture = self.smsc.lab.and(self.capture.clone());
        self.sender
            .push_many(&bind, &self.number, &pdus, shape, self.timeout, capture)
            .map_err(|e| {
                SetupError::Gateway {
                    gateway,
                    answer: e.to_string(),
                }
                .into()
            })
    }

    fn device(&mut self) -> Result<String, Broken> {
        self.smsc.smsc.drain();
        self.pending.clear();
        Ok(DeviceAddress::Sms(SmppAddress {
            credentials: None,
            smsc: reachable(self.smsc.smsc.addr),
            number: Some(self.number.clone()),
        })
        .to_string())
    }

    fn next_arrival(&mut self, wait: Duration) -> Option<Arrival> {
        // Segments gather until one message is whole, or the wait ends with what came.
        let deadline = Instant::now() + wait;
        loop {
            if let Some(whole) = whole_message(&self.pending) {
                let tpdus = whole.into_iter().map(|i| self.pending[i].clone()).collect();
                self.pending.clear();
                return Some(Arrival::Sms { tpdus });
            }
            let left = deadline.saturating_duration_since(Instant::now());
            // In slices, so that a signal is seen; what came stays pending until the wait ends.
            let got = self.smsc.smsc.next(left.min(crate::interrupt::SLICE));
            if got.is_none()
                && !left.is_zero()
                && left > crate::interrupt::SLICE
                && crate::interrupt::received().is_none()
            {
                continue;
            }
            match got {
                Some(s) => self.pending.push(sms::tpdu_of(
                    sms::Direction::Submit,
                    &s.segment.destination,
                    s.segment.data_coding,
                    s.segment.esm_class & smpp::ESM_UDHI != 0,
                    &s.segment.user_data,
                )),
                None if self.pending.is_empty() => return None,
                None => {
                    return Some(Arrival::Sms {
                        tpdus: std::mem::take(&mut self.pending),
                    });
                }
            }
        }
    }
}
/// The indexes of the segments that make one whole message, if some do: a TPDU without a
/// concatenation element is one on its own; else every sequence number of one reference.
fn whole_message(tpdus: &[Vec<u8>]) -> Option<Vec<usize>> {
    let read: Vec<(usize, sms::Tpdu)> = tpdus
        .iter()
        .enumerate()
        .filter_map(|(i, t)| Some((i, sms::decode(t, Some(sms::Direction::Submit)).ok()?)))
        .collect();
    // A TPDU that does not read is a message of its own, for the reader to name.
    if read.len() < tpdus.len() {
        return Some(vec![
            (0..tpdus.len()).find(|i| read.iter().all(|(j, _)| j != i))?,
        ]);
    }
    for (i, t) in &read {
        let Some((reference, total, _)) = t.concat() else {
            return Some(vec![*i]);
        };
        let of_it: Vec<usize> = read
            .iter()
            .filter(|(_, u)| {
                u.concat()
                    .is_some_and(|(r, n, _)| r == reference && n == total)
            })
            .map(|(j, _)| *j)
            .collect();
        let mut seqs: Vec<u8> = of_it
            .iter()
            .filter_map(|j| read.iter().find(|(k, _)| k == j)?.1.concat().map(|c| c.2))
            .collect();
        seqs.sort_unstable();
        seqs.dedup();
        if seqs.len() == usize::from(total) {
            return Some(of_it);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
