//! The IUT profile (`--iut profile.yaml`): which implementation, how to reach it, the accounts it
//! is provisioned with, the optional SCR items it claims (ICS) and the parameters the cases need
//! (PIXIT). With no profile, the reference client and server are the IUTs.

use crate::codec::digest::DigestReading;
use crate::iut::client::TimeoutUnit;
use crate::scr::{Catalog, Role, ScrId, Status, id};
use crate::suite::AccountSpec;
use crate::testee::process::CommandSpec;
pub use crate::transport::TransportProfile;
use crate::yaml::{self, YamlError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Readings of what the spec leaves open, as the IUT takes them. Declared readings make the
/// ambiguous cases strict: the other outcome is a failure, not inconclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_unit: Option<TimeoutUnit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest_reading: Option<DigestReading>,
    /// How long one step may take, in milliseconds (2000 by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_timeout_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub adapter: TransportProfile,
    /// stdio: the testee command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<PathBuf>,
    /// udp/obex/http clients: where the IUT takes notifications (`udp://HOST:PORT`,
    /// `obex://HOST:PORT`, `http://HOST:PORT/PATH`);
    /// the address its hello answer gives when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// udp/http clients: where the mock DM server listens (port 0: any free port, given to the IUT
    /// through provisioning). A device provisioned by hand needs a fixed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dm_server: Option<std::net::SocketAddr>,
    /// udp/http servers: where the harness, as the device, listens (127.0.0.1, any free port, by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<std::net::SocketAddr>,
    /// sip: where the harness's SIP element listens, on UDP and TCP: the registrar a client
    /// registers with and the user agent that sends (client role) or takes (server role) the
    /// MESSAGE (127.0.0.1, any free port, by default). A device set up by hand needs a fixed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip: Option<std::net::SocketAddr>,
    /// smpp: where the harness's SMSC listens (127.0.0.1, any free port, by default): the SMSC the
    /// harness submits each client case's pushes to and the client binds to as a receiver, or the
    /// one a DM server under test binds to and submits to. A fixed one needs `--jobs 1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smsc: Option<std::net::SocketAddr>,
    /// smpp clients: a lab SMSC (`HOST:PORT`) the harness binds to as a transmitter and submits
    /// each push to, for the device behind it, instead of its own SMSC; with `smsc_system_id` and
    /// `smsc_password` as the harness's credentials there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab_smsc: Option<std::net::SocketAddr>,
    /// smpp clients: submit each push whole, in the message_payload parameter (SMPP 3.4
    /// 5.3.2.32), for the SMSC to segment, as some SMSCs want; by default the harness sends the
    /// concatenated segments itself.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub smsc_message_payload: bool,
    /// pap clients: the Push Proxy Gateway's PAP URL (`http://HOST:PORT/PATH`) each push is
    /// handed to; it delivers through the harness's SMSC (`smsc`), where the device is bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ppg: Option<String>,
    /// smpp: the system_id and password every bind to the harness's SMSC must give (any, when
    /// absent); the harness's own ESME binds with them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smsc_system_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smsc_password: Option<String>,
    /// sip clients: send each MESSAGE through this proxy of a real SIP/IP core (its Request-URI
    /// stays the device's address or registered contact) instead of straight to the device.
    /// sip servers: register the harness, as the device (`address`, its public URI), there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbound_proxy: Option<std::net::SocketAddr>,
    /// udp/http servers without a stdio control channel: a command that makes the server notify,
    /// run with no shell (`runner::link::trigger`); `{device}`, `{server_id}` and `{request}` (the
    /// notify request as JSON) are filled in as arguments, and are in `DMNOTI_DEVICE`,
    /// `DMNOTI_SERVER_ID` and `DMNOTI_REQUEST` for scripts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    /// The accounts the IUT is provisioned with; the suites' (or the harness's) when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<AccountSpec>,
    /// Optional SCR items: true when implemented, false when not.
    #[serde(default)]
    pub claims: BTreeMap<String, bool>,
    /// Server role: the formats the server sends. 1.3 always (the format of this
    /// specification); 1.2 as well when listed, and then the 1.2 cases run.
    #[serde(
        default = "default_formats",
        deserialize_with = "formats",
        skip_serializing_if = "is_default_formats"
    )]
    pub formats: Vec<crate::codec::Format>,
    #[serde(default)]
    pub parameters: Parameters,
}

pub const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(2);

