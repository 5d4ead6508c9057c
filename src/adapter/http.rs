//! HTTP for the network adapters: a small server (hyper 1 on a tokio runtime of its own thread) and
//! a blocking client over a std socket. Every read is bounded and every wait has a timeout.

use super::AdapterError;
use super::capture::Capture;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

/// The largest body read from a peer; more is refused (413) or cut off, never buffered.
pub const MAX_BODY: usize = 1 << 20;
/// Connections a server holds at once; more are closed as they come (a peer that opens thousands
/// must not starve the sentinels' sessions of memory or of the server's attention).
pub const MAX_CONNECTIONS: usize = 256;
/// How long one connection may take, whatever the peer does (dripping a byte at a time).
pub const CONNECTION_TIME: Duration = Duration::from_secs(20);

/// A request as a handler sees it.
#[derive(Debug, Clone)]
pub struct Incoming1 {
    pub method: String,
    pub path: String,
    /// The request target's query, without its `?` (empty when none).
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub peer: SocketAddr,
    /// The body was larger than [`MAX_BODY`] and was not read.
    pub too_large: bool,
}

impl Incoming1 {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A handler's answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// An HTTP server on its own thread; stopped when dropped.
pub struct HttpServer {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn respond(reply: Reply) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(reply.body)));
    *r.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in reply.headers {
        if let (Ok(k), Ok(v)) = (
            hyper::header::HeaderName::from_bytes(k.as_bytes()),
            hyper::header::HeaderValue::from_str(&v),
        ) {
            r.headers_mut().append(k, v);
        }
    }
    r
}

/// `Name: value` lines, each ended by CRLF.
fn header_lines(headers: &[(String, String)]) -> String {
    headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect()
}

/// A response as it stands on the wire (near enough for a capture).
fn response_wire(status: u16, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} \r\n{}", header_lines(headers)).into_bytes();
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
    {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

impl Incoming1 {
    /// The request as it stood on the wire (near enough for a capture).
    pub fn wire(&self) -> Vec<u8> {
        [
            format!(
                "{} {} HTTP/1.1\r\n{}\r\n",
                self.method,
                self.path,
                header_lines(&self.headers)
            )
            .as_bytes(),
            &self.body,
        ]
        .concat()
    }
}

impl Reply {
    pub fn wire(&self) -> Vec<u8> {
        response_wire(self.status, &self.headers, &self.body)
    }
}

/// Serves `handler` on `bind` (port 0: any free port) until dropped, recording every exchange in
/// `capture` when given one.
pub fn serve<F>(
    bind: SocketAddr,
    capture: Option<Capture>,
    handler: F,
) -> std::io::Result<HttpServer>
where
    F: Fn(Incoming1) -> Reply + Send + Sync + 'static,
{
    let listener = std::net::TcpListener::bind(bind)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let handler = move |request: Incoming1| {
        let reply = handler(request.clone());
        if let Some(c) = &capture {
            c.tcp(request.peer, addr, &request.wire());
            c.tcp(addr, request.peer, &reply.wire());
        }
        reply
    };
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let handler = Arc::new(handler);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let thread = std::thread::spawn(move || {
        runtime.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    accepted = listener.accept() => {
                        let Ok((stream, peer)) = accepted else { continue };
                        // Over the limit, the connection is closed at once.
                        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else { continue };
                        let handler = Arc::clone(&handler);
                        tokio::spawn(async move {
                            let _slot = slot;
                            let service = service_fn(move |req: Request<Incoming>| {
                                let handler = Arc::clone(&handler);
                                async move {
                                    let (parts, body) = req.into_parts();
                                    let (body, too_large) = match Limited::new(body, MAX_BODY).collect().await {
                                        Ok(c) => (c.to_bytes().to_vec(), false),
                                        Err(_) => (Vec::new(), true),
                                    };
                                    let request = Incoming1 {
                                        method: parts.method.to_string(),
                                        path: parts.uri.path().to_owned(),
                                        query: parts.uri.query().unwrap_or("").to_owned(),
                                        headers: parts.headers.iter().map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect(),
                                        body,
                                        peer,
                                        too_large,
                                    };
                                    Ok::<_, Infallible>(respond(handler(request)))
                                }
                            });
                            let connection = http1::Builder::new()
                                .timer(TokioTimer::new())
                                .header_read_timeout(Duration::from_secs(5))
                                .serve_connection(TokioIo::new(stream), service);
                            let _ = tokio::time::timeout(CONNECTION_TIME, connection).await;
                        });
                    }
                }
            }
        });
    });
    Ok(HttpServer {
        addr,
        stop: Some(stop),
        thread: Some(thread),
    })
}

/// An answer to a request sent with [`post`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The local end of the connection the request went over.
    pub local: Option<SocketAddr>,
    pub peer: SocketAddr,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn wire(&self) -> Vec<u8> {
        response_wire(self.status, &self.headers, &self.body)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `http://host:port/path` split into (host:port, path).
pub fn split_url(url: &str) -> Result<(String, String), AdapterError> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| AdapterError::NotHttpUrl(url.to_owned()))?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let host = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:80")
    };
    Ok((host, path.to_owned()))
}

