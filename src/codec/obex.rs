//! Package #0 over OBEX (7.2): "Local Notification Initiated Session over OBEX is done inside the
//! PUT command of the OBEX protocol. This happens in the same way as sending the DM messages over
//! OBEX to a DM Client". As the DM OBEX binding sends DM messages: a CONNECT whose Target header is
//! the DM service's `SYNCML-DM`, then a PUT whose Type header is the message's MIME type (here
//! `application/vnd.syncml.dm.notification`, null-terminated ASCII) and whose Body and End-of-Body
//! headers carry it, split over as many packets as the receiver's maximum packet length needs,
//! then a DISCONNECT. Over TCP (OBEX's IANA port is 650) the packets follow each other on the
//! stream.
//!
//! Only the subset of IrOBEX 1.x the binding uses is read and written here: the packet (opcode or
//! response code, 16-bit length, CONNECT's version, flags and maximum packet length, SETPATH's two
//! bytes) and the four header encodings. Written by hand: no maintained OBEX crate exists, and
//! every error here must name its byte offset. Pure functions of bytes; the links own the sockets.

use super::Format;
use super::error::{DecodeError, Rule};
use std::fmt;

/// The DM service's Target (and Who) header value, as the DM OBEX binding names it.
pub const TARGET_DM: &[u8] = b"SYNCML-DM";
/// OBEX version 1.0, as CONNECT carries it.
pub const VERSION: u8 = 0x10;
/// The smallest maximum packet length a peer may declare (IrOBEX 3.3.1.4).
pub const MIN_PACKET: u16 = 255;
/// Header fields read at most in one packet: a PUT of the binding has five.
pub const MAX_HEADERS: usize = 64;
/// The largest object a receiver here reassembles: a Package #0 is a few hundred bytes; 64 KiB
/// leaves room for any vendor part and bounds what a peer can make the harness hold.
pub const MAX_BODY: usize = 64 * 1024;

/// Request opcodes (IrOBEX 3.3), the final bit set where the binding sends it so.
pub mod op {
    pub const PUT: u8 = 0x02;
    pub const PUT_FINAL: u8 = 0x82;
    pub const CONNECT: u8 = 0x80;
    pub const DISCONNECT: u8 = 0x81;
    pub const GET_FINAL: u8 = 0x83;
    pub const SETPATH: u8 = 0x85;
    pub const ABORT: u8 = 0xFF;
}

/// Response codes (IrOBEX 3.2.1), with the final bit.
pub mod rsp {
    pub const CONTINUE: u8 = 0x90;
    pub const SUCCESS: u8 = 0xA0;
    pub const BAD_REQUEST: u8 = 0xC0;
    pub const FORBIDDEN: u8 = 0xC3;
    pub const NOT_ACCEPTABLE: u8 = 0xC6;
    pub const TOO_LARGE: u8 = 0xCD;
    pub const UNSUPPORTED_MEDIA_TYPE: u8 = 0xCF;
    pub const NOT_IMPLEMENTED: u8 = 0xD1;
}

/// Header identifiers (IrOBEX 2.2): the two high bits say the encoding.
pub mod hi {
    pub const NAME: u8 = 0x01;
    pub const DESCRIPTION: u8 = 0x05;
    pub const TYPE: u8 = 0x42;
    pub const TARGET: u8 = 0x46;
    pub const BODY: u8 = 0x48;
    pub const END_OF_BODY: u8 = 0x49;
    pub const WHO: u8 = 0x4A;
    pub const LENGTH: u8 = 0xC3;
    pub const CONNECTION_ID: u8 = 0xCB;
}

pub type Error = DecodeError<ErrorKind>;

/// Rules of the OBEX framing, in the order a reader meets them; then 7.2's rules on a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    BadPacketLength { length: usize },
    ShortFields { code: u8 },
    BadHeaderLength { id: u8, length: usize },
    HeaderPastPacket { id: u8 },
    OddUnicode { id: u8 },
    TooManyHeaders,
    SmallMaxPacket { declared: u16 },
    NotConnected,
    WrongTarget { found: Option<Vec<u8>> },
    MissingType,
    NotDmType { found: String },
    PacketOverMax { size: usize, max: u16 },
    LengthMismatch { declared: u32, received: usize },
    BodyTooLong,
}

