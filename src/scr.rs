//! The SCR catalog (Appendix B of the 1.3 spec): every client (B.1) and server (B.2) item, with
//! the errata of docs/spec-notes.md attached to the items they touch. The catalog files in `scrs/` are
//! compiled in, so the binary needs nothing beside it; `load_dir` reads an edited copy.

use crate::yaml::{self, YamlError};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;

pub const CLIENT_YAML: &str = include_str!("../scrs/client.yaml");
pub const SERVER_YAML: &str = include_str!("../scrs/server.yaml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Client,
    Server,
}

impl Role {
    fn letter(self) -> char {
        match self {
            Role::Client => 'C',
            Role::Server => 'S',
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Client => "client",
            Role::Server => "server",
        })
    }
}

/// Mandatory or Optional, from the id's last letter ([SCRRULES]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    #[serde(rename = "M")]
    Mandatory,
    #[serde(rename = "O")]
    Optional,
}

impl Status {
    pub fn letter(self) -> &'static str {
        match self {
            Status::Mandatory => "M",
            Status::Optional => "O",
        }
    }
}

/// One row of B.1 or B.2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScrItem {
    /// The id as the harness uses it (the printed one, corrected where erratum 1 applies).
    pub id: String,
    /// The id as printed in the table.
    pub printed_id: String,
    pub role: Role,
    pub status: Status,
    pub function: String,
    pub section: String,
    pub printed_section: String,
    pub errata: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    role: Role,
    items: Vec<ItemFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemFile {
    id: String,
    #[serde(default)]
    normalized: Option<String>,
    function: String,
    section: String,
    #[serde(default)]
    printed_section: Option<String>,
    #[serde(default)]
    errata: Vec<String>,
}

/// Both tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Catalog {
    pub items: Vec<ScrItem>,
}

/// `SCR-DM-NOTI-{C|S}-NNN-{M|O}` split into its role letter and status, or `None`.
fn parse_id(id: &str) -> Option<(char, Status)> {
    let rest = id.strip_prefix("SCR-DM-NOTI-")?;
    let mut parts = rest.split('-');
    let role = parts.next()?;
    let number = parts.next()?;
    let status = parts.next()?;
    if parts.next().is_some() || number.len() != 3 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let role = match role {
        "C" => 'C',
        "S" => 'S',
        _ => return None,
    };
    let status = match status {
        "M" => Status::Mandatory,
        "O" => Status::Optional,
        _ => return None,
    };
    Some((role, status))
}

fn load_table(file: &Path, text: &str, expect: Role) -> Result<Vec<ScrItem>, YamlError> {
    let parsed: CatalogFile = yaml::from_str(file, text)?;
    if parsed.role != expect {
        return Err(YamlError::whole_file(
            file,
            format!("role is {}, expected {expect}", parsed.role),
        ));
    }
    parsed
        .items
        .into_iter()
        .map(|item| {
            let id = item.normalized.clone().unwrap_or_else(|| item.id.clone());
            let locate = |what: &str| {
                let line = text
                    .lines()
                    .position(|l| l.contains(what))
                    .map_or(1, |i| i + 1);
                let column = text
                    .lines()
                    .nth(line - 1)
                    .and_then(|l| l.find(what))
                    .map_or(1, |c| c + 1);
                (line, column)
            };
            let (role, status) = parse_id(&id).ok_or_else(|| {
                let (line, column) = locate(&id);
                YamlError::at(
                    file,
                    text,
                    line,
                    column,
                    format!("{id:?} is not an SCR id of the form SCR-DM-NOTI-C-001-M"),
                )
            })?;
            if role != expect.letter() {
                let (line, column) = locate(&id);
                return Err(YamlError::at(
                    file,
                    text,
                    line,
                    column,
                    format!("{id} is not a {expect} item"),
                ));
            }
            Ok(ScrItem {
                printed_section: item.printed_section.unwrap_or_else(|| item.section.clone()),
                printed_id: item.id,
                id,
                role: expect,
                status,
                function: item.function,
                section: item.section,
                errata: item.errata,
            })
        })
        .collect()
}

