//! What a person reads of a run: the console summary of `dmnoti run`, and one rendering of a
//! case's messages (each step's bytes, their breakdown and the IUT's answer) that `--debug` and
//! JUnit's system-out both use.

use super::coverage::Coverage;
use super::result::{CaseResult, Run, Verdict};
use std::fmt::Write as _;
use std::path::PathBuf;

/// The most of a case's rendering that goes into a report (JUnit's system-out): a testee that
/// answers with megabytes must not make a report of gigabytes.
pub const MAX_CASE_TEXT: usize = 64 * 1024;

/// Text from an IUT as a terminal may show it: control characters (an ANSI escape, a bell, a
/// carriage return that overwrites the line) written as `\x1b`, `\u{7f}`; newlines and tabs
/// kept.
pub fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text from an IUT as Markdown shows it literally: [`plain`], with every character Markdown or
/// HTML would act on backslash-escaped, on one line.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in plain(text).chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '!'
            | '|' | '<' | '>' | '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// At most [`MAX_CASE_TEXT`] bytes of `text`, cut at a character, saying how much was left out.
pub fn capped(mut text: String) -> String {
    if text.len() > MAX_CASE_TEXT {
        let more = text.len() - MAX_CASE_TEXT;
        let cut = (0..=MAX_CASE_TEXT)
            .rev()
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(0);
        text.truncate(cut);
        let _ = writeln!(
            text,
            "\n... ({more} bytes more left out; coverage.json has the case)"
        );
    }
    text
}

/// A case's title and the sentence it enforces, then every message with its breakdown and the
/// answer, then what it saw besides (warnings, observations, checks not made, protocol errors):
/// control characters escaped, at most [`MAX_CASE_TEXT`] bytes.
pub fn messages(r: &CaseResult) -> String {
    capped(plain(&messages_raw(r)))
}

fn messages_raw(r: &CaseResult) -> String {
    let mut out = format!("{}\n", r.title);
    if let Some(b) = &r.basis {
        let _ = writeln!(
            out,
            "basis ({}, {}): {}",
            b.section,
            b.level.word(),
            b.quote
        );
    }
    for e in &r.exchanges {
        let _ = writeln!(
            out,
            "\n-- step {} {}{}",
            e.step,
            e.op,
            e.content_type
                .as_ref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default()
        );
        if let Some(m) = &e.message {
            let _ = writeln!(out, "message: {m}");
        }
        if let Some(x) = &e.explain {
            out.push_str(x);
        }
        let _ = writeln!(out, "answer: {}", e.response);
    }
    for o in &r.observations {
        let _ = writeln!(
            out,
            "\nobserved on another item (it fails that item, not this case): [{}] {}",
            o.scr,
            o.message()
        );
    }
    for w in &r.warnings {
        let _ = writeln!(
            out,
            "\nwarning ({}; fails under --strict): [{}] {}",
            w.level.word(),
            w.scr,
            w.message()
        );
    }
    for u in &r.unobserved {
        let _ = writeln!(out, "\n{u}");
    }
    for e in &r.protocol_errors {
        let _ = writeln!(out, "\n{e}");
    }
    for s in &r.strays {
        let _ = writeln!(out, "\narrived, answering no message sent: {s}");
    }
    out
}

/// `--debug`: a case in full, its messages, every protocol line and every failure, control
/// characters escaped.
pub fn debug(r: &CaseResult) -> String {
    plain(&debug_raw(r))
}

fn debug_raw(r: &CaseResult) -> String {
    let mut out = format!(
        "== {} ({}): {}\n{}",
        r.id,
        r.scrs.join(", "),
        r.verdict.word(),
        messages_raw(r)
    );
    out.push_str("-- protocol lines\n");
    for (sent, line) in &r.transcript {
        let _ = writeln!(out, "{} {line}", if *sent { "->" } else { "<-" });
    }
    for f in &r.failures {
        let _ = writeln!(out, "FAIL [{}] {}", f.scr, f.message());
    }
    out
}

/// The console summary: a line per case that did not pass, the known-failure list's problems,
/// contradicted claims, the coverage table and the closing count; control characters escaped.
pub fn text(runs: &[Run], coverage: &Coverage, strict_claims: bool, written: &[PathBuf]) -> String {
    plain(&text_raw(runs, coverage, strict_claims, written))
}

fn text_raw(runs: &[Run], coverage: &Coverage, strict_claims: bool, written: &[PathBuf]) -> String {
    let mut out = String::new();
    for r in runs.iter().flat_map(|r| &r.results) {
        if !matches!(r.verdict, Verdict::Pass | Verdict::Skipped) {
            let _ = writeln!(out, "{}", r.headline());
        }
        for s in &r.strays {
            let _ = writeln!(out, "STRAY {}: {}", r.id, plain(s));
        }
        for w in &r.warnings {
            let _ = writeln!(
                out,
                "WARNING {} [{}] ({}): {}",
                r.id,
                w.scr,
                w.level.word(),
                w.message()
            );
        }
    }
    for p in &coverage.run_problems {
        let _ = writeln!(out, "INCOMPLETE: {p}");
    }
    for p in &coverage.known_failure_problems {
        let _ = writeln!(out, "KNOWN-FAILURE LIST: {p}");
    }
    for c in &coverage.claims_contradicted {
        let label = if strict_claims {
            "CLAIM CONTRADICTED"
        } else {
            "warning: claim contradicted"
        };
        let _ = writeln!(out, "{label}: {c}");
    }
    out.push('\n');
    out.push_str(&coverage.to_text());
    let count = |v: Verdict| {
        runs.iter()
            .flat_map(|r| &r.results)
            .filter(|r| r.verdict == v)
            .count()
    };
    let wall: std::time::Duration = runs.iter().map(|r| r.wall).sum();
    let _ = writeln!(
        out,
        "\n{} passed, {} failed, {} inconclusive, {} skipped, {} expected failures, {} errors, {} warnings in {:.2} s: {}",
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::Inconclusive),
        count(Verdict::Skipped),
        count(Verdict::ExpectedFailure),
        count(Verdict::Error),
        runs.iter()
            .flat_map(|r| &r.results)
            .map(|r| r.warnings.len())
            .sum::<usize>(),
        wall.as_secs_f64(),
        if coverage.ok {
            "every mandatory and claimed item passes"
        } else {
            "NOT every mandatory and claimed item passes"
        },
    );
    let _ = writeln!(
        out,
        "reports: {}",
        written
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    out
}
