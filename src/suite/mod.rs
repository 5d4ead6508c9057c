//! Test suites: YAML files that map cases to SCR items (docs/suites.md). This module owns the
//! model and its loading: unknown fields and unknown SCR ids are errors naming file:line:column.
//! Building the bytes a step sends is [`message`]'s business; running steps is the runner's.

pub mod basis;
mod keys;
pub use keys::published_keys;
pub mod message;

use crate::codec::Format;
use crate::scr::{Catalog, Role};
use crate::testee::{NotifyRequest, Secret};
use crate::yaml::{self, YamlError};
use message::MessageSpec;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Why an account of a suite or profile cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("give {0} or {0}_hex, not both")]
    Both(&'static str),
    #[error("{field}: {why}")]
    Hex { field: &'static str, why: String },
}

/// A DM account as suites and profiles write it: secrets as text (or hex with the `_hex` fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSpec {
    pub server_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hex: Option<String>,
    /// The 1.2 nonce, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aauth_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_uri: Option<String>,
}

impl AccountSpec {
    /// The harness's default account, used when neither suite nor profile names one.
    pub fn default_account() -> AccountSpec {
        AccountSpec {
            server_id: "com.example.dm".into(),
            secret: Some("dmnoti-notification-secret".into()),
            password: Some("dmnoti-server-password".into()),
            nonce: Some("00e56e00".into()),
            server_uri: Some("http://127.0.0.1/dm".into()),
            ..AccountSpec::default()
        }
    }

    fn bytes(
        text: &Option<String>,
        hex: &Option<String>,
        what: &'static str,
        hex_field: &'static str,
    ) -> Result<Option<Vec<u8>>, AccountError> {
        match (text, hex) {
            (Some(t), None) => Ok(Some(t.as_bytes().to_vec())),
            (None, Some(h)) => {
                crate::codec::parse_hex(h)
                    .map(Some)
                    .map_err(|e| AccountError::Hex {
                        field: hex_field,
                        why: e.to_string(),
                    })
            }
            (None, None) => Ok(None),
            (Some(_), Some(_)) => Err(AccountError::Both(what)),
        }
    }

    pub fn secret_bytes(&self) -> Result<Vec<u8>, AccountError> {
        Ok(
            Self::bytes(&self.secret, &self.secret_hex, "secret", "secret_hex")?
                .unwrap_or_default(),
        )
    }

    /// The account as the testee protocol sends it.
    pub fn to_account(&self) -> Result<crate::testee::Account, AccountError> {
        let password = Self::bytes(
            &self.password,
            &self.password_hex,
            "password",
            "password_hex",
        )?;
        let nonce = match &self.nonce {
            Some(n) => crate::codec::parse_hex(n).map_err(|e| AccountError::Hex {
                field: "nonce",
                why: e.to_string(),
            })?,
            None => Vec::new(),
        };
        Ok(crate::testee::Account {
            server_id: self.server_id.clone(),
            secret: Secret::new(self.secret_bytes()?),
            v12: password.map(|p| crate::testee::protocol::V12Credentials {
                password: Secret::new(p),
                nonce: crate::testee::HexBytes(nonce),
                aauth_name: self.aauth_name.clone(),
            }),
            server_uri: self.server_uri.clone(),
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Accounts provisioned at the start of every case (the profile's accounts win when it has some).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<AccountSpec>,
    /// The testee's clock at the start of every case, POSIX seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<u64>,
}

/// What a step expects of a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Expect {
    /// The client drops the message.
    Ignored,
    /// The client starts a session (with these fields, where given).
    Session(Box<SessionExpect>),
}

impl Expect {
    fn from_word(word: &str) -> Option<Expect> {
        match word {
            "ignored" => Some(Expect::Ignored),
            "session" => Some(Expect::Session(Box::default())),
            _ => None,
        }
    }
}

/// `expect: ignored`, `expect: session` or `expect: {session: {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
enum ExpectRepr {
    Word(String),
    Full(Expect),
}

fn expect_de<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Expect>, D::Error> {
    match Option::<ExpectRepr>::deserialize(d)? {
        None => Ok(None),
        Some(ExpectRepr::Full(e)) => Ok(Some(e)),
        Some(ExpectRepr::Word(w)) => Expect::from_word(&w).map(Some).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "expect is `ignored`, `session` or `{{session: ...}}`, not {w:?}"
            ))
        }),
    }
}

