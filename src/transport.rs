//! The transport dependant profiles of section 7, plus stdio: one enum for a suite's `transport:`,
//! a profile's `adapter:`, `dmnoti run --adapter` and the reference IUT's `--adapter`. (The TRA
//! header field, the transport of the *session*, is [`crate::codec::Transport`].)

use serde::{Deserialize, Serialize};
use std::fmt;

/// How Package #0 reaches the IUT, in the spec's order.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum TransportProfile {
    /// The stdio testee protocol: the IUT's shim says what it did.
    #[default]
    Stdio,
    /// 7.1: connectionless WAP push, over UDP.
    Udp,
    /// 7.1: connectionless WAP push over SMS, through an SMSC over SMPP 3.4.
    Smpp,
    /// 7.1: connectionless WAP push over SMS, handed to a Push Proxy Gateway over PAP, which
    /// delivers it through an SMSC (the harness's) to the device.
    Pap,
    /// 7.2: OBEX, a PUT over TCP.
    Obex,
    /// 7.3: SIP push (a MESSAGE in pager mode, over UDP or TCP).
    Sip,
    /// 7.4: OTA-HTTP push.
    Http,
}

impl TransportProfile {
    pub fn name(self) -> &'static str {
        match self {
            TransportProfile::Stdio => "stdio",
            TransportProfile::Udp => "udp",
            TransportProfile::Smpp => "smpp",
            TransportProfile::Pap => "pap",
            TransportProfile::Obex => "obex",
            TransportProfile::Sip => "sip",
            TransportProfile::Http => "http",
        }
    }

    /// Whether the harness has a link for it (cases over the others are skipped).
    pub fn has_link(self) -> bool {
        matches!(
            self,
            TransportProfile::Stdio
                | TransportProfile::Udp
                | TransportProfile::Smpp
                | TransportProfile::Pap
                | TransportProfile::Obex
                | TransportProfile::Sip
                | TransportProfile::Http
        )
    }
}

impl TransportProfile {
    /// Whether a case that needs `needs` runs over this link: each its own, and the WAP push
    /// cases of 7.1 (`udp`) over SMS as well, whose bearer is the other one 7.1 names.
    pub fn carries(self, needs: TransportProfile) -> bool {
        use TransportProfile::{Pap, Smpp, Udp};
        self == needs
            || (self == Smpp && needs == Udp)
            || (self == Pap && matches!(needs, Udp | Smpp))
    }
}

impl fmt::Display for TransportProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