impl Rule for ErrorKind {
    fn name(&self) -> &'static str {
        match self {
            ErrorKind::BadPacketLength { .. } => "bad-packet-length",
            ErrorKind::ShortFields { .. } => "short-fields",
            ErrorKind::BadHeaderLength { .. } => "bad-header-length",
            ErrorKind::HeaderPastPacket { .. } => "header-past-packet",
            ErrorKind::OddUnicode { .. } => "odd-unicode",
            ErrorKind::TooManyHeaders => "too-many-headers",
            ErrorKind::SmallMaxPacket { .. } => "small-max-packet",
            ErrorKind::NotConnected => "not-connected",
            ErrorKind::WrongTarget { .. } => "wrong-target",
            ErrorKind::MissingType => "missing-type",
            ErrorKind::NotDmType { .. } => "not-dm-type",
            ErrorKind::PacketOverMax { .. } => "packet-over-max",
            ErrorKind::LengthMismatch { .. } => "length-mismatch",
            ErrorKind::BodyTooLong => "body-too-long",
        }
    }

    fn section(&self) -> &'static str {
        match self {
            ErrorKind::BadPacketLength { .. } | ErrorKind::ShortFields { .. } => "7.2, IrOBEX 3.1",
            ErrorKind::BadHeaderLength { .. }
            | ErrorKind::HeaderPastPacket { .. }
            | ErrorKind::OddUnicode { .. } => "7.2, IrOBEX 2.1",
            ErrorKind::TooManyHeaders | ErrorKind::BodyTooLong => "7.2 (harness bound)",
            ErrorKind::SmallMaxPacket { .. } | ErrorKind::PacketOverMax { .. } => {
                "7.2, IrOBEX 3.3.1.4"
            }
            ErrorKind::NotConnected | ErrorKind::WrongTarget { .. } => "7.2, DM OBEX binding",
            ErrorKind::MissingType | ErrorKind::NotDmType { .. } => "7.2, 6",
            ErrorKind::LengthMismatch { .. } => "7.2, IrOBEX 2.2.5",
        }
    }
}

/// How a byte string shows in a message: text when it is printable ASCII, else hex.
fn shown(bytes: &[u8]) -> String {
    if bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!("{:?}", String::from_utf8_lossy(bytes))
    } else {
        super::hex(bytes)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::BadPacketLength { length } => {
                write!(f, "packet length {length} is less than its own 3 bytes")
            }
            ErrorKind::ShortFields { code } => write!(
                f,
                "packet 0x{code:02X} ends before its version, flags and maximum packet length"
            ),
            ErrorKind::BadHeaderLength { id, length } => {
                write!(f, "header 0x{id:02X} declares length {length}, less than 3")
            }
            ErrorKind::HeaderPastPacket { id } => {
                write!(f, "header 0x{id:02X} runs past the end of its packet")
            }
            ErrorKind::OddUnicode { id } => write!(
                f,
                "header 0x{id:02X} is Unicode text of an odd number of bytes"
            ),
            ErrorKind::TooManyHeaders => write!(f, "more than {MAX_HEADERS} headers in a packet"),
            ErrorKind::SmallMaxPacket { declared } => write!(
                f,
                "maximum packet length {declared} is under OBEX's minimum of {MIN_PACKET}"
            ),
            ErrorKind::NotConnected => f.write_str(
                "a PUT without an OBEX connection: the binding connects to the DM service (Target SYNCML-DM) first",
            ),
            ErrorKind::WrongTarget { found } => write!(
                f,
                "CONNECT's Target is {}, not the DM service's \"SYNCML-DM\"; \"This happens in the same way as sending the DM messages over OBEX to a DM Client\"",
                found.as_deref().map_or_else(|| "absent".to_owned(), shown)
            ),
            ErrorKind::MissingType => f.write_str(
                "the PUT has no Type header; \"The MIME type for this version of DM Notification Message is application/vnd.syncml.dm.notification\"",
            ),
            ErrorKind::NotDmType { found } => write!(
                f,
                "Type {found:?}; \"The MIME type for this version of DM Notification Message is application/vnd.syncml.dm.notification\""
            ),
            ErrorKind::PacketOverMax { size, max } => write!(
                f,
                "a packet of {size} bytes, over the {max} the receiver declared as its maximum packet length"
            ),
            ErrorKind::LengthMismatch { declared, received } => write!(
                f,
                "the Length header says {declared} bytes; the PUT's body has {received}"
            ),
            ErrorKind::BodyTooLong => write!(f, "an object over the {MAX_BODY}-byte bound"),
        }
    }
}

