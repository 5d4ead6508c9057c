//! The case engine over in-process links: every verdict, a testee that breaks mid-case, a clock
//! that cannot be set, and "ignored" proven by the sentinel over a simulated network wire. The
//! reference client and server run in this process, so each test takes microseconds.

use super::engine::{self, CaseContext, run_case};
use super::link::net::{Answered, Wire};
use super::link::{Broken, InProcess, Link, NetLink, StdioLink};
use crate::adapter::device::Arrival;
use crate::adapter::dm_server::Posted;
use crate::iut::client::{ClientSettings, ReferenceClient};
use crate::iut::device::DeviceTree;
use crate::iut::faults::Faults;
use crate::iut::server::ReferenceServer;
use crate::profile::Profile;
use crate::report::result::{CaseResult, Skip, Verdict};
use crate::scr::{Catalog, Role, id};
use crate::suite::message::Built;
use crate::suite::{Framing, Suite};
use crate::testee::variant::Variant;
use crate::testee::{HexBytes, Op, Reply, Response, Testee};
use crate::transport::TransportProfile;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

const WALL_CLOCK: u64 = 1_800_000_000;

fn suite(role: Role, cases: &str) -> Suite {
    let text = format!("role: {role}\ntitle: t\ncases:\n{cases}");
    Suite::parse(Path::new("t.yaml"), &text, "t", &Catalog::builtin())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn client(faults: &[&str]) -> ReferenceClient {
    let names: Vec<String> = faults.iter().map(|f| (*f).to_owned()).collect();
    ReferenceClient::new(
        DeviceTree::default(),
        ClientSettings::default(),
        Faults::parse(&names, Role::Client).expect("fault names"),
    )
}

fn in_process_client(faults: &'static [&'static str]) -> impl Link {
    StdioLink::new(InProcess::new(Role::Client, move || client(faults)))
}

fn in_process_server(faults: &'static [&'static str]) -> impl Link {
    StdioLink::new(InProcess::new(Role::Server, move || {
        let names: Vec<String> = faults.iter().map(|f| (*f).to_owned()).collect();
        ReferenceServer::new(Faults::parse(&names, Role::Server).expect("fault names"))
    }))
}

/// Runs every case of `suite` over `link`, in order, as one worker does.
fn run(suite: &Suite, profile: &Profile, link: &mut dyn Link) -> Vec<CaseResult> {
    let catalog = Catalog::builtin();
    let suites = std::slice::from_ref(suite);
    let index = engine::message_index(suites);
    let ctx = CaseContext {
        profile,
        catalog: &catalog,
        index: &index,
        wall_clock: WALL_CLOCK,
        run_ids: None,
        explain: false,
        strict: false,
    };
    suite
        .cases
        .iter()
        .map(|c| run_case(suite, c, &ctx, link))
        .collect()
}

fn reference(role: Role) -> Profile {
    Profile::reference(role, &[])
}

const VALID_THEN_BAD_DIGEST: &str = r#"  - id: t.pass
    title: a valid message starts a session; a flipped digest is ignored
    scrs: ["SCR-DM-NOTI-C-019-M"]
    steps:
      - deliver: {}
        expect: session
      - deliver: {flip_digest_bit: 3}
        expect: ignored
"#;

#[test]
fn a_conformant_client_passes() {
    let s = suite(Role::Client, VALID_THEN_BAD_DIGEST);
    let r = run(&s, &reference(Role::Client), &mut in_process_client(&[]));
    assert_eq!(r[0].verdict, Verdict::Pass, "{:?}", r[0]);
    assert_eq!(r[0].exchanges.len(), 2);
}

