//! WAP push over SMS (7.1: "For devices on cellular networks, connectionless WAP Push is typically
//! delivered over SMS"): the connectionless WSP push PDU of [`super::wsp`] is the user data of one
//! or more SMS TPDUs (3GPP TS 23.040 9.2), 8-bit data coding, with a User Data Header that
//! addresses WDP ports as WAP-259 (WDP over GSM SMS) says: the 16-bit application port
//! addressing element (IEI 0x05) from the WSP port 9200 to the WAP push port 2948, and, when the
//! PDU does not fit one SMS, the concatenation element (IEI 0x00, 8-bit reference, or 0x08,
//! 16-bit reference) in every segment.
//!
//! Two TPDUs are read and written: SMS-DELIVER (what a handset receives, and what a modem's or an
//! emulator's "inject SMS PDU" takes) and SMS-SUBMIT (what a sender hands to an SMSC). Pure
//! functions of bytes, every error at its byte offset with its clause.

use super::error::{DecodeError, Rule};
use std::fmt;

/// WAP-259's port of connectionless WAP push, where a handset's push dispatcher listens.
pub const WAP_PUSH_PORT: u16 = 2948;
/// WAP-259's port of connectionless WSP, the sender's.
pub const WSP_PORT: u16 = 9200;
/// TS 23.040 9.2.3.24: at most 140 octets of user data in one TPDU.
pub const MAX_UD: usize = 140;
/// TP-DCS 0x04: general data coding, 8-bit data, no message class (TS 23.038 4).
pub const DCS_8BIT: u8 = 0x04;
/// Segments reassembled at most: TS 23.040 allows 255; a Package #0 needs a handful.
pub const MAX_SEGMENTS: usize = 255;

/// Information element identifiers of the User Data Header (TS 23.040 9.2.3.24).
pub mod iei {
    pub const CONCAT_8: u8 = 0x00;
    pub const PORTS_8: u8 = 0x04;
    pub const PORTS_16: u8 = 0x05;
    pub const CONCAT_16: u8 = 0x08;
}

pub type Error = DecodeError<ErrorKind>;

/// Rules of the SMS framing, in the order a reader meets them; then WAP-259's routing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    Truncated {
        field: &'static str,
    },
    NotDeliverOrSubmit {
        mti: u8,
    },
    BadAddress {
        reason: String,
    },
    UserDataTooLong {
        length: usize,
    },
    UdhTooLong {
        udhl: usize,
        udl: usize,
    },
    BadElement {
        iei: u8,
        length: usize,
    },
    SevenBitCoding {
        dcs: u8,
    },
    NoPorts,
    WrongPort {
        destination: u16,
    },
    MissingSegment {
        reference: u16,
        missing: Vec<u8>,
        total: u8,
    },
    DuplicateSegment {
        reference: u16,
        seq: u8,
    },
    MixedSegments,
    BadSequence {
        seq: u8,
        total: u8,
    },
}