/// A header's value, by the encoding its identifier's two high bits name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    /// 00: null-terminated UTF-16BE text (the terminator dropped).
    Text(String),
    /// 01: a byte sequence.
    Bytes(&'a [u8]),
    /// 10: one byte.
    Byte(u8),
    /// 11: four bytes, big-endian.
    Quad(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    pub id: u8,
    /// Offset of the header's identifier in the bytes given to [`parse`].
    pub offset: usize,
    pub value: Value<'a>,
}

/// The fields a CONNECT request and its response carry before their headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectFields {
    pub version: u8,
    pub flags: u8,
    pub max_packet: u16,
}

/// One OBEX packet: a request (opcode) or a response (response code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<'a> {
    pub code: u8,
    /// The packet's length, as declared (and present).
    pub length: usize,
    pub connect: Option<ConnectFields>,
    pub headers: Vec<Header<'a>>,
}

/// What [`parse`] found: a whole packet, or a need for more bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<'a> {
    Complete(Packet<'a>),
    Partial,
}

/// Which packet is expected: the fields before the headers depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Request,
    /// A response; `to_connect` when it answers a CONNECT.
    Response {
        to_connect: bool,
    },
}

impl Packet<'_> {
    pub fn header(&self, id: u8) -> Option<&Value<'_>> {
        self.headers.iter().find(|h| h.id == id).map(|h| &h.value)
    }

    /// A byte-sequence header's bytes.
    pub fn bytes(&self, id: u8) -> Option<&[u8]> {
        match self.header(id)? {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    pub fn quad(&self, id: u8) -> Option<u32> {
        match self.header(id)? {
            Value::Quad(q) => Some(*q),
            _ => None,
        }
    }

    /// The Type header as text, its null terminator dropped.
    pub fn type_text(&self) -> Option<String> {
        let b = self.bytes(hi::TYPE)?;
        let b = b.strip_suffix(&[0]).unwrap_or(b);
        Some(String::from_utf8_lossy(b).into_owned())
    }

    /// The Body and End-of-Body bytes this packet carries, in order.
    pub fn body(&self) -> impl Iterator<Item = &[u8]> {
        self.headers.iter().filter_map(|h| match (&h.value, h.id) {
            (Value::Bytes(b), hi::BODY | hi::END_OF_BODY) => Some(*b),
            _ => None,
        })
    }

    pub fn has_end_of_body(&self) -> bool {
        self.headers.iter().any(|h| h.id == hi::END_OF_BODY)
    }
}

fn error(offset: usize, kind: ErrorKind) -> Error {
    Error::new(offset, kind)
}

/// Reads one packet from the front of `bytes` (a stream: [`Parsed::Partial`] asks for more).
pub fn parse(bytes: &[u8], kind: Kind) -> Result<Parsed<'_>, Error> {
    let (Some(&code), Some(len)) = (bytes.first(), bytes.get(1..3)) else {
        return Ok(Parsed::Partial);
    };
    let length = usize::from(u16::from_be_bytes([len[0], len[1]]));
    if length < 3 {
        return Err(error(1, ErrorKind::BadPacketLength { length }));
    }
    let Some(packet) = bytes.get(..length) else {
        return Ok(Parsed::Partial);
    };
    let mut at = 3;
    let connect = match kind {
        Kind::Request if code == op::CONNECT => true,
        Kind::Response { to_connect } => to_connect,
        Kind::Request => false,
    };
    let connect = if connect {
        let f = packet
            .get(3..7)
            .ok_or(error(3, ErrorKind::ShortFields { code }))?;
        at = 7;
        Some(ConnectFields {
            version: f[0],
            flags: f[1],
            max_packet: u16::from_be_bytes([f[2], f[3]]),
        })
    } else {
        None
    };
    if kind == Kind::Request && code == op::SETPATH {
        if packet.len() < 5 {
            return Err(error(3, ErrorKind::ShortFields { code }));
        }
        at = 5;
    }
    let mut headers = Vec::new();
    while at < length {
        if headers.len() == MAX_HEADERS {
            return Err(error(at, ErrorKind::TooManyHeaders));
        }
        let id = packet[at];
        let past = || error(at, ErrorKind::HeaderPastPacket { id });
        let (value, size) = match id >> 6 {
            0 | 1 => {
                let l = packet.get(at + 1..at + 3).ok_or_else(past)?;
                let size = usize::from(u16::from_be_bytes([l[0], l[1]]));
                if size < 3 {
                    return Err(error(
                        at + 1,
                        ErrorKind::BadHeaderLength { id, length: size },
                    ));
                }
                let data = packet.get(at + 3..at + size).ok_or_else(past)?;
                let value = if id >> 6 == 0 {
                    if data.len() % 2 != 0 {
                        return Err(error(at, ErrorKind::OddUnicode { id }));
                    }
                    let units: Vec<u16> = data
                        .chunks_exact(2)
                        .map(|c| u16::from_be_bytes([c[0], c[1]]))
                        .take_while(|u| *u != 0)
                        .collect();
                    Value::Text(String::from_utf16_lossy(&units))
                } else {
                    Value::Bytes(data)
                };
                (value, size)
            }
            2 => (Value::Byte(*packet.get(at + 1).ok_or_else(past)?), 2),
            _ => {
                let q = packet.get(at + 1..at + 5).ok_or_else(past)?;
                (Value::Quad(u32::from_be_bytes([q[0], q[1], q[2], q[3]])), 5)
            }
        };
        headers.push(Header {
            id,
            offset: at,
            value,
        });
        at += size;
    }
    Ok(Parsed::Complete(Packet {
        code,
        length,
        connect,
        headers,
    }))
}

