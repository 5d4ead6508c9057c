//! OBEX over TCP (7.2): the harness's OBEX server, where a DM server under test pushes (the
//! harness plays the device) and where the reference client listens; and the OBEX client that
//! pushes a Package #0 to a device: CONNECT to the DM service, PUT in as many packets as the
//! device's maximum packet length needs, DISCONNECT.
//!
//! It moves bytes and reassembles; judging what came against 7.2 is [`crate::codec::obex`]'s,
//! done by whoever reads the records. Every read is bounded (a packet is at most 64 KiB by its
//! 16-bit length, an object at most [`obex::MAX_BODY`]) and every wait has a deadline.

use super::AdapterError;
use super::capture::Capture;
use crate::codec::Format;
use crate::codec::obex::{self, ConnectFields, Kind, ObexPut, Parsed, hi, op, rsp};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long one read waits before a connection's thread looks at the stop flag.
const POLL: Duration = Duration::from_millis(50);
/// A connection that sends nothing for this long is closed.
const IDLE: Duration = Duration::from_secs(20);
/// The maximum packet length the harness declares when it receives: OBEX's minimum, so that a
/// sender that does not split to the receiver's maximum shows at once.
pub const RECEIVE_MAX: u16 = obex::MIN_PACKET;
/// The maximum packet length the harness declares when it sends (it takes any response).
pub const SEND_MAX: u16 = 0xFFFF;

/// What a receiver answers a complete PUT with (a device judging what it takes).
pub type Judge = Arc<dyn Fn(&ObexPut) -> u8 + Send + Sync>;

/// The harness's (or the reference client's) OBEX server on TCP.
pub struct ObexServer {
    pub addr: SocketAddr,
    puts: Mutex<Receiver<ObexPut>>,
    _service: super::TcpService,
}

#[derive(Clone)]
struct Session {
    tx: Sender<ObexPut>,
    judge: Option<Judge>,
    max_packet: u16,
    capture: Option<Capture>,
    local: SocketAddr,
    next_connection: Arc<AtomicU32>,
}

impl Session {
    /// Serves one connection until it closes, idles out or breaks OBEX's framing.
    fn serve(&self, mut stream: TcpStream, stop: &AtomicBool) {
        let Ok(peer) = stream.peer_addr() else { return };
        let _ = stream.set_read_timeout(Some(POLL));
        let mut buf: Vec<u8> = Vec::new();
        let mut chunk = [0u8; 4096];
        let mut put = ObexPut::default();
        let mut connection: Option<(Option<Vec<u8>>, u32)> = None;
        let mut last = Instant::now();
        while !stop.load(Ordering::SeqCst) && last.elapsed() < IDLE {
            match stream.read(&mut chunk) {
                Ok(0) => return,
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    last = Instant::now();
                }
                Err(e) if super::timed_out(&e) => continue,
                Err(_) => return,
            }
            loop {
                let packet = match obex::parse(&buf, Kind::Request) {
                    Ok(Parsed::Complete(p)) => p,
                    Ok(Parsed::Partial) => break,
                    // A stream that is not OBEX cannot be resynchronised: answer and close.
                    Err(_) => {
                        let _ = stream.write_all(&obex::response(rsp::BAD_REQUEST, None, &[]));
                        return;
                    }
                };
                let length = packet.length;
                if let Some(c) = &self.capture {
                    c.tcp(peer, self.local, &buf[..length]);
                }
                let (answer, close) = self.answer(&packet, &mut put, &mut connection);
                drop(packet);
                buf.drain(..length);
                if let Some(c) = &self.capture {
                    c.tcp(self.local, peer, &answer);
                }
                if stream.write_all(&answer).is_err() || close {
                    return;
                }
            }
        }
    }

    /// The response to one request packet, and whether the connection ends after it.
    fn answer(
        &self,
        p: &obex::Packet<'_>,
        put: &mut ObexPut,
        connection: &mut Option<(Option<Vec<u8>>, u32)>,
    ) -> (Vec<u8>, bool) {
        match p.code {
            op::CONNECT => {
                let target = p.bytes(hi::TARGET).map(<[u8]>::to_vec);
                let id = self.next_connection.fetch_add(1, Ordering::SeqCst);
                let mut headers = vec![obex::header(hi::CONNECTION_ID, &obex::Value::Quad(id))];
                if let Some(t) = &target {
                    headers.push(obex::header(hi::WHO, &obex::Value::Bytes(t)));
                }
                *connection = Some((target, id));
                let fields = ConnectFields {
                    version: obex::VERSION,
                    flags: 0,
                    max_packet: self.max_packet,
                };
                (obex::response(rsp::SUCCESS, Some(fields), &headers), false)
            }
            op::PUT | op::PUT_FINAL => {
                if put.packets == 0 {
                    put.connected = connection.is_some();
                    put.target = connection.as_ref().and_then(|(t, _)| t.clone());
                    put.max_packet = self.max_packet;
                }
                put.packets += 1;
                put.largest_packet = put.largest_packet.max(p.length);
                if let Some(t) = p.type_text() {
                    put.type_text.get_or_insert(t);
                }
                if let Some(l) = p.quad(hi::LENGTH) {
                    put.length.get_or_insert(l);
                }
                if let Some(obex::Value::Text(n)) = p.header(hi::NAME) {
                    put.name.get_or_insert_with(|| n.clone());
                }
                for b in p.body() {
                    put.body.extend_from_slice(b);
                }
                if put.packets == 1 {
                    put.first_packet_body = put.body.len();
                }
                if put.body.len() > obex::MAX_BODY {
                    *put = ObexPut::default();
                    return (obex::response(rsp::TOO_LARGE, None, &[]), true);
                }
                if p.code == op::PUT {
                    return (obex::response(rsp::CONTINUE, None, &[]), false);
                }
                let done = std::mem::take(put);
                let code = self.judge.as_ref().map_or(rsp::SUCCESS, |j| j(&done));
                let _ = self.tx.send(done);
                (obex::response(code, None, &[]), false)
            }
            op::DISCONNECT => (obex::response(rsp::SUCCESS, None, &[]), true),
            op::ABORT => {
                *put = ObexPut::default();
                (obex::response(rsp::SUCCESS, None, &[]), false)
            }
            _ => (obex::response(rsp::NOT_IMPLEMENTED, None, &[]), false),
        }
    }
}

