//! The stdio testee protocol v1 (docs/testee-protocol.md): both sides.
//! - [`protocol`]: the message types.
//! - [`serve`]: the testee side, a loop over stdin/stdout that any [`Testee`] plugs into; the
//!   reference client and server use it.
//! - [`process`]: the harness side, which spawns a testee command and talks to it with a timeout on
//!   every request.

pub mod process;
pub mod protocol;
pub mod replay;
pub mod variant;

pub use protocol::{
    Account, FieldError, HexBytes, NotifyRequest, Op, Outcome, Request, Response, Secret, Session,
};

use std::io::{BufRead, Write};

/// Longest request line a testee reads (a notification is small; a line this long is garbage).
pub const MAX_LINE: usize = 1 << 20;

/// What a testee does with a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Answer(Box<Response>),
    /// Exit at once with this status (a crash, as a fault makes it).
    Exit(i32),
    /// Never answer (a hang, as a fault makes it).
    Silence,
}

impl Reply {
    pub fn answer(response: Response) -> Reply {
        Reply::Answer(Box::new(response))
    }
}

/// An implementation under test, seen from the protocol.
pub trait Testee {
    /// The answer to `hello` (its id is filled in by [`serve`]).
    fn hello(&self) -> Response;
    /// Every op but `hello` and `shutdown`.
    fn handle(&mut self, id: u64, op: Op) -> Reply;
}

/// Serves requests from `input` until `shutdown` or end of input. Returns the exit status the
/// process should end with. A line that is not a request gets an error answer and the loop goes on.
pub fn serve<T: Testee>(
    testee: &mut T,
    input: impl BufRead,
    output: impl Write,
) -> std::io::Result<i32> {
    serve_as(testee, variant::Variant::Full, input, output)
}

