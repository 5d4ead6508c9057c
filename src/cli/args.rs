//! The clap value enums shared by several subcommands, and their conversions into the library's
//! types: the one place where the command line's words meet the library's.

use crate::codec::digest::DigestReading;
use crate::codec::{self};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TimeoutUnitArg {
    Minutes,
    Days,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputKind {
    Auto,
    V13,
    V12,
    Wsp,
    Http,
    Sip,
    /// SMS TPDUs (SMS-DELIVER or SMS-SUBMIT) carrying a WAP push, one per line.
    Sms,
}

#[derive(Debug, Args)]
pub struct KeyArgs {
    /// 1.3 server secret (AAuthSecret of NOTICRED, else SRVCRED), as text.
    #[arg(long, conflicts_with = "secret_hex")]
    pub secret: Option<String>,
    /// 1.3 server secret as hex.
    #[arg(long)]
    pub secret_hex: Option<String>,
    /// How the 1.3 digest formula is read.
    #[arg(long, value_enum, default_value = "literal-colons")]
    pub reading: ReadingArg,
    /// 1.2 server password, as text.
    #[arg(long, conflicts_with = "password_hex")]
    pub password: Option<String>,
    /// 1.2 server password as hex.
    #[arg(long)]
    pub password_hex: Option<String>,
    /// 1.2 server nonce, as hex (raw bytes).
    #[arg(long)]
    pub nonce: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReadingArg {
    LiteralColons,
    NoColons,
    HmacSha256,
}

impl From<ReadingArg> for DigestReading {
    fn from(r: ReadingArg) -> Self {
        match r {
            ReadingArg::LiteralColons => DigestReading::LiteralColons,
            ReadingArg::NoColons => DigestReading::NoColons,
            ReadingArg::HmacSha256 => DigestReading::HmacSha256,
        }
    }
}

impl KeyArgs {
    pub(super) fn secret(&self) -> Result<Option<Vec<u8>>> {
        bytes_arg(&self.secret, &self.secret_hex, "--secret-hex")
    }

    pub(super) fn password(&self) -> Result<Option<Vec<u8>>> {
        bytes_arg(&self.password, &self.password_hex, "--password-hex")
    }

    pub(super) fn nonce(&self) -> Result<Option<Vec<u8>>> {
        self.nonce
            .as_deref()
            .map(|n| codec::parse_hex(n).context("--nonce"))
            .transpose()
    }
}

pub(super) fn bytes_arg(
    text: &Option<String>,
    hex: &Option<String>,
    name: &str,
) -> Result<Option<Vec<u8>>> {
    Ok(match (text, hex) {
        (Some(t), _) => Some(t.as_bytes().to_vec()),
        (None, Some(h)) => Some(codec::parse_hex(h).with_context(|| name.to_owned())?),
        (None, None) => None,
    })
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    #[value(name = "1.3")]
    V13,
    #[value(name = "1.2")]
    V12,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum UiModeArg {
    NotSpecified,
    Background,
    Informative,
    UserInteraction,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum InitiatorArg {
    User,
    Server,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TransportArg {
    NotSpecified,
    Http,
    Https,
    Obex,
    Wsp,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OutputArg {
    Hex,
    Raw,
}
