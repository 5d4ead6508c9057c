//! The reference implementation: a conformant DM client and DM server, the default IUT of
//! `dmnoti run`, each with named faults the suites must catch. Their decisions are pure
//! ([`client::ReferenceClient`], [`server::ReferenceServer`]); here they are plugged into the stdio
//! testee loop.

pub mod client;
pub mod device;
pub mod faults;
pub mod package1;
pub mod server;

use crate::codec::{self, Format};
use crate::scr::Role;
use crate::testee::{self, HexBytes, Op, Outcome, Reply, Response, Testee};
use client::{Decision, ReferenceClient};
use server::ReferenceServer;

fn hello(role: Role, name: &str) -> Response {
    Response {
        ok: Some(true),
        role: Some(role),
        name: Some(name.to_owned()),
        version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        protocol: Some(testee::protocol::PROTOCOL_VERSION),
        ..Response::default()
    }
}

fn wrong_role(id: u64, op: &Op, role: Role) -> Reply {
    Reply::answer(Response::error(
        Some(id),
        format!("op {:?} is not for a {role}", op.name()),
    ))
}

impl Testee for ReferenceClient {
    fn hello(&self) -> Response {
        hello(Role::Client, "dmnoti-reference-client")
    }

    fn handle(&mut self, id: u64, op: Op) -> Reply {
        match op {
            Op::Provision { accounts, now } => {
                self.provision(accounts, now);
                Reply::answer(Response::ok(id))
            }
            Op::Clock { now } => {
                self.now = Some(now);
                Reply::answer(Response::ok(id))
            }
            Op::Deliver {
                content_type,
                message,
            } => match self.deliver(&content_type, &message.0) {
                Decision::Session(s) => Reply::answer(Response::session(id, s)),
                Decision::Ignored(reason) => Reply::answer(Response::ignored(id, reason)),
                Decision::Crash => Reply::Exit(101),
                Decision::Hang => Reply::Silence,
            },
            other => wrong_role(id, &other, Role::Client),
        }
    }
}

impl Testee for ReferenceServer {
    fn hello(&self) -> Response {
        hello(Role::Server, "dmnoti-reference-server")
    }

    fn handle(&mut self, id: u64, op: Op) -> Reply {
        match op {
            Op::Provision { accounts, now } => {
                self.provision(accounts, now);
                Reply::answer(Response::ok(id))
            }
            Op::Clock { now } => {
                self.now = Some(now);
                Reply::answer(Response::ok(id))
            }
            Op::Notify { request } => Reply::answer(match self.notify(&request) {
                Ok(n) => Response {
                    id: Some(id),
                    outcome: Some(Outcome::Notification),
                    content_type: Some(n.format.content_type().to_owned()),
                    message: Some(HexBytes(n.message)),
                    session_id: Some(n.session_id),
                    ..Response::default()
                },
                Err(e) => Response::error(Some(id), e),
            }),
            other => wrong_role(id, &other, Role::Server),
        }
    }
}

/// Runs a testee over this process's stdin and stdout; returns the exit status.
pub fn serve_stdio(testee: &mut impl Testee) -> std::io::Result<i32> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    testee::serve(testee, stdin.lock(), stdout.lock())
}

/// The content type of a format, for callers that hold only the bytes' format.
pub fn content_type(format: Format) -> &'static str {
    match format {
        Format::V13 => codec::CONTENT_TYPE_V13,
        Format::V12 => codec::CONTENT_TYPE_V12,
    }
}

#[cfg(test)]
mod tests;
