//! The harness's SIP element (7.3): a registrar a device registers with, and a user agent that
//! sends a Package #0 in a `MESSAGE` (client role) or takes one (server role, the harness as the
//! device's UA). One port, over UDP and TCP both: RFC 3261 18.1.1 sends a request over the path
//! MTU over TCP, so a device must be reachable on both.
//!
//! It moves bytes and records what came; the judging of a REGISTER or a MESSAGE against 7.3 is
//! [`crate::codec::sip`]'s, done by whoever reads the records. Every read is bounded (the codec's
//! limits) and every wait has a deadline.

use super::AdapterError;
use super::capture::Capture;
use crate::codec::Format;
use crate::codec::sip::{self, Parsed, SipMessage, SipTransport};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// RFC 3261 17.1.1.2 timer T1: the first retransmission interval of a request over UDP.
const T1: Duration = Duration::from_millis(500);
/// How long one read waits before the threads look at the stop flag.
const POLL: Duration = Duration::from_millis(50);

/// What a user agent answers a request other than REGISTER and ACK with: a status and reason, or
/// nothing at all (the request is dropped unrecorded, as by an element that does not listen there).
pub type Answerer =
    Arc<dyn Fn(&SipMessage<'_>, SipTransport) -> Option<(u16, String)> + Send + Sync>;

/// What a UA that takes MESSAGE says of itself in a 200 to OPTIONS (RFC 3261 11.2): the methods,
/// the bodies (both notification formats) and the extensions it takes.
const OPTIONS_200: &str = "Allow: MESSAGE, OPTIONS, ACK\r\nAccept: application/vnd.syncml.dm.notification, application/vnd.syncml.notification\r\nSupported: gruu\r\n";

/// The methods a pager-mode UA takes (RFC 3261 8.2.1: a 405 lists them).
const ALLOW: &str = "Allow: MESSAGE, OPTIONS, ACK\r\n";

/// A request that reached the element, as it came (judging is the reader's).
#[derive(Debug, Clone)]
pub struct Incoming {
    pub from: SocketAddr,
    pub transport: SipTransport,
    pub bytes: Vec<u8>,
}

/// The response a `MESSAGE` got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Final {
    pub code: u16,
    pub reason: String,
}

#[derive(Default)]
struct Shared {
    /// Call-ID to the sender waiting for its final response (UDP).
    pending: HashMap<String, Sender<Final>>,
    /// The last contact registered, by address of record (the To URI): one binding each
    /// (RFC 3261 10.3), however many devices register.
    bindings: HashMap<String, sip::Registration>,
    /// The addresses of record bound, in the order they first registered.
    order: Vec<String>,
    /// What was not kept, its bound reached: requests and REGISTERs not queued, addresses of
    /// record refused.
    dropped: usize,
}

/// The most requests (and, apart, REGISTERs) queued for the run to read: a peer that floods the
/// element has the rest dropped and counted, not held.
const QUEUE: usize = 1024;
/// The most addresses of record bound at once; a REGISTER for another is answered 503.
const MAX_BINDINGS: usize = 1024;
/// How long a TCP connection may stay silent before the element closes it.
const IDLE: Duration = Duration::from_secs(60);

/// A SIP URI's host and port as a socket address (an IP literal, or a name the system resolves).
pub fn resolve(host: &str, port: u16) -> Option<SocketAddr> {
    use std::net::ToSocketAddrs;
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Some(SocketAddr::new(ip, port));
    }
    (host, port).to_socket_addrs().ok()?.next()
}

/// How one MESSAGE of 7.3 is sent: conformant by default (`MessagePush::new`).
#[derive(Debug, Clone, Copy)]
pub struct MessagePush<'a> {
    pub format: Format,
    /// The Content-Type when not the format's own.
    pub content_type: Option<&'a str>,
    /// The `+g.oma.eventappid` feature tag in Accept-Contact.
    pub feature_tag: bool,
    /// The transport, when not the URI's or RFC 3261 18.1.1's choice.
    pub transport: Option<SipTransport>,
    /// Bytes after the body, past its Content-Length.
    pub past_content_length: &'a [u8],
}