#[test]
fn a_deviation_on_another_item_is_an_observation_not_a_failure_of_the_case() {
    let s = suite(Role::Client, VALID_THEN_BAD_DIGEST);
    let r = run(
        &s,
        &reference(Role::Client),
        &mut in_process_client(&["session-id-lowercase"]),
    );
    // The case is on C-019; the lower-case SessionID is C-008's business.
    assert_eq!(r[0].verdict, Verdict::Pass, "{:?}", r[0]);
    assert!(r[0].failures.is_empty());
    let f = &r[0].observations[0];
    assert_eq!(f.scr, id::C_008_M.as_str());
    assert_eq!(f.step, Some(1));
    assert_eq!(
        f.message(),
        "step 1: SessionID \"a01\": lower-case hex digits; 6.4.8 requires upper-case A-F; \
         expected \"A01\""
    );

    // The same deviation in a case on C-008 fails it.
    let on_c008 = suite(
        Role::Client,
        &VALID_THEN_BAD_DIGEST.replace("C-019-M", "C-008-M"),
    );
    let r = run(
        &on_c008,
        &reference(Role::Client),
        &mut in_process_client(&["session-id-lowercase"]),
    );
    assert_eq!(r[0].verdict, Verdict::Fail);
    assert_eq!(r[0].failures[0].scr, id::C_008_M.as_str());

    let r = run(
        &s,
        &reference(Role::Client),
        &mut in_process_client(&["accept-bad-digest"]),
    );
    let f = &r[0].failures[0];
    // An outcome the case expects falls on the case's own item.
    assert_eq!((f.scr.as_str(), f.step), (id::C_019_M.as_str(), Some(2)));
    assert!(f.observed.starts_with("the client started session"), "{f}");
    assert_eq!(f.expected.as_deref(), Some("the message to be ignored"));
}

#[test]
fn an_undeclared_ambiguity_is_inconclusive_and_a_declared_one_fails() {
    let s = suite(
        Role::Client,
        r#"  - id: t.ambiguous
    title: the digest reading
    scrs: ["SCR-DM-NOTI-C-018-M"]
    steps:
      - deliver: {}
        expect: session
        ambiguous: digest-reading
"#,
    );
    let no_colons = || {
        StdioLink::new(InProcess::new(Role::Client, || {
            ReferenceClient::new(
                DeviceTree::default(),
                ClientSettings {
                    reading: crate::codec::digest::DigestReading::NoColons,
                    ..ClientSettings::default()
                },
                Faults::default(),
            )
        }))
    };
    let mut undeclared = reference(Role::Client);
    undeclared.parameters.digest_reading = None;
    let r = run(&s, &undeclared, &mut no_colons());
    assert_eq!(r[0].verdict, Verdict::Inconclusive, "{:?}", r[0]);
    assert!(r[0].notes[0].contains("erratum 9"), "{:?}", r[0].notes);
    let r = run(&s, &reference(Role::Client), &mut no_colons());
    assert_eq!(r[0].verdict, Verdict::Fail);
}

#[test]
fn skips_say_why() {
    let s = suite(
        Role::Client,
        r#"  - id: t.ui
    title: needs UI mode
    scrs: ["SCR-DM-NOTI-C-007-O"]
    requires: ["SCR-DM-NOTI-C-007-O"]
    steps:
      - deliver: {ui_mode: informative}
        expect: {session: {ui_mode: informative}}
  - id: t.udp
    title: needs UDP
    scrs: ["SCR-DM-NOTI-C-020-O"]
    transport: udp
    steps:
      - deliver: {}
        expect: session
"#,
    );
    let mut profile = reference(Role::Client);
    profile
        .claims
        .insert(id::C_007_O.as_str().to_owned(), false);
    let r = run(&s, &profile, &mut in_process_client(&[]));
    assert_eq!(r[0].verdict, Verdict::Skipped);
    assert_eq!(
        r[0].skip,
        Some(Skip::NotClaimed(id::C_007_O.as_str().into()))
    );
    assert_eq!(
        r[1].skip,
        Some(Skip::Transport {
            needs: "udp".into(),
            have: "stdio".into()
        })
    );
    assert_eq!(r[1].notes, ["needs the udp transport; this run uses stdio"]);
}

#[test]
fn a_suite_that_cannot_be_built_is_an_error_not_a_failure() {
    let s = suite(
        Role::Client,
        r#"  - id: t.from
    title: from a case that does not exist
    scrs: ["SCR-DM-NOTI-C-005-M"]
    steps:
      - deliver: {from: no.such.case}
        expect: session
"#,
    );
    let r = run(&s, &reference(Role::Client), &mut in_process_client(&[]));
    assert_eq!(r[0].verdict, Verdict::Error);
    assert!(r[0].failures.is_empty());
    assert!(r[0].notes[0].contains("no.such.case"), "{:?}", r[0].notes);
}