impl Catalog {
    /// The catalog compiled into the binary.
    pub fn builtin() -> Catalog {
        // The compiled-in files are checked by this crate's tests; an error here is a build defect.
        Catalog::from_texts(
            (Path::new("scrs/client.yaml"), CLIENT_YAML),
            (Path::new("scrs/server.yaml"), SERVER_YAML),
        )
        .unwrap_or_else(|e| panic!("built-in SCR catalog: {e}"))
    }

    pub fn load_dir(dir: &Path) -> Result<Catalog, YamlError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path)
                .map(|text| (path.clone(), text))
                .map_err(|e| YamlError::whole_file(&path, format!("cannot read: {e}")))
        };
        let (client_path, client) = read("client.yaml")?;
        let (server_path, server) = read("server.yaml")?;
        Catalog::from_texts((&client_path, &client), (&server_path, &server))
    }

    fn from_texts(client: (&Path, &str), server: (&Path, &str)) -> Result<Catalog, YamlError> {
        let mut items = load_table(client.0, client.1, Role::Client)?;
        items.extend(load_table(server.0, server.1, Role::Server)?);
        let mut seen = std::collections::HashSet::new();
        for item in &items {
            if !seen.insert(item.id.as_str()) {
                return Err(YamlError::whole_file(
                    client.0,
                    format!("{} is listed twice", item.id),
                ));
            }
        }
        Ok(Catalog { items })
    }

    pub fn get(&self, id: &str) -> Option<&ScrItem> {
        self.items.iter().find(|i| i.id == id || i.printed_id == id)
    }

    pub fn role(&self, role: Role) -> impl Iterator<Item = &ScrItem> {
        self.items.iter().filter(move |i| i.role == role)
    }

    /// The catalog as a plain-text table, for `dmnoti scrs`.
    pub fn table(&self) -> String {
        let mut out = String::new();
        for role in [Role::Client, Role::Server] {
            let title = match role {
                Role::Client => "B.1 SCR for OMA DM v1.3 Client",
                Role::Server => "B.2 SCR for OMA DM v1.3 Server",
            };
            out.push_str(&format!(
                "{title}\n{:<22} {:<3} {:<16} {}\n",
                "item", "M/O", "section", "function"
            ));
            for item in self.role(role) {
                let section = if item.printed_section == item.section {
                    item.section.clone()
                } else {
                    format!("{} (printed {})", item.section, item.printed_section)
                };
                let marks = if item.errata.is_empty() { "" } else { " *" };
                out.push_str(&format!(
                    "{:<22} {:<3} {:<16} {}{marks}\n",
                    item.id,
                    item.status.letter(),
                    section,
                    item.function
                ));
                if item.printed_id != item.id {
                    out.push_str(&format!("{:<22} printed as {}\n", "", item.printed_id));
                }
            }
            out.push('\n');
        }
        out.push_str("* errata apply: `dmnoti scrs --errata` lists them\n");
        out
    }

    pub fn errata_text(&self) -> String {
        let mut out = String::new();
        for item in self.items.iter().filter(|i| !i.errata.is_empty()) {
            out.push_str(&format!("{} ({})\n", item.id, item.function));
            for e in &item.errata {
                out.push_str(&format!("  - {e}\n"));
            }
        }
        out
    }
}

/// An SCR item as the code names it (checks, faults, vectors, the reference profiles). The ids
/// are written once, in [`id`]; a test holds that table to the built-in catalog both ways, so a
/// typo is a compile error or a failing test, never a silent fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ScrId(&'static str);

impl ScrId {
    /// The full id, `SCR-DM-NOTI-C-008-M`.
    pub const fn as_str(self) -> &'static str {
        self.0
    }

    /// The id without its prefix, `C-008-M`.
    pub fn short(self) -> &'static str {
        self.0.strip_prefix("SCR-DM-NOTI-").unwrap_or(self.0)
    }

    /// The table's id for a full or short id (`SCR-DM-NOTI-C-008-M`, `C-008-M`).
    pub fn find(text: &str) -> Option<ScrId> {
        id::ALL
            .iter()
            .copied()
            .find(|i| i.0 == text || i.short() == text)
    }
}

impl fmt::Display for ScrId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl From<ScrId> for String {
    fn from(id: ScrId) -> String {
        id.0.to_owned()
    }
}

