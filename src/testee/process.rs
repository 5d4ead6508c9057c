//! The harness side of the stdio protocol: a testee process, spawned from a command, asked one
//! request at a time, each with a timeout. Its stdout is read by a thread into a channel, so no
//! read blocks the harness; its stderr is kept (the last 64 KiB) for the report. The process is
//! killed when this handle drops.

use super::MAX_LINE;
use super::protocol::{Op, PROTOCOL_VERSION, Request, Response};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How much of a testee's stderr is kept.
const STDERR_KEPT: usize = 64 * 1024;

/// How to start a testee.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandSpec {
    pub command: PathBuf,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub cwd: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum TesteeError {
    #[error("cannot start the IUT ({command}): {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("IUT exited with status {}", .status.map_or("unknown (killed by a signal)".to_owned(), |s| s.to_string()))]
    Exited { status: Option<i32> },
    #[error("no answer in {}", seconds(*.0))]
    Timeout(Duration),
    #[error("IUT wrote a line that is not a response: {0}")]
    Garbage(String),
    #[error("IUT refused the request: {0}")]
    Refused(String),
    #[error("protocol error: the answer's id is {got}, the request's {expected}")]
    WrongId { expected: u64, got: String },
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}

enum Line {
    Text(String),
    TooLong,
    Eof,
}

/// A running testee.
pub struct TesteeProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Line>,
    stderr: Arc<Mutex<Vec<u8>>>,
    /// The thread reading stderr: done once the testee's stderr is closed.
    stderr_reader: Option<std::thread::JoinHandle<()>>,
    next_id: u64,
    /// The command line, for messages.
    pub description: String,
    /// Every line exchanged, for reproducers and debug output: (sent, text).
    pub transcript: Vec<(bool, String)>,
    pub keep_transcript: bool,
}