#[test]
fn a_testee_that_breaks_mid_case_fails_it_and_the_next_case_starts_afresh() {
    let s = suite(
        Role::Client,
        &format!(
            r#"  - id: t.crash
    title: a long Server-ID
    scrs: ["SCR-DM-NOTI-C-010-M"]
    steps:
      - deliver: {{}}
        expect: session
      - deliver: {{server_id: "{}"}}
        expect: ignored
{VALID_THEN_BAD_DIGEST}"#,
            "x".repeat(200)
        ),
    );
    let mut link = in_process_client(&["crash-on-long-server-id"]);
    let r = run(&s, &reference(Role::Client), &mut link);
    assert_eq!(r[0].verdict, Verdict::Fail, "{:?}", r[0]);
    let f = &r[0].failures[0];
    assert_eq!((f.scr.as_str(), f.step), (id::C_010_M.as_str(), Some(2)));
    assert!(f.observed.starts_with("IUT exited"), "{f}");
    // The crashed testee was replaced: the next case runs on a fresh one.
    assert_eq!(r[1].verdict, Verdict::Pass, "{:?}", r[1]);

    let s = suite(
        Role::Client,
        r#"  - id: t.hang
    title: Vendor-Info
    scrs: ["SCR-DM-NOTI-C-012-O"]
    steps:
      - deliver: {vendor_info: "v"}
        expect: session
"#,
    );
    let r = run(
        &s,
        &reference(Role::Client),
        &mut in_process_client(&["hang-on-vendor-info"]),
    );
    assert!(r[0].failures[0].observed.starts_with("no answer in"));
}

#[test]
fn a_clock_that_cannot_be_set_makes_only_the_cases_that_need_it_inconclusive() {
    let s = suite(
        Role::Client,
        r#"  - id: t.any
    title: needs no clock
    scrs: ["SCR-DM-NOTI-C-005-M"]
    steps:
      - deliver: {}
        expect: session
  - id: t.old
    title: needs the clock
    scrs: ["SCR-DM-NOTI-C-009-O"]
    steps:
      - deliver: {timeout: 10, age: 1200}
        expect: ignored
"#,
    );
    let mut link =
        StdioLink::new(InProcess::new(Role::Client, || client(&[])).speaking(Variant::NoClock));
    let r = run(&s, &reference(Role::Client), &mut link);
    assert_eq!(r[0].verdict, Verdict::Pass, "{:?}", r[0]);
    // The message carried the wall clock the engine was given, not the suite's time.
    let hex = r[0].exchanges[0].message.clone().unwrap_or_default();
    let bytes = crate::codec::parse_hex(&hex).unwrap();
    let m = crate::codec::v13::decode(&bytes).unwrap();
    assert_eq!(u64::from(m.header.timestamp), WALL_CLOCK);
    assert_eq!(r[1].verdict, Verdict::Inconclusive, "{:?}", r[1]);
    assert!(
        r[1].notes[0].contains("cannot set its clock"),
        "{:?}",
        r[1].notes
    );
    // Nothing was delivered for it: a verdict on the wrong clock would be a guess.
    assert!(r[1].exchanges.is_empty());
}

#[test]
fn a_testee_that_reports_less_is_judged_on_what_it_reports() {
    let s = suite(
        Role::Client,
        r#"  - id: t.bearer
    title: the bearer used
    scrs: ["SCR-DM-NOTI-C-017-O"]
    steps:
      - deliver: {bearers: [6]}
        expect: {session: {bearer: 6}}
"#,
    );
    let speaking =
        |v: Variant| StdioLink::new(InProcess::new(Role::Client, || client(&[])).speaking(v));
    let r = run(&s, &reference(Role::Client), &mut speaking(Variant::Full));
    assert_eq!(r[0].verdict, Verdict::Pass, "{:?}", r[0]);
    // No bearer reported: the check is not made, and the case says why.
    let r = run(
        &s,
        &reference(Role::Client),
        &mut speaking(Variant::Minimal),
    );
    assert_eq!(r[0].verdict, Verdict::Inconclusive, "{:?}", r[0]);
    let unobserved: Vec<_> = r[0].unobserved.iter().map(|u| u.field.as_str()).collect();
    assert_eq!(unobserved, ["package1", "bearer"]);
    assert!(r[0].failures.is_empty());
    // A bearer of the wrong type: a protocol error naming the field, its type and value.
    let r = run(
        &s,
        &reference(Role::Client),
        &mut speaking(Variant::WrongTypes),
    );
    assert_eq!(r[0].verdict, Verdict::Inconclusive, "{:?}", r[0]);
    assert!(
        r[0].protocol_errors
            .iter()
            .any(|e| e.contains("`session.bearer` is [6], expected a bearer number")),
        "{:?}",
        r[0].protocol_errors
    );
    // The SessionID, which it does report, is still judged.
    let r = run(
        &s,
        &reference(Role::Client),
        &mut StdioLink::new(
            InProcess::new(Role::Client, || client(&["session-id-lowercase"]))
                .speaking(Variant::Minimal),
        ),
    );
    assert_eq!(r[0].observations[0].scr, id::C_008_M.as_str());
}

