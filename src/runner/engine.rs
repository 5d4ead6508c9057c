//! The case engine: walks one case's steps, asks a [`Link`] to provision, set the clock, deliver,
//! deliver a batch or notify, and judges what comes back with [`checks`]. It does no I/O and reads
//! no clock: the caller passes the real time in ([`CaseContext::wall_clock`]) and times the case.
//!
//! Attribution: a check names its own SCR item; an outcome the case itself expects (ignored, a
//! session, a notification) and a testee that breaks fall on the case's first item, the one it
//! targets. Problems a link saw on its wire fall on the item of that transport.

use super::checks;
pub use super::ids::RunIds;
use super::late::batch_failure;
pub use super::late::{Pending, pending_messages, settle_pending};
use super::link::{
    Batch, Broken, ClockSet, Delivery, Link, Notified, Problem, Provisioned, Sentinels,
};
use crate::codec::{Format, hex};
use crate::explain;
use crate::profile::Profile;
use crate::report::result::{CaseResult, Exchange, Failure, Level, Skip, Verdict};
use crate::scr::{Catalog, ScrId, id};
use crate::suite::message::{self, BuildContext, Built, MessageSpec};
use crate::suite::{AccountSpec, Action, Ambiguity, Case, Check, Expect, Framing, Suite};
use crate::testee::{Account, NotifyRequest, Outcome, Response};
use std::collections::HashMap;

/// The testee's clock at the start of a case, unless the suite says otherwise.
pub const DEFAULT_NOW: u64 = 1_700_000_000;
/// The first session id of a case: hex digits with letters and a leading zero to drop, so that
/// decimal, lower-case and zero-padded SessionIDs all show.
pub const FIRST_SESSION_ID: u16 = 0x0A01;

/// What a case runs with, besides its link.
pub struct CaseContext<'a> {
    pub profile: &'a Profile,
    pub catalog: &'a Catalog,
    /// The delivered message of every case, by id, for `from: CASE`.
    pub index: &'a HashMap<&'a str, &'a MessageSpec>,
    /// The real time, POSIX seconds: the clock of an IUT that keeps its own.
    pub wall_clock: u64,
    /// Session ids shared by the whole run, over the network: an answer that comes late lands on
    /// its own message, never on a later case's, and an IUT that is never provisioned again
    /// (it remembers every id it saw) gets fresh ones.
    pub run_ids: Option<&'a RunIds>,
    /// Keep the `explain` text of every message.
    pub explain: bool,
    /// `should` and `robustness` deviations fail the case instead of warning (`--strict`).
    pub strict: bool,
}

/// The delivered message of every case that has one, by case id.
pub fn message_index(suites: &[Suite]) -> HashMap<&str, &MessageSpec> {
    suites
        .iter()
        .flat_map(|s| s.cases.iter())
        .filter_map(|c| {
            c.steps.iter().find_map(|s| match &s.action {
                Action::Deliver { message, .. } => Some((c.id.as_str(), message)),
                _ => None,
            })
        })
        .collect()
}

/// Why the case cannot run on this link with this profile, if it cannot.
pub fn skip(case: &Case, ctx: &CaseContext<'_>, link: &dyn Link) -> Option<Skip> {
    let have = link.transport();
    if let Some(needs) = case.transport {
        if !have.carries(needs) {
            return Some(Skip::Transport {
                needs: needs.name().into(),
                have: have.name().into(),
            });
        }
    }
    let framings = case.steps.iter().filter_map(|s| match &s.action {
        Action::Deliver {
            framing: Some(f), ..
        } => Some(f),
        _ => None,
    });
    for f in framings {
        if let Some(why) = link.cannot_send(f) {
            return Some(Skip::NotObservable { field: why.into() });
        }
    }
    if !link.shows_session_details() {
        let hidden = case.steps.iter().find_map(|s| match &s.action {
            Action::Deliver {
                expect: Expect::Session(e),
                ..
            } => e.unobservable(),
            _ => None,
        });
        if let Some(field) = hidden {
            return Some(Skip::NotObservable {
                field: field.to_owned(),
            });
        }
    }
    let unsent = case.steps.iter().find_map(|s| match &s.action {
        Action::Notify { request, .. } => {
            request.format.filter(|f| !ctx.profile.formats.contains(f))
        }
        _ => None,
    });
    if let Some(format) = unsent {
        return Some(Skip::Format(format.name().into()));
    }
    case.requires
        .iter()
        .find(|id| !ctx.profile.claims(id, ctx.catalog))
        .map(|id| Skip::NotClaimed(ctx.catalog.get(id).map_or(id.clone(), |i| i.id.clone())))
}

