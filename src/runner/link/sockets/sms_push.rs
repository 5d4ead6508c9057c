//! 7.1 over SMS, the harness's side: each WAP push cut into SMS segments and submitted to the
//! SMSC for the device (client role), and segments taken from its SMSC made whole again (server
//! role).

use super::super::net::Answered;
use super::super::{Broken, SetupError};
use super::{Sockets, framing};
use crate::adapter::smpp::{self, BindAs, Esme};
use crate::codec::sms;
use crate::suite::Framing;
use crate::suite::message::Built;

impl Sockets {
    /// 7.1 over SMS: the WAP push in SMS segments, each submitted to the SMSC for the device.
    pub(super) fn push_sms(
        &mut self,
        message: &Built,
        content_type: Option<&str>,
        f: Option<&Framing>,
    ) -> Result<Option<Answered>, Broken> {
        let pdu = framing(message.format, f, content_type)?.encode(&message.bytes);
        let mut spec = sms::SmsSpec::new(sms::Direction::Submit);
        spec.address = sms::Address::number(&self.sms_number);
        if let Some(port) = f.and_then(|f| f.sms_port) {
            spec.destination_port = port;
        }
        self.sms_reference = self.sms_reference.wrapping_add(1);
        spec.reference = self.sms_reference % 256;
        let tpdus = sms::encode(&spec, &pdu);
        let mut user_data = sms::user_data(&tpdus);
        if self.message_payload && user_data.len() > 1 {
            // Whole, for the SMSC to cut: the port element, then all of the push.
            let mut ud = vec![6, 0x05, 0x04];
            ud.extend_from_slice(&spec.destination_port.to_be_bytes());
            ud.extend_from_slice(&spec.source_port.to_be_bytes());
            ud.extend_from_slice(&pdu);
            user_data = vec![(true, spec.dcs, ud)];
        }
        if self.esme.is_none() {
            // A lab SMSC the device is behind, else the harness's own.
            let to = match self.lab_smsc {
                Some(lab) => lab,
                None => {
                    self.smsc
                        .as_ref()
                        .ok_or(SetupError::NotRunning("SMSC"))?
                        .addr
                }
            };
            let (id, pw) = &self.smsc_credentials;
            // Towards its own SMSC the harness's SMSC records the session; towards a lab's, the
            // ESME does.
            let capture = self.lab_smsc.and(self.capture.clone());
            let esme = Esme::bind(to, BindAs::Transmitter, id, pw, self.timeout, capture)
                .map_err(|e| SetupError::Smsc(e.to_string()))?;
            self.esme = Some(esme);
        }
        let gateway = match self.lab_smsc {
            Some(lab) => format!("lab SMSC at {lab}"),
            None => "harness's SMSC".to_owned(),
        };
        let esme = self.esme.as_mut().ok_or(SetupError::NotRunning("ESME"))?;
        if let Err(e) = smpp::submit_push(esme, smpp::ORIGINATOR, &self.sms_number, &user_data) {
            if matches!(e, smpp::SubmitError::Session(_)) {
                // The session is gone: bind again on the next push.
                self.esme = None;
            }
            return Err(SetupError::Gateway {
                gateway,
                answer: e.to_string(),
            }
            .into());
        }
        Ok(Some(Answered::Smpp {
            segments: user_data.len(),
        }))
    }
}

/// The indexes of the segments that make one whole message, if some do: a TPDU without a
/// concatenation element is one on its own; else every sequence number of one reference.
pub(super) fn whole_message(tpdus: &[Vec<u8>]) -> Option<Vec<usize>> {
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