#[test]
fn a_server_is_judged_on_its_notification() {
    let s = suite(
        Role::Server,
        r#"  - id: t.notify
    title: a notification
    scrs: ["SCR-DM-NOTI-S-002-M"]
    steps:
      - notify: {requested_mo: [11]}
"#,
    );
    let r = run(&s, &reference(Role::Server), &mut in_process_server(&[]));
    assert_eq!(r[0].verdict, Verdict::Pass, "{:?}", r[0]);
    let r = run(
        &s,
        &reference(Role::Server),
        &mut in_process_server(&["wrong-secret"]),
    );
    // A case on S-002 sees the digest deviate: an observation of S-011.
    assert_eq!(r[0].verdict, Verdict::Pass);
    assert_eq!(r[0].observations[0].scr, id::S_011_M.as_str());
}

/// The reference client shared by the control channel (provisioning) and the simulated wire.
#[derive(Clone)]
struct Shared(Rc<RefCell<ReferenceClient>>);

impl Testee for Shared {
    fn hello(&self) -> Response {
        self.0.borrow().hello()
    }

    fn handle(&mut self, id: u64, op: Op) -> Reply {
        self.0.borrow_mut().handle(id, op)
    }
}

/// How the simulated network carries a client's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sim {
    /// Each Package #1 at once, in order.
    Prompt,
    /// Every push dropped, as by a device that stopped answering.
    Mute,
    /// Each Package #1 overtaken by the next one: a message's answer comes after its sentinel's,
    /// as from a loaded client that answers on threads of its own.
    Reorder,
}

/// A network with no sockets: a push reaches the client at once; its session is "posted".
struct SimWire {
    client: Shared,
    posts: VecDeque<Posted>,
    sim: Sim,
}

impl Wire for SimWire {
    fn learn(&mut self, _: Option<&str>) -> Result<(), Broken> {
        Ok(())
    }

    fn push(
        &mut self,
        message: &Built,
        _: Option<&str>,
        _: Option<&Framing>,
    ) -> Result<Option<Answered>, Broken> {
        if self.sim == Sim::Mute {
            return Ok(None);
        }
        let op = Op::Deliver {
            content_type: message.format.content_type().into(),
            message: HexBytes(message.bytes.clone()),
        };
        if let Reply::Answer(r) = self.client.handle(1, op) {
            if let Some(s) = r.session {
                let body = s.package1.clone().unwrap_or_default();
                let posted = Posted {
                    server_id: Some(s.server_id),
                    package1: crate::package1::parse_package1(&body).map_err(Into::into),
                    body: body.into_bytes(),
                    at: Instant::now(),
                };
                match self.sim {
                    Sim::Reorder => self.posts.push_front(posted),
                    _ => self.posts.push_back(posted),
                }
            }
        }
        Ok(None)
    }

    fn next_post(&mut self, _: Duration) -> Option<Posted> {
        self.posts.pop_front()
    }

    fn server_uri(&self, server_id: &str) -> Option<String> {
        Some(format!("http://sim/{server_id}"))
    }

    fn device(&mut self) -> Result<String, Broken> {
        Ok("udp://sim".into())
    }

    fn next_arrival(&mut self, _: Duration) -> Option<Arrival> {
        None
    }
}