/// Runs one case over `link` and settles it at once: a network delivery still pending is settled
/// by draining the link now. The result's duration is the caller's to set.
pub fn run_case(
    suite: &Suite,
    case: &Case,
    ctx: &CaseContext<'_>,
    link: &mut dyn Link,
) -> CaseResult {
    let (mut result, pending) = run_case_pending(suite, case, ctx, link);
    if !pending.is_empty() {
        let drained = link.drain(&pending_messages(&pending));
        settle_pending(case, ctx.strict, &mut result, &pending, &drained);
    }
    result
}

/// Runs one case over `link`; the steps whose outcome only the end of the run can settle (a
/// network delivery with no session yet when the sentinel's came) are returned, for
/// [`settle_pending`].
pub fn run_case_pending(
    suite: &Suite,
    case: &Case,
    ctx: &CaseContext<'_>,
    link: &mut dyn Link,
) -> (CaseResult, Vec<Pending>) {
    let mut result = CaseResult::new(suite, case);
    if let Some(why) = skip(case, ctx, link) {
        result.verdict = Verdict::Skipped;
        result.notes.push(why.to_string());
        result.skip = Some(why);
        return (result, Vec::new());
    }
    let accounts = if !ctx.profile.accounts.is_empty() {
        ctx.profile.accounts.clone()
    } else if !suite.defaults.accounts.is_empty() {
        suite.defaults.accounts.clone()
    } else {
        vec![AccountSpec::default_account()]
    };
    let target = case.scrs.first().cloned().unwrap_or_default();
    let mut run = CaseRun {
        ctx,
        link,
        case,
        target,
        accounts,
        now: suite.defaults.now.unwrap_or(DEFAULT_NOW),
        next_session: FIRST_SESSION_ID,
        earlier: Vec::new(),
        step: 0,
        clock_unset: None,
        halted: false,
        pending: Vec::new(),
        missing: Vec::new(),
        result: &mut result,
    };
    let outcome = run.run();
    let step = run.step;
    let target = run.target.clone();
    let pending = std::mem::take(&mut run.pending);
    let missing = std::mem::take(&mut run.missing);
    result.transcript = link.take_transcript();
    let new = std::mem::take(&mut result.failures);
    judge_levels(case, ctx.strict, new, &mut result);
    // What the case needed and did not get fails at MUST, whatever its basis's level.
    result.failures.extend(missing);
    if let Err(broken) = outcome {
        if result.stderr.is_none() {
            result.stderr = link.stderr();
        }
        // Whatever broke, the next case starts on a fresh testee.
        link.reset();
        match broken {
            Broken::Setup(why) => {
                result.unstartable = matches!(
                    why,
                    super::link::SetupError::Start(_)
                        | super::link::SetupError::Hello(_)
                        | super::link::SetupError::Protocol(_)
                        | super::link::SetupError::WrongRole { .. }
                );
                result.verdict = Verdict::Error;
                result.notes.push(why.to_string());
            }
            Broken::Iut(why) => {
                let f = Failure::observed(target, why.to_string());
                result
                    .failures
                    .push(if step > 0 { f.at_step(step) } else { f });
            }
        }
    }
    set_verdict(&mut result);
    (result, pending)
}