/// Fields a session must have. Absent fields are not checked; SessionID's form (6.4.8) and
/// Package #1's SessionID are always checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionExpect {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui_mode: Option<crate::codec::UiMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_mo: Option<Vec<u16>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targeted_mo: Option<Vec<u16>>,
    /// The bearer used; `null` for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer: Option<Option<u8>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_info: Option<String>,
    /// Text Package #1 must contain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub package1_contains: Vec<String>,
    /// Each requested MO's subtree must be in Package #1 (6.5.4, C-013).
    #[serde(default)]
    pub package1_has_requested_mo: bool,
}

/// Points the spec leaves open (docs/spec-notes.md errata) that a case's outcome can turn on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ambiguity {
    /// Erratum 9: the colons of the 1.3 digest formula.
    DigestReading,
    /// Erratum 3: TIMEOUT in minutes or days for a message's age.
    TimeoutUnit,
    /// 1.2 V = 12, which real clients accept.
    #[serde(rename = "version-12")]
    Version12,
    /// Erratum 6: RESERVED bits not zero.
    ReservedBits,
    /// Erratum 7: a reserved TRA value.
    ReservedTransport,
    /// 1.2 nonce resync: a client SHOULD retry a failed digest with 00000000 (not a MUST).
    NonceResync,
}

impl Ambiguity {
    pub fn explain(self) -> &'static str {
        match self {
            Ambiguity::DigestReading => {
                "erratum 9: the IUT reads the digest's colons otherwise than literally (declare parameters.digest_reading to make this strict)"
            }
            Ambiguity::TimeoutUnit => {
                "erratum 3: the IUT reads TIMEOUT in another unit for a message's age (declare parameters.timeout_unit to make this strict)"
            }
            Ambiguity::Version12 => {
                "1.2 V = 12 is not the conformant 11, but many clients accept it"
            }
            Ambiguity::ReservedBits => {
                "erratum 6: the text does not say whether non-zero RESERVED bits are refused or ignored"
            }
            Ambiguity::ReservedTransport => {
                "erratum 7: the text does not say what a client does with a reserved TRA value"
            }
            Ambiguity::NonceResync => {
                "the 1.2 nonce resync (retry with 00000000) is a SHOULD, not a MUST"
            }
        }
    }

    /// Whether the profile declares how the IUT reads this point.
    pub fn declared(self, parameters: &crate::profile::Parameters) -> bool {
        match self {
            Ambiguity::DigestReading => parameters.digest_reading.is_some(),
            Ambiguity::TimeoutUnit => parameters.timeout_unit.is_some(),
            _ => false,
        }
    }
}

/// Named checks on a server's notification (server role).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// Strict decoding passes (6.1-6.6); a broken rule fails its own SCR item.
    WellFormed,
    /// The content type is the 1.3 one (6).
    ContentType,
    /// The digest verifies with the account's secret (6.6, S-011).
    Digest,
    /// TIMESTAMP is within a minute of the testee's clock (6.4.9).
    Timestamp,
    /// SESSIONID differs from every earlier one of the case (6.4.8).
    SessionIdFresh,
    /// The SessionID the server says it expects is the one on the wire (6.4.8).
    SessionIdMatches,
    /// Header fields and options are those requested (6.4, 6.5).
    Fields,
}

impl Check {
    pub const ALL: [Check; 7] = [
        Check::WellFormed,
        Check::ContentType,
        Check::Digest,
        Check::Timestamp,
        Check::SessionIdFresh,
        Check::SessionIdMatches,
        Check::Fields,
    ];
}

/// A class of generated malformed messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MutationClass {
    /// The message cut at a random length.
    Truncate,
    /// One random bit of the header flipped.
    FlipHeaderBit,
    /// One random bit anywhere flipped.
    FlipAnyBit,
    /// One random byte replaced.
    ReplaceByte,
    /// Random bytes appended.
    Append,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Generate {
    pub class: MutationClass,
    pub count: u32,
    #[serde(default)]
    pub seed: u64,
    /// The message mutated; a valid one when absent.
    #[serde(default)]
    pub message: MessageSpec,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionStep {
    #[serde(default)]
    pub accounts: Vec<AccountSpec>,
    #[serde(default)]
    pub now: Option<u64>,
}

/// One step of a case: exactly one action and, where the action has one, what it expects.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "StepRepr")]
pub struct Step {
    pub action: Action,
}

/// What a step does, one variant per step kind (docs/suites.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Client role: deliver a Package #0 and judge what the client does with it.
    Deliver {
        message: MessageSpec,
        /// Deliver with this content type instead of the format's.
        content_type: Option<String>,
        /// Over WAP push: the framing, when not the conformant one.
        framing: Option<Framing>,
        expect: Expect,
        /// The spec is ambiguous here: the other outcome is inconclusive, not a failure, unless
        /// the profile declares how the IUT reads the point.
        ambiguous: Option<Ambiguity>,
    },
    /// Client role: generated malformed messages, each to be ignored, then a valid sentinel.
    Generate(Generate),
    /// Server role: ask for a notification and check it.
    Notify {
        request: NotifyRequest,
        /// The checks made; all of them when the suite names none.
        checks: Vec<Check>,
    },
    /// Provision accounts (and set the clock).
    Provision(ProvisionStep),
    /// Set the clock: POSIX seconds.
    Clock(u64),
}