impl Rule for ErrorKind {
    fn name(&self) -> &'static str {
        match self {
            ErrorKind::Truncated { .. } => "truncated",
            ErrorKind::NotDeliverOrSubmit { .. } => "not-deliver-or-submit",
            ErrorKind::BadAddress { .. } => "bad-address",
            ErrorKind::UserDataTooLong { .. } => "user-data-too-long",
            ErrorKind::UdhTooLong { .. } => "udh-too-long",
            ErrorKind::BadElement { .. } => "bad-element",
            ErrorKind::SevenBitCoding { .. } => "seven-bit-coding",
            ErrorKind::NoPorts => "no-ports",
            ErrorKind::WrongPort { .. } => "wrong-port",
            ErrorKind::MissingSegment { .. } => "missing-segment",
            ErrorKind::DuplicateSegment { .. } => "duplicate-segment",
            ErrorKind::MixedSegments => "mixed-segments",
            ErrorKind::BadSequence { .. } => "bad-sequence",
        }
    }

    fn section(&self) -> &'static str {
        match self {
            ErrorKind::Truncated { .. } | ErrorKind::NotDeliverOrSubmit { .. } => {
                "7.1, TS 23.040 9.2.2"
            }
            ErrorKind::BadAddress { .. } => "7.1, TS 23.040 9.1.2.5",
            ErrorKind::UserDataTooLong { .. } | ErrorKind::UdhTooLong { .. } => {
                "7.1, TS 23.040 9.2.3.24"
            }
            ErrorKind::BadElement { .. } => "7.1, TS 23.040 9.2.3.24",
            ErrorKind::SevenBitCoding { .. } => "7.1, WAP-259 6.5, TS 23.038 4",
            ErrorKind::NoPorts | ErrorKind::WrongPort { .. } => "7.1, WAP-259 6.5",
            ErrorKind::MissingSegment { .. }
            | ErrorKind::DuplicateSegment { .. }
            | ErrorKind::MixedSegments
            | ErrorKind::BadSequence { .. } => "7.1, TS 23.040 9.2.3.24.1",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Truncated { field } => write!(f, "the TPDU ends before its {field}"),
            ErrorKind::NotDeliverOrSubmit { mti } => write!(
                f,
                "TP-MTI {mti:02b} is not SMS-DELIVER (00) or SMS-SUBMIT (01)"
            ),
            ErrorKind::BadAddress { reason } => write!(f, "bad address: {reason}"),
            ErrorKind::UserDataTooLong { length } => write!(
                f,
                "{length} octets of user data, over the {MAX_UD} one TPDU carries"
            ),
            ErrorKind::UdhTooLong { udhl, udl } => write!(
                f,
                "a User Data Header of {udhl} octets in {udl} octets of user data"
            ),
            ErrorKind::BadElement { iei, length } => write!(
                f,
                "information element 0x{iei:02X} of length {length} (not its defined length)"
            ),
            ErrorKind::SevenBitCoding { dcs } => write!(
                f,
                "TP-DCS 0x{dcs:02X} is the GSM 7-bit alphabet; a WAP push is 8-bit data"
            ),
            ErrorKind::NoPorts => write!(
                f,
                "no application port addressing element: a WDP datagram names its ports; {ROUTING}"
            ),
            ErrorKind::WrongPort { destination } => write!(
                f,
                "destination port {destination}, not the WAP push port {WAP_PUSH_PORT}; {ROUTING}"
            ),
            ErrorKind::MissingSegment {
                reference,
                missing,
                total,
            } => write!(
                f,
                "message {reference}: segment(s) {missing:?} of {total} missing"
            ),
            ErrorKind::DuplicateSegment { reference, seq } => {
                write!(f, "message {reference}: segment {seq} twice")
            }
            ErrorKind::MixedSegments => {
                f.write_str("segments of different messages (reference, total or ports differ)")
            }
            ErrorKind::BadSequence { seq, total } => {
                write!(
                    f,
                    "segment {seq} of {total}: sequence numbers run 1 to the total"
                )
            }
        }
    }
}

/// 7.1.1's sentence that a push to another port, or without one, is not for the DM client.
const ROUTING: &str = "\"the device MUST examine if the message has been sent to the default WAP push port (2948) and if the Application-ID and the MIME type are one assigned to the OMA DM Notification Initiation Package.\"";

/// Which TPDU (TS 23.040 9.2.2), by its TP-MTI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// SMS-DELIVER: the SMSC to the handset (TP-OA, TP-SCTS).
    Deliver,
    /// SMS-SUBMIT: a sender to the SMSC (TP-MR, TP-DA).
    Submit,
}

/// A TS 23.040 9.1.2.5 address: type of address and BCD digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Type of number and numbering plan (0x91: international, ISDN; 0x81: unknown, ISDN).
    pub toa: u8,
    pub digits: String,
}

