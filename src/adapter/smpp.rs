//! SMPP 3.4 over TCP, for WAP push over SMS (7.1): the harness's SMSC, which ESMEs bind to
//! (a DM server under test submits its pushes there; the reference client binds as a receiver
//! and takes `deliver_sm`), and an ESME that binds to an SMSC (the harness's own or a lab's) and
//! submits each segment of a push as `submit_sm`: esm_class with UDHI, data_coding 8-bit, the
//! short message the TPDU's user data (its header included).
//!
//! The PDUs are `rusmpp`'s (a maintained SMPP codec; its SMPP 5.0 PDUs are 3.4's for everything
//! used here, and `interface_version` says 3.4); this module frames them on blocking sockets,
//! bounds every read (a PDU is at most [`MAX_PDU`]) and gives every wait a deadline. It moves
//! bytes and records what came; judging the SMS framing is [`crate::codec::sms`]'s.

use super::capture::Capture;
use bytes::BytesMut;
use rusmpp::decode::DecodeWithLength;
use rusmpp::encode::{Encode, Length};
use rusmpp::pdus::{
    BindReceiver, BindReceiverResp, BindTransceiverResp, BindTransmitter, BindTransmitterResp,
    DeliverSm, DeliverSmResp, SubmitSm, SubmitSmResp,
};
use rusmpp::tlvs::{MessageDeliveryRequestTlvValue, MessageSubmissionRequestTlvValue, TlvValue};
use rusmpp::types::{AnyOctetString, COctetString, OctetString};
use rusmpp::values::MessagePayload;
use rusmpp::values::{DataCoding, EsmClass, InterfaceVersion, Npi, Ton};
use rusmpp::{Command, CommandStatus, Pdu};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// esm_class with UDHI set (SMPP 3.4 5.2.12): the short message begins with a User Data Header.
pub const ESM_UDHI: u8 = 0x40;
/// command_status ESME_ROK.
pub const OK: CommandStatus = CommandStatus::EsmeRok;

/// The largest PDU read: a submit_sm is at most a few hundred bytes.
pub const MAX_PDU: usize = 64 * 1024;
/// How long one read waits before a thread looks at its stop flag.
const POLL: Duration = Duration::from_millis(50);

/// What went wrong on an SMPP link.
#[derive(Debug, thiserror::Error)]
pub enum SmppError {
    #[error("{what} {peer}: {source}")]
    Io {
        what: &'static str,
        peer: String,
        source: std::io::Error,
    },
    #[error("{peer} sent a PDU of {length} bytes (at most {MAX_PDU}, at least 16)")]
    Length { peer: String, length: usize },
    #[error("{peer} sent a PDU that is not SMPP: {why}")]
    NotSmpp { peer: String, why: String },
    #[error("{peer} answered {what} with command_status {status:?}")]
    Refused {
        peer: String,
        what: &'static str,
        status: CommandStatus,
    },
    #[error("no answer from {peer} to {what} within {}", crate::runner::seconds(*timeout))]
    Deadline {
        peer: String,
        what: &'static str,
        timeout: Duration,
    },
    #[error("{peer} closed the connection")]
    Closed { peer: String },
    #[error("{0} does not fit its SMPP field")]
    Field(&'static str),
}

/// One PDU on the wire: its 4-byte command_length, then the command.
pub fn frame(command: &Command) -> Vec<u8> {
    let length = 4 + command.length();
    let mut out = vec![0u8; length];
    out[..4].copy_from_slice(&(length as u32).to_be_bytes());
    command.encode(&mut out[4..]);
    out
}

/// Takes one PDU off the front of `buf`, if a whole one is there.
pub fn unframe(buf: &mut Vec<u8>, peer: &str) -> Result<Option<Command>, SmppError> {
    let Some(len) = buf.get(..4) else {
        return Ok(None);
    };
    let length = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
    if !(16..=MAX_PDU).contains(&length) {
        return Err(SmppError::Length {
            peer: peer.to_owned(),
            length,
        });
    }
    if buf.len() < length {
        return Ok(None);
    }
    let mut body = BytesMut::from(&buf[4..length]);
    let decoded = Command::decode(&mut body, length - 4);
    buf.drain(..length);
    decoded
        .map(|(c, _)| Some(c))
        .map_err(|e| SmppError::NotSmpp {
            peer: peer.to_owned(),
            why: e.to_string(),
        })
}

fn c_octets<const MIN: usize, const MAX: usize>(
    text: &str,
    field: &'static str,
) -> Result<COctetString<MIN, MAX>, SmppError> {
    text.parse().map_err(|_| SmppError::Field(field))
}

/// A number as SMPP addresses it: international when it starts with `+` (TON 1, ISDN).
fn address(number: &str) -> (Ton, Npi, &str) {
    match number.strip_prefix('+') {
        Some(digits) => (Ton::International, Npi::Isdn, digits),
        None => (Ton::Unknown, Npi::Isdn, number),
    }
}

/// One segment of a push: the SMS user data with the fields SMPP carries beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub source: String,
    pub destination: String,
    /// esm_class: 0x40 (UDHI) when `user_data` begins with a User Data Header.
    pub esm_class: u8,
    /// data_coding: 0x04 for 8-bit data.
    pub data_coding: u8,
    pub user_data: Vec<u8>,
}

