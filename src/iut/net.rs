//! The reference client and server as network peers (`dmnoti iut client|server --adapter udp|http`):
//! the client takes WAP pushes on UDP or OTA-HTTP pushes, decides as over stdio, and connects back
//! to its DM server with Package #1; the server sends each notification to the device a request
//! names. The stdio channel stays the control channel (provisioning, the clock).

use super::client::{Decision, ReferenceClient};
use super::server::ReferenceServer;
use crate::adapter::dm_server::CONTENT_TYPE_XML;
use crate::adapter::http::{self, Reply};
use crate::codec::wsp::{self, PushBuilder};
use crate::codec::{Format, ota_http};
use crate::testee::{Op, Reply as TesteeReply, Response, Testee};
use crate::transport::TransportProfile;
use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const POST_TIMEOUT: Duration = Duration::from_secs(2);

/// What the client does with a notification that reached it over the network.
fn take(client: &Mutex<ReferenceClient>, content_type: &str, message: &[u8]) -> Decision {
    let (decision, target) = {
        let Ok(mut c) = client.lock() else {
            return Decision::Ignored("lock".into());
        };
        let d = c.deliver(content_type, message);
        let target = match &d {
            Decision::Session(s) => c
                .accounts
                .iter()
                .find(|a| a.server_id == s.server_id)
                // A server it has no account for (only a faulty client gets here): the first one's.
                .or(c.accounts.first())
                .and_then(|a| a.server_uri.clone()),
            _ => None,
        };
        (d, target)
    };
    match &decision {
        Decision::Crash => std::process::exit(101),
        Decision::Hang => loop {
            std::thread::park();
        },
        Decision::Session(s) => {
            if let (Some(url), Some(p1)) = (target, s.package1.clone()) {
                // Connect back without holding up the listener.
                std::thread::spawn(move || {
                    if let Err(e) =
                        http::post(&url, CONTENT_TYPE_XML, &[], p1.as_bytes(), POST_TIMEOUT)
                    {
                        eprintln!("Package #1 to {url}: {e}");
                    }
                });
            }
        }
        Decision::Ignored(reason) => eprintln!("ignored: {reason}"),
    }
    decision
}

/// The reference client with a network listener; the stdio side controls it.
pub struct NetClient {
    client: Arc<Mutex<ReferenceClient>>,
    address: String,
    _http: Option<http::HttpServer>,
}

impl NetClient {
    pub fn start(
        client: ReferenceClient,
        adapter: TransportProfile,
        listen: SocketAddr,
    ) -> std::io::Result<NetClient> {
        let client = Arc::new(Mutex::new(client));
        match adapter {
            TransportProfile::Udp => {
                let socket = UdpSocket::bind(listen)?;
                let address = format!("udp://{}", socket.local_addr()?);
                let shared = Arc::clone(&client);
                std::thread::spawn(move || {
                    let mut buf = [0u8; 65_536];
                    while let Ok((n, _)) = socket.recv_from(&mut buf) {
                        // 7.1.1: only a push for the DM application, of a DM type, reaches the client.
                        let Ok(push) = wsp::decode(&buf[..n]) else {
                            continue;
                        };
                        let Ok(format) = wsp::route(&push) else {
                            continue;
                        };
                        take(&shared, format.content_type(), push.body);
                    }
                });
                Ok(NetClient {
                    client,
                    address,
                    _http: None,
                })
            }
            other @ (TransportProfile::Stdio | TransportProfile::Obex | TransportProfile::Sip) => {
                Err(std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    format!("the reference client listens over udp or http, not {other}"),
                ))
            }
            TransportProfile::Http => {
                let shared = Arc::clone(&client);
                let server = http::serve(listen, None, move |r| {
                    let content_type = r.header("content-type").unwrap_or("").to_owned();
                    match ota_http::decode_entity(&content_type, &r.body, 0) {
                        Ok(push) => {
                            let format = push.format;
                            let message = push.message.to_vec();
                            take(&shared, format.content_type(), &message);
                            Reply {
                                status: 204,
                                headers: vec![(
                                    ota_http::PUSH_STATUS_HEADER.into(),
                                    ota_http::PUSH_STATUS_ACCEPTED.into(),
                                )],
                                body: vec![],
                            }
                        }
                        Err(e) => Reply {
                            status: 400,
                            headers: vec![],
                            body: e.to_string().into_bytes(),
                        },
                    }
                })?;
                let address = format!("http://{}/push", server.addr);
                Ok(NetClient {
                    client,
                    address,
                    _http: Some(server),
                })
            }
        }
    }
}

impl Testee for NetClient {
    fn hello(&self) -> Response {
        let base = self.client.lock().map(|c| c.hello()).unwrap_or_default();
        Response {
            address: Some(self.address.clone()),
            ..base
        }
    }

    fn handle(&mut self, id: u64, op: Op) -> TesteeReply {
        match self.client.lock() {
            Ok(mut c) => c.handle(id, op),
            Err(_) => TesteeReply::Exit(101),
        }
    }
}

/// Why a notification could not be sent to a device.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("send to {to}: {source}")]
    Udp { to: String, source: std::io::Error },
    #[error(transparent)]
    Http(#[from] crate::adapter::AdapterError),
    #[error("the device answered {0}")]
    Status(u16),
    #[error("device {0:?}: expected udp://HOST:PORT or http://HOST:PORT/PATH")]
    Address(String),
}

/// Sends a notification to a device address.
pub fn send(device: &str, format: Format, message: &[u8]) -> Result<(), SendError> {
    if let Some(addr) = device.strip_prefix("udp://") {
        let udp = |source| SendError::Udp {
            to: addr.to_owned(),
            source,
        };
        let socket = UdpSocket::bind("0.0.0.0:0").map_err(udp)?;
        let pdu = PushBuilder::new(format).encode(message);
        socket.send_to(&pdu, addr).map_err(udp)?;
        Ok(())
    } else if device.starts_with("http://") {
        let (host, path) = http::split_url(device)?;
        let request = ota_http::request(ota_http::Form::OtaHttp, format, &host, &path, message);
        let answer = http::exchange(&host, &request, POST_TIMEOUT)?;
        if (200..300).contains(&answer.status) {
            Ok(())
        } else {
            Err(SendError::Status(answer.status))
        }
    } else {
        Err(SendError::Address(device.to_owned()))
    }
}

/// The reference server that also sends what it notifies.
pub struct NetServer(pub ReferenceServer);

impl Testee for NetServer {
    fn hello(&self) -> Response {
        self.0.hello()
    }

    fn handle(&mut self, id: u64, op: Op) -> TesteeReply {
        let device = match &op {
            Op::Notify { request } => request.device.clone(),
            _ => None,
        };
        let reply = self.0.handle(id, op);
        if let (Some(device), TesteeReply::Answer(r)) = (device, &reply) {
            if let (Some(message), Some(ct)) = (&r.message, &r.content_type) {
                let format = Format::from_content_type(ct).unwrap_or(Format::V13);
                if let Err(e) = send(&device, format, &message.0) {
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
