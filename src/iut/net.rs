//! The reference client and server as network peers (`dmnoti iut client|server --adapter
//! udp|obex|sip|http`): the client takes WAP pushes on UDP, OBEX PUTs, SIP MESSAGEs or OTA-HTTP
//! pushes, decides as
//! over stdio, and connects back to its DM server with Package #1; the server sends each
//! notification to the device a request names. The stdio channel stays the control channel
//! (provisioning, the clock, and over SIP the registrar to register with, 7.3).

use super::client::{Decision, ReferenceClient};
use super::faults::Fault;
use crate::adapter::dm_server::CONTENT_TYPE_XML;
use crate::adapter::http::{self, Reply};
use crate::adapter::obex::ObexServer;
use crate::adapter::sip::SipElement;
use crate::adapter::smpp::{self, BindAs, Esme};
use crate::codec::obex::{self, ObexPut, rsp};
use crate::codec::sip::{self, SipTransport};
use crate::codec::sms;
use crate::codec::wsp;
use crate::codec::{Format, ota_http};
use crate::testee::variant::Variant;
use crate::testee::{Op, Reply as TesteeReply, Response, Testee};
use crate::transport::TransportProfile;
use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const POST_TIMEOUT: Duration = Duration::from_secs(2);

/// When the client's Package #1 goes out: at once, or as a timing variant says (`jitter`,
/// `reorder`). One per process, set when the client starts.
static TIMING: std::sync::OnceLock<Timing> = std::sync::OnceLock::new();

/// The longest a `jitter` client waits before it connects back.
const JITTER_MAX_MS: u64 = 300;
/// The longest a `reorder` client holds an answer for the next one to overtake it.
const REORDER_HOLD: Duration = Duration::from_millis(200);

/// A timing variant's state: a seeded generator (xorshift64*) for `jitter`, the answer held back
/// for `reorder`.
struct Timing {
    variant: Variant,
    state: Mutex<u64>,
    /// `reorder`: the answer waiting to be overtaken, with its number.
    held: Mutex<Option<(u64, String, String)>>,
}

impl Timing {
    fn new(variant: Variant, seed: u64) -> Timing {
        Timing {
            variant,
            // xorshift needs a state that is not 0.
            state: Mutex::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
            held: Mutex::new(None),
        }
    }

    /// 0 to `max` inclusive, from the seeded sequence.
    fn next(&self, max: u64) -> u64 {
        let Ok(mut x) = self.state.lock() else {
            return 0;
        };
        *x ^= *x >> 12;
        *x ^= *x << 25;
        *x ^= *x >> 27;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D) % (max + 1)
    }
}

/// Connects back to the DM server with Package #1, without holding up the listener.
fn post_package1(url: String, p1: String) {
    let post = |url: &str, p1: &str| {
        if let Err(e) = http::post(url, CONTENT_TYPE_XML, &[], p1.as_bytes(), POST_TIMEOUT) {
            eprintln!("Package #1 to {url}: {e}");
        }
    };
    let Some(timing) = TIMING.get() else {
        std::thread::spawn(move || post(&url, &p1));
        return;
    };
    match timing.variant {
        Variant::Jitter => {
            let wait = Duration::from_millis(timing.next(JITTER_MAX_MS));
            std::thread::spawn(move || {
                std::thread::sleep(wait);
                post(&url, &p1);
            });
        }
        Variant::Reorder => {
            static NUMBER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = NUMBER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let earlier = timing.held.lock().ok().and_then(|mut h| match h.take() {
                Some(e) => Some(e),
                None => {
                    *h = Some((n, url.clone(), p1.clone()));
                    None
                }
            });
            match earlier {
                // This one overtakes the one held back.
                Some((_, e_url, e_p1)) => {
                    std::thread::spawn(move || {
                        post(&url, &p1);
                        post(&e_url, &e_p1);
                    });
                }
                // Held: it goes when the next one overtakes it, or on its own after a while.
                None => {
                    std::thread::spawn(move || {
                        std::thread::sleep(REORDER_HOLD);
                        let mine = timing
                            .held
                            .lock()
                            .ok()
                            .and_then(|mut h| h.take_if(|(m, _, _)| *m == n));
                        if let Some((_, url, p1)) = mine {
                            post(&url, &p1);
                        }
                    });
                }
            }
        }
        _ => {
            std::thread::spawn(move || post(&url, &p1));
        }
    }
}

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
                post_package1(url, p1);
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
    /// SIP push: the client's user agent, and the registrar it is registered with.
    sip: Option<SipElement>,
    registered: Option<String>,
    _obex: Option<ObexServer>,
    /// WAP push over SMS: the SMSC the client is bound to as a receiver.
    bound: Option<String>,
}