impl Action {
    /// The step key that names this action.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Deliver { .. } => "deliver",
            Action::Generate(_) => "generate",
            Action::Notify { .. } => "notify",
            Action::Provision(_) => "provision",
            Action::Clock(_) => "clock",
        }
    }

    /// The role whose suites may use this action; `None`: both.
    pub fn role(&self) -> Option<Role> {
        match self {
            Action::Deliver { .. } | Action::Generate(_) => Some(Role::Client),
            Action::Notify { .. } => Some(Role::Server),
            Action::Provision(_) | Action::Clock(_) => None,
        }
    }

    /// The message a deliver or generate step builds on.
    pub fn message(&self) -> Option<&MessageSpec> {
        match self {
            Action::Deliver { message, .. } => Some(message),
            Action::Generate(g) => Some(&g.message),
            _ => None,
        }
    }
}

/// A step as YAML writes it: every key optional; [`Step`] checks that they make one action.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepRepr {
    #[serde(default)]
    deliver: Option<MessageSpec>,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    framing: Option<Framing>,
    #[serde(default)]
    notify: Option<NotifyRequest>,
    #[serde(default)]
    generate: Option<Generate>,
    #[serde(default)]
    provision: Option<ProvisionStep>,
    #[serde(default)]
    clock: Option<u64>,
    #[serde(default, deserialize_with = "expect_de")]
    expect: Option<Expect>,
    #[serde(default)]
    checks: Option<Vec<Check>>,
    #[serde(default)]
    ambiguous: Option<Ambiguity>,
}

/// Why a step's keys do not make one action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error("{0} actions; a step has exactly one of deliver, notify, generate, provision, clock")]
    Actions(usize),
    #[error("`{0}` belongs to a {1} step")]
    Misplaced(&'static str, &'static str),
    #[error("deliver needs an expect")]
    NoExpect,
}

impl TryFrom<StepRepr> for Step {
    type Error = StepError;

    fn try_from(r: StepRepr) -> Result<Step, StepError> {
        let count = [
            r.deliver.is_some(),
            r.notify.is_some(),
            r.generate.is_some(),
            r.provision.is_some(),
            r.clock.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        let only_deliver = |key: &'static str, set: bool| {
            if set && r.deliver.is_none() {
                Err(StepError::Misplaced(key, "deliver"))
            } else {
                Ok(())
            }
        };
        if count == 1 {
            only_deliver("expect", r.expect.is_some())?;
            only_deliver("content_type", r.content_type.is_some())?;
            only_deliver("framing", r.framing.is_some())?;
            only_deliver("ambiguous", r.ambiguous.is_some())?;
            if r.checks.is_some() && r.notify.is_none() {
                return Err(StepError::Misplaced("checks", "notify"));
            }
        }
        let action = match (r.deliver, r.notify, r.generate, r.provision, r.clock) {
            (Some(message), None, None, None, None) => Action::Deliver {
                message,
                content_type: r.content_type,
                framing: r.framing,
                expect: r.expect.ok_or(StepError::NoExpect)?,
                ambiguous: r.ambiguous,
            },
            (None, Some(request), None, None, None) => Action::Notify {
                request,
                checks: r.checks.unwrap_or_else(|| Check::ALL.to_vec()),
            },
            (None, None, Some(g), None, None) => Action::Generate(g),
            (None, None, None, Some(p), None) => Action::Provision(p),
            (None, None, None, None, Some(now)) => Action::Clock(now),
            _ => return Err(StepError::Actions(count)),
        };
        Ok(Step { action })
    }
}