impl MessagePush<'_> {
    pub fn new(format: Format) -> MessagePush<'static> {
        MessagePush {
            format,
            content_type: None,
            feature_tag: true,
            transport: None,
            past_content_length: &[],
        }
    }
}

/// The element's address as `to` sees it: on an unspecified bind, the source address of the
/// route to `to`; else loopback for an unspecified one.
pub fn reachable_towards(at: SocketAddr, to: SocketAddr) -> SocketAddr {
    if !at.ip().is_unspecified() {
        return at;
    }
    let probe = std::net::UdpSocket::bind(SocketAddr::new(at.ip(), 0))
        .and_then(|s| s.connect(to).map(|()| s))
        .and_then(|s| s.local_addr());
    match probe {
        Ok(local) => SocketAddr::new(local.ip(), at.port()),
        Err(_) => super::reachable(at),
    }
}

pub struct SipElement {
    pub addr: SocketAddr,
    udp: Arc<UdpSocket>,
    shared: Arc<Mutex<Shared>>,
    registers: Mutex<Receiver<Incoming>>,
    requests: Mutex<Receiver<Incoming>>,
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
    capture: Option<Capture>,
}

impl Drop for SipElement {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // The TCP accept loop blocks: a connection of our own wakes it to see the flag.
        super::wake(self.addr);
        super::wake_udp(self.addr);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Where queued records go, and what the element answers.
#[derive(Clone)]
struct Sink {
    shared: Arc<Mutex<Shared>>,
    registers: SyncSender<Incoming>,
    requests: SyncSender<Incoming>,
    capture: Option<Capture>,
    local: SocketAddr,
    answerer: Option<Answerer>,
}

impl Sink {
    /// Queues what the run reads, unless the queue is full: then it is dropped and counted.
    fn record(&self, queue: &SyncSender<Incoming>, incoming: Incoming) {
        if let Err(mpsc::TrySendError::Full(_)) = queue.try_send(incoming)
            && let Ok(mut s) = self.shared.lock()
        {
            s.dropped += 1;
        }
    }

    /// Handles one message; the answer to send back, if any.
    fn handle(&self, from: SocketAddr, transport: SipTransport, bytes: &[u8]) -> Option<Vec<u8>> {
        if let Some(c) = &self.capture {
            match transport {
                SipTransport::Udp => c.udp(from, self.local, bytes),
                SipTransport::Tcp => c.tcp(from, self.local, bytes),
            }
        }
        let parsed = match sip::parse(bytes, transport) {
            Ok(Parsed::Complete(m, _)) => m,
            Ok(Parsed::Partial) => return None,
            // A request that breaks SIP's framing is answered 400, naming the rule, to where it
            // came from (RFC 3261 21.4.1); a broken response is dropped.
            Err(e) if !bytes.starts_with(b"SIP/") => return Some(bad_request(&e)),
            Err(_) => return None,
        };
        let incoming = Incoming {
            from,
            transport,
            bytes: bytes.to_vec(),
        };
        match parsed.method() {
            None => {
                if let (Some(code), Some(call)) = (parsed.status(), parsed.header("Call-ID"))
                    && code >= 200
                    && let Ok(mut s) = self.shared.lock()
                    && let Some(tx) = s.pending.remove(call)
                {
                    let reason = match &parsed.start {
                        sip::StartLine::Response { reason, .. } => reason.clone(),
                        sip::StartLine::Request { .. } => String::new(),
                    };
                    let _ = tx.send(Final { code, reason });
                }
                None
            }
            Some("REGISTER") => {
                let answer = self.register(&parsed, from);
                self.record(&self.registers, incoming);
                Some(answer)
            }
            Some("ACK") => None,
            Some(method) if self.answerer.is_some() => {
                let answerer = self.answerer.as_ref()?;
                let (code, reason) = answerer(&parsed, transport)?;
                self.record(&self.requests, incoming);
                let extra = if method == "OPTIONS" && code == 200 {
                    OPTIONS_200
                } else {
                    ""
                };
                Some(self.respond(&parsed, from, code, &reason, extra))
            }
            Some(method) => {
                // Recorded whatever it is (the reader judges a method other than MESSAGE); but
                // answered 200 only for what a pager-mode UA takes (RFC 3428), else 405 with Allow
                // (RFC 3261 8.2.1), so that an INVITE does not look accepted.
                let answer = match method {
                    "MESSAGE" => self.respond(&parsed, from, 200, "OK", ""),
                    "OPTIONS" => self.respond(&parsed, from, 200, "OK", OPTIONS_200),
                    _ => self.respond(&parsed, from, 405, "Method Not Allowed", ALLOW),
                };
                self.record(&self.requests, incoming);
                Some(answer)
            }
        }
    }