impl ObexServer {
    /// Listens on `bind` (a free port when 0), declaring `max_packet` to senders; `judge` chooses
    /// the final response to each complete PUT (Success when `None`).
    pub fn start(
        bind: SocketAddr,
        capture: Option<Capture>,
        max_packet: u16,
        judge: Option<Judge>,
    ) -> std::io::Result<ObexServer> {
        let listener = TcpListener::bind(bind)?;
        let addr = listener.local_addr()?;
        let (tx, rx) = mpsc::channel();
        let session = Session {
            tx,
            judge,
            max_packet: max_packet.max(obex::MIN_PACKET),
            capture,
            local: addr,
            next_connection: Arc::new(AtomicU32::new(1)),
        };
        let service = super::TcpService::start(listener, move |stream, stop| {
            // Each response is one small write the sender waits for.
            let _ = stream.set_nodelay(true);
            session.serve(stream, stop)
        })?;
        Ok(ObexServer {
            addr,
            puts: Mutex::new(rx),
            _service: service,
        })
    }

    /// The next complete PUT within `wait`.
    pub fn next(&self, wait: Duration) -> Option<ObexPut> {
        self.puts.lock().ok()?.recv_timeout(wait).ok()
    }

    /// Forgets PUTs not yet read.
    pub fn drain(&self) {
        if let Ok(rx) = self.puts.lock() {
            while rx.try_recv().is_ok() {}
        }
    }
}

/// How the harness pushes: the DM target and the format's type unless overridden.
#[derive(Debug, Clone, Default)]
pub struct PushSpec<'a> {
    /// The CONNECT's Target; `None` for the DM service's.
    pub target: Option<&'a [u8]>,
    /// No Target header at all.
    pub no_target: bool,
    pub put: obex::PutSpec<'a>,
}

/// How a push went: the response codes of CONNECT and of the PUT's last packet (0 when the PUT
/// was not reached).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pushed {
    pub connect: u8,
    pub put: u8,
    pub packets: usize,
}