impl Segment {
    /// Whether the user data goes in the message_payload TLV (SMPP 3.4 5.3.2.32): longer than one
    /// SMS, for the SMSC to segment (short_message then always holds one SMS's worth).
    fn in_payload(&self) -> bool {
        self.user_data.len() > crate::codec::sms::MAX_UD
    }

    fn submit(&self) -> Result<SubmitSm, SmppError> {
        let (sto, snp, src) = address(&self.source);
        let (dto, dnp, dst) = address(&self.destination);
        let (short, payload) = if self.in_payload() {
            (Vec::new(), Some(self.user_data.clone()))
        } else {
            (self.user_data.clone(), None)
        };
        let mut pdu = SubmitSm::builder()
            .source_addr_ton(sto)
            .source_addr_npi(snp)
            .source_addr(c_octets(src, "source_addr")?)
            .dest_addr_ton(dto)
            .dest_addr_npi(dnp)
            .destination_addr(c_octets(dst, "destination_addr")?)
            .esm_class(EsmClass::from(self.esm_class))
            .data_coding(DataCoding::from(self.data_coding))
            .short_message(
                OctetString::from_vec(short).map_err(|_| SmppError::Field("short_message"))?,
            )
            .build();
        if let Some(p) = payload {
            pdu.push_tlv(MessageSubmissionRequestTlvValue::MessagePayload(
                MessagePayload::new(AnyOctetString::from_vec(p)),
            ));
        }
        Ok(pdu)
    }

    fn deliver(&self) -> Result<DeliverSm, SmppError> {
        let (sto, snp, src) = address(&self.source);
        let (dto, dnp, dst) = address(&self.destination);
        let pdu = DeliverSm::builder()
            .source_addr_ton(sto)
            .source_addr_npi(snp)
            .source_addr(c_octets(src, "source_addr")?)
            .dest_addr_ton(dto)
            .dest_addr_npi(dnp)
            .destination_addr(c_octets(dst, "destination_addr")?)
            .esm_class(EsmClass::from(self.esm_class))
            .data_coding(DataCoding::from(self.data_coding))
            .short_message(
                OctetString::from_vec(if self.in_payload() {
                    Vec::new()
                } else {
                    self.user_data.clone()
                })
                .map_err(|_| SmppError::Field("short_message"))?,
            )
            .build();
        let mut pdu = pdu;
        if self.in_payload() {
            pdu.push_tlv(MessageDeliveryRequestTlvValue::MessagePayload(
                MessagePayload::new(AnyOctetString::from_vec(self.user_data.clone())),
            ));
        }
        Ok(pdu)
    }

    fn number(ton: Ton, digits: &str) -> String {
        if ton == Ton::International {
            format!("+{digits}")
        } else {
            digits.to_owned()
        }
    }

    fn of_submit(s: &SubmitSm) -> Segment {
        Segment {
            source: Segment::number(s.source_addr_ton, s.source_addr.as_str()),
            destination: Segment::number(s.dest_addr_ton, s.destination_addr.as_str()),
            esm_class: u8::from(s.esm_class),
            data_coding: u8::from(s.data_coding),
            user_data: with_payload(s.short_message().as_ref(), s.tlvs()),
        }
    }

    fn of_deliver(d: &DeliverSm) -> Segment {
        Segment {
            source: Segment::number(d.source_addr_ton, d.source_addr.as_str()),
            destination: Segment::number(d.dest_addr_ton, d.destination_addr.as_str()),
            esm_class: u8::from(d.esm_class),
            data_coding: u8::from(d.data_coding),
            user_data: with_payload(d.short_message().as_ref(), d.tlvs()),
        }
    }
}

