//! The 1.3 message options (6.2, 6.3, 6.5): their numbers, value formats and value rules.
//! `typed_option` is the one place that turns an option's bytes into a value or names the broken
//! rule; the strict and the lenient decoders both call it.

use super::mo::MoIndex;
use super::v13::ErrorKind;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Option numbers of 6.3, in the spec's order.
pub mod number {
    pub const SERVER_ID: u8 = 0b0001;
    pub const TARGETED_MO: u8 = 0b0010;
    pub const REQUESTED_MO: u8 = 0b0011;
    pub const PREFERRED_BEARER: u8 = 0b0100;
    pub const CONNECT_REASON: u8 = 0b0101;
    pub const VENDOR_INFO: u8 = 0b0110;
}

/// The spec's name of an option number, or `None` for numbers 6.3 does not define.
pub fn option_name(number: u8) -> Option<&'static str> {
    Some(match number {
        number::SERVER_ID => "Server-ID",
        number::TARGETED_MO => "Targeted-MO",
        number::REQUESTED_MO => "Requested-MO",
        number::PREFERRED_BEARER => "Preferred-Bearer",
        number::CONNECT_REASON => "Connect-Reason",
        number::VENDOR_INFO => "Vendor-Info",
        _ => return None,
    })
}

/// The subsection of 6.5 that describes an option.
pub fn option_section(number: u8) -> &'static str {
    match number {
        number::SERVER_ID => "6.5.1",
        number::TARGETED_MO => "6.5.2",
        number::VENDOR_INFO => "6.5.3",
        number::REQUESTED_MO => "6.5.4",
        number::CONNECT_REASON => "6.5.5",
        number::PREFERRED_BEARER => "6.5.6",
        _ => "6.3",
    }
}

/// `option 3 (Requested-MO)`, or `option 9 (undefined)`.
pub fn option_label(number: u8) -> String {
    format!(
        "option {number} ({})",
        option_name(number).unwrap_or("undefined")
    )
}

/// Options whose occurrence is One or ZeroOrOne (6.3, 6.5.1, 6.5.3).
pub fn at_most_once(number: u8) -> bool {
    matches!(
        number,
        number::SERVER_ID | number::CONNECT_REASON | number::VENDOR_INFO
    )
}

/// Preferred-Bearer values (6.5.6), in the spec's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bearer {
    NotSpecified,
    #[serde(rename = "3gpp-circuit-switched")]
    ThreeGppCircuitSwitched,
    #[serde(rename = "3gpp-packet-switched")]
    ThreeGppPacketSwitched,
    #[serde(rename = "3gpp-lte")]
    ThreeGppLte,
    #[serde(rename = "3gpp2-cdma-packet-data")]
    ThreeGpp2CdmaPacketData,
    Wimax,
    Wlan,
    Dsl,
    Ethernet,
    Bluetooth,
    Irda,
    Local,
}

impl Bearer {
    pub const ALL: [Bearer; 12] = [
        Bearer::NotSpecified,
        Bearer::ThreeGppCircuitSwitched,
        Bearer::ThreeGppPacketSwitched,
        Bearer::ThreeGppLte,
        Bearer::ThreeGpp2CdmaPacketData,
        Bearer::Wimax,
        Bearer::Wlan,
        Bearer::Dsl,
        Bearer::Ethernet,
        Bearer::Bluetooth,
        Bearer::Irda,
        Bearer::Local,
    ];

    /// `None` outside 0x00-0x0B.
    pub fn from_u8(value: u8) -> Option<Bearer> {
        Bearer::ALL.get(usize::from(value)).copied()
    }

    pub fn value(self) -> u8 {
        self as u8
    }

    pub fn meaning(self) -> &'static str {
        match self {
            Bearer::NotSpecified => "not specified",
            Bearer::ThreeGppCircuitSwitched => "3GPP_CIRCUIT_SWITCHED",
            Bearer::ThreeGppPacketSwitched => "3GPP_PACKET_SWITCHED",
            Bearer::ThreeGppLte => "3GPP_LTE",
            Bearer::ThreeGpp2CdmaPacketData => "3GPP2_CDMA_PACKET_DATA",
            Bearer::Wimax => "WIMAX",
            Bearer::Wlan => "WLAN",
            Bearer::Dsl => "DSL",
            Bearer::Ethernet => "ETHERNET",
            Bearer::Bluetooth => "Bluetooth",
            Bearer::Irda => "IrDA",
            Bearer::Local => "LOCAL (DM Server on Smart Card)",
        }
    }
}

