//! What a run produced, as the reports read it: a verdict per case with its structured failures
//! (each on exactly one SCR item), the reason a case was skipped, and the exchanges it made. The
//! case engine (`runner::engine`) fills these in; every report renders from them.

use crate::profile::Profile;
use serde::{Serialize, Serializer};
use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Inconclusive,
    Skipped,
    /// A failure listed in the known-failure list, with its message.
    ExpectedFailure,
    Fail,
    Error,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Skipped => "skipped",
            Verdict::ExpectedFailure => "expected failure",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
        }
    }
}

/// What a deviation means, by the sentence it breaks: the spec's keyword, or our reading of a
/// silence (docs/suites.md, "Levels").
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// MUST, SHALL, REQUIRED, or a table's constraint: a deviation fails.
    #[default]
    Must,
    /// SHOULD: a warning; a failure under --strict.
    Should,
    /// What a receiver does with a message that breaks a sender's rule, where the spec says
    /// nothing of the receiver: a warning; a failure under --strict.
    Robustness,
    /// The text allows more than one reading: inconclusive.
    Ambiguous,
}

impl Level {
    pub fn word(self) -> &'static str {
        match self {
            Level::Must => "must",
            Level::Should => "should",
            Level::Robustness => "robustness",
            Level::Ambiguous => "ambiguous",
        }
    }
}

/// A broken expectation: the step it broke at, the one SCR item it stands for, what was expected
/// and what was seen. The message people read is rendered from these, never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// 1-based step of the case; `None` when the case broke before its first step.
    pub step: Option<usize>,
    /// The SCR item, full id. Every failure names exactly one.
    pub scr: String,
    /// What the expectation was, when it can be said in a few words.
    pub expected: Option<String>,
    /// What the IUT did.
    pub observed: String,
    /// What the expectation's sentence makes of the deviation.
    pub level: Level,
    /// The level is that of a sentence of its own (quoted in `expected`), not the case's basis:
    /// a case's weaker basis does not weaken it.
    pub own_sentence: bool,
}

impl Failure {
    /// A failure of `scr`: `observed`, where `expected` was wanted.
    pub fn new(
        scr: impl Into<String>,
        expected: impl Into<String>,
        observed: impl Into<String>,
    ) -> Failure {
        Failure {
            step: None,
            scr: scr.into(),
            expected: Some(expected.into()).filter(|e: &String| !e.is_empty()),
            observed: observed.into(),
            level: Level::Must,
            own_sentence: false,
        }
    }

    /// A failure that is only an observation (the IUT died, a rule broke).
    pub fn observed(scr: impl Into<String>, observed: impl Into<String>) -> Failure {
        Failure {
            step: None,
            scr: scr.into(),
            expected: None,
            observed: observed.into(),
            level: Level::Must,
            own_sentence: false,
        }
    }

    /// The deviation breaks a sentence of its own at `level` (a MUST the case's basis, a
    /// robustness one, would otherwise soften).
    pub fn by_its_sentence(mut self, level: Level) -> Failure {
        self.level = level;
        self.own_sentence = true;
        self
    }

    /// The same deviation, at `level`.
    pub fn at_level(mut self, level: Level) -> Failure {
        self.level = level;
        self
    }

    pub fn at_step(mut self, step: usize) -> Failure {
        self.step = Some(step);
        self
    }

