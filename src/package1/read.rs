//! Package #1 as a DM server reads it (DMPRO, as docs/spec-notes.md sums it up): SyncML DM XML whose SyncHdr
//! carries VerDTD, VerProto, SessionID, MsgID, Target and Source, and whose SyncBody carries the
//! Alert (1200 for a server-initiated session) and Replace items with the device's MOs. Also the
//! minimal Package #2 that ends a session. Pure functions of text (quick-xml).

use quick_xml::Reader;
use quick_xml::events::Event;

/// What a DM server learns from a client's Package #1.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Package1 {
    pub ver_dtd: Option<String>,
    pub ver_proto: Option<String>,
    /// Exactly as sent (trimmed).
    pub session_id: Option<String>,
    pub msg_id: Option<String>,
    pub target: Option<String>,
    pub source: Option<String>,
    /// The Data of every Alert.
    pub alerts: Vec<String>,
    /// The LocURI of every Item's Source in the body: the nodes the client sent.
    pub items: Vec<String>,
}

impl Package1 {
    /// The MO roots the items belong to (`./DevInfo`, `./DevDetail`, ...), in order, once each.
    pub fn roots(&self) -> Vec<String> {
        let mut roots: Vec<String> = Vec::new();
        for uri in &self.items {
            let root: String = uri.split('/').take(2).collect::<Vec<_>>().join("/");
            if !roots.contains(&root) {
                roots.push(root);
            }
        }
        roots
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Package1Error {
    #[error("Package #1 is not XML: {0}")]
    NotXml(String),
    #[error("Package #1 has no SyncML element")]
    NotSyncMl,
    #[error("Package #1 has no SessionID in its SyncHdr")]
    NoSessionId,
}

fn entity(name: &str) -> Option<String> {
    Some(match name {
        "amp" => "&".into(),
        "lt" => "<".into(),
        "gt" => ">".into(),
        "quot" => "\"".into(),
        "apos" => "'".into(),
        n => {
            let code = match n.strip_prefix("#x").or_else(|| n.strip_prefix("#X")) {
                Some(h) => u32::from_str_radix(h, 16).ok()?,
                None => n.strip_prefix('#')?.parse().ok()?,
            };
            char::from_u32(code)?.to_string()
        }
    })
}

/// Reads a Package #1 document.
pub fn parse_package1(xml: &str) -> Result<Package1, Package1Error> {
    let mut reader = Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut out = Package1::default();
    let mut saw_syncml = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| Package1Error::NotXml(e.to_string()))?;
        match event {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                saw_syncml |= name == "SyncML";
                path.push(name);
                text.clear();
            }
            Event::Empty(_) => {}
            Event::Text(t) => text.push_str(
                &t.decode()
                    .map_err(|e| Package1Error::NotXml(e.to_string()))?,
            ),
            Event::CData(t) => text.push_str(&String::from_utf8_lossy(&t.into_inner())),
            Event::GeneralRef(r) => {
                let name = String::from_utf8_lossy(&r.into_inner()).into_owned();
                text.push_str(
                    &entity(&name)
                        .ok_or_else(|| Package1Error::NotXml(format!("unknown entity &{name};")))?,
                );
            }
            Event::End(_) => {
                let value = text.trim().to_owned();
                let at = |suffix: &[&str]| {
                    path.len() >= suffix.len()
                        && path[path.len() - suffix.len()..]
                            .iter()
                            .map(String::as_str)
                            .eq(suffix.iter().copied())
                };
                if at(&["SyncHdr", "VerDTD"]) {
                    out.ver_dtd = Some(value);
                } else if at(&["SyncHdr", "VerProto"]) {
                    out.ver_proto = Some(value);
                } else if at(&["SyncHdr", "SessionID"]) {
                    out.session_id = Some(value);
                } else if at(&["SyncHdr", "MsgID"]) {
                    out.msg_id = Some(value);
                } else if at(&["SyncHdr", "Target", "LocURI"]) {
                    out.target = Some(value);
                } else if at(&["SyncHdr", "Source", "LocURI"]) {
                    out.source = Some(value);
                } else if at(&["Alert", "Data"]) {
                    out.alerts.push(value);
                } else if at(&["Item", "Source", "LocURI"]) && path.iter().any(|p| p == "SyncBody")
                {
                    out.items.push(value);
                }
                path.pop();
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_syncml {
        return Err(Package1Error::NotSyncMl);
    }
    if out.session_id.is_none() {
        return Err(Package1Error::NoSessionId);
    }
    Ok(out)
}

/// A minimal Package #2: the server acknowledges the client's header and ends the session.
pub fn package2(p1: &Package1, server_uri: &str) -> String {
    let esc = super::write::escape;
    format!(
        "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>{}</VerProto><SessionID>{}</SessionID>\
         <MsgID>1</MsgID><Target><LocURI>{}</LocURI></Target><Source><LocURI>{}</LocURI></Source></SyncHdr>\
         <SyncBody><Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Data>212</Data></Status>\
         <Final/></SyncBody></SyncML>",
        esc(p1.ver_proto.as_deref().unwrap_or("DM/1.3")),
        esc(p1.session_id.as_deref().unwrap_or("")),
        esc(p1.source.as_deref().unwrap_or("")),
        esc(server_uri)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iut::device::DeviceTree;

    #[test]
    fn reads_what_the_reference_client_sends() {
        let tree = DeviceTree::default();
        let objects = [
            tree.object(crate::codec::MoIndex(0x0C)).unwrap(),
            tree.object(crate::codec::MoIndex(0x0B)).unwrap(),
        ];
        let xml = super::super::write::Draft {
            ver_proto: "DM/1.3",
            session_id: "A01",
            target: "http://x/dm",
            source: "IMEI:1",
            objects: &objects,
        }
        .to_xml();
        let p = parse_package1(&xml).unwrap();
        assert_eq!(p.session_id.as_deref(), Some("A01"));
        assert_eq!(p.ver_proto.as_deref(), Some("DM/1.3"));
        assert_eq!(p.target.as_deref(), Some("http://x/dm"));
        assert_eq!(p.alerts, ["1200"]);
        assert_eq!(p.roots(), ["./DevInfo", "./DevDetail"]);
        let p2 = package2(&p, "http://x/dm");
        assert_eq!(
            parse_package1(&p2).unwrap().session_id.as_deref(),
            Some("A01")
        );
    }

    #[test]
    fn entities_and_errors() {
        let p = parse_package1("<SyncML><SyncHdr><SessionID> 1&#x41; </SessionID><Source><LocURI>a&amp;b</LocURI></Source></SyncHdr></SyncML>").unwrap();
        assert_eq!(p.session_id.as_deref(), Some("1A"));
        assert_eq!(p.source.as_deref(), Some("a&b"));
        assert_eq!(
            parse_package1("<SyncML><SyncHdr/></SyncML>"),
            Err(Package1Error::NoSessionId)
        );
        assert_eq!(
            parse_package1("<html></html>"),
            Err(Package1Error::NotSyncMl)
        );
        assert!(matches!(
            parse_package1("<SyncML><a></b></SyncML>"),
            Err(Package1Error::NotXml(_))
        ));
    }
}