/// The reference client's SMS stack: segments of one reference gather until whole, then the
/// WDP datagram goes to the push dispatcher (port 2948, 8-bit data) and on to the client.
fn receive_sms(client: &Mutex<ReferenceClient>, mut esme: Esme) {
    let first_only = client
        .lock()
        .is_ok_and(|c| c.faults.has(Fault::SmsFirstSegmentOnly));
    let mut pending: Vec<sms::Tpdu> = Vec::new();
    loop {
        let segment = match esme.next_delivery(Duration::from_millis(200)) {
            Ok(Some(s)) => s,
            Ok(None) => continue,
            Err(e) => {
                eprintln!("SMSC: {e}");
                return;
            }
        };
        let tpdu = sms::tpdu_of(
            sms::Direction::Deliver,
            &segment.source,
            segment.data_coding,
            segment.esm_class & smpp::ESM_UDHI != 0,
            &segment.user_data,
        );
        let Ok(read) = sms::decode(&tpdu, Some(sms::Direction::Deliver)) else {
            continue;
        };
        let whole: Vec<sms::Tpdu> = match read.concat() {
            None => vec![read],
            Some((reference, total, _)) => {
                pending.push(read);
                let of_it: Vec<sms::Tpdu> = pending
                    .iter()
                    .filter(|t| {
                        t.concat()
                            .is_some_and(|(r, n, _)| r == reference && n == total)
                    })
                    .cloned()
                    .collect();
                if of_it.len() < usize::from(total) {
                    continue;
                }
                pending.retain(|t| t.concat().is_none_or(|(r, _, _)| r != reference));
                if first_only {
                    of_it
                        .into_iter()
                        .filter(|t| t.concat().is_some_and(|c| c.2 == 1))
                        .map(|mut t| {
                            // Taken as if it were the whole message.
                            t.elements
                                .retain(|e| !matches!(e, sms::Element::Concat { .. }));
                            t
                        })
                        .collect()
                } else {
                    of_it
                }
            }
        };
        // WAP-259: only 8-bit data to port 2948 reaches the push dispatcher; 7.1.1: only a DM
        // push of a DM type reaches the client.
        let Ok(datagram) = sms::reassemble(&whole) else {
            continue;
        };
        if sms::route(&datagram).is_err() {
            continue;
        }
        let Ok(push) = wsp::decode(&datagram.payload) else {
            continue;
        };
        let Ok(format) = wsp::route(&push) else {
            continue;
        };
        take(client, format.content_type(), push.body);
    }
}

/// What the client's OBEX server answers a complete PUT with (7.2): a notification of a DM type
/// goes to the client and is answered Success; another type Unsupported Media Type.
fn answer_obex(client: &Mutex<ReferenceClient>, put: &ObexPut) -> u8 {
    let Some(format) = put.type_text.as_deref().and_then(Format::from_content_type) else {
        return rsp::UNSUPPORTED_MEDIA_TYPE;
    };
    let first_only = client
        .lock()
        .is_ok_and(|c| c.faults.has(Fault::ObexFirstPacketOnly));
    let body = if first_only {
        &put.body[..put.first_packet_body.min(put.body.len())]
    } else {
        &put.body
    };
    take(client, format.content_type(), body);
    rsp::SUCCESS
}

