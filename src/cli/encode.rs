//! `dmnoti encode`: a message from field values, conformant by default or wrong on purpose.

use super::args::*;
use super::input::parse_bounded;
use super::*;
use crate::codec::build::{self, EncodeSpec, Framing};
use crate::codec::{self, Format, Initiator, Transport, UiMode};
use anyhow::{Context, Result, bail};
use clap::Args;
use std::io::Write;

#[derive(Debug, Args)]
pub struct EncodeArgs {
    #[arg(long, value_enum, default_value = "1.3")]
    pub format: FormatArg,
    #[arg(long)]
    pub server_id: String,
    /// SESSIONID, decimal or 0x-hex (0 builds a wrong message).
    #[arg(long, default_value = "1")]
    pub session_id: String,
    #[arg(long, value_enum, default_value = "not-specified")]
    pub ui_mode: UiModeArg,
    #[arg(long, value_enum, default_value = "server")]
    pub initiator: InitiatorArg,
    #[arg(long, value_enum, default_value = "not-specified")]
    pub transport: TransportArg,
    /// TIMEOUT in minutes (0: none).
    #[arg(long, default_value = "0")]
    pub timeout: String,
    /// TIMESTAMP, POSIX seconds; the current time when absent.
    #[arg(long)]
    pub timestamp: Option<String>,
    /// Requested-MO index (repeatable); 0x000B DevDetail when none is given.
    #[arg(long)]
    pub requested_mo: Vec<String>,
    /// Targeted-MO index (repeatable).
    #[arg(long)]
    pub targeted_mo: Vec<String>,
    /// Preferred-Bearer value (repeatable, in priority order).
    #[arg(long)]
    pub bearer: Vec<String>,
    #[arg(long)]
    pub connect_reason: Option<String>,
    #[arg(long)]
    pub vendor_info: Option<String>,
    /// An option appended as given: NUMBER:HEXVALUE (repeatable).
    #[arg(long)]
    pub raw_option: Vec<String>,
    #[command(flatten)]
    pub keys: KeyArgs,
    /// 1.2 vendor-specific body, hex.
    #[arg(long)]
    pub vendor_body: Option<String>,
    /// Raw VER (1.3) or V (1.2) value.
    #[arg(long)]
    pub version: Option<String>,
    /// Raw OPC value.
    #[arg(long)]
    pub opc: Option<String>,
    /// Raw RESERVED (1.3) or FUTURE (1.2) bits.
    #[arg(long)]
    pub reserved: Option<String>,
    /// Raw TRA bits.
    #[arg(long)]
    pub transport_bits: Option<String>,
    /// Digest bytes as hex, instead of computing them.
    #[arg(long)]
    pub digest: Option<String>,
    /// Bytes appended after the digest, hex.
    #[arg(long)]
    pub append: Option<String>,
    /// Bytes cut off the end.
    #[arg(long, default_value_t = 0)]
    pub truncate: usize,
    /// Frame as a connectionless WAP push PDU.
    #[arg(long, conflicts_with_all = ["http", "http_plain", "sip"])]
    pub wsp: bool,
    /// Frame as an OTA-HTTP push request.
    #[arg(long, conflicts_with_all = ["http_plain", "sip"])]
    pub http: bool,
    /// Frame as a plain HTTP POST of the notification.
    #[arg(long, conflicts_with = "sip")]
    pub http_plain: bool,
    /// Frame as a SIP MESSAGE (7.3): the text a SIP push over UDP carries.
    #[arg(long, conflicts_with = "sms")]
    pub sip: bool,
    /// Frame as the SMS TPDUs of a WAP push (7.1 over SMS, WAP-259): SMS-DELIVER (what a handset
    /// receives, what a modem or an emulator injects) or SMS-SUBMIT (what a sender hands an SMSC),
    /// one hex line per TPDU, concatenated when the push does not fit one.
    #[arg(long, value_enum, conflicts_with_all = ["wsp", "http", "http_plain"])]
    pub sms: Option<SmsArg>,
    /// SMS: the originating (deliver) or destination (submit) number.
    #[arg(long, default_value = "+15550100", requires = "sms")]
    pub sms_address: String,
    /// SMS: the destination port, when not WAP push's 2948 (wrong on purpose).
    #[arg(long, requires = "sms")]
    pub sms_port: Option<u16>,
    /// SMS: TP-DCS, hex, when not 8-bit data (04); 00 is the 7-bit alphabet (wrong on purpose).
    #[arg(long, requires = "sms")]
    pub sms_dcs: Option<String>,
    /// SMS: the concatenation reference.
    #[arg(long, default_value_t = 1, requires = "sms")]
    pub sms_reference: u16,
    /// SMS: a 16-bit concatenation reference (IEI 0x08) even when it fits 8 bits.
    #[arg(long, requires = "sms")]
    pub sms_16bit_reference: bool,
    /// SMS: leave segment N out (wrong on purpose).
    #[arg(long, requires = "sms")]
    pub sms_drop: Option<usize>,
    /// SMS: send segment N twice (wrong on purpose).
    #[arg(long, requires = "sms")]
    pub sms_duplicate: Option<usize>,
    /// SMS: the segments last first (out of order: a receiver reassembles them anyway).
    #[arg(long, requires = "sms")]
    pub sms_reverse: bool,
    /// WSP transaction id.
    #[arg(long, default_value = "1")]
    pub tid: String,
    #[arg(long, value_enum, default_value = "hex")]
    pub output: OutputArg,
    /// Build the message even when its fields break a rule of section 6 (the raw overrides above
    /// imply it: they are wrong on purpose).
    #[arg(long)]
    pub nonconformant: bool,
}