/// Sends raw request bytes to `host` and reads the answer, all of it within `timeout` (a peer that
/// drips its answer a byte at a time is cut off there), reading at most [`MAX_BODY`] of body.
pub fn exchange(host: &str, request: &[u8], timeout: Duration) -> Result<Answer, AdapterError> {
    let mut conn = Conn::open(host, timeout)?;
    conn.exchange(request, timeout)
}

/// Each request in turn, on one persistent connection (HTTP/1.1 8.1) to `host`, opened again when
/// the server closes it between answers; the answers, in order. The first error stops it.
pub fn exchange_many(
    host: &str,
    requests: &[Vec<u8>],
    timeout: Duration,
) -> Result<Vec<Answer>, AdapterError> {
    let mut conn: Option<Conn> = None;
    let mut out = Vec::with_capacity(requests.len());
    for request in requests {
        let reused = conn.is_some();
        let mut c = match conn.take() {
            Some(c) => c,
            None => Conn::open(host, timeout)?,
        };
        let answer = match c.exchange(request, timeout) {
            // A kept connection the server had closed before it read the request: anew.
            Err(AdapterError::Closed(_)) if reused => {
                c = Conn::open(host, timeout)?;
                c.exchange(request, timeout)?
            }
            other => other?,
        };
        let close = answer
            .headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("connection") && v.eq_ignore_ascii_case("close"));
        if !close {
            conn = Some(c);
        }
        out.push(answer);
    }
    Ok(out)
}

/// A client connection to one host.
struct Conn {
    host: String,
    addr: SocketAddr,
    stream: TcpStream,
}

impl Conn {
    fn open(host: &str, timeout: Duration) -> Result<Conn, AdapterError> {
        let io = |what: &'static str| {
            let host = host.to_owned();
            move |source| AdapterError::Io { what, host, source }
        };
        let addr = host
            .to_socket_addrs()
            .map_err(io("resolve"))?
            .next()
            .ok_or_else(|| AdapterError::NoAddress(host.to_owned()))?;
        let stream = TcpStream::connect_timeout(&addr, timeout).map_err(io("connect to"))?;
        stream
            .set_read_timeout(Some(timeout))
            .and_then(|()| stream.set_write_timeout(Some(timeout)))
            .map_err(io("set timeouts for"))?;
        let _ = stream.set_nodelay(true);
        Ok(Conn {
            host: host.to_owned(),
            addr,
            stream,
        })
    }

    /// One request and its answer, within `timeout`.
    fn exchange(&mut self, request: &[u8], timeout: Duration) -> Result<Answer, AdapterError> {
        let deadline = std::time::Instant::now() + timeout;
        let left = || {
            deadline
                .saturating_duration_since(std::time::Instant::now())
                .max(Duration::from_millis(1))
        };
        let host = self.host.as_str();
        let addr = self.addr;
        let stream = &mut self.stream;
        let io = |what: &'static str| {
            let host = host.to_owned();
            move |source| AdapterError::Io { what, host, source }
        };
        stream.write_all(request).map_err(io("send to"))?;
        let local = stream.local_addr().ok();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            if std::time::Instant::now() >= deadline {
                return Err(AdapterError::Deadline {
                    host: host.to_owned(),
                    timeout,
                });
            }
            let _ = stream.set_read_timeout(Some(left()));
            let n = match stream.read(&mut chunk) {
                Ok(0) => return Err(AdapterError::Closed(host.to_owned())),
                Ok(n) => n,
                Err(e) if super::timed_out(&e) => {
                    return Err(AdapterError::Deadline {
                        host: host.to_owned(),
                        timeout,
                    });
                }
                Err(e) => return Err(io("no answer from")(e)),
            };
            buf.extend_from_slice(&chunk[..n]);
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut response = httparse::Response::new(&mut headers);
            match response.parse(&buf) {
                Ok(httparse::Status::Complete(head)) => {
                    let status = response.code.unwrap_or(0);
                    let headers: Vec<(String, String)> = response
                        .headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.to_owned(),
                                String::from_utf8_lossy(h.value).into_owned(),
                            )
                        })
                        .collect();
                    let length = headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if length > MAX_BODY {
                        return Err(AdapterError::BodyTooLarge {
                            host: host.to_owned(),
                            length,
                        });
                    }
                    while buf.len() < head + length && std::time::Instant::now() < deadline {
                        let _ = stream.set_read_timeout(Some(left()));
                        match stream.read(&mut chunk) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    if buf.len() < head + length && std::time::Instant::now() >= deadline {
                        return Err(AdapterError::Deadline {
                            host: host.to_owned(),
                            timeout,
                        });
                    }
                    let end = (head + length).min(buf.len());
                    return Ok(Answer {
                        local,
                        peer: addr,
                        status,
                        headers,
                        body: buf[head..end].to_vec(),
                    });
                }
                Ok(httparse::Status::Partial) if buf.len() < 64 * 1024 => continue,
                Ok(httparse::Status::Partial) => {
                    return Err(AdapterError::HeadersTooLarge(host.to_owned()));
                }
                Err(e) => {
                    return Err(AdapterError::NotHttp {
                        host: host.to_owned(),
                        why: e.to_string(),
                    });
                }
            }
        }
    }
}