/// A push framing other than the conformant one of its transport (section 7), one variant per
/// transport. In a suite its keys are flat (`framing: {obex_chunk: 8}`); the keys of one transport
/// make its variant, and keys of two transports in one framing do not load.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "FramingKeys")]
pub enum Framing {
    /// 7.1: a WAP push PDU other than the conformant `TID 06 len D8 AF 87` (over UDP or SMS).
    Wsp(WspFraming),
    /// 7.1 over SMS: the WDP destination port, when not 2948 (a push for another application).
    Sms { port: u16 },
    /// 7.2: at most `chunk` body bytes per PUT packet, a split the device must reassemble (by
    /// default as many as its maximum packet length allows).
    Obex { chunk: usize },
    /// 7.3: the MESSAGE's transport and headers.
    Sip(SipFraming),
}

/// 7.1: how a WAP push PDU departs from the conformant one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WspFraming {
    /// Encoded headers between the content type and the application id.
    pub extra_headers: Vec<u8>,
    /// The content type as text instead of its code.
    pub text_content_type: bool,
    /// Another application id, or none (the conformant one when absent).
    pub app_id: Option<AppIdChoice>,
}

/// The application id header of a WAP push framing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppIdChoice {
    Code(u32),
    Text(String),
    /// No application id header at all.
    Absent,
}

/// 7.3: how a MESSAGE departs from the harness's usual one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SipFraming {
    /// The transport of the MESSAGE (by default UDP, or TCP when the request is over 1300
    /// bytes, RFC 3261 18.1.1).
    pub transport: Option<crate::codec::sip::SipTransport>,
    /// No `+g.oma.eventappid` feature tag in Accept-Contact.
    pub no_feature_tag: bool,
    /// Over UDP: bytes after the body, past its Content-Length; RFC 3261 18.3 has the receiver
    /// discard them.
    pub past_content_length: Vec<u8>,
}

impl Framing {
    /// The transport whose framing this is.
    pub fn transport(&self) -> crate::transport::TransportProfile {
        use crate::transport::TransportProfile as T;
        match self {
            Framing::Wsp(_) => T::Udp,
            Framing::Sms { .. } => T::Smpp,
            Framing::Obex { .. } => T::Obex,
            Framing::Sip(_) => T::Sip,
        }
    }
}

/// A framing as a suite writes it: flat keys, hex as text.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FramingKeys {
    #[serde(default)]
    extra_headers: Option<String>,
    #[serde(default)]
    text_content_type: bool,
    #[serde(default)]
    app_id: Option<u32>,
    #[serde(default)]
    app_id_text: Option<String>,
    #[serde(default)]
    no_app_id: bool,
    #[serde(default)]
    sip_transport: Option<crate::codec::sip::SipTransport>,
    #[serde(default)]
    no_feature_tag: bool,
    #[serde(default)]
    past_content_length: Option<String>,
    #[serde(default)]
    obex_chunk: Option<usize>,
    #[serde(default)]
    sms_port: Option<u16>,
}

impl TryFrom<FramingKeys> for Framing {
    type Error = String;

    fn try_from(k: FramingKeys) -> Result<Framing, String> {
        let hex = |key: &str, v: Option<String>| -> Result<Vec<u8>, String> {
            v.map_or(Ok(Vec::new()), |h| {
                crate::codec::parse_hex(&h).map_err(|e| format!("framing {key}: {e}"))
            })
        };
        let wsp = [
            (k.extra_headers.is_some(), "extra_headers"),
            (k.text_content_type, "text_content_type"),
            (k.app_id.is_some(), "app_id"),
            (k.app_id_text.is_some(), "app_id_text"),
            (k.no_app_id, "no_app_id"),
        ];
        let sip = [
            (k.sip_transport.is_some(), "sip_transport"),
            (k.no_feature_tag, "no_feature_tag"),
            (k.past_content_length.is_some(), "past_content_length"),
        ];
        let obex = [(k.obex_chunk.is_some(), "obex_chunk")];
        let sms = [(k.sms_port.is_some(), "sms_port")];
        let groups: [(&str, &[(bool, &str)]); 4] = [
            ("WAP push", &wsp),
            ("SIP", &sip),
            ("OBEX", &obex),
            ("SMS", &sms),
        ];
        let used: Vec<(&str, Vec<&str>)> = groups
            .iter()
            .map(|(t, keys)| (*t, keys.iter().filter(|k| k.0).map(|k| k.1).collect()))
            .filter(|(_, keys): &(&str, Vec<&str>)| !keys.is_empty())
            .collect();
        match used.as_slice() {
            [] => Err("a framing names no key: leave it out for the conformant framing".into()),
            [_, _, ..] => Err(format!(
                "a framing is of one transport; this one mixes {}",
                used.iter()
                    .map(|(t, keys)| format!("{t} ({})", keys.join(", ")))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )),
            [("WAP push", keys)] => {
                let app_id = match (k.app_id, k.app_id_text, k.no_app_id) {
                    (None, None, false) => None,
                    (Some(c), None, false) => Some(AppIdChoice::Code(c)),
                    (None, Some(t), false) => Some(AppIdChoice::Text(t)),
                    (None, None, true) => Some(AppIdChoice::Absent),
                    _ => {
                        return Err(format!(
                            "a framing has one application id: it names {}",
                            keys.join(", ")
                        ));
                    }
                };
                Ok(Framing::Wsp(WspFraming {
                    extra_headers: hex("extra_headers", k.extra_headers)?,
                    text_content_type: k.text_content_type,
                    app_id,
                }))
            }
            [("SIP", _)] => Ok(Framing::Sip(SipFraming {
                transport: k.sip_transport,
                no_feature_tag: k.no_feature_tag,
                past_content_length: hex("past_content_length", k.past_content_length)?,
            })),
            [("OBEX", _)] => match k.obex_chunk {
                Some(0) => Err("framing obex_chunk: a PUT packet carries at least 1 byte".into()),
                Some(chunk) => Ok(Framing::Obex { chunk }),
                None => Err("framing obex_chunk is missing".into()),
            },
            [(_, _)] => Ok(Framing::Sms {
                port: k.sms_port.unwrap_or(crate::codec::sms::WAP_PUSH_PORT),
            }),
        }
    }
}

