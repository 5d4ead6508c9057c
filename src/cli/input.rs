//! What users hand the message commands: hex on the command line, a file (binary or hex text), or
//! stdin, bounded; numbers in decimal or `0x` hex.

use crate::codec;
use std::io::Read;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {what}: {source}")]
    Read {
        what: String,
        source: std::io::Error,
    },
    #[error("{what}: {source}")]
    Hex {
        what: String,
        source: codec::HexError,
    },
    #[error("{0}")]
    Invalid(String),
}

/// Most bytes read from a file or stdin: far more than any notification, small enough to bound.
pub const MAX_INPUT: u64 = 1 << 20;

/// Reads input as users give it: `-` for stdin, a path to a file (binary, or hex text), or hex on
/// the command line.
pub fn read_input(arg: &str) -> Result<Vec<u8>, InputError> {
    let (what, bytes) = if arg == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .take(MAX_INPUT)
            .read_to_end(&mut buf)
            .map_err(|source| InputError::Read {
                what: "stdin".into(),
                source,
            })?;
        ("stdin".to_owned(), buf)
    } else if Path::new(arg).is_file() {
        let mut buf = Vec::new();
        std::fs::File::open(arg)
            .and_then(|f| f.take(MAX_INPUT).read_to_end(&mut buf))
            .map_err(|source| InputError::Read {
                what: arg.to_owned(),
                source,
            })?;
        (arg.to_owned(), buf)
    } else {
        return codec::parse_hex(arg)
            .map_err(|source| InputError::Hex {
                what: "the hex argument".into(),
                source,
            })
            .and_then(non_empty);
    };
    if looks_like_hex(&bytes) {
        let text = String::from_utf8_lossy(&bytes);
        return codec::parse_hex(&text)
            .map_err(|source| InputError::Hex {
                what: what.clone(),
                source,
            })
            .and_then(non_empty);
    }
    non_empty(bytes)
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