/// A header's bytes on the wire.
pub fn header(id: u8, value: &Value<'_>) -> Vec<u8> {
    let mut out = vec![id];
    let prefixed = |out: &mut Vec<u8>, data: &[u8]| {
        let len = u16::try_from(data.len() + 3).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(data);
    };
    match value {
        Value::Text(t) => {
            let mut data: Vec<u8> = t.encode_utf16().flat_map(u16::to_be_bytes).collect();
            data.extend_from_slice(&[0, 0]);
            prefixed(&mut out, &data);
        }
        Value::Bytes(b) => prefixed(&mut out, b),
        Value::Byte(b) => out.push(*b),
        Value::Quad(q) => out.extend_from_slice(&q.to_be_bytes()),
    }
    out
}

/// A packet from its code, CONNECT fields and encoded headers.
pub fn packet(code: u8, connect: Option<ConnectFields>, headers: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![code, 0, 0];
    if let Some(c) = connect {
        out.extend_from_slice(&[c.version, c.flags]);
        out.extend_from_slice(&c.max_packet.to_be_bytes());
    }
    for h in headers {
        out.extend_from_slice(h);
    }
    let len = u16::try_from(out.len()).unwrap_or(u16::MAX);
    out[1..3].copy_from_slice(&len.to_be_bytes());
    out
}

/// A CONNECT to the DM service (or to `target`, or to none), declaring `max_packet`.
pub fn connect_request(target: Option<&[u8]>, max_packet: u16) -> Vec<u8> {
    let headers: Vec<Vec<u8>> = target
        .map(|t| header(hi::TARGET, &Value::Bytes(t)))
        .into_iter()
        .collect();
    packet(
        op::CONNECT,
        Some(ConnectFields {
            version: VERSION,
            flags: 0,
            max_packet,
        }),
        &headers,
    )
}

/// A DISCONNECT of the connection `id` (when the server gave one).
pub fn disconnect_request(connection_id: Option<u32>) -> Vec<u8> {
    let headers: Vec<Vec<u8>> = connection_id
        .map(|c| header(hi::CONNECTION_ID, &Value::Quad(c)))
        .into_iter()
        .collect();
    packet(op::DISCONNECT, None, &headers)
}