fn sim_link(faults: &'static [&'static str], sim: Sim) -> impl Link {
    let shared = Shared(Rc::new(RefCell::new(client(faults))));
    let for_wire = shared.clone();
    let mut profile = reference(Role::Client);
    profile.adapter = TransportProfile::Udp;
    NetLink::new(
        Some(InProcess::new(Role::Client, move || shared.clone())),
        Box::new(move || {
            Ok(SimWire {
                client: for_wire.clone(),
                posts: VecDeque::new(),
                sim,
            })
        }),
        &profile,
        Duration::from_millis(50),
    )
}

#[test]
fn over_the_network_ignored_is_proven_by_the_sentinel() {
    let s = suite(Role::Client, VALID_THEN_BAD_DIGEST);
    let mut profile = reference(Role::Client);
    profile.adapter = TransportProfile::Udp;
    let r = run(&s, &profile, &mut sim_link(&[], Sim::Prompt));
    assert_eq!(r[0].verdict, Verdict::Pass, "{:?}", r[0]);
    assert!(
        r[0].exchanges[1]
            .response
            .contains("no session arrived for it by the end of the run"),
        "{}",
        r[0].exchanges[1].response
    );
    // A client that takes the flipped digest: its session arrives beside the sentinel's.
    let r = run(
        &s,
        &profile,
        &mut sim_link(&["accept-bad-digest"], Sim::Prompt),
    );
    assert_eq!(r[0].failures[0].scr, id::C_019_M.as_str());
    assert_eq!(r[0].failures[0].step, Some(2));
    // A client that answers nothing at all is not "ignoring": the missing sentinel fails it.
    let r = run(&s, &profile, &mut sim_link(&[], Sim::Mute));
    assert_eq!(r[0].verdict, Verdict::Fail);
    assert!(
        r[0].failures[0].observed.contains("stopped answering"),
        "{}",
        r[0].failures[0]
    );
}

/// Answers that come after their sentinel's land on their own message, whenever they come: a
/// conformant client whose every answer is overtaken still passes, and one that takes a flipped
/// digest still fails on C-019, at the step whose message it answered.
#[test]
fn over_the_network_late_answers_land_on_their_own_message() {
    let s = suite(Role::Client, VALID_THEN_BAD_DIGEST);
    let mut profile = reference(Role::Client);
    profile.adapter = TransportProfile::Udp;
    let r = run(&s, &profile, &mut sim_link(&[], Sim::Reorder));
    assert_eq!(r[0].verdict, Verdict::Pass, "{:?}", r[0]);
    assert!(
        r[0].exchanges[0]
            .response
            .contains("its Package #1 arrived after the sentinel's"),
        "{}",
        r[0].exchanges[0].response
    );
    assert!(r[0].strays.is_empty(), "{:?}", r[0].strays);
    let r = run(
        &s,
        &profile,
        &mut sim_link(&["accept-bad-digest"], Sim::Reorder),
    );
    assert_eq!(r[0].verdict, Verdict::Fail, "{:?}", r[0]);
    assert_eq!(
        r[0].failed_items().into_iter().collect::<Vec<_>>(),
        [id::C_019_M.as_str()]
    );
    assert_eq!(r[0].failures[0].step, Some(2));
}

#[test]
fn over_the_network_generated_variants_and_hidden_fields() {
    let s = suite(
        Role::Client,
        r#"  - id: t.generate
    title: flipped bits are ignored
    scrs: ["SCR-DM-NOTI-C-019-M"]
    steps:
      - generate: {class: flip-any-bit, count: 20, seed: 1}
  - id: t.ui
    title: UI mode is not seen on the network
    scrs: ["SCR-DM-NOTI-C-007-O"]
    steps:
      - deliver: {ui_mode: informative}
        expect: {session: {ui_mode: informative}}
"#,
    );
    let mut profile = reference(Role::Client);
    profile.adapter = TransportProfile::Udp;
    let r = run(&s, &profile, &mut sim_link(&[], Sim::Prompt));
    assert_eq!(r[0].verdict, Verdict::Pass, "{:?}", r[0]);
    assert_eq!(
        r[1].skip,
        Some(Skip::NotObservable {
            field: "ui_mode".into()
        })
    );
    let r = run(
        &s,
        &profile,
        &mut sim_link(&["accept-bad-digest"], Sim::Prompt),
    );
    assert_eq!(r[0].verdict, Verdict::Fail);
    assert!(r[0].failures[0].observed.contains("were not ignored"));
}

