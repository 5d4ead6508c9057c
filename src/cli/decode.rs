//! `dmnoti decode` (alias `explain`): a field-by-field breakdown of a message.

use super::args::*;
use super::input;
use super::*;
use crate::explain::{self, Input, Keys};
use anyhow::Result;
use clap::Args;
use std::io::Write;

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// Hex on the command line, a file (binary or hex text), or - for stdin.
    pub input: String,
    /// What the input is; detected when auto.
    #[arg(long = "as", value_enum, default_value = "auto")]
    pub input_kind: InputKind,
    #[command(flatten)]
    pub keys: KeyArgs,
    /// Key the 1.2 digest with this name (SRVCRED AAuthName) instead of the message's ServerID.
    #[arg(long)]
    pub digest_server_id: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub(super) fn decode(args: &DecodeArgs) -> Result<u8> {
    let mut input_kind = args.input_kind;
    let segments = match input_kind {
        InputKind::Sms => input::read_segments(&args.input)?,
        // SMS TPDUs are taken for what they are when they read as the WAP push of one message
        // (a single TPDU, or several, one per line); anything else as before.
        // Read once (stdin cannot be read twice), then taken as what it reads as.
        InputKind::Auto => match input::read_both(&args.input)? {
            (_, Some(segs))
                if {
                    let refs: Vec<&[u8]> = segs.iter().map(Vec::as_slice).collect();
                    crate::codec::sms::decode_push(&refs, None).is_ok()
                } =>
            {
                input_kind = InputKind::Sms;
                segs
            }
            (whole, _) => vec![whole],
        },
        _ => vec![input::read_input(&args.input)?],
    };
    let bytes = segments.concat();
    if args.keys.password()?.is_some() && args.keys.nonce()?.is_none() {
        bail!(
            "--password needs --nonce: the 1.2 digest is keyed with the server nonce (SRVCRED AAuthData, hex)"
        );
    }
    let v12 = match input_kind {
        InputKind::V12 => true,
        InputKind::Auto => crate::codec::detect(&bytes) == crate::codec::Detected::V12,
        _ => false,
    };
    if v12 && args.keys.secret()?.is_some() {
        bail!("--secret is the 1.3 key; this is a 1.2 message, keyed with --password and --nonce");
    }
    let keys = Keys {
        secret: args.keys.secret()?,
        reading: args.keys.reading.into(),
        password: args.keys.password()?,
        nonce: args.keys.nonce()?,
        server_id_override: args
            .digest_server_id
            .as_ref()
            .map(|s| s.as_bytes().to_vec()),
    };
    let input = match input_kind {
        InputKind::Auto => Input::Auto,
        InputKind::V13 => Input::V13,
        InputKind::V12 => Input::V12,
        InputKind::Wsp => Input::Wsp,
        InputKind::Http => Input::Http,
        InputKind::Sip => Input::Sip,
        InputKind::Sms => Input::Wsp,
    };
    let e = match input_kind {
        InputKind::Sms => explain::explain_sms(&segments, &keys),
        _ => explain::explain(&bytes, input, &keys),
    };
    // Bare bytes that read cleanly as neither format: both readings, the better first.
    let detected = crate::codec::detect(&bytes);
    let both = (input_kind == InputKind::Auto
        && matches!(
            detected,
            crate::codec::Detected::V12 | crate::codec::Detected::V13
        ))
    .then(|| crate::codec::Readings::of(&bytes))
    .filter(|r| r.neither_clean());
    let text = if args.json {
        serde_json::to_string_pretty(&e)? + "\n"
    } else if let Some(r) = both {
        let (first, other, other_input) = match r.better() {
            crate::codec::Format::V12 => ("1.2", "1.3", Input::V13),
            crate::codec::Format::V13 => ("1.3", "1.2", Input::V12),
        };
        let say = |name: &str, reading: crate::codec::Reading| {
            format!(
                "as {name} it breaks {} rule(s), {}",
                reading.violations,
                if reading.structure {
                    "every length fitting the bytes"
                } else {
                    "with lengths that do not fit the bytes"
                }
            )
        };
        format!(
            "note: the bytes read cleanly as neither format: {}; {}. The {first} reading explains more and is shown first; the {other} reading follows (give --as to choose one).\n{}\n--- the {other} reading ---\n{}",
            say("1.2", r.v12),
            say("1.3", r.v13),
            e.to_text(),
            explain::explain(&bytes, other_input, &keys).to_text()
        )
    } else {
        e.to_text()
    };
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(if e.conformant { EXIT_OK } else { EXIT_FAIL })
}
