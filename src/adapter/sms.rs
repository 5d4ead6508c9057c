//! WAP push over SMS (7.1), the sending side shared by the harness (pushing to a client) and the
//! reference server (notifying a device): a push cut into SMS segments (`codec::sms`), each
//! submitted through an ESME bound to an SMSC (`smpp`). One sender, so that both speak the same
//! SMS and a fix reaches both.

use super::capture::Capture;
use super::smpp::{BindAs, ESM_UDHI, Esme, OK, Segment, SmppError};
use crate::codec::sms;
use rusmpp::CommandStatus;
use std::net::SocketAddr;
use std::time::Duration;

/// The number the harness and the reference server send pushes from.
pub const ORIGINATOR: &str = "+15550199";

/// The number of the device a push goes to over SMS when the profile names none (the reference
/// client says it is reached there).
pub const DEVICE_NUMBER: &str = "+15550100";

/// Why a push's segments were not all taken.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("submit_sm of segment {segment} of {of} answered {status:?}")]
    Refused {
        segment: usize,
        of: usize,
        status: CommandStatus,
    },
    /// The session is gone (or never came up): bind again before the next push.
    #[error(transparent)]
    Session(#[from] SmppError),
}

/// How the SMS of one push depart from 7.1's conformant ones (a case's framing, a server fault).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// The WDP destination port (2948, the WAP push port, when conformant).
    pub port: u16,
    /// The TP-DCS (8-bit data, 0x04, when conformant).
    pub dcs: u8,
    /// The whole push in one submit_sm's message_payload, for the SMSC to cut.
    pub message_payload: bool,
}

impl Default for Shape {
    fn default() -> Shape {
        let spec = sms::SmsSpec::new(sms::Direction::Submit);
        Shape {
            port: spec.destination_port,
            dcs: spec.dcs,
            message_payload: false,
        }
    }
}

/// An SMSC to bind to, and as whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    pub smsc: SocketAddr,
    pub system_id: String,
    pub password: String,
}

/// Pushes over SMS from one ESME, bound on the first push and again after a session is lost;
/// each push gets the next concatenation reference.
#[derive(Default)]
pub struct Sender {
    esme: Option<(Bind, Esme)>,
    reference: u16,
}

impl Sender {
    /// Bound to `bind`'s SMSC as a transmitter: the session it has, or a new one.
    fn bound(
        &mut self,
        bind: &Bind,
        timeout: Duration,
        capture: Option<Capture>,
    ) -> Result<(), SubmitError> {
        if self.esme.as_ref().is_none_or(|(b, _)| b != bind) {
            let esme = Esme::bind(
                bind.smsc,
                BindAs::Transmitter,
                &bind.system_id,
                &bind.password,
                timeout,
                capture,
            )?;
            self.esme = Some((bind.clone(), esme));
        }
        Ok(())
    }

    /// The WSP push `pdu` to `number`, in SMS segments submitted through `bind`'s SMSC; the
    /// number of submit_sm sent.
    pub fn push(
        &mut self,
        bind: &Bind,
        number: &str,
        pdu: &[u8],
        shape: Shape,
        timeout: Duration,
        capture: Option<Capture>,
    ) -> Result<usize, SubmitError> {
        self.bound(bind, timeout, capture)?;
        self.reference = self.reference.wrapping_add(1);
        let user_data = segments(number, pdu, shape, self.reference);
        let Some((_, esme)) = self.esme.as_mut() else {
            return Err(SubmitError::Session(SmppError::Field("ESME")));
        };
        match submit_push(esme, ORIGINATOR, number, &user_data) {
            Ok(()) => Ok(user_data.len()),
            Err(e) => {
                if matches!(e, SubmitError::Session(_)) {
                    self.esme = None;
                }
                Err(e)
            }
        }
    }
}

