//! SESSIONID (6.4.8): a non-zero 16-bit value, and its mapping into the SessionID element of the
//! DM session the client opens: upper-case hex, 1 to 4 digits, no leading zeros, zero never used.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::num::NonZeroU16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionId(NonZeroU16);

impl SessionId {
    /// Whether `value`'s two bytes are equal (0x0A0A): it reads the same in either byte order,
    /// so a byte-order defect does not show by it.
    pub const fn same_either_way(value: u16) -> bool {
        value.swap_bytes() == value
    }

    /// `None` for zero, which "MUST NOT be used" (6.4.8).
    pub const fn new(value: u16) -> Option<SessionId> {
        match NonZeroU16::new(value) {
            Some(v) => Some(SessionId(v)),
            None => None,
        }
    }

    pub fn value(self) -> u16 {
        self.0.get()
    }

    /// The string a client puts in SessionID of Package #1 (6.4.8): `%X`.
    pub fn to_package1(self) -> String {
        format!("{:X}", self.0.get())
    }

    /// Strict reading of what a client sent as SessionID, for checking it against 6.4.8.
    pub fn parse_package1(text: &str) -> Result<SessionId, SessionIdError> {
        if text.is_empty() {
            return Err(SessionIdError::Empty);
        }
        if text.len() > 4 {
            return Err(SessionIdError::TooLong(text.len()));
        }
        if let Some(c) = text.chars().find(|c| !c.is_ascii_hexdigit()) {
            return Err(SessionIdError::NotHex(c));
        }
        if text.chars().any(|c| c.is_ascii_lowercase()) {
            return Err(SessionIdError::LowerCase);
        }
        if text == "0" {
            return Err(SessionIdError::Zero);
        }
        if text.starts_with('0') {
            return Err(SessionIdError::LeadingZero);
        }
        u16::from_str_radix(text, 16)
            .ok()
            .and_then(SessionId::new)
            .ok_or(SessionIdError::Zero)
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:04X}", self.0.get())
    }
}

/// Why a Package #1 SessionID string breaks 6.4.8.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionIdError {
    #[error("empty SessionID; 6.4.8 requires 1 to 4 hex digits")]
    Empty,
    #[error("{0} characters; 6.4.8 allows 1 to 4 hex digits")]
    TooLong(usize),
    #[error("{0:?} is not a hex digit (6.4.8)")]
    NotHex(char),
    #[error("lower-case hex digits; 6.4.8 requires upper-case A-F")]
    LowerCase,
    #[error("leading zeros MUST NOT be included (6.4.8)")]
    LeadingZero,
    #[error("a SessionID of zero MUST NOT be used (6.4.8)")]
    Zero,
}

impl SessionIdError {
    pub fn name(&self) -> &'static str {
        match self {
            SessionIdError::Empty => "empty",
            SessionIdError::TooLong(_) => "too-long",
            SessionIdError::NotHex(_) => "not-hex",
            SessionIdError::LowerCase => "lower-case",
            SessionIdError::LeadingZero => "leading-zero",
            SessionIdError::Zero => "zero",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case(0x0001, "1")]
    #[case(0x00AB, "AB")]
    #[case(0x0ABC, "ABC")]
    #[case(0x3039, "3039")]
    #[case(0xFFFF, "FFFF")]
    fn maps_to_upper_hex_without_leading_zeros(#[case] value: u16, #[case] text: &str) {
        let id = SessionId::new(value).unwrap();
        assert_eq!(id.to_package1(), text);
        assert_eq!(SessionId::parse_package1(text), Ok(id));
    }

    #[rstest]
    #[case("", SessionIdError::Empty)]
    #[case("10000", SessionIdError::TooLong(5))]
    #[case("00AB", SessionIdError::LeadingZero)]
    #[case("0", SessionIdError::Zero)]
    #[case("ab", SessionIdError::LowerCase)]
    #[case("12345", SessionIdError::TooLong(5))]
    #[case("12G", SessionIdError::NotHex('G'))]
    #[case("+1", SessionIdError::NotHex('+'))]
    fn strict_parser_names_the_rule(#[case] text: &str, #[case] error: SessionIdError) {
        assert_eq!(SessionId::parse_package1(text), Err(error));
    }

    #[test]
    fn zero_is_not_a_session_id() {
        assert_eq!(SessionId::new(0), None);
    }

    proptest! {
        #[test]
        fn every_session_id_round_trips(v in 1u16..) {
            let id = SessionId::new(v).unwrap();
            prop_assert_eq!(SessionId::parse_package1(&id.to_package1()), Ok(id));
        }
    }
}
