//! `cargo bench --bench soak`: the harness's own servers under a flood, as a hostile or broken
//! peer on a lab network would send it: 100,000 REGISTERs (a new address of record each) and
//! 2,000 idle TCP connections at the SIP element, 10,000 enquire_links at the SMSC from a peer
//! that never reads the answers. Prints the process's resident memory and threads before, at the
//! peak and after each service stops, and what the element dropped. Asserts nothing.

use dmnoti::adapter::sip::SipElement;
use dmnoti::adapter::smpp::Smsc;
use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::time::{Duration, Instant};

/// (resident KiB, peak resident KiB, threads) of this process, from /proc.
fn usage() -> (u64, u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"), field("Threads:"))
}

fn show(when: &str) {
    let (rss, peak, threads) = usage();
    println!(
        "{when:<48} RSS {:>7} KiB  peak {:>7} KiB  threads {threads:>5}",
        rss, peak
    );
}

fn main() {
    show("before");
    let element = SipElement::start("127.0.0.1:0".parse().unwrap(), None).unwrap();
    let at = element.addr;
    let started = Instant::now();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    for n in 0..100_000u32 {
        let register = format!(
            "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK{n}\r\nFrom: <sip:d{n}@lab>;tag=1\r\nTo: <sip:d{n}@lab>\r\nCall-ID: r{n}\r\nCSeq: 1 REGISTER\r\nContact: <sip:d{n}@127.0.0.1:9>\r\nContent-Length: 0\r\n\r\n"
        );
        let _ = udp.send_to(register.as_bytes(), at);
        if n % 64 == 0 {
            // Let the element keep up a little, as a real network paces packets.
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    println!(
        "100,000 REGISTERs sent in {:.1} s; the element dropped {} (queue and table bounds)",
        started.elapsed().as_secs_f64(),
        element.dropped()
    );
    show("after 100,000 REGISTERs");
    let idle: Vec<TcpStream> = (0..2000)
        .filter_map(|_| TcpStream::connect(at).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    println!("{} idle TCP connections opened", idle.len());
    show("with 2,000 idle TCP connections");
    drop(element);
    drop(idle);
    show("after the SIP element stopped");

    let smsc = Smsc::start("127.0.0.1:0".parse().unwrap(), None, None).unwrap();
    let mut peer = TcpStream::connect(smsc.addr).unwrap();
    let enquire_link = [0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1];
    let storm = enquire_link.repeat(10_000);
    let writer = std::thread::spawn(move || {
        let _ = peer.write_all(&storm);
        peer
    });
    std::thread::sleep(Duration::from_millis(500));
    show("with 10,000 enquire_links unread at the SMSC");
    let stop = Instant::now();
    drop(smsc);
    println!("the SMSC stopped in {:?}", stop.elapsed());
    drop(writer.join());
    show("after the SMSC stopped");
}