/// The user data: short_message, or the message_payload TLV when short_message is empty.
fn with_payload(short: &[u8], tlvs: &[rusmpp::tlvs::Tlv]) -> Vec<u8> {
    if !short.is_empty() {
        return short.to_vec();
    }
    tlvs.iter()
        .find_map(|t| match t.value() {
            Some(TlvValue::MessagePayload(p)) => Some(p.value.as_ref().to_vec()),
            _ => None,
        })
        .unwrap_or_default()
}

/// What an SMSC does with a message longer than one SMS: the SMS segments it sends, each with
/// the message's port element and a concatenation element (TS 23.040 9.2.3.24.1).
pub fn into_sms_segments(segment: Segment, reference: u16) -> Vec<Segment> {
    use crate::codec::sms;
    if segment.user_data.len() <= sms::MAX_UD {
        return vec![segment];
    }
    let udhi = segment.esm_class & ESM_UDHI != 0;
    // The header's ports carry over; the data is cut anew.
    let (ports, data) = match segment.user_data.split_first() {
        Some((&udhl, rest)) if udhi && usize::from(udhl) <= rest.len() => {
            let (udh, data) = rest.split_at(usize::from(udhl));
            let mut ports = None;
            let mut i = 0;
            while i + 1 < udh.len() {
                let (iei, len) = (udh[i], usize::from(udh[i + 1]));
                if iei == 0x05 && len == 4 && i + 6 <= udh.len() {
                    ports = Some((
                        u16::from_be_bytes([udh[i + 2], udh[i + 3]]),
                        u16::from_be_bytes([udh[i + 4], udh[i + 5]]),
                    ));
                }
                i += 2 + len;
            }
            (ports, data)
        }
        _ => (None, segment.user_data.as_slice()),
    };
    let mut spec = sms::SmsSpec::new(sms::Direction::Submit);
    spec.address = sms::Address::number(&segment.destination);
    spec.dcs = segment.data_coding;
    spec.reference = reference;
    match ports {
        Some((d, s)) => {
            spec.destination_port = d;
            spec.source_port = s;
        }
        None => spec.no_ports = true,
    }
    sms::user_data(&sms::encode(&spec, data))
        .into_iter()
        .map(|(udhi, dcs, ud)| Segment {
            esm_class: if udhi {
                segment.esm_class | ESM_UDHI
            } else {
                segment.esm_class
            },
            data_coding: dcs,
            user_data: ud,
            ..segment.clone()
        })
        .collect()
}

/// A `submit_sm` that reached the harness's SMSC, and who bound to submit it.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub system_id: String,
    pub segment: Segment,
}

#[derive(Default)]
struct Routes {
    /// Bound receivers, by session: where deliver_sm goes (never back to the session that
    /// submitted it: a transceiver is not its own handset).
    receivers: Vec<(u64, Sender<Segment>)>,
}

/// The harness's SMSC: binds (with the credentials when some are set), submit_sm recorded and
/// routed to every bound receiver as deliver_sm, enquire_link and unbind answered.
pub struct Smsc {
    pub addr: SocketAddr,
    submitted: Mutex<Receiver<Submitted>>,
    routes: Arc<Mutex<Routes>>,
    /// Sessions that ended as SMPP ends them: unbind, answered unbind_resp.
    unbinds: Arc<std::sync::atomic::AtomicUsize>,
    _service: super::TcpService,
}

#[derive(Clone)]
struct SmscShared {
    routes: Arc<Mutex<Routes>>,
    submitted: Sender<Submitted>,
    credentials: Option<(String, String)>,
    capture: Option<Capture>,
    local: SocketAddr,
    next_message: Arc<AtomicU32>,
    unbinds: Arc<std::sync::atomic::AtomicUsize>,
}

/// How a bound session may use the SMSC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    Transmitter,
    Receiver,
    Transceiver,
}

