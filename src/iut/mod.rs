//! The reference implementation: a conformant DM client and DM server, the default IUT of
//! `dmnoti run`, each with named faults the suites must catch. Their decisions are pure
//! ([`client::ReferenceClient`], [`server::ReferenceServer`]); here they are plugged into the stdio
//! testee loop.

pub mod client;
pub mod device;
pub mod faults;
pub mod net;
pub mod net_server;
pub mod server;

use crate::scr::Role;
use crate::testee::{self, Account, HexBytes, Op, Outcome, Reply, Response, Testee};
use client::{Decision, ReferenceClient};
use server::ReferenceServer;

/// The testee's notion of now: fixed by the harness (`clock`, `provision`), else the system's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    fixed: Option<u64>,
}

impl Clock {
    /// Fixes the clock when given a time; leaves it as it is otherwise.
    pub fn set(&mut self, now: Option<u64>) {
        if now.is_some() {
            self.fixed = now;
        }
    }

    pub fn now(&self) -> u64 {
        self.fixed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        })
    }
}

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

/// What both reference testees do alike: be provisioned, have their clock set, refuse the other
/// role's op.
trait Provisioned {
    const ROLE: Role;
    fn provision(&mut self, accounts: Vec<Account>, now: Option<u64>);
    fn clock(&mut self) -> &mut Clock;
    /// The role's own op (`deliver` or `notify`).
    fn own(&mut self, id: u64, op: Op) -> Option<Reply>;

    fn dispatch(&mut self, id: u64, op: Op) -> Reply {
        match op {
            Op::Provision { accounts, now, .. } => {
                self.provision(accounts, now);
                Reply::answer(Response::ok(id))
            }
            Op::Clock { now } => {
                self.clock().set(Some(now));
                Reply::answer(Response::ok(id))
            }
            op => {
                let name = op.name();
                self.own(id, op).unwrap_or_else(|| {
                    Reply::answer(Response::error(
                        Some(id),
                        format!("op {name:?} is not for a {}", Self::ROLE),
                    ))
                })
            }
        }
    }
}

impl Provisioned for ReferenceClient {
    const ROLE: Role = Role::Client;

    fn provision(&mut self, accounts: Vec<Account>, now: Option<u64>) {
        ReferenceClient::provision(self, accounts, now);
    }

    fn clock(&mut self) -> &mut Clock {
        &mut self.clock
    }

    fn own(&mut self, id: u64, op: Op) -> Option<Reply> {
        let Op::Deliver {
            content_type,
            message,
        } = op
        else {
            return None;
        };
        Some(match self.deliver(&content_type, &message.0) {
            Decision::Session(s) => Reply::answer(Response::session(id, s)),
            Decision::Ignored(reason) => Reply::answer(Response::ignored(id, reason)),
            Decision::Crash => Reply::Exit(101),
            Decision::Hang => Reply::Silence,
        })
    }
}

impl Provisioned for ReferenceServer {
    const ROLE: Role = Role::Server;

    fn provision(&mut self, accounts: Vec<Account>, now: Option<u64>) {
        ReferenceServer::provision(self, accounts, now);
    }

    fn clock(&mut self) -> &mut Clock {
        &mut self.clock
    }

    fn own(&mut self, id: u64, op: Op) -> Option<Reply> {
        let Op::Notify { request } = op else {
            return None;
        };
        Some(Reply::answer(match self.notify(&request) {
            Ok(n) => Response {
                id: Some(id),
                outcome: Some(Outcome::Notification),
                content_type: Some(n.format.content_type().to_owned()),
                message: Some(HexBytes(n.message)),
                session_id: Some(n.session_id),
                ..Response::default()
            },
            Err(e) => Response::error(Some(id), e.to_string()),
        }))
    }
}

impl Testee for ReferenceClient {
    fn hello(&self) -> Response {
        hello(Role::Client, "dmnoti-reference-client")
    }

    fn handle(&mut self, id: u64, op: Op) -> Reply {
        self.dispatch(id, op)
    }
}

impl Testee for ReferenceServer {
    fn hello(&self) -> Response {
        hello(Role::Server, "dmnoti-reference-server")
    }

    fn handle(&mut self, id: u64, op: Op) -> Reply {
        self.dispatch(id, op)
    }
}

/// Runs a testee over this process's stdin and stdout, answering as `variant` says; returns the
/// exit status.
pub fn serve_stdio(
    testee: &mut impl Testee,
    variant: testee::variant::Variant,
) -> std::io::Result<i32> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    testee::serve_as(testee, variant, stdin.lock(), stdout.lock())
}

#[cfg(test)]
mod tests;