/// One request and its response, on `stream`, before `deadline`.
struct Exchange<'a> {
    stream: &'a mut TcpStream,
    to: SocketAddr,
    deadline: Instant,
    timeout: Duration,
    capture: Option<&'a Capture>,
    buf: Vec<u8>,
}

impl Exchange<'_> {
    fn io(&self, what: &'static str) -> impl Fn(std::io::Error) -> AdapterError + '_ {
        move |source| AdapterError::Io {
            what,
            host: self.to.to_string(),
            source,
        }
    }

    fn call(
        &mut self,
        request: &[u8],
        kind: Kind,
    ) -> Result<(u8, Option<ConnectFields>, Option<u32>), AdapterError> {
        self.stream
            .write_all(request)
            .map_err(self.io("write to"))?;
        if let (Some(c), Ok(local)) = (self.capture, self.stream.local_addr()) {
            c.tcp(local, self.to, request);
        }
        let mut chunk = [0u8; 4096];
        loop {
            match obex::parse(&self.buf, kind) {
                Ok(Parsed::Complete(p)) => {
                    let out = (p.code, p.connect, p.quad(hi::CONNECTION_ID));
                    let length = p.length;
                    if let (Some(c), Ok(local)) = (self.capture, self.stream.local_addr()) {
                        c.tcp(self.to, local, &self.buf[..length]);
                    }
                    self.buf.drain(..length);
                    return Ok(out);
                }
                Ok(Parsed::Partial) => {}
                Err(e) => {
                    return Err(AdapterError::NotObex {
                        host: self.to.to_string(),
                        why: e.to_string(),
                    });
                }
            }
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(AdapterError::Deadline {
                    host: self.to.to_string(),
                    timeout: self.timeout,
                });
            }
            self.stream
                .set_read_timeout(Some(left))
                .map_err(self.io("read from"))?;
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err(AdapterError::Closed(self.to.to_string())),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if super::timed_out(&e) => {}
                Err(e) => return Err(self.io("read from")(e)),
            }
        }
    }
}

/// Pushes `body` to the OBEX server at `to`: CONNECT, PUT (split to the server's maximum packet
/// length), DISCONNECT, within one deadline.
pub fn push(
    to: SocketAddr,
    spec: &PushSpec<'_>,
    format: Format,
    body: &[u8],
    timeout: Duration,
    capture: Option<&Capture>,
) -> Result<Pushed, AdapterError> {
    let mut pushed = push_session(to, spec, &[(format, body)], timeout, capture)?;
    Ok(pushed.pop().unwrap_or(Pushed {
        connect: 0,
        put: 0,
        packets: 0,
    }))
}