impl SmscShared {
    fn serve(&self, mut stream: TcpStream, stop: &AtomicBool) {
        let Ok(peer) = stream.peer_addr() else { return };
        let name = peer.to_string();
        let _ = stream.set_read_timeout(Some(POLL));
        let _ = stream.set_nodelay(true);
        let Ok(writer) = stream.try_clone() else {
            return;
        };
        let writer = Arc::new(Mutex::new(writer));
        let write = |out: &[u8]| -> bool {
            if let Some(c) = &self.capture {
                c.tcp(self.local, peer, out);
            }
            writer.lock().is_ok_and(|mut w| w.write_all(out).is_ok())
        };
        // Deliveries for a bound receiver go out as they come, from a thread of their own.
        let (tx, rx) = mpsc::channel::<Segment>();
        let done = Arc::new(AtomicBool::new(false));
        let deliverer = {
            let (writer, done, capture, local) = (
                Arc::clone(&writer),
                Arc::clone(&done),
                self.capture.clone(),
                self.local,
            );
            std::thread::spawn(move || {
                let mut sequence = 0x4000_0000u32;
                while !done.load(Ordering::SeqCst) {
                    let seg = match rx.recv_timeout(POLL) {
                        Ok(seg) => seg,
                        Err(mpsc::RecvTimeoutError::Timeout) => continue,
                        // The session ended: its routes are gone.
                        Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    };
                    let Ok(d) = seg.deliver() else { continue };
                    sequence += 1;
                    let out = frame(&Command::new(CommandStatus::EsmeRok, sequence, d));
                    if let Some(c) = &capture {
                        c.tcp(local, peer, &out);
                    }
                    if !writer.lock().is_ok_and(|mut w| w.write_all(&out).is_ok()) {
                        return;
                    }
                }
            })
        };
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let mut bound: Option<(Bound, String)> = None;
        let session = self.next_message.fetch_add(1, Ordering::SeqCst).into();
        'session: while !stop.load(Ordering::SeqCst) {
            match stream.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    // The SMSC records both directions of every session.
                    if let Some(c) = &self.capture {
                        c.tcp(peer, self.local, &chunk[..n]);
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                Err(e) if super::timed_out(&e) => continue,
                Err(_) => break,
            }
            loop {
                let sequence = buf
                    .get(12..16)
                    .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                let command = match unframe(&mut buf, &name) {
                    Ok(Some(c)) => c,
                    Ok(None) => break,
                    // A PDU that cannot be read: generic_nack (SMPP 3.4 4.3), then the session
                    // ends, since the stream cannot be resynchronised.
                    Err(e) => {
                        let status = match e {
                            SmppError::Length { .. } => CommandStatus::EsmeRinvcmdlen,
                            _ => CommandStatus::EsmeRinvcmdid,
                        };
                        let _ = write(&frame(&Command::new(status, sequence, Pdu::GenericNack)));
                        break 'session;
                    }
                };
                let (answer, close) = self.answer(session, &command, &mut bound, &tx);
                if let Some(answer) = answer
                    && !write(&frame(&answer))
                {
                    break 'session;
                }
                if close {
                    break 'session;
                }
            }
        }
        done.store(true, Ordering::SeqCst);
        // Its deliverer returns as soon as no route can reach it.
        if let Ok(mut r) = self.routes.lock() {
            r.receivers.retain(|(from, _)| *from != session);
        }
        drop(tx);
        let _ = deliverer.join();
    }

    /// A bind that `status` accepts: the session is bound so, and takes deliveries unless it
    /// only transmits.
    fn bind(
        &self,
        session: u64,
        status: CommandStatus,
        how: Bound,
        system_id: &str,
        bound: &mut Option<(Bound, String)>,
        tx: &Sender<Segment>,
    ) {
        if status != CommandStatus::EsmeRok {
            return;
        }
        *bound = Some((how, system_id.to_owned()));
        if how != Bound::Transmitter
            && let Ok(mut r) = self.routes.lock()
        {
            r.receivers.push((session, tx.clone()));
        }
    }

    fn answer(
        &self,
        session: u64,
        command: &Command,
        bound: &mut Option<(Bound, String)>,
        tx: &Sender<Segment>,
    ) -> (Option<Command>, bool) {
        let seq = command.sequence_number();
        let reply = |status, pdu: Pdu| Some(Command::new(status, seq, pdu));
        // SMPP 3.4 5.1.3: a session binds once (ESME_RALYBND); a system_id the SMSC does not
        // know is ESME_RINVSYSID, a wrong password ESME_RINVPASWD.
        let already = bound.is_some();
        let check = |system_id: &str, password: &str| match &self.credentials {
            _ if already => CommandStatus::EsmeRalybnd,
            Some((id, _)) if id != system_id => CommandStatus::EsmeRinvsysid,
            Some((_, pw)) if pw != password => CommandStatus::EsmeRinvpaswd,
            _ => CommandStatus::EsmeRok,
        };
        let system = || c_octets::<1, 16>("dmnoti", "system_id").unwrap_or_default();
        match command.pdu() {
            Some(Pdu::BindTransmitter(b)) => {
                let status = check(b.system_id.as_str(), b.password.as_str());
                let resp = BindTransmitterResp::builder().system_id(system()).build();
                self.bind(
                    session,
                    status,
                    Bound::Transmitter,
                    b.system_id.as_str(),
                    bound,
                    tx,
                );
                (reply(status, resp.into()), false)
            }
            Some(Pdu::BindReceiver(b)) => {
                let status = check(b.system_id.as_str(), b.password.as_str());
                let resp = BindReceiverResp::builder().system_id(system()).build();
                self.bind(
                    session,
                    status,
                    Bound::Receiver,
                    b.system_id.as_str(),
                    bound,
                    tx,
                );
                (reply(status, resp.into()), false)
            }
            Some(Pdu::BindTransceiver(b)) => {
                let status = check(b.system_id.as_str(), b.password.as_str());
                let resp = BindTransceiverResp::builder().system_id(system()).build();
                self.bind(
                    session,
                    status,
                    Bound::Transceiver,
                    b.system_id.as_str(),
                    bound,
                    tx,
                );
                (reply(status, resp.into()), false)
            }
            Some(Pdu::SubmitSm(s)) => {
                let Some((how, system_id)) = bound.as_ref() else {
                    return (
                        reply(CommandStatus::EsmeRinvbndsts, Pdu::GenericNack),
                        false,
                    );
                };
                if *how == Bound::Receiver {
                    return (
                        reply(CommandStatus::EsmeRinvbndsts, Pdu::GenericNack),
                        false,
                    );
                }
                let id = self.next_message.fetch_add(1, Ordering::SeqCst);
                // A message_payload longer than one SMS goes on as the SMS segments of it.
                for segment in into_sms_segments(Segment::of_submit(s), (id % 256) as u16) {
                    let _ = self.submitted.send(Submitted {
                        system_id: system_id.clone(),
                        segment: segment.clone(),
                    });
                    if let Ok(mut r) = self.routes.lock() {
                        r.receivers.retain(|(from, rx)| {
                            *from == session || rx.send(segment.clone()).is_ok()
                        });
                    }
                }
                let resp = SubmitSmResp::builder()
                    .message_id(
                        c_octets::<1, 65>(&format!("{id:08X}"), "message_id").unwrap_or_default(),
                    )
                    .build();
                (reply(CommandStatus::EsmeRok, resp.into()), false)
            }
            Some(Pdu::EnquireLink) => (reply(CommandStatus::EsmeRok, Pdu::EnquireLinkResp), false),
            Some(Pdu::Unbind) => {
                self.unbinds.fetch_add(1, Ordering::SeqCst);
                (reply(CommandStatus::EsmeRok, Pdu::UnbindResp), true)
            }
            // Responses (deliver_sm_resp) need no answer.
            Some(_) if command.id().is_response() => (None, false),
            _ => (reply(CommandStatus::EsmeRinvcmdid, Pdu::GenericNack), false),
        }
    }
}