impl Address {
    /// An international (`+` first) or unknown-type number.
    pub fn number(text: &str) -> Address {
        match text.strip_prefix('+') {
            Some(d) => Address {
                toa: 0x91,
                digits: d.to_owned(),
            },
            None => Address {
                toa: 0x81,
                digits: text.to_owned(),
            },
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let digits: Vec<u8> = self
            .digits
            .bytes()
            .map(|b| match b {
                b'0'..=b'9' => b - b'0',
                b'*' => 0xA,
                b'#' => 0xB,
                _ => 0xF,
            })
            .collect();
        out.push(u8::try_from(digits.len()).unwrap_or(u8::MAX));
        out.push(self.toa);
        for pair in digits.chunks(2) {
            let low = pair[0];
            let high = pair.get(1).copied().unwrap_or(0xF);
            out.push(low | (high << 4));
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.toa & 0x70 == 0x10 {
            f.write_str("+")?;
        }
        f.write_str(&self.digits)
    }
}

/// A User Data Header element as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Element {
    Ports { destination: u16, source: u16 },
    Concat { reference: u16, total: u8, seq: u8 },
    Other { iei: u8, data: Vec<u8> },
}

/// One TPDU as read, with the offsets a reader needs to point at its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tpdu {
    pub direction: Direction,
    pub first_octet: u8,
    pub udhi: bool,
    /// TP-OA (deliver) or TP-DA (submit), and its offset.
    pub address: Address,
    pub address_offset: usize,
    pub pid: u8,
    pub dcs: u8,
    pub dcs_offset: usize,
    /// TP-UDL as sent.
    pub udl: usize,
    pub elements: Vec<Element>,
    /// Each element's offset (its IEI), beside `elements`.
    pub element_offsets: Vec<usize>,
    /// Offset of TP-UD, and of the user data past the header.
    pub ud_offset: usize,
    pub data_offset: usize,
    pub data: Vec<u8>,
}

impl Tpdu {
    pub fn ports(&self) -> Option<(u16, u16)> {
        self.elements.iter().find_map(|e| match e {
            Element::Ports {
                destination,
                source,
            } => Some((*destination, *source)),
            _ => None,
        })
    }

    pub fn concat(&self) -> Option<(u16, u8, u8)> {
        self.elements.iter().find_map(|e| match e {
            Element::Concat {
                reference,
                total,
                seq,
            } => Some((*reference, *total, *seq)),
            _ => None,
        })
    }

    /// Whether TP-DCS says 8-bit data (TS 23.038 4: general coding or data coding/class group).
    pub fn eight_bit(&self) -> bool {
        eight_bit(self.dcs)
    }
}

fn eight_bit(dcs: u8) -> bool {
    match dcs >> 4 {
        0x0..=0x3 => (dcs >> 2) & 0x3 == 1,
        0xF => dcs & 0x04 != 0,
        _ => false,
    }
}

fn err(offset: usize, kind: ErrorKind) -> Error {
    Error::new(offset, kind)
}