impl SessionExpect {
    /// A field the network cannot show (how the device ran the session), if the step expects one.
    pub fn unobservable(&self) -> Option<&'static str> {
        [
            (self.ui_mode.is_some(), "ui_mode"),
            (self.targeted_mo.is_some(), "targeted_mo"),
            (self.bearer.is_some(), "bearer"),
            (self.connect_reason.is_some(), "connect_reason"),
            (self.vendor_info.is_some(), "vendor_info"),
        ]
        .into_iter()
        .find_map(|(set, name)| set.then_some(name))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub id: String,
    pub title: String,
    pub scrs: Vec<String>,
    /// Optional SCR items the IUT must claim for the case to run.
    #[serde(default)]
    pub requires: Vec<String>,
    /// The transport the case needs (stdio when absent).
    #[serde(default)]
    pub transport: Option<crate::transport::TransportProfile>,
    /// The name of its normative basis in `bases.yaml`.
    #[serde(default, rename = "basis")]
    pub basis_name: Option<String>,
    /// That basis, resolved when the suites load (a MUST with no sentence when there are none).
    #[serde(skip, default = "basis::Basis::unstated")]
    pub basis: basis::Basis,
    pub steps: Vec<Step>,
    /// 1-based line of the case in its file (set by the loader).
    #[serde(skip)]
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    #[serde(default)]
    pub name: String,
    pub role: Role,
    pub title: String,
    #[serde(default)]
    pub defaults: Defaults,
    pub cases: Vec<Case>,
    #[serde(skip)]
    pub file: PathBuf,
    /// SHA-256 of the file's text (set by the loader), for [`suites_hash`].
    #[serde(skip)]
    pub digest: String,
}

/// Where in the text `needle` stands, at or after line `from` (1-based): (line, column).
fn locate(text: &str, from: usize, needle: &str) -> (usize, usize) {
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find_map(|(i, l)| l.find(needle).map(|c| (i + 1, c + 1)))
        .unwrap_or((from.max(1), 1))
}

