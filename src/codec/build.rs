//! The message builder: a Package #0 (1.3 or 1.2), and its delivery framing, from field values,
//! conformant by default and wrong on purpose where a raw override says so. `dmnoti encode` and
//! the suites' messages both build through [`encode`].

use crate::codec::digest::DigestReading;
use crate::codec::options::{NotiOption, number};
use crate::codec::v12::{Draft12, RawTrigger};
use crate::codec::v13::{self, Draft13, RawHeader, RawOption};
use crate::codec::wsp::PushBuilder;
use crate::codec::{Format, Initiator, MoIndex, Transport, UiMode, ota_http, sip};
use std::borrow::Cow;

/// Why a message cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("cannot truncate {cut} bytes off a {len}-byte message")]
    Truncate { cut: usize, len: usize },
    #[error("VER {0} does not fit in 4 bits")]
    Version(u16),
    #[error("a 1.3 message needs a secret to compute its digest, or a digest to set it")]
    NoSecret,
    #[error(
        "a 1.2 message needs a password (and a nonce) to compute its digest, or a digest to set it"
    )]
    NoPassword,
}

/// How the message is framed for delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Framing {
    #[default]
    None,
    Wsp,
    OtaHttp,
    PlainHttp,
    /// A SIP MESSAGE over UDP (7.3).
    Sip,
}

/// Everything `dmnoti encode` can set. `None` means "what a conformant message has".
#[derive(Debug, Clone, Default)]
pub struct EncodeSpec {
    pub format: Option<Format>,
    pub server_id: String,
    pub session_id: u16,
    pub ui_mode: UiMode,
    pub initiator: Option<Initiator>,
    pub transport: Option<Transport>,
    pub timeout: u16,
    pub timestamp: u32,
    pub requested_mo: Vec<u16>,
    pub targeted_mo: Vec<u16>,
    pub bearers: Vec<u8>,
    pub connect_reason: Option<String>,
    pub vendor_info: Option<String>,
    /// Options appended as they are, after the typed ones: (number, value).
    pub raw_options: Vec<(u8, Vec<u8>)>,
    pub secret: Option<Vec<u8>>,
    pub reading: DigestReading,
    pub password: Option<Vec<u8>>,
    pub nonce: Vec<u8>,
    pub vendor_body: Vec<u8>,
    // Raw overrides, for building wrong messages.
    pub version: Option<u16>,
    pub opc: Option<u8>,
    pub reserved: Option<u32>,
    pub transport_bits: Option<u8>,
    pub digest: Option<Vec<u8>>,
    pub append: Vec<u8>,
    pub truncate: usize,
    pub framing: Framing,
    pub tid: u8,
}

/// Builds the bytes `spec` describes.
pub fn encode(spec: &EncodeSpec) -> Result<Vec<u8>, EncodeError> {
    let format = spec.format.unwrap_or(Format::V13);
    let mut message = match format {
        Format::V13 => encode13(spec)?,
        Format::V12 => encode12(spec)?,
    };
    if spec.truncate > message.len() {
        return Err(EncodeError::Truncate {
            cut: spec.truncate,
            len: message.len(),
        });
    }
    message.truncate(message.len() - spec.truncate);
    message.extend_from_slice(&spec.append);
    Ok(match spec.framing {
        Framing::None => message,
        Framing::Wsp => {
            let mut b = PushBuilder::new(format);
            b.tid = spec.tid;
            b.encode(&message)
        }
        Framing::OtaHttp => {
            ota_http::request(ota_http::Form::OtaHttp, format, "127.0.0.1", "/", &message)
        }
        Framing::PlainHttp => {
            ota_http::request(ota_http::Form::Plain, format, "127.0.0.1", "/", &message)
        }
        Framing::Sip => {
            let mut s = sip::MessageSpec::new(
                "sip:device@127.0.0.1:5070",
                "sip:dm-server@127.0.0.1",
                "127.0.0.1:5060",
            );
            s.format = format;
            sip::message_request(&s, &message)
        }
    })
}