/// Reads one TPDU; `direction` when the reader knows it (a handset reads DELIVERs), else by
/// TP-MTI.
pub fn decode(bytes: &[u8], direction: Option<Direction>) -> Result<Tpdu, Error> {
    let byte = |at: usize, field: &'static str| {
        bytes
            .get(at)
            .copied()
            .ok_or(err(at.min(bytes.len()), ErrorKind::Truncated { field }))
    };
    let first = byte(0, "first octet")?;
    let direction = match (direction, first & 0x03) {
        (Some(d), _) => d,
        (None, 0) => Direction::Deliver,
        (None, 1) => Direction::Submit,
        (None, mti) => return Err(err(0, ErrorKind::NotDeliverOrSubmit { mti })),
    };
    let mut at = 1;
    if direction == Direction::Submit {
        byte(at, "TP-MR")?;
        at += 1;
    }
    let address_offset = at;
    let digits = usize::from(byte(at, "address length")?);
    let toa = byte(at + 1, "type of address")?;
    let octets = digits.div_ceil(2);
    let raw = bytes.get(at + 2..at + 2 + octets).ok_or(err(
        at,
        ErrorKind::Truncated {
            field: "address digits",
        },
    ))?;
    let address = if toa & 0x70 == 0x50 {
        // Alphanumeric (TS 23.038 GSM 7-bit): kept as hex, it is a name, not a number.
        Address {
            toa,
            digits: super::hex(raw),
        }
    } else {
        let mut d = String::new();
        for (i, b) in raw.iter().enumerate() {
            for nibble in [b & 0xF, b >> 4] {
                if d.len() == digits {
                    break;
                }
                d.push(match nibble {
                    0..=9 => char::from(b'0' + nibble),
                    0xA => '*',
                    0xB => '#',
                    0xF => break,
                    _ => {
                        return Err(err(
                            at + 2 + i,
                            ErrorKind::BadAddress {
                                reason: format!("nibble 0x{nibble:X} is no digit"),
                            },
                        ));
                    }
                });
            }
        }
        Address { toa, digits: d }
    };
    at += 2 + octets;
    let pid = byte(at, "TP-PID")?;
    let dcs = byte(at + 1, "TP-DCS")?;
    let dcs_offset = at + 1;
    at += 2;
    match direction {
        Direction::Deliver => {
            bytes
                .get(at..at + 7)
                .ok_or(err(at, ErrorKind::Truncated { field: "TP-SCTS" }))?;
            at += 7;
        }
        Direction::Submit => {
            at += match (first >> 3) & 0x3 {
                0 => 0,
                2 => 1,
                _ => 7,
            };
        }
    }
    let udl = usize::from(byte(at, "TP-UDL")?);
    at += 1;
    let ud_offset = at;
    let eight = eight_bit(dcs);
    // TP-UDL counts septets in the 7-bit alphabet, octets otherwise.
    let ud_octets = if eight { udl } else { (udl * 7).div_ceil(8) };
    if ud_octets > MAX_UD {
        return Err(err(
            at - 1,
            ErrorKind::UserDataTooLong { length: ud_octets },
        ));
    }
    let ud = bytes
        .get(at..at + ud_octets)
        .ok_or(err(at, ErrorKind::Truncated { field: "TP-UD" }))?;
    let udhi = first & 0x40 != 0;
    let mut elements = Vec::new();
    let mut element_offsets = Vec::new();
    let mut data_start = 0;
    if udhi {
        let udhl = usize::from(
            *ud.first()
                .ok_or(err(at, ErrorKind::Truncated { field: "UDHL" }))?,
        );
        if udhl + 1 > ud.len() {
            return Err(err(
                at,
                ErrorKind::UdhTooLong {
                    udhl,
                    udl: ud.len(),
                },
            ));
        }
        let mut i = 1;
        while i < udhl + 1 {
            let iei = ud[i];
            let len = usize::from(*ud.get(i + 1).ok_or(err(
                at + i,
                ErrorKind::Truncated {
                    field: "element length",
                },
            ))?);
            let data = ud
                .get(i + 2..i + 2 + len)
                .filter(|_| i + 2 + len <= udhl + 1)
                .ok_or(err(
                    at + i,
                    ErrorKind::Truncated {
                        field: "element data",
                    },
                ))?;
            let bad = || err(at + i, ErrorKind::BadElement { iei, length: len });
            element_offsets.push(at + i);
            elements.push(match iei {
                iei::PORTS_16 => {
                    if len != 4 {
                        return Err(bad());
                    }
                    Element::Ports {
                        destination: u16::from_be_bytes([data[0], data[1]]),
                        source: u16::from_be_bytes([data[2], data[3]]),
                    }
                }
                iei::PORTS_8 => {
                    if len != 2 {
                        return Err(bad());
                    }
                    Element::Ports {
                        destination: u16::from(data[0]),
                        source: u16::from(data[1]),
                    }
                }
                iei::CONCAT_8 => {
                    if len != 3 {
                        return Err(bad());
                    }
                    Element::Concat {
                        reference: u16::from(data[0]),
                        total: data[1],
                        seq: data[2],
                    }
                }
                iei::CONCAT_16 => {
                    if len != 4 {
                        return Err(bad());
                    }
                    Element::Concat {
                        reference: u16::from_be_bytes([data[0], data[1]]),
                        total: data[2],
                        seq: data[3],
                    }
                }
                other => Element::Other {
                    iei: other,
                    data: data.to_vec(),
                },
            });
            i += 2 + len;
        }
        data_start = udhl + 1;
    }
    Ok(Tpdu {
        direction,
        first_octet: first,
        udhi,
        address,
        address_offset,
        pid,
        dcs,
        dcs_offset,
        udl,
        elements,
        element_offsets,
        ud_offset,
        data_offset: ud_offset + data_start,
        data: ud[data_start..].to_vec(),
    })
}

