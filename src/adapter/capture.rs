//! Packet captures of a run (`--pcap FILE`): every datagram and HTTP message exchanged, as classic
//! pcap with link type raw IPv4 (raw IP, IPv4 and IPv6, once an IPv6 packet is in it) and
//! synthetic IP/UDP/TCP headers (a three-way handshake per TCP flow, then one segment per HTTP
//! message), so Wireshark and tshark read it as traffic.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

const LINKTYPE_IPV4: u32 = 228;
/// Raw IP: each packet is IPv4 or IPv6 by its version nibble.
const LINKTYPE_RAW: u32 = 101;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Udp,
    Tcp { flags: u8, seq: u32, ack: u32 },
}

#[derive(Debug, Clone)]
struct Packet {
    at: SystemTime,
    src: SocketAddr,
    dst: SocketAddr,
    kind: Kind,
    payload: Vec<u8>,
}

#[derive(Debug, Default)]
struct State {
    packets: Vec<Packet>,
    /// Next sequence number per direction of each TCP flow.
    next_seq: HashMap<(SocketAddr, SocketAddr), u32>,
}

/// A capture shared by the pieces of a run; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Capture(Arc<Mutex<State>>);

/// A flow's two ends in one family (an IPv4 address in IPv6 form taken as IPv4), or none when
/// they are of two families.
fn ends(src: SocketAddr, dst: SocketAddr) -> Option<(SocketAddr, SocketAddr)> {
    let plain = |a: SocketAddr| match a.ip() {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(v4.into(), a.port()),
            None => a,
        },
        IpAddr::V4(_) => a,
    };
    let (src, dst) = (plain(src), plain(dst));
    (src.is_ipv4() == dst.is_ipv4()).then_some((src, dst))
}

/// The most payload one captured TCP segment carries (Ethernet's MSS).
const MSS: usize = 1460;

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH: u8 = 0x08;

impl Capture {
    pub fn udp(&self, src: SocketAddr, dst: SocketAddr, payload: &[u8]) {
        if let (Some((src, dst)), Ok(mut s)) = (ends(src, dst), self.0.lock()) {
            s.packets.push(Packet {
                at: SystemTime::now(),
                src,
                dst,
                kind: Kind::Udp,
                payload: payload.to_vec(),
            });
        }
    }

    /// One HTTP message from `src` to `dst` on the flow between them.
    pub fn tcp(&self, src: SocketAddr, dst: SocketAddr, payload: &[u8]) {
        let (Some((src, dst)), Ok(mut s)) = (ends(src, dst), self.0.lock()) else {
            return;
        };
        let at = SystemTime::now();
        if !s.next_seq.contains_key(&(src, dst)) && !s.next_seq.contains_key(&(dst, src)) {
            // A new flow, opened by src: SYN, SYN-ACK, ACK.
            let (a, b) = (1000u32, 5000u32);
            s.packets.push(Packet {
                at,
                src,
                dst,
                kind: Kind::Tcp {
                    flags: SYN,
                    seq: a,
                    ack: 0,
                },
                payload: vec![],
            });
            s.packets.push(Packet {
                at,
                src: dst,
                dst: src,
                kind: Kind::Tcp {
                    flags: SYN | ACK,
                    seq: b,
                    ack: a + 1,
                },
                payload: vec![],
            });
            s.packets.push(Packet {
                at,
                src,
                dst,
                kind: Kind::Tcp {
                    flags: ACK,
                    seq: a + 1,
                    ack: b + 1,
                },
                payload: vec![],
            });
            s.next_seq.insert((src, dst), a + 1);
            s.next_seq.insert((dst, src), b + 1);
        }
        let ack = s.next_seq.get(&(dst, src)).copied().unwrap_or(1);
        // Segments of at most one MSS, as a real stack sends them: an IPv4 packet holds at most
        // 65,535 bytes, and tshark refuses a record larger than its snapshot length.
        let segments: Vec<&[u8]> = if payload.is_empty() {
            vec![payload]
        } else {
            payload.chunks(MSS).collect()
        };
        let last = segments.len() - 1;
        for (i, segment) in segments.into_iter().enumerate() {
            let seq = s.next_seq.get(&(src, dst)).copied().unwrap_or(1);
            s.next_seq
                .insert((src, dst), seq.wrapping_add(segment.len() as u32));
            s.packets.push(Packet {
                at,
                src,
                dst,
                kind: Kind::Tcp {
                    flags: if i == last { PSH | ACK } else { ACK },
                    seq,
                    ack,
                },
                payload: segment.to_vec(),
            });
        }
    }