/// Pushes each body in turn in one OBEX session to the server at `to`: CONNECT, a PUT per body
/// (each within `timeout`), DISCONNECT. How each went, as far as the session got; an error only
/// when the first could not be pushed (a caller pushes the rest on connections of their own).
pub fn push_session(
    to: SocketAddr,
    spec: &PushSpec<'_>,
    bodies: &[(Format, &[u8])],
    timeout: Duration,
    capture: Option<&Capture>,
) -> Result<Vec<Pushed>, AdapterError> {
    let deadline = Instant::now() + timeout;
    let mut stream =
        TcpStream::connect_timeout(&to, timeout).map_err(|source| AdapterError::Io {
            what: "connect to",
            host: to.to_string(),
            source,
        })?;
    let _ = stream.set_nodelay(true);
    let mut x = Exchange {
        stream: &mut stream,
        to,
        deadline,
        timeout,
        capture,
        buf: Vec::new(),
    };
    let target = if spec.no_target {
        None
    } else {
        Some(spec.target.unwrap_or(obex::TARGET_DM))
    };
    let (code, fields, connection_id) = x.call(
        &obex::connect_request(target, SEND_MAX),
        Kind::Response { to_connect: true },
    )?;
    if code != rsp::SUCCESS {
        return Ok(vec![Pushed {
            connect: code,
            put: 0,
            packets: 0,
        }]);
    }
    let max = fields.map_or(obex::MIN_PACKET, |f| f.max_packet);
    let mut put_spec = spec.put.clone();
    put_spec.connection_id = connection_id;
    let mut out = Vec::with_capacity(bodies.len());
    'bodies: for (format, body) in bodies {
        x.deadline = Instant::now() + timeout;
        let mut pushed = Pushed {
            connect: code,
            put: 0,
            packets: 0,
        };
        for packet in obex::put_requests(&put_spec, *format, body, max) {
            pushed.packets += 1;
            match x.call(&packet, Kind::Response { to_connect: false }) {
                Ok((c, _, _)) => pushed.put = c,
                Err(e) if out.is_empty() => return Err(e),
                // The session broke: the caller pushes the rest anew.
                Err(_) => break 'bodies,
            }
            if pushed.put != rsp::CONTINUE {
                break;
            }
        }
        out.push(pushed);
    }
    // The disconnect's answer does not change how the pushes went.
    x.deadline = Instant::now() + timeout;
    let _ = x.call(
        &obex::disconnect_request(connection_id),
        Kind::Response { to_connect: false },
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(judge: Option<Judge>) -> ObexServer {
        ObexServer::start("127.0.0.1:0".parse().unwrap(), None, RECEIVE_MAX, judge).unwrap()
    }

    #[test]
    fn a_push_is_reassembled_at_the_server() {
        let s = server(None);
        let body: Vec<u8> = (0..=255u8).cycle().take(600).collect();
        let pushed = push(
            s.addr,
            &PushSpec::default(),
            Format::V13,
            &body,
            Duration::from_secs(5),
            None,
        )
        .unwrap();
        assert_eq!(pushed.connect, rsp::SUCCESS);
        assert_eq!(pushed.put, rsp::SUCCESS);
        assert!(pushed.packets >= 3, "{pushed:?}");
        let got = s.next(Duration::from_secs(1)).unwrap();
        assert_eq!(got.body, body);
        assert!(obex::sender_rules(&got).is_empty(), "{got:?}");
    }

    #[test]
    fn a_judge_answers_and_a_wrong_push_is_seen() {
        let judge: Judge = Arc::new(|p: &ObexPut| {
            if p.type_text
                .as_deref()
                .and_then(Format::from_content_type)
                .is_some()
            {
                rsp::SUCCESS
            } else {
                rsp::UNSUPPORTED_MEDIA_TYPE
            }
        });
        let s = server(Some(judge));
        let spec = PushSpec {
            no_target: true,
            put: obex::PutSpec {
                type_text: Some("text/plain"),
                ignore_max: true,
                ..obex::PutSpec::default()
            },
            ..PushSpec::default()
        };
        let pushed = push(
            s.addr,
            &spec,
            Format::V13,
            &[7; 400],
            Duration::from_secs(5),
            None,
        )
        .unwrap();
        assert_eq!(pushed.put, rsp::UNSUPPORTED_MEDIA_TYPE);
        let got = s.next(Duration::from_secs(1)).unwrap();
        let names: Vec<_> = obex::sender_rules(&got)
            .iter()
            .map(|e| crate::codec::Rule::name(&e.kind))
            .collect();
        assert_eq!(names, ["wrong-target", "not-dm-type", "packet-over-max"]);
    }

    #[test]
    fn a_silent_or_garbled_peer_ends_in_an_error_not_a_hang() {
        let silent = TcpListener::bind("127.0.0.1:0").unwrap();
        let at = silent.local_addr().unwrap();
        let t = std::thread::spawn(move || {
            let (_s, _) = silent.accept().unwrap();
            std::thread::sleep(Duration::from_millis(600));
        });
        let err = push(
            at,
            &PushSpec::default(),
            Format::V13,
            &[1],
            Duration::from_millis(300),
            None,
        )
        .unwrap_err();
        assert!(matches!(err, AdapterError::Deadline { .. }), "{err}");
        t.join().unwrap();
        let garbled = TcpListener::bind("127.0.0.1:0").unwrap();
        let at = garbled.local_addr().unwrap();
        let t = std::thread::spawn(move || {
            let (mut s, _) = garbled.accept().unwrap();
            s.write_all(&[0xA0, 0x00, 0x01]).unwrap();
        });
        let err = push(
            at,
            &PushSpec::default(),
            Format::V13,
            &[1],
            Duration::from_secs(2),
            None,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("packet length 1 is less than"),
            "{err}"
        );
        t.join().unwrap();
    }
}
