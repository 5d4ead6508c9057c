//! MO indexes carried by Targeted-MO and Requested-MO (6.5.2, 6.5.4): the "MO Index" column of the
//! OMNA DM MO registry, as collected in docs/spec-notes.md.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MoIndex(pub u16);

impl MoIndex {
    pub const DEV_DETAIL: MoIndex = MoIndex(0x000B);
    pub const DEV_INFO: MoIndex = MoIndex(0x000C);
    pub const FUMO: MoIndex = MoIndex(0x0027);

    /// The registered MO this index names, if the registry has it.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x0009 => "LAWMO",
            0x000A => "DCMO",
            0x000B => "DevDetail 1.1",
            0x000C => "DevInfo 1.1",
            0x000D => "DMAcc 1.1",
            0x000E => "DevInfo 1.0",
            0x000F => "DevDetail 1.0",
            0x0011 => "DMAcc 1.0",
            0x0012 => "DiagMon",
            0x0027 => "FUMO",
            0x0034 => "DM Scheduling",
            0x0036 => "SCOMO 1.0",
            0x003C => "SCOMO 1.1",
            0x0070 => "DMAcc 1.2",
            0x0071 => "DevInfo 1.2",
            0x0075 => "ConnMO NAP",
            0x0076 => "ConnMO Proxy",
            0x0077 => "ConnMO 3GPP CS",
            0x0078 => "ConnMO 3GPP PS",
            0x0079 => "ConnMO CDMA",
            0x007A => "ConnMO EAP",
            0x007B => "ConnMO HTTP",
            0x007C => "ConnMO WAP",
            0x007D => "ConnMO WLAN",
            _ => return None,
        })
    }
}

impl fmt::Display for MoIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "0x{:04X} {name}", self.0),
            None => write!(f, "0x{:04X} (unregistered)", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_the_registry() {
        assert_eq!(MoIndex(0x000B).to_string(), "0x000B DevDetail 1.1");
        assert_eq!(MoIndex(0x0027).name(), Some("FUMO"));
        assert_eq!(MoIndex(0x1234).to_string(), "0x1234 (unregistered)");
    }
}