impl Smsc {
    /// How many sessions ended with unbind (answered unbind_resp).
    pub fn unbinds(&self) -> usize {
        self.unbinds.load(Ordering::SeqCst)
    }

    /// Listens on `bind`; `credentials` (system_id, password) when binds must give them.
    pub fn start(
        bind: SocketAddr,
        capture: Option<Capture>,
        credentials: Option<(String, String)>,
    ) -> std::io::Result<Smsc> {
        let listener = TcpListener::bind(bind)?;
        let addr = listener.local_addr()?;
        let (tx, rx) = mpsc::channel();
        let routes = Arc::new(Mutex::new(Routes::default()));
        let unbinds = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let shared = SmscShared {
            routes: Arc::clone(&routes),
            submitted: tx,
            credentials,
            capture,
            local: addr,
            next_message: Arc::new(AtomicU32::new(1)),
            unbinds: Arc::clone(&unbinds),
        };
        let service =
            super::TcpService::start(listener, move |stream, stop| shared.serve(stream, stop))?;
        Ok(Smsc {
            addr,
            unbinds,
            submitted: Mutex::new(rx),
            routes,
            _service: service,
        })
    }

    /// Sends `segment` as deliver_sm to every bound receiver (a mobile-originated SMS, from the
    /// network to the ESMEs); how many took it.
    pub fn deliver(&self, segment: &Segment) -> usize {
        let Ok(mut r) = self.routes.lock() else {
            return 0;
        };
        r.receivers
            .retain(|(_, rx)| rx.send(segment.clone()).is_ok());
        r.receivers.len()
    }

    /// The next submit_sm within `wait`.
    pub fn next(&self, wait: Duration) -> Option<Submitted> {
        self.submitted.lock().ok()?.recv_timeout(wait).ok()
    }

