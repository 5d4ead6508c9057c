//! Named faults of the reference implementation: each makes it wrong in one precise way, and names
//! the SCR items it violates. The harness's self-test runs the suites once per fault and expects a
//! failed case on one of those items: a fault nothing catches is a missing case.

use crate::scr::Role;
use crate::scr::{ScrId, id};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    // Client faults.
    AcceptBadDigest,
    AcceptUnknownServer,
    RejectV12Format,
    AcceptVersion2,
    SessionIdLeadingZeros,
    SessionIdLowercase,
    SessionIdDecimal,
    SessionIdByteSwap,
    SessionIdZeroUsed,
    DuplicateSessions,
    OmitRequestedMoInPackage1,
    IgnoreUiMode,
    AcceptOutOfOrderOptions,
    CrashOnLongServerId,
    HangOnVendorInfo,
    // Client faults that real 1.2 parsers have.
    V12ShortServerId,
    V12TriggerLengthByte,
    V12EmptyPasswordNoColon,
    V12SessionIdSignExtension,
    V12SessionIdByteSwap,
    // Client faults of SIP push (7.3).
    SipRegisterWithoutFeatureTag,
    SipGruuWithoutInstance,
    SipUdpOnly,
    // Client faults of OBEX (7.2).
    ObexFirstPacketOnly,
    // Client faults of WAP push over SMS (7.1).
    SmsFirstSegmentOnly,
    // Server faults.
    Version0,
    OmitServerId,
    OmitRequestedMo,
    OptionsOutOfOrder,
    ZeroSessionId,
    RepeatSessionId,
    Md5Digest,
    DigestWithoutColons,
    WrongSecret,
    OpcOffByOne,
    LittleEndianSessionId,
    TimestampZero,
    // Server faults of the 1.2 format that real notification builders have.
    V12VersionBits,
    V12SessionZero,
    V12BodyPrefixByte,
    V12NonceCString,
    // Server faults of SIP push (7.3).
    SipNoFeatureTag,
    SipDsContentType,
    // Server faults of OBEX (7.2).
    ObexNoTarget,
    ObexIgnoreMaxPacket,
    ObexWbxmlType,
    // Server faults of WAP push over SMS (7.1).
    SmsWrongPort,
    SmsSevenBit,
    // Server faults of PAP (7.1 through a PPG).
    PapNoAppId,
}

/// A Server-ID longer than this crashes a client with `crash-on-long-server-id`.
pub const LONG_SERVER_ID: usize = 64;

