//! The stdio link: every step is one request of the testee protocol, and the testee says itself
//! what it did (a session, with how it ran it, or ignored). Over a [`ProcessControl`] this is how
//! any IUT with a shim is tested; over an [`InProcess`] testee it is how the engine's own tests
//! run the reference IUT in microseconds.
//!
//! [`ProcessControl`]: super::ProcessControl
//! [`InProcess`]: super::InProcess

use super::{
    Batch, Broken, ClockSet, Control, Delivered, Delivery, IutError, Link, Notified, Provisioned,
    TransportProfile,
};
use crate::suite::message::Built;
use crate::testee::{Account, HexBytes, NotifyRequest, Op, Outcome, Response};

pub struct StdioLink<C> {
    control: C,
}

impl<C: Control> StdioLink<C> {
    pub fn new(control: C) -> Self {
        StdioLink { control }
    }

    fn deliver_bytes(&mut self, content_type: &str, bytes: &[u8]) -> Result<Response, Broken> {
        self.control.call(Op::Deliver {
            content_type: content_type.to_owned(),
            message: HexBytes(bytes.to_vec()),
        })
    }
}

impl<C: Control> Link for StdioLink<C> {
    fn transport(&self) -> TransportProfile {
        TransportProfile::Stdio
    }

    fn shows_session_details(&self) -> bool {
        true
    }

    fn needs_sentinel(&self) -> bool {
        false
    }

    fn provision(
        &mut self,
        accounts: Vec<Account>,
        now: Option<u64>,
    ) -> Result<Provisioned, Broken> {
        provision(&mut self.control, accounts, now, (None, None))
    }

    fn set_clock(&mut self, now: u64) -> Result<ClockSet, Broken> {
        set_clock(&mut self.control, now)
    }

    fn deliver(&mut self, d: Delivery<'_>) -> Result<Delivered, Broken> {
        let content_type = d.content_type.unwrap_or(d.message.format.content_type());
        Ok(Delivered {
            response: self.deliver_bytes(content_type, &d.message.bytes)?,
            ..Delivered::default()
        })
    }

    fn deliver_batch(
        &mut self,
        variants: &[Built],
        _sentinel: Option<&super::Sentinels>,
    ) -> Result<Batch, Broken> {
        let mut batch = Batch::default();
        for (i, v) in variants.iter().enumerate() {
            let r = self.deliver_bytes(v.format.content_type(), &v.bytes)?;
            if r.outcome != Some(Outcome::Ignored) {
                batch.accepted.push((i, r));
            }
        }
        Ok(batch)
    }

    fn notify(&mut self, request: &NotifyRequest) -> Result<Notified, Broken> {
        let r = self.control.call(Op::Notify {
            request: request.clone(),
        })?;
        match (&r.message, r.outcome) {
            (Some(m), Some(Outcome::Notification)) => Ok(Notified::Arrived {
                content_type: r.content_type.clone(),
                message: m.0.clone(),
                session_id: r.session_id.clone(),
                problems: Vec::new(),
                response: r,
            }),
            _ => Ok(Notified::Refused {
                error: r
                    .error
                    .clone()
                    .unwrap_or_else(|| "the answer has no message".into()),
                response: r,
            }),
        }
    }

    fn take_transcript(&mut self) -> Vec<(bool, String)> {
        self.control.take_transcript()
    }

    fn stderr(&self) -> Option<String> {
        self.control.stderr()
    }

    fn reset(&mut self) {
        self.control.reset();
    }
}

/// `provision` over a control channel; a refusal breaks the case.
/// `provision` over a control channel, with the clock riding along (the protocol allows it). A
/// testee that cannot set its clock refuses that; it is provisioned again without `now`, and the
/// engine learns why its clock is not set. A refusal of the accounts themselves breaks the case.
pub(super) fn provision(
    control: &mut impl Control,
    accounts: Vec<Account>,
    now: Option<u64>,
    (registrar, smsc): (Option<String>, Option<String>),
) -> Result<Provisioned, Broken> {
    let r = control.call(Op::Provision {
        accounts: accounts.clone(),
        now,
        registrar: registrar.clone(),
        smsc: smsc.clone(),
    })?;
    if r.ok != Some(false) {
        return Ok(Provisioned::Done(if now.is_some() {
            ClockSet::Set
        } else {
            ClockSet::Untouched
        }));
    }
    let refused = r.error.unwrap_or_default();
    if now.is_none() {
        return Err(IutError::ProvisionRefused(refused).into());
    }
    let again = control.call(Op::Provision {
        accounts,
        now: None,
        registrar,
        smsc,
    })?;
    if again.ok == Some(false) {
        return Err(IutError::ProvisionRefused(again.error.unwrap_or_default()).into());
    }
    Ok(Provisioned::Done(ClockSet::Refused(refused)))
}

pub(super) fn set_clock(control: &mut impl Control, now: u64) -> Result<ClockSet, Broken> {
    let r = control.call(Op::Clock { now })?;
    Ok(if r.ok == Some(false) {
        ClockSet::Refused(r.error.unwrap_or_default())
    } else {
        ClockSet::Set
    })
}