/// How the TPDUs of one push are built. The defaults are WAP-259's; the overrides build the wrong
/// ones on purpose.
#[derive(Debug, Clone)]
pub struct SmsSpec {
    pub direction: Direction,
    /// TP-OA (deliver) or TP-DA (submit).
    pub address: Address,
    pub destination_port: u16,
    pub source_port: u16,
    /// No port addressing element at all.
    pub no_ports: bool,
    pub dcs: u8,
    /// The concatenation reference; 16-bit when over 255 or when `reference_16`.
    pub reference: u16,
    pub reference_16: bool,
    /// TP-SCTS of a DELIVER, as its seven semi-octet bytes.
    pub timestamp: [u8; 7],
    /// TP-MR of a SUBMIT.
    pub message_reference: u8,
}

impl SmsSpec {
    pub fn new(direction: Direction) -> SmsSpec {
        SmsSpec {
            direction,
            address: Address::number("+15550100"),
            destination_port: WAP_PUSH_PORT,
            source_port: WSP_PORT,
            no_ports: false,
            dcs: DCS_8BIT,
            reference: 1,
            reference_16: false,
            // 2026-11-24 12:00:00 +00, as TS 23.040 9.2.3.11 writes it (swapped semi-octets).
            timestamp: [0x62, 0x11, 0x42, 0x21, 0x00, 0x00, 0x00],
            message_reference: 0,
        }
    }
}

/// The TPDUs that carry `payload` (a WSP push PDU): one when it fits, else concatenated segments,
/// each with the port element and the concatenation element.
pub fn encode(spec: &SmsSpec, payload: &[u8]) -> Vec<Vec<u8>> {
    let ports = (!spec.no_ports).then(|| {
        let mut e = vec![iei::PORTS_16, 4];
        e.extend_from_slice(&spec.destination_port.to_be_bytes());
        e.extend_from_slice(&spec.source_port.to_be_bytes());
        e
    });
    let ports_len = ports.as_ref().map_or(0, Vec::len);
    let single_room = MAX_UD - if ports_len > 0 { 1 + ports_len } else { 0 };
    let wide = spec.reference_16 || spec.reference > 255;
    let concat_len = if wide { 6 } else { 5 };
    let chunks: Vec<&[u8]> = if payload.len() <= single_room {
        vec![payload]
    } else {
        payload
            .chunks(MAX_UD - 1 - ports_len - concat_len)
            .collect()
    };
    let total = u8::try_from(chunks.len()).unwrap_or(u8::MAX);
    chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let mut udh = Vec::new();
            if chunks.len() > 1 {
                let seq = u8::try_from(i + 1).unwrap_or(u8::MAX);
                if wide {
                    udh.extend_from_slice(&[iei::CONCAT_16, 4]);
                    udh.extend_from_slice(&spec.reference.to_be_bytes());
                } else {
                    udh.extend_from_slice(&[iei::CONCAT_8, 3, spec.reference as u8]);
                }
                udh.extend_from_slice(&[total, seq]);
            }
            if let Some(p) = &ports {
                udh.extend_from_slice(p);
            }
            tpdu(spec, &udh, chunk)
        })
        .collect()
}