impl Suite {
    /// Parses and checks one suite file. `name` defaults to the file's path under the suites
    /// directory, without extension.
    pub fn parse(
        file: &Path,
        text: &str,
        name: &str,
        catalog: &Catalog,
    ) -> Result<Suite, YamlError> {
        let mut suite: Suite = yaml::from_str(file, text)?;
        suite.file = file.to_path_buf();
        if suite.name.is_empty() {
            suite.name = name.to_owned();
        }
        let err = |line: usize, needle: &str, message: String| {
            let (l, c) = locate(text, line, needle);
            YamlError::at(file, text, l, c, message)
        };
        // One pass through the text: each case's line is found from the previous case's, and lines
        // are counted only over the text between them (rescanning from the top was quadratic).
        let (mut cursor, mut cursor_line) = (0usize, 1usize);
        for case in &mut suite.cases {
            let needle = format!("id: {}", case.id);
            if let Some(at) = text[cursor..].find(&needle) {
                cursor_line += text[cursor..cursor + at].matches('\n').count();
                cursor += at;
            }
            let line = cursor_line;
            case.line = line;
            if case.scrs.is_empty() {
                return Err(err(
                    line,
                    "id:",
                    format!("case {} names no SCR item", case.id),
                ));
            }
            for id in case.scrs.iter().chain(&case.requires) {
                let Some(item) = catalog.get(id) else {
                    return Err(err(
                        line,
                        id,
                        format!("unknown SCR item {id:?} (dmnoti scrs lists them)"),
                    ));
                };
                if item.role != suite.role {
                    return Err(err(
                        line,
                        id,
                        format!(
                            "{id} is a {} item; this is a {} suite",
                            item.role, suite.role
                        ),
                    ));
                }
            }
            for id in &case.requires {
                if catalog
                    .get(id)
                    .is_some_and(|i| i.status == crate::scr::Status::Mandatory)
                {
                    return Err(err(
                        line,
                        id,
                        format!("{id} is mandatory: a case cannot require it to be claimed"),
                    ));
                }
            }
            if case.steps.is_empty() {
                return Err(err(line, "steps", format!("case {} has no steps", case.id)));
            }
            for (i, step) in case.steps.iter().enumerate() {
                if step.action.role().is_some_and(|r| r != suite.role) {
                    return Err(err(
                        line,
                        "steps",
                        format!(
                            "case {} step {}: {} is not a step for a {} suite",
                            case.id,
                            i + 1,
                            step.action.name(),
                            suite.role
                        ),
                    ));
                }
                if let Some(spec) = step.action.message() {
                    spec.check().map_err(|m| {
                        err(
                            line,
                            "deliver",
                            format!("case {} step {}: {m}", case.id, i + 1),
                        )
                    })?;
                }
            }
        }
        Ok(suite)
    }

    pub fn load(file: &Path, name: &str, catalog: &Catalog) -> Result<Suite, YamlError> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| YamlError::whole_file(file, format!("cannot read: {e}")))?;
        Suite::parse(file, &text, name, catalog)
    }
}

/// The suites as compiled into the binary (`build.rs`): `dmnoti` runs them from any directory.
pub mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_suites.rs"));
}

/// The texts a suite set is made of: the suite files (the path errors name, the suite's name, its
/// text), the bases and the retired ids.
struct SuiteFiles {
    suites: Vec<(PathBuf, String, String)>,
    bases: Option<basis::Bases>,
    retired: Vec<String>,
}

impl SuiteFiles {
    fn from_dir(dir: &Path) -> Result<SuiteFiles, YamlError> {
        let mut files = Vec::new();
        collect(dir, &mut files)
            .map_err(|e| YamlError::whole_file(dir, format!("cannot read the suites: {e}")))?;
        files.sort();
        let mut suites = Vec::new();
        for file in files {
            let name = file
                .strip_prefix(dir)
                .unwrap_or(&file)
                .with_extension("")
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&file)
                .map_err(|e| YamlError::whole_file(&file, format!("cannot read: {e}")))?;
            suites.push((file, name, text));
        }
        Ok(SuiteFiles {
            suites,
            bases: basis::load(dir)?,
            retired: retired(dir),
        })
    }

    fn builtin() -> Result<SuiteFiles, YamlError> {
        let mut suites = Vec::new();
        let mut retired_text = "";
        for (path, text) in builtin::FILES {
            if *path == "RETIRED" {
                retired_text = text;
            } else if *path != basis::FILE {
                let name = path.trim_end_matches(".yaml").to_owned();
                suites.push((Path::new("suites").join(path), name, (*text).to_owned()));
            }
        }
        Ok(SuiteFiles {
            suites,
            bases: basis::builtin()?,
            retired: retired_ids(retired_text),
        })
    }
}

/// The built-in suites.
pub fn load_builtin(catalog: &Catalog) -> Result<Vec<Suite>, YamlError> {
    load_files(SuiteFiles::builtin()?, Path::new("(built in)"), catalog)
}

/// The built-in suite files written under `dir` (`dmnoti suites export`), for a vendor to read or
/// extend: returns the paths written.
pub fn export_builtin(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (path, text) in builtin::FILES {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, text)?;
        written.push(target);
    }
    Ok(written)
}

/// Every suite under `dir` (`*.yaml`, recursively, in path order). Case ids must be unique.
pub fn load_dir(dir: &Path, catalog: &Catalog) -> Result<Vec<Suite>, YamlError> {
    load_files(SuiteFiles::from_dir(dir)?, dir, catalog)
}