    /// Forgets submits not yet read.
    pub fn drain(&self) {
        if let Ok(rx) = self.submitted.lock() {
            while rx.try_recv().is_ok() {}
        }
    }
}

/// How an ESME binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindAs {
    Transmitter,
    Receiver,
}

/// An ESME bound to an SMSC over one TCP connection.
pub struct Esme {
    stream: TcpStream,
    peer: String,
    buf: Vec<u8>,
    sequence: u32,
    timeout: Duration,
    capture: Option<Capture>,
    /// Bound and not unbound yet: dropping it unbinds (SMPP 3.4 4.2: a session ends with
    /// unbind and unbind_resp).
    bound: bool,
}

impl Drop for Esme {
    fn drop(&mut self) {
        if std::mem::take(&mut self.bound) {
            // The SMSC's answer is not waited for long: a session ending must not hold a run.
            self.timeout = Duration::from_millis(200);
            let _ = self.call(Pdu::Unbind, "unbind");
        }
    }
}

impl Esme {
    /// Connects to `to` and binds with `system_id` and `password`, within `timeout`.
    pub fn bind(
        to: SocketAddr,
        how: BindAs,
        system_id: &str,
        password: &str,
        timeout: Duration,
        capture: Option<Capture>,
    ) -> Result<Esme, SmppError> {
        let peer = to.to_string();
        let stream = TcpStream::connect_timeout(&to, timeout).map_err(|source| SmppError::Io {
            what: "connect to",
            peer: peer.clone(),
            source,
        })?;
        let _ = stream.set_nodelay(true);
        let mut esme = Esme {
            stream,
            peer,
            buf: Vec::new(),
            sequence: 0,
            timeout,
            capture,
            bound: false,
        };
        let id = c_octets::<1, 16>(system_id, "system_id")?;
        let pw = c_octets::<1, 9>(password, "password")?;
        let pdu: Pdu = match how {
            BindAs::Transmitter => BindTransmitter::builder()
                .system_id(id)
                .password(pw)
                .interface_version(InterfaceVersion::Smpp3_4)
                .build()
                .into(),
            BindAs::Receiver => BindReceiver::builder()
                .system_id(id)
                .password(pw)
                .interface_version(InterfaceVersion::Smpp3_4)
                .build()
                .into(),
        };
        let answer = esme.call(pdu, "bind")?;
        if answer.status() != CommandStatus::EsmeRok {
            return Err(SmppError::Refused {
                peer: esme.peer.clone(),
                what: "bind",
                status: answer.status(),
            });
        }
        esme.bound = true;
        Ok(esme)
    }

    fn send(&mut self, command: &Command) -> Result<(), SmppError> {
        let out = frame(command);
        self.stream
            .write_all(&out)
            .map_err(|source| SmppError::Io {
                what: "write to",
                peer: self.peer.clone(),
                source,
            })?;
        if let (Some(c), Ok(local), Ok(peer)) = (
            &self.capture,
            self.stream.local_addr(),
            self.stream.peer_addr(),
        ) {
            c.tcp(local, peer, &out);
        }
        Ok(())
    }

