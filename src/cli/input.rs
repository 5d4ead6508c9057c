//! What users hand the message commands: hex on the command line, a file (binary or hex text), or
//! stdin, bounded; numbers in decimal or `0x` hex.

use crate::codec;
use std::io::Read;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {what}: {error}")]
    Read { what: String, error: std::io::Error },
    #[error("{what}: {error}")]
    Hex {
        what: String,
        error: codec::HexError,
    },
    #[error("{0}")]
    Invalid(String),
}

/// Most bytes read from a file or stdin: far more than any notification, small enough to bound.
pub const MAX_INPUT: u64 = 1 << 20;

/// Reads input as users give it: `-` for stdin, a path to a file (binary, or hex text), or hex on
/// the command line.
pub fn read_input(arg: &str) -> Result<Vec<u8>, InputError> {
    let path = Path::new(arg);
    let (what, bytes) = if arg == "-" {
        ("stdin".to_owned(), bounded(std::io::stdin(), "stdin")?)
    } else if path.is_dir() {
        return Err(InputError::Invalid(format!(
            "{arg} is a directory, not a message"
        )));
    } else if path.exists() {
        let file = std::fs::File::open(path).map_err(|error| InputError::Read {
            what: arg.to_owned(),
            error,
        })?;
        (arg.to_owned(), bounded(file, arg)?)
    } else if arg.contains(['/', '\\']) || arg.starts_with('.') {
        return Err(InputError::Invalid(format!(
            "no such file: {arg} (hex goes on the command line as it is)"
        )));
    } else {
        return codec::parse_hex(arg)
            .map_err(|error| InputError::Hex {
                what: "the hex argument".into(),
                error,
            })
            .and_then(non_empty);
    };
    if looks_like_hex(&bytes) {
        let text = String::from_utf8_lossy(&bytes);
        return codec::parse_hex(&text)
            .map_err(|error| InputError::Hex {
                what: what.clone(),
                error,
            })
            .and_then(non_empty);
    }
    non_empty(bytes)
}

/// All of `input`, refusing more than [`MAX_INPUT`] bytes (never cut silently).
/// An input read both ways: as one message, and as the lines of several (`None` when its lines
/// are not each hex).
pub type BothReadings = (Vec<u8>, Option<Vec<Vec<u8>>>);

/// An input read once, both ways ([`BothReadings`]), for a caller that decides by what it reads
/// (stdin cannot be read twice).
pub fn read_both(arg: &str) -> Result<BothReadings, InputError> {
    let path = Path::new(arg);
    if arg != "-" && !path.is_file() {
        let segments = read_segments(arg).ok();
        return Ok((read_input(arg)?, segments));
    }
    let raw = if arg == "-" {
        bounded(std::io::stdin(), "stdin")?
    } else {
        let file = std::fs::File::open(path).map_err(|error| InputError::Read {
            what: arg.to_owned(),
            error,
        })?;
        bounded(file, arg)?
    };
    let what = if arg == "-" { "stdin" } else { arg };
    if !looks_like_hex(&raw) {
        return Ok((non_empty(raw.clone())?, Some(vec![raw])));
    }
    let text = String::from_utf8_lossy(&raw);
    let whole = codec::parse_hex(&text)
        .map_err(|error| InputError::Hex {
            what: what.to_owned(),
            error,
        })
        .and_then(non_empty)?;
    let segments: Option<Vec<Vec<u8>>> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| codec::parse_hex(l).ok())
        .collect();
    Ok((whole, segments))
}

/// Several messages of one input: SMS TPDUs, one per line (or separated by commas on the command
/// line); a binary file is one.
pub fn read_segments(arg: &str) -> Result<Vec<Vec<u8>>, InputError> {
    let path = Path::new(arg);
    let text = if arg == "-" {
        bounded(std::io::stdin(), "stdin")?
    } else if path.is_file() {
        let file = std::fs::File::open(path).map_err(|error| InputError::Read {
            what: arg.to_owned(),
            error,
        })?;
        bounded(file, arg)?
    } else if arg.contains(['/', '\\']) || arg.starts_with('.') {
        return Err(InputError::Invalid(format!(
            "no such file: {arg} (hex goes on the command line as it is)"
        )));
    } else {
        arg.replace(',', "\n").into_bytes()
    };
    if !looks_like_hex(&text) {
        return non_empty(text).map(|b| vec![b]);
    }
    let segments = String::from_utf8_lossy(&text)
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            codec::parse_hex(l).map_err(|error| InputError::Hex {
                what: format!("line {}", n + 1),
                error,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if segments.is_empty() {
        return Err(InputError::Invalid("the input is empty".into()));
    }
    Ok(segments)
}

fn bounded(input: impl Read, what: &str) -> Result<Vec<u8>, InputError> {
    let mut buf = Vec::new();
    input
        .take(MAX_INPUT + 1)
        .read_to_end(&mut buf)
        .map_err(|error| InputError::Read {
            what: what.to_owned(),
            error,
        })?;
    if buf.len() as u64 > MAX_INPUT {
        return Err(InputError::Invalid(format!(
            "{what} is larger than {MAX_INPUT} bytes, the most a message can be read from"
        )));
    }
    Ok(buf)
}

fn non_empty(bytes: Vec<u8>) -> Result<Vec<u8>, InputError> {
    if bytes.is_empty() {
        Err(InputError::Invalid("the input is empty".into()))
    } else {
        Ok(bytes)
    }
}

fn looks_like_hex(bytes: &[u8]) -> bool {
    !bytes.is_empty()
        && bytes.iter().all(|b| {
            b.is_ascii_hexdigit()
                || b.is_ascii_whitespace()
                || matches!(b, b':' | b'-' | b'x' | b'X')
        })
}

/// Parses `0x1A2B` as hex and `6699` as decimal.
pub fn parse_number(text: &str) -> Result<u64, InputError> {
    let t = text.trim();
    let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16),
        None => t.parse(),
    };
    parsed.map_err(|_| {
        InputError::Invalid(format!(
            "{text:?} is not a number (decimal, or hex with 0x)"
        ))
    })
}

pub fn parse_bounded<T: TryFrom<u64>>(text: &str, what: &str) -> Result<T, InputError> {
    let n = parse_number(text)?;
    T::try_from(n).map_err(|_| InputError::Invalid(format!("{what} {text} is out of range")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_hex_or_decimal() {
        assert_eq!(parse_number("0x3039").unwrap(), 12345);
        assert_eq!(parse_number("12345").unwrap(), 12345);
        assert!(parse_number("zz").is_err());
        assert!(parse_bounded::<u16>("70000", "session id").is_err());
    }
}
