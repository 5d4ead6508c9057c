//! `coverage.html`: the page an engineer opens first after a red run. One self-contained file (its
//! style and its small filter script inline, nothing fetched), that works offline:
//! - a header with the verdict, the IUTs, the harness, the date, the suites hash, and the counts
//!   as a bar;
//! - filters by verdict and role, and a search box;
//! - per SCR item its verdict, linked to the cases that decided it;
//! - per case its title, the sentence of the spec it enforces, each message as hex and decoded
//!   field by field, the IUT's answers, the failure (expected against observed), and the IUT's
//!   stderr. Failing cases are open; the rest fold.
//!
//! Every text from a suite or an IUT is HTML-escaped.

use super::coverage::{Coverage, ItemVerdict};
use super::result::{CaseResult, Run, Verdict};
/// Text from a suite or an IUT as HTML shows it literally: markup escaped, and control
/// characters (an ANSI escape, a bell) written out as `\x1b`, never passed raw.
fn esc(text: &str) -> String {
    crate::package1::escape(&crate::report::summary::plain(text))
}
use std::fmt::Write as _;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#1d2330;background:#fafbfc}\
header{padding:1.2em 2em;background:#fff;border-bottom:1px solid #dde}\
h1{margin:0 0 .3em;font-size:1.6em}h1 .v{padding:.1em .5em;border-radius:4px;color:#fff}\
.v-PASS{background:#2e7d32}.v-FAIL{background:#c62828}.meta{color:#555;font-size:.9em}\
.meta code{font-size:.85em}.bar{display:flex;height:22px;margin:.8em 0 .2em;border-radius:4px;overflow:hidden;font-size:.8em}\
.bar span{display:flex;align-items:center;justify-content:center;color:#fff;white-space:nowrap;overflow:hidden}\
.b-pass{background:#2e7d32}.b-fail{background:#c62828}.b-inconclusive{background:#8d6e00}\
.b-skipped{background:#90a4ae}.b-expected{background:#6a1b9a}.b-error{background:#4e342e}\
nav{position:sticky;top:0;background:#eef1f5;padding:.6em 2em;border-bottom:1px solid #dde;z-index:1}\
nav label{margin-right:1em;font-size:.9em}nav input[type=search]{width:18em;padding:3px}\
main{padding:0 2em 3em}table{border-collapse:collapse;background:#fff}\
td,th{border:1px solid #dde;padding:3px 8px;text-align:left;vertical-align:top;font-size:.9em}th{background:#eef1f5}\
.i-PASS{color:#2e7d32}.i-FAIL{color:#c62828;font-weight:bold}.i-INCONCLUSIVE{color:#8d6e00}\
details.case{background:#fff;border:1px solid #dde;border-left:5px solid #90a4ae;margin:.5em 0;padding:.3em .8em}\
details.case[data-verdict=fail],details.case[data-verdict=error]{border-left-color:#c62828}\
details.case[data-verdict=pass]{border-left-color:#2e7d32}details.case[data-verdict=inconclusive]{border-left-color:#8d6e00}\
summary{cursor:pointer}.badge{display:inline-block;min-width:7em;font-weight:bold}\
blockquote{margin:.5em 0;padding:.3em .8em;border-left:3px solid #99a;background:#f4f5f8;font-style:italic}\
pre{background:#f4f5f8;padding:6px 8px;overflow-x:auto;white-space:pre-wrap;font-size:.85em;margin:.3em 0}\
.failure td:first-child,#items td:first-child{white-space:nowrap}.failure td:first-child{font-weight:bold}\
#failed li{margin:.2em 0}h4{margin:.8em 0 .2em;font-size:.95em}a{color:#0645ad}";

const SCRIPT: &str = "(function(){\
var boxes=[].slice.call(document.querySelectorAll('nav input[type=checkbox][value]'));\
var role=document.getElementById('role'),q=document.getElementById('q'),w=document.getElementById('warned');\
function apply(){var on={};boxes.forEach(function(b){on[b.value]=b.checked;});\
var r=role.value,t=q.value.toLowerCase(),shown=0;\
document.querySelectorAll('details.case').forEach(function(d){\
var ok=on[d.dataset.verdict]&&(r==='all'||d.dataset.role===r)&&(!t||d.textContent.toLowerCase().indexOf(t)>=0)&&(!w.checked||d.dataset.warned);\
d.hidden=!ok;if(ok)shown++;});document.getElementById('shown').textContent=shown;}\
boxes.forEach(function(b){b.addEventListener('change',apply);});w.addEventListener('change',apply);\
role.addEventListener('change',apply);q.addEventListener('input',apply);apply();})();";

/// The verdicts as the filters and the data attributes name them, with the bar's label.
const VERDICTS: [(Verdict, &str, &str, &str); 6] = [
    (Verdict::Fail, "fail", "b-fail", "fail"),
    (Verdict::Error, "error", "b-error", "error"),
    (
        Verdict::Inconclusive,
        "inconclusive",
        "b-inconclusive",
        "inconclusive",
    ),
    (
        Verdict::ExpectedFailure,
        "expected",
        "b-expected",
        "known failure",
    ),
    (Verdict::Skipped, "skipped", "b-skipped", "skipped"),
    (Verdict::Pass, "pass", "b-pass", "pass"),
];

fn key(v: Verdict) -> &'static str {
    VERDICTS
        .iter()
        .find(|(x, ..)| *x == v)
        .map_or("pass", |(_, k, ..)| k)
}

fn anchor(id: &str) -> String {
    format!(
        "case-{}",
        id.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    )
}

/// The whole page.
pub fn page(cov: &Coverage, runs: &[Run]) -> String {
    let verdict = if cov.ok { "PASS" } else { "FAIL" };
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>dmnoti: {verdict}</title><style>{STYLE}</style></head><body>\n"
    );
    header(&mut out, cov, runs, verdict);
    let _ = write!(
        out,
        "<nav>Show: {}<label>role <select id=\"role\"><option value=\"all\">all</option><option value=\"client\">client</option><option value=\"server\">server</option></select></label>\
         <label><input id=\"warned\" type=\"checkbox\"> with warnings only ({warned})</label>\
         <label>search <input id=\"q\" type=\"search\" placeholder=\"case, item, text of a failure\"></label>\
         <span class=\"meta\"><span id=\"shown\"></span> cases shown</span></nav>\n<main>\n",
        VERDICTS
            .iter()
            .map(|(v, k, _, label)| format!(
                "<label><input type=\"checkbox\" value=\"{k}\"{}> {label}</label>",
                if *v == Verdict::Skipped {
                    ""
                } else {
                    " checked"
                }
            ))
            .collect::<String>(),
        warned = runs
            .iter()
            .flat_map(|r| &r.results)
            .filter(|r| !r.warnings.is_empty())
            .count()
    );
    failed(&mut out, runs);
    items(&mut out, cov);
    out.push_str("<section id=\"cases\"><h2>Cases</h2>\n");
    for run in runs {
        for r in &run.results {
            case(&mut out, run, r);
        }
    }
    let _ = writeln!(
        out,
        "</section></main><script>{SCRIPT}</script></body></html>"
    );
    out
}

fn header(out: &mut String, cov: &Coverage, runs: &[Run], verdict: &str) {
    let _ = write!(
        out,
        "<header><h1>dmnoti conformance <span class=\"v v-{verdict}\">{verdict}</span></h1><div class=\"meta\">IUT: <b>{}</b> &middot; {} &middot; {} &middot; suites <code>{}</code></div>",
        esc(&cov.iut.join(", ")),
        esc(&cov.harness),
        esc(&cov.generated),
        esc(&cov.suites_hash)
    );
    if let Some(signal) = cov.interrupted {
        let _ = write!(
            out,
            "<p><b>Interrupted</b> by signal {signal}: this report is partial.</p>"
        );
    }
    for p in cov.run_problems.iter().chain(&cov.known_failure_problems) {
        let _ = write!(
            out,
            "<p class=\"problem\"><b>Fails the run:</b> {}</p>",
            esc(p)
        );
    }
    let results: Vec<&CaseResult> = runs.iter().flat_map(|r| &r.results).collect();
    let total = results.len().max(1);
    out.push_str("<div class=\"bar\">");
    for (v, _, class, label) in VERDICTS {
        let n = results.iter().filter(|r| r.verdict == v).count();
        if n > 0 {
            let _ = write!(
                out,
                "<span class=\"{class}\" style=\"width:{:.2}%\" title=\"{n} {label}\">{n} {label}</span>",
                100.0 * n as f64 / total as f64
            );
        }
    }
    out.push_str("</div>");
    let _ = write!(
        out,
        "<details class=\"meta\"><summary>What this report is of</summary><dl>"
    );
    for (k, v) in cov.provenance() {
        let _ = write!(out, "<dt>{}</dt><dd><code>{}</code></dd>", esc(&k), esc(&v));
    }
    out.push_str("</dl></details></header>\n");
}

/// The cases that failed or broke, first: where a red run's reader starts.
fn failed(out: &mut String, runs: &[Run]) {
    let failed: Vec<&CaseResult> = runs
        .iter()
        .flat_map(|r| &r.results)
        .filter(|r| matches!(r.verdict, Verdict::Fail | Verdict::Error))
        .collect();
    if failed.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<section id=\"failed\"><h2>Failed ({})</h2><ul>",
        failed.len()
    );
    for r in failed {
        let (item, why) = r
            .failures
            .first()
            .map(|f| (f.scr.clone(), f.message()))
            .unwrap_or_else(|| (r.scrs.join(", "), r.why()));
        let _ = write!(
            out,
            "<li><a href=\"#{}\">{}</a> <span class=\"meta\">[{}]</span> {}</li>",
            anchor(&r.id),
            esc(&r.id),
            esc(&item),
            esc(&why)
        );
    }
    out.push_str("</ul></section>\n");
}

fn items(out: &mut String, cov: &Coverage) {
    out.push_str("<section id=\"items\"><h2>SCR items</h2><table><tr><th>SCR item</th><th>M/O</th><th>Function</th><th>Section</th><th>Verdict</th><th>Decided by</th></tr>\n");
    for i in &cov.items {
        let text = i.verdict.text();
        // The cases that decided it: those that failed or saw it deviate, else those that ran.
        let deciding: Vec<&String> =
            if matches!(i.verdict, ItemVerdict::Fail | ItemVerdict::KnownFailure) {
                i.failures
                    .iter()
                    .chain(&i.observed)
                    .map(|(c, _)| c)
                    .collect()
            } else {
                i.cases.iter().collect()
            };
        let links: Vec<String> = deciding
            .iter()
            .take(40)
            .map(|c| format!("<a href=\"#{}\">{}</a>", anchor(c), esc(c)))
            .collect();
        let more = deciding.len().saturating_sub(40);
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"i-{}\">{text}{}</td><td>{}{}</td></tr>",
            esc(&i.id),
            i.status,
            esc(&i.function),
            esc(&i.section),
            text.replace(' ', "_"),
            if i.fails_run { " (fails the run)" } else { "" },
            links.join(" "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
    out.push_str("</table></section>\n");
}

fn case(out: &mut String, run: &Run, r: &CaseResult) {
    let failing = matches!(r.verdict, Verdict::Fail | Verdict::Error);
    let _ = writeln!(
        out,
        "<details class=\"case\" id=\"{}\" data-verdict=\"{}\" data-role=\"{}\"{}{}><summary><span class=\"badge\">{}</span> <b>{}</b> &mdash; {} <span class=\"meta\">[{}] {}</span></summary>",
        anchor(&r.id),
        key(r.verdict),
        run.profile.role,
        if r.warnings.is_empty() {
            ""
        } else {
            " data-warned=\"1\""
        },
        if failing { " open" } else { "" },
        r.verdict.word().to_uppercase(),
        esc(&r.id),
        esc(&r.title),
        esc(&r.scrs.join(", ")),
        esc(&run.profile.name)
    );
    if let Some(b) = &r.basis {
        let _ = write!(
            out,
            "<blockquote>{}<br><span class=\"meta\">{}, {}</span></blockquote>",
            esc(&b.quote),
            esc(&b.section),
            b.level.word()
        );
    }
    if !r.failures.is_empty() {
        out.push_str("<table class=\"failure\"><tr><th>item</th><th>step</th><th>expected</th><th>observed</th></tr>");
        for f in &r.failures {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&f.scr),
                f.step.map_or(String::new(), |s| s.to_string()),
                esc(f.expected.as_deref().unwrap_or("")),
                esc(&f.observed)
            );
        }
        out.push_str("</table>");
    }
    let lines = |out: &mut String, label: &str, texts: Vec<String>| {
        for t in texts {
            let _ = write!(out, "<pre>{label}{}</pre>", esc(&t));
        }
    };
    lines(out, "", r.notes.clone());
    lines(
        out,
        "warning: ",
        r.warnings
            .iter()
            .map(|w| format!("[{}] {}", w.scr, w.message()))
            .collect(),
    );
    lines(
        out,
        "observed on another item: ",
        r.observations
            .iter()
            .map(|o| format!("[{}] {}", o.scr, o.message()))
            .collect(),
    );
    lines(
        out,
        "",
        r.unobserved.iter().map(ToString::to_string).collect(),
    );
    lines(out, "", r.protocol_errors.clone());
    lines(
        out,
        "arrived, answering no message sent: ",
        r.strays.clone(),
    );
    for e in &r.exchanges {
        let _ = write!(
            out,
            "<h4>step {} {} <span class=\"meta\">{}</span></h4>",
            e.step,
            esc(&e.op),
            esc(e.content_type.as_deref().unwrap_or(""))
        );
        if let Some(m) = &e.message {
            let _ = write!(out, "<pre class=\"hex\">{}</pre>", esc(m));
        }
        if let Some(x) = &e.explain {
            let _ = write!(out, "<pre>{}</pre>", esc(x));
        }
        let _ = write!(out, "<pre>answer: {}</pre>", esc(&e.response));
    }
    if let Some(err) = &r.stderr {
        let tail: String = err
            .chars()
            .rev()
            .take(4096)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let _ = write!(
            out,
            "<h4>the IUT's stderr (its end)</h4><pre>{}</pre>",
            esc(&tail)
        );
    }
    out.push_str("</details>\n");
}