/// How a PUT carrying Package #0 is built. `None`s mean what 7.2 says; the overrides build the
/// wrong ones on purpose.
#[derive(Debug, Clone, Default)]
pub struct PutSpec<'a> {
    pub connection_id: Option<u32>,
    /// The Type header's text; the format's MIME type when `None`.
    pub type_text: Option<&'a str>,
    /// No Type header at all.
    pub no_type: bool,
    pub name: Option<&'a str>,
    /// At most this many body bytes per packet (a split the receiver must reassemble).
    pub chunk: Option<usize>,
    /// The whole body in one packet, whatever the receiver's maximum packet length.
    pub ignore_max: bool,
}

/// The PUT packets that carry `body` to a receiver whose maximum packet length is `max_packet`:
/// the first with Connection ID, Type, Name and Length, each as much Body as fits, the last with
/// End-of-Body and the final bit.
pub fn put_requests(
    spec: &PutSpec<'_>,
    format: Format,
    body: &[u8],
    max_packet: u16,
) -> Vec<Vec<u8>> {
    let mut first = Vec::new();
    if let Some(c) = spec.connection_id {
        first.push(header(hi::CONNECTION_ID, &Value::Quad(c)));
    }
    if let Some(n) = spec.name {
        first.push(header(hi::NAME, &Value::Text(n.to_owned())));
    }
    if !spec.no_type {
        let mut t = spec
            .type_text
            .unwrap_or(format.content_type())
            .as_bytes()
            .to_vec();
        t.push(0);
        first.push(header(hi::TYPE, &Value::Bytes(&t)));
    }
    let total = u32::try_from(body.len()).unwrap_or(u32::MAX);
    first.push(header(hi::LENGTH, &Value::Quad(total)));
    let max = if spec.ignore_max {
        usize::MAX
    } else {
        usize::from(max_packet.max(MIN_PACKET))
    };
    let mut out = Vec::new();
    let mut rest = body;
    let mut headers = first;
    loop {
        let used: usize = 3 + headers.iter().map(Vec::len).sum::<usize>();
        // Room for a body header's 3-byte prefix and at least one byte, else a packet of its own.
        let room = max
            .saturating_sub(used + 3)
            .min(usize::from(u16::MAX).saturating_sub(used + 3));
        let room = spec.chunk.map_or(room, |c| room.min(c.max(1)));
        if room == 0 && !headers.is_empty() {
            out.push(packet(op::PUT, None, &headers));
            headers = Vec::new();
            continue;
        }
        let take = rest.len().min(room);
        let (now, later) = rest.split_at(take);
        rest = later;
        if rest.is_empty() {
            headers.push(header(hi::END_OF_BODY, &Value::Bytes(now)));
            out.push(packet(op::PUT_FINAL, None, &headers));
            return out;
        }
        headers.push(header(hi::BODY, &Value::Bytes(now)));
        out.push(packet(op::PUT, None, &headers));
        headers = Vec::new();
    }
}

/// A response: `code`, the CONNECT fields when it answers a CONNECT, and headers.
pub fn response(code: u8, connect: Option<ConnectFields>, headers: &[Vec<u8>]) -> Vec<u8> {
    packet(code, connect, headers)
}

/// What a receiver reassembled of one OBEX push: the connection's target, the PUT's headers, the
/// body, and the sizes of the packets against the maximum it declared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObexPut {
    /// Whether a CONNECT came first, and its Target.
    pub connected: bool,
    pub target: Option<Vec<u8>>,
    pub type_text: Option<String>,
    pub name: Option<String>,
    pub body: Vec<u8>,
    /// How much of the body came in the first packet.
    pub first_packet_body: usize,
    pub packets: usize,
    pub largest_packet: usize,
    /// The maximum packet length the receiver declared in its CONNECT response.
    pub max_packet: u16,
    /// The object's Length header, when the PUT has one.
    pub length: Option<u32>,
}

