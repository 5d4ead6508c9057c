//! Header fields whose values the spec enumerates: I (6.4.3), UIM (6.4.4), TRA (6.4.5).
//! UIM and I have the same values in the 1.2 trigger. Variants are in the spec's order.

use serde::{Deserialize, Serialize};

/// Initiator of the management action (6.4.3), 1 bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Initiator {
    /// 0: the end user caused the session to start.
    User,
    /// 1: the DM Server caused the session to start.
    Server,
}

impl Initiator {
    pub fn from_bit(bit: u8) -> Initiator {
        if bit & 1 == 0 {
            Initiator::User
        } else {
            Initiator::Server
        }
    }

    pub fn bit(self) -> u8 {
        match self {
            Initiator::User => 0,
            Initiator::Server => 1,
        }
    }

    pub fn meaning(self) -> &'static str {
        match self {
            Initiator::User => "end user initiated",
            Initiator::Server => "server initiated",
        }
    }
}

/// User interaction mode recommended by the server (6.4.4), 2 bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UiMode {
    #[default]
    NotSpecified,
    Background,
    Informative,
    UserInteraction,
}

impl UiMode {
    pub const ALL: [UiMode; 4] = [
        UiMode::NotSpecified,
        UiMode::Background,
        UiMode::Informative,
        UiMode::UserInteraction,
    ];

    pub fn from_bits(bits: u8) -> UiMode {
        UiMode::ALL[usize::from(bits & 0b11)]
    }

    pub fn bits(self) -> u8 {
        self as u8
    }

    pub fn meaning(self) -> &'static str {
        match self {
            UiMode::NotSpecified => "not specified",
            UiMode::Background => "background",
            UiMode::Informative => "informative",
            UiMode::UserInteraction => "user interaction",
        }
    }
}

/// Transport binding the server prefers for the session (6.4.5), 3 bits; 101-111 are reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    NotSpecified,
    Http,
    Https,
    Obex,
    Wsp,
}

impl Transport {
    pub const ALL: [Transport; 5] = [
        Transport::NotSpecified,
        Transport::Http,
        Transport::Https,
        Transport::Obex,
        Transport::Wsp,
    ];

    /// `None` for the reserved values 101-111.
    pub fn from_bits(bits: u8) -> Option<Transport> {
        Transport::ALL.get(usize::from(bits & 0b111)).copied()
    }

    pub fn bits(self) -> u8 {
        self as u8
    }

    pub fn meaning(self) -> &'static str {
        match self {
            Transport::NotSpecified => "not specified",
            Transport::Http => "HTTP",
            Transport::Https => "HTTPS",
            Transport::Obex => "OBEX",
            Transport::Wsp => "WSP",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_round_trip_and_reserved_transport() {
        for m in UiMode::ALL {
            assert_eq!(UiMode::from_bits(m.bits()), m);
        }
        for t in Transport::ALL {
            assert_eq!(Transport::from_bits(t.bits()), Some(t));
        }
        for reserved in 5..8 {
            assert_eq!(Transport::from_bits(reserved), None);
        }
        assert_eq!(Initiator::from_bit(1), Initiator::Server);
        assert_eq!(UiMode::from_bits(0b01), UiMode::Background);
    }
}