    /// The next PDU within `wait` (`None` when none came).
    fn receive(&mut self, wait: Duration) -> Result<Option<Command>, SmppError> {
        let deadline = Instant::now() + wait;
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(c) = unframe(&mut self.buf, &self.peer)? {
                return Ok(Some(c));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            let _ = self.stream.set_read_timeout(Some(left));
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    return Err(SmppError::Closed {
                        peer: self.peer.clone(),
                    });
                }
                Ok(n) => {
                    if let (Some(c), Ok(local), Ok(peer)) = (
                        &self.capture,
                        self.stream.local_addr(),
                        self.stream.peer_addr(),
                    ) {
                        c.tcp(peer, local, &chunk[..n]);
                    }
                    self.buf.extend_from_slice(&chunk[..n]);
                }
                Err(e) if super::timed_out(&e) => {}
                Err(source) => {
                    return Err(SmppError::Io {
                        what: "read from",
                        peer: self.peer.clone(),
                        source,
                    });
                }
            }
        }
    }

    /// Sends a request and waits for its response (answering what the SMSC asks meanwhile).
    fn call(&mut self, pdu: Pdu, what: &'static str) -> Result<Command, SmppError> {
        self.sequence += 1;
        let seq = self.sequence;
        self.send(&Command::new(CommandStatus::EsmeRok, seq, pdu))?;
        let deadline = Instant::now() + self.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Some(c) = self.receive(left)? else {
                return Err(SmppError::Deadline {
                    peer: self.peer.clone(),
                    what,
                    timeout: self.timeout,
                });
            };
            if c.sequence_number() == seq && c.id().is_response() {
                return Ok(c);
            }
            self.answer_request(&c)?;
        }
    }

    fn answer_request(&mut self, c: &Command) -> Result<(), SmppError> {
        let seq = c.sequence_number();
        match c.pdu() {
            Some(Pdu::EnquireLink) => self.send(&Command::new(
                CommandStatus::EsmeRok,
                seq,
                Pdu::EnquireLinkResp,
            )),
            Some(Pdu::DeliverSm(_)) => self.send(&Command::new(
                CommandStatus::EsmeRok,
                seq,
                DeliverSmResp::builder().build(),
            )),
            _ => Ok(()),
        }
    }

    /// Submits one segment; the SMSC's command_status.
    pub fn submit(&mut self, segment: &Segment) -> Result<CommandStatus, SmppError> {
        let pdu: Pdu = segment.submit()?.into();
        Ok(self.call(pdu, "submit_sm")?.status())
    }

    /// Submits each segment with up to `window` submit_sm outstanding at once (SMPP 3.4 2.6:
    /// an ESME may send requests before earlier ones are answered); the SMSC's command_status
    /// of each, in order. Every answer comes within the timeout of its request.
    pub fn submit_window(
        &mut self,
        segments: &[Segment],
        window: usize,
    ) -> Result<Vec<CommandStatus>, SmppError> {
        let mut statuses: Vec<Option<CommandStatus>> = vec![None; segments.len()];
        // (sequence number, index, sent at) of each submit_sm not answered yet.
        let mut outstanding: Vec<(u32, usize, Instant)> = Vec::new();
        let mut next = 0;
        while next < segments.len() || !outstanding.is_empty() {
            while next < segments.len() && outstanding.len() < window.max(1) {
                let pdu: Pdu = segments[next].submit()?.into();
                self.sequence += 1;
                self.send(&Command::new(CommandStatus::EsmeRok, self.sequence, pdu))?;
                outstanding.push((self.sequence, next, Instant::now()));
                next += 1;
            }
            let oldest = outstanding
                .iter()
                .map(|o| o.2)
                .min()
                .unwrap_or_else(Instant::now);
            let left = (oldest + self.timeout).saturating_duration_since(Instant::now());
            let Some(c) = self.receive(left)? else {
                return Err(SmppError::Deadline {
                    peer: self.peer.clone(),
                    what: "submit_sm",
                    timeout: self.timeout,
                });
            };
            let answered = outstanding
                .iter()
                .position(|o| o.0 == c.sequence_number() && c.id().is_response());
            match answered {
                Some(at) => {
                    let (_, index, _) = outstanding.swap_remove(at);
                    statuses[index] = Some(c.status());
                }
                None => self.answer_request(&c)?,
            }
        }
        Ok(statuses
            .into_iter()
            .map(|s| s.unwrap_or(CommandStatus::EsmeRsyserr))
            .collect())
    }

    /// The next deliver_sm within `wait`, answered.
    pub fn next_delivery(&mut self, wait: Duration) -> Result<Option<Segment>, SmppError> {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Some(c) = self.receive(left)? else {
                return Ok(None);
            };
            self.answer_request(&c)?;
            if let Some(Pdu::DeliverSm(d)) = c.pdu() {
                return Ok(Some(Segment::of_deliver(d)));
            }
        }
    }

    /// Unbinds (the SMSC's answer is not waited for long); dropping it does the same.
    pub fn unbind(self) {
        drop(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::sms;

    #[test]
    fn a_push_goes_from_a_transmitter_through_the_smsc_to_a_receiver() {
        let smsc = Smsc::start(
            "127.0.0.1:0".parse().unwrap(),
            None,
            Some(("dmnoti".into(), "secret".into())),
        )
        .unwrap();
        let t = Duration::from_secs(5);
        let mut rx = Esme::bind(smsc.addr, BindAs::Receiver, "dmnoti", "secret", t, None).unwrap();
        let mut tx =
            Esme::bind(smsc.addr, BindAs::Transmitter, "dmnoti", "secret", t, None).unwrap();
        let push: Vec<u8> = (0..=255u8).cycle().take(300).collect();
        let tpdus = sms::encode(&sms::SmsSpec::new(sms::Direction::Submit), &push);
        for tpdu in &tpdus {
            let read = sms::decode(tpdu, None).unwrap();
            let segment = Segment {
                source: "+15550199".into(),
                destination: "+15550100".into(),
                esm_class: 0x40,
                data_coding: read.dcs,
                user_data: tpdu[read.ud_offset..].to_vec(),
            };
            assert_eq!(tx.submit(&segment).unwrap(), CommandStatus::EsmeRok);
            let got = smsc.next(t).unwrap();
            assert_eq!(got.segment, segment);
            assert_eq!(got.system_id, "dmnoti");
            assert_eq!(rx.next_delivery(t).unwrap().unwrap(), segment);
        }
        // A session ends with unbind, answered: explicitly, or when the ESME is dropped.
        tx.unbind();
        drop(rx);
        let deadline = std::time::Instant::now() + t;
        while smsc.unbinds() < 2 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(smsc.unbinds(), 2);
        // A wrong password is refused, naming the status.
        let err = Esme::bind(smsc.addr, BindAs::Transmitter, "dmnoti", "nope", t, None)
            .err()
            .unwrap();
        assert!(matches!(err, SmppError::Refused { .. }), "{err}");
    }

    /// The SMSC answers as SMPP 3.4 says: a second bind on a session ESME_RALYBND (and no second
    /// route), an unknown system_id ESME_RINVSYSID, a wrong password ESME_RINVPASWD, a PDU whose
    /// command_length lies generic_nack with ESME_RINVCMDLEN before it closes.
    #[test]
    fn the_smsc_answers_with_the_spec_s_codes() {
        let smsc = Smsc::start(
            "127.0.0.1:0".parse().unwrap(),
            None,
            Some(("dmnoti".into(), "secret".into())),
        )
        .unwrap();
        let t = Duration::from_secs(5);
        let status = |r: Result<Esme, SmppError>| match r {
            Err(SmppError::Refused { status, .. }) => status,
            Err(e) => panic!("{e}"),
            Ok(_) => CommandStatus::EsmeRok,
        };
        let bind = |id: &str, pw: &str| Esme::bind(smsc.addr, BindAs::Receiver, id, pw, t, None);
        assert_eq!(
            status(bind("other", "secret")),
            CommandStatus::EsmeRinvsysid
        );
        assert_eq!(status(bind("dmnoti", "nope")), CommandStatus::EsmeRinvpaswd);
        let mut esme = bind("dmnoti", "secret").unwrap();
        let again = BindReceiver::builder()
            .system_id(c_octets::<1, 16>("dmnoti", "system_id").unwrap())
            .password(c_octets::<1, 9>("secret", "password").unwrap())
            .build();
        let answer = esme.call(again.into(), "bind_receiver").unwrap();
        assert_eq!(answer.status(), CommandStatus::EsmeRalybnd);
        // One deliver_sm reaches the session once, not once per bind.
        let segment = Segment {
            source: "+15550199".into(),
            destination: "+15550100".into(),
            esm_class: 0,
            data_coding: 4,
            user_data: vec![1, 2, 3],
        };
        assert_eq!(smsc.deliver(&segment), 1);
        // A lying command_length: generic_nack, then the end of the session.
        let mut raw = TcpStream::connect(smsc.addr).unwrap();
        raw.set_read_timeout(Some(t)).unwrap();
        raw.write_all(&[0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 7])
            .unwrap();
        let mut got = Vec::new();
        let _ = raw.read_to_end(&mut got);
        let mut buf = got.clone();
        let nack = unframe(&mut buf, "smsc").unwrap().unwrap();
        assert_eq!(nack.status(), CommandStatus::EsmeRinvcmdlen);
        assert!(matches!(nack.pdu(), Some(Pdu::GenericNack)));
        assert_eq!(nack.sequence_number(), 7);
    }

    #[test]
    fn a_hostile_peer_is_bounded() {
        let mut buf = vec![0xFF, 0xFF, 0xFF, 0xFF];
        assert!(matches!(
            unframe(&mut buf, "p"),
            Err(SmppError::Length { .. })
        ));
        let mut buf = vec![0, 0, 0, 20, 0, 0, 0, 4];
        assert!(matches!(unframe(&mut buf, "p"), Ok(None)));
        let silent = TcpListener::bind("127.0.0.1:0").unwrap();
        let at = silent.local_addr().unwrap();
        let hold = std::thread::spawn(move || {
            let (_s, _) = silent.accept().unwrap();
            std::thread::sleep(Duration::from_millis(600));
        });
        let err = Esme::bind(
            at,
            BindAs::Transmitter,
            "a",
            "b",
            Duration::from_millis(300),
            None,
        )
        .err()
        .unwrap();
        assert!(matches!(err, SmppError::Deadline { .. }), "{err}");
        hold.join().unwrap();
    }
}