#[test]
fn coverage_fails_an_observed_item_and_leaves_all_inconclusive_items_inconclusive() {
    use crate::report::coverage::{Coverage, ItemVerdict};
    use crate::report::result::Run;
    let s = suite(
        Role::Client,
        &format!(
            "{VALID_THEN_BAD_DIGEST}{}",
            r#"  - id: t.ambiguous
    title: the digest reading
    scrs: ["SCR-DM-NOTI-C-018-M"]
    steps:
      - deliver: {flip_digest_bit: 1}
        expect: session
        ambiguous: digest-reading
"#
        ),
    );
    let mut profile = reference(Role::Client);
    profile.parameters.digest_reading = None;
    let results = run(
        &s,
        &profile,
        &mut in_process_client(&["session-id-lowercase"]),
    );
    let run = Run {
        profile,
        results,
        wall: Duration::ZERO,
        partial: true,
        interrupted: None,
        aborted: None,
        selection: Default::default(),
    };
    let cov = Coverage::of(std::slice::from_ref(&run), &Catalog::builtin());
    let item = |i: crate::scr::ScrId| cov.items.iter().find(|x| x.id == i.as_str()).expect("item");
    let c008 = item(id::C_008_M);
    assert_eq!(c008.verdict, ItemVerdict::Fail);
    assert_eq!(c008.observed[0].0, "t.pass");
    assert!(c008.fails_run);
    assert_eq!(item(id::C_019_M).verdict, ItemVerdict::Pass);
    assert_eq!(item(id::C_018_M).verdict, ItemVerdict::Inconclusive);
    assert!(!cov.ok);
}

fn with_basis(mut s: Suite, level: crate::report::result::Level, readings: &[&str]) -> Suite {
    for c in &mut s.cases {
        c.basis = crate::suite::basis::Basis {
            name: "t".into(),
            section: "6.2".into(),
            level,
            quote: "Options MUST appear in order of their Option Number (see Section 6.3).".into(),
            table: None,
            readings: readings.iter().map(|r| (*r).to_owned()).collect(),
        };
    }
    s
}

#[test]
fn a_basis_level_decides_what_a_deviation_is() {
    use crate::report::result::Level;
    let cases = r#"  - id: t.order
    title: options out of order
    scrs: ["SCR-DM-NOTI-C-004-M"]
    steps:
      - deliver: {swap_options: [0, 1]}
        expect: ignored
"#;
    let faulty = || in_process_client(&["accept-out-of-order-options"]);
    let profile = reference(Role::Client);
    // A sender's MUST checked on the receiver: robustness, a warning.
    let s = with_basis(suite(Role::Client, cases), Level::Robustness, &[]);
    let r = run(&s, &profile, &mut faulty());
    assert_eq!(r[0].verdict, Verdict::Pass, "{:?}", r[0]);
    assert_eq!(r[0].warnings[0].level, Level::Robustness);
    assert_eq!(r[0].warnings[0].scr, id::C_004_M.as_str());
    // Under --strict the warning fails.
    let catalog = Catalog::builtin();
    let index = engine::message_index(std::slice::from_ref(&s));
    let ctx = CaseContext {
        profile: &profile,
        catalog: &catalog,
        index: &index,
        wall_clock: WALL_CLOCK,
        run_ids: None,
        explain: false,
        strict: true,
    };
    let strict = run_case(&s, &s.cases[0], &ctx, &mut faulty());
    assert_eq!(strict.verdict, Verdict::Fail);
    // Ambiguous: inconclusive, naming the readings.
    let s = with_basis(
        suite(Role::Client, cases),
        Level::Ambiguous,
        &["refuse", "accept"],
    );
    let r = run(&s, &profile, &mut faulty());
    assert_eq!(r[0].verdict, Verdict::Inconclusive);
    assert!(
        r[0].notes[0].ends_with("refuse | accept"),
        "{:?}",
        r[0].notes
    );
    // Must: a failure.
    let s = with_basis(suite(Role::Client, cases), Level::Must, &[]);
    assert_eq!(run(&s, &profile, &mut faulty())[0].verdict, Verdict::Fail);
}