/// Every rule of 7.2 a push breaks, not only the first: the server role reports each and still
/// judges the body.
pub fn sender_rules(put: &ObexPut) -> Vec<Error> {
    let mut out = Vec::new();
    if !put.connected {
        out.push(error(0, ErrorKind::NotConnected));
    } else if put.target.as_deref() != Some(TARGET_DM) {
        out.push(error(
            0,
            ErrorKind::WrongTarget {
                found: put.target.clone(),
            },
        ));
    }
    match &put.type_text {
        None => out.push(error(0, ErrorKind::MissingType)),
        Some(t) if Format::from_content_type(t).is_none() => {
            out.push(error(0, ErrorKind::NotDmType { found: t.clone() }))
        }
        Some(_) => {}
    }
    if let Some(declared) = put.length.filter(|l| *l as usize != put.body.len()) {
        out.push(error(
            0,
            ErrorKind::LengthMismatch {
                declared,
                received: put.body.len(),
            },
        ));
    }
    if put.max_packet > 0 && put.largest_packet > usize::from(put.max_packet) {
        out.push(error(
            0,
            ErrorKind::PacketOverMax {
                size: put.largest_packet,
                max: put.max_packet,
            },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn complete(bytes: &[u8], kind: Kind) -> Packet<'_> {
        match parse(bytes, kind).unwrap() {
            Parsed::Complete(p) => p,
            Parsed::Partial => panic!("partial"),
        }
    }

    #[test]
    fn a_connect_reads_back_with_its_target() {
        let bytes = connect_request(Some(TARGET_DM), 4096);
        assert_eq!(&bytes[..7], &[0x80, 0x00, 0x13, 0x10, 0x00, 0x10, 0x00]);
        let p = complete(&bytes, Kind::Request);
        assert_eq!(p.connect.unwrap().max_packet, 4096);
        assert_eq!(p.bytes(hi::TARGET), Some(TARGET_DM));
        assert_eq!(p.length, bytes.len());
    }

    /// A PUT (a Name, a Length, an End-of-Body) written out byte by byte from IrOBEX's header
    /// encodings, not made by our encoder.
    #[test]
    fn a_put_written_by_hand_is_read() {
        let bytes = [
            0x82, 0x00, 0x1A, // PUT, final, 26 bytes
            0x01, 0x00, 0x0B, 0x00, 0x61, 0x00, 0x2E, 0x00, 0x62, 0x00, 0x00, // Name "a.b"
            0xC3, 0x00, 0x00, 0x00, 0x02, // Length 2
            0x49, 0x00, 0x05, 0x1A, 0x00, // End-of-Body 1A 00
            0x05, 0x00, // a Description cut short: past the packet
        ];
        let err = parse(&bytes[..26], Kind::Request).unwrap_err();
        assert_eq!(err.kind.name(), "header-past-packet");
        assert_eq!(err.offset, 24);
        let mut fixed = bytes[..24].to_vec();
        fixed[2] = 24;
        let p = complete(&fixed, Kind::Request);
        assert_eq!(p.header(hi::NAME), Some(&Value::Text("a.b".into())));
        assert_eq!(p.quad(hi::LENGTH), Some(2));
        assert_eq!(p.body().collect::<Vec<_>>(), [&[0x1A, 0x00][..]]);
        assert!(p.has_end_of_body());
    }

    #[rstest]
    #[case(&[0x82][..], None)]
    #[case(&[0x82, 0x00, 0x10, 0x00][..], None)]
    #[case(&[0x82, 0x00, 0x02][..], Some(("bad-packet-length", 1)))]
    #[case(&[0x80, 0x00, 0x05, 0x10, 0x00][..], Some(("short-fields", 3)))]
    #[case(&[0x02, 0x00, 0x06, 0x48, 0x00, 0x02][..], Some(("bad-header-length", 4)))]
    #[case(&[0x02, 0x00, 0x07, 0x01, 0x00, 0x04, 0x61][..], Some(("odd-unicode", 3)))]
    #[case(&[0x02, 0x00, 0x06, 0xCB, 0x00, 0x00][..], Some(("header-past-packet", 3)))]
    fn malformed_packets_name_rule_and_offset(
        #[case] bytes: &[u8],
        #[case] want: Option<(&str, usize)>,
    ) {
        match (parse(bytes, Kind::Request), want) {
            (Ok(Parsed::Partial), None) => {}
            (Err(e), Some((name, offset))) => {
                assert_eq!((e.kind.name(), e.offset), (name, offset), "{e}")
            }
            (got, want) => panic!("{got:?}, wanted {want:?}"),
        }
    }

    /// Reassembles PUT packets as a receiver does.
    fn reassemble(packets: &[Vec<u8>]) -> (Vec<u8>, Option<String>, usize) {
        let mut body = Vec::new();
        let mut ty = None;
        let mut largest = 0;
        for (i, p) in packets.iter().enumerate() {
            let p = complete(p, Kind::Request);
            largest = largest.max(p.length);
            assert_eq!(p.code == op::PUT_FINAL, i + 1 == packets.len());
            ty = ty.or(p.type_text());
            for b in p.body() {
                body.extend_from_slice(b);
            }
        }
        (body, ty, largest)
    }

    #[test]
    fn a_put_splits_to_the_receivers_maximum() {
        let body: Vec<u8> = (0..=255u8).cycle().take(700).collect();
        let spec = PutSpec {
            connection_id: Some(7),
            ..PutSpec::default()
        };
        let packets = put_requests(&spec, Format::V13, &body, MIN_PACKET);
        assert!(packets.len() >= 3, "{}", packets.len());
        let (got, ty, largest) = reassemble(&packets);
        assert_eq!(got, body);
        assert_eq!(
            ty.as_deref(),
            Some("application/vnd.syncml.dm.notification")
        );
        assert!(largest <= 255, "{largest}");
        // Chunks on purpose, and one packet whatever the maximum.
        let chunked = put_requests(
            &PutSpec {
                chunk: Some(8),
                ..PutSpec::default()
            },
            Format::V12,
            &body[..40],
            4096,
        );
        assert_eq!(chunked.len(), 5);
        assert_eq!(reassemble(&chunked).0, &body[..40]);
        let whole = put_requests(
            &PutSpec {
                ignore_max: true,
                ..PutSpec::default()
            },
            Format::V13,
            &body,
            MIN_PACKET,
        );
        assert_eq!(whole.len(), 1);
        assert!(reassemble(&whole).2 > 700);
    }

    #[test]
    fn sender_rules_name_every_broken_rule() {
        let good = ObexPut {
            connected: true,
            target: Some(TARGET_DM.to_vec()),
            type_text: Some("application/vnd.syncml.dm.notification".into()),
            body: vec![1],
            packets: 1,
            largest_packet: 40,
            max_packet: 255,
            ..ObexPut::default()
        };
        assert!(sender_rules(&good).is_empty());
        let declared = ObexPut {
            length: Some(1),
            ..good.clone()
        };
        assert!(sender_rules(&declared).is_empty());
        let bad = ObexPut {
            target: Some(b"OBEX-FTP".to_vec()),
            type_text: Some("application/vnd.syncml.dm+wbxml".into()),
            largest_packet: 300,
            length: Some(5),
            ..good
        };
        let names: Vec<_> = sender_rules(&bad).iter().map(|e| e.kind.name()).collect();
        assert_eq!(
            names,
            [
                "wrong-target",
                "not-dm-type",
                "length-mismatch",
                "packet-over-max"
            ]
        );
    }

    proptest! {
        /// Whatever the bytes, parsing ends without a panic, and a complete packet's headers lie
        /// inside it.
        #[test]
        fn parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600), connect in any::<bool>()) {
            for kind in [Kind::Request, Kind::Response { to_connect: connect }] {
                if let Ok(Parsed::Complete(p)) = parse(&bytes, kind) {
                    prop_assert!(p.length <= bytes.len());
                    for h in &p.headers {
                        prop_assert!(h.offset < p.length);
                    }
                }
            }
        }

        /// Any body, any maximum, any chunk: the packets reassemble to the body, each within the
        /// maximum.
        #[test]
        fn puts_round_trip(body in proptest::collection::vec(any::<u8>(), 0..3000), max in 255u16..9000, chunk in proptest::option::of(1usize..500)) {
            let spec = PutSpec { connection_id: Some(1), chunk, ..PutSpec::default() };
            let packets = put_requests(&spec, Format::V13, &body, max);
            let (got, _, largest) = reassemble(&packets);
            prop_assert_eq!(got, body);
            prop_assert!(largest <= usize::from(max));
        }
    }
}