impl TesteeProcess {
    pub fn spawn(spec: &CommandSpec) -> Result<TesteeProcess, TesteeError> {
        let description = std::iter::once(spec.command.display().to_string())
            .chain(spec.args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        let mut cmd = Command::new(&spec.command);
        cmd.args(&spec.args)
            .envs(&spec.env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(dir) = &spec.cwd {
            cmd.current_dir(dir);
        }
        own_group(&mut cmd);
        let mut child = cmd.spawn().map_err(|source| TesteeError::Spawn {
            command: description.clone(),
            source,
        })?;
        crate::interrupt::register(child.id());
        let stdin = child.stdin.take();
        let (tx, lines) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stdout);
                loop {
                    let mut buf = Vec::new();
                    let line = match (&mut reader)
                        .take(MAX_LINE as u64 + 1)
                        .read_until(b'\n', &mut buf)
                    {
                        Ok(0) | Err(_) => Line::Eof,
                        Ok(_) if buf.len() > MAX_LINE => Line::TooLong,
                        Ok(_) => Line::Text(String::from_utf8_lossy(&buf).trim_end().to_owned()),
                    };
                    let end = matches!(line, Line::Eof | Line::TooLong);
                    if tx.send(line).is_err() || end {
                        return;
                    }
                }
            });
        }
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let mut stderr_reader = None;
        if let Some(mut err) = child.stderr.take() {
            let kept = Arc::clone(&stderr);
            stderr_reader = Some(std::thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(n) = err.read(&mut chunk) {
                    if n == 0 {
                        return;
                    }
                    if let Ok(mut kept) = kept.lock() {
                        kept.extend_from_slice(&chunk[..n]);
                        // The last STDERR_KEPT bytes, trimmed now and then (not on every chunk:
                        // a flood must not cost a copy of the whole buffer per read).
                        if kept.len() > 2 * STDERR_KEPT {
                            let excess = kept.len() - STDERR_KEPT;
                            kept.drain(..excess);
                        }
                    }
                }
            }));
        }
        Ok(TesteeProcess {
            child,
            stdin,
            lines,
            stderr,
            stderr_reader,
            next_id: 1,
            description,
            transcript: Vec::new(),
            keep_transcript: false,
        })
    }

    /// Says hello; the answer names the testee's role.
    pub fn hello(&mut self, timeout: Duration) -> Result<Response, TesteeError> {
        let r = self.call(
            Op::Hello {
                protocol: PROTOCOL_VERSION,
            },
            timeout,
        )?;
        match r.ok {
            Some(false) => Err(TesteeError::Refused(r.error.unwrap_or_default())),
            _ => Ok(r),
        }
    }

    /// Sends one request and waits for the response with its id, at most `timeout`.
    pub fn call(&mut self, op: Op, timeout: Duration) -> Result<Response, TesteeError> {
        let id = self.next_id;
        self.next_id += 1;
        let line = serde_json::to_string(&Request { id, op })
            .map_err(|e| TesteeError::Garbage(format!("cannot encode the request: {e}")))?;
        self.send(&line)?;
        let deadline = Instant::now() + timeout;
        loop {
            let text = self.read(deadline, timeout)?;
            let response =
                Response::parse(&text).map_err(|_| TesteeError::Garbage(abbreviate(&text)))?;
            match response.id {
                // An answer to an earlier request that timed out: not this one's.
                Some(rid) if rid < id => continue,
                Some(rid) if rid == id => return Ok(response),
                other => {
                    return Err(TesteeError::WrongId {
                        expected: id,
                        got: other.map_or("null".to_owned(), |v| v.to_string()),
                    });
                }
            }
        }
    }

    /// Sends one line as it is and returns the next non-empty line the testee writes (for replays).
    pub fn exchange_line(&mut self, line: &str, timeout: Duration) -> Result<String, TesteeError> {
        self.send(line)?;
        self.read(Instant::now() + timeout, timeout)
    }

    fn send(&mut self, line: &str) -> Result<(), TesteeError> {
        if self.keep_transcript {
            self.transcript.push((true, line.to_owned()));
        }
        let written = match self.stdin.as_mut() {
            Some(stdin) => stdin
                .write_all(format!("{line}\n").as_bytes())
                .and_then(|()| stdin.flush()),
            None => Err(std::io::Error::other("stdin closed")),
        };
        written.map_err(|_| self.exited())
    }

    /// The next non-empty line, until `deadline` (`timeout` is what the error says).
    fn read(&mut self, deadline: Instant, timeout: Duration) -> Result<String, TesteeError> {
        loop {
            match self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(Line::Text(text)) if text.trim().is_empty() => continue,
                Ok(Line::Text(text)) => {
                    if self.keep_transcript {
                        self.transcript.push((false, text.clone()));
                    }
                    return Ok(text);
                }
                Ok(Line::TooLong) => {
                    return Err(TesteeError::Garbage(format!(
                        "a line longer than {MAX_LINE} bytes"
                    )));
                }
                Ok(Line::Eof) | Err(RecvTimeoutError::Disconnected) => return Err(self.exited()),
                Err(RecvTimeoutError::Timeout) => return Err(TesteeError::Timeout(timeout)),
            }
        }
    }

    /// The status of a testee whose output ended (waiting a moment for it to finish exiting).
    fn exited(&mut self) -> TesteeError {
        let deadline = Instant::now() + Duration::from_millis(500);
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    return TesteeError::Exited {
                        status: status.code(),
                    };
                }
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                _ => {
                    let _ = self.child.kill();
                    return TesteeError::Exited { status: None };
                }
            }
        }
    }

    /// What the testee wrote to stderr so far (the last 64 KiB).
    /// What the testee wrote to stderr, once it has exited: the reader is given a moment to
    /// take the last of it (a testee that prints its error and exits at once).
    pub fn stderr_at_exit(&mut self) -> String {
        if let Ok(Some(_)) = self.child.try_wait() {
            let deadline = Instant::now() + Duration::from_millis(500);
            while self
                .stderr_reader
                .as_ref()
                .is_some_and(|t| !t.is_finished())
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        self.stderr()
    }

    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .map(|b| {
                String::from_utf8_lossy(&b[b.len().saturating_sub(STDERR_KEPT)..]).into_owned()
            })
            .unwrap_or_default()
    }

    /// Asks the testee to stop, then makes sure it has.
    pub fn shutdown(mut self, timeout: Duration) {
        let _ = self.call(Op::Shutdown, timeout);
    }
}

