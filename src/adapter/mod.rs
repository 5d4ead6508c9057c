//! Network adapters (seed 7): the bytes of a run over UDP and HTTP on loopback (or where a profile
//! says), and the pieces the harness plays on the network: the mock DM server a client connects back
//! to, and the device a server pushes to. They move bytes; they know nothing of SCR items.

pub mod address;
pub mod capture;
pub mod device;
pub mod dm_server;
pub mod http;
pub mod obex;
pub mod pap;
pub mod sip;
pub mod smpp;
pub mod sms;

use crate::codec::wsp::PushBuilder;
use crate::codec::{Format, ota_http};
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

/// An address a peer can send to: the unspecified address stands for loopback.
pub fn reachable(mut at: SocketAddr) -> SocketAddr {
    if at.ip().is_unspecified() {
        at.set_ip(if at.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    at
}

/// What went wrong moving bytes.
#[derive(Debug, thiserror::Error)]
pub enum AdapterError {
    #[error("send to {to}: {source}")]
    Udp {
        to: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0:?} is not an http:// URL")]
    NotHttpUrl(String),
    #[error("{what} {host}: {source}")]
    Io {
        what: &'static str,
        host: String,
        source: std::io::Error,
    },
    #[error("{0}: no address")]
    NoAddress(String),
    #[error("{0} closed the connection without a complete answer")]
    Closed(String),
    #[error("no complete answer from {host} within {}", crate::runner::seconds(*timeout))]
    Deadline { host: String, timeout: Duration },
    #[error(
        "{host} answered with a body of {length} bytes (more than {})",
        http::MAX_BODY
    )]
    BodyTooLarge { host: String, length: usize },
    #[error("{0} sent more than 64 KiB of headers")]
    HeadersTooLarge(String),
    #[error("{host} answered with something that is not HTTP: {why}")]
    NotHttp { host: String, why: String },
    #[error("{host} answered with something that is not SIP: {why}")]
    NotSip { host: String, why: String },
    #[error("{host} answered with something that is not OBEX: {why}")]
    NotObex { host: String, why: String },
}

/// Whether a read on a socket with a read timeout only ran out of time (the kind differs by
/// platform: WouldBlock on Unix, TimedOut on Windows).
/// 64 random bits, as 16 hex digits: identifiers peers must not see twice (SIP Call-IDs,
/// branches, tags; RFC 3261 19.3 asks for at least 32 random bits). Drawn from the OS's random
/// source, which std seeds its hashers' keys from, with a counter so that two draws in one
/// process differ.
pub fn random_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNT.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("{:016x}", h.finish())
}

/// A keyed hash of `seed`, 8 hex digits: the same for the same seed within this process, not
/// guessable across processes (a SIP To tag, the same for every retransmission of a request).
pub fn keyed_tag(seed: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    static KEY: std::sync::OnceLock<std::collections::hash_map::RandomState> =
        std::sync::OnceLock::new();
    let mut h = KEY
        .get_or_init(std::collections::hash_map::RandomState::new)
        .build_hasher();
    h.write(seed.as_bytes());
    format!("{:08x}", h.finish() as u32)
}

/// An RFC 4122 version 4 UUID (random), as `urn:uuid:` takes it.
pub fn uuid_v4() -> String {
    let hi = u64::from_str_radix(&random_token(), 16).unwrap_or(0);
    let lo = u64::from_str_radix(&random_token(), 16).unwrap_or(0);
    // Version 4 in the time_hi nibble; the variant bits 10 in clock_seq_hi.
    let hi = (hi & !0xF000) | 0x4000;
    let lo = (lo & !(0xC000 << 48)) | (0x8000 << 48);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xFFFF,
        hi & 0xFFFF,
        lo >> 48,
        lo & 0xFFFF_FFFF_FFFF
    )
}

#[cfg(test)]
mod identifiers {
    /// Random identifiers differ draw to draw; a UUID is version 4, variant RFC 4122.
    #[test]
    fn tokens_differ_and_uuids_are_version_4() {
        let tokens: std::collections::BTreeSet<String> =
            (0..1000).map(|_| super::random_token()).collect();
        assert_eq!(tokens.len(), 1000);
        let u = super::uuid_v4();
        assert_eq!(u.len(), 36);
        let parts: Vec<&str> = u.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'), "{u}");
        assert!(
            matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'),
            "{u}"
        );
        assert_ne!(super::uuid_v4(), u);
        assert_eq!(super::keyed_tag("x"), super::keyed_tag("x"));
        assert_ne!(super::keyed_tag("x"), super::keyed_tag("y"));
    }
}

