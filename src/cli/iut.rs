//! `dmnoti iut client|server`: the reference DM client and server behind the stdio testee protocol.

use super::args::*;
use super::*;
use crate::iut::client::{ClientSettings, ReferenceClient, TimeoutUnit};
use crate::iut::device::DeviceTree;
use crate::iut::faults::{Fault, Faults};
use crate::iut::server::ReferenceServer;
use crate::scr::Role;
use crate::testee::Testee as _;
use crate::testee::variant::Variant;
use crate::transport::TransportProfile;
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct IutArgs {
    /// List the named faults with the SCR items each violates.
    #[arg(long)]
    pub list_faults: bool,
    #[command(subcommand)]
    pub role: Option<IutRole>,
}

#[derive(Debug, Subcommand)]
pub enum IutRole {
    /// The reference DM client: answers `deliver` with a session or the reason it ignores the message.
    Client(IutClientArgs),
    /// The reference DM server: answers `notify` with a notification.
    Server(IutServerArgs),
}

#[derive(Debug, Args)]
pub struct IutClientArgs {
    #[arg(long, value_enum, default_value = "stdio")]
    pub adapter: TransportProfile,
    /// Make the client wrong in one named way (repeatable); see --list-faults.
    #[arg(long)]
    pub fault: Vec<String>,
    /// The device tree (DevInfo, DevDetail, other MOs, bearers) as YAML.
    #[arg(long)]
    pub device: Option<PathBuf>,
    /// How TIMEOUT is read for a message's age (erratum 3).
    #[arg(long, value_enum, default_value = "minutes")]
    pub timeout_unit: TimeoutUnitArg,
    /// Do not ignore messages older than TIMEOUT (C-009-O not implemented).
    #[arg(long)]
    pub no_age_check: bool,
    /// How the 1.3 digest formula is read.
    #[arg(long, value_enum, default_value = "literal-colons")]
    pub reading: ReadingArg,
    /// udp/sip/http: where to listen for notifications (port 0: any free port, told in hello).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: std::net::SocketAddr,
    /// Answer as a testee that speaks less of the protocol (the self-test's protocol variants),
    /// or, over the network, connect back late (`jitter`) or out of order (`reorder`).
    #[arg(long, value_enum, default_value = "full")]
    pub variant: Variant,
    /// The seed of the `jitter` variant's delays.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct IutServerArgs {
    #[arg(long, value_enum, default_value = "stdio")]
    pub adapter: TransportProfile,
    /// Make the server wrong in one named way (repeatable); see --list-faults.
    #[arg(long)]
    pub fault: Vec<String>,
    /// Answer as a testee that speaks less of the protocol (the self-test's protocol variants).
    #[arg(long, value_enum, default_value = "full")]
    pub variant: Variant,
}

pub(super) fn iut(args: &IutArgs) -> Result<u8> {
    let status = match &args.role {
        None if args.list_faults => {
            print!("{}", Fault::table());
            return Ok(EXIT_OK);
        }
        None => bail!("name a role: `dmnoti iut client` or `dmnoti iut server` (or --list-faults)"),
        Some(IutRole::Client(c)) => {
            let faults = Faults::parse(&c.fault, Role::Client).map_err(anyhow::Error::msg)?;
            let device = match &c.device {
                Some(path) => DeviceTree::load(path)?,
                None => DeviceTree::default(),
            };
            let settings = ClientSettings {
                timeout_unit: match c.timeout_unit {
                    TimeoutUnitArg::Minutes => TimeoutUnit::Minutes,
                    TimeoutUnitArg::Days => TimeoutUnit::Days,
                },
                ignore_old: !c.no_age_check,
                reading: c.reading.into(),
            };
            let client = ReferenceClient::new(device, settings, faults);
            match c.adapter {
                TransportProfile::Stdio => crate::iut::serve_stdio(&mut { client }, c.variant)?,
                TransportProfile::Udp
                | TransportProfile::Smpp
                | TransportProfile::Pap
                | TransportProfile::Obex
                | TransportProfile::Sip
                | TransportProfile::Http => {
                    let mut net = crate::iut::net::NetClient::start(
                        client, c.adapter, c.listen, c.variant, c.seed,
                    )
                    .with_context(|| format!("listening on {}", c.listen))?;
                    eprintln!(
                        "dmnoti reference client: {}",
                        net.hello().address.unwrap_or_default()
                    );
                    crate::iut::serve_stdio(&mut net, c.variant)?
                }
            }
        }
        Some(IutRole::Server(s)) => {
            let faults = Faults::parse(&s.fault, Role::Server).map_err(anyhow::Error::msg)?;
            let server = ReferenceServer::new(faults);
            match s.adapter {
                TransportProfile::Stdio => crate::iut::serve_stdio(&mut { server }, s.variant)?,
                // The requests name the device to send to.
                TransportProfile::Udp
                | TransportProfile::Smpp
                | TransportProfile::Pap
                | TransportProfile::Obex
                | TransportProfile::Sip
                | TransportProfile::Http => crate::iut::serve_stdio(
                    &mut crate::iut::net_server::NetServer::new(server),
                    s.variant,
                )?,
            }
        }
    };
    Ok(u8::try_from(status).unwrap_or(EXIT_FAIL))
}