/// One TPDU with this header (empty: no UDHI) and data.
fn tpdu(spec: &SmsSpec, udh: &[u8], data: &[u8]) -> Vec<u8> {
    let udhi = if udh.is_empty() { 0 } else { 0x40 };
    let mut out = Vec::new();
    match spec.direction {
        // SMS-DELIVER, TP-MMS set (no more messages waiting).
        Direction::Deliver => out.push(0x04 | udhi),
        // SMS-SUBMIT, no validity period.
        Direction::Submit => {
            out.push(0x01 | udhi);
            out.push(spec.message_reference);
        }
    }
    spec.address.encode(&mut out);
    out.push(0x00);
    out.push(spec.dcs);
    if spec.direction == Direction::Deliver {
        out.extend_from_slice(&spec.timestamp);
    }
    let mut ud = Vec::new();
    if !udh.is_empty() {
        ud.push(u8::try_from(udh.len()).unwrap_or(u8::MAX));
        ud.extend_from_slice(udh);
    }
    ud.extend_from_slice(data);
    // In the 7-bit alphabet TP-UDL counts septets: what a receiver of a wrongly coded push reads.
    let udl = if eight_bit(spec.dcs) {
        ud.len()
    } else {
        ud.len() * 8 / 7
    };
    out.push(u8::try_from(udl).unwrap_or(u8::MAX));
    out.extend_from_slice(&ud);
    out
}

/// The TPDU that carries `user_data` (its User Data Header included when `udhi`), as an SMSC
/// turns the fields of an SMPP `submit_sm` or `deliver_sm` (esm_class, data_coding,
/// short_message) into the SMS it sends, so that one reader judges both.
pub fn tpdu_of(
    direction: Direction,
    address: &str,
    dcs: u8,
    udhi: bool,
    user_data: &[u8],
) -> Vec<u8> {
    let mut spec = SmsSpec::new(direction);
    spec.address = Address::number(address);
    spec.dcs = dcs;
    let (udh, data) = match (udhi, user_data.split_first()) {
        (true, Some((&udhl, rest))) if usize::from(udhl) <= rest.len() => {
            rest.split_at(usize::from(udhl))
        }
        _ => (&[][..], user_data),
    };
    let mut out = tpdu(&spec, udh, data);
    if udhi && udh.is_empty() {
        // The flag without a header: kept as sent, for the reader to judge.
        out[0] |= 0x40;
    }
    out
}

/// The user data (header and data) of each TPDU, as SMPP's short_message carries it, with
/// whether it has a header (esm_class UDHI) and its TP-DCS.
pub fn user_data(tpdus: &[Vec<u8>]) -> Vec<(bool, u8, Vec<u8>)> {
    tpdus
        .iter()
        .filter_map(|t| {
            let read = decode(t, None).ok()?;
            Some((read.udhi, read.dcs, t.get(read.ud_offset..)?.to_vec()))
        })
        .collect()
}

/// A WDP datagram reassembled from its TPDUs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    pub ports: Option<(u16, u16)>,
    pub payload: Vec<u8>,
    pub segments: usize,
    pub dcs: u8,
}