/// The `+sip.instance` the reference client asks a GRUU for (RFC 5627 4.1).
/// One per device (this process), the same in every REGISTER it sends: RFC 5627 4.1 asks for a
/// URN that stays the device's; a version 4 UUID (RFC 4122 4.4), so that two devices never
/// replace each other's binding.
fn instance() -> &'static str {
    static INSTANCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    INSTANCE.get_or_init(|| format!("<urn:uuid:{}>", crate::adapter::uuid_v4()))
}

/// What the client's user agent answers a request with (7.3): a MESSAGE of a DM content type goes
/// to the client and is answered 200 (pager mode: delivered to the UA, whatever the client then
/// decides); another content type 415 (RFC 3261 21.4.13); another method 405.
fn answer_sip(
    client: &Mutex<ReferenceClient>,
    m: &sip::SipMessage<'_>,
    over: SipTransport,
) -> Option<(u16, String)> {
    let udp_only = client.lock().is_ok_and(|c| c.faults.has(Fault::SipUdpOnly));
    if udp_only && over == SipTransport::Tcp {
        return None;
    }
    match m.method() {
        Some("MESSAGE") => {}
        Some("OPTIONS") => return Some((200, "OK".into())),
        _ => return Some((405, "Method Not Allowed".into())),
    }
    let format = m
        .header("Content-Type")
        .and_then(|ct| Format::from_content_type(ct.split(';').next()?.trim()));
    let Some(format) = format else {
        return Some((415, "Unsupported Media Type".into()));
    };
    // The feature tag routes the request inside the SIP/IP core; a MESSAGE that reached this UA
    // without it is still taken.
    take(client, format.content_type(), m.body);
    Some((200, "OK".into()))
}

impl NetClient {
    /// The client listening on `listen` over `adapter`; `timing` (`jitter`, `reorder`) says
    /// when its Package #1 goes out, from the sequence of `seed`.
    pub fn start(
        client: ReferenceClient,
        adapter: TransportProfile,
        listen: SocketAddr,
        timing: Variant,
        seed: u64,
    ) -> std::io::Result<NetClient> {
        if Variant::TIMING.contains(&timing) {
            let _ = TIMING.set(Timing::new(timing, seed));
        }
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
                    sip: None,
                    registered: None,
                    _obex: None,
                    bound: None,
                })
            }
            // The SMSC is given in provision; the address says the number it is reached at.
            TransportProfile::Smpp | TransportProfile::Pap => Ok(NetClient {
                client,
                address: crate::adapter::address::DeviceAddress::SmsNumber(
                    crate::adapter::sms::DEVICE_NUMBER.into(),
                )
                .to_string(),
                _http: None,
                sip: None,
                registered: None,
                _obex: None,
                bound: None,
            }),
            TransportProfile::Obex => {
                let shared = Arc::clone(&client);
                // The device declares OBEX's smallest maximum packet, so that a notification
                // with options is split over several PUT packets, as over a real link it may be.
                let server = ObexServer::start(
                    listen,
                    None,
                    obex::MIN_PACKET,
                    Some(Arc::new(move |put: &ObexPut| answer_obex(&shared, put))),
                )?;
                let address = format!("obex://{}", server.addr);
                Ok(NetClient {
                    client,
                    address,
                    _http: None,
                    sip: None,
                    registered: None,
                    _obex: Some(server),
                    bound: None,
                })
            }
            TransportProfile::Sip => {
                let shared = Arc::clone(&client);
                let element = SipElement::start_with(
                    listen,
                    None,
                    Some(Arc::new(move |m, over| answer_sip(&shared, m, over))),
                )?;
                let address = format!("sip:dmclient@{}", element.addr);
                Ok(NetClient {
                    client,
                    address,
                    _http: None,
                    sip: Some(element),
                    registered: None,
                    _obex: None,
                    bound: None,
                })
            }
            TransportProfile::Stdio => Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "the reference client over stdio has no listener",
            )),
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
                    sip: None,
                    registered: None,
                    _obex: None,
                    bound: None,
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
        // 7.3: "The DM Client MUST register with the SIP/IP Core as soon as practical": on
        // learning its registrar, before it answers.
        if let Op::Provision {
            registrar: Some(registrar),
            ..
        } = &op
            && self.registered.as_deref() != Some(registrar.as_str())
        {
            if let Err(e) = self.register(registrar) {
                return TesteeReply::answer(Response::error(
                    Some(id),
                    format!("registering with {registrar}: {e}"),
                ));
            }
            self.registered = Some(registrar.clone());
        }
        // WAP push over SMS: bind to the SMSC as a receiver, as a handset attaches.
        if let Op::Provision {
            smsc: Some(smsc), ..
        } = &op
            && self.bound.as_deref() != Some(smsc.as_str())
        {
            // smpp://[SYSTEM_ID:PASSWORD@]HOST:PORT
            let bound = smsc
                .parse::<crate::adapter::address::SmppAddress>()
                .and_then(|a| {
                    let (system_id, password) = a
                        .credentials
                        .unwrap_or_else(|| ("dmnoti".into(), String::new()));
                    Esme::bind(
                        a.smsc,
                        BindAs::Receiver,
                        &system_id,
                        &password,
                        POST_TIMEOUT,
                        None,
                    )
                    .map_err(|e| e.to_string())
                });
            match bound {
                Ok(esme) => {
                    let shared = Arc::clone(&self.client);
                    std::thread::spawn(move || receive_sms(&shared, esme));
                    self.bound = Some(smsc.clone());
                }
                Err(e) => {
                    return TesteeReply::answer(Response::error(
                        Some(id),
                        format!("binding to {smsc}: {e}"),
                    ));
                }
            }
        }
        match self.client.lock() {
            Ok(mut c) => c.handle(id, op),
            Err(_) => TesteeReply::Exit(101),
        }
    }
}