/// [`serve`], answering as `variant` says (the self-test's protocol variants).
pub fn serve_as<T: Testee>(
    testee: &mut T,
    variant: variant::Variant,
    mut input: impl BufRead,
    mut output: impl Write,
) -> std::io::Result<i32> {
    let mut line = Vec::new();
    loop {
        line.clear();
        let read =
            std::io::Read::take(&mut input, MAX_LINE as u64 + 1).read_until(b'\n', &mut line)?;
        if read == 0 {
            return Ok(0);
        }
        if line.len() > MAX_LINE {
            // Skip the rest of the line, then say so.
            let mut sink = Vec::new();
            if !line.ends_with(b"\n") {
                input.read_until(b'\n', &mut sink)?;
            }
            answer(
                &mut output,
                &Response::error(None, format!("request line longer than {MAX_LINE} bytes")),
                variant,
            )?;
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        if text.trim().is_empty() {
            continue;
        }
        let reply = match parse_request(&text) {
            Ok(Request {
                id,
                op: Op::Hello { protocol },
            }) => {
                if protocol != protocol::PROTOCOL_VERSION {
                    Reply::answer(Response::error(
                        Some(id),
                        format!("protocol {protocol} is not supported; this testee speaks 1"),
                    ))
                } else {
                    Reply::answer(Response {
                        id: Some(id),
                        ..testee.hello()
                    })
                }
            }
            Ok(Request {
                id,
                op: Op::Shutdown,
            }) => {
                answer(&mut output, &Response::ok(id), variant)?;
                return Ok(0);
            }
            Ok(Request { id, op }) => match variant.intercept(id, &op) {
                Some(r) => Reply::answer(r),
                None => testee.handle(id, op),
            },
            Err(response) => Reply::Answer(response),
        };
        match reply {
            Reply::Answer(r) => answer(&mut output, &r, variant)?,
            Reply::Exit(status) => return Ok(status),
            Reply::Silence => loop {
                std::thread::park();
            },
        }
    }
}

/// The answer line as `variant` writes it.
pub fn answer_line(response: &Response, variant: variant::Variant) -> String {
    let mut value = serde_json::to_value(response).unwrap_or_default();
    variant.rewrite(&mut value);
    value.to_string()
}

fn answer(
    output: &mut impl Write,
    response: &Response,
    variant: variant::Variant,
) -> std::io::Result<()> {
    let mut line = answer_line(response, variant).into_bytes();
    line.push(b'\n');
    output.write_all(&line)?;
    output.flush()
}

/// Reads a request, or gives the error answer for a line that is not one: not JSON, no id, an
/// unknown op, or fields that do not fit the op.
fn parse_request(text: &str) -> Result<Request, Box<Response>> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Box::new(Response::error(None, format!("not JSON: {e}"))))?;
    let id = value.get("id").and_then(serde_json::Value::as_u64);
    let Some(id_value) = id else {
        return Err(Box::new(Response::error(None, "request has no numeric id")));
    };
    match value.get("op").and_then(serde_json::Value::as_str) {
        None => return Err(Box::new(Response::error(id, "request has no op"))),
        Some(op) if !Op::NAMES.contains(&op) => {
            return Err(Box::new(Response::error(id, format!("unknown op {op:?}"))));
        }
        Some(_) => {}
    }
    serde_json::from_value(value)
        .map_err(|e| Box::new(Response::error(Some(id_value), format!("bad request: {e}"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo;

    impl Testee for Echo {
        fn hello(&self) -> Response {
            Response {
                ok: Some(true),
                name: Some("echo".into()),
                ..Response::default()
            }
        }

        fn handle(&mut self, id: u64, op: Op) -> Reply {
            match op {
                Op::Clock { now: 1 } => Reply::Exit(101),
                _ => Reply::answer(Response::ok(id)),
            }
        }
    }

    fn run(input: &str) -> (i32, Vec<serde_json::Value>) {
        let mut out = Vec::new();
        let status = serve(&mut Echo, input.as_bytes(), &mut out).unwrap();
        let lines = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (status, lines)
    }

    #[test]
    fn hello_ops_and_shutdown() {
        let (status, out) = run(
            "{\"id\":1,\"op\":\"hello\",\"protocol\":1}\n{\"id\":2,\"op\":\"clock\",\"now\":5}\n{\"id\":3,\"op\":\"shutdown\"}\n{\"id\":4,\"op\":\"clock\",\"now\":5}\n",
        );
        assert_eq!(status, 0);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0]["name"], "echo");
        assert_eq!(out[0]["id"], 1);
        assert_eq!(out[2]["ok"], true);
    }

    #[test]
    fn bad_lines_get_error_answers_and_the_loop_goes_on() {
        let (_, out) = run(
            "not json\n{\"op\":\"hello\"}\n{\"id\":7,\"op\":\"dance\"}\n{\"id\":8,\"op\":\"clock\"}\n{\"id\":9,\"op\":\"hello\",\"protocol\":2}\n{\"id\":10,\"op\":\"clock\",\"now\":3}\n",
        );
        let errors: Vec<_> = out
            .iter()
            .map(|r| r["error"].as_str().unwrap_or("").to_owned())
            .collect();
        assert!(errors[0].starts_with("not JSON"));
        assert_eq!(errors[1], "request has no numeric id");
        assert_eq!(errors[2], "unknown op \"dance\"");
        assert!(errors[3].starts_with("bad request"), "{}", errors[3]);
        assert!(errors[4].contains("not supported"));
        assert_eq!(out[5]["ok"], true);
    }

    #[test]
    fn exit_replies_end_the_loop() {
        let (status, out) =
            run("{\"id\":1,\"op\":\"clock\",\"now\":1}\n{\"id\":2,\"op\":\"clock\",\"now\":2}\n");
        assert_eq!(status, 101);
        assert!(out.is_empty());
    }

    #[test]
    fn overlong_lines_are_refused() {
        let long = format!(
            "{}\n{{\"id\":2,\"op\":\"clock\",\"now\":2}}\n",
            "x".repeat(MAX_LINE + 10)
        );
        let (_, out) = run(&long);
        assert!(out[0]["error"].as_str().unwrap().contains("longer than"));
        assert_eq!(out[1]["ok"], true);
    }
}