    /// `step 2: SessionID "a01"; expected "A01"`.
    pub fn message(&self) -> String {
        let mut out = String::new();
        if let Some(n) = self.step {
            out.push_str(&format!("step {n}: "));
        }
        out.push_str(&self.observed);
        if let Some(e) = &self.expected {
            out.push_str("; expected ");
            out.push_str(e);
        }
        out
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl<'de> serde::Deserialize<'de> for Failure {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Failure, D::Error> {
        /// The fields as `Serialize` writes them (the rendered `message` is ignored).
        #[derive(serde::Deserialize)]
        struct Fields {
            step: Option<usize>,
            scr: String,
            expected: Option<String>,
            observed: String,
            #[serde(default)]
            level: Level,
        }
        let f = Fields::deserialize(d)?;
        Ok(Failure {
            step: f.step,
            scr: f.scr,
            expected: f.expected,
            observed: f.observed,
            level: f.level,
            own_sentence: false,
        })
    }
}

impl Serialize for Failure {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Failure", 6)?;
        st.serialize_field("step", &self.step)?;
        st.serialize_field("level", &self.level)?;
        st.serialize_field("scr", &self.scr)?;
        st.serialize_field("expected", &self.expected)?;
        st.serialize_field("observed", &self.observed)?;
        st.serialize_field("message", &self.message())?;
        st.end()
    }
}

/// Why a case did not run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Skip {
    /// It needs an optional item the profile does not claim.
    NotClaimed(String),
    /// It needs another transport than the run's.
    Transport { needs: String, have: String },
    /// It expects a session field this link cannot show (how the device ran the session).
    NotObservable { field: String },
    /// It asks a server for a format its profile does not say it sends (`formats`).
    Format(String),
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skip::NotClaimed(id) => write!(f, "not claimed: {id}"),
            Skip::Transport { needs, have } => {
                write!(f, "needs the {needs} transport; this run uses {have}")
            }
            Skip::Format(format) => write!(
                f,
                "asks for {format} notifications; the profile's formats do not list {format}"
            ),
            Skip::NotObservable { field } => {
                write!(
                    f,
                    "not observable over the network: {field} (run over stdio)"
                )
            }
        }
    }
}

/// One message sent and what came back, for reports and reproducers.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Exchange {
    pub step: usize,
    pub op: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The message sent (client role) or received (server role), hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `dmnoti explain` of that message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<String>,
    pub response: String,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct CaseResult {
    pub suite: String,
    pub file: String,
    pub id: String,
    pub title: String,
    pub scrs: Vec<String>,
    pub verdict: Verdict,
    /// Broken expectations of the items the case names: these decide its verdict.
    pub failures: Vec<Failure>,
    /// Deviations on other items, seen on the way (a lower-case SessionID in a case on VER): they
    /// fail their item in coverage, not this case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observations: Vec<Failure>,
    /// Deviations at `should` or `robustness`: they fail only under --strict.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Failure>,
    /// The sentence of the spec the case enforces, and its level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<crate::suite::basis::Basis>,
    /// Checks not made because the IUT did not report what they need.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unobserved: Vec<crate::runner::checks::Unobserved>,
    /// Fields of the IUT's answers that were not of their type (the testee's protocol errors).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub protocol_errors: Vec<String>,
    /// Over the network: what arrived during the case that answers no message the harness sent
    /// (a Package #1 with a SessionID of nothing sent, a second one for one message). Recorded,
    /// never dropped; it fails nothing by itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub strays: Vec<String>,
    /// Why skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip: Option<Skip>,
    /// Why inconclusive or in error (and, for a skip, its reason as text).
    pub notes: Vec<String>,
    pub exchanges: Vec<Exchange>,
    pub duration: Duration,
    /// The testee's stderr, when the case broke it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stderr: Option<String>,
    /// The known-failure list's reason, for an expected failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_reason: Option<String>,
    /// With `debug`: every protocol line exchanged with the testee, (sent, line).
    #[serde(skip)]
    pub transcript: Vec<(bool, String)>,
    /// The IUT would not start or greet for this case.
    #[serde(skip)]
    pub unstartable: bool,
}

impl CaseResult {
    /// A result with nothing in it yet: the engine fills it in.
    pub fn new(suite: &crate::suite::Suite, case: &crate::suite::Case) -> CaseResult {
        CaseResult {
            suite: suite.name.clone(),
            file: suite.file.display().to_string(),
            id: case.id.clone(),
            title: case.title.clone(),
            scrs: case.scrs.clone(),
            verdict: Verdict::Pass,
            failures: Vec::new(),
            observations: Vec::new(),
            warnings: Vec::new(),
            basis: Some(case.basis.clone()).filter(|b| !b.quote.is_empty()),
            unobserved: Vec::new(),
            protocol_errors: Vec::new(),
            strays: Vec::new(),
            skip: None,
            notes: Vec::new(),
            exchanges: Vec::new(),
            duration: Duration::ZERO,
            stderr: None,
            known_reason: None,
            transcript: Vec::new(),
            unstartable: false,
        }
    }

    /// Skipped because the link cannot show what the case checks.
    pub fn unobservable(&self) -> bool {
        matches!(self.skip, Some(Skip::NotObservable { .. }))
    }

