//! The reference client's device tree: DevInfo (always sent in Package #1) and the MOs it can send
//! when a notification asks for them by index (6.5.4). A small fixed tree, or one from YAML.

use crate::codec::MoIndex;
use crate::yaml::{self, YamlError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// One management object: its root URI and its leaf nodes (relative path -> value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagementObject {
    /// The MO indexes (registry "MO Index") that name this object.
    pub indexes: Vec<u16>,
    pub root: String,
    pub nodes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceTree {
    /// DevInfo/DevId, also the Package #1 Source.
    pub dev_id: String,
    pub dev_info: BTreeMap<String, String>,
    #[serde(default)]
    pub objects: Vec<ManagementObject>,
    /// Bearers the device has now (6.5.6); the first preferred one available is used.
    #[serde(default = "all_bearers")]
    pub bearers: Vec<u8>,
}

fn all_bearers() -> Vec<u8> {
    (0x01..=0x0B).collect()
}

impl Default for DeviceTree {
    fn default() -> Self {
        let map = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        DeviceTree {
            dev_id: "IMEI:490154203237518".into(),
            dev_info: map(&[
                ("DevId", "IMEI:490154203237518"),
                ("Man", "dmnoti"),
                ("Mod", "reference-client"),
                ("DmV", "1.3"),
                ("Lang", "en-US"),
            ]),
            objects: vec![
                ManagementObject {
                    indexes: vec![MoIndex::DEV_DETAIL.0, 0x000F],
                    root: "./DevDetail".into(),
                    nodes: map(&[
                        ("DevTyp", "smartphone"),
                        ("OEM", "dmnoti"),
                        ("FwV", "1.0.0"),
                        ("SwV", env!("CARGO_PKG_VERSION")),
                        ("HwV", "1.0"),
                        ("LrgObj", "true"),
                        ("URI/MaxDepth", "0"),
                        ("URI/MaxTotLen", "0"),
                        ("URI/MaxSegLen", "0"),
                    ]),
                },
                ManagementObject {
                    indexes: vec![MoIndex::FUMO.0],
                    root: "./FUMO".into(),
                    nodes: map(&[
                        ("PkgName", "firmware"),
                        ("PkgVersion", "1.0.0"),
                        ("State", "10"),
                    ]),
                },
                ManagementObject {
                    indexes: vec![0x003C, 0x0036],
                    root: "./SCOMO".into(),
                    nodes: map(&[
                        ("Inventory/Deployed/app1/ID", "app1"),
                        ("Inventory/Deployed/app1/Status", "10"),
                    ]),
                },
            ],
            bearers: all_bearers(),
        }
    }
}

impl DeviceTree {
    pub fn load(path: &Path) -> Result<DeviceTree, YamlError> {
        yaml::from_file(path)
    }

    /// The object a Requested-MO index names. DevInfo indexes name DevInfo itself.
    pub fn object(&self, index: MoIndex) -> Option<ManagementObject> {
        const DEV_INFO: [u16; 3] = [0x000C, 0x000E, 0x0071];
        if DEV_INFO.contains(&index.0) {
            return Some(ManagementObject {
                indexes: DEV_INFO.to_vec(),
                root: "./DevInfo".into(),
                nodes: self.dev_info.clone(),
            });
        }
        self.objects
            .iter()
            .find(|o| o.indexes.contains(&index.0))
            .cloned()
    }
}
