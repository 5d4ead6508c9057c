//! What reached the harness playing the device (server role), read by its transport: a WSP push
//! (over UDP or reassembled from SMS), an OTA-HTTP push, a PAP submission, an OBEX PUT or a SIP
//! MESSAGE. Each transport's sender rules are problems (observations of its item); the body is the
//! notification the engine judges.

use super::{Notified, Problem, WireError};
use crate::adapter::device::Arrival;
use crate::codec::obex;
use crate::codec::sip;
use crate::codec::sms;
use crate::codec::wsp;
use crate::codec::{Format, ota_http};
use crate::testee::Response;

/// What reached the device, read as the notification it carries: its transport's sender rules
/// are problems (observations of the transport's item), the body is the notification to judge.
pub(super) fn notified(arrival: Arrival, said: Option<String>, arrived: Response) -> Notified {
    match arrival {
        Arrival::Datagram { bytes, .. } => wap_push_arrived(&bytes, Vec::new(), said, arrived),
        Arrival::Push {
            content_type, body, ..
        } => match ota_http::decode_entity(&content_type, &body, 0) {
            Err(e) => Notified::Unreadable(Problem::NotPush(WireError::OtaHttp(e))),
            Ok(push) => Notified::Arrived {
                content_type: Some(push.format.content_type().to_owned()),
                message: push.message.to_vec(),
                session_id: said,
                problems: Vec::new(),
                response: arrived,
            },
        },
        Arrival::Sms { tpdus } => {
            let read: Result<Vec<sms::Tpdu>, _> = tpdus
                .iter()
                .map(|t| sms::decode(t, Some(sms::Direction::Submit)))
                .collect();
            match read.and_then(|r| sms::reassemble(&r)) {
                Err(e) => Notified::Unreadable(Problem::NotPush(WireError::Sms(e))),
                // The SMS framing's rules (port, coding) are observations; the WSP push
                // inside is read as over UDP.
                Ok(datagram) => wap_push_arrived(
                    &datagram.payload,
                    sms::route(&datagram)
                        .err()
                        .map(|e| Problem::SenderRule(WireError::Sms(e)))
                        .into_iter()
                        .collect(),
                    said,
                    arrived,
                ),
            }
        }
        Arrival::Pap(Err(e)) => Notified::Unreadable(Problem::NotPush(WireError::Pap(e))),
        Arrival::Pap(Ok(push)) => Notified::Arrived {
            // The content's rules (type, application id) are observations; the Package #0
            // is judged.
            problems: crate::codec::pap::content_rules(&push)
                .into_iter()
                .map(|e| Problem::SenderRule(WireError::Pap(e)))
                .collect(),
            content_type: Some(
                Format::from_content_type(push.content_type.split(';').next().unwrap_or("").trim())
                    .unwrap_or(Format::V13)
                    .content_type()
                    .to_owned(),
            ),
            message: push.content,
            session_id: said,
            response: arrived,
        },
        Arrival::Obex(put) => Notified::Arrived {
            // Each broken rule of 7.2 is an observation; the body is still judged.
            problems: obex::sender_rules(&put)
                .into_iter()
                .map(|e| Problem::SenderRule(WireError::Obex(e)))
                .collect(),
            content_type: Some(
                put.type_text
                    .as_deref()
                    .and_then(Format::from_content_type)
                    .unwrap_or(Format::V13)
                    .content_type()
                    .to_owned(),
            ),
            message: put.body,
            session_id: said,
            response: arrived,
        },
        Arrival::Sip { transport, bytes } => match sip::parse(&bytes, transport) {
            Ok(sip::Parsed::Complete(m, _)) => {
                // Each broken rule of 7.3 is an observation; the body is still judged as
                // the Package #0 it carries.
                let format = m
                    .header("Content-Type")
                    .and_then(|ct| Format::from_content_type(ct.split(';').next()?.trim()));
                Notified::Arrived {
                    problems: sip::sender_rules(&m)
                        .into_iter()
                        .map(|e| Problem::SenderRule(WireError::Sip(Some(e))))
                        .collect(),
                    content_type: Some(format.unwrap_or(Format::V13).content_type().to_owned()),
                    message: m.body.to_vec(),
                    session_id: said,
                    response: arrived,
                }
            }
            // The element records only whole messages.
            Ok(sip::Parsed::Partial) => {
                Notified::Unreadable(Problem::NotPush(WireError::Sip(None)))
            }
            Err(e) => Notified::Unreadable(Problem::NotPush(WireError::Sip(Some(e)))),
        },
    }
}

/// A WSP push PDU that reached the device (over UDP, or reassembled from SMS): its sender rules
/// (7.1) join `problems`, and its body is the notification to judge.
fn wap_push_arrived(
    pdu: &[u8],
    mut problems: Vec<Problem>,
    session_id: Option<String>,
    response: Response,
) -> Notified {
    match wsp::decode(pdu) {
        Err(e) => Notified::Unreadable(Problem::NotPush(WireError::Wsp(e))),
        Ok(push) => {
            problems.extend(
                wsp::sender_rules(&push)
                    .into_iter()
                    .map(|e| Problem::SenderRule(WireError::Wsp(e))),
            );
            Notified::Arrived {
                problems,
                content_type: Some(
                    wsp::route(&push)
                        .unwrap_or(Format::V13)
                        .content_type()
                        .to_owned(),
                ),
                message: push.body.to_vec(),
                session_id,
                response,
            }
        }
    }
}