    /// The element's answer to a request from `from`: its own To tag (the same for every
    /// retransmission: keyed on the Call-ID and CSeq), `rport` answered (RFC 3581).
    fn respond(
        &self,
        request: &SipMessage<'_>,
        from: SocketAddr,
        code: u16,
        reason: &str,
        extra: &str,
    ) -> Vec<u8> {
        let seed = format!(
            "{}|{}",
            request.header("Call-ID").unwrap_or(""),
            request.header("CSeq").unwrap_or("")
        );
        sip::response_to(
            request,
            Some(from),
            &super::keyed_tag(&seed),
            code,
            reason,
            extra,
        )
    }

    /// A registrar's answer (RFC 3261 10.3): the binding is stored when the REGISTER keeps 7.3's
    /// rules; one that breaks them is still answered 200, so that the device goes on and the
    /// reader of the records reports the rule, rather than the device failing every case after.
    fn register(&self, m: &SipMessage<'_>, from: SocketAddr) -> Vec<u8> {
        let Some(contact) = m.header_values("Contact").next().map(str::to_owned) else {
            return self.respond(m, from, 400, "Bad Request", "");
        };
        let aor = m
            .header("To")
            .map(|t| sip::contact_uri(t).to_owned())
            .unwrap_or_default();
        let registration = sip::check_register(m).unwrap_or_else(|_| sip::Registration {
            contact: sip::contact_uri(&contact).to_owned(),
            instance: None,
            supports_gruu: false,
            expires: None,
        });
        let expires = registration.expires.unwrap_or(3600);
        if let Ok(mut s) = self.shared.lock() {
            if expires != 0 && !s.bindings.contains_key(&aor) && s.bindings.len() >= MAX_BINDINGS {
                // The registrar's table is full: refused, counted, never grown.
                s.dropped += 1;
                drop(s);
                return self.respond(m, from, 503, "Service Unavailable", "Retry-After: 60\r\n");
            }
            if expires == 0 {
                s.bindings.remove(&aor);
                s.order.retain(|a| a != &aor);
            } else {
                if !s.order.contains(&aor) {
                    s.order.push(aor.clone());
                }
                s.bindings.insert(aor, registration);
            }
        }
        self.respond(
            m,
            from,
            200,
            "OK",
            &format!("Contact: {contact};expires={expires}\r\n"),
        )
    }
}

/// A 400 for a request that cannot be read (RFC 3261 21.4.1): with no Via to copy, only its
/// status line, the rule broken as its reason phrase, and an empty body.
fn bad_request(e: &sip::Error) -> Vec<u8> {
    use crate::codec::Rule as _;
    let reason: String = format!("Bad Request ({})", e.kind.name())
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    format!("SIP/2.0 400 {reason}\r\nContent-Length: 0\r\n\r\n").into_bytes()
}

fn serve_tcp(mut stream: TcpStream, sink: Sink, stop: &AtomicBool) {
    let Ok(from) = stream.peer_addr() else { return };
    let _ = stream.set_read_timeout(Some(POLL));
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut last = std::time::Instant::now();
    while !stop.load(Ordering::SeqCst) && last.elapsed() < IDLE {
        match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                last = std::time::Instant::now();
            }
            Err(e) if super::timed_out(&e) => {
                continue;
            }
            Err(_) => return,
        }
        loop {
            // Keep-alive CRLFs between messages (RFC 5626 3.5.1) are skipped.
            let start = buf
                .iter()
                .take_while(|b| **b == b'\r' || **b == b'\n')
                .count();
            buf.drain(..start);
            match sip::parse(&buf, SipTransport::Tcp) {
                Ok(Parsed::Complete(_, used)) => {
                    let message: Vec<u8> = buf.drain(..used).collect();
                    if let Some(answer) = sink.handle(from, SipTransport::Tcp, &message) {
                        if let Some(c) = &sink.capture {
                            c.tcp(sink.local, from, &answer);
                        }
                        if stream.write_all(&answer).is_err() {
                            // A peer that does not read (the write deadline passed) is dropped,
                            // and counted.
                            if let Ok(mut s) = sink.shared.lock() {
                                s.dropped += 1;
                            }
                            return;
                        }
                    }
                }
                Ok(Parsed::Partial) => break,
                // A stream that is not SIP cannot be resynchronised: a 400 naming the rule, then
                // the connection closes.
                Err(e) => {
                    let _ = stream.write_all(&bad_request(&e));
                    return;
                }
            }
        }
    }
}