impl Drop for TesteeProcess {
    fn drop(&mut self) {
        self.stdin.take();
        // The whole group: what the testee forked (a shell's `sleep`, workers) dies with it.
        kill_group(&mut self.child);
    }
}

/// Starts `cmd` in a process group of its own (its pid is the group's id), so that everything it
/// forks can be killed with it.
pub fn own_group(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0);
}

/// Kills a child's whole process group and reaps the child.
pub fn kill_group(child: &mut Child) {
    crate::interrupt::kill_group_id(child.id());
    let _ = child.kill();
    let _ = child.wait();
    crate::interrupt::unregister(child.id());
}

fn abbreviate(text: &str) -> String {
    const SHOWN: usize = 200;
    match text.char_indices().nth(SHOWN) {
        Some((i, _)) => format!("{}... ({} bytes)", &text[..i], text.len()),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> CommandSpec {
        CommandSpec {
            command: "/bin/sh".into(),
            args: vec!["-c".into(), script.into()],
            ..CommandSpec::default()
        }
    }

    const T: Duration = Duration::from_millis(500);

    #[test]
    fn a_silent_testee_times_out() {
        let mut p = TesteeProcess::spawn(&sh("sleep 10")).unwrap();
        let started = Instant::now();
        let err = p
            .call(Op::Clock { now: 1 }, Duration::from_millis(200))
            .unwrap_err();
        assert!(matches!(err, TesteeError::Timeout(_)), "{err}");
        assert_eq!(err.to_string(), "no answer in 0.2 s");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn a_dying_testee_reports_its_status() {
        let mut p = TesteeProcess::spawn(&sh("read line; echo oops >&2; exit 101")).unwrap();
        let err = p.call(Op::Clock { now: 1 }, T).unwrap_err();
        assert_eq!(err.to_string(), "IUT exited with status 101");
        // stderr is read by a thread: give it a moment.
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(p.stderr(), "oops\n");
    }

    #[test]
    fn garbage_is_named() {
        let mut p = TesteeProcess::spawn(&sh("read line; echo 'hello there'; sleep 5")).unwrap();
        let err = p.call(Op::Clock { now: 1 }, T).unwrap_err();
        assert_eq!(
            err.to_string(),
            "IUT wrote a line that is not a response: hello there"
        );
    }

    #[test]
    fn answers_are_matched_by_id() {
        // Answers id 1 late (after the harness gave up), then id 2: the stale one is skipped.
        let script = r#"read a; read b; echo '{"id":1,"ok":true}'; echo '{"id":2,"ok":true,"name":"second"}'; sleep 5"#;
        let mut p = TesteeProcess::spawn(&sh(script)).unwrap();
        assert!(matches!(
            p.call(Op::Clock { now: 1 }, Duration::from_millis(100)),
            Err(TesteeError::Timeout(_))
        ));
        let r = p.call(Op::Clock { now: 2 }, T).unwrap();
        assert_eq!(r.name.as_deref(), Some("second"));
    }

    #[test]
    fn a_missing_command_is_a_spawn_error() {
        let spec = CommandSpec {
            command: "/nonexistent/iut".into(),
            ..CommandSpec::default()
        };
        assert!(matches!(
            TesteeProcess::spawn(&spec),
            Err(TesteeError::Spawn { .. })
        ));
    }

    #[test]
    fn dropping_kills_the_process() {
        let p = TesteeProcess::spawn(&sh("sleep 30")).unwrap();
        let pid = p.child.id();
        drop(p);
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    }
}