pub fn timed_out(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// The most connections a service of the harness serves at once (a thread each).
pub const MAX_CONNECTIONS: usize = 256;
/// How long one write to a peer may block: a peer that does not read is dropped after it.
pub const WRITE_DEADLINE: Duration = Duration::from_secs(5);

/// Serves each connection `listener` accepts, on a thread of its own, until `stop` is set; then
/// shuts them down and joins them. The accepts block, so that a connection is served at once: the
/// owner wakes the loop with [`wake`] after setting `stop`. At most [`MAX_CONNECTIONS`] at once;
/// every write has [`WRITE_DEADLINE`].
pub fn accept_loop<F>(
    listener: std::net::TcpListener,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    serve: F,
) where
    F: Fn(std::net::TcpStream, &std::sync::atomic::AtomicBool) + Clone + Send + 'static,
{
    use std::sync::atomic::Ordering;
    // Each connection's thread, and its socket: at the stop the socket is shut down, so that a
    // thread blocked reading from (or writing to) a peer that never sends (or never reads)
    // returns at once instead of at its next poll, or never.
    let mut conns: Vec<(std::thread::JoinHandle<()>, Option<std::net::TcpStream>)> = Vec::new();
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else {
            // Out of descriptors, or a connection reset before it was taken: try again soon.
            std::thread::sleep(Duration::from_millis(2));
            continue;
        };
        conns.retain(|(c, _)| !c.is_finished());
        if conns.len() >= MAX_CONNECTIONS {
            // A peer opening connections without end: the newest is closed, no thread made.
            drop(stream);
            continue;
        }
        // A peer that never reads cannot hold a serving thread (nor the stop) past this.
        let _ = stream.set_write_timeout(Some(WRITE_DEADLINE));
        let handle = stream.try_clone().ok();
        // The kept handle holds the socket open: when its thread is done, the connection is
        // shut down, so that the peer sees it end then, not at the next accept.
        let closer = stream.try_clone().ok();
        let (serve, stop) = (serve.clone(), std::sync::Arc::clone(&stop));
        conns.push((
            std::thread::spawn(move || {
                serve(stream, &stop);
                if let Some(c) = closer {
                    let _ = c.shutdown(std::net::Shutdown::Both);
                }
            }),
            handle,
        ));
        conns.retain(|(c, _)| !c.is_finished());
    }
    for (c, handle) in conns {
        if let Some(s) = handle {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
        let _ = c.join();
    }
}

/// A TCP server on its own thread, each connection served by `serve` ([`accept_loop`]);
/// stopped (every connection's thread told, and joined) when dropped.
pub struct TcpService {
    pub addr: SocketAddr,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TcpService {
    pub fn start<F>(listener: std::net::TcpListener, serve: F) -> std::io::Result<TcpService>
    where
        F: Fn(std::net::TcpStream, &std::sync::atomic::AtomicBool) + Clone + Send + 'static,
    {
        let addr = listener.local_addr()?;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let st = std::sync::Arc::clone(&stop);
        let thread = std::thread::spawn(move || accept_loop(listener, st, serve));
        Ok(TcpService {
            addr,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for TcpService {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        wake(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Wakes a thread blocked reading a UDP socket bound at `at` (after its stop flag is set): an
/// empty datagram from loopback.
pub fn wake_udp(at: SocketAddr) {
    let to = reachable(at);
    let from: SocketAddr = if to.is_ipv4() {
        ([127, 0, 0, 1], 0).into()
    } else {
        (std::net::Ipv6Addr::LOCALHOST, 0).into()
    };
    if let Ok(s) = UdpSocket::bind(from) {
        let _ = s.send_to(&[], to);
    }
}

/// Wakes an [`accept_loop`] listening at `at` (the unspecified address by loopback).
pub fn wake(mut at: SocketAddr) {
    if at.ip().is_unspecified() {
        at.set_ip(if at.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    let _ = std::net::TcpStream::connect_timeout(&at, Duration::from_secs(1));
}

/// How a Package #0 travels to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// A connectionless WAP push PDU to this UDP address (7.1).
    Udp(SocketAddr),
    /// An OTA-HTTP push to this URL (7.4); `plain` posts the bare notification instead.
    Http { url: String, plain: bool },
}

/// OTA-HTTP pushes of `messages` to `url`, on one persistent connection; the client's answers.
pub fn push_http_many(
    url: &str,
    messages: &[(Format, &[u8])],
    timeout: Duration,
    capture: Option<&capture::Capture>,
) -> Result<Vec<http::Answer>, AdapterError> {
    let (host, path) = http::split_url(url)?;
    let requests: Vec<Vec<u8>> = messages
        .iter()
        .map(|(format, m)| ota_http::request(ota_http::Form::OtaHttp, *format, &host, &path, m))
        .collect();
    let answers = http::exchange_many(&host, &requests, timeout)?;
    if let Some(c) = capture {
        for (request, answer) in requests.iter().zip(&answers) {
            if let Some(local) = answer.local {
                c.tcp(local, answer.peer, request);
                c.tcp(answer.peer, local, &answer.wire());
            }
        }
    }
    Ok(answers)
}

/// Sends one notification to a client; for HTTP, the client's answer.
pub fn push(
    socket: Option<&UdpSocket>,
    to: &Delivery,
    format: Format,
    framing: &PushBuilder,
    message: &[u8],
    timeout: Duration,
    capture: Option<&capture::Capture>,
) -> Result<Option<http::Answer>, AdapterError> {
    match to {
        Delivery::Udp(addr) => {
            let pdu = framing.encode(message);
            let socket = socket.ok_or_else(|| AdapterError::Udp {
                to: *addr,
                source: std::io::Error::other("no UDP socket"),
            })?;
            socket
                .send_to(&pdu, addr)
                .map_err(|source| AdapterError::Udp { to: *addr, source })?;
            if let (Some(c), Ok(mut me)) = (capture, socket.local_addr()) {
                // A socket on the unspecified address sends from the route's address: to a
                // loopback device, loopback's.
                if me.ip().is_unspecified() && addr.ip().is_loopback() {
                    me.set_ip(addr.ip());
                }
                c.udp(me, *addr, &pdu);
            }
            Ok(None)
        }
        Delivery::Http { url, plain } => {
            let form = if *plain {
                ota_http::Form::Plain
            } else {
                ota_http::Form::OtaHttp
            };
            let (host, path) = http::split_url(url)?;
            let request = ota_http::request(form, format, &host, &path, message);
            let answer = http::exchange(&host, &request, timeout)?;
            if let (Some(c), Some(local)) = (capture, answer.local) {
                c.tcp(local, answer.peer, &request);
                c.tcp(answer.peer, local, &answer.wire());
            }
            Ok(Some(answer))
        }
    }
}