impl SipElement {
    /// Binds UDP and TCP on one port at `bind` (a free one when its port is 0).
    pub fn start(bind: SocketAddr, capture: Option<Capture>) -> std::io::Result<SipElement> {
        SipElement::start_with(bind, capture, None)
    }

    /// As [`SipElement::start`], with the user agent's answers chosen by `answerer` (a device
    /// that judges what it takes) instead of 200 for MESSAGE and OPTIONS.
    pub fn start_with(
        bind: SocketAddr,
        capture: Option<Capture>,
        answerer: Option<Answerer>,
    ) -> std::io::Result<SipElement> {
        let (udp, tcp) = bind_pair(bind)?;
        let addr = udp.local_addr()?;
        udp.set_read_timeout(Some(POLL))?;
        let udp = Arc::new(udp);
        let shared = Arc::new(Mutex::new(Shared::default()));
        let (reg_tx, reg_rx) = mpsc::sync_channel(QUEUE);
        let (req_tx, req_rx) = mpsc::sync_channel(QUEUE);
        let stop = Arc::new(AtomicBool::new(false));
        let sink = Sink {
            shared: Arc::clone(&shared),
            registers: reg_tx,
            requests: req_tx,
            capture: capture.clone(),
            local: addr,
            answerer,
        };
        let mut threads = Vec::new();
        let (u, s, st) = (Arc::clone(&udp), sink.clone(), Arc::clone(&stop));
        threads.push(std::thread::spawn(move || {
            let mut buf = vec![0u8; 65_536];
            while !st.load(Ordering::SeqCst) {
                // The stop's own wake-up datagram is neither recorded nor answered.
                if let Ok((n, from)) = u.recv_from(&mut buf)
                    && !st.load(Ordering::SeqCst)
                    && let Some(answer) = s.handle(from, SipTransport::Udp, &buf[..n])
                {
                    if let Some(c) = &s.capture {
                        c.udp(addr, from, &answer);
                    }
                    let _ = u.send_to(&answer, from);
                }
            }
        }));
        let st = Arc::clone(&stop);
        threads.push(std::thread::spawn(move || {
            super::accept_loop(tcp, st, move |stream, stop| {
                serve_tcp(stream, sink.clone(), stop)
            })
        }));
        Ok(SipElement {
            addr,
            udp,
            shared,
            registers: Mutex::new(reg_rx),
            requests: Mutex::new(req_rx),
            stop,
            threads,
            capture,
        })
    }

    /// The next REGISTER that reached the registrar within `wait`.
    pub fn next_register(&self, wait: Duration) -> Option<Incoming> {
        self.registers.lock().ok()?.recv_timeout(wait).ok()
    }