fn load_files(files: SuiteFiles, dir: &Path, catalog: &Catalog) -> Result<Vec<Suite>, YamlError> {
    if files.suites.is_empty() {
        return Err(YamlError::whole_file(dir, "no suites (*.yaml) here".into()));
    }
    let mut suites = Vec::new();
    let mut ids = HashSet::new();
    for (file, name, text) in files.suites {
        let mut suite = Suite::parse(&file, &text, &name, catalog)?;
        suite.digest = {
            use sha2::{Digest, Sha256};
            crate::codec::hex(&Sha256::digest(text.as_bytes()))
        };
        if let Some(bases) = &files.bases {
            resolve_bases(&file, &text, &mut suite, bases)?;
        }
        for case in &suite.cases {
            if files.retired.contains(&case.id) {
                return Err(YamlError::at(
                    &file,
                    &text,
                    case.line,
                    1,
                    format!(
                        "case id {} is retired (suites/RETIRED): ids are never reused",
                        case.id
                    ),
                ));
            }
            if !ids.insert(case.id.clone()) {
                return Err(YamlError::at(
                    &file,
                    &text,
                    case.line,
                    1,
                    format!("case id {} is used twice", case.id),
                ));
            }
        }
        suites.push(suite);
    }
    Ok(suites)
}

/// Gives every case of `suite` its basis: each case must name one that `bases` has.
fn resolve_bases(
    file: &Path,
    text: &str,
    suite: &mut Suite,
    bases: &basis::Bases,
) -> Result<(), YamlError> {
    for case in &mut suite.cases {
        let found = case.basis_name.as_ref().and_then(|n| bases.get(n));
        match found {
            Some(b) => case.basis = b.clone(),
            None => {
                let message = match &case.basis_name {
                    None => format!(
                        "case {} names no basis: give `basis: NAME` from {} (the sentence of the spec it enforces)",
                        case.id,
                        basis::FILE
                    ),
                    Some(n) => format!("case {}: no basis {n:?} in {}", case.id, basis::FILE),
                };
                return Err(YamlError::at(file, text, case.line, 1, message));
            }
        }
    }
    Ok(())
}

/// SHA-256 over the suite files (their names and texts, in name order): which suite set a report
/// is of, whether it was read from a directory or built in.
pub fn suites_hash(suites: &[Suite]) -> String {
    use sha2::{Digest, Sha256};
    let mut parts: Vec<(&str, &str)> = suites
        .iter()
        .map(|s| (s.name.as_str(), s.digest.as_str()))
        .collect();
    parts.sort();
    let mut h = Sha256::new();
    for (name, digest) in parts {
        h.update(name.as_bytes());
        h.update(digest.as_bytes());
    }
    crate::codec::hex(&h.finalize())
}

/// The seed of every generated case, by case id (reports record them).
pub fn seeds(suites: &[Suite]) -> std::collections::BTreeMap<String, u64> {
    suites
        .iter()
        .flat_map(|s| &s.cases)
        .flat_map(|c| {
            c.steps.iter().filter_map(move |st| match &st.action {
                Action::Generate(g) => Some((c.id.clone(), g.seed)),
                _ => None,
            })
        })
        .collect()
}

/// Retired case ids (`suites/RETIRED`, one per line, `#` comments): ids never to be used again.
pub fn retired(dir: &Path) -> Vec<String> {
    retired_ids(&std::fs::read_to_string(dir.join("RETIRED")).unwrap_or_default())
}

