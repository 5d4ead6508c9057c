//! The message a step delivers, as a suite writes it (every field of `dmnoti encode`, mutations,
//! raw hex, or another case's message), and how it becomes bytes. Defaults make a conformant
//! message for the case's account: each field a case sets is what the case is about.
//!
//! Order: fields are encoded and signed; structural mutations (`swap_options`, `drop_option`,
//! `duplicate_option`, `option_length`) change the options and the message is signed again, so
//! the rule they break, not the digest, is what the IUT meets; byte mutations (`flip_digest_bit`,
//! `flip_bit`, `truncate`, `append`) come last and are not signed over.

use super::{AccountSpec, MutationClass};
use crate::codec::build::{self, EncodeSpec};
use crate::codec::digest::DigestReading;
use crate::codec::v13::{self, Draft13};
use crate::codec::{self, Format, Initiator, Transport, UiMode, v12};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOptionSpec {
    pub number: u8,
    /// The value, hex.
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionLength {
    pub index: usize,
    pub length: u16,
}

macro_rules! spec_struct {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($(#[$fm])* #[serde(default, skip_serializing_if = "Option::is_none")] pub $field: Option<$ty>,)*
        }
    };
}

spec_struct! {
    /// A message to deliver. Every field is optional.
    pub struct MessageSpec {
        /// Start from the first delivered message of this case id, then apply this spec's fields.
        from: String,
        /// The message bytes as they are, hex (mutations still apply).
        hex: String,
        /// The input of a test vector by id (`v13-digest-17`), as it is (mutations still apply).
        from_vector: String,
        /// 1.3 (default) or 1.2.
        format: Format,
        /// Default: the account's.
        server_id: String,
        /// Default: a fresh one for each message of the case.
        session_id: u16,
        /// Default: background.
        ui_mode: UiMode,
        initiator: Initiator,
        transport: Transport,
        /// TIMEOUT in minutes; default 0 (no timeout).
        timeout: u16,
        /// TIMESTAMP as seconds before the testee's clock (default 0: now).
        age: i64,
        /// TIMESTAMP as a share of TIMEOUT before the clock, in percent, TIMEOUT read in the
        /// profile's unit (minutes when undeclared): 150 is half a TIMEOUT too old.
        age_percent: u32,
        /// TIMESTAMP as an absolute POSIX time (wins over age).
        timestamp: u32,
        /// Default: [0x000B] (DevDetail).
        requested_mo: Vec<u16>,
        targeted_mo: Vec<u16>,
        bearers: Vec<u8>,
        connect_reason: String,
        vendor_info: String,
        raw_options: Vec<RawOptionSpec>,
        /// Sign with this secret (text) instead of the account's.
        secret: String,
        /// Sign under this reading of the digest formula instead of the profile's.
        reading: DigestReading,
        /// 1.2: sign with this password (text) / nonce (hex) instead of the account's.
        password: String,
        nonce: String,
        /// 1.2 vendor-specific body, hex.
        vendor_body: String,
        /// Raw header values.
        version: u16,
        opc: u8,
        reserved: u32,
        transport_bits: u8,
        /// The digest bytes, hex, instead of a computed digest.
        digest: String,
        swap_options: [usize; 2],
        drop_option: usize,
        duplicate_option: usize,
        option_length: OptionLength,
        /// Bit N of the digest (0: the first byte's most significant bit).
        flip_digest_bit: u32,
        /// Bit N of the whole message.
        flip_bit: u32,
        /// Bytes cut off the end.
        truncate: usize,
        /// Bytes appended, hex.
        append: String,
    }
}

/// What a message is built against.
#[derive(Debug, Clone)]
pub struct BuildContext<'a> {
    pub account: &'a AccountSpec,
    pub now: u64,
    pub reading: DigestReading,
    /// The session id used when the spec names none.
    pub fresh_session_id: u16,
    /// Seconds in one unit of TIMEOUT, for `age_percent`.
    pub timeout_unit_seconds: u64,
}

/// A message ready to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    pub format: Format,
    pub bytes: Vec<u8>,
}