/// POSTs `body` to `url`.
pub fn post(
    url: &str,
    content_type: &str,
    extra: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> Result<Answer, AdapterError> {
    let (host, path) = split_url(url)?;
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in extra {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    exchange(&host, &bytes, timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_trip_on_loopback() {
        let server = serve("127.0.0.1:0".parse().unwrap(), None, |r| Reply {
            status: 201,
            headers: vec![("X-Echo".into(), r.path.clone())],
            body: r.body,
        })
        .unwrap();
        let url = format!("http://{}/a/b", server.addr);
        let answer = post(&url, "text/plain", &[], b"hello", Duration::from_secs(2)).unwrap();
        assert_eq!(
            (
                answer.status,
                answer.body.as_slice(),
                answer.header("x-echo")
            ),
            (201, &b"hello"[..], Some("/a/b"))
        );
    }

    #[test]
    fn bodies_are_bounded() {
        let server = serve("127.0.0.1:0".parse().unwrap(), None, |r| Reply {
            status: if r.too_large { 413 } else { 200 },
            headers: vec![],
            body: vec![],
        })
        .unwrap();
        let url = format!("http://{}/", server.addr);
        let big = vec![b'x'; MAX_BODY + 10];
        assert_eq!(
            post(&url, "text/plain", &[], &big, Duration::from_secs(5))
                .map(|a| a.status)
                .ok(),
            Some(413)
        );
    }

    #[test]
    fn a_silent_peer_times_out() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let started = std::time::Instant::now();
        let err = post(&url, "text/plain", &[], b"x", Duration::from_millis(200)).unwrap_err();
        assert!(matches!(err, AdapterError::Deadline { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn urls_split() {
        assert_eq!(
            split_url("http://127.0.0.1:8080/dm/x").ok(),
            Some(("127.0.0.1:8080".into(), "/dm/x".into()))
        );
        assert_eq!(
            split_url("http://h").ok(),
            Some(("h:80".into(), "/".into()))
        );
        assert!(matches!(
            split_url("https://h"),
            Err(AdapterError::NotHttpUrl(_))
        ));
    }
}

#[cfg(test)]
mod peers {
    #[test]
    fn a_peer_that_drips_its_answer_is_cut_off_at_the_deadline() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = listener.accept() {
                for b in b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" {
                    if s.write_all(&[*b]).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(150));
                }
            }
        });
        let started = std::time::Instant::now();
        let err = post(&url, "text/plain", &[], b"x", Duration::from_millis(800)).unwrap_err();
        assert!(matches!(err, AdapterError::Deadline { .. }), "{err}");
        assert!(
            started.elapsed() < Duration::from_millis(1500),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_flood_of_held_connections_is_bounded() {
        let server = serve("127.0.0.1:0".parse().unwrap(), None, |_| Reply {
            status: 204,
            headers: vec![],
            body: vec![],
        })
        .unwrap();
        let held: Vec<std::net::TcpStream> = (0..MAX_CONNECTIONS + 40)
            .filter_map(|_| std::net::TcpStream::connect(server.addr).ok())
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        // The connections past the limit were closed at once: a read sees the end.
        let closed = held[MAX_CONNECTIONS..]
            .iter()
            .filter(|s| {
                s.set_read_timeout(Some(Duration::from_millis(200))).ok();
                let mut b = [0u8; 1];
                matches!((&mut &**s).read(&mut b), Ok(0))
            })
            .count();
        assert_eq!(closed, 40);
        drop(held);
    }

    use super::*;
    use std::io::Write;

    #[test]
    fn a_reset_a_500_and_garbage_are_errors_or_statuses_not_hangs() {
        // Accepts and closes at once.
        let reset = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = reset.local_addr().unwrap();
        std::thread::spawn(move || {
            for s in reset.incoming().take(1) {
                drop(s);
            }
        });
        let err = post(
            &format!("http://{addr}/"),
            "text/plain",
            &[],
            b"x",
            Duration::from_secs(2),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("closed") || err.contains("reset") || err.contains("no answer"),
            "{err}"
        );

        let failing = serve("127.0.0.1:0".parse().unwrap(), None, |_| Reply {
            status: 500,
            headers: vec![],
            body: b"boom".to_vec(),
        })
        .unwrap();
        let answer = post(
            &format!("http://{}/", failing.addr),
            "text/plain",
            &[],
            b"x",
            Duration::from_secs(2),
        )
        .unwrap();
        assert_eq!(answer.status, 500);

        let garbage = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = garbage.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Some(Ok(mut s)) = garbage.incoming().next() {
                let _ = s.write_all(b"SSH-2.0-OpenSSH\r\n\r\n");
            }
        });
        let err = post(
            &format!("http://{addr}/"),
            "text/plain",
            &[],
            b"x",
            Duration::from_secs(2),
        )
        .unwrap_err();
        assert!(matches!(err, AdapterError::NotHttp { .. }), "{err}");
    }
}