/// Reassembles one message from its TPDUs, in any order (TS 23.040 9.2.3.24.1): every segment
/// once, of one reference, total and ports. `index_offsets` give each TPDU's offset in the input,
/// for errors.
pub fn reassemble(tpdus: &[Tpdu]) -> Result<Datagram, Error> {
    let Some(first) = tpdus.first() else {
        return Err(err(
            0,
            ErrorKind::Truncated {
                field: "first TPDU",
            },
        ));
    };
    if tpdus.len() == 1 && first.concat().is_none() {
        return Ok(Datagram {
            ports: first.ports(),
            payload: first.data.clone(),
            segments: 1,
            dcs: first.dcs,
        });
    }
    let (reference, total, _) = first
        .concat()
        .ok_or(err(first.ud_offset, ErrorKind::MixedSegments))?;
    let mut parts: Vec<Option<&Tpdu>> = vec![None; usize::from(total)];
    for t in tpdus {
        let Some((r, n, seq)) = t.concat() else {
            return Err(err(t.ud_offset, ErrorKind::MixedSegments));
        };
        if r != reference || n != total || t.ports() != first.ports() {
            return Err(err(t.ud_offset, ErrorKind::MixedSegments));
        }
        if seq == 0 || seq > total {
            return Err(err(t.ud_offset, ErrorKind::BadSequence { seq, total }));
        }
        let slot = &mut parts[usize::from(seq - 1)];
        if slot.is_some() {
            return Err(err(
                t.ud_offset,
                ErrorKind::DuplicateSegment { reference, seq },
            ));
        }
        *slot = Some(t);
    }
    let missing: Vec<u8> = parts
        .iter()
        .enumerate()
        .filter(|(_, p)| p.is_none())
        .map(|(i, _)| u8::try_from(i + 1).unwrap_or(u8::MAX))
        .collect();
    if !missing.is_empty() {
        return Err(err(
            0,
            ErrorKind::MissingSegment {
                reference,
                missing,
                total,
            },
        ));
    }
    Ok(Datagram {
        ports: first.ports(),
        payload: parts
            .iter()
            .flatten()
            .flat_map(|t| t.data.iter().copied())
            .collect(),
        segments: tpdus.len(),
        dcs: first.dcs,
    })
}

/// WAP-259's routing of a reassembled datagram to the push dispatcher: 8-bit data, to port 2948.
pub fn route(d: &Datagram) -> Result<(), Error> {
    if !eight_bit(d.dcs) {
        return Err(err(0, ErrorKind::SevenBitCoding { dcs: d.dcs }));
    }
    match d.ports {
        None => Err(err(0, ErrorKind::NoPorts)),
        Some((WAP_PUSH_PORT, _)) => Ok(()),
        Some((destination, _)) => Err(err(0, ErrorKind::WrongPort { destination })),
    }
}