/// Pass, inconclusive or fail, from what the case found (an error stays an error).
pub(super) fn set_verdict(result: &mut CaseResult) {
    if result.verdict != Verdict::Error {
        result.verdict = if !result.failures.is_empty() {
            Verdict::Fail
        } else if !result.notes.is_empty() {
            Verdict::Inconclusive
        } else {
            Verdict::Pass
        };
    }
}

/// What judging one step's answer found, before it joins the case.
#[derive(Debug, Default)]
pub(super) struct Judged {
    failures: Vec<Failure>,
    notes: Vec<String>,
    unobserved: Vec<checks::Unobserved>,
}

impl Judged {
    pub(super) fn merge_into(self, result: &mut CaseResult, step: usize) {
        for f in self.failures {
            result.failures.push(f.at_step(step));
        }
        for n in self.notes {
            let n = format!("step {step}: {n}");
            if !result.notes.contains(&n) {
                result.notes.push(n);
            }
        }
        for u in self.unobserved {
            if u.expected_by_step {
                let n = format!("step {step}: {u}");
                if !result.notes.contains(&n) {
                    result.notes.push(n);
                }
            }
            if !result.unobserved.contains(&u) {
                result.unobserved.push(u);
            }
        }
    }
}

/// Judges what a client did with a delivered message against what the step expects. An outcome
/// the step did not expect falls on the case's target item, or is inconclusive where the spec is
/// ambiguous and the profile does not declare its reading.
pub(super) fn judge_delivery(
    r: &Response,
    built: &Built,
    expect: &Expect,
    ambiguous: Option<Ambiguity>,
    declared: bool,
    target: &str,
) -> Judged {
    let mut j = Judged::default();
    let other_outcome = |j: &mut Judged, expected: &str, observed: String| match ambiguous {
        Some(a) if !declared => j.notes.push(format!("{observed}; {}", a.explain())),
        _ => j.failures.push(Failure::new(target, expected, observed)),
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
                &mut j,
                "the message to be ignored",
                format!("the client started session {sid:?}"),
            );
            // 6.4.8's mapping, the client's own duty: whatever the case's basis, a SessionID of
            // zero in its session breaks a MUST.
            if built.wire_session_id() == Some(0)
                && !sid.is_empty()
                && sid.trim_start_matches('0').is_empty()
            {
                j.failures.push(
                    Failure::new(
                        id::C_008_M,
                        "no session for SESSIONID 0 (6.4.8: \"A value of zero MUST NOT be used.\")",
                        format!("the client used SessionID {sid:?}"),
                    )
                    .by_its_sentence(Level::Must),
                );
            }
        }
        (Some(Outcome::Ignored), Expect::Session(_)) => {
            other_outcome(
                &mut j,
                "a session",
                format!(
                    "the client ignored the message ({})",
                    r.reason.clone().unwrap_or_default()
                ),
            );
        }
        (Some(Outcome::Session), Expect::Session(e)) => match &r.session {
            Some(s) => {
                let absent: Vec<&str> = r.field_errors.iter().map(|e| e.path.as_str()).collect();
                let judged = checks::session(s, built, e, &absent);
                j.failures.extend(judged.failures);
                j.unobserved.extend(judged.unobserved);
            }
            // The protocol's business, not the spec's: nothing to judge.
            None => j
                .notes
                .push("protocol error: outcome session without a session record".into()),
        },
        (None, _) => j.notes.push(format!(
            "protocol error: the answer has no outcome{}",
            r.error
                .as_ref()
                .map(|e| format!(" (error: {e})"))
                .unwrap_or_default()
        )),
        (Some(other), _) => j.notes.push(format!(
            "protocol error: outcome {other:?} answers a deliver"
        )),
    }
    j
}

/// The record of one message sent and what came back, with its breakdown when `explain`.
pub(super) fn exchange(
    step: usize,
    op: &str,
    content_type: Option<&str>,
    message: Option<&[u8]>,
    format: Option<Format>,
    response: &Response,
    explain: Option<&explain::Keys>,
) -> Exchange {
    let explained = match (message, explain) {
        (Some(bytes), Some(keys)) => {
            let input = match format {
                Some(Format::V12) => explain::Input::V12,
                _ => explain::Input::V13,
            };
            Some(explain::explain(bytes, input, keys).to_text())
        }
        _ => None,
    };
    Exchange {
        step,
        op: op.to_owned(),
        content_type: content_type.map(str::to_owned),
        message: message.map(hex),
        explain: explained,
        response: serde_json::to_string(response).unwrap_or_default(),
    }
}