fn retired_ids(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml")
            && path.file_name().is_none_or(|n| n != basis::FILE)
        {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Suite, YamlError> {
        Suite::parse(Path::new("s.yaml"), text, "s", &Catalog::builtin())
    }

    const GOOD: &str = "role: client\ntitle: t\ncases:\n  - id: a.1\n    title: x\n    scrs: [SCR-DM-NOTI-C-018-M]\n    steps:\n      - deliver: {session_id: 0x00AB}\n        expect: session\n      - deliver: {flip_digest_bit: 3}\n        expect: ignored\n        ambiguous: digest-reading\n";

    #[test]
    fn a_suite_parses() {
        let s = parse(GOOD).unwrap();
        assert_eq!(s.cases[0].line, 4);
        let Action::Deliver {
            message, expect, ..
        } = &s.cases[0].steps[0].action
        else {
            panic!("{:?}", s.cases[0].steps[0])
        };
        assert_eq!(*expect, Expect::Session(Box::default()));
        assert_eq!(message.session_id, Some(0xAB));
        let Action::Deliver {
            expect, ambiguous, ..
        } = &s.cases[0].steps[1].action
        else {
            panic!("{:?}", s.cases[0].steps[1])
        };
        assert_eq!(*expect, Expect::Ignored);
        assert_eq!(*ambiguous, Some(Ambiguity::DigestReading));
    }

    #[test]
    fn unknown_fields_and_items_are_located() {
        let e = parse(&GOOD.replace("flip_digest_bit", "flip_digest_bits")).unwrap_err();
        assert_eq!(e.line, Some(10), "{e}");
        assert!(
            e.message.contains("unknown field `flip_digest_bits`"),
            "{e}"
        );
        let e = parse(&GOOD.replace("C-018-M", "C-099-M")).unwrap_err();
        assert_eq!((e.line, e.column), (Some(6), Some(12)), "{e}");
        assert!(
            e.to_string()
                .contains("unknown SCR item \"SCR-DM-NOTI-C-099-M\""),
            "{e}"
        );
        let e = parse(&GOOD.replace("C-018-M", "S-011-M")).unwrap_err();
        assert!(e.message.contains("is a server item"), "{e}");
    }

    /// A framing is of one transport: its keys make the variant; keys of two transports, two
    /// application ids or bad hex do not load, and say where.
    #[test]
    fn a_framing_is_of_one_transport() {
        let with = |framing: &str| {
            GOOD.replace(
                "      - deliver: {session_id: 0x00AB}\n",
                &format!("      - deliver: {{session_id: 0x00AB}}\n        framing: {framing}\n"),
            )
        };
        let framing_of = |s: &Suite| match &s.cases[0].steps[0].action {
            Action::Deliver { framing, .. } => framing.clone(),
            other => panic!("{other:?}"),
        };
        let s = parse(&with("{obex_chunk: 8}")).unwrap();
        assert_eq!(framing_of(&s), Some(Framing::Obex { chunk: 8 }));
        let s = parse(&with("{no_app_id: true, extra_headers: \"8d00\"}")).unwrap();
        assert_eq!(
            framing_of(&s),
            Some(Framing::Wsp(WspFraming {
                extra_headers: vec![0x8d, 0x00],
                text_content_type: false,
                app_id: Some(AppIdChoice::Absent),
            }))
        );
        let s = parse(&with("{sip_transport: tcp, past_content_length: \"0d0a\"}")).unwrap();
        let Some(Framing::Sip(sip)) = framing_of(&s) else {
            panic!("not SIP")
        };
        assert_eq!(sip.past_content_length, vec![0x0d, 0x0a]);
        for (framing, says) in [
            (
                "{obex_chunk: 8, sip_transport: tcp}",
                "mixes SIP (sip_transport) and OBEX (obex_chunk)",
            ),
            ("{app_id: 4, no_app_id: true}", "one application id"),
            ("{extra_headers: \"zz\"}", "framing extra_headers"),
            ("{obex_chunk: 0}", "at least 1 byte"),
            ("{}", "names no key"),
        ] {
            let e = parse(&with(framing)).unwrap_err();
            assert!(e.message.contains(says), "{framing}: {e}");
            assert_eq!(e.line, Some(8), "{framing}: {e}");
        }
    }

    #[test]
    fn steps_have_one_action_and_deliveries_an_expectation() {
        let e = parse(&GOOD.replace(
            "      - deliver: {session_id: 0x00AB}\n",
            "      - deliver: {session_id: 0x00AB}\n        clock: 5\n",
        ))
        .unwrap_err();
        assert!(e.message.contains("2 actions"), "{e}");
        let e = parse(&GOOD.replace("        expect: session\n", "")).unwrap_err();
        assert!(e.message.contains("deliver needs an expect"), "{e}");
        let e = parse(&GOOD.replace("expect: session", "expect: maybe")).unwrap_err();
        assert!(e.message.contains("expect is"), "{e}");
        let e = parse(&GOOD.replace(
            "      - deliver: {session_id: 0x00AB}\n        expect: session\n",
            "      - clock: 5\n        ambiguous: digest-reading\n",
        ))
        .unwrap_err();
        assert!(
            e.message.contains("`ambiguous` belongs to a deliver step"),
            "{e}"
        );
        let e = parse(&GOOD.replace(
            "      - deliver: {flip_digest_bit: 3}\n        expect: ignored\n        ambiguous: digest-reading\n",
            "      - notify: {}\n",
        ))
        .unwrap_err();
        assert!(
            e.message
                .contains("notify is not a step for a client suite"),
            "{e}"
        );
    }
}