fn encode13(spec: &EncodeSpec) -> Result<Vec<u8>, EncodeError> {
    let typed = |o: NotiOption<'_>| RawOption::typed(&o);
    let mut options = vec![typed(NotiOption::ServerId(Cow::Borrowed(
        spec.server_id.as_str(),
    )))];
    options.extend(
        spec.targeted_mo
            .iter()
            .map(|v| typed(NotiOption::TargetedMo(MoIndex(*v)))),
    );
    let requested: &[u16] = if spec.requested_mo.is_empty() {
        &[MoIndex::DEV_DETAIL.0]
    } else {
        &spec.requested_mo
    };
    options.extend(
        requested
            .iter()
            .map(|v| typed(NotiOption::RequestedMo(MoIndex(*v)))),
    );
    // Bearer values go in raw, so that values outside the table can be sent too.
    options.extend(
        spec.bearers
            .iter()
            .map(|b| RawOption::new(number::PREFERRED_BEARER, vec![*b])),
    );
    options.extend(
        spec.connect_reason
            .as_deref()
            .map(|s| typed(NotiOption::ConnectReason(s.into()))),
    );
    options.extend(
        spec.vendor_info
            .as_deref()
            .map(|s| typed(NotiOption::VendorInfo(s.into()))),
    );
    options.extend(
        spec.raw_options
            .iter()
            .map(|(n, v)| RawOption::new(*n, v.clone())),
    );
    let version = match spec.version {
        None => v13::VERSION,
        Some(v) => u8::try_from(v)
            .ok()
            .filter(|v| *v < 16)
            .ok_or(EncodeError::Version(v))?,
    };
    let mut draft = Draft13 {
        header: RawHeader {
            version,
            opc: 0,
            initiator: spec.initiator.unwrap_or(Initiator::Server).bit(),
            ui_mode: spec.ui_mode.bits(),
            transport: spec
                .transport_bits
                .unwrap_or(spec.transport.unwrap_or(Transport::NotSpecified).bits()),
            reserved: spec.reserved.unwrap_or(0),
            timeout: spec.timeout,
            session_id: spec.session_id,
            timestamp: spec.timestamp,
        },
        options,
        digest: Vec::new(),
        trailer: Vec::new(),
    };
    draft.count_options();
    if let Some(opc) = spec.opc {
        draft.header.opc = opc;
    }
    match (&spec.digest, &spec.secret) {
        (Some(d), _) => draft.digest = d.clone(),
        (None, Some(secret)) => draft.sign(secret, spec.reading),
        (None, None) => {
            return Err(EncodeError::NoSecret);
        }
    }
    Ok(draft.encode())
}

fn encode12(spec: &EncodeSpec) -> Result<Vec<u8>, EncodeError> {
    let mut draft = Draft12 {
        digest: vec![0; 16],
        trigger: RawTrigger {
            version: spec.version.unwrap_or(crate::codec::v12::VERSION),
            ui_mode: spec.ui_mode.bits(),
            initiator: spec.initiator.unwrap_or(Initiator::Server).bit(),
            future: spec.reserved.unwrap_or(0),
            session_id: spec.session_id,
        },
        server_id_length: None,
        server_id: spec.server_id.as_bytes().to_vec(),
        vendor_body: spec.vendor_body.clone(),
    };
    match (&spec.digest, &spec.password) {
        (Some(d), _) => draft.digest = d.clone(),
        (None, Some(password)) => draft.sign(spec.server_id.as_bytes(), password, &spec.nonce),
        (None, None) => {
            return Err(EncodeError::NoPassword);
        }
    }
    Ok(draft.encode())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_builds_a_conformant_message_by_default() {
        let spec = EncodeSpec {
            server_id: "com.example.dm".into(),
            session_id: 0x1A2B,
            secret: Some(b"s".to_vec()),
            ..Default::default()
        };
        let bytes = encode(&spec).unwrap();
        let m = v13::decode(&bytes).unwrap();
        assert_eq!(m.server_id(), Some("com.example.dm"));
        assert_eq!(m.requested_mo().collect::<Vec<_>>(), [MoIndex::DEV_DETAIL]);
        assert_eq!(
            v13::verify(&bytes, b"s", DigestReading::LiteralColons),
            Ok(())
        );
    }

    #[test]
    fn encode_builds_wrong_messages_when_asked() {
        let spec = EncodeSpec {
            server_id: "x".into(),
            session_id: 0,
            secret: Some(b"s".to_vec()),
            version: Some(2),
            bearers: vec![0x0C],
            ..Default::default()
        };
        let bytes = encode(&spec).unwrap();
        let seen = v13::inspect(&bytes);
        let kinds: Vec<_> = seen
            .violations
            .iter()
            .map(|v| crate::codec::Rule::name(&v.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                "unsupported-version",
                "zero-session-id",
                "bearer-out-of-range"
            ]
        );
    }

    #[test]
    fn encode_needs_a_key_or_a_digest() {
        let spec = EncodeSpec {
            server_id: "x".into(),
            session_id: 1,
            ..Default::default()
        };
        assert!(encode(&spec).is_err());
    }
}
