//! The mock DM server: the HTTP endpoint a client under test connects back to after a
//! notification. Each account gets its own path, so the path says which server a client chose. It
//! reads Package #1 (SyncML DM XML; WBXML is reported as unsupported), hands it to the harness, and
//! answers with a Package #2 that ends the session.

use super::capture::Capture;
use super::http::{self, HttpServer, Incoming1, Reply};
use crate::codec::hex;
use crate::package1::{self, Package1};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

pub const CONTENT_TYPE_XML: &str = "application/vnd.syncml.dm+xml";
pub const CONTENT_TYPE_WBXML: &str = "application/vnd.syncml.dm+wbxml";

/// One Package #1 as it arrived.
#[derive(Debug, Clone)]
pub struct Posted {
    /// The account whose path the client posted to; none for another path.
    pub server_id: Option<String>,
    pub body: Vec<u8>,
    pub package1: Result<Package1, Unread>,
    pub at: Instant,
}

pub struct DmServer {
    server: HttpServer,
    received: Mutex<Receiver<Posted>>,
}

fn path_for(server_id: &str) -> String {
    format!("/dm/{}", hex(server_id.as_bytes()))
}

/// Why the mock DM server could not read a Package #1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unread {
    #[error("Package #1 larger than {} bytes", http::MAX_BODY)]
    TooLarge,
    #[error(
        "Package #1 in WBXML: the mock DM server reads XML only (send application/vnd.syncml.dm+xml)"
    )]
    Wbxml,
    #[error("Package #1 is not UTF-8 text")]
    NotUtf8,
    #[error(transparent)]
    Xml(#[from] package1::Package1Error),
}

fn read(request: &Incoming1) -> Result<Package1, Unread> {
    if request.too_large {
        return Err(Unread::TooLarge);
    }
    let content_type = request.header("content-type").unwrap_or("");
    if content_type.starts_with(CONTENT_TYPE_WBXML) {
        return Err(Unread::Wbxml);
    }
    let text = std::str::from_utf8(&request.body).map_err(|_| Unread::NotUtf8)?;
    Ok(package1::parse_package1(text)?)
}

impl DmServer {
    pub fn start(bind: SocketAddr, capture: Option<Capture>) -> std::io::Result<DmServer> {
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let server = http::serve(bind, capture, move |request| {
            let server_id = request
                .path
                .strip_prefix("/dm/")
                .and_then(|h| crate::codec::parse_hex(h).ok())
                .and_then(|b| String::from_utf8(b).ok());
            let package1 = read(&request);
            let reply = match &package1 {
                Ok(p1) => Reply {
                    status: 200,
                    headers: vec![("Content-Type".into(), CONTENT_TYPE_XML.into())],
                    body: package1::package2(p1, &request.path).into_bytes(),
                },
                Err(e) => Reply {
                    status: 400,
                    headers: vec![("Content-Type".into(), "text/plain".into())],
                    body: e.to_string().into_bytes(),
                },
            };
            if let Ok(tx) = tx.lock() {
                let _ = tx.send(Posted {
                    server_id,
                    body: request.body.clone(),
                    package1,
                    at: Instant::now(),
                });
            }
            reply
        })?;
        Ok(DmServer {
            server,
            received: Mutex::new(rx),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    /// The server URI an account is provisioned with.
    pub fn uri_for(&self, server_id: &str) -> String {
        format!("http://{}{}", self.server.addr, path_for(server_id))
    }

    /// The next Package #1, waiting at most `timeout`.
    pub fn next(&self, timeout: Duration) -> Option<Posted> {
        self.received.lock().ok()?.recv_timeout(timeout).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapter::http::post;

    fn server() -> DmServer {
        DmServer::start("127.0.0.1:0".parse().unwrap(), None).unwrap()
    }

    const T: Duration = Duration::from_secs(2);

    #[test]
    fn package1_is_read_and_answered_with_package2() {
        let dm = server();
        let url = dm.uri_for("com.example.dm");
        let p1 = "<SyncML><SyncHdr><VerProto>DM/1.3</VerProto><SessionID>A01</SessionID><Source><LocURI>IMEI:1</LocURI></Source></SyncHdr><SyncBody><Alert><Data>1200</Data></Alert></SyncBody></SyncML>";
        let answer = post(&url, CONTENT_TYPE_XML, &[], p1.as_bytes(), T).unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(
            package1::parse_package1(std::str::from_utf8(&answer.body).unwrap())
                .unwrap()
                .session_id
                .as_deref(),
            Some("A01")
        );
        let posted = dm.next(T).unwrap();
        assert_eq!(posted.server_id.as_deref(), Some("com.example.dm"));
        assert_eq!(posted.package1.unwrap().alerts, ["1200"]);
    }

    #[test]
    fn bad_packages_are_reported_not_fatal() {
        let dm = server();
        let url = dm.uri_for("x");
        for (content_type, body, error) in [
            (CONTENT_TYPE_XML, b"not xml at all <".to_vec(), "not XML"),
            (
                CONTENT_TYPE_XML,
                b"<SyncML><SyncHdr/></SyncML>".to_vec(),
                "no SessionID",
            ),
            (CONTENT_TYPE_WBXML, vec![0x02, 0xa4, 0x01], "WBXML"),
            (CONTENT_TYPE_XML, vec![b'x'; 10 << 20], "larger than"),
        ] {
            // A body over the limit is cut off: the client may see the answer or a closed socket.
            match post(&url, content_type, &[], &body, Duration::from_secs(10)) {
                Ok(answer) => assert!(answer.status >= 400, "{error}: {}", answer.status),
                Err(e) => assert!(body.len() > http::MAX_BODY, "{error}: {e}"),
            }
            let posted = dm.next(T).unwrap();
            let got = posted.package1.unwrap_err().to_string();
            assert!(got.contains(error), "{got}");
        }
    }

    #[test]
    fn a_flood_of_sessions_is_all_recorded() {
        let dm = std::sync::Arc::new(server());
        let url = dm.uri_for("flood");
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let url = url.clone();
                std::thread::spawn(move || {
                    for i in 0..25 {
                        let p1 = format!(
                            "<SyncML><SyncHdr><SessionID>{:X}</SessionID></SyncHdr></SyncML>",
                            t * 100 + i + 1
                        );
                        assert_eq!(
                            post(&url, CONTENT_TYPE_XML, &[], p1.as_bytes(), T)
                                .unwrap()
                                .status,
                            200
                        );
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let mut ids = std::collections::HashSet::new();
        while let Some(p) = dm.next(Duration::from_millis(200)) {
            ids.insert(p.package1.unwrap().session_id.unwrap());
        }
        assert_eq!(ids.len(), 200);
    }
}
