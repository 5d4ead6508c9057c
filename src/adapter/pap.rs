//! 7.1 through a Push Proxy Gateway, the submitting side shared by the harness (pushing to a
//! client through a PPG) and the reference server (notifying a device through one): a PAP 2.0
//! push-message (`codec::pap`) posted to the gateway, and its answer read. One sender for both.

use super::AdapterError;
use super::capture::Capture;
use crate::codec::Format;
use crate::codec::pap;
use std::time::Duration;

/// What the gateway answered a push submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PapAnswer {
    pub status: u16,
    /// The response-result code of the PAP reply, when it has one.
    pub code: Option<u16>,
}

impl PapAnswer {
    /// PAP 2.0: a 2xx reply whose response-result code is 1xxx took the push; anything else did
    /// not.
    pub fn accepted(&self) -> bool {
        (200..300).contains(&self.status) && self.code.is_some_and(pap::accepted)
    }
}

impl std::fmt::Display for PapAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code {
            Some(code) => write!(f, "HTTP {}, PAP code {code}", self.status),
            None => write!(f, "HTTP {}, no PAP response-result", self.status),
        }
    }
}

/// A push submission for `number`: `push_id` unique per push; `alter` may change the body (a
/// server fault) before it is posted.
pub struct Submission<'a> {
    pub push_id: &'a str,
    pub number: &'a str,
    pub format: Format,
    /// The content's type when not the format's own.
    pub content_type: Option<&'a str>,
    pub content: &'a [u8],
}

/// Posts `submission` to the PPG at `url`, with the body `alter` leaves; the gateway's answer.
pub fn submit(
    url: &str,
    submission: &Submission<'_>,
    alter: impl FnOnce(&mut Vec<u8>),
    timeout: Duration,
    capture: Option<&Capture>,
) -> Result<PapAnswer, AdapterError> {
    let (ct, mut body) = pap::push_message(
        submission.push_id,
        submission.number,
        submission.format,
        submission.content_type,
        submission.content,
    );
    alter(&mut body);
    let answer = super::http::post(url, &ct, &[], &body, timeout)?;
    if let (Some(c), Some(local)) = (capture, answer.local) {
        c.tcp(local, answer.peer, &body);
        c.tcp(answer.peer, local, &answer.wire());
    }
    Ok(PapAnswer {
        status: answer.status,
        code: pap::response_code(&answer.body),
    })
}

/// A push id no other push of any process shares (PAP 2.0 8.2: unique within the PPG).
pub fn push_id(who: &str) -> String {
    format!("dmnoti-{who}-{}@dmnoti", super::random_token())
}
