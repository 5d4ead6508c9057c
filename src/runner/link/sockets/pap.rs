//! 7.1 through a Push Proxy Gateway, client role: the Package #0 in a PAP 2.0 push-message to the
//! gateway, which frames it and delivers it over SMS.

use super::super::net::Answered;
use super::super::{Broken, SetupError};
use super::Sockets;
use crate::adapter::{self};
use crate::suite::message::Built;

impl Sockets {
    /// 7.1 through a PPG: the Package #0 in a PAP push-message for the device's number; the
    /// gateway frames it and delivers it over SMS through the harness's SMSC.
    pub(super) fn push_pap(
        &mut self,
        message: &Built,
        content_type: Option<&str>,
    ) -> Result<Option<Answered>, Broken> {
        let url = self.ppg.clone().ok_or(SetupError::NoAddress)?;
        self.sms_reference = self.sms_reference.wrapping_add(1);
        let push_id = format!(
            "dmnoti-{}-{}@harness",
            std::process::id(),
            self.sms_reference
        );
        let (ct, body) = crate::codec::pap::push_message(
            &push_id,
            &self.sms_number,
            message.format,
            content_type,
            &message.bytes,
        );
        let gateway = format!("PPG at {url}");
        let answer = adapter::http::post(&url, &ct, &[], &body, self.timeout).map_err(|e| {
            SetupError::Gateway {
                gateway: gateway.clone(),
                answer: e.to_string(),
            }
        })?;
        if let (Some(c), Some(local)) = (&self.capture, answer.local) {
            c.tcp(local, answer.peer, &body);
            c.tcp(answer.peer, local, &answer.wire());
        }
        let answered = Answered::Pap {
            status: answer.status,
            code: crate::codec::pap::response_code(&answer.body),
        };
        // PAP 2.0: response-result codes 1xxx are success; anything else did not take the push.
        let accepted = (200..300).contains(&answer.status)
            && crate::codec::pap::response_code(&answer.body)
                .is_some_and(|c| (1000..2000).contains(&c));
        if !accepted {
            return Err(SetupError::Gateway {
                gateway,
                answer: answered.to_string(),
            }
            .into());
        }
        Ok(Some(answered))
    }
}