impl EncodeArgs {
    /// Whether the command line asks for a wrong message on purpose.
    fn wrong_on_purpose(&self) -> bool {
        self.nonconformant
            || self.version.is_some()
            || self.opc.is_some()
            || self.reserved.is_some()
            || self.transport_bits.is_some()
            || self.digest.is_some()
            || self.append.is_some()
            || self.truncate > 0
            || !self.raw_option.is_empty()
    }
}

fn hex_arg(value: &Option<String>, name: &str) -> Result<Vec<u8>> {
    value
        .as_deref()
        .map(|v| codec::parse_hex(v).with_context(|| name.to_owned()))
        .transpose()
        .map(Option::unwrap_or_default)
}

fn numbers<T: TryFrom<u64>>(values: &[String], what: &str) -> Result<Vec<T>> {
    values.iter().map(|v| Ok(parse_bounded(v, what)?)).collect()
}

fn optional<T: TryFrom<u64>>(value: &Option<String>, what: &str) -> Result<Option<T>> {
    value
        .as_deref()
        .map(|v| Ok(parse_bounded(v, what)?))
        .transpose()
}

pub(super) fn encode(args: &EncodeArgs) -> Result<u8> {
    let raw_options = args
        .raw_option
        .iter()
        .map(|o| {
            let (n, v) = o
                .split_once(':')
                .with_context(|| format!("--raw-option {o:?}: expected NUMBER:HEX"))?;
            let n: u8 = parse_bounded(n, "option number")?;
            if n > 15 {
                bail!("--raw-option {o:?}: option numbers have 4 bits");
            }
            Ok((
                n,
                codec::parse_hex(v).with_context(|| format!("--raw-option {o:?}"))?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs().min(u64::from(u32::MAX)) as u32)
        .unwrap_or(0);
    let spec = EncodeSpec {
        format: Some(match args.format {
            FormatArg::V13 => Format::V13,
            FormatArg::V12 => Format::V12,
        }),
        server_id: args.server_id.clone(),
        session_id: parse_bounded(&args.session_id, "session id")?,
        ui_mode: match args.ui_mode {
            UiModeArg::NotSpecified => UiMode::NotSpecified,
            UiModeArg::Background => UiMode::Background,
            UiModeArg::Informative => UiMode::Informative,
            UiModeArg::UserInteraction => UiMode::UserInteraction,
        },
        initiator: Some(match args.initiator {
            InitiatorArg::User => Initiator::User,
            InitiatorArg::Server => Initiator::Server,
        }),
        transport: Some(match args.transport {
            TransportArg::NotSpecified => Transport::NotSpecified,
            TransportArg::Http => Transport::Http,
            TransportArg::Https => Transport::Https,
            TransportArg::Obex => Transport::Obex,
            TransportArg::Wsp => Transport::Wsp,
        }),
        timeout: parse_bounded(&args.timeout, "timeout")?,
        timestamp: optional(&args.timestamp, "timestamp")?.unwrap_or(now),
        requested_mo: numbers(&args.requested_mo, "Requested-MO")?,
        targeted_mo: numbers(&args.targeted_mo, "Targeted-MO")?,
        bearers: numbers(&args.bearer, "Preferred-Bearer")?,
        connect_reason: args.connect_reason.clone(),
        vendor_info: args.vendor_info.clone(),
        raw_options,
        secret: args.keys.secret()?,
        reading: args.keys.reading.into(),
        password: args.keys.password()?,
        nonce: args.keys.nonce()?.unwrap_or_default(),
        vendor_body: hex_arg(&args.vendor_body, "--vendor-body")?,
        version: optional(&args.version, "version")?,
        opc: optional(&args.opc, "OPC")?,
        reserved: optional(&args.reserved, "reserved bits")?,
        transport_bits: optional(&args.transport_bits, "TRA bits")?,
        digest: args
            .digest
            .as_deref()
            .map(|d| codec::parse_hex(d).context("--digest"))
            .transpose()?,
        append: hex_arg(&args.append, "--append")?,
        truncate: args.truncate,
        framing: if args.wsp {
            Framing::Wsp
        } else if args.http {
            Framing::OtaHttp
        } else if args.http_plain {
            Framing::PlainHttp
        } else if args.sip {
            Framing::Sip
        } else if args.sms.is_some() {
            Framing::Wsp
        } else {
            Framing::None
        },
        tid: parse_bounded(&args.tid, "TID")?,
    };
    // The library says what is missing; the command line says which flag gives it.
    let bytes = build::encode(&spec).map_err(|e| match e {
        build::EncodeError::NoSecret => anyhow::anyhow!(
            "a 1.3 message needs --secret (or --secret-hex) to compute its digest, or --digest to set it"
        ),
        build::EncodeError::NoPassword => anyhow::anyhow!(
            "a 1.2 message needs --password (and --nonce) to compute its digest, or --digest to set it"
        ),
        other => other.into(),
    })?;
    if !args.wrong_on_purpose() {
        // The bare message, framing aside, judged by the strict decoder of its format.
        let bare = build::encode(&build::EncodeSpec {
            framing: Framing::None,
            ..spec.clone()
        })?;
        let broken = match spec.format.unwrap_or(Format::V13) {
            Format::V13 => crate::codec::v13::decode(&bare)
                .err()
                .map(|e| e.to_string()),
            Format::V12 => crate::codec::v12::decode(&bare)
                .err()
                .map(|e| e.to_string()),
        };
        if let Some(e) = broken {
            bail!("the message breaks a rule: {e} (give --nonconformant to build it anyway)");
        }
    }
    let mut out = std::io::stdout();
    if let Some(direction) = args.sms {
        let tpdus = sms_segments(args, direction, &bytes)?;
        match args.output {
            OutputArg::Hex => {
                for t in &tpdus {
                    writeln!(out, "{}", codec::hex(t))?;
                }
            }
            OutputArg::Raw if tpdus.len() == 1 => out.write_all(&tpdus[0])?,
            OutputArg::Raw => bail!(
                "--output raw writes one TPDU; this push takes {} segments: use hex, one per line",
                tpdus.len()
            ),
        }
        return Ok(EXIT_OK);
    }
    match args.output {
        OutputArg::Hex => writeln!(out, "{}", codec::hex(&bytes))?,
        OutputArg::Raw => out.write_all(&bytes)?,
    }
    Ok(EXIT_OK)
}

/// Which SMS TPDU `--sms` builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SmsArg {
    Deliver,
    Submit,
}

/// The TPDUs of the WAP push `pdu`, with the wrong-on-purpose changes asked for.
fn sms_segments(args: &EncodeArgs, direction: SmsArg, pdu: &[u8]) -> Result<Vec<Vec<u8>>> {
    use crate::codec::sms;
    let mut spec = sms::SmsSpec::new(match direction {
        SmsArg::Deliver => sms::Direction::Deliver,
        SmsArg::Submit => sms::Direction::Submit,
    });
    if !args
        .sms_address
        .trim_start_matches('+')
        .bytes()
        .all(|b| b.is_ascii_digit())
    {
        bail!(
            "--sms-address {:?}: digits, with an optional leading +",
            args.sms_address
        );
    }
    spec.address = sms::Address::number(&args.sms_address);
    if let Some(p) = args.sms_port {
        spec.destination_port = p;
    }
    if let Some(d) = &args.sms_dcs {
        let b = codec::parse_hex(d).context("--sms-dcs")?;
        let [dcs] = b[..] else {
            bail!("--sms-dcs takes one byte of hex, as 04 or 00");
        };
        spec.dcs = dcs;
    }
    spec.reference = args.sms_reference;
    spec.reference_16 = args.sms_16bit_reference;
    let mut tpdus = sms::encode(&spec, pdu);
    let n = tpdus.len();
    let segment = |k: usize, flag: &str| -> Result<usize> {
        if k == 0 || k > n {
            bail!("{flag} {k}: the push has segments 1 to {n}");
        }
        Ok(k - 1)
    };
    if let Some(k) = args.sms_duplicate {
        let i = segment(k, "--sms-duplicate")?;
        let again = tpdus[i].clone();
        tpdus.push(again);
    }
    if let Some(k) = args.sms_drop {
        let i = segment(k, "--sms-drop")?;
        tpdus.remove(i);
    }
    if args.sms_reverse {
        tpdus.reverse();
    }
    Ok(tpdus)
}