fn default_formats() -> Vec<crate::codec::Format> {
    vec![crate::codec::Format::V13]
}

fn is_default_formats(f: &[crate::codec::Format]) -> bool {
    f == [crate::codec::Format::V13]
}

/// `formats: [1.3, 1.2]`: YAML reads the bare versions as numbers; quoted, as text.
fn formats<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<crate::codec::Format>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Version {
        Text(String),
        Number(f64),
    }
    let versions = Vec::<Version>::deserialize(d)?;
    versions
        .into_iter()
        .map(|v| {
            let text = match v {
                Version::Text(t) => t,
                Version::Number(n) => format!("{n:.1}"),
            };
            match text.as_str() {
                "1.3" => Ok(crate::codec::Format::V13),
                "1.2" => Ok(crate::codec::Format::V12),
                other => Err(serde::de::Error::custom(format!(
                    "format {other:?}: a server sends 1.3, and may send 1.2"
                ))),
            }
        })
        .collect()
}

impl Profile {
    /// The reference client or server, as `dmnoti iut` runs it, with `faults`.
    pub fn reference(role: Role, faults: &[String]) -> Profile {
        Profile::reference_over(role, faults, TransportProfile::Stdio)
    }

    /// The reference client or server answering as a testee speaking `variant` of the protocol.
    pub fn reference_speaking(role: Role, variant: crate::testee::variant::Variant) -> Profile {
        Profile::reference(role, &[]).speaking(variant)
    }

    /// This reference profile, its IUT answering as `variant` says (a protocol variant, or over
    /// the network a timing one).
    pub fn speaking(mut self, variant: crate::testee::variant::Variant) -> Profile {
        self.args
            .extend(["--variant".to_owned(), variant.name().to_owned()]);
        self.name = format!("{}-{}", self.name, variant.name());
        self
    }

