//! Network adapters (seed 7): the bytes of a run over UDP and HTTP on loopback (or where a profile
//! says), and the pieces the harness plays on the network: the mock DM server a client connects back
//! to, and the device a server pushes to. They move bytes; they know nothing of SCR items.

pub mod capture;
pub mod device;
pub mod dm_server;
pub mod http;
pub mod obex;
pub mod sip;
pub mod smpp;

use crate::codec::wsp::PushBuilder;
use crate::codec::{Format, ota_http};
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

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
pub fn timed_out(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// Serves each connection `listener` accepts, on a thread of its own, until `stop` is set; then
/// joins them. The accepts block, so that a connection is served at once: the owner wakes the
/// loop with [`wake`] after setting `stop`.
pub fn accept_loop<F>(
    listener: std::net::TcpListener,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    serve: F,
) where
    F: Fn(std::net::TcpStream, &std::sync::atomic::AtomicBool) + Clone + Send + 'static,
{
    use std::sync::atomic::Ordering;
    let mut conns: Vec<std::thread::JoinHandle<()>> = Vec::new();
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else {
            // Out of descriptors, or a connection reset before it was taken: try again soon.
            std::thread::sleep(Duration::from_millis(2));
            continue;
        };
        let (serve, stop) = (serve.clone(), std::sync::Arc::clone(&stop));
        conns.push(std::thread::spawn(move || serve(stream, &stop)));
        conns.retain(|c| !c.is_finished());
    }
    for c in conns {
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