    pub fn len(&self) -> usize {
        self.0.lock().map(|s| s.packets.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The capture as pcap bytes.
    pub fn to_pcap(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&4u16.to_le_bytes());
        out.extend_from_slice(&0i32.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&65_535u32.to_le_bytes());
        let packets = self.0.lock().map(|s| s.packets.clone()).unwrap_or_default();
        let any_v6 = packets.iter().any(|p| p.src.is_ipv6());
        let linktype = if any_v6 { LINKTYPE_RAW } else { LINKTYPE_IPV4 };
        out.extend_from_slice(&linktype.to_le_bytes());
        for (i, p) in packets.iter().enumerate() {
            let ip = ip_packet(p, i as u16);
            let since = p.at.duration_since(UNIX_EPOCH).unwrap_or_default();
            out.extend_from_slice(&(since.as_secs() as u32).to_le_bytes());
            out.extend_from_slice(&since.subsec_micros().to_le_bytes());
            out.extend_from_slice(&(ip.len() as u32).to_le_bytes());
            out.extend_from_slice(&(ip.len() as u32).to_le_bytes());
            out.extend_from_slice(&ip);
        }
        out
    }
}

/// The Internet checksum (RFC 1071) over several pieces.
fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    let mut odd: Option<u8> = None;
    for part in parts {
        for &b in *part {
            match odd.take() {
                Some(hi) => sum += u32::from(u16::from_be_bytes([hi, b])),
                None => odd = Some(b),
            }
        }
    }
    if let Some(hi) = odd {
        sum += u32::from(u16::from_be_bytes([hi, 0]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The packet's transport header and payload, and its protocol number.
fn transport(p: &Packet) -> (u8, Vec<u8>) {
    match p.kind {
        Kind::Udp => {
            let len = (8 + p.payload.len()) as u16;
            let mut h = Vec::with_capacity(len as usize);
            h.extend_from_slice(&p.src.port().to_be_bytes());
            h.extend_from_slice(&p.dst.port().to_be_bytes());
            h.extend_from_slice(&len.to_be_bytes());
            h.extend_from_slice(&[0, 0]);
            h.extend_from_slice(&p.payload);
            (17u8, h)
        }
        Kind::Tcp { flags, seq, ack } => {
            let mut h = Vec::with_capacity(20 + p.payload.len());
            h.extend_from_slice(&p.src.port().to_be_bytes());
            h.extend_from_slice(&p.dst.port().to_be_bytes());
            h.extend_from_slice(&seq.to_be_bytes());
            h.extend_from_slice(&ack.to_be_bytes());
            h.push(5 << 4);
            h.push(flags);
            h.extend_from_slice(&65_535u16.to_be_bytes());
            h.extend_from_slice(&[0, 0, 0, 0]);
            h.extend_from_slice(&p.payload);
            (6u8, h)
        }
    }
}

/// The packet with its IP header: IPv4 (RFC 791) or IPv6 (RFC 8200), the transport's checksum
/// over the family's pseudo-header (RFC 768, RFC 793, RFC 8200 8.1).
fn ip_packet(p: &Packet, id: u16) -> Vec<u8> {
    let (proto, mut transport) = transport(p);
    let at = if proto == 17 { 6 } else { 16 };
    match (p.src.ip(), p.dst.ip()) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            let total = (20 + transport.len()) as u16;
            let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, proto, 0, 0];
            ip[2..4].copy_from_slice(&total.to_be_bytes());
            ip[4..6].copy_from_slice(&id.to_be_bytes());
            ip.extend_from_slice(&src.octets());
            ip.extend_from_slice(&dst.octets());
            let sum = checksum(&[&ip]);
            ip[10..12].copy_from_slice(&sum.to_be_bytes());
            let pseudo = [
                &src.octets()[..],
                &dst.octets()[..],
                &[0, proto],
                &(transport.len() as u16).to_be_bytes(),
            ]
            .concat();
            let sum = checksum(&[&pseudo, &transport]);
            transport[at..at + 2].copy_from_slice(&sum.to_be_bytes());
            ip.extend_from_slice(&transport);
            ip
        }
        (src, dst) => {
            let octets = |a: IpAddr| match a {
                IpAddr::V6(v6) => v6.octets(),
                IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
            };
            let (src, dst) = (octets(src), octets(dst));
            let mut ip = vec![0x60, 0, 0, 0];
            ip.extend_from_slice(&(transport.len() as u16).to_be_bytes());
            ip.extend_from_slice(&[proto, 64]);
            ip.extend_from_slice(&src);
            ip.extend_from_slice(&dst);
            let pseudo = [
                &src[..],
                &dst[..],
                &(transport.len() as u32).to_be_bytes(),
                &[0, 0, 0, proto],
            ]
            .concat();
            let mut sum = checksum(&[&pseudo, &transport]);
            if proto == 17 && sum == 0 {
                // RFC 768: a computed 0 goes out as all ones (IPv6 forbids a zero UDP checksum).
                sum = 0xffff;
            }
            transport[at..at + 2].copy_from_slice(&sum.to_be_bytes());
            ip.extend_from_slice(&transport);
            ip
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_verify_and_layout_is_pcap() {
        let c = Capture::default();
        let (a, b): (SocketAddr, SocketAddr) = (
            "127.0.0.1:4000".parse().unwrap(),
            "127.0.0.1:2948".parse().unwrap(),
        );
        c.udp(a, b, b"\x01\x06\x03\xd8\xaf\x87");
        c.tcp(a, b, b"POST / HTTP/1.1\r\n\r\n");
        c.tcp(b, a, b"HTTP/1.1 204 No Content\r\n\r\n");
        assert_eq!(c.len(), 1 + 3 + 2);
        let pcap = c.to_pcap();
        assert_eq!(&pcap[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        assert_eq!(u32::from_le_bytes(pcap[20..24].try_into().unwrap()), 228);
        // The first packet's IPv4 header checksum verifies.
        let ip = &pcap[24 + 16..24 + 16 + 20];
        assert_eq!(checksum(&[ip]), 0);
    }

    /// An IPv6 run is captured too, as raw IP: the version nibble says IPv6, the UDP checksum
    /// verifies over the IPv6 pseudo-header.
    #[test]
    fn an_ipv6_exchange_is_captured() {
        let c = Capture::default();
        let (a, b): (SocketAddr, SocketAddr) =
            ("[::1]:4000".parse().unwrap(), "[::1]:2948".parse().unwrap());
        c.udp(a, b, b"\x01\x06\x03\xd8\xaf\x87");
        c.tcp(a, b, b"POST / HTTP/1.1\r\n\r\n");
        assert_eq!(c.len(), 1 + 4);
        let pcap = c.to_pcap();
        assert_eq!(u32::from_le_bytes(pcap[20..24].try_into().unwrap()), 101);
        let ip = &pcap[24 + 16..];
        assert_eq!(ip[0] >> 4, 6);
        let payload_len = usize::from(u16::from_be_bytes([ip[4], ip[5]]));
        let udp = &ip[40..40 + payload_len];
        let pseudo = [
            &ip[8..40],
            &(udp.len() as u32).to_be_bytes()[..],
            &[0, 0, 0, 17],
        ]
        .concat();
        assert_eq!(checksum(&[&pseudo, udp]), 0);
        // Two families in one flow are not a flow: nothing is made up.
        c.udp("127.0.0.1:1".parse().unwrap(), b, b"x");
        assert_eq!(c.len(), 5);
    }
}