/// Sorts the case's deviations by what their sentences make of them. A deviation's level is its
/// check's, lowered on the case's own items to the level of the case's basis (a MUST rule of the
/// sender that a robustness case checks the receiver against is robustness there):
/// - `must`: on the case's own items a failure; on another item an observation of that item
///   (coverage fails the item, with the cases that saw it), not a failure of this case;
/// - `should`, `robustness`: a warning (a failure under --strict);
/// - `ambiguous`: inconclusive, naming the readings.
pub(super) fn judge_levels(case: &Case, strict: bool, new: Vec<Failure>, result: &mut CaseResult) {
    for f in new {
        let own = case.scrs.contains(&f.scr);
        let level = if own && !f.own_sentence {
            f.level.max(case.basis.level)
        } else {
            f.level
        };
        let f = f.at_level(level);
        match level {
            Level::Should | Level::Robustness if !strict => result.warnings.push(f),
            Level::Ambiguous if own => {
                let note = format!(
                    "{}; the spec allows more than one reading here ({}): {}",
                    f.message(),
                    case.basis.section,
                    case.basis.readings.join(" | ")
                );
                if !result.notes.contains(&note) {
                    result.notes.push(note);
                }
            }
            _ if own => result.failures.push(f),
            _ => result.observations.push(f),
        }
    }
}

/// A settled case judged again under another `--strict`, from what it recorded: a `should` or
/// `robustness` deviation is a warning, or under `strict` a failure (on the case's own items) or an
/// observation (on others), as [`judge_levels`] sorted it. Verdicts of the engine's making (pass,
/// inconclusive, fail) follow; a skip, an error and an expected failure are left as they are.
pub fn rejudge_strictness(result: &mut CaseResult, strict: bool) {
    let soft = |f: &Failure| matches!(f.level, Level::Should | Level::Robustness);
    if strict {
        for w in std::mem::take(&mut result.warnings) {
            if !soft(&w) {
                result.warnings.push(w);
            } else if result.scrs.contains(&w.scr) {
                result.failures.push(w);
            } else {
                result.observations.push(w);
            }
        }
    } else {
        let (soft_f, hard_f): (Vec<_>, Vec<_>) = std::mem::take(&mut result.failures)
            .into_iter()
            .partition(soft);
        let (soft_o, hard_o): (Vec<_>, Vec<_>) = std::mem::take(&mut result.observations)
            .into_iter()
            .partition(soft);
        result.failures = hard_f;
        result.observations = hard_o;
        result.warnings.extend(soft_f.into_iter().chain(soft_o));
    }
    if matches!(
        result.verdict,
        Verdict::Pass | Verdict::Inconclusive | Verdict::Fail
    ) {
        set_verdict(result);
    }
}

/// One case in progress.
struct CaseRun<'r, 'c> {
    ctx: &'r CaseContext<'c>,
    link: &'r mut dyn Link,
    case: &'r Case,
    /// The item the case targets (its first): outcomes the case expects fall on it.
    target: String,
    accounts: Vec<AccountSpec>,
    now: u64,
    next_session: u16,
    /// Session ids of the case's earlier notifications (server role).
    earlier: Vec<u16>,
    /// The step under way, 1-based; 0 while provisioning.
    step: usize,
    /// Why the IUT's clock is not the case's, when it could not be set.
    clock_unset: Option<String>,
    /// The case stopped early without a verdict of its own (inconclusive).
    halted: bool,
    /// Steps the end of the run settles.
    pending: Vec<Pending>,
    /// What the case needed to judge and did not get (no notification): failures of its target
    /// at MUST, whatever the level of its basis (a SHOULD case cannot pass on nothing).
    missing: Vec<Failure>,
    result: &'r mut CaseResult,
}