/// One option of a 1.3 message with its value (6.5). Strings borrow from the received bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NotiOption<'a> {
    ServerId(Cow<'a, str>),
    TargetedMo(MoIndex),
    RequestedMo(MoIndex),
    PreferredBearer(Bearer),
    ConnectReason(Cow<'a, str>),
    VendorInfo(Cow<'a, str>),
}

impl<'a> NotiOption<'a> {
    pub fn number(&self) -> u8 {
        match self {
            NotiOption::ServerId(_) => number::SERVER_ID,
            NotiOption::TargetedMo(_) => number::TARGETED_MO,
            NotiOption::RequestedMo(_) => number::REQUESTED_MO,
            NotiOption::PreferredBearer(_) => number::PREFERRED_BEARER,
            NotiOption::ConnectReason(_) => number::CONNECT_REASON,
            NotiOption::VendorInfo(_) => number::VENDOR_INFO,
        }
    }

    /// Appends the option value's bytes. Uint MO indexes are written in two bytes, the width of
    /// the registry's indexes; the decoder accepts one or two (6.3).
    pub fn encode_value(&self, out: &mut Vec<u8>) {
        match self {
            NotiOption::ServerId(s) | NotiOption::ConnectReason(s) | NotiOption::VendorInfo(s) => {
                out.extend_from_slice(s.as_bytes())
            }
            NotiOption::TargetedMo(mo) | NotiOption::RequestedMo(mo) => {
                out.extend_from_slice(&mo.0.to_be_bytes())
            }
            NotiOption::PreferredBearer(b) => out.push(b.value()),
        }
    }

    pub fn into_owned(self) -> NotiOption<'static> {
        match self {
            NotiOption::ServerId(s) => NotiOption::ServerId(Cow::Owned(s.into_owned())),
            NotiOption::TargetedMo(m) => NotiOption::TargetedMo(m),
            NotiOption::RequestedMo(m) => NotiOption::RequestedMo(m),
            NotiOption::PreferredBearer(b) => NotiOption::PreferredBearer(b),
            NotiOption::ConnectReason(s) => NotiOption::ConnectReason(Cow::Owned(s.into_owned())),
            NotiOption::VendorInfo(s) => NotiOption::VendorInfo(Cow::Owned(s.into_owned())),
        }
    }

    /// The value as a person reads it: `"com.example"`, `0x000B DevDetail 1.1`, `0x06 WLAN`.
    pub fn describe_value(&self) -> String {
        match self {
            NotiOption::ServerId(s) | NotiOption::ConnectReason(s) | NotiOption::VendorInfo(s) => {
                format!("{s:?}")
            }
            NotiOption::TargetedMo(mo) | NotiOption::RequestedMo(mo) => mo.to_string(),
            NotiOption::PreferredBearer(b) => format!("0x{:02X} {}", b.value(), b.meaning()),
        }
    }
}

/// Largest Server-ID: its length "MUST be equal or less than 8 bits" (6.5.1; erratum 4 of
/// docs/spec-notes.md: the table's 256 cannot be written in 8 bits).
pub const SERVER_ID_MAX: usize = 255;

/// Reads an option value by the format of its number (6.2.3, 6.3, 6.5), or names the rule it breaks.
// Inlined so its result is not written to memory and read back wider (a store-forwarding stall
// that cost half of a decode).
#[inline(always)]
pub fn typed_option(number: u8, value: &[u8]) -> Result<NotiOption<'_>, ErrorKind> {
    let len = value.len();
    match number {
        number::SERVER_ID => {
            if len > SERVER_ID_MAX {
                return Err(ErrorKind::ServerIdTooLong { length: len });
            }
            string(number, value).map(NotiOption::ServerId)
        }
        number::TARGETED_MO => uint16(number, value).map(|v| NotiOption::TargetedMo(MoIndex(v))),
        number::REQUESTED_MO => uint16(number, value).map(|v| NotiOption::RequestedMo(MoIndex(v))),
        number::PREFERRED_BEARER => match value {
            [v] => Bearer::from_u8(*v)
                .map(NotiOption::PreferredBearer)
                .ok_or(ErrorKind::BearerOutOfRange { value: *v }),
            _ => Err(ErrorKind::BadUintLength {
                number,
                length: len,
            }),
        },
        number::CONNECT_REASON => string(number, value).map(NotiOption::ConnectReason),
        number::VENDOR_INFO => string(number, value).map(NotiOption::VendorInfo),
        _ => Err(ErrorKind::UnknownOption { number }),
    }
}

#[inline]
fn string(number: u8, value: &[u8]) -> Result<Cow<'_, str>, ErrorKind> {
    if value.is_empty() {
        return Err(ErrorKind::EmptyString { number });
    }
    std::str::from_utf8(value)
        .map(Cow::Borrowed)
        .map_err(|e| ErrorKind::InvalidUtf8 {
            number,
            at: e.valid_up_to(),
        })
}

#[inline]
fn uint16(number: u8, value: &[u8]) -> Result<u16, ErrorKind> {
    match value {
        [b] => Ok(u16::from(*b)),
        [hi, lo] => Ok(u16::from_be_bytes([*hi, *lo])),
        _ => Err(ErrorKind::BadUintLength {
            number,
            length: value.len(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_values_are_the_spec_table() {
        for (i, b) in Bearer::ALL.iter().enumerate() {
            assert_eq!(usize::from(b.value()), i);
        }
        assert_eq!(Bearer::from_u8(0x06), Some(Bearer::Wlan));
        assert_eq!(Bearer::from_u8(0x0C), None);
    }

    #[test]
    fn uint_options_take_one_or_two_bytes() {
        assert_eq!(
            typed_option(3, &[0x0B]),
            Ok(NotiOption::RequestedMo(MoIndex(0x0B)))
        );
        assert_eq!(
            typed_option(2, &[0x00, 0x27]),
            Ok(NotiOption::TargetedMo(MoIndex::FUMO))
        );
        assert_eq!(
            typed_option(3, &[]),
            Err(ErrorKind::BadUintLength {
                number: 3,
                length: 0
            })
        );
        assert_eq!(
            typed_option(3, &[0, 0, 0x0B]),
            Err(ErrorKind::BadUintLength {
                number: 3,
                length: 3
            })
        );
    }

    #[test]
    fn strings_are_utf8_and_non_empty() {
        assert_eq!(
            typed_option(1, "dm-é".as_bytes()),
            Ok(NotiOption::ServerId("dm-é".into()))
        );
        assert_eq!(
            typed_option(5, &[b'a', 0xff]),
            Err(ErrorKind::InvalidUtf8 { number: 5, at: 1 })
        );
        assert_eq!(
            typed_option(6, &[]),
            Err(ErrorKind::EmptyString { number: 6 })
        );
        assert_eq!(
            typed_option(1, &[b'a'; 256]),
            Err(ErrorKind::ServerIdTooLong { length: 256 })
        );
        assert!(typed_option(1, &[b'a'; 255]).is_ok());
    }
}
