//! The harness as a device (server role over the network): it listens for WAP pushes on UDP and for
//! OTA-HTTP pushes over HTTP, and hands every arrival to the runner.

use super::capture::Capture;
use super::http::{self, HttpServer, Reply};
use crate::codec::ota_http;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What reached the device.
#[derive(Debug, Clone)]
pub enum Arrival {
    Datagram {
        from: SocketAddr,
        bytes: Vec<u8>,
    },
    Push {
        content_type: String,
        body: Vec<u8>,
        headers: Vec<(String, String)>,
    },
    /// A PAP push submission the harness's PPG received (7.1 through a PPG), or why it cannot be
    /// read.
    Pap(Result<crate::codec::pap::PapPush, crate::codec::pap::Error>),
    /// The SMS TPDUs of one push, as the harness's SMSC received them in submit_sm (7.1).
    Sms {
        tpdus: Vec<Vec<u8>>,
    },
    /// An OBEX PUT the harness's OBEX server reassembled (7.2).
    Obex(crate::codec::obex::ObexPut),
    /// A SIP request that reached the harness's user agent (7.3), as it came.
    Sip {
        transport: crate::codec::sip::SipTransport,
        bytes: Vec<u8>,
    },
}

pub struct Device {
    pub udp_addr: SocketAddr,
    pub http_addr: SocketAddr,
    arrivals: Mutex<Receiver<Arrival>>,
    stop: Arc<AtomicBool>,
    udp_thread: Option<std::thread::JoinHandle<()>>,
    _http: HttpServer,
}

impl Drop for Device {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        super::wake_udp(self.udp_addr);
        if let Some(t) = self.udp_thread.take() {
            let _ = t.join();
        }
    }
}

impl Device {
    pub fn start(bind: SocketAddr, capture: Option<Capture>) -> std::io::Result<Device> {
        let (tx, rx) = mpsc::channel();
        let socket = UdpSocket::bind(bind)?;
        socket.set_read_timeout(Some(Duration::from_millis(50)))?;
        let udp_addr = socket.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let (stop_in, tx_udp, cap_udp) = (Arc::clone(&stop), tx.clone(), capture.clone());
        let udp_thread = std::thread::spawn(move || {
            let mut buf = [0u8; 65_536];
            while !stop_in.load(Ordering::SeqCst) {
                if let Ok((n, from)) = socket.recv_from(&mut buf) {
                    // The stop's own wake-up datagram is not an arrival, nor captured.
                    if stop_in.load(Ordering::SeqCst) {
                        return;
                    }
                    if let Some(c) = &cap_udp {
                        c.udp(from, udp_addr, &buf[..n]);
                    }
                    if tx_udp
                        .send(Arrival::Datagram {
                            from,
                            bytes: buf[..n].to_vec(),
                        })
                        .is_err()
                    {
                        return;
                    }
                }
            }
        });
        let tx = Mutex::new(tx);
        let http_bind = SocketAddr::new(bind.ip(), 0);
        let http = http::serve(http_bind, capture, move |r| {
            let reply = Reply {
                status: 204,
                headers: vec![(
                    ota_http::PUSH_STATUS_HEADER.into(),
                    ota_http::PUSH_STATUS_ACCEPTED.into(),
                )],
                body: Vec::new(),
            };
            let arrival = Arrival::Push {
                content_type: r.header("content-type").unwrap_or("").to_owned(),
                body: r.body.clone(),
                headers: r.headers.clone(),
            };
            if let Ok(tx) = tx.lock() {
                let _ = tx.send(arrival);
            }
            reply
        })?;
        let http_addr = http.addr;
        Ok(Device {
            udp_addr,
            http_addr,
            arrivals: Mutex::new(rx),
            stop,
            udp_thread: Some(udp_thread),
            _http: http,
        })
    }

    /// The next arrival, waiting at most `timeout`.
    pub fn next(&self, timeout: Duration) -> Option<Arrival> {
        self.arrivals.lock().ok()?.recv_timeout(timeout).ok()
    }

    /// Drops arrivals left from an earlier case.
    pub fn drain(&self) {
        if let Ok(rx) = self.arrivals.lock() {
            while rx.try_recv().is_ok() {}
        }
    }
}
