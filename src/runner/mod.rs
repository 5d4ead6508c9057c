//! Runs suites against an IUT: each case on a freshly provisioned testee, each step with a timeout,
//! cases spread over `--jobs` testee processes. A testee that dies or hangs fails the case it was
//! in and is restarted for the next. The verdicts, with the SCR item each failure stands for, are
//! what the reports are made from.

pub mod checks;
mod net;

use crate::codec::{Format, hex};
use crate::explain;
use crate::profile::Profile;
use crate::scr::{Catalog, Role};
use crate::suite::message::{self, BuildContext, Built, MessageSpec};
use crate::suite::{AccountSpec, Ambiguity, Case, Check, Expect, Step, Suite};
use crate::testee::process::TesteeProcess;
use crate::testee::{Op, Outcome, Response};
use checks::Failure;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// How skips for what a network transport cannot show begin.
const UNOBSERVABLE: &str = "not observable over the network";

/// The testee's clock at the start of a case, unless the suite says otherwise.
pub const DEFAULT_NOW: u64 = 1_700_000_000;
/// The first session id of a case: hex digits with letters and a leading zero to drop, so that
/// decimal, lower-case and zero-padded SessionIDs all show.
pub const FIRST_SESSION_ID: u16 = 0x0A01;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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

/// One message sent and what came back, for reports and reproducers.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    pub step: usize,
    pub op: &'static str,
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

#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub suite: String,
    pub file: String,
    pub id: String,
    pub title: String,
    pub scrs: Vec<String>,
    pub verdict: Verdict,
    pub failures: Vec<Failure>,
    /// Why skipped, inconclusive or in error.
    pub notes: Vec<String>,
    pub exchanges: Vec<Exchange>,
    pub duration: Duration,
    /// The testee's stderr, when the case broke it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stderr: Option<String>,
    /// Skipped because the transport cannot show what the case checks.
    #[serde(skip)]
    pub unobservable: bool,
    /// The known-failure list's reason, for an expected failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known_reason: Option<String>,
    /// With `debug`: every protocol line exchanged with the testee, (sent, line).
    #[serde(skip)]
    pub transcript: Vec<(bool, String)>,
}

impl CaseResult {
    /// The SCR items this case failed: the items of its failed checks, or the case's own items
    /// for failures that name none.
    pub fn failed_items(&self) -> BTreeSet<String> {
        let mut items = BTreeSet::new();
        for f in &self.failures {
            match &f.scr {
                Some(s) => {
                    items.insert(s.clone());
                }
                None => items.extend(self.scrs.iter().cloned()),
            }
        }
        items
    }

    /// One line for the summary.
    pub fn headline(&self) -> String {
        let why = self
            .failures
            .first()
            .map(|f| f.message.clone())
            .or_else(|| self.notes.first().cloned())
            .unwrap_or_default();
        format!(
            "{} {} [{}]: {why}",
            self.verdict.word().to_uppercase(),
            self.id,
            self.failed_items()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub jobs: usize,
    /// Case ids, suite names or SCR items (substrings); all cases when empty.
    pub filters: Vec<String>,
    /// Only the case with exactly this id.
    pub case: Option<String>,
    /// Run only part K of N (1-based).
    pub partition: Option<(usize, usize)>,
    /// Step timeout; the profile's (or 2 s) when absent.
    pub step_timeout: Option<Duration>,
    pub progress: bool,
    /// Keep the `explain` text of every message (reports want it; the self-test does not).
    pub explain: bool,
    /// Where network traffic is recorded (`--pcap`).
    pub capture: Option<crate::adapter::capture::Capture>,
    /// Keep every protocol line of each case (for `--debug` and reproducers).
    pub debug: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            jobs: 2,
            filters: Vec::new(),
            case: None,
            partition: None,
            step_timeout: None,
            progress: false,
            explain: true,
            capture: None,
            debug: false,
        }
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
}

/// The cases a run takes, in suite order, after filters and partition.
pub fn select<'s>(suites: &'s [Suite], role: Role, opts: &Options) -> Vec<(&'s Suite, &'s Case)> {
    let chosen: Vec<_> = suites
        .iter()
        .filter(|s| s.role == role)
        .flat_map(|s| s.cases.iter().map(move |c| (s, c)))
        .filter(|(_, c)| opts.case.as_ref().is_none_or(|id| &c.id == id))
        .filter(|(s, c)| {
            opts.filters.is_empty()
                || opts.filters.iter().any(|f| {
                    c.id.contains(f.as_str())
                        || s.name.contains(f.as_str())
                        || c.scrs.iter().any(|i| i.contains(f.as_str()))
                })
        })
        .collect();
    match opts.partition {
        Some((k, n)) if n > 0 => chosen
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % n == k - 1)
            .map(|(_, x)| x)
            .collect(),
        _ => chosen,
    }
}