    /// The roles the reference IUT runs in over `adapter` with nothing else on the machine: a
    /// client through a PPG needs a gateway (a profile naming it, as tests/kannel.rs writes).
    pub fn reference_roles(adapter: TransportProfile) -> &'static [Role] {
        if adapter == TransportProfile::Pap {
            &[Role::Server]
        } else {
            &[Role::Client, Role::Server]
        }
    }

    /// The reference client or server as a network peer over `adapter` (stdio controls it).
    pub fn reference_over(role: Role, faults: &[String], adapter: TransportProfile) -> Profile {
        let command = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("dmnoti"));
        let name = adapter.name();
        let mut args = vec![
            "iut".to_owned(),
            role.to_string(),
            "--adapter".into(),
            name.into(),
        ];
        for f in faults {
            args.extend(["--fault".to_owned(), f.clone()]);
        }
        let claimed: &[ScrId] = match role {
            Role::Client => &[
                id::C_007_O,
                id::C_009_O,
                id::C_011_O,
                id::C_012_O,
                id::C_014_O,
                id::C_015_O,
                id::C_017_O,
            ],
            Role::Server => &[id::S_007_O, id::S_009_O],
        };
        // WAP push (7.1) is claimed over either of its bearers.
        let adapter_for_wap = if matches!(adapter, TransportProfile::Smpp | TransportProfile::Pap) {
            TransportProfile::Udp
        } else {
            adapter
        };
        let transports = match role {
            Role::Client => [
                (id::C_020_O, TransportProfile::Udp),
                (id::C_021_O, TransportProfile::Obex),
                (id::C_022_O, TransportProfile::Sip),
                (id::C_023_O, TransportProfile::Http),
            ],
            Role::Server => [
                (id::S_012_O, TransportProfile::Udp),
                (id::S_013_O, TransportProfile::Obex),
                (id::S_014_O, TransportProfile::Sip),
                (id::S_015_O, TransportProfile::Http),
            ],
        };
        let claims = claimed
            .iter()
            .map(|c| (c.as_str().to_owned(), true))
            .chain(transports.iter().map(|(c, a)| {
                (
                    c.as_str().to_owned(),
                    *a != TransportProfile::Stdio && *a == adapter_for_wap,
                )
            }))
            .collect();
        Profile {
            name: if adapter == TransportProfile::Stdio {
                format!("dmnoti-reference-{role}")
            } else {
                format!("dmnoti-reference-{role}-{name}")
            },
            role,
            adapter,
            address: None,
            dm_server: None,
            device: None,
            sip: None,
            outbound_proxy: None,
            smsc: None,
            lab_smsc: None,
            smsc_message_payload: false,
            ppg: None,
            smsc_system_id: None,
            smsc_password: None,
            trigger: None,
            command: Some(command),
            args,
            env: BTreeMap::new(),
            cwd: None,
            accounts: Vec::new(),
            claims,
            // The reference server makes both formats.
            formats: match role {
                Role::Client => default_formats(),
                Role::Server => vec![crate::codec::Format::V13, crate::codec::Format::V12],
            },
            parameters: Parameters {
                timeout_unit: Some(TimeoutUnit::Minutes),
                digest_reading: Some(DigestReading::LiteralColons),
                step_timeout_ms: None,
            },
        }
    }

    pub fn load(path: &Path, catalog: &Catalog) -> Result<Profile, YamlError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| YamlError::whole_file(path, format!("cannot read: {e}")))?;
        let mut profile: Profile = yaml::from_str(path, &text)?;
        if let Some(dir) = path.parent() {
            profile.resolve_paths(dir);
        }
        profile.check(catalog).map_err(|(needle, message)| {
            let line = text
                .lines()
                .position(|l| l.contains(&needle))
                .map_or(1, |i| i + 1);
            let column = text
                .lines()
                .nth(line - 1)
                .and_then(|l| l.find(&needle))
                .map_or(1, |c| c + 1);
            YamlError::at(path, &text, line, column, message)
        })?;
        Ok(profile)
    }

    /// Checks claims and adapter settings: (text to point at, message).
    pub fn check(&self, catalog: &Catalog) -> Result<(), (String, String)> {
        for (id, claimed) in &self.claims {
            let item = catalog
                .get(id)
                .ok_or_else(|| (id.clone(), format!("unknown SCR item {id:?}")))?;
            if item.role != self.role {
                return Err((
                    id.clone(),
                    format!(
                        "{id} is a {} item; this profile is a {}",
                        item.role, self.role
                    ),
                ));
            }
            if item.status == Status::Mandatory && !claimed {
                return Err((
                    id.clone(),
                    format!("{id} is mandatory: it cannot be claimed as not implemented"),
                ));
            }
        }
        if !self.formats.contains(&crate::codec::Format::V13) {
            return Err((
                "formats".into(),
                "formats must list 1.3: a DM 1.3 server sends the format of this specification (1.2 may be listed beside it)".into(),
            ));
        }
        if self.adapter == TransportProfile::Stdio && self.command.is_none() {
            return Err(("adapter".into(), "adapter stdio needs a command".into()));
        }
        if self.adapter != TransportProfile::Stdio && self.command.is_none() {
            // A SIP client is found by its registration; an SMS client by its number, which
            // defaults to the lab's +15550100.
            if self.role == Role::Client
                && self.address.is_none()
                && !matches!(
                    self.adapter,
                    TransportProfile::Sip | TransportProfile::Smpp | TransportProfile::Pap
                )
            {
                return Err((
                    "adapter".into(),
                    "a network client without a control command needs its address".into(),
                ));
            }
            if self.role == Role::Server && self.trigger.is_none() {
                return Err((
                    "adapter".into(),
                    "a network server without a control command needs a trigger".into(),
                ));
            }
        }
        if self.adapter == TransportProfile::Pap
            && self.role == Role::Client
            && (self.ppg.is_none() || self.smsc.is_none_or(|s| s.port() == 0))
        {
            return Err((
                "adapter".into(),
                "adapter pap needs ppg (the gateway's PAP URL) and a fixed smsc (where the gateway binds)".into(),
            ));
        }
        if !self.adapter.has_link() {
            return Err((
                "adapter".into(),
                format!("adapter {}: no link speaks it yet", self.adapter),
            ));
        }
        if let Some(t) = &self.trigger {
            crate::runner::link::trigger::check(t)
                .map_err(|e| ("trigger".to_owned(), format!("trigger: {e}")))?;
        }
        for a in &self.accounts {
            a.to_account()
                .map_err(|e| (a.server_id.clone(), format!("account {}: {e}", a.server_id)))?;
        }
        Ok(())
    }

    /// Whether the IUT implements an item: mandatory items always, optional ones when claimed.
    pub fn claims(&self, id: &str, catalog: &Catalog) -> bool {
        match catalog.get(id) {
            Some(item) if item.status == Status::Mandatory => true,
            Some(item) => self
                .claims
                .get(&item.id)
                .or(self.claims.get(&item.printed_id))
                .copied()
                .unwrap_or(false),
            None => false,
        }
    }

    /// Paths in the profile as the profile's own folder sees them, so that a profile works from
    /// any directory: `cwd`, and `command` and `args` entries that name files beside the profile
    /// (a bare program name like `python3` is left to PATH).
    fn resolve_paths(&mut self, dir: &Path) {
        let beside = |p: &Path| {
            let joined = dir.join(p);
            (p.is_relative() && joined.is_file()).then_some(joined)
        };
        if let Some(c) = &self.command {
            if let Some(found) = beside(c) {
                self.command = Some(found);
            }
        }
        for a in &mut self.args {
            if let Some(found) = beside(Path::new(a.as_str())) {
                *a = found.display().to_string();
            }
        }
        if let Some(cwd) = &self.cwd {
            if cwd.is_relative() {
                self.cwd = Some(dir.join(cwd));
            }
        }
    }

    pub fn command(&self) -> CommandSpec {
        CommandSpec {
            command: self.command.clone().unwrap_or_default(),
            args: self.args.clone(),
            env: self.env.clone(),
            cwd: self.cwd.clone(),
        }
    }

    pub fn step_timeout(&self) -> Duration {
        self.parameters
            .step_timeout_ms
            .map_or(DEFAULT_STEP_TIMEOUT, Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Profile, YamlError> {
        let guard = tempfile::tempdir().unwrap();
        let dir = guard.path();
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let path = dir.join(format!(
            "p{}.yaml",
            N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ));
        std::fs::write(&path, text).unwrap();
        Profile::load(&path, &Catalog::builtin())
    }

    const GOOD: &str = "name: acme\nrole: client\nadapter: stdio\ncommand: python3\nargs: [shim.py]\nclaims:\n  SCR-DM-NOTI-C-007-O: true\nparameters:\n  timeout_unit: days\n";

    #[test]
    fn a_profile_loads() {
        let p = load(GOOD).unwrap();
        let c = Catalog::builtin();
        assert!(p.claims("SCR-DM-NOTI-C-007-O", &c));
        assert!(!p.claims("SCR-DM-NOTI-C-011-O", &c));
        assert!(p.claims("SCR-DM-NOTI-C-001-M", &c));
        assert_eq!(p.parameters.timeout_unit, Some(TimeoutUnit::Days));
    }

    /// `formats` takes the versions bare or quoted; 1.3 is always there; another is refused.
    #[test]
    fn formats_list_what_a_server_sends() {
        use crate::codec::Format;
        let server = GOOD
            .replace("role: client", "role: server")
            .replace("claims:\n  SCR-DM-NOTI-C-007-O: true\n", "");
        assert_eq!(load(&server).unwrap().formats, [Format::V13]);
        let both = load(&format!("{server}formats: [1.3, 1.2]\n")).unwrap();
        assert_eq!(both.formats, [Format::V13, Format::V12]);
        let quoted = load(&format!("{server}formats: [\"1.2\", \"1.3\"]\n")).unwrap();
        assert_eq!(quoted.formats, [Format::V12, Format::V13]);
        let e = load(&format!("{server}formats: [1.2]\n")).unwrap_err();
        assert!(e.message.contains("formats must list 1.3"), "{e}");
        let e = load(&format!("{server}formats: [1.1]\n")).unwrap_err();
        assert!(e.message.contains("format \"1.1\""), "{e}");
    }

    #[test]
    fn bad_claims_are_located() {
        let e = load(&GOOD.replace("C-007-O: true", "C-001-M: false")).unwrap_err();
        assert_eq!(e.line, Some(7));
        assert!(e.message.contains("mandatory"), "{e}");
        let e = load(&GOOD.replace("C-007-O", "S-007-O")).unwrap_err();
        assert!(e.message.contains("server item"), "{e}");
        let e = load(&GOOD.replace("timeout_unit: days", "timeout_unit: weeks")).unwrap_err();
        assert_eq!(e.line, Some(9), "{e}");
    }

    #[test]
    fn the_reference_profiles_check() {
        let c = Catalog::builtin();
        for role in [Role::Client, Role::Server] {
            let p = Profile::reference(role, &["x".into()]);
            assert_eq!(p.check(&c), Ok(()));
            assert!(p.args.ends_with(&["--fault".into(), "x".into()]));
        }
    }
}