/// Reads and reassembles the TPDUs of one push; the WSP push PDU they carry.
pub fn decode_push(tpdus: &[&[u8]], direction: Option<Direction>) -> Result<Datagram, Error> {
    let read: Vec<Tpdu> = tpdus
        .iter()
        .map(|b| decode(b, direction))
        .collect::<Result<_, _>>()?;
    let d = reassemble(&read)?;
    route(&d)?;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    /// An SMS-DELIVER written out byte by byte from TS 23.040 9.2.2.1 and WAP-259, not made by
    /// our encoder: from +15550100, 8-bit data, ports 9200 -> 2948, user data "ab".
    const DELIVER: &[u8] = &[
        0x44, // TP-MTI deliver, TP-MMS, TP-UDHI
        0x08, 0x91, 0x51, 0x55, 0x10, 0x00, // TP-OA: 8 digits, international, 15550100
        0x00, // TP-PID
        0x04, // TP-DCS 8-bit
        0x62, 0x11, 0x42, 0x21, 0x00, 0x00, 0x00, // TP-SCTS
        0x09, // TP-UDL: 7 octets of header, 2 of data
        0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, // UDHL, IEI 05, ports 2948 <- 9200
        0x61, 0x62,
    ];

    #[test]
    fn a_deliver_written_by_hand_reads_and_builds_back() {
        let t = decode(DELIVER, None).unwrap();
        assert_eq!(t.direction, Direction::Deliver);
        assert_eq!(t.address.to_string(), "+15550100");
        assert_eq!(t.ports(), Some((2948, 9200)));
        assert_eq!(t.data, b"ab");
        assert_eq!(t.data_offset, 24);
        let built = encode(&SmsSpec::new(Direction::Deliver), b"ab");
        assert_eq!(built, [DELIVER.to_vec()]);
    }

    #[test]
    fn user_data_round_trips_through_smpp_fields() {
        let payload: Vec<u8> = (0..=255u8).cycle().take(300).collect();
        let tpdus = encode(&SmsSpec::new(Direction::Submit), &payload);
        let rebuilt: Vec<Vec<u8>> = user_data(&tpdus)
            .into_iter()
            .map(|(udhi, dcs, ud)| tpdu_of(Direction::Deliver, "+15550100", dcs, udhi, &ud))
            .collect();
        let refs: Vec<&[u8]> = rebuilt.iter().map(Vec::as_slice).collect();
        assert_eq!(decode_push(&refs, None).unwrap().payload, payload);
    }

    #[test]
    fn a_long_push_is_segmented_and_reassembled_in_any_order() {
        let payload: Vec<u8> = (0..=255u8).cycle().take(400).collect();
        for wide in [false, true] {
            let mut spec = SmsSpec::new(Direction::Submit);
            spec.reference = if wide { 0x1234 } else { 7 };
            let segs = encode(&spec, &payload);
            assert_eq!(segs.len(), 4);
            for s in &segs {
                let t = decode(s, None).unwrap();
                assert!(t.udl <= MAX_UD);
                assert_eq!(t.ports(), Some((2948, 9200)));
            }
            let mut read: Vec<Tpdu> = segs.iter().map(|s| decode(s, None).unwrap()).collect();
            read.reverse();
            let d = reassemble(&read).unwrap();
            assert_eq!(d.payload, payload);
            assert!(route(&d).is_ok());
        }
    }

    #[rstest]
    #[case("missing", "missing-segment")]
    #[case("duplicate", "duplicate-segment")]
    #[case("wrong-port", "wrong-port")]
    #[case("7-bit", "seven-bit-coding")]
    #[case("no-ports", "no-ports")]
    fn wrong_on_purpose_is_named(#[case] what: &str, #[case] rule: &str) {
        let payload = vec![0x5A; 300];
        let mut spec = SmsSpec::new(Direction::Deliver);
        match what {
            "wrong-port" => spec.destination_port = 2949,
            "7-bit" => spec.dcs = 0x00,
            "no-ports" => spec.no_ports = true,
            _ => {}
        }
        let mut segs = encode(&spec, &payload);
        match what {
            "missing" => {
                segs.remove(1);
            }
            "duplicate" => {
                let again = segs[0].clone();
                segs.push(again);
            }
            _ => {}
        }
        let refs: Vec<&[u8]> = segs.iter().map(Vec::as_slice).collect();
        let e = decode_push(&refs, None).unwrap_err();
        assert_eq!(e.kind.name(), rule, "{e}");
    }

    #[rstest]
    #[case(&DELIVER[..1], "truncated")]
    #[case(&[0x03][..], "not-deliver-or-submit")]
    #[case(&DELIVER[..20], "truncated")]
    fn malformed_tpdus_name_rule(#[case] bytes: &[u8], #[case] rule: &str) {
        assert_eq!(decode(bytes, None).unwrap_err().kind.name(), rule);
    }

    proptest! {
        #[test]
        fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(t) = decode(&bytes, None) {
                prop_assert!(t.data_offset <= bytes.len());
            }
        }

        #[test]
        fn any_push_round_trips(payload in proptest::collection::vec(any::<u8>(), 0..2000), reference in any::<u16>(), deliver in any::<bool>()) {
            let mut spec = SmsSpec::new(if deliver { Direction::Deliver } else { Direction::Submit });
            spec.reference = reference;
            let segs = encode(&spec, &payload);
            let refs: Vec<&[u8]> = segs.iter().map(Vec::as_slice).collect();
            let d = decode_push(&refs, None).unwrap();
            prop_assert_eq!(d.payload, payload);
        }
    }
}
