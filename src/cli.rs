//! The command line: the clap model and the dispatch to the library. Exit codes (documented in
//! README): 0 success, 1 a non-conformant message (or, later, a failed run), 2 bad input.

use crate::codec::digest::DigestReading;
use crate::codec::{self, Format, Initiator, Transport, UiMode};
use crate::explain::{self, Input, Keys};
use crate::iut::client::{ClientSettings, ReferenceClient, TimeoutUnit};
use crate::iut::device::DeviceTree;
use crate::iut::faults::{Fault, Faults};
use crate::iut::server::ReferenceServer;
use crate::scr::{Catalog, Role};
use crate::testee::Testee as _;
use crate::tools::{self, EncodeSpec, Framing, parse_bounded};
use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

pub const EXIT_OK: u8 = 0;
pub const EXIT_FAIL: u8 = 1;
pub const EXIT_BAD_INPUT: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "dmnoti",
    version,
    about = "Conformance harness for OMA DM Notification (Package #0) 1.3 and 1.2"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Field-by-field breakdown of a message (bare 1.3 or 1.2, WSP push or HTTP push).
    #[command(visible_alias = "explain")]
    Decode(DecodeArgs),
    /// Build a message from field values, conformant by default or wrong on purpose.
    Encode(Box<EncodeArgs>),
    /// The SCR catalog of Appendix B, with errata.
    Scrs(ScrsArgs),
    /// The reference DM client or server (the default IUT), speaking the stdio testee protocol.
    Iut(IutArgs),
    /// Run the suites against an IUT (the reference client and server by default) and write reports.
    Run(RunArgs),
    /// Check suites and profiles without running anything.
    Lint(LintArgs),
    /// The harness's own test: the suites must pass the reference IUT and catch each of its faults.
    Selftest(SelftestArgs),
    /// Replay a reproducer against its testee and compare every answer with the recorded one.
    Replay(ReplayArgs),
    /// Every server IUT's notification to every client IUT (the reference pair included).
    Matrix(MatrixArgs),
    /// What changed in the suites since an older set (a directory or a git revision).
    Diff(DiffArgs),
    /// Test vectors for implementers' own unit tests.
    #[command(subcommand)]
    Vectors(VectorsCommand),
}