impl Sender {
    /// Each WSP push of `pdus` to `number`, as [`Sender::push`] does, with up to [`WINDOW`]
    /// submit_sm outstanding at once; the first refusal, if any.
    pub fn push_many(
        &mut self,
        bind: &Bind,
        number: &str,
        pdus: &[Vec<u8>],
        shape: Shape,
        timeout: Duration,
        capture: Option<Capture>,
    ) -> Result<(), SubmitError> {
        self.bound(bind, timeout, capture)?;
        let mut all = Vec::new();
        for pdu in pdus {
            self.reference = self.reference.wrapping_add(1);
            for (udhi, dcs, ud) in segments(number, pdu, shape, self.reference) {
                all.push(Segment {
                    source: ORIGINATOR.to_owned(),
                    destination: number.to_owned(),
                    esm_class: if udhi { ESM_UDHI } else { 0 },
                    data_coding: dcs,
                    user_data: ud,
                });
            }
        }
        let Some((_, esme)) = self.esme.as_mut() else {
            return Err(SubmitError::Session(SmppError::Field("ESME")));
        };
        let statuses = match esme.submit_window(&all, WINDOW) {
            Ok(s) => s,
            Err(e) => {
                self.esme = None;
                return Err(e.into());
            }
        };
        match statuses.iter().position(|s| *s != OK) {
            Some(n) => Err(SubmitError::Refused {
                segment: n + 1,
                of: all.len(),
                status: statuses[n],
            }),
            None => Ok(()),
        }
    }
}

/// How many submit_sm an ESME of the harness keeps outstanding (a common SMSC window).
pub const WINDOW: usize = 10;

/// The user data of each segment of a push (UDHI, data coding, user data with its header), as
/// 7.1 cuts it: the port element, and a concatenation element when one SMS is not enough.
pub fn segments(
    number: &str,
    pdu: &[u8],
    shape: Shape,
    reference: u16,
) -> Vec<(bool, u8, Vec<u8>)> {
    let mut spec = sms::SmsSpec::new(sms::Direction::Submit);
    spec.address = sms::Address::number(number);
    spec.destination_port = shape.port;
    spec.dcs = shape.dcs;
    spec.reference = reference % 256;
    let tpdus = sms::encode(&spec, pdu);
    let user_data = sms::user_data(&tpdus);
    if shape.message_payload && user_data.len() > 1 {
        // Whole, for the SMSC to cut: the port element, then all of the push.
        let mut ud = vec![6, 0x05, 0x04];
        ud.extend_from_slice(&spec.destination_port.to_be_bytes());
        ud.extend_from_slice(&spec.source_port.to_be_bytes());
        ud.extend_from_slice(pdu);
        return vec![(true, spec.dcs, ud)];
    }
    user_data
}

/// Submits one push's segments from `source` to `destination`, in order; the first that is not
/// taken stops it.
pub fn submit_push(
    esme: &mut Esme,
    source: &str,
    destination: &str,
    user_data: &[(bool, u8, Vec<u8>)],
) -> Result<(), SubmitError> {
    for (n, (udhi, dcs, ud)) in user_data.iter().enumerate() {
        let segment = Segment {
            source: source.to_owned(),
            destination: destination.to_owned(),
            esm_class: if *udhi { ESM_UDHI } else { 0 },
            data_coding: *dcs,
            user_data: ud.clone(),
        };
        match esme.submit(&segment)? {
            status if status == OK => {}
            status => {
                return Err(SubmitError::Refused {
                    segment: n + 1,
                    of: user_data.len(),
                    status,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A push that fits one SMS is one segment with a port element; a long one is cut with a
    /// concatenation element; with message_payload it stays whole.
    #[test]
    fn a_push_is_cut_as_7_1_says() {
        let one = segments(DEVICE_NUMBER, &[0x5A; 40], Shape::default(), 1);
        assert_eq!(one.len(), 1);
        assert!(one[0].0, "the port element needs UDHI");
        let long = segments(DEVICE_NUMBER, &[0x5A; 300], Shape::default(), 2);
        assert_eq!(long.len(), 3);
        let whole = Shape {
            message_payload: true,
            ..Shape::default()
        };
        let payload = segments(DEVICE_NUMBER, &[0x5A; 300], whole, 3);
        assert_eq!(payload.len(), 1);
        assert_eq!(payload[0].2.len(), 7 + 300);
        let port = Shape {
            port: 2949,
            ..Shape::default()
        };
        let other = segments(DEVICE_NUMBER, &[1], port, 4);
        assert_eq!(&other[0].2[..5], &[6, 0x05, 0x04, 0x0B, 0x85]);
    }
}