impl CaseRun<'_, '_> {
    fn run(&mut self) -> Result<(), Broken> {
        self.provision(None, Some(self.now))?;
        for (i, step) in self.case.steps.iter().enumerate() {
            if self.halted {
                break;
            }
            self.step = i + 1;
            self.action(&step.action)?;
        }
        Ok(())
    }

    /// Whether the case's verdict depends on the device's clock: it sets the clock, or one of its
    /// messages pins TIMESTAMP (by value, by age, or as fixed bytes).
    fn needs_clock(&self) -> bool {
        self.case.steps.iter().any(|s| match &s.action {
            Action::Clock(_) => true,
            Action::Provision(p) => p.now.is_some(),
            Action::Deliver { message, .. }
            | Action::Generate(crate::suite::Generate { message, .. }) => {
                message.pins_time()
                    || message
                        .from
                        .as_deref()
                        .and_then(|id| self.ctx.index.get(id))
                        .is_some_and(|base| base.pins_time())
            }
            Action::Notify { .. } => false,
        })
    }

    /// The clock could not be set: the case runs on the IUT's real time, unless it depends on the
    /// clock; then it stops here, inconclusive.
    fn clock_refused(&mut self, why: String) {
        self.now = self.ctx.wall_clock;
        if self.needs_clock() {
            self.note(format!(
                "the IUT's clock cannot be set ({why}), and this case depends on it (6.4.7, 6.4.9)"
            ));
            self.halted = true;
        }
        self.clock_unset = Some(why);
    }

    fn action(&mut self, action: &Action) -> Result<(), Broken> {
        match action {
            Action::Provision(p) => self.provision(
                Some(&p.accounts)
                    .filter(|a| !a.is_empty())
                    .map(Vec::as_slice),
                p.now,
            ),
            Action::Clock(now) => self.clock(*now),
            Action::Deliver {
                message,
                content_type,
                framing,
                expect,
                ambiguous,
            } => {
                let built = self.build(message)?;
                self.deliver(
                    &built,
                    content_type.as_deref(),
                    framing.as_ref(),
                    expect,
                    *ambiguous,
                )
            }
            Action::Generate(g) => self.generate(g),
            Action::Notify { request, checks } => self.notify(request, checks),
        }
    }

    fn fail(&mut self, f: Failure) {
        let f = f.at_step(self.step);
        self.result.failures.push(f);
    }

    fn note(&mut self, text: String) {
        let text = if self.step > 0 {
            format!("step {}: {text}", self.step)
        } else {
            text
        };
        if !self.result.notes.contains(&text) {
            self.result.notes.push(text);
        }
    }

    /// Fields of an answer that were not of their type: named in the result; the checks that
    /// need them are not made.
    fn protocol_errors(&mut self, r: &Response) {
        for e in &r.field_errors {
            let text = format!("step {}: {e}", self.step);
            if !self.result.protocol_errors.contains(&text) {
                self.result.protocol_errors.push(text);
            }
        }
    }

    /// Checks not made: those the step asked for leave the case inconclusive.
    fn unobserved(&mut self, list: Vec<checks::Unobserved>) {
        for u in list {
            if u.expected_by_step {
                self.note(u.to_string());
            }
            if !self.result.unobserved.contains(&u) {
                self.result.unobserved.push(u);
            }
        }
    }