/// Runs the profile's role's cases of `suites`. `on_result` sees each result as it comes (for
/// progress); the returned run has them in suite order.
pub fn run(
    profile: &Profile,
    suites: &[Suite],
    catalog: &Catalog,
    opts: &Options,
    on_result: &mut dyn FnMut(&CaseResult),
) -> Run {
    let started = Instant::now();
    let cases = select(suites, profile.role, opts);
    let index: HashMap<&str, &MessageSpec> = suites
        .iter()
        .flat_map(|s| s.cases.iter())
        .filter_map(|c| {
            c.steps
                .iter()
                .find_map(|s| s.deliver.as_ref())
                .map(|m| (c.id.as_str(), m))
        })
        .collect();
    let queue: Arc<Mutex<VecDeque<usize>>> = Arc::new(Mutex::new((0..cases.len()).collect()));
    // Seeded from the clock, so that runs against the same device do not reuse each other's ids.
    let run_ids = profile.command.is_none().then(|| {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Arc::new(std::sync::atomic::AtomicU16::new(
            (seed.wrapping_mul(40_503) as u16) | 0x0100,
        ))
    });
    let (tx, rx) = mpsc::channel::<(usize, CaseResult)>();
    let mut results: Vec<Option<CaseResult>> = vec![None; cases.len()];
    std::thread::scope(|scope| {
        for _ in 0..opts.jobs.max(1).min(cases.len().max(1)) {
            let queue = Arc::clone(&queue);
            let tx = tx.clone();
            let (cases, index) = (&cases, &index);
            let run_ids = run_ids.clone();
            scope.spawn(move || {
                let mut worker = Worker::new(profile, opts, run_ids);
                loop {
                    let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                    let Some(i) = next else { break };
                    let (suite, case) = cases[i];
                    let result = worker.run_case(suite, case, catalog, index);
                    if tx.send((i, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (i, result) in rx {
            on_result(&result);
            results[i] = Some(result);
        }
    });
    Run {
        profile: profile.clone(),
        results: results.into_iter().flatten().collect(),
        wall: started.elapsed(),
        partial: !opts.filters.is_empty() || opts.case.is_some() || opts.partition.is_some(),
    }
}

/// The reason a case stops early: its testee broke.
enum Broken {
    /// The harness could not set the case up: the IUT would not start or greet, a listener would
    /// not bind, an account or a message of the suite would not build. The case is an error.
    Setup(String),
    /// The IUT broke during the case: it died, hung, refused provisioning or stopped answering.
    /// The case fails.
    Iut(String),
}

/// One job: a testee process, restarted when it breaks.
struct Worker<'p> {
    profile: &'p Profile,
    timeout: Duration,
    explain: bool,
    process: Option<TesteeProcess>,
    net: Option<net::Net>,
    capture: Option<crate::adapter::capture::Capture>,
    debug: bool,
    /// The current case's protocol lines, when debugging.
    transcript: Vec<(bool, String)>,
    /// Session ids shared by the run's workers, for IUTs that cannot be provisioned again.
    run_ids: Option<Arc<std::sync::atomic::AtomicU16>>,
}

/// `2 s`, `0.3 s`.
pub(crate) fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}

impl<'p> Worker<'p> {
    fn new(
        profile: &'p Profile,
        opts: &Options,
        run_ids: Option<Arc<std::sync::atomic::AtomicU16>>,
    ) -> Worker<'p> {
        Worker {
            run_ids,
            profile,
            timeout: opts.step_timeout.unwrap_or_else(|| profile.step_timeout()),
            explain: opts.explain,
            process: None,
            net: None,
            capture: opts.capture.clone(),
            debug: opts.debug,
            transcript: Vec::new(),
        }
    }

    /// The running testee, started (and greeted) when there is none.
    fn testee(&mut self) -> Result<&mut TesteeProcess, String> {
        if self.process.is_none() {
            let mut p = TesteeProcess::spawn(&self.profile.command()).map_err(|e| e.to_string())?;
            p.keep_transcript = self.debug;
            let hello = p.hello(self.timeout).map_err(|e| format!("hello: {e}"))?;
            if let Some(role) = hello.role {
                if role != self.profile.role {
                    return Err(format!(
                        "the IUT says it is a {role}, the profile says {}",
                        self.profile.role
                    ));
                }
            }
            if self.profile.adapter != crate::profile::Adapter::Stdio {
                if self.net.is_none() {
                    self.net = Some(net::Net::start(self.profile, self.capture.clone())?);
                }
                if let Some(n) = self.net.as_mut() {
                    n.learn(self.profile, hello.address.as_deref())?;
                }
            }
            self.process = Some(p);
        }
        self.process.as_mut().ok_or_else(|| "no testee".to_owned())
    }

    /// The network side alone, for an IUT with no control channel.
    fn ensure_net(&mut self) -> Result<(), String> {
        if self.net.is_none() {
            let mut n = net::Net::start(self.profile, self.capture.clone())?;
            n.learn(self.profile, None)?;
            self.net = Some(n);
        }
        Ok(())
    }

    /// One request; a broken testee is dropped (killed) and its stderr kept.
    fn call(&mut self, op: Op, stderr: &mut Option<String>) -> Result<Response, Broken> {
        let timeout = self.timeout;
        let (result, lines, err) = {
            let p = self.testee().map_err(Broken::Setup)?;
            let result = p.call(op, timeout);
            let err = if result.is_err() {
                p.stderr()
            } else {
                String::new()
            };
            (result, std::mem::take(&mut p.transcript), err)
        };
        self.transcript.extend(lines);
        match result {
            Ok(r) => Ok(r),
            Err(e) => {
                if !err.is_empty() {
                    *stderr = Some(err);
                }
                self.process = None;
                Err(Broken::Iut(e.to_string()))
            }
        }
    }

    fn run_case(
        &mut self,
        suite: &Suite,
        case: &Case,
        catalog: &Catalog,
        index: &HashMap<&str, &MessageSpec>,
    ) -> CaseResult {
        let started = Instant::now();
        let mut r = CaseResult {
            suite: suite.name.clone(),
            file: suite.file.display().to_string(),
            id: case.id.clone(),
            title: case.title.clone(),
            scrs: case.scrs.clone(),
            verdict: Verdict::Pass,
            failures: Vec::new(),
            notes: Vec::new(),
            exchanges: Vec::new(),
            duration: Duration::ZERO,
            stderr: None,
            unobservable: false,
            known_reason: None,
            transcript: Vec::new(),
        };
        if let Some(skip) = self.skip_reason(case, catalog) {
            r.unobservable = skip.starts_with(UNOBSERVABLE);
            r.verdict = Verdict::Skipped;
            r.notes.push(skip);
            return r;
        }
        let accounts = if self.profile.accounts.is_empty() {
            if suite.defaults.accounts.is_empty() {
                vec![AccountSpec::default_account()]
            } else {
                suite.defaults.accounts.clone()
            }
        } else {
            self.profile.accounts.clone()
        };
        self.transcript.clear();
        if let Some(p) = self.process.as_mut() {
            p.transcript.clear();
        }
        let mut ctx = CaseRun {
            worker: self,
            case,
            index,
            accounts,
            now: suite.defaults.now.unwrap_or(DEFAULT_NOW),
            next_session: FIRST_SESSION_ID,
            earlier: Vec::new(),
            result: &mut r,
        };
        let outcome = ctx.run();
        r.transcript = std::mem::take(&mut self.transcript);
        if let Err(broken) = outcome {
            // Whatever broke, the next case starts on a new testee.
            if let Some(p) = self.process.take() {
                let err = p.stderr();
                if !err.is_empty() && r.stderr.is_none() {
                    r.stderr = Some(err);
                }
            }
            match broken {
                Broken::Setup(why) => {
                    r.verdict = Verdict::Error;
                    r.notes.push(why);
                }
                Broken::Iut(why) => r.failures.push(Failure::case(why)),
            }
        }
        if r.verdict != Verdict::Error {
            r.verdict = if !r.failures.is_empty() {
                Verdict::Fail
            } else if !r.notes.is_empty() {
                Verdict::Inconclusive
            } else {
                Verdict::Pass
            };
        }
        r.duration = started.elapsed();
        r
    }

    fn skip_reason(&self, case: &Case, catalog: &Catalog) -> Option<String> {
        if let Some(t) = case.transport {
            let have = match self.profile.adapter {
                crate::profile::Adapter::Stdio => crate::suite::Transport::Stdio,
                crate::profile::Adapter::Udp => crate::suite::Transport::Udp,
                crate::profile::Adapter::Http => crate::suite::Transport::Http,
            };
            if t != have {
                return Some(
                    format!("needs the {t:?} transport; this run uses {have:?}").to_lowercase(),
                );
            }
        }
        if self.profile.adapter != crate::profile::Adapter::Stdio {
            let hidden = case.steps.iter().find_map(|s| match &s.expect {
                Some(Expect::Session(e)) => e.unobservable(),
                _ => None,
            });
            if let Some(field) = hidden {
                return Some(format!("{UNOBSERVABLE}: {field} (run over stdio)"));
            }
        }
        case.requires
            .iter()
            .find(|id| !self.profile.claims(id, catalog))
            .map(|id| {
                format!(
                    "not claimed: {}",
                    catalog.get(id).map_or(id.as_str(), |i| i.id.as_str())
                )
            })
    }
}

/// One case in progress.
struct CaseRun<'w, 'p, 'c> {
    worker: &'w mut Worker<'p>,
    case: &'c Case,
    index: &'c HashMap<&'c str, &'c MessageSpec>,
    accounts: Vec<AccountSpec>,
    now: u64,
    next_session: u16,
    /// Session ids of the case's earlier notifications (server role).
    earlier: Vec<u16>,
    result: &'c mut CaseResult,
}

impl CaseRun<'_, '_, '_> {
    fn run(&mut self) -> Result<(), Broken> {
        self.provision(None, Some(self.now))?;
        for (i, step) in self.case.steps.iter().enumerate() {
            self.step(i + 1, step)?;
        }
        Ok(())
    }

    fn call(&mut self, op: Op) -> Result<Response, Broken> {
        self.worker.call(op, &mut self.result.stderr)
    }

    fn provision(
        &mut self,
        accounts: Option<&[AccountSpec]>,
        now: Option<u64>,
    ) -> Result<(), Broken> {
        if let Some(a) = accounts {
            self.accounts = a.to_vec();
        }
        if self.worker.profile.command.is_none() {
            // A network IUT with no control channel is provisioned by hand, and keeps its own time.
            self.worker.ensure_net().map_err(Broken::Setup)?;
            self.now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(DEFAULT_NOW);
            return Ok(());
        }
        let mut accounts = self
            .accounts
            .iter()
            .map(|a| a.to_account())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Broken::Setup(format!("bad account: {e}")))?;
        // A network client connects back to the mock DM server.
        self.worker.testee().map_err(Broken::Setup)?;
        if let Some(n) = &self.worker.net {
            for a in &mut accounts {
                if let Some(uri) = n.server_uri(&a.server_id) {
                    a.server_uri = Some(uri);
                }
            }
        }
        let r = self.call(Op::Provision {
            accounts,
            now: None,
        })?;
        if r.ok == Some(false) {
            return Err(Broken::Iut(format!(
                "provision refused: {}",
                r.error.unwrap_or_default()
            )));
        }
        if let Some(now) = now {
            self.clock(now)?;
        }
        Ok(())
    }

    fn clock(&mut self, now: u64) -> Result<(), Broken> {
        if self.worker.profile.command.is_none() {
            return Ok(());
        }
        let r = self.call(Op::Clock { now })?;
        if r.ok == Some(false) {
            // A testee that cannot fake its clock runs on real time; messages follow it.
            self.now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(now);
            self.note(format!(
                "the IUT's clock cannot be set ({}); using the real time",
                r.error.unwrap_or_default()
            ));
        } else {
            self.now = now;
        }
        Ok(())
    }

    fn note(&mut self, text: String) {
        if !self.result.notes.contains(&text) {
            self.result.notes.push(text);
        }
    }

    fn fresh_session(&mut self) -> u16 {
        if let Some(shared) = &self.worker.run_ids {
            // No control channel: the IUT is never provisioned again and remembers every session
            // id, so ids must be fresh across the whole run, not only the case.
            loop {
                let id = shared.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if id != 0 {
                    return id;
                }
            }
        }
        let id = self.next_session;
        self.next_session = if self.next_session >= 0x0FFF {
            FIRST_SESSION_ID
        } else {
            self.next_session + 1
        };
        id
    }

    fn build(&mut self, spec: &MessageSpec) -> Result<Built, Broken> {
        let spec = match &spec.from {
            Some(id) => match self.index.get(id.as_str()) {
                Some(base) => spec.over(base),
                None => {
                    return Err(Broken::Setup(format!(
                        "message from case {id:?}: no such case with a delivered message"
                    )));
                }
            },
            None => spec.clone(),
        };
        let account = self
            .accounts
            .first()
            .cloned()
            .unwrap_or_else(AccountSpec::default_account);
        let params = &self.worker.profile.parameters;
        let ctx = BuildContext {
            account: &account,
            now: self.now,
            reading: params.digest_reading.unwrap_or_default(),
            fresh_session_id: self.fresh_session(),
            timeout_unit_seconds: params.timeout_unit.unwrap_or_default().seconds(),
        };
        spec.build(&ctx)
            .map_err(|e| Broken::Setup(format!("cannot build the message: {e}")))
    }

    fn step(&mut self, n: usize, step: &Step) -> Result<(), Broken> {
        if let Some(p) = &step.provision {
            return self.provision(
                Some(&p.accounts)
                    .filter(|a| !a.is_empty())
                    .map(|a| a.as_slice()),
                p.now,
            );
        }
        if let Some(now) = step.clock {
            return self.clock(now);
        }
        if let Some(spec) = &step.deliver {
            let built = self.build(spec)?;
            let expect = step.expect.clone().unwrap_or(Expect::Ignored);
            return self.deliver(
                n,
                &built,
                step.content_type.as_deref(),
                step.framing.as_ref(),
                &expect,
                step.ambiguous,
            );
        }
        if let Some(g) = &step.generate {
            return self.generate(n, g);
        }
        if let Some(request) = &step.notify {
            return self.notify(n, request, step.checks.as_deref().unwrap_or(&Check::ALL));
        }
        Ok(())
    }

    fn record(
        &mut self,
        step: usize,
        op: &'static str,
        content_type: Option<&str>,
        message: Option<&[u8]>,
        format: Option<Format>,
        response: &Response,
    ) {
        let explained = match (message, self.worker.explain) {
            (Some(bytes), true) => {
                let input = match format {
                    Some(Format::V12) => explain::Input::V12,
                    _ => explain::Input::V13,
                };
                Some(explain::explain(bytes, input, &explain::Keys::default()).to_text())
            }
            _ => None,
        };
        self.result.exchanges.push(Exchange {
            step,
            op,
            content_type: content_type.map(str::to_owned),
            message: message.map(hex),
            explain: explained,
            response: serde_json::to_string(response).unwrap_or_default(),
        });
    }

    /// Delivers one message and judges the answer.
    fn deliver(
        &mut self,
        n: usize,
        built: &Built,
        content_type: Option<&str>,
        framing: Option<&crate::suite::Framing>,
        expect: &Expect,
        ambiguous: Option<Ambiguity>,
    ) -> Result<(), Broken> {
        let r = if self.worker.profile.adapter == crate::profile::Adapter::Stdio {
            self.call(Op::Deliver {
                content_type: content_type
                    .unwrap_or(built.format.content_type())
                    .to_owned(),
                message: crate::testee::HexBytes(built.bytes.clone()),
            })?
        } else {
            self.net_deliver(n, built, content_type, framing)?
        };
        let content_type = content_type
            .unwrap_or(built.format.content_type())
            .to_owned();
        self.record(
            n,
            "deliver",
            Some(&content_type),
            Some(&built.bytes),
            Some(built.format),
            &r,
        );
        let declared = ambiguous.is_some_and(|a| a.declared(&self.worker.profile.parameters));
        let other_outcome = |this: &mut Self, message: String| match ambiguous {
            Some(a) if !declared => this.note(format!("step {n}: {message}; {}", a.explain())),
            _ => this
                .result
                .failures
                .push(Failure::case(format!("step {n}: {message}"))),
        };
        match (r.outcome, expect) {
            (Some(Outcome::Ignored), Expect::Ignored) => {}
            (Some(Outcome::Session), Expect::Ignored) => {
                let sid = r
                    .session
                    .as_ref()
                    .map(|s| s.session_id.clone())
                    .unwrap_or_default();
                other_outcome(
                    self,
                    format!(
                        "expected the message to be ignored; the client started session {sid:?}"
                    ),
                );
            }
            (Some(Outcome::Ignored), Expect::Session(_)) => {
                other_outcome(
                    self,
                    format!(
                        "expected a session; the client ignored the message ({})",
                        r.reason.unwrap_or_default()
                    ),
                );
            }
            (Some(Outcome::Session), Expect::Session(e)) => match &r.session {
                Some(s) => {
                    for mut f in checks::session(s, built, e) {
                        f.message = format!("step {n}: {}", f.message);
                        self.result.failures.push(f);
                    }
                }
                None => self.result.failures.push(Failure::case(format!(
                    "step {n}: outcome session without a session record"
                ))),
            },
            _ => self.result.failures.push(Failure::case(format!(
                "step {n}: the answer has no outcome: {}",
                r.error
                    .clone()
                    .unwrap_or_else(|| serde_json::to_string(&r).unwrap_or_default())
            ))),
        }
        Ok(())
    }

    /// Generated malformed messages, each to be ignored, then a valid sentinel that must still
    /// start a session: the IUT survived them.
    fn generate(&mut self, n: usize, g: &crate::suite::Generate) -> Result<(), Broken> {
        let base = self.build(&g.message)?;
        let variants = message::generate(&base, g.class, g.count, g.seed);
        if self.worker.profile.adapter != crate::profile::Adapter::Stdio {
            let sessions = self.net_generate(n, &variants)?;
            if sessions > 0 {
                self.result.failures.push(Failure::case(format!(
                    "step {n}: {sessions} of {} generated {:?} variants started a session",
                    variants.len(),
                    g.class
                )));
            }
            return Ok(());
        }
        let content_type = base.format.content_type().to_owned();
        let mut accepted = Vec::new();
        for (i, v) in variants.iter().enumerate() {
            let r = self.call(Op::Deliver {
                content_type: content_type.clone(),
                message: crate::testee::HexBytes(v.bytes.clone()),
            })?;
            if r.outcome != Some(Outcome::Ignored) {
                if accepted.is_empty() {
                    self.record(
                        n,
                        "deliver",
                        Some(&content_type),
                        Some(&v.bytes),
                        Some(v.format),
                        &r,
                    );
                }
                accepted.push(i);
            }
        }
        if !accepted.is_empty() {
            self.result.failures.push(Failure::case(format!(
                "step {n}: {} of {} generated {:?} variants were not ignored (first: variant {})",
                accepted.len(),
                variants.len(),
                g.class,
                accepted[0]
            )));
        }
        let sentinel = self.build(&MessageSpec {
            format: Some(base.format),
            ..MessageSpec::default()
        })?;
        self.deliver(
            n,
            &sentinel,
            None,
            None,
            &Expect::Session(Box::default()),
            None,
        )
    }

    fn notify(
        &mut self,
        n: usize,
        request: &crate::testee::NotifyRequest,
        checks: &[Check],
    ) -> Result<(), Broken> {
        let (content_type, bytes, said) = if self.worker.profile.adapter
            == crate::profile::Adapter::Stdio
        {
            let r = self.call(Op::Notify {
                request: request.clone(),
            })?;
            let message = r.message.as_ref().map(|m| m.0.clone());
            self.record(
                n,
                "notify",
                r.content_type.as_deref(),
                message.as_deref(),
                request.format,
                &r,
            );
            let Some(bytes) = message.filter(|_| r.outcome == Some(Outcome::Notification)) else {
                self.result.failures.push(Failure::of(
                    "S-002-M",
                    format!(
                        "step {n}: no notification: {}",
                        r.error
                            .unwrap_or_else(|| "the answer has no message".into())
                    ),
                ));
                return Ok(());
            };
            (r.content_type.clone(), bytes, r.session_id.clone())
        } else {
            let Some((content_type, bytes, said)) = self.net_notify(n, request)? else {
                return Ok(());
            };
            let arrived = Response {
                outcome: Some(Outcome::Notification),
                reason: Some("arrived at the device".into()),
                ..Response::default()
            };
            self.record(
                n,
                "notify",
                Some(&content_type),
                Some(&bytes),
                request.format,
                &arrived,
            );
            (Some(content_type), bytes, said)
        };
        let account_spec = match &request.server_id {
            Some(id) => self.accounts.iter().find(|a| &a.server_id == id).cloned(),
            None => self.accounts.first().cloned(),
        }
        .unwrap_or_else(AccountSpec::default_account);
        let account = account_spec
            .to_account()
            .map_err(|e| Broken::Setup(format!("bad account: {e}")))?;
        let checked = checks::notification(
            &checks::NotificationCheck {
                request,
                account: &account,
                content_type: content_type.as_deref(),
                message: &bytes,
                session_id: said.as_deref(),
                now: self.now,
                earlier: &self.earlier,
                reading: self.worker.profile.parameters.digest_reading,
            },
            checks,
        );
        if let Some(id) = checked.session_id {
            self.earlier.push(id);
        }
        for mut f in checked.failures {
            f.message = format!("step {n}: {}", f.message);
            self.result.failures.push(f);
        }
        for note in checked.inconclusive {
            self.note(format!("step {n}: {note}"));
        }
        Ok(())
    }
}