impl NetClient {
    /// Registers the client's contact, with the DM feature tag and a GRUU instance (7.3).
    fn register(&self, registrar: &str) -> Result<(), SendError> {
        let Some(element) = &self.sip else {
            return Err(SendError::Address(registrar.to_owned()));
        };
        let faults = self
            .client
            .lock()
            .map(|c| c.faults.clone())
            .unwrap_or_default();
        let (host, port, transport) =
            sip::uri_target(registrar).ok_or_else(|| SendError::Address(registrar.to_owned()))?;
        let to = crate::adapter::sip::resolve(&host, port)
            .ok_or_else(|| SendError::Address(registrar.to_owned()))?;
        let contact = self.address.clone();
        let aor = format!("sip:dmclient@{host}");
        let via = element.addr.to_string();
        let (call_id, branch, tag) = element.next_ids();
        let mut spec = sip::RegisterSpec::new(registrar, &aor, &contact, &via);
        spec.call_id = &call_id;
        spec.branch = &branch;
        spec.from_tag = &tag;
        spec.transport = transport.unwrap_or(SipTransport::Udp);
        spec.feature_tag = !faults.has(Fault::SipRegisterWithoutFeatureTag);
        spec.gruu = true;
        spec.instance = (!faults.has(Fault::SipGruuWithoutInstance)).then_some(instance());
        let request = sip::register_request(&spec);
        let answer = element.send(to, spec.transport, &call_id, &request, POST_TIMEOUT)?;
        if (200..300).contains(&answer.code) {
            Ok(())
        } else {
            Err(SendError::Status(answer.code))
        }
    }
}

/// Why the reference client could not register (7.3).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    Adapter(#[from] crate::adapter::AdapterError),
    #[error("the registrar answered {0}")]
    Status(u16),
    #[error("registrar {0:?}: expected sip:HOST:PORT")]
    Address(String),
}
