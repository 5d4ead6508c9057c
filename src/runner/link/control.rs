//! The control channel of the stdio testee protocol (docs/testee-protocol.md): requests and their
//! answers, to a testee process ([`ProcessControl`]) or to a [`Testee`] in this process
//! ([`InProcess`]). Both start the testee when it is not running, greet it and check its role; a
//! testee that breaks is dropped, and the next request starts a fresh one.

use super::{Broken, IutError, SetupError};
use crate::scr::Role;
use crate::testee::process::{CommandSpec, TesteeError, TesteeProcess};
use crate::testee::protocol::PROTOCOL_VERSION;
use crate::testee::variant::Variant;
use crate::testee::{Op, Reply, Response, Testee, answer_line};
use std::time::Duration;

/// Requests to a testee and its answers.
pub trait Control {
    /// Starts and greets the testee when none is running. Returns its hello when it just started.
    fn ensure(&mut self) -> Result<Option<Response>, Broken>;

    /// One request. A testee that breaks on it is dropped (its stderr kept).
    fn call(&mut self, op: Op) -> Result<Response, Broken>;

    fn take_transcript(&mut self) -> Vec<(bool, String)>;

    fn stderr(&self) -> Option<String>;

    /// Drops the testee: the next request starts a fresh one.
    fn reset(&mut self);
}

fn check_role(hello: &Response, role: Role) -> Result<(), Broken> {
    if let Some(p) = hello.protocol.filter(|p| *p != PROTOCOL_VERSION) {
        return Err(SetupError::Protocol(p).into());
    }
    match hello.role {
        Some(said) if said != role => Err(SetupError::WrongRole {
            said,
            profile: role,
        }
        .into()),
        _ => Ok(()),
    }
}

/// A testee process, restarted when it breaks.
pub struct ProcessControl {
    command: CommandSpec,
    role: Role,
    timeout: Duration,
    debug: bool,
    process: Option<TesteeProcess>,
    transcript: Vec<(bool, String)>,
    /// The stderr of the last testee that broke.
    broken_stderr: Option<String>,
}

impl ProcessControl {
    pub fn new(command: CommandSpec, role: Role, timeout: Duration, debug: bool) -> Self {
        ProcessControl {
            command,
            role,
            timeout,
            debug,
            process: None,
            transcript: Vec::new(),
            broken_stderr: None,
        }
    }

    fn drop_process(&mut self) {
        if let Some(mut p) = self.process.take() {
            let err = p.stderr_at_exit();
            if !err.is_empty() {
                self.broken_stderr = Some(err);
            }
            self.transcript.append(&mut p.transcript);
        }
    }
}

impl Control for ProcessControl {
    fn ensure(&mut self) -> Result<Option<Response>, Broken> {
        if self.process.is_some() {
            return Ok(None);
        }
        let mut p = TesteeProcess::spawn(&self.command).map_err(SetupError::Start)?;
        p.keep_transcript = self.debug;
        let hello = match p.hello(self.timeout) {
            Ok(h) => h,
            Err(e) => {
                self.process = Some(p);
                self.drop_process();
                return Err(SetupError::Hello(e).into());
            }
        };
        check_role(&hello, self.role)?;
        self.process = Some(p);
        Ok(Some(hello))
    }

    fn call(&mut self, op: Op) -> Result<Response, Broken> {
        self.ensure()?;
        let timeout = self.timeout;
        let Some(p) = self.process.as_mut() else {
            return Err(SetupError::NotRunning("testee").into());
        };
        let result = p.call(op, timeout);
        self.transcript.append(&mut p.transcript);
        result.map_err(|e| {
            self.drop_process();
            IutError::Testee(e).into()
        })
    }

    fn take_transcript(&mut self) -> Vec<(bool, String)> {
        if let Some(p) = self.process.as_mut() {
            self.transcript.append(&mut p.transcript);
        }
        std::mem::take(&mut self.transcript)
    }

    fn stderr(&self) -> Option<String> {
        self.broken_stderr.clone().or_else(|| {
            self.process
                .as_ref()
                .map(TesteeProcess::stderr)
                .filter(|e| !e.is_empty())
        })
    }

    fn reset(&mut self) {
        self.process = None;
        self.broken_stderr = None;
    }
}

/// A [`Testee`] in this process, made afresh by `make` whenever it broke. Its crashes and hangs
/// (a fault's [`Reply::Exit`] and [`Reply::Silence`]) read as a process's would: exited, no answer.
pub struct InProcess<T, F> {
    make: F,
    /// How the testee's answers are written (and then read back, as over a pipe).
    variant: Variant,
    role: Role,
    testee: Option<T>,
    next_id: u64,
    /// What a silent testee is said to have been waited for.
    timeout: Duration,
}

impl<T: Testee, F: FnMut() -> T> InProcess<T, F> {
    pub fn new(role: Role, make: F) -> Self {
        InProcess {
            make,
            variant: Variant::Full,
            role,
            testee: None,
            next_id: 1,
            timeout: crate::profile::DEFAULT_STEP_TIMEOUT,
        }
    }
}

impl<T: Testee, F: FnMut() -> T> InProcess<T, F> {
    /// Answers as a testee speaking `variant` of the protocol would.
    pub fn speaking(mut self, variant: Variant) -> Self {
        self.variant = variant;
        self
    }
}

impl<T: Testee, F: FnMut() -> T> Control for InProcess<T, F> {
    fn ensure(&mut self) -> Result<Option<Response>, Broken> {
        if self.testee.is_some() {
            return Ok(None);
        }
        let t = (self.make)();
        let mut hello = t.hello();
        hello.id = Some(0);
        hello.protocol = hello.protocol.or(Some(PROTOCOL_VERSION));
        check_role(&hello, self.role)?;
        self.testee = Some(t);
        Ok(Some(hello))
    }

    fn call(&mut self, op: Op) -> Result<Response, Broken> {
        self.ensure()?;
        let id = self.next_id;
        self.next_id += 1;
        let Some(t) = self.testee.as_mut() else {
            return Err(SetupError::NotRunning("testee").into());
        };
        let reply = match self.variant.intercept(id, &op) {
            Some(r) => Reply::answer(r),
            None => t.handle(id, op),
        };
        match reply {
            // Through the wire format and back, as a process's answer would come.
            Reply::Answer(r) => Response::parse(&answer_line(&r, self.variant)).map_err(|_| {
                IutError::Testee(TesteeError::Garbage("not a JSON object".into())).into()
            }),
            Reply::Exit(status) => {
                self.testee = None;
                Err(IutError::Testee(TesteeError::Exited {
                    status: Some(status),
                })
                .into())
            }
            Reply::Silence => {
                self.testee = None;
                Err(IutError::Testee(TesteeError::Timeout(self.timeout)).into())
            }
        }
    }

    fn take_transcript(&mut self) -> Vec<(bool, String)> {
        Vec::new()
    }

    fn stderr(&self) -> Option<String> {
        None
    }

    fn reset(&mut self) {
        self.testee = None;
    }
}