/// A session for SESSIONID 0 under a robustness basis: ignoring was the robustness reading, but
/// putting SessionID "0" in Package #1 breaks 6.4.8's own MUST: a failure on C-008-M, not a
/// warning (the case's weaker basis does not soften a sentence of its own).
#[test]
fn a_session_id_of_zero_used_is_a_must_whatever_the_basis() {
    use crate::report::result::Level;
    let cases = r#"  - id: t.zero
    title: zero
    scrs: ["SCR-DM-NOTI-C-008-M"]
    steps:
      - deliver: {session_id: 0}
        expect: ignored
"#;
    let profile = reference(Role::Client);
    let s = with_basis(suite(Role::Client, cases), Level::Robustness, &[]);
    let r = run(
        &s,
        &profile,
        &mut in_process_client(&["session-id-zero-used"]),
    );
    assert_eq!(r[0].verdict, Verdict::Fail, "{:?}", r[0]);
    assert_eq!(r[0].failures.len(), 1, "{:?}", r[0].failures);
    assert_eq!(r[0].failures[0].scr, id::C_008_M.as_str());
    assert_eq!(r[0].failures[0].level, Level::Must);
    assert!(r[0].failures[0].observed.contains("SessionID \"0\""));
    // The conformant client ignores it: a pass.
    assert_eq!(
        run(&s, &profile, &mut in_process_client(&[]))[0].verdict,
        Verdict::Pass
    );
}

/// The breakdown of a message in a report checks its digest with the case's key: a deliberately
/// wrong digest shows as a mismatch there, not as "conformant".
#[test]
fn the_breakdown_checks_the_digest_with_the_cases_key() {
    let cases = r#"  - id: t.digest
    title: digest
    scrs: ["SCR-DM-NOTI-C-019-M"]
    steps:
      - deliver: {flip_digest_bit: 3}
        expect: ignored
      - deliver: {}
        expect: session
"#;
    let s = suite(Role::Client, cases);
    let profile = reference(Role::Client);
    let catalog = Catalog::builtin();
    let index = engine::message_index(std::slice::from_ref(&s));
    let ctx = CaseContext {
        profile: &profile,
        catalog: &catalog,
        index: &index,
        wall_clock: WALL_CLOCK,
        run_ids: None,
        explain: true,
        strict: false,
    };
    let r = run_case(&s, &s.cases[0], &ctx, &mut in_process_client(&[]));
    assert_eq!(r.verdict, Verdict::Pass, "{r:?}");
    let broken = r.exchanges[0].explain.as_deref().unwrap();
    assert!(broken.contains("digest mismatch"), "{broken}");
    assert!(broken.contains("verdict: NOT conformant"), "{broken}");
    let good = r.exchanges[1].explain.as_deref().unwrap();
    assert!(good.contains("verdict: conformant"), "{good}");
}

/// A server that sends TRA 000 whatever it is asked: "not specified" is a value TRA takes.
struct NoTra(ReferenceServer);

impl Testee for NoTra {
    fn hello(&self) -> Response {
        self.0.hello()
    }

    fn handle(&mut self, id: u64, op: Op) -> Reply {
        match op {
            Op::Notify { mut request } => {
                request.transport = None;
                self.0.handle(id, Op::Notify { request })
            }
            op => self.0.handle(id, op),
        }
    }
}

#[test]
fn a_request_a_server_may_not_honour_only_warns() {
    let s = suite(
        Role::Server,
        r#"  - id: t.tra
    title: TRA http as requested
    scrs: ["SCR-DM-NOTI-S-003-M"]
    steps:
      - notify: {transport: http}
"#,
    );
    let mut link = StdioLink::new(InProcess::new(Role::Server, || {
        NoTra(ReferenceServer::new(Faults::default()))
    }));
    let r = run(&s, &reference(Role::Server), &mut link);
    assert_eq!(r[0].verdict, Verdict::Pass, "{:?}", r[0]);
    assert!(
        r[0].warnings[0].observed.starts_with("TRA NotSpecified"),
        "{:?}",
        r[0].warnings
    );
}