    /// The next other request (a `MESSAGE`, in the server role) within `wait`.
    pub fn next_request(&self, wait: Duration) -> Option<Incoming> {
        self.requests.lock().ok()?.recv_timeout(wait).ok()
    }

    /// The contact registered for `aor`, or for the address of record that registered first when
    /// `aor` is `None`.
    pub fn binding(&self, aor: Option<&str>) -> Option<sip::Registration> {
        let s = self.shared.lock().ok()?;
        match aor {
            Some(a) => s.bindings.get(a).cloned(),
            None => s.order.first().and_then(|a| s.bindings.get(a)).cloned(),
        }
    }

    /// The binding of the device under test, with its address of record: the one whose contact
    /// is the device's own address (`contact`, when it said it), else the first that registered.
    /// Other devices' bindings are kept, not taken for it.
    pub fn device_binding(&self, contact: Option<&str>) -> Option<(String, sip::Registration)> {
        let s = self.shared.lock().ok()?;
        let target = |c: &str| sip::uri_target(c).map(|(h, p, _)| (h, p));
        let mine = contact.and_then(|c| {
            let want = target(c)?;
            s.order.iter().find(|a| {
                s.bindings
                    .get(*a)
                    .is_some_and(|b| target(&b.contact) == Some(want.clone()))
            })
        });
        let aor = mine.or(s.order.first())?;
        Some((aor.clone(), s.bindings.get(aor)?.clone()))
    }

    /// How many requests, REGISTERs and addresses of record the element did not keep, its
    /// bounds reached (a flooding peer).
    pub fn dropped(&self) -> usize {
        self.shared.lock().map_or(0, |s| s.dropped)
    }

    /// A fresh Call-ID, branch and From tag for the next request, random (RFC 3261 8.1.1.4,
    /// 8.1.1.7, 19.3): a proxy's transaction cache never takes a new request for an old one, in
    /// this run or the next.
    pub fn next_ids(&self) -> (String, String, String) {
        (
            format!("{}@{}", super::random_token(), self.addr),
            format!("z9hG4bK{}", super::random_token()),
            super::random_token()[..8].to_owned(),
        )
    }

    /// 7.3's push: `body` (the Package #0) in a MESSAGE to `uri`, sent to `to` (the URI's host
    /// or an outbound proxy), from this element; its final response, or why none came, and the
    /// transport it went over. The one MESSAGE sender of the harness and the reference server.
    pub fn send_message(
        &self,
        to: SocketAddr,
        uri: &str,
        push: &MessagePush<'_>,
        body: &[u8],
        timeout: Duration,
    ) -> (SipTransport, Result<Final, AdapterError>) {
        let (call_id, branch, tag) = self.next_ids();
        let via = reachable_towards(self.addr, to).to_string();
        let from = format!("sip:dm-server@{via}");
        let mut spec = sip::MessageSpec::new(uri, &from, &via);
        spec.call_id = &call_id;
        spec.branch = &branch;
        spec.from_tag = &tag;
        spec.format = push.format;
        spec.content_type = push.content_type;
        spec.feature_tag = push.feature_tag;
        let mut wire = body.to_vec();
        if !push.past_content_length.is_empty() {
            spec.content_length = Some(body.len());
            wire.extend_from_slice(push.past_content_length);
        }
        let uri_transport = sip::uri_target(uri).and_then(|(_, _, t)| t);
        let chosen = push.transport.or(uri_transport);
        spec.transport = chosen.unwrap_or(SipTransport::Udp);
        let mut request = sip::message_request(&spec, &wire);
        if chosen.is_none() && request.len() > sip::UDP_LIMIT {
            // RFC 3261 18.1.1: a request over 1300 bytes goes over TCP.
            spec.transport = SipTransport::Tcp;
            request = sip::message_request(&spec, &wire);
        }
        let over = spec.transport;
        (over, self.send(to, over, &call_id, &request, timeout))
    }