impl Fault {
    pub const ALL: [Fault; 49] = [
        Fault::AcceptBadDigest,
        Fault::AcceptUnknownServer,
        Fault::RejectV12Format,
        Fault::AcceptVersion2,
        Fault::SessionIdLeadingZeros,
        Fault::SessionIdLowercase,
        Fault::SessionIdDecimal,
        Fault::SessionIdByteSwap,
        Fault::SessionIdZeroUsed,
        Fault::DuplicateSessions,
        Fault::OmitRequestedMoInPackage1,
        Fault::IgnoreUiMode,
        Fault::AcceptOutOfOrderOptions,
        Fault::CrashOnLongServerId,
        Fault::HangOnVendorInfo,
        Fault::V12ShortServerId,
        Fault::V12TriggerLengthByte,
        Fault::V12EmptyPasswordNoColon,
        Fault::V12SessionIdSignExtension,
        Fault::V12SessionIdByteSwap,
        Fault::SipRegisterWithoutFeatureTag,
        Fault::SipGruuWithoutInstance,
        Fault::SipUdpOnly,
        Fault::ObexFirstPacketOnly,
        Fault::SmsFirstSegmentOnly,
        Fault::Version0,
        Fault::OmitServerId,
        Fault::OmitRequestedMo,
        Fault::OptionsOutOfOrder,
        Fault::ZeroSessionId,
        Fault::RepeatSessionId,
        Fault::Md5Digest,
        Fault::DigestWithoutColons,
        Fault::WrongSecret,
        Fault::OpcOffByOne,
        Fault::LittleEndianSessionId,
        Fault::TimestampZero,
        Fault::V12VersionBits,
        Fault::V12SessionZero,
        Fault::V12BodyPrefixByte,
        Fault::V12NonceCString,
        Fault::SipNoFeatureTag,
        Fault::SipDsContentType,
        Fault::ObexNoTarget,
        Fault::ObexIgnoreMaxPacket,
        Fault::ObexWbxmlType,
        Fault::SmsWrongPort,
        Fault::SmsSevenBit,
        Fault::PapNoAppId,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::AcceptBadDigest => "accept-bad-digest",
            Fault::AcceptUnknownServer => "accept-unknown-server",
            Fault::RejectV12Format => "reject-v12-format",
            Fault::AcceptVersion2 => "accept-version-2",
            Fault::SessionIdLeadingZeros => "session-id-leading-zeros",
            Fault::SessionIdLowercase => "session-id-lowercase",
            Fault::SessionIdDecimal => "session-id-decimal",
            Fault::SessionIdByteSwap => "session-id-byte-swap",
            Fault::SessionIdZeroUsed => "session-id-zero-used",
            Fault::DuplicateSessions => "duplicate-sessions",
            Fault::OmitRequestedMoInPackage1 => "omit-requested-mo-in-package1",
            Fault::IgnoreUiMode => "ignore-ui-mode",
            Fault::AcceptOutOfOrderOptions => "accept-out-of-order-options",
            Fault::CrashOnLongServerId => "crash-on-long-server-id",
            Fault::HangOnVendorInfo => "hang-on-vendor-info",
            Fault::V12ShortServerId => "v12-short-server-id",
            Fault::V12TriggerLengthByte => "v12-trigger-length-byte",
            Fault::V12EmptyPasswordNoColon => "v12-empty-password-no-colon",
            Fault::V12SessionIdSignExtension => "v12-session-id-sign-extension",
            Fault::V12SessionIdByteSwap => "v12-session-id-byte-swap",
            Fault::SipRegisterWithoutFeatureTag => "sip-register-without-feature-tag",
            Fault::SipGruuWithoutInstance => "sip-gruu-without-instance",
            Fault::SipUdpOnly => "sip-udp-only",
            Fault::ObexFirstPacketOnly => "obex-first-packet-only",
            Fault::SmsFirstSegmentOnly => "sms-first-segment-only",
            Fault::Version0 => "version-0",
            Fault::OmitServerId => "omit-server-id",
            Fault::OmitRequestedMo => "omit-requested-mo",
            Fault::OptionsOutOfOrder => "options-out-of-order",
            Fault::ZeroSessionId => "zero-session-id",
            Fault::RepeatSessionId => "repeat-session-id",
            Fault::Md5Digest => "md5-digest",
            Fault::DigestWithoutColons => "digest-without-colons",
            Fault::WrongSecret => "wrong-secret",
            Fault::OpcOffByOne => "opc-off-by-one",
            Fault::LittleEndianSessionId => "little-endian-session-id",
            Fault::TimestampZero => "timestamp-zero",
            Fault::V12VersionBits => "v12-version-bits",
            Fault::V12SessionZero => "v12-session-zero",
            Fault::V12BodyPrefixByte => "v12-body-prefix-byte",
            Fault::V12NonceCString => "v12-nonce-c-string",
            Fault::SipNoFeatureTag => "sip-no-feature-tag",
            Fault::SipDsContentType => "sip-ds-content-type",
            Fault::ObexNoTarget => "obex-no-target",
            Fault::ObexIgnoreMaxPacket => "obex-ignore-max-packet",
            Fault::ObexWbxmlType => "obex-wbxml-type",
            Fault::SmsWrongPort => "sms-wrong-port",
            Fault::SmsSevenBit => "sms-seven-bit",
            Fault::PapNoAppId => "pap-no-app-id",
        }
    }

    pub fn role(self) -> Role {
        if self >= Fault::Version0 {
            Role::Server
        } else {
            Role::Client
        }
    }

    /// The SCR items the fault violates: a suite that catches it fails a case on one of them.
    pub fn scrs(self) -> &'static [ScrId] {
        match self {
            Fault::AcceptBadDigest => &[id::C_019_M, id::C_018_M],
            Fault::AcceptUnknownServer => &[id::C_010_M, id::C_019_M],
            Fault::RejectV12Format => &[id::C_003_M],
            Fault::AcceptVersion2 => &[id::C_006_M],
            Fault::SessionIdLeadingZeros
            | Fault::SessionIdLowercase
            | Fault::SessionIdDecimal
            | Fault::SessionIdByteSwap
            | Fault::SessionIdZeroUsed
            | Fault::DuplicateSessions => &[id::C_008_M],
            Fault::OmitRequestedMoInPackage1 => &[id::C_013_M],
            Fault::IgnoreUiMode => &[id::C_007_O],
            Fault::AcceptOutOfOrderOptions => &[id::C_004_M, id::C_002_M],
            Fault::CrashOnLongServerId => &[id::C_010_M],
            Fault::HangOnVendorInfo => &[id::C_012_O, id::C_002_M],
            Fault::V12ShortServerId
            | Fault::V12TriggerLengthByte
            | Fault::V12EmptyPasswordNoColon => &[id::C_003_M],
            Fault::V12SessionIdSignExtension | Fault::V12SessionIdByteSwap => &[id::C_008_M],
            Fault::SipRegisterWithoutFeatureTag
            | Fault::SipGruuWithoutInstance
            | Fault::SipUdpOnly => &[id::C_022_O],
            Fault::Version0 => &[id::S_004_M],
            Fault::OmitServerId => &[id::S_005_M],
            Fault::OmitRequestedMo => &[id::S_008_M],
            Fault::OptionsOutOfOrder => &[id::S_002_M],
            Fault::ZeroSessionId | Fault::RepeatSessionId | Fault::LittleEndianSessionId => {
                &[id::S_003_M, id::S_002_M]
            }
            Fault::Md5Digest | Fault::DigestWithoutColons | Fault::WrongSecret => &[id::S_011_M],
            Fault::OpcOffByOne | Fault::TimestampZero => &[id::S_003_M],
            Fault::V12VersionBits => &[id::S_002_M],
            Fault::V12SessionZero => &[id::S_003_M],
            Fault::V12BodyPrefixByte => &[id::S_007_O],
            Fault::V12NonceCString => &[id::S_011_M],
            Fault::SipNoFeatureTag | Fault::SipDsContentType => &[id::S_014_O],
            Fault::ObexFirstPacketOnly => &[id::C_021_O],
            Fault::SmsFirstSegmentOnly => &[id::C_020_O],
            Fault::SmsWrongPort | Fault::SmsSevenBit | Fault::PapNoAppId => &[id::S_012_O],
            Fault::ObexNoTarget | Fault::ObexIgnoreMaxPacket | Fault::ObexWbxmlType => {
                &[id::S_013_O]
            }
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Fault::AcceptBadDigest => "starts a session whatever the digest",
            Fault::AcceptUnknownServer => "starts a session for a Server-ID it has no account for",
            Fault::RejectV12Format => "ignores every 1.2 notification",
            Fault::AcceptVersion2 => "takes VER 2 for 1",
            Fault::SessionIdLeadingZeros => {
                "puts SessionID in Package #1 as four digits, with leading zeros"
            }
            Fault::SessionIdLowercase => "puts SessionID in Package #1 in lower-case hex",
            Fault::SessionIdDecimal => "puts SessionID in Package #1 in decimal",
            Fault::SessionIdByteSwap => {
                "puts SessionID in Package #1 with its two bytes swapped (0x0A01 as 10A)"
            }
            Fault::SessionIdZeroUsed => {
                "starts a session for SESSIONID 0 and puts SessionID 0 in Package #1"
            }
            Fault::DuplicateSessions => "starts a session for every copy of a notification",
            Fault::OmitRequestedMoInPackage1 => "leaves the requested MO out of Package #1",
            Fault::IgnoreUiMode => "reports every session as UI mode not specified",
            Fault::AcceptOutOfOrderOptions => "accepts options out of order",
            Fault::CrashOnLongServerId => "exits with status 101 on a Server-ID over 64 bytes",
            Fault::HangOnVendorInfo => "never answers a message with Vendor-Info",
            Fault::V12ShortServerId => {
                "ignores a 1.2 notification whose Server-ID has 24 bytes or more"
            }
            Fault::V12TriggerLengthByte => {
                "keeps the 1.2 trigger's length in a byte: the digest of a longer one fails"
            }
            Fault::V12EmptyPasswordNoColon => {
                "hashes the server id without the colon when the password is empty"
            }
            Fault::V12SessionIdSignExtension => {
                "sign-extends the low byte of a 1.2 SESSIONID (0x0080 becomes FF80)"
            }
            Fault::V12SessionIdByteSwap => "reads a 1.2 SESSIONID with its bytes swapped",
            Fault::Version0 => "sends VER 0",
            Fault::OmitServerId => "sends no Server-ID",
            Fault::OmitRequestedMo => "sends no Requested-MO",
            Fault::OptionsOutOfOrder => "sends options in descending order",
            Fault::ZeroSessionId => "sends SESSIONID 0",
            Fault::RepeatSessionId => "sends the same SESSIONID every time",
            Fault::Md5Digest => "sends an MD5 digest (16 bytes)",
            Fault::DigestWithoutColons => "computes the digest without the colons",
            Fault::WrongSecret => "signs with a secret one byte off",
            Fault::OpcOffByOne => "counts one option more in OPC than it sends",
            Fault::LittleEndianSessionId => "writes SESSIONID little-endian",
            Fault::TimestampZero => "sends TIMESTAMP 0",
            Fault::V12VersionBits => {
                "packs the 1.2 trigger's V into too few bits: it goes out as 8, not 11"
            }
            Fault::V12SessionZero => "sends SESSIONID 0 in every 1.2 notification",
            Fault::V12BodyPrefixByte => "puts a 00 byte before the 1.2 vendor body",
            Fault::V12NonceCString => {
                "passes the 1.2 nonce as a C string: with a 00 byte in it, the digest is wrong"
            }
            Fault::SipRegisterWithoutFeatureTag => {
                "registers without the +g.oma.eventappid feature tag on its Contact"
            }
            Fault::SipGruuWithoutInstance => {
                "says Supported: gruu but registers without +sip.instance"
            }
            Fault::SipUdpOnly => "takes SIP over UDP only: a MESSAGE over TCP is never answered",
            Fault::SipNoFeatureTag => "sends the MESSAGE without the feature tag in Accept-Contact",
            Fault::SipDsContentType => {
                "sends the MESSAGE as application/vnd.syncml.ds.notification"
            }
            Fault::ObexFirstPacketOnly => {
                "reads only the first PUT packet's body: a split notification fails its digest"
            }
            Fault::ObexNoTarget => "connects without the DM service's Target (SYNCML-DM)",
            Fault::ObexIgnoreMaxPacket => {
                "puts the whole notification in one packet, over the device's maximum"
            }
            Fault::ObexWbxmlType => "puts the notification as application/vnd.syncml.dm+wbxml",
            Fault::SmsFirstSegmentOnly => {
                "reads only the first segment of a concatenated SMS: a long push fails its digest"
            }
            Fault::SmsWrongPort => "sends the SMS to port 2949, not WAP push's 2948",
            Fault::SmsSevenBit => "marks the SMS as GSM 7-bit text (TP-DCS 0x00)",
            Fault::PapNoAppId => "submits its PAP push without X-Wap-Application-Id",
        }
    }

    /// Whether the fault can show over `adapter`: how a device runs a session (its UI mode)
    /// shows only over stdio; SIP's faults only over SIP; the rest anywhere (in Package #1 or in
    /// what is sent).
    pub fn observable_over(self, adapter: crate::transport::TransportProfile) -> bool {
        use crate::transport::TransportProfile as T;
        match self {
            Fault::IgnoreUiMode => adapter == T::Stdio,
            Fault::SipRegisterWithoutFeatureTag
            | Fault::SipGruuWithoutInstance
            | Fault::SipUdpOnly
            | Fault::SipNoFeatureTag
            | Fault::SipDsContentType => adapter == T::Sip,
            Fault::ObexFirstPacketOnly
            | Fault::ObexNoTarget
            | Fault::ObexIgnoreMaxPacket
            | Fault::ObexWbxmlType => adapter == T::Obex,
            Fault::SmsFirstSegmentOnly | Fault::SmsWrongPort | Fault::SmsSevenBit => {
                adapter == T::Smpp
            }
            Fault::PapNoAppId => adapter == T::Pap,
            _ => true,
        }
    }

    pub fn from_name(name: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.name() == name)
    }

    /// `dmnoti iut --list-faults`.
    pub fn table() -> String {
        let mut out = String::new();
        for role in [Role::Client, Role::Server] {
            out.push_str(&format!("{role} faults:\n"));
            for f in Fault::ALL.into_iter().filter(|f| f.role() == role) {
                out.push_str(&format!(
                    "  {:<30} {:<44} {}\n",
                    f.name(),
                    f.scrs()
                        .iter()
                        .map(|i| i.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    f.describe()
                ));
            }
        }
        out
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The faults an instance runs with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults(Vec<Fault>);

/// A fault name that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    #[error("{name} is a {its} fault, not a {wanted} one")]
    OtherRole {
        name: String,
        its: Role,
        wanted: Role,
    },
    #[error("unknown fault {0:?}; `dmnoti iut --list-faults` lists them")]
    Unknown(String),
}

impl Faults {
    pub fn none() -> Faults {
        Faults(Vec::new())
    }

    pub fn of(faults: impl IntoIterator<Item = Fault>) -> Faults {
        Faults(faults.into_iter().collect())
    }

    /// Parses names, refusing unknown ones and faults of the other role.
    pub fn parse(names: &[String], role: Role) -> Result<Faults, FaultError> {
        names
            .iter()
            .map(|n| match Fault::from_name(n) {
                Some(f) if f.role() == role => Ok(f),
                Some(f) => Err(FaultError::OtherRole {
                    name: n.clone(),
                    its: f.role(),
                    wanted: role,
                }),
                None => Err(FaultError::Unknown(n.clone())),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Faults)
    }

    pub fn has(&self, f: Fault) -> bool {
        self.0.contains(&f)
    }

    pub fn iter(&self) -> impl Iterator<Item = Fault> + '_ {
        self.0.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scr::Catalog;

    #[test]
    fn every_fault_names_real_items_of_its_role() {
        let catalog = Catalog::builtin();
        for f in Fault::ALL {
            assert!(!f.scrs().is_empty(), "{f}");
            for id in f.scrs() {
                let item = catalog
                    .get(id.as_str())
                    .unwrap_or_else(|| panic!("{f}: unknown {id}"));
                assert_eq!(item.role, f.role(), "{f}: {id}");
            }
            assert_eq!(Fault::from_name(f.name()), Some(f));
        }
        assert_eq!(
            Fault::ALL
                .iter()
                .filter(|f| f.role() == Role::Client)
                .count(),
            25
        );
    }

    #[test]
    fn parse_checks_names_and_roles() {
        assert_eq!(
            Faults::parse(&["accept-bad-digest".into()], Role::Client),
            Ok(Faults::of([Fault::AcceptBadDigest]))
        );
        assert!(matches!(
            Faults::parse(&["version-0".into()], Role::Client),
            Err(FaultError::OtherRole {
                its: Role::Server,
                ..
            })
        ));
        assert_eq!(
            Faults::parse(&["nope".into()], Role::Server),
            Err(FaultError::Unknown("nope".into()))
        );
    }
}
