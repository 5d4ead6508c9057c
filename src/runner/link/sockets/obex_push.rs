//! 7.2, client role: the Package #0 in an OBEX PUT to the device's OBEX server.

use super::super::net::Answered;
use super::super::{Broken, IutError, SetupError};
use super::Sockets;
use crate::adapter::obex::{self as obex_link};
use crate::codec::obex;
use crate::suite::Framing;
use crate::suite::message::Built;

impl Sockets {
    /// 7.2: the Package #0 in an OBEX PUT to the device, and its answers.
    pub(super) fn push_obex(
        &mut self,
        message: &Built,
        content_type: Option<&str>,
        f: Option<&Framing>,
    ) -> Result<Option<Answered>, Broken> {
        let to = self.obex_target.ok_or(SetupError::NoAddress)?;
        let spec = obex_link::PushSpec {
            put: obex::PutSpec {
                type_text: content_type,
                chunk: f.and_then(|f| f.obex_chunk),
                ..obex::PutSpec::default()
            },
            ..obex_link::PushSpec::default()
        };
        let pushed = obex_link::push(
            to,
            &spec,
            message.format,
            &message.bytes,
            self.timeout,
            self.capture.as_ref(),
        )
        .map_err(IutError::Push)?;
        Ok(Some(Answered::Obex {
            connect: pushed.connect,
            put: pushed.put,
            packets: pushed.packets,
        }))
    }
}
