//! The interop matrix (`dmnoti matrix`): every server IUT's notification delivered to every client
//! IUT, the reference pair included. A cell says whether the pair starts a correct session and, if
//! not, why and on which SCR item: the server's message breaking a rule, or the client refusing a
//! conformant one.

use crate::codec::digest::DigestReading;
use crate::codec::{Format, v13};
use crate::profile::Profile;
use crate::runner::checks::{self, server_scr};
use crate::scr::id;
use crate::suite::message::Built;
use crate::suite::{AccountSpec, SessionExpect};
use crate::testee::process::TesteeError;
use crate::testee::process::TesteeProcess;
use crate::testee::{NotifyRequest, Op, Outcome};
use std::fmt::Write as _;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Cell {
    pub server: String,
    pub client: String,
    pub ok: bool,
    pub why: String,
    pub scr: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Matrix {
    pub servers: Vec<String>,
    pub clients: Vec<String>,
    pub cells: Vec<Cell>,
}

const NOW: u64 = crate::runner::DEFAULT_NOW;

/// Why a cell of the matrix has no outcome.
#[derive(Debug, thiserror::Error)]
pub enum MatrixError {
    #[error(transparent)]
    Testee(#[from] TesteeError),
    #[error("hello: {0}")]
    Hello(TesteeError),
    #[error(transparent)]
    Account(#[from] crate::suite::AccountError),
    #[error("no notification: {0}")]
    NoNotification(String),
}

fn start(
    profile: &Profile,
    account: &AccountSpec,
    timeout: Duration,
) -> Result<TesteeProcess, MatrixError> {
    let mut p = TesteeProcess::spawn(&profile.command())?;
    p.hello(timeout).map_err(MatrixError::Hello)?;
    let accounts = vec![account.to_account()?];
    p.call(
        Op::Provision {
            accounts,
            now: None,
            registrar: None,
            smsc: None,
        },
        timeout,
    )?;
    p.call(Op::Clock { now: NOW }, timeout)?;
    Ok(p)
}

/// A server's notification: (content type, bytes), or why there is none.
fn notification(
    server: &Profile,
    account: &AccountSpec,
    timeout: Duration,
) -> Result<(String, Vec<u8>), MatrixError> {
    let mut p = start(server, account, timeout)?;
    let request = NotifyRequest {
        requested_mo: vec![0x000B],
        ..NotifyRequest::default()
    };
    let r = p.call(Op::Notify { request }, timeout)?;
    match (r.outcome, r.message, r.content_type) {
        (Some(Outcome::Notification), Some(m), Some(ct)) => Ok((ct, m.0)),
        _ => Err(MatrixError::NoNotification(r.error.unwrap_or_default())),
    }
}

/// Why a client ignored a message: the message's fault when it breaks a rule, else the client's.
fn blame(bytes: &[u8], account: &AccountSpec, reason: &str) -> (String, Option<String>) {
    match v13::decode(bytes) {
        Err(e) => (
            format!("the server's message breaks a rule: {e}"),
            Some(format!("SCR-DM-NOTI-{}", server_scr(&e.kind))),
        ),
        Ok(_) => match v13::verify(
            bytes,
            &account.secret_bytes().unwrap_or_default(),
            DigestReading::LiteralColons,
        ) {
            Err(e) => (
                format!("the server's digest: {e}"),
                Some(id::S_011_M.into()),
            ),
            Ok(()) => (
                format!("the client ignored a conformant message: {reason}"),
                Some(id::C_002_M.into()),
            ),
        },
    }
}

pub fn run(servers: &[Profile], clients: &[Profile], timeout: Duration) -> Matrix {
    let mut cells = Vec::new();
    for server in servers {
        let account = server
            .accounts
            .first()
            .cloned()
            .unwrap_or_else(AccountSpec::default_account);
        let made = notification(server, &account, timeout);
        for client in clients {
            let cell = |ok: bool, why: String, scr: Option<String>| Cell {
                server: server.name.clone(),
                client: client.name.clone(),
                ok,
                why,
                scr,
            };
            let (content_type, bytes) = match &made {
                Ok(n) => n.clone(),
                Err(e) => {
                    cells.push(cell(
                        false,
                        format!("the server: {e}"),
                        Some(id::S_002_M.into()),
                    ));
                    continue;
                }
            };
            let answer = start(client, &account, timeout).and_then(|mut p| {
                p.call(
                    Op::Deliver {
                        content_type: content_type.clone(),
                        message: crate::testee::HexBytes(bytes.clone()),
                    },
                    timeout,
                )
                .map_err(MatrixError::from)
            });
            let format = Format::from_content_type(&content_type).unwrap_or(Format::V13);
            cells.push(match answer {
                Err(e) => cell(false, format!("the client: {e}"), Some(id::C_002_M.into())),
                Ok(r) => match (r.outcome, r.session) {
                    (Some(Outcome::Session), Some(s)) => {
                        let built = Built {
                            format,
                            bytes: bytes.clone(),
                        };
                        let judged = checks::session(&s, &built, &SessionExpect::default(), &[]);
                        match judged.failures.first() {
                            None => cell(true, format!("session {}", s.session_id), None),
                            Some(f) => cell(false, f.message(), Some(f.scr.clone())),
                        }
                    }
                    _ => {
                        let (why, scr) = blame(
                            &bytes,
                            &account,
                            r.reason.as_deref().unwrap_or("no reason given"),
                        );
                        cell(false, why, scr)
                    }
                },
            });
        }
    }
    Matrix {
        servers: servers.iter().map(|p| p.name.clone()).collect(),
        clients: clients.iter().map(|p| p.name.clone()).collect(),
        cells,
    }
}

impl Matrix {
    pub fn ok(&self) -> bool {
        self.cells.iter().all(|c| c.ok)
    }

    fn cell(&self, server: &str, client: &str) -> Option<&Cell> {
        self.cells
            .iter()
            .find(|c| c.server == server && c.client == client)
    }

    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "## dmnoti interop matrix\n\nRows: servers; columns: clients. ✅ a correct session; ❌ why not (SCR item).\n\n| server \\\\ client | {} |\n|---|{}\n",
            self.clients.join(" | "),
            "---|".repeat(self.clients.len())
        );
        for s in &self.servers {
            let _ = write!(out, "| {s} |");
            for c in &self.clients {
                let text = match self.cell(s, c) {
                    Some(cell) if cell.ok => "✅".to_owned(),
                    Some(cell) => format!(
                        "❌ {} ({})",
                        cell.why.replace('|', "\\|"),
                        cell.scr.as_deref().unwrap_or("?")
                    ),
                    None => String::new(),
                };
                let _ = write!(out, " {text} |");
            }
            out.push('\n');
        }
        out
    }

    pub fn to_html(&self) -> String {
        let esc = crate::package1::escape;
        let mut out = String::from(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>dmnoti interop matrix</title><style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:6px;vertical-align:top}.ok{background:#dff5dd}.no{background:#f9d6d5}</style></head><body><h1>dmnoti interop matrix</h1><p>Rows: servers; columns: clients.</p><table><tr><th>server \\ client</th>",
        );
        for c in &self.clients {
            let _ = write!(out, "<th>{}</th>", esc(c));
        }
        out.push_str("</tr>\n");
        for s in &self.servers {
            let _ = write!(out, "<tr><th>{}</th>", esc(s));
            for c in &self.clients {
                match self.cell(s, c) {
                    Some(cell) if cell.ok => {
                        let _ = write!(out, "<td class=\"ok\">{}</td>", esc(&cell.why));
                    }
                    Some(cell) => {
                        let _ = write!(
                            out,
                            "<td class=\"no\">{}<br><small>{}</small></td>",
                            esc(&cell.why),
                            esc(cell.scr.as_deref().unwrap_or(""))
                        );
                    }
                    None => out.push_str("<td></td>"),
                }
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table></body></html>\n");
        out
    }
}