    fn problem(&mut self, p: Problem) {
        if let Problem::Stray(s) = p {
            if !self.result.strays.contains(&s) {
                self.result.strays.push(s);
            }
            return;
        }
        // What the transport requires of the device stands for the whole run: it is judged
        // once, by the case whose basis is the sentence the transport names.
        if let Problem::Requirement { basis, broken } = &p {
            let judged = self.result.failures.iter().any(|f| &f.observed == broken);
            if self.case.basis.name != *basis || judged {
                return;
            }
        }
        let Some(transport_item) = self.link.transport_item(self.ctx.profile.role) else {
            // Only a link with a transport of section 7 sees its wire.
            return;
        };
        let (item, observed): (ScrId, String) = match p {
            Problem::UnreadablePackage1(e) => (
                id::C_001_M,
                format!("the client connected with a Package #1 that cannot be read: {e}"),
            ),
            Problem::NotPush(e) => (transport_item, format!("{}: {e}", e.what())),
            Problem::SenderRule(e) => (transport_item, e.to_string()),
            Problem::Requirement { broken, .. } => (transport_item, broken),
            Problem::Stray(_) => return,
        };
        self.fail(Failure::observed(item, observed));
    }

    fn provision(
        &mut self,
        accounts: Option<&[AccountSpec]>,
        now: Option<u64>,
    ) -> Result<(), Broken> {
        if let Some(a) = accounts {
            self.accounts = a.to_vec();
        }
        let accounts = self
            .accounts
            .iter()
            .map(AccountSpec::to_account)
            .collect::<Result<Vec<_>, _>>()
            .map_err(super::link::SetupError::Account)?;
        match self.link.provision(accounts, now)? {
            // Provisioned by hand, the IUT keeps its own time.
            Provisioned::ByHand | Provisioned::Done(ClockSet::ByHand) => {
                self.now = self.ctx.wall_clock
            }
            Provisioned::Done(ClockSet::Set) => {
                if let Some(now) = now {
                    self.now = now;
                }
            }
            Provisioned::Done(ClockSet::Untouched) => {}
            Provisioned::Done(ClockSet::Refused(why)) => self.clock_refused(why),
        }
        Ok(())
    }

    fn clock(&mut self, now: u64) -> Result<(), Broken> {
        match self.link.set_clock(now)? {
            ClockSet::Set => self.now = now,
            ClockSet::ByHand | ClockSet::Untouched => {}
            ClockSet::Refused(why) => self.clock_refused(why),
        }
        Ok(())
    }

    fn fresh_session(&mut self) -> u16 {
        if let Some(shared) = self.ctx.run_ids {
            return shared.next();
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
            Some(id) => match self.ctx.index.get(id.as_str()) {
                Some(base) => spec.over(base),
                None => return Err(super::link::SetupError::NoSuchCase(id.clone()).into()),
            },
            None => spec.clone(),
        };
        let account = self
            .accounts
            .first()
            .cloned()
            .unwrap_or_else(AccountSpec::default_account);
        let params = &self.ctx.profile.parameters;
        let ctx = BuildContext {
            account: &account,
            now: self.now,
            reading: params.digest_reading.unwrap_or_default(),
            fresh_session_id: self.fresh_session(),
            timeout_unit_seconds: params.timeout_unit.unwrap_or_default().seconds(),
        };
        let built = spec.build(&ctx).map_err(super::link::SetupError::Build)?;
        // Whatever SESSIONID the message has, no later fresh one is it.
        if let (Some(run_ids), Some(id)) = (self.ctx.run_ids, built.wire_session_id()) {
            run_ids.claim(id);
        }
        Ok(built)
    }

    /// Valid messages with fresh session ids that none of `avoid` has, in each format (1.3, then
    /// 1.2), when the link needs them: the link sends the one its IUT answers.
    fn sentinel(&mut self, avoid: &[u16]) -> Result<Option<Sentinels>, Broken> {
        if !self.link.needs_sentinel() {
            return Ok(None);
        }
        let mut one = |format| loop {
            let s = self.build(&MessageSpec {
                format: Some(format),
                ..MessageSpec::default()
            })?;
            if !s.wire_session_id().is_some_and(|id| avoid.contains(&id)) {
                return Ok::<_, Broken>(s);
            }
        };
        Ok(Some([one(Format::V13)?, one(Format::V12)?]))
    }