    /// Sends a request to `to` and waits for its final response. Over UDP it is retransmitted on
    /// RFC 3261's timer A (T1, doubling) until the deadline; over TCP it goes once on a new
    /// connection, and the response is read from that connection.
    pub fn send(
        &self,
        to: SocketAddr,
        transport: SipTransport,
        call_id: &str,
        request: &[u8],
        timeout: Duration,
    ) -> Result<Final, AdapterError> {
        // The final response may come back on another path than the request went: a UAS may
        // open its own connection to the Via when the first one has closed (RFC 3261 18.2.2).
        // Both are watched.
        let (tx, rx) = mpsc::channel();
        if let Ok(mut s) = self.shared.lock() {
            s.pending.insert(call_id.to_owned(), tx);
        }
        let result = self.exchange(to, transport, request, timeout, &rx);
        if let Ok(mut s) = self.shared.lock() {
            s.pending.remove(call_id);
        }
        result
    }

    fn exchange(
        &self,
        to: SocketAddr,
        transport: SipTransport,
        request: &[u8],
        timeout: Duration,
        rx: &Receiver<Final>,
    ) -> Result<Final, AdapterError> {
        let deadline = Instant::now() + timeout;
        let host = to.to_string();
        match transport {
            SipTransport::Udp => {
                let mut interval = T1;
                loop {
                    self.udp
                        .send_to(request, to)
                        .map_err(|source| AdapterError::Udp { to, source })?;
                    if let Some(c) = &self.capture {
                        c.udp(self.addr, to, request);
                    }
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() || crate::interrupt::received().is_some() {
                        break Err(AdapterError::Deadline { host, timeout });
                    }
                    // Until the next retransmission, in slices, so that a signal is seen.
                    let answer = crate::interrupt::wait_for(interval.min(left), |w| {
                        match rx.recv_timeout(w) {
                            Ok(f) => Some(Ok(f)),
                            Err(mpsc::RecvTimeoutError::Timeout) => None,
                            Err(mpsc::RecvTimeoutError::Disconnected) => {
                                Some(Err(AdapterError::Closed(host.clone())))
                            }
                        }
                    });
                    match answer {
                        Some(done) => break done,
                        None => interval *= 2,
                    }
                }
            }
            SipTransport::Tcp => {
                let io = |what| {
                    let host = host.clone();
                    move |source| AdapterError::Io { what, host, source }
                };
                let mut stream =
                    TcpStream::connect_timeout(&to, timeout).map_err(io("connect to"))?;
                // A connect to a loopback port nobody listens on, from the same ephemeral port,
                // is a TCP simultaneous open with itself: refused, as nobody is there.
                if stream.local_addr().ok() == Some(to) {
                    return Err(io("connect to")(
                        std::io::ErrorKind::ConnectionRefused.into(),
                    ));
                }
                stream.write_all(request).map_err(io("write to"))?;
                if let (Some(c), Ok(local)) = (&self.capture, stream.local_addr()) {
                    c.tcp(local, to, request);
                }
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() || crate::interrupt::received().is_some() {
                        return Err(AdapterError::Deadline { host, timeout });
                    }
                    if let Ok(f) = rx.try_recv() {
                        return Ok(f);
                    }
                    stream
                        .set_read_timeout(Some(left.min(POLL)))
                        .map_err(io("read from"))?;
                    let n = match stream.read(&mut chunk) {
                        // Closed: the answer may still come on the peer's own connection.
                        Ok(0) => {
                            return rx
                                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                                .map_err(|_| AdapterError::Closed(host));
                        }
                        Ok(n) => n,
                        Err(e) if super::timed_out(&e) => {
                            continue;
                        }
                        Err(_) => return Err(AdapterError::Closed(host)),
                    };
                    buf.extend_from_slice(&chunk[..n]);
                    while let Ok(Parsed::Complete(m, used)) = sip::parse(&buf, SipTransport::Tcp) {
                        if let (Some(c), Ok(local)) = (&self.capture, stream.local_addr()) {
                            c.tcp(to, local, &buf[..used]);
                        }
                        if let (Some(code), sip::StartLine::Response { reason, .. }) =
                            (m.status(), &m.start)
                            && code >= 200
                        {
                            return Ok(Final {
                                code,
                                reason: reason.clone(),
                            });
                        }
                        buf.drain(..used);
                    }
                    if let Err(e) = sip::parse(&buf, SipTransport::Tcp) {
                        return Err(AdapterError::NotSip {
                            host,
                            why: e.to_string(),
                        });
                    }
                }
            }
        }
    }
}

