//! Package #1 of a notification-initiated session (DMPRO, as docs/spec-notes.md sums it up): SyncML DM XML
//! with SyncHdr (VerDTD 1.2, VerProto, SessionID, MsgID 1, Target, Source) and SyncBody (Alert 1200
//! and Replace commands with DevInfo and the requested MOs).

use crate::iut::device::ManagementObject;
use std::fmt::Write as _;

/// Server-initiated management (DMPRO Alert codes).
pub const ALERT_SERVER_INITIATED: u16 = 1200;

pub struct Draft<'a> {
    /// `DM/1.3` for a 1.3 notification, `DM/1.2` for a 1.2 one.
    pub ver_proto: &'a str,
    /// Exactly as it will be sent.
    pub session_id: &'a str,
    pub target: &'a str,
    pub source: &'a str,
    /// DevInfo first, then each requested MO.
    pub objects: &'a [ManagementObject],
}

/// Escapes text for XML character data.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

impl Draft<'_> {
    pub fn to_xml(&self) -> String {
        let mut x = String::new();
        let _ = write!(
            x,
            "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>{}</VerProto>\
             <SessionID>{}</SessionID><MsgID>1</MsgID><Target><LocURI>{}</LocURI></Target>\
             <Source><LocURI>{}</LocURI></Source></SyncHdr><SyncBody>\
             <Alert><CmdID>1</CmdID><Data>{ALERT_SERVER_INITIATED}</Data></Alert>",
            escape(self.ver_proto),
            escape(self.session_id),
            escape(self.target),
            escape(self.source)
        );
        for (i, object) in self.objects.iter().enumerate() {
            let _ = write!(x, "<Replace><CmdID>{}</CmdID>", i + 2);
            for (path, value) in &object.nodes {
                let _ = write!(
                    x,
                    "<Item><Source><LocURI>{}/{}</LocURI></Source><Data>{}</Data></Item>",
                    escape(&object.root),
                    escape(path),
                    escape(value)
                );
            }
            x.push_str("</Replace>");
        }
        x.push_str("<Final/></SyncBody></SyncML>");
        x
    }
}