impl PartialEq<str> for ScrId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

/// Every item of Appendix B, in the tables' order (B.1 client, then B.2 server).
pub mod id {
    use super::ScrId;

    pub const C_001_M: ScrId = ScrId("SCR-DM-NOTI-C-001-M");
    pub const C_002_M: ScrId = ScrId("SCR-DM-NOTI-C-002-M");
    pub const C_003_M: ScrId = ScrId("SCR-DM-NOTI-C-003-M");
    pub const C_004_M: ScrId = ScrId("SCR-DM-NOTI-C-004-M");
    pub const C_005_M: ScrId = ScrId("SCR-DM-NOTI-C-005-M");
    pub const C_006_M: ScrId = ScrId("SCR-DM-NOTI-C-006-M");
    pub const C_007_O: ScrId = ScrId("SCR-DM-NOTI-C-007-O");
    pub const C_008_M: ScrId = ScrId("SCR-DM-NOTI-C-008-M");
    pub const C_009_O: ScrId = ScrId("SCR-DM-NOTI-C-009-O");
    pub const C_010_M: ScrId = ScrId("SCR-DM-NOTI-C-010-M");
    pub const C_011_O: ScrId = ScrId("SCR-DM-NOTI-C-011-O");
    pub const C_012_O: ScrId = ScrId("SCR-DM-NOTI-C-012-O");
    pub const C_013_M: ScrId = ScrId("SCR-DM-NOTI-C-013-M");
    pub const C_014_O: ScrId = ScrId("SCR-DM-NOTI-C-014-O");
    pub const C_015_O: ScrId = ScrId("SCR-DM-NOTI-C-015-O");
    pub const C_016_M: ScrId = ScrId("SCR-DM-NOTI-C-016-M");
    pub const C_017_O: ScrId = ScrId("SCR-DM-NOTI-C-017-O");
    pub const C_018_M: ScrId = ScrId("SCR-DM-NOTI-C-018-M");
    pub const C_019_M: ScrId = ScrId("SCR-DM-NOTI-C-019-M");
    pub const C_020_O: ScrId = ScrId("SCR-DM-NOTI-C-020-O");
    pub const C_021_O: ScrId = ScrId("SCR-DM-NOTI-C-021-O");
    pub const C_022_O: ScrId = ScrId("SCR-DM-NOTI-C-022-O");
    pub const C_023_O: ScrId = ScrId("SCR-DM-NOTI-C-023-O");
    pub const S_001_M: ScrId = ScrId("SCR-DM-NOTI-S-001-M");
    pub const S_002_M: ScrId = ScrId("SCR-DM-NOTI-S-002-M");
    pub const S_003_M: ScrId = ScrId("SCR-DM-NOTI-S-003-M");
    pub const S_004_M: ScrId = ScrId("SCR-DM-NOTI-S-004-M");
    pub const S_005_M: ScrId = ScrId("SCR-DM-NOTI-S-005-M");
    pub const S_006_M: ScrId = ScrId("SCR-DM-NOTI-S-006-M");
    pub const S_007_O: ScrId = ScrId("SCR-DM-NOTI-S-007-O");
    pub const S_008_M: ScrId = ScrId("SCR-DM-NOTI-S-008-M");
    pub const S_009_O: ScrId = ScrId("SCR-DM-NOTI-S-009-O");
    pub const S_010_M: ScrId = ScrId("SCR-DM-NOTI-S-010-M");
    pub const S_011_M: ScrId = ScrId("SCR-DM-NOTI-S-011-M");
    pub const S_012_O: ScrId = ScrId("SCR-DM-NOTI-S-012-O");
    pub const S_013_O: ScrId = ScrId("SCR-DM-NOTI-S-013-O");
    pub const S_014_O: ScrId = ScrId("SCR-DM-NOTI-S-014-O");
    pub const S_015_O: ScrId = ScrId("SCR-DM-NOTI-S-015-O");
    pub const ALL: [ScrId; 38] = [
        C_001_M, C_002_M, C_003_M, C_004_M, C_005_M, C_006_M, C_007_O, C_008_M, C_009_O, C_010_M,
        C_011_O, C_012_O, C_013_M, C_014_O, C_015_O, C_016_M, C_017_O, C_018_M, C_019_M, C_020_O,
        C_021_O, C_022_O, C_023_O, S_001_M, S_002_M, S_003_M, S_004_M, S_005_M, S_006_M, S_007_O,
        S_008_M, S_009_O, S_010_M, S_011_M, S_012_O, S_013_O, S_014_O, S_015_O,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_table_is_the_catalog() {
        let c = Catalog::builtin();
        let table: Vec<&str> = id::ALL.iter().map(|i| i.as_str()).collect();
        let catalog: Vec<&str> = c.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(table, catalog);
        assert_eq!(ScrId::find("C-008-M"), Some(id::C_008_M));
        assert_eq!(ScrId::find("SCR-DM-NOTI-S-011-M"), Some(id::S_011_M));
        assert_eq!(ScrId::find("C-008"), None);
    }

    #[test]
    fn catalog_holds_every_item_with_its_status() {
        let c = Catalog::builtin();
        let count = |role, status| c.role(role).filter(|i| i.status == status).count();
        assert_eq!(c.role(Role::Client).count(), 23);
        assert_eq!(c.role(Role::Server).count(), 15);
        assert_eq!(count(Role::Client, Status::Mandatory), 12);
        assert_eq!(count(Role::Server, Status::Mandatory), 9);
        let client_ids: Vec<_> = c.role(Role::Client).map(|i| i.id.clone()).collect();
        for (n, id) in client_ids.iter().enumerate() {
            assert!(
                id.starts_with(&format!("SCR-DM-NOTI-C-{:03}-", n + 1)),
                "{id}"
            );
        }
        let server_ids: Vec<_> = c.role(Role::Server).map(|i| i.id.clone()).collect();
        for (n, id) in server_ids.iter().enumerate() {
            assert!(
                id.starts_with(&format!("SCR-DM-NOTI-S-{:03}-", n + 1)),
                "{id}"
            );
        }
    }

    #[test]
    fn errata_are_attached() {
        let c = Catalog::builtin();
        let digest = c.get("SCR-DM-NOTI-S-011-M").unwrap();
        assert_eq!(digest.printed_id, "SCR-DM-NOTI-C-011-M");
        assert_eq!(
            c.get("SCR-DM-NOTI-C-011-M").unwrap().id,
            "SCR-DM-NOTI-S-011-M"
        );
        assert_eq!(c.get("SCR-DM-NOTI-C-011-O").unwrap().role, Role::Client);
        let session = c.get("SCR-DM-NOTI-C-008-M").unwrap();
        assert_eq!(
            (session.section.as_str(), session.printed_section.as_str()),
            ("6.4.8", "6.4.9")
        );
        let shifted: Vec<_> = c
            .items
            .iter()
            .filter(|i| i.section != i.printed_section)
            .map(|i| &i.id[12..17])
            .collect();
        assert_eq!(
            shifted,
            [
                "C-008", "C-009", "C-013", "C-014", "C-015", "C-016", "C-017", "S-008", "S-009",
                "S-010"
            ]
        );
        assert!(
            c.get("SCR-DM-NOTI-C-009-O")
                .unwrap()
                .errata
                .iter()
                .any(|e| e.contains("days"))
        );
    }

    #[test]
    fn bad_ids_are_named_with_their_place() {
        let text = "role: client\nitems:\n  - id: SCR-DM-NOTI-X-001-M\n    function: f\n    section: \"5\"\n";
        let err = load_table(Path::new("c.yaml"), text, Role::Client).unwrap_err();
        assert_eq!((err.line, err.column), (Some(3), Some(9)));
        let text = "role: client\nitems:\n  - id: SCR-DM-NOTI-S-001-M\n    function: f\n    section: \"5\"\n";
        let err = load_table(Path::new("c.yaml"), text, Role::Client).unwrap_err();
        assert!(err.message.contains("not a client item"));
    }

    #[test]
    fn table_lists_every_item() {
        let table = Catalog::builtin().table();
        assert_eq!(
            table
                .lines()
                .filter(|l| l.starts_with("SCR-DM-NOTI-"))
                .count(),
            38
        );
        assert!(table.contains("6.5.4 (printed 6.5.3)"));
    }
}