    /// The SCR items this case failed: the item of each failure.
    pub fn failed_items(&self) -> BTreeSet<String> {
        self.failures.iter().map(|f| f.scr.clone()).collect()
    }

    /// The items it saw deviate on the way, besides its own.
    pub fn observed_items(&self) -> BTreeSet<String> {
        self.observations.iter().map(|f| f.scr.clone()).collect()
    }

    /// The first reason for the verdict: a failure's message, else a note.
    pub fn why(&self) -> String {
        self.failures
            .first()
            .map(Failure::message)
            .or_else(|| self.notes.first().cloned())
            .unwrap_or_default()
    }

    /// One line for the summary: the verdict, the id, the items it concerns, why.
    pub fn headline(&self) -> String {
        let items: Vec<String> = if self.failures.is_empty() {
            self.scrs.clone()
        } else {
            self.failed_items().into_iter().collect()
        };
        format!(
            "{} {} [{}]: {}",
            self.verdict.word().to_uppercase(),
            self.id,
            items.join(", "),
            self.why()
        )
    }
}

/// Everything one run produced.
#[derive(Debug, Clone)]
pub struct Run {
    pub profile: Profile,
    pub results: Vec<CaseResult>,
    pub wall: Duration,
    /// Filters or a partition left cases out: items none of its cases touch are not judged.
    pub partial: bool,
    /// The signal that stopped the run before its end, if one did.
    pub interrupted: Option<i32>,
    /// Why the run gave up before its end: the IUT would not start, with its stderr's tail.
    pub aborted: Option<String>,
    /// Which cases the run was given: what `dmnoti merge` checks the parts against.
    pub selection: Selection,
}

/// The cases a run was given: `--partition K/N`, `--filter`, `--case`, and the ids they chose.
/// A merge is complete only when its parts' partitions cover 1 to N exactly once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Selection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<Partition>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    /// The ids of the cases chosen, in suite order.
    #[serde(default)]
    pub cases: Vec<String>,
}

/// Part `k` of `n` (1-based), as `--partition K/N` says it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
pub struct Partition {
    pub k: usize,
    pub n: usize,
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// The pass/fail policy a run's verdicts were settled under: what `dmnoti merge` settles the
/// merged verdicts under too, unless told otherwise.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Policy {
    /// `--strict`: `should` and `robustness` deviations fail.
    #[serde(default)]
    pub strict: bool,
    /// `--strict-claims`: behaviour that contradicts a claim fails the run.
    #[serde(default)]
    pub strict_claims: bool,
    /// `--known-failures`: the list's entries, as read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_failures: Option<Vec<crate::known::Entry>>,
}

/// `results.json`: every case result of a run in full, what `dmnoti merge` reads back.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Results {
    pub harness: String,
    pub suites_hash: String,
    /// The policy the verdicts were settled under (absent in files of older versions: the
    /// default, lenient one).
    #[serde(default)]
    pub policy: Policy,
    pub runs: Vec<RunRecord>,
}

/// One IUT's run in `results.json`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct RunRecord {
    pub profile: Profile,
    pub partial: bool,
    #[serde(default)]
    pub interrupted: Option<i32>,
    pub wall_ms: u64,
    /// The cases the run was given (absent in files of older versions).
    #[serde(default)]
    pub selection: Selection,
    pub results: Vec<CaseResult>,
}

impl Results {
    pub fn of(runs: &[Run], suites_hash: &str, policy: &Policy) -> Results {
        Results {
            harness: concat!("dmnoti ", env!("CARGO_PKG_VERSION")).to_owned(),
            suites_hash: suites_hash.to_owned(),
            policy: policy.clone(),
            runs: runs
                .iter()
                .map(|r| RunRecord {
                    profile: r.profile.clone(),
                    partial: r.partial,
                    interrupted: r.interrupted,
                    wall_ms: u64::try_from(r.wall.as_millis()).unwrap_or(u64::MAX),
                    selection: r.selection.clone(),
                    results: r.results.clone(),
                })
                .collect(),
        }
    }
}

impl RunRecord {
    pub fn into_run(self) -> Run {
        Run {
            profile: self.profile,
            results: self.results,
            wall: Duration::from_millis(self.wall_ms),
            partial: self.partial,
            interrupted: self.interrupted,
            aborted: None,
            selection: self.selection,
        }
    }
}
