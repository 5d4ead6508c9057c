//! The reference server as a network peer (`dmnoti iut server --adapter ...`): each notification
//! it makes is sent to the device the request names, over that address's transport, with the
//! harness's own senders (`adapter::{sms, pap, sip, obex}`, `adapter::push`), so that the
//! reference server and the harness speak the same section 7. Its transport faults alter what
//! those senders send.

use super::faults::Fault;
use super::server::ReferenceServer;
use crate::adapter::address::DeviceAddress;
use crate::adapter::obex::{self as obex_link};
use crate::adapter::pap::{self as pap_link, Submission};
use crate::adapter::sip::{MessagePush, SipElement};
use crate::adapter::sms::{self as sms_link, Bind, Shape};
use crate::adapter::{self, Delivery};
use crate::codec::Format;
use crate::codec::obex::{self, rsp};
use crate::codec::wsp::PushBuilder;
use crate::testee::{Op, Reply as TesteeReply, Response, Testee};
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

const SEND_TIMEOUT: Duration = Duration::from_secs(2);

/// Why a notification could not be sent to a device.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    Adapter(#[from] crate::adapter::AdapterError),
    #[error("the device answered {0}")]
    Status(u16),
    #[error("{0}")]
    Address(String),
    #[error("a device address the server cannot send to: {0}")]
    NotSendable(String),
    #[error("listening for SIP: {0}")]
    Listen(std::io::Error),
    #[error("the device answered the OBEX {what} with 0x{code:02X}")]
    Obex { what: &'static str, code: u8 },
    #[error("SMPP: {0}")]
    Smpp(#[from] sms_link::SubmitError),
    #[error("the PPG did not take the push: {0}")]
    Pap(pap_link::PapAnswer),
}

/// The reference server that also sends what it notifies.
pub struct NetServer {
    pub server: ReferenceServer,
    /// SIP push: the user agent it sends MESSAGEs from, started on the first.
    sip: Option<SipElement>,
    /// UDP push: its socket, bound on the first.
    udp: Option<UdpSocket>,
    /// WAP push over SMS: its ESME, bound to an SMSC on the first.
    sms: sms_link::Sender,
}

impl NetServer {
    pub fn new(server: ReferenceServer) -> NetServer {
        NetServer {
            server,
            sip: None,
            udp: None,
            sms: sms_link::Sender::default(),
        }
    }

    fn has(&self, f: Fault) -> bool {
        self.server.faults.has(f)
    }

    /// Sends `message` to `device`, over its address's transport.
    fn send(&mut self, device: &str, format: Format, message: &[u8]) -> Result<(), SendError> {
        let address: DeviceAddress = device.parse().map_err(SendError::Address)?;
        match address {
            DeviceAddress::Udp(to) => self.send_udp(to, format, message),
            DeviceAddress::Http(url) => {
                let to = Delivery::Http { url, plain: false };
                let pdu = PushBuilder::new(format);
                match adapter::push(None, &to, format, &pdu, message, SEND_TIMEOUT, None)? {
                    Some(a) if !(200..300).contains(&a.status) => Err(SendError::Status(a.status)),
                    _ => Ok(()),
                }
            }
            DeviceAddress::Sms(a) => {
                let number = a.number.clone().unwrap_or_default();
                let (system_id, password) = a
                    .credentials
                    .clone()
                    .unwrap_or_else(|| ("dmnoti".into(), String::new()));
                let bind = Bind {
                    smsc: a.smsc,
                    system_id,
                    password,
                };
                let mut shape = Shape::default();
                if self.has(Fault::SmsWrongPort) {
                    shape.port = 2949;
                }
                if self.has(Fault::SmsSevenBit) {
                    shape.dcs = 0x00;
                }
                let pdu = PushBuilder::new(format).encode(message);
                self.sms
                    .push(&bind, &number, &pdu, shape, SEND_TIMEOUT, None)?;
                Ok(())
            }
            DeviceAddress::Pap { number, ppg } => {
                let push_id = pap_link::push_id("server");
                let submission = Submission {
                    push_id: &push_id,
                    number: &number,
                    format,
                    content_type: None,
                    content: message,
                };
                let no_app_id = self.has(Fault::PapNoAppId);
                let answer = pap_link::submit(
                    &ppg,
                    &submission,
                    |body| {
                        if no_app_id {
                            remove_line(body, crate::codec::pap::APP_ID);
                        }
                    },
                    SEND_TIMEOUT,
                    None,
                )?;
                if answer.accepted() {
                    Ok(())
                } else {
                    Err(SendError::Pap(answer))
                }
            }
            DeviceAddress::Obex(to) => self.send_obex(to, format, message),
            DeviceAddress::Sip(uri) => self.send_sip(&uri, format, message),
            DeviceAddress::SmsNumber(_) => Err(SendError::NotSendable(format!(
                "{device} (a number with no SMSC: give smpp://HOST:PORT/NUMBER)"
            ))),
        }
    }

    /// 7.1: a connectionless WAP push from one socket.
    fn send_udp(
        &mut self,
        to: SocketAddr,
        format: Format,
        message: &[u8],
    ) -> Result<(), SendError> {
        if self.udp.is_none() {
            let any: SocketAddr = if to.is_ipv4() {
                ([0, 0, 0, 0], 0).into()
            } else {
                (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
            };
            let socket = UdpSocket::bind(any)
                .map_err(|source| crate::adapter::AdapterError::Udp { to, source })?;
            self.udp = Some(socket);
        }
        let pdu = PushBuilder::new(format);
        adapter::push(
            self.udp.as_ref(),
            &Delivery::Udp(to),
            format,
            &pdu,
            message,
            SEND_TIMEOUT,
            None,
        )?;
        Ok(())
    }

    /// 7.3: the notification in a MESSAGE to the device's URI; a 2xx final response is sent.
    fn send_sip(&mut self, uri: &str, format: Format, message: &[u8]) -> Result<(), SendError> {
        if self.sip.is_none() {
            let any: SocketAddr = ([127, 0, 0, 1], 0).into();
            self.sip = Some(SipElement::start(any, None).map_err(SendError::Listen)?);
        }
        let element = self
            .sip
            .as_ref()
            .ok_or_else(|| SendError::Address(uri.to_owned()))?;
        let (host, port, _) =
            crate::codec::sip::uri_target(uri).ok_or_else(|| SendError::Address(uri.to_owned()))?;
        let to = crate::adapter::sip::resolve(&host, port)
            .ok_or_else(|| SendError::Address(uri.to_owned()))?;
        let mut push = MessagePush::new(format);
        push.feature_tag = !self.has(Fault::SipNoFeatureTag);
        if self.has(Fault::SipDsContentType) {
            push.content_type = Some("application/vnd.syncml.ds.notification");
        }
        let (_, answer) = element.send_message(to, uri, &push, message, SEND_TIMEOUT);
        match answer?.code {
            code if (200..300).contains(&code) => Ok(()),
            code => Err(SendError::Status(code)),
        }
    }

    /// 7.2: the notification in an OBEX PUT to the device's OBEX server.
    fn send_obex(&self, to: SocketAddr, format: Format, message: &[u8]) -> Result<(), SendError> {
        let spec = obex_link::PushSpec {
            no_target: self.has(Fault::ObexNoTarget),
            put: obex::PutSpec {
                ignore_max: self.has(Fault::ObexIgnoreMaxPacket),
                type_text: self
                    .has(Fault::ObexWbxmlType)
                    .then_some("application/vnd.syncml.dm+wbxml"),
                ..obex::PutSpec::default()
            },
            ..obex_link::PushSpec::default()
        };
        let pushed = obex_link::push(to, &spec, format, message, SEND_TIMEOUT, None)?;
        if pushed.connect != rsp::SUCCESS {
            return Err(SendError::Obex {
                what: "CONNECT",
                code: pushed.connect,
            });
        }
        if pushed.put != rsp::SUCCESS {
            return Err(SendError::Obex {
                what: "PUT",
                code: pushed.put,
            });
        }
        Ok(())
    }
}

/// Removes the header line naming `value` from a PAP body (the `pap-no-app-id` fault).
fn remove_line(body: &mut Vec<u8>, value: &str) {
    let line = format!("X-Wap-Application-Id: {value}\r\n");
    if let Some(at) = body.windows(line.len()).position(|w| w == line.as_bytes()) {
        body.drain(at..at + line.len());
    }
}

impl Testee for NetServer {
    fn hello(&self) -> Response {
        self.server.hello()
    }

    fn handle(&mut self, id: u64, op: Op) -> TesteeReply {
        let device = match &op {
            Op::Notify { request } => request.device.clone(),
            _ => None,
        };
        let reply = self.server.handle(id, op);
        if let (Some(device), TesteeReply::Answer(r)) = (device, &reply) {
            if let (Some(message), Some(ct)) = (&r.message, &r.content_type) {
                let format = Format::from_content_type(ct).unwrap_or(Format::V13);
                if let Err(e) = self.send(&device, format, &message.0) {
                    return TesteeReply::answer(Response::error(
                        Some(id),
                        format!("sending to {device}: {e}"),
                    ));
                }
            }
        }
        reply
    }
}