    fn record(
        &mut self,
        op: &'static str,
        content_type: Option<&str>,
        message: Option<&[u8]>,
        format: Option<Format>,
        response: &Response,
    ) {
        let keys = match (self.ctx.explain, message) {
            (true, Some(m)) => Some(self.keys_for(m, format)),
            (true, None) => Some(explain::Keys::default()),
            (false, _) => None,
        };
        self.result.exchanges.push(exchange(
            self.step,
            op,
            content_type,
            message,
            format,
            response,
            keys.as_ref(),
        ));
    }

    /// The keys the breakdown of a message checks its digest with: those of the case's account
    /// whose Server-ID the message carries (else its first), so that a wrong digest shows there.
    fn keys_for(&self, message: &[u8], format: Option<Format>) -> explain::Keys {
        let carried: Option<String> = match format {
            Some(Format::V12) => crate::codec::v12::inspect(message)
                .server_id
                .map(|(_, id)| String::from_utf8_lossy(id).into_owned()),
            _ => crate::codec::v13::decode(message)
                .ok()
                .and_then(|m| m.server_id().map(str::to_owned)),
        };
        let account = self
            .accounts
            .iter()
            .find(|a| Some(&a.server_id) == carried.as_ref())
            .or_else(|| self.accounts.first())
            .and_then(|a| a.to_account().ok());
        let Some(account) = account else {
            return explain::Keys::default();
        };
        let v12 = account.v12.as_ref();
        explain::Keys {
            secret: Some(account.secret.bytes().to_vec()),
            reading: self
                .ctx
                .profile
                .parameters
                .digest_reading
                .unwrap_or_default(),
            password: v12.map(|v| v.password.bytes().to_vec()),
            nonce: v12.map(|v| v.nonce.0.clone()),
            server_id_override: v12
                .and_then(|v| v.aauth_name.as_ref().map(|n| n.as_bytes().to_vec())),
        }
    }

    /// Delivers one message and judges the answer (or leaves it to the end of the run, when the
    /// link says it is pending).
    fn deliver(
        &mut self,
        built: &Built,
        content_type: Option<&str>,
        framing: Option<&Framing>,
        expect: &Expect,
        ambiguous: Option<Ambiguity>,
    ) -> Result<(), Broken> {
        let id = built.wire_session_id().unwrap_or(0);
        let sentinel = self.sentinel(&[id])?;
        let delivered = self.link.deliver(Delivery {
            message: built,
            content_type,
            framing,
            sentinel: sentinel.as_ref(),
        })?;
        for p in delivered.problems {
            self.problem(p);
        }
        self.result.strays.extend(delivered.strays);
        let r = delivered.response;
        self.protocol_errors(&r);
        let shown_type = content_type.unwrap_or(built.format.content_type());
        let at = self.result.exchanges.len();
        self.record(
            "deliver",
            Some(shown_type),
            Some(&built.bytes),
            Some(built.format),
            &r,
        );
        let declared = ambiguous.is_some_and(|a| a.declared(&self.ctx.profile.parameters));
        if let Some(ticket) = delivered.pending {
            self.pending.push(Pending::Deliver {
                step: self.step,
                ticket,
                built: built.clone(),
                expect: expect.clone(),
                ambiguous,
                declared,
                provisional: Box::new(r),
                exchange: at,
            });
            return Ok(());
        }
        let judged = judge_delivery(&r, built, expect, ambiguous, declared, &self.target);
        judged.merge_into(self.result, self.step);
        Ok(())
    }