/// A UDP socket and a TCP listener on the same port.
fn bind_pair(bind: SocketAddr) -> std::io::Result<(UdpSocket, TcpListener)> {
    let mut last = None;
    // With port 0 the UDP port the kernel picks may be taken for TCP: try a few.
    for _ in 0..16 {
        let udp = UdpSocket::bind(bind)?;
        let at = udp.local_addr()?;
        match TcpListener::bind(at) {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) if bind.port() == 0 => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no port free for UDP and TCP both")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOOPBACK: &str = "127.0.0.1:0";

    fn register_text(contact: &str, to: SocketAddr) -> String {
        format!(
            "REGISTER sip:{to} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKt1\r\nFrom: <sip:dev@{to}>;tag=1\r\nTo: <sip:dev@{to}>\r\nCall-ID: reg-1\r\nCSeq: 1 REGISTER\r\nContact: {contact}\r\nExpires: 600\r\nContent-Length: 0\r\n\r\n"
        )
    }

    #[test]
    fn the_registrar_answers_and_binds_over_udp() {
        let e = SipElement::start(LOOPBACK.parse().unwrap(), None).unwrap();
        let dev = UdpSocket::bind(LOOPBACK).unwrap();
        dev.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let contact = format!(
            "<sip:dev@{}>;+g.oma.eventappid=\"syncml.dm\"",
            dev.local_addr().unwrap()
        );
        dev.send_to(register_text(&contact, e.addr).as_bytes(), e.addr)
            .unwrap();
        let mut buf = [0u8; 2048];
        let (n, _) = dev.recv_from(&mut buf).unwrap();
        let answer = sip::parse_datagram(&buf[..n]).unwrap();
        assert_eq!(answer.status(), Some(200));
        assert_eq!(answer.header("Call-ID"), Some("reg-1"));
        assert!(e.next_register(Duration::from_secs(1)).is_some());
        let b = e.binding(None).unwrap();
        assert_eq!(b.contact, format!("sip:dev@{}", dev.local_addr().unwrap()));
    }

    #[test]
    fn a_method_the_ua_does_not_take_is_recorded_and_refused() {
        let e = SipElement::start(LOOPBACK.parse().unwrap(), None).unwrap();
        let peer = UdpSocket::bind(LOOPBACK).unwrap();
        peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let invite = format!(
            "INVITE sip:device@{a} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKi\r\nFrom: <sip:s@h>;tag=1\r\nTo: <sip:device@{a}>\r\nCall-ID: inv-1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
            a = e.addr
        );
        peer.send_to(invite.as_bytes(), e.addr).unwrap();
        let mut buf = [0u8; 2048];
        let (n, _) = peer.recv_from(&mut buf).unwrap();
        let answer = sip::parse_datagram(&buf[..n]).unwrap();
        assert_eq!(answer.status(), Some(405));
        assert!(answer.header("Allow").unwrap().contains("MESSAGE"));
        let got = e.next_request(Duration::from_secs(1)).unwrap();
        assert_eq!(got.bytes, invite.as_bytes());
    }

    /// A device UA on a real socket: answers a MESSAGE with `code`.
    fn ua(code: u16) -> (UdpSocket, std::thread::JoinHandle<Vec<u8>>) {
        let s = UdpSocket::bind(LOOPBACK).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let s2 = s.try_clone().unwrap();
        let t = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            let (n, from) = s2.recv_from(&mut buf).unwrap();
            let m = sip::parse_datagram(&buf[..n]).unwrap();
            s2.send_to(&sip::response(&m, code, "X", ""), from).unwrap();
            buf[..n].to_vec()
        });
        (s, t)
    }

    #[test]
    fn a_message_gets_its_final_response_over_udp() {
        let e = SipElement::start(LOOPBACK.parse().unwrap(), None).unwrap();
        for code in [200, 415] {
            let (dev, t) = ua(code);
            let to = dev.local_addr().unwrap();
            let (call, branch, tag) = e.next_ids();
            let uri = format!("sip:dev@{to}");
            let via = e.addr.to_string();
            let mut spec = sip::MessageSpec::new(&uri, "sip:dm@127.0.0.1", &via);
            spec.call_id = &call;
            spec.branch = &branch;
            spec.from_tag = &tag;
            let req = sip::message_request(&spec, b"\x1a\x00");
            let f = e
                .send(to, SipTransport::Udp, &call, &req, Duration::from_secs(5))
                .unwrap();
            assert_eq!(f.code, code);
            assert_eq!(t.join().unwrap(), req);
        }
    }

    #[test]
    fn a_message_over_tcp_and_one_that_nobody_answers() {
        let e = SipElement::start(LOOPBACK.parse().unwrap(), None).unwrap();
        let listener = TcpListener::bind(LOOPBACK).unwrap();
        let to = listener.local_addr().unwrap();
        let t = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                let n = s.read(&mut chunk).unwrap();
                buf.extend_from_slice(&chunk[..n]);
                if let Ok(Parsed::Complete(m, _)) = sip::parse(&buf, SipTransport::Tcp) {
                    // A provisional response first, split over two writes, then the final.
                    let trying = sip::response(&m, 100, "Trying", "");
                    s.write_all(&trying[..10]).unwrap();
                    s.write_all(&trying[10..]).unwrap();
                    s.write_all(&sip::response(&m, 202, "Accepted", ""))
                        .unwrap();
                    return;
                }
            }
        });
        let uri = format!("sip:dev@{to}");
        let via = e.addr.to_string();
        let mut spec = sip::MessageSpec::new(&uri, "sip:dm@127.0.0.1", &via);
        spec.transport = SipTransport::Tcp;
        let req = sip::message_request(&spec, b"\x1a\x00");
        let f = e
            .send(
                to,
                SipTransport::Tcp,
                spec.call_id,
                &req,
                Duration::from_secs(5),
            )
            .unwrap();
        assert_eq!(f.code, 202);
        t.join().unwrap();
        // A UDP peer that never answers: the deadline, not a hang.
        let silent = UdpSocket::bind(LOOPBACK).unwrap();
        let err = e
            .send(
                silent.local_addr().unwrap(),
                SipTransport::Udp,
                "nobody",
                &req,
                Duration::from_millis(300),
            )
            .unwrap_err();
        assert!(matches!(err, AdapterError::Deadline { .. }), "{err}");
    }

    #[test]
    fn a_message_to_the_element_is_recorded_and_answered_over_tcp() {
        let e = SipElement::start(LOOPBACK.parse().unwrap(), None).unwrap();
        let via = "127.0.0.1:1".to_owned();
        let uri = format!("sip:device@{}", e.addr);
        let mut spec = sip::MessageSpec::new(&uri, "sip:dm@127.0.0.1", &via);
        spec.transport = SipTransport::Tcp;
        let req = sip::message_request(&spec, b"\x1a\x00\x01");
        let mut s = TcpStream::connect(e.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        // Sent in two pieces: the element must reassemble the stream.
        s.write_all(&req[..20]).unwrap();
        std::thread::sleep(Duration::from_millis(60));
        s.write_all(&req[20..]).unwrap();
        let mut buf = [0u8; 2048];
        let n = s.read(&mut buf).unwrap();
        let Ok(Parsed::Complete(answer, _)) = sip::parse(&buf[..n], SipTransport::Tcp) else {
            panic!("{:?}", String::from_utf8_lossy(&buf[..n]))
        };
        assert_eq!(answer.status(), Some(200));
        let got = e.next_request(Duration::from_secs(1)).unwrap();
        assert_eq!(got.bytes, req);
        assert_eq!(got.transport, SipTransport::Tcp);
    }
}