impl Built {
    /// SESSIONID as it stands on the wire, when the bytes reach that far.
    /// The Server-ID the message names, where it can be read.
    pub fn server_id(&self) -> Option<String> {
        match self.format {
            Format::V13 => crate::codec::v13::decode(&self.bytes)
                .ok()?
                .server_id()
                .map(str::to_owned),
            Format::V12 => v12::inspect(&self.bytes)
                .server_id
                .map(|(_, id)| String::from_utf8_lossy(id).into_owned()),
        }
    }

    pub fn wire_session_id(&self) -> Option<u16> {
        let at = match self.format {
            Format::V13 => 6,
            Format::V12 => v12::TRIGGER_OFFSET + 5,
        };
        self.bytes
            .get(at..at + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
}

/// Why a step's message cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("option mutations apply to 1.3 messages only")]
    OptionMutationOf12,
    #[error("give hex or from, not both")]
    HexAndFrom,
    #[error("{field}: {why}")]
    Hex { field: &'static str, why: String },
    #[error("raw option number {0} does not fit in 4 bits")]
    RawOptionNumber(u8),
    #[error("no test vector {0:?}")]
    NoVector(String),
    #[error("the message has no options to change")]
    NoOptions,
    #[error("option index {index}: the message has {count} options")]
    OptionIndex { index: usize, count: usize },
    #[error("digest bit {0} is out of range")]
    DigestBit(u32),
    #[error("bit {bit} is beyond the message's {len} bytes")]
    Bit { bit: u32, len: usize },
    #[error("cannot cut {cut} bytes off {len} bytes")]
    Truncate { cut: usize, len: usize },
    #[error(transparent)]
    Account(#[from] crate::suite::AccountError),
    #[error("{0}")]
    Encode(String),
}

fn hex(field: &'static str, text: &Option<String>) -> Result<Vec<u8>, BuildError> {
    match text {
        Some(t) => codec::parse_hex(t).map_err(|e| BuildError::Hex {
            field,
            why: e.to_string(),
        }),
        None => Ok(Vec::new()),
    }
}

impl MessageSpec {
    /// Whether the message's TIMESTAMP is fixed, or set against the testee's clock: its verdict
    /// then depends on that clock being set (6.4.7, 6.4.9).
    pub fn pins_time(&self) -> bool {
        self.timestamp.is_some()
            || self.age.is_some()
            || self.age_percent.is_some()
            || self.hex.is_some()
            || self.from_vector.is_some()
    }

    fn structural(&self) -> bool {
        self.swap_options.is_some()
            || self.drop_option.is_some()
            || self.duplicate_option.is_some()
            || self.option_length.is_some()
    }

    /// Checks what can be checked without building (for loading and `dmnoti lint`).
    pub fn check(&self) -> Result<(), BuildError> {
        if self.format == Some(Format::V12) && self.structural() {
            return Err(BuildError::OptionMutationOf12);
        }
        if self.hex.is_some() && self.from.is_some() {
            return Err(BuildError::HexAndFrom);
        }
        for (field, value) in [
            ("hex", &self.hex),
            ("nonce", &self.nonce),
            ("vendor_body", &self.vendor_body),
            ("digest", &self.digest),
            ("append", &self.append),
        ] {
            hex(field, value)?;
        }
        for o in self.raw_options.iter().flatten() {
            if o.number > 15 {
                return Err(BuildError::RawOptionNumber(o.number));
            }
            hex("raw option value", &Some(o.value.clone()))?;
        }
        Ok(())
    }

    /// This spec's fields laid over `base` (for `from`).
    pub fn over(&self, base: &MessageSpec) -> MessageSpec {
        let mut merged = serde_json::to_value(base).unwrap_or_default();
        if let (Some(m), Ok(serde_json::Value::Object(top))) =
            (merged.as_object_mut(), serde_json::to_value(self))
        {
            for (k, v) in top {
                m.insert(k, v);
            }
            m.remove("from");
        }
        serde_json::from_value(merged).unwrap_or_else(|_| self.clone())
    }

    /// The bytes this spec describes.
    pub fn build(&self, ctx: &BuildContext<'_>) -> Result<Built, BuildError> {
        self.check()?;
        let mut built = match (&self.hex, &self.from_vector) {
            (None, Some(id)) => {
                let (format, bytes) =
                    crate::vectors::find(id).ok_or_else(|| BuildError::NoVector(id.clone()))?;
                Built { format, bytes }
            }
            (Some(h), _) => {
                let bytes = hex("hex", &Some(h.clone()))?;
                let format = self.format.unwrap_or(match codec::detect(&bytes) {
                    codec::Detected::V12 => Format::V12,
                    _ => Format::V13,
                });
                Built { format, bytes }
            }
            (None, None) => self.encode(ctx)?,
        };
        self.mutate_bytes(&mut built)?;
        Ok(built)
    }

    fn encode(&self, ctx: &BuildContext<'_>) -> Result<Built, BuildError> {
        let format = self.format.unwrap_or(Format::V13);
        let account_v12 = ctx.account.to_account()?.v12;
        let age = match self.age_percent {
            Some(p) => {
                (u64::from(self.timeout.unwrap_or(0)) * ctx.timeout_unit_seconds * u64::from(p)
                    / 100) as i64
            }
            None => self.age.unwrap_or(0),
        };
        let timestamp = match self.timestamp {
            Some(t) => t,
            None => (ctx.now as i64 - age).clamp(0, i64::from(u32::MAX)) as u32,
        };
        let spec = EncodeSpec {
            format: Some(format),
            server_id: self
                .server_id
                .clone()
                .unwrap_or_else(|| ctx.account.server_id.clone()),
            session_id: self.session_id.unwrap_or(ctx.fresh_session_id),
            ui_mode: self.ui_mode.unwrap_or(UiMode::Background),
            initiator: self.initiator,
            transport: self.transport,
            timeout: self.timeout.unwrap_or(0),
            timestamp,
            requested_mo: self
                .requested_mo
                .clone()
                .unwrap_or_else(|| vec![codec::MoIndex::DEV_DETAIL.0]),
            targeted_mo: self.targeted_mo.clone().unwrap_or_default(),
            bearers: self.bearers.clone().unwrap_or_default(),
            connect_reason: self.connect_reason.clone(),
            vendor_info: self.vendor_info.clone(),
            raw_options: self
                .raw_options
                .iter()
                .flatten()
                .map(|o| Ok((o.number, hex("raw option value", &Some(o.value.clone()))?)))
                .collect::<Result<_, BuildError>>()?,
            secret: Some(match &self.secret {
                Some(s) => s.as_bytes().to_vec(),
                None => ctx.account.secret_bytes()?,
            }),
            reading: self.reading.unwrap_or(ctx.reading),
            password: match (&self.password, &account_v12) {
                (Some(p), _) => Some(p.as_bytes().to_vec()),
                (None, Some(v)) => Some(v.password.bytes().to_vec()),
                (None, None) => Some(Vec::new()),
            },
            nonce: match (&self.nonce, &account_v12) {
                (Some(_), _) => hex("nonce", &self.nonce)?,
                (None, Some(v)) => v.nonce.0.clone(),
                (None, None) => Vec::new(),
            },
            vendor_body: hex("vendor_body", &self.vendor_body)?,
            version: self.version,
            opc: self.opc,
            reserved: self.reserved,
            transport_bits: self.transport_bits,
            digest: self
                .digest
                .as_ref()
                .map(|_| hex("digest", &self.digest))
                .transpose()?,
            ..EncodeSpec::default()
        };
        let mut bytes = build::encode(&spec).map_err(|e| BuildError::Encode(e.to_string()))?;
        if self.structural() {
            bytes = self.mutate_options(&bytes, &spec)?;
        }
        Ok(Built { format, bytes })
    }

    fn mutate_options(&self, bytes: &[u8], spec: &EncodeSpec) -> Result<Vec<u8>, BuildError> {
        let mut d = Draft13::from_bytes(bytes).ok_or(BuildError::NoOptions)?;
        let n = d.options.len();
        let index = |i: usize| {
            if i < n {
                Ok(i)
            } else {
                Err(BuildError::OptionIndex { index: i, count: n })
            }
        };
        if let Some([a, b]) = self.swap_options {
            d.options.swap(index(a)?, index(b)?);
        }
        if let Some(i) = self.duplicate_option {
            let o = d.options[index(i)?].clone();
            d.options.insert(i + 1, o);
        }
        if let Some(i) = self.drop_option {
            d.options.remove(index(i)?);
        }
        if let Some(OptionLength { index: i, length }) = self.option_length {
            let i = index(i)?;
            d.options[i].length = length & 0x0fff;
        }
        if self.opc.is_none() {
            d.count_options();
        }
        if self.digest.is_none() {
            d.sign(spec.secret.as_deref().unwrap_or_default(), spec.reading);
        }
        Ok(d.encode())
    }

    fn mutate_bytes(&self, built: &mut Built) -> Result<(), BuildError> {
        let len = built.bytes.len();
        if let Some(bit) = self.flip_digest_bit {
            let (start, size) = match built.format {
                Format::V13 => (len.saturating_sub(32), 32),
                Format::V12 => (0, 16),
            };
            let i = bit as usize;
            if i >= size * 8 || start + size > len {
                return Err(BuildError::DigestBit(bit));
            }
            built.bytes[start + i / 8] ^= 0x80 >> (i % 8);
        }
        if let Some(bit) = self.flip_bit {
            let i = bit as usize;
            let byte = built
                .bytes
                .get_mut(i / 8)
                .ok_or(BuildError::Bit { bit, len })?;
            *byte ^= 0x80 >> (i % 8);
        }
        if let Some(n) = self.truncate {
            if n > built.bytes.len() {
                return Err(BuildError::Truncate {
                    cut: n,
                    len: built.bytes.len(),
                });
            }
            built.bytes.truncate(built.bytes.len() - n);
        }
        built.bytes.extend(hex("append", &self.append)?);
        Ok(())
    }
}

/// SplitMix64: a fixed, seedable sequence, so generated cases are the same on every run.
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// `count` variants of `base` of one mutation class, each of which a conformant client ignores.
pub fn generate(base: &Built, class: MutationClass, count: u32, seed: u64) -> Vec<Built> {
    let mut rng = SplitMix::new(seed ^ 0x646D_6E6F_7469);
    let header_bits = match base.format {
        Format::V13 => v13::HEADER_LEN * 8,
        Format::V12 => v12::MIN_LEN * 8,
    };
    (0..count)
        .map(|_| {
            let mut bytes = base.bytes.clone();
            let len = bytes.len();
            match class {
                MutationClass::Truncate => bytes.truncate(rng.below(len)),
                MutationClass::FlipHeaderBit | MutationClass::FlipAnyBit => {
                    let bits = if class == MutationClass::FlipHeaderBit {
                        header_bits.min(len * 8)
                    } else {
                        len * 8
                    };
                    let i = rng.below(bits);
                    bytes[i / 8] ^= 0x80 >> (i % 8);
                }
                MutationClass::ReplaceByte => {
                    let i = rng.below(len);
                    bytes[i] ^= (1 + rng.below(255)) as u8;
                }
                MutationClass::Append => {
                    let n = 1 + rng.below(16);
                    bytes.extend((0..n).map(|_| rng.next_u64() as u8));
                }
            }
            Built {
                format: base.format,
                bytes,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Rule;

    fn ctx(account: &AccountSpec) -> BuildContext<'_> {
        BuildContext {
            account,
            now: 1_700_000_000,
            reading: DigestReading::LiteralColons,
            fresh_session_id: 0x0A01,
            timeout_unit_seconds: 60,
        }
    }

    fn build(spec: MessageSpec) -> Built {
        let account = AccountSpec::default_account();
        spec.build(&ctx(&account)).unwrap()
    }

    #[test]
    fn defaults_make_a_conformant_signed_message() {
        let b = build(MessageSpec::default());
        let m = v13::decode(&b.bytes).unwrap();
        assert_eq!(m.server_id(), Some("com.example.dm"));
        assert_eq!(m.header.session_id.value(), 0x0A01);
        assert_eq!(m.header.timestamp, 1_700_000_000);
        assert_eq!(b.wire_session_id(), Some(0x0A01));
        assert!(
            v13::verify(
                &b.bytes,
                b"dmnoti-notification-secret",
                DigestReading::LiteralColons
            )
            .is_ok()
        );
        let b12 = build(MessageSpec {
            format: Some(Format::V12),
            ..MessageSpec::default()
        });
        let m = v12::decode(&b12.bytes).unwrap();
        assert_eq!(b12.wire_session_id(), Some(m.session_id.value()));
    }

    #[test]
    fn structural_mutations_are_signed_again() {
        let b = build(MessageSpec {
            drop_option: Some(1),
            ..MessageSpec::default()
        });
        assert_eq!(
            v13::decode(&b.bytes).unwrap_err().kind.name(),
            "missing-requested-mo"
        );
        assert!(
            v13::verify(
                &b.bytes,
                b"dmnoti-notification-secret",
                DigestReading::LiteralColons
            )
            .is_ok()
        );
        let b = build(MessageSpec {
            swap_options: Some([0, 1]),
            ..MessageSpec::default()
        });
        assert_eq!(
            v13::decode(&b.bytes).unwrap_err().kind.name(),
            "option-out-of-order"
        );
        let b = build(MessageSpec {
            duplicate_option: Some(0),
            ..MessageSpec::default()
        });
        assert_eq!(
            v13::decode(&b.bytes).unwrap_err().kind.name(),
            "repeated-option"
        );
    }

    #[test]
    fn byte_mutations_are_not() {
        let good = build(MessageSpec::default());
        let b = build(MessageSpec {
            flip_digest_bit: Some(0),
            ..MessageSpec::default()
        });
        assert_eq!(b.bytes.len(), good.bytes.len());
        assert_eq!(
            b.bytes[b.bytes.len() - 32] ^ good.bytes[good.bytes.len() - 32],
            0x80
        );
        assert!(v13::decode(&b.bytes).is_ok());
        let b = build(MessageSpec {
            truncate: Some(1),
            append: Some("ee".into()),
            ..MessageSpec::default()
        });
        assert_eq!(b.bytes.last(), Some(&0xee));
        let b12 = build(MessageSpec {
            format: Some(Format::V12),
            flip_digest_bit: Some(9),
            ..MessageSpec::default()
        });
        let good12 = build(MessageSpec {
            format: Some(Format::V12),
            ..MessageSpec::default()
        });
        assert_eq!(b12.bytes[1] ^ good12.bytes[1], 0x40);
    }

    #[test]
    fn from_overlays_fields() {
        let base = MessageSpec {
            connect_reason: Some("a".into()),
            session_id: Some(5),
            ..MessageSpec::default()
        };
        let top = MessageSpec {
            from: Some("x".into()),
            session_id: Some(6),
            ..MessageSpec::default()
        };
        let merged = top.over(&base);
        assert_eq!(
            (
                merged.connect_reason.as_deref(),
                merged.session_id,
                merged.from
            ),
            (Some("a"), Some(6), None)
        );
    }

    #[test]
    fn generated_variants_are_deterministic_and_all_broken() {
        let base = build(MessageSpec::default());
        for class in [
            MutationClass::Truncate,
            MutationClass::FlipHeaderBit,
            MutationClass::FlipAnyBit,
            MutationClass::ReplaceByte,
            MutationClass::Append,
        ] {
            let a = generate(&base, class, 50, 7);
            assert_eq!(a, generate(&base, class, 50, 7));
            assert_ne!(a, generate(&base, class, 50, 8));
            for v in &a {
                let valid = v13::decode(&v.bytes).is_ok()
                    && v13::verify(
                        &v.bytes,
                        b"dmnoti-notification-secret",
                        DigestReading::LiteralColons,
                    )
                    .is_ok();
                assert!(!valid, "{class:?} left a valid message");
            }
        }
    }

    #[test]
    fn bad_specs_are_refused() {
        assert!(
            MessageSpec {
                format: Some(Format::V12),
                drop_option: Some(0),
                ..MessageSpec::default()
            }
            .check()
            .is_err()
        );
        assert!(
            MessageSpec {
                hex: Some("zz".into()),
                ..MessageSpec::default()
            }
            .check()
            .is_err()
        );
        let account = AccountSpec::default_account();
        assert!(
            MessageSpec {
                drop_option: Some(9),
                ..MessageSpec::default()
            }
            .build(&ctx(&account))
            .is_err()
        );
    }
}