#[derive(Debug, Subcommand)]
pub enum VectorsCommand {
    /// Write the vector files.
    Generate {
        #[arg(long, default_value = "vectors")]
        dir: PathBuf,
        /// json (the committed files) or yaml.
        #[arg(long, value_enum, default_value = "json")]
        format: VectorFormat,
    },
    /// Regenerate in memory and compare with the files: exit 1 at the first difference.
    Check {
        #[arg(long, default_value = "vectors")]
        dir: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum VectorFormat {
    Json,
    Yaml,
}

#[derive(Debug, Args)]
pub struct SuiteArgs {
    /// Where the suites are.
    #[arg(long, default_value = "suites")]
    pub suites: PathBuf,
    /// Testee processes run at once.
    #[arg(long, short = 'j', default_value_t = 2)]
    pub jobs: usize,
    /// Step timeout in milliseconds (the profile's, else 2000).
    #[arg(long)]
    pub timeout_ms: Option<u64>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The implementation under test; the reference client and server when absent.
    #[arg(long)]
    pub iut: Option<PathBuf>,
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// Where reports go.
    #[arg(long, default_value = "reports")]
    pub reports: PathBuf,
    /// Only cases whose id, suite or SCR item contains this (repeatable).
    #[arg(long)]
    pub filter: Vec<String>,
    /// Run part K of N of the cases (K/N), to split a run across CI jobs.
    #[arg(long, value_parser = parse_partition)]
    pub partition: Option<(usize, usize)>,
    /// Without --iut: run the reference client and server as network peers over this adapter.
    #[arg(long, value_enum, default_value = "stdio")]
    pub adapter: AdapterArg,
    /// Record every datagram and HTTP exchange as a pcap file (raw IPv4).
    #[arg(long)]
    pub pcap: Option<PathBuf>,
    /// A known-failure list: listed failures do not fail the run; stale entries do.
    #[arg(long)]
    pub known_failures: Option<PathBuf>,
    /// Rewrite the known-failure list to match this run, keeping reasons.
    #[arg(long, requires = "known_failures")]
    pub fix_known_failures: bool,
    /// Run this one case.
    #[arg(long)]
    pub case: Option<String>,
    /// Print every byte and protocol line of each case, and write reproducers into the reports.
    #[arg(long)]
    pub debug: bool,
    /// Optional items the profile says nothing of count as not claimed.
    #[arg(long)]
    pub assume_unclaimed: bool,
    /// Behaviour that contradicts a claim fails the run.
    #[arg(long)]
    pub strict_claims: bool,
}

#[derive(Debug, Args)]
pub struct MatrixArgs {
    /// Server profiles, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub servers: Vec<PathBuf>,
    /// Client profiles, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub clients: Vec<PathBuf>,
    /// Where matrix.md and matrix.html go.
    #[arg(long, default_value = "reports")]
    pub reports: PathBuf,
    #[arg(long, default_value_t = 2000)]
    pub timeout_ms: u64,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older suite set: a directory, or a git revision of this repository (its suites/).
    pub old: String,
    /// The current suites.
    #[arg(long, default_value = "suites")]
    pub suites: PathBuf,
    /// A known-failure list to check for entries the changes made obsolete.
    #[arg(long)]
    pub known_failures: Option<PathBuf>,
    /// A profile to check for claims the new cases need and it never declared.
    #[arg(long)]
    pub iut: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A reproducer written by `dmnoti run --case ID --debug`.
    pub file: PathBuf,
    /// How long each answer may take, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    pub timeout_ms: u64,
}

fn parse_partition(text: &str) -> std::result::Result<(usize, usize), String> {
    let (k, n) = text.split_once('/').ok_or("expected K/N, e.g. 1/3")?;
    let k: usize = k.parse().map_err(|_| "K is not a number")?;
    let n: usize = n.parse().map_err(|_| "N is not a number")?;
    if n == 0 || k == 0 || k > n {
        return Err(format!("{text}: K must be 1 to N"));
    }
    Ok((k, n))
}

#[derive(Debug, Args)]
pub struct LintArgs {
    #[arg(long, default_value = "suites")]
    pub suites: PathBuf,
    /// Profiles to check as well (repeatable).
    #[arg(long)]
    pub iut: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SelftestArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// Run the reference IUT over this adapter.
    #[arg(long, value_enum, default_value = "stdio")]
    pub adapter: AdapterArg,
}

impl AdapterArg {
    fn profile_adapter(self) -> crate::profile::Adapter {
        match self {
            AdapterArg::Stdio => crate::profile::Adapter::Stdio,
            AdapterArg::Udp => crate::profile::Adapter::Udp,
            AdapterArg::Http => crate::profile::Adapter::Http,
        }
    }
}

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

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AdapterArg {
    Stdio,
    Udp,
    Http,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TimeoutUnitArg {
    Minutes,
    Days,
}

#[derive(Debug, Args)]
pub struct IutClientArgs {
    #[arg(long, value_enum, default_value = "stdio")]
    pub adapter: AdapterArg,
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
    /// udp/http: where to listen for notifications (port 0: any free port, told in hello).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: std::net::SocketAddr,
}

#[derive(Debug, Args)]
pub struct IutServerArgs {
    #[arg(long, value_enum, default_value = "stdio")]
    pub adapter: AdapterArg,
    /// Make the server wrong in one named way (repeatable); see --list-faults.
    #[arg(long)]
    pub fault: Vec<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum InputKind {
    Auto,
    V13,
    V12,
    Wsp,
    Http,
}

#[derive(Debug, Args)]
pub struct KeyArgs {
    /// 1.3 server secret (AAuthSecret of NOTICRED, else SRVCRED), as text.
    #[arg(long, conflicts_with = "secret_hex")]
    pub secret: Option<String>,
    /// 1.3 server secret as hex.
    #[arg(long)]
    pub secret_hex: Option<String>,
    /// How the 1.3 digest formula is read.
    #[arg(long, value_enum, default_value = "literal-colons")]
    pub reading: ReadingArg,
    /// 1.2 server password, as text.
    #[arg(long, conflicts_with = "password_hex")]
    pub password: Option<String>,
    /// 1.2 server password as hex.
    #[arg(long)]
    pub password_hex: Option<String>,
    /// 1.2 server nonce, as hex (raw bytes).
    #[arg(long)]
    pub nonce: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReadingArg {
    LiteralColons,
    NoColons,
    HmacSha256,
}

impl From<ReadingArg> for DigestReading {
    fn from(r: ReadingArg) -> Self {
        match r {
            ReadingArg::LiteralColons => DigestReading::LiteralColons,
            ReadingArg::NoColons => DigestReading::NoColons,
            ReadingArg::HmacSha256 => DigestReading::HmacSha256,
        }
    }
}

impl KeyArgs {
    fn secret(&self) -> Result<Option<Vec<u8>>> {
        bytes_arg(&self.secret, &self.secret_hex, "--secret-hex")
    }

    fn password(&self) -> Result<Option<Vec<u8>>> {
        bytes_arg(&self.password, &self.password_hex, "--password-hex")
    }

    fn nonce(&self) -> Result<Option<Vec<u8>>> {
        self.nonce
            .as_deref()
            .map(|n| codec::parse_hex(n).context("--nonce"))
            .transpose()
    }
}

fn bytes_arg(text: &Option<String>, hex: &Option<String>, name: &str) -> Result<Option<Vec<u8>>> {
    Ok(match (text, hex) {
        (Some(t), _) => Some(t.as_bytes().to_vec()),
        (None, Some(h)) => Some(codec::parse_hex(h).with_context(|| name.to_owned())?),
        (None, None) => None,
    })
}

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// Hex on the command line, a file (binary or hex text), or - for stdin.
    pub input: String,
    /// What the input is; detected when auto.
    #[arg(long = "as", value_enum, default_value = "auto")]
    pub input_kind: InputKind,
    #[command(flatten)]
    pub keys: KeyArgs,
    /// Key the 1.2 digest with this name (SRVCRED AAuthName) instead of the message's ServerID.
    #[arg(long)]
    pub digest_server_id: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    #[value(name = "1.3")]
    V13,
    #[value(name = "1.2")]
    V12,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum UiModeArg {
    NotSpecified,
    Background,
    Informative,
    UserInteraction,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum InitiatorArg {
    User,
    Server,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TransportArg {
    NotSpecified,
    Http,
    Https,
    Obex,
    Wsp,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OutputArg {
    Hex,
    Raw,
}

#[derive(Debug, Args)]
pub struct EncodeArgs {
    #[arg(long, value_enum, default_value = "1.3")]
    pub format: FormatArg,
    #[arg(long)]
    pub server_id: String,
    /// SESSIONID, decimal or 0x-hex (0 builds a wrong message).
    #[arg(long, default_value = "1")]
    pub session_id: String,
    #[arg(long, value_enum, default_value = "not-specified")]
    pub ui_mode: UiModeArg,
    #[arg(long, value_enum, default_value = "server")]
    pub initiator: InitiatorArg,
    #[arg(long, value_enum, default_value = "not-specified")]
    pub transport: TransportArg,
    /// TIMEOUT in minutes (0: none).
    #[arg(long, default_value = "0")]
    pub timeout: String,
    /// TIMESTAMP, POSIX seconds; the current time when absent.
    #[arg(long)]
    pub timestamp: Option<String>,
    /// Requested-MO index (repeatable); 0x000B DevDetail when none is given.
    #[arg(long)]
    pub requested_mo: Vec<String>,
    /// Targeted-MO index (repeatable).
    #[arg(long)]
    pub targeted_mo: Vec<String>,
    /// Preferred-Bearer value (repeatable, in priority order).
    #[arg(long)]
    pub bearer: Vec<String>,
    #[arg(long)]
    pub connect_reason: Option<String>,
    #[arg(long)]
    pub vendor_info: Option<String>,
    /// An option appended as given: NUMBER:HEXVALUE (repeatable).
    #[arg(long)]
    pub raw_option: Vec<String>,
    #[command(flatten)]
    pub keys: KeyArgs,
    /// 1.2 vendor-specific body, hex.
    #[arg(long)]
    pub vendor_body: Option<String>,
    /// Raw VER (1.3) or V (1.2) value.
    #[arg(long)]
    pub version: Option<String>,
    /// Raw OPC value.
    #[arg(long)]
    pub opc: Option<String>,
    /// Raw RESERVED (1.3) or FUTURE (1.2) bits.
    #[arg(long)]
    pub reserved: Option<String>,
    /// Raw TRA bits.
    #[arg(long)]
    pub transport_bits: Option<String>,
    /// Digest bytes as hex, instead of computing them.
    #[arg(long)]
    pub digest: Option<String>,
    /// Bytes appended after the digest, hex.
    #[arg(long)]
    pub append: Option<String>,
    /// Bytes cut off the end.
    #[arg(long, default_value_t = 0)]
    pub truncate: usize,
    /// Frame as a connectionless WAP push PDU.
    #[arg(long, conflicts_with_all = ["http", "http_plain"])]
    pub wsp: bool,
    /// Frame as an OTA-HTTP push request.
    #[arg(long, conflicts_with = "http_plain")]
    pub http: bool,
    /// Frame as a plain HTTP POST of the notification.
    #[arg(long)]
    pub http_plain: bool,
    /// WSP transaction id.
    #[arg(long, default_value = "1")]
    pub tid: String,
    #[arg(long, value_enum, default_value = "hex")]
    pub output: OutputArg,
}

#[derive(Debug, Args)]
pub struct ScrsArgs {
    /// List the errata attached to items.
    #[arg(long)]
    pub errata: bool,
    #[arg(long)]
    pub json: bool,
    /// Read the catalog from this directory instead of the built-in one.
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// Runs a parsed command line; prints errors as one line and maps them to exit code 2.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Decode(args) => decode(&args),
        Command::Encode(args) => encode(&args),
        Command::Scrs(args) => scrs(&args),
        Command::Iut(args) => iut(&args),
        Command::Run(args) => run_suites(&args),
        Command::Lint(args) => lint(&args),
        Command::Selftest(args) => selftest(&args),
        Command::Vectors(cmd) => vectors(&cmd),
        Command::Replay(args) => replay(&args),
        Command::Matrix(args) => matrix(&args),
        Command::Diff(args) => diff(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

fn decode(args: &DecodeArgs) -> Result<u8> {
    let bytes = tools::read_input(&args.input)?;
    let keys = Keys {
        secret: args.keys.secret()?,
        reading: args.keys.reading.into(),
        password: args.keys.password()?,
        nonce: args.keys.nonce()?,
        server_id_override: args
            .digest_server_id
            .as_ref()
            .map(|s| s.as_bytes().to_vec()),
    };
    let input = match args.input_kind {
        InputKind::Auto => Input::Auto,
        InputKind::V13 => Input::V13,
        InputKind::V12 => Input::V12,
        InputKind::Wsp => Input::Wsp,
        InputKind::Http => Input::Http,
    };
    let e = explain::explain(&bytes, input, &keys);
    let text = if args.json {
        serde_json::to_string_pretty(&e)? + "\n"
    } else {
        e.to_text()
    };
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(if e.conformant { EXIT_OK } else { EXIT_FAIL })
}

fn hex_arg(value: &Option<String>, name: &str) -> Result<Vec<u8>> {
    value
        .as_deref()
        .map(|v| codec::parse_hex(v).with_context(|| name.to_owned()))
        .transpose()
        .map(Option::unwrap_or_default)
}

fn numbers<T: TryFrom<u64>>(values: &[String], what: &str) -> Result<Vec<T>> {
    values.iter().map(|v| Ok(parse_bounded(v, what)?)).collect()
}

fn optional<T: TryFrom<u64>>(value: &Option<String>, what: &str) -> Result<Option<T>> {
    value
        .as_deref()
        .map(|v| Ok(parse_bounded(v, what)?))
        .transpose()
}

fn encode(args: &EncodeArgs) -> Result<u8> {
    let raw_options = args
        .raw_option
        .iter()
        .map(|o| {
            let (n, v) = o
                .split_once(':')
                .with_context(|| format!("--raw-option {o:?}: expected NUMBER:HEX"))?;
            let n: u8 = parse_bounded(n, "option number")?;
            if n > 15 {
                bail!("--raw-option {o:?}: option numbers have 4 bits");
            }
            Ok((
                n,
                codec::parse_hex(v).with_context(|| format!("--raw-option {o:?}"))?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs().min(u64::from(u32::MAX)) as u32)
        .unwrap_or(0);
    let spec = EncodeSpec {
        format: Some(match args.format {
            FormatArg::V13 => Format::V13,
            FormatArg::V12 => Format::V12,
        }),
        server_id: args.server_id.clone(),
        session_id: parse_bounded(&args.session_id, "session id")?,
        ui_mode: match args.ui_mode {
            UiModeArg::NotSpecified => UiMode::NotSpecified,
            UiModeArg::Background => UiMode::Background,
            UiModeArg::Informative => UiMode::Informative,
            UiModeArg::UserInteraction => UiMode::UserInteraction,
        },
        initiator: Some(match args.initiator {
            InitiatorArg::User => Initiator::User,
            InitiatorArg::Server => Initiator::Server,
        }),
        transport: Some(match args.transport {
            TransportArg::NotSpecified => Transport::NotSpecified,
            TransportArg::Http => Transport::Http,
            TransportArg::Https => Transport::Https,
            TransportArg::Obex => Transport::Obex,
            TransportArg::Wsp => Transport::Wsp,
        }),
        timeout: parse_bounded(&args.timeout, "timeout")?,
        timestamp: optional(&args.timestamp, "timestamp")?.unwrap_or(now),
        requested_mo: numbers(&args.requested_mo, "Requested-MO")?,
        targeted_mo: numbers(&args.targeted_mo, "Targeted-MO")?,
        bearers: numbers(&args.bearer, "Preferred-Bearer")?,
        connect_reason: args.connect_reason.clone(),
        vendor_info: args.vendor_info.clone(),
        raw_options,
        secret: args.keys.secret()?,
        reading: args.keys.reading.into(),
        password: args.keys.password()?,
        nonce: args.keys.nonce()?.unwrap_or_default(),
        vendor_body: hex_arg(&args.vendor_body, "--vendor-body")?,
        version: optional(&args.version, "version")?,
        opc: optional(&args.opc, "OPC")?,
        reserved: optional(&args.reserved, "reserved bits")?,
        transport_bits: optional(&args.transport_bits, "TRA bits")?,
        digest: args
            .digest
            .as_deref()
            .map(|d| codec::parse_hex(d).context("--digest"))
            .transpose()?,
        append: hex_arg(&args.append, "--append")?,
        truncate: args.truncate,
        framing: if args.wsp {
            Framing::Wsp
        } else if args.http {
            Framing::OtaHttp
        } else if args.http_plain {
            Framing::PlainHttp
        } else {
            Framing::None
        },
        tid: parse_bounded(&args.tid, "TID")?,
    };
    let bytes = tools::encode(&spec)?;
    let mut out = std::io::stdout();
    match args.output {
        OutputArg::Hex => writeln!(out, "{}", codec::hex(&bytes))?,
        OutputArg::Raw => out.write_all(&bytes)?,
    }
    Ok(EXIT_OK)
}

fn scrs(args: &ScrsArgs) -> Result<u8> {
    let catalog = match &args.dir {
        Some(dir) => Catalog::load_dir(dir)?,
        None => Catalog::builtin(),
    };
    let text = if args.json {
        serde_json::to_string_pretty(&catalog)? + "\n"
    } else if args.errata {
        catalog.errata_text()
    } else {
        catalog.table()
    };
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(EXIT_OK)
}

fn iut(args: &IutArgs) -> Result<u8> {
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
                AdapterArg::Stdio => crate::iut::serve_stdio(&mut { client })?,
                AdapterArg::Udp | AdapterArg::Http => {
                    let adapter = if matches!(c.adapter, AdapterArg::Udp) {
                        crate::iut::net::NetAdapter::Udp
                    } else {
                        crate::iut::net::NetAdapter::Http
                    };
                    let mut net = crate::iut::net::NetClient::start(client, adapter, c.listen)
                        .with_context(|| format!("listening on {}", c.listen))?;
                    eprintln!(
                        "dmnoti reference client: {}",
                        net.hello().address.unwrap_or_default()
                    );
                    crate::iut::serve_stdio(&mut net)?
                }
            }
        }
        Some(IutRole::Server(s)) => {
            let faults = Faults::parse(&s.fault, Role::Server).map_err(anyhow::Error::msg)?;
            let server = ReferenceServer::new(faults);
            match s.adapter {
                AdapterArg::Stdio => crate::iut::serve_stdio(&mut { server })?,
                // The requests name the device to send to.
                AdapterArg::Udp | AdapterArg::Http => {
                    crate::iut::serve_stdio(&mut crate::iut::net::NetServer(server))?
                }
            }
        }
    };
    Ok(u8::try_from(status).unwrap_or(EXIT_FAIL))
}

fn load_suites(dir: &std::path::Path, catalog: &Catalog) -> Result<Vec<crate::suite::Suite>> {
    if !dir.is_dir() {
        bail!(
            "no suites at {} (run from the repository root, or give --suites DIR)",
            dir.display()
        );
    }
    Ok(crate::suite::load_dir(dir, catalog)?)
}

fn options(args: &SuiteArgs) -> crate::runner::Options {
    crate::runner::Options {
        jobs: args.jobs.max(1),
        step_timeout: args.timeout_ms.map(std::time::Duration::from_millis),
        ..crate::runner::Options::default()
    }
}

fn run_suites(args: &RunArgs) -> Result<u8> {
    use crate::runner::Verdict;
    use std::io::IsTerminal;
    let catalog = Catalog::builtin();
    let suites = load_suites(&args.suite.suites, &catalog)?;
    let profiles = match &args.iut {
        Some(path) => {
            let profile = crate::profile::Profile::load(path, &catalog)?;
            let unset = crate::claims::unset(&profile, &catalog);
            if !unset.is_empty() && !args.assume_unclaimed {
                bail!(
                    "{}: the profile says nothing of {}: claim each optional item true or false (or give --assume-unclaimed)",
                    path.display(),
                    unset.join(", ")
                );
            }
            vec![profile]
        }
        None => {
            let adapter = args.adapter.profile_adapter();
            vec![
                crate::profile::Profile::reference_over(Role::Client, &[], adapter),
                crate::profile::Profile::reference_over(Role::Server, &[], adapter),
            ]
        }
    };
    let known = args
        .known_failures
        .as_ref()
        .map(|p| crate::known::load(p))
        .transpose()?;
    let mut opts = options(&args.suite);
    opts.filters = args.filter.clone();
    opts.partition = args.partition;
    opts.debug = args.debug;
    opts.case = args.case.clone();
    let capture = args
        .pcap
        .as_ref()
        .map(|_| crate::adapter::capture::Capture::default());
    opts.capture = capture.clone();
    let tty = std::io::stdout().is_terminal();
    let mut runs = Vec::new();
    for profile in &profiles {
        let total = crate::runner::select(&suites, profile.role, &opts).len() as u64;
        if let (Some(case), 0, 1) = (&args.case, total, profiles.len()) {
            bail!(
                "no {} case {case:?} in {}",
                profile.role,
                args.suite.suites.display()
            );
        }
        let bar = if tty && !args.debug {
            indicatif::ProgressBar::new(total)
        } else {
            indicatif::ProgressBar::hidden()
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template("{prefix:>8} [{bar:40}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(profile.role.to_string());
        let run = crate::runner::run(profile, &suites, &catalog, &opts, &mut |r| {
            bar.inc(1);
            bar.set_message(r.id.clone());
        });
        bar.finish_and_clear();
        runs.push(run);
    }
    let problems = match &known {
        Some(entries) => crate::known::apply(entries, &mut runs),
        None => Vec::new(),
    };
    if let (true, Some(path), Some(entries)) =
        (args.fix_known_failures, &args.known_failures, &known)
    {
        let fixed = crate::known::fixed(entries, &runs);
        std::fs::write(path, serde_yaml::to_string(&fixed)?)
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("{}: {} entries written", path.display(), fixed.len());
    }
    if let (Some(path), Some(capture)) = (&args.pcap, &capture) {
        std::fs::write(path, capture.to_pcap())
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("capture: {} packets in {}", capture.len(), path.display());
    }
    let mut coverage = crate::report::coverage::Coverage::of(&runs, &catalog);
    coverage.suites_hash = crate::suite::suites_hash(&suites);
    coverage.seeds = suites
        .iter()
        .flat_map(|s| &s.cases)
        .flat_map(|c| {
            c.steps
                .iter()
                .filter_map(move |st| st.generate.as_ref().map(|g| (c.id.clone(), g.seed)))
        })
        .collect();
    coverage.known_failure_problems = if args.fix_known_failures {
        Vec::new()
    } else {
        problems.iter().map(ToString::to_string).collect()
    };
    coverage.claims_contradicted = runs
        .iter()
        .flat_map(|r| crate::claims::contradictions(r, &catalog))
        .collect();
    let strict_failed = args.strict_claims && !coverage.claims_contradicted.is_empty();
    coverage.ok = coverage.ok && coverage.known_failure_problems.is_empty() && !strict_failed;
    let written = crate::report::write_all(&args.reports, &runs, &coverage)
        .with_context(|| format!("writing reports to {}", args.reports.display()))?;
    let mut out = String::new();
    if args.debug {
        for r in runs.iter().flat_map(|r| &r.results) {
            out.push_str(&debug_text(r));
            let path = args.reports.join(format!("repro-{}.json", r.id));
            let profile = runs
                .iter()
                .find(|run| run.results.iter().any(|x| x.id == r.id))
                .map(|run| run.profile.command());
            let repro = crate::testee::replay::reproducer(
                &r.id,
                &profile.unwrap_or_default(),
                &r.transcript,
            );
            std::fs::write(&path, serde_json::to_string_pretty(&repro)? + "\n")?;
            out.push_str(&format!(
                "reproducer: {} (dmnoti replay {})\n\n",
                path.display(),
                path.display()
            ));
        }
    }
    for run in &runs {
        for r in run
            .results
            .iter()
            .filter(|r| !matches!(r.verdict, Verdict::Pass | Verdict::Skipped))
        {
            out.push_str(&r.headline());
            out.push('\n');
        }
    }
    for p in &coverage.known_failure_problems {
        out.push_str(&format!("KNOWN-FAILURE LIST: {p}\n"));
    }
    for c in &coverage.claims_contradicted {
        out.push_str(&format!(
            "{}: {c}\n",
            if args.strict_claims {
                "CLAIM CONTRADICTED"
            } else {
                "warning: claim contradicted"
            }
        ));
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
    out.push_str(&format!(
        "\n{} passed, {} failed, {} inconclusive, {} skipped, {} expected failures, {} errors in {:.2} s: {}\nreports: {}\n",
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::Inconclusive),
        count(Verdict::Skipped),
        count(Verdict::ExpectedFailure),
        count(Verdict::Error),
        wall.as_secs_f64(),
        if coverage.ok { "every mandatory and claimed item passes" } else { "NOT every mandatory and claimed item passes" },
        written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    ));
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(if coverage.ok { EXIT_OK } else { EXIT_FAIL })
}

/// One case in full: every message with its breakdown, and every protocol line.
fn debug_text(r: &crate::runner::CaseResult) -> String {
    let mut out = format!(
        "== {} ({}): {}\n{}\n",
        r.id,
        r.scrs.join(", "),
        r.verdict.word(),
        r.title
    );
    for e in &r.exchanges {
        out.push_str(&format!(
            "-- step {} {} {}\n",
            e.step,
            e.op,
            e.content_type.as_deref().unwrap_or("")
        ));
        if let Some(m) = &e.message {
            out.push_str(&format!("bytes: {m}\n"));
        }
        if let Some(x) = &e.explain {
            out.push_str(x);
        }
        out.push_str(&format!("answer: {}\n", e.response));
    }
    out.push_str("-- protocol lines\n");
    for (sent, line) in &r.transcript {
        out.push_str(&format!("{} {line}\n", if *sent { "->" } else { "<-" }));
    }
    for f in &r.failures {
        out.push_str(&format!(
            "FAIL [{}] {}\n",
            f.scr.as_deref().unwrap_or("case"),
            f.message
        ));
    }
    out
}

fn replay(args: &ReplayArgs) -> Result<u8> {
    let outcome = crate::testee::replay::replay(
        &args.file,
        std::time::Duration::from_millis(args.timeout_ms),
        &mut |line| println!("{line}"),
    )?;
    println!(
        "replay: {} answers as recorded, {} differ",
        outcome.same, outcome.differ
    );
    Ok(if outcome.differ == 0 {
        EXIT_OK
    } else {
        EXIT_FAIL
    })
}

fn lint(args: &LintArgs) -> Result<u8> {
    let catalog = Catalog::builtin();
    let suites = load_suites(&args.suites, &catalog)?;
    for path in &args.iut {
        crate::profile::Profile::load(path, &catalog)?;
    }
    let cases: usize = suites.iter().map(|s| s.cases.len()).sum();
    let covered: std::collections::BTreeSet<&str> = suites
        .iter()
        .flat_map(|s| &s.cases)
        .flat_map(|c| &c.scrs)
        .map(String::as_str)
        .collect();
    let missing: Vec<&str> = catalog
        .items
        .iter()
        .map(|i| i.id.as_str())
        .filter(|id| !covered.contains(id))
        .collect();
    println!(
        "{} suites, {cases} cases, {} profiles: OK",
        suites.len(),
        args.iut.len()
    );
    if !missing.is_empty() {
        println!("SCR items no case names: {}", missing.join(", "));
        return Ok(EXIT_FAIL);
    }
    println!("every SCR item of the catalog is named by at least one case");
    Ok(EXIT_OK)
}

fn selftest(args: &SelftestArgs) -> Result<u8> {
    let catalog = Catalog::builtin();
    let suites = load_suites(&args.suite.suites, &catalog)?;
    let mut opts = options(&args.suite);
    opts.explain = false;
    if opts.step_timeout.is_none() {
        // Hang faults make cases wait this long; a conformant run never does.
        opts.step_timeout = Some(std::time::Duration::from_millis(1000));
    }
    let started = std::time::Instant::now();
    let result = crate::selftest::run(
        &suites,
        &catalog,
        &opts,
        args.adapter.profile_adapter(),
        &mut |what| eprintln!("selftest: {what}"),
    );
    print!("{}", result.to_text());
    println!(
        "selftest wall time: {:.2} s",
        started.elapsed().as_secs_f64()
    );
    Ok(if result.ok() { EXIT_OK } else { EXIT_FAIL })
}

fn vectors(cmd: &VectorsCommand) -> Result<u8> {
    match cmd {
        VectorsCommand::Generate { dir, format } => {
            let written = crate::vectors::write(dir, matches!(format, VectorFormat::Yaml))
                .with_context(|| format!("writing {}", dir.display()))?;
            let total: u64 = crate::vectors::generate()
                .iter()
                .map(|f| f.value["numberOfTests"].as_u64().unwrap_or(0))
                .sum();
            println!(
                "{total} vectors in {} files under {}",
                written.len(),
                dir.display()
            );
            Ok(EXIT_OK)
        }
        VectorsCommand::Check { dir } => match crate::vectors::check(dir) {
            Ok(n) => {
                println!(
                    "{n} vectors under {} match a fresh generation",
                    dir.display()
                );
                Ok(EXIT_OK)
            }
            Err(diff) => {
                println!("{diff}");
                Ok(EXIT_FAIL)
            }
        },
    }
}

fn matrix(args: &MatrixArgs) -> Result<u8> {
    let catalog = Catalog::builtin();
    let load = |paths: &[PathBuf], role: Role| -> Result<Vec<crate::profile::Profile>> {
        let mut out = vec![crate::profile::Profile::reference(role, &[])];
        for p in paths {
            let profile = crate::profile::Profile::load(p, &catalog)?;
            if profile.role != role {
                bail!(
                    "{} is a {} profile, given as a {role}",
                    p.display(),
                    profile.role
                );
            }
            if profile.command.is_none() {
                bail!(
                    "{}: the matrix drives IUTs over stdio; give the profile a command",
                    p.display()
                );
            }
            out.push(profile);
        }
        Ok(out)
    };
    let servers = load(&args.servers, Role::Server)?;
    let clients = load(&args.clients, Role::Client)?;
    let m = crate::matrix::run(
        &servers,
        &clients,
        std::time::Duration::from_millis(args.timeout_ms),
    );
    std::fs::create_dir_all(&args.reports)?;
    std::fs::write(args.reports.join("matrix.md"), m.to_markdown())?;
    std::fs::write(args.reports.join("matrix.html"), m.to_html())?;
    print!("{}", m.to_markdown());
    println!(
        "\nreports: {}, {}",
        args.reports.join("matrix.md").display(),
        args.reports.join("matrix.html").display()
    );
    Ok(if m.ok() { EXIT_OK } else { EXIT_FAIL })
}

fn diff(args: &DiffArgs) -> Result<u8> {
    let catalog = Catalog::builtin();
    let new = load_suites(&args.suites, &catalog)?;
    let old_dir = if std::path::Path::new(&args.old).is_dir() {
        PathBuf::from(&args.old)
    } else {
        crate::diff::checkout(&args.old, &args.suites)?
    };
    let old = load_suites(&old_dir, &catalog)?;
    let known = args
        .known_failures
        .as_ref()
        .map(|p| crate::known::load(p))
        .transpose()?
        .unwrap_or_default();
    let profile = args
        .iut
        .as_ref()
        .map(|p| crate::profile::Profile::load(p, &catalog))
        .transpose()?;
    let d = crate::diff::diff(&old, &new, &known, profile.as_ref());
    print!("{}", d.to_text());
    Ok(EXIT_OK)
}