    /// Generated malformed messages, each to be ignored, then a valid sentinel that must still
    /// start a session: the IUT survived them.
    fn generate(&mut self, g: &crate::suite::Generate) -> Result<(), Broken> {
        let base = self.build(&g.message)?;
        let variants = message::generate(&base, g.class, g.count, g.seed);
        let ids: Vec<u16> = variants.iter().filter_map(Built::wire_session_id).collect();
        // A variant's SESSIONID (mutated, it may be any) is no later message's.
        if let Some(run_ids) = self.ctx.run_ids {
            for id in &ids {
                run_ids.claim(*id);
            }
        }
        let sentinel = self.sentinel(&ids)?;
        let Batch {
            accepted,
            problems,
            pending,
            strays,
        } = self.link.deliver_batch(&variants, sentinel.as_ref())?;
        for p in problems {
            self.problem(p);
        }
        self.result.strays.extend(strays);
        let class = format!("{:?}", g.class);
        if !pending.is_empty() {
            // Judged with the late answers, at the end of the run.
            self.pending.push(Pending::Batch {
                step: self.step,
                variants,
                accepted,
                waiting: pending,
                class,
            });
        } else if let Some(f) = batch_failure(&accepted, &variants, &class, &self.target) {
            if let Some((first, r)) = accepted.first() {
                if let Some(v) = variants.get(*first) {
                    self.record(
                        "deliver",
                        Some(v.format.content_type()),
                        Some(&v.bytes),
                        Some(v.format),
                        r,
                    );
                }
            }
            self.fail(f);
        }
        // A valid message of the batch's format must still start a session: the IUT survived
        // the batch (over every link alike; a network link's own sentinel may be of the other
        // format).
        let sentinel = self.build(&MessageSpec {
            format: Some(base.format),
            ..MessageSpec::default()
        })?;
        self.deliver(
            &sentinel,
            None,
            None,
            &Expect::Session(Box::default()),
            None,
        )
    }

    fn notify(&mut self, request: &NotifyRequest, checks: &[Check]) -> Result<(), Broken> {
        let (content_type, bytes, said) = match self.link.notify(request)? {
            Notified::Arrived {
                content_type,
                message,
                session_id,
                response,
                problems,
            } => {
                self.record(
                    "notify",
                    content_type.as_deref(),
                    Some(&message),
                    request.format,
                    &response,
                );
                self.protocol_errors(&response);
                for p in problems {
                    self.problem(p);
                }
                (content_type, message, session_id)
            }
            Notified::Refused { response, error } => {
                self.protocol_errors(&response);
                let malformed = response
                    .field_errors
                    .iter()
                    .any(|e| e.path == "message" || e.path == "outcome");
                self.record(
                    "notify",
                    response.content_type.as_deref(),
                    response.message.as_ref().map(|m| m.0.as_slice()),
                    request.format,
                    &response,
                );
                if malformed {
                    // The answer said it notified, in a form the protocol does not have.
                    self.note("protocol error: the notification's answer cannot be read".into());
                } else {
                    // The case asked for a notification to judge and got none: it fails on its
                    // own item, whatever that is; a server that never notifies passes nothing.
                    let f = Failure::new(
                        self.target.clone(),
                        "a notification",
                        format!("no notification: {error}"),
                    );
                    self.missing.push(f.at_step(self.step));
                }
                return Ok(());
            }
            Notified::NothingArrived { device, waited } => {
                let f = Failure::new(
                    self.target.clone(),
                    "a notification at the device",
                    format!(
                        "nothing reached the device ({device}) in {}",
                        super::seconds(waited)
                    ),
                );
                self.missing.push(f.at_step(self.step));
                return Ok(());
            }
            Notified::Unreadable(p) => {
                self.problem(p);
                return Ok(());
            }
        };
        let account: Account = match &request.server_id {
            Some(id) => self.accounts.iter().find(|a| &a.server_id == id).cloned(),
            None => self.accounts.first().cloned(),
        }
        .unwrap_or_else(AccountSpec::default_account)
        .to_account()
        .map_err(super::link::SetupError::Account)?;
        let checked = checks::notification(
            &checks::NotificationCheck {
                request,
                account: &account,
                content_type: content_type.as_deref(),
                message: &bytes,
                session_id: said.as_deref(),
                now: self.now,
                earlier: &self.earlier,
                reading: self.ctx.profile.parameters.digest_reading,
            },
            checks,
        );
        if let Some(id) = checked.session_id {
            self.earlier.push(id);
        }
        for f in checked.failures {
            self.fail(f);
        }
        for note in checked.inconclusive {
            self.note(note);
        }
        self.unobserved(checked.unobserved);
        Ok(())
    }
}
