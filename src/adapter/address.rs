//! The addresses of section 7's transports, one type parsed and printed here: what the harness
//! tells a server under test its device is (`notify`'s `device`), what a client's hello says it
//! is reached at, and where a device attaches (its SMSC). The harness and the reference IUT read
//! and write them with this one type.

use std::fmt;
use std::net::SocketAddr;

/// Where a device takes pushes, by transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceAddress {
    /// 7.1, connectionless WAP push: `udp://HOST:PORT`.
    Udp(SocketAddr),
    /// 7.4, OTA-HTTP push: `http://HOST:PORT/PATH`.
    Http(String),
    /// 7.1 over SMS: `smpp://HOST:PORT/NUMBER`, the SMSC a server submits to for the device's
    /// number; or `sms:NUMBER`, a device that says only its number (its SMSC is given to it).
    Sms(SmppAddress),
    SmsNumber(String),
    /// 7.1 through a PPG: `pap:NUMBER@URL`, the gateway's URL and the device's number.
    Pap {
        number: String,
        ppg: String,
    },
    /// 7.2: `obex://HOST:PORT`.
    Obex(SocketAddr),
    /// 7.3: the device's SIP URI.
    Sip(String),
}

impl DeviceAddress {
    /// Which transport the address is of.
    pub fn transport(&self) -> crate::transport::TransportProfile {
        use crate::transport::TransportProfile as T;
        match self {
            DeviceAddress::Udp(_) => T::Udp,
            DeviceAddress::Http(_) => T::Http,
            DeviceAddress::Sms(_) | DeviceAddress::SmsNumber(_) => T::Smpp,
            DeviceAddress::Pap { .. } => T::Pap,
            DeviceAddress::Obex(_) => T::Obex,
            DeviceAddress::Sip(_) => T::Sip,
        }
    }
}

impl fmt::Display for DeviceAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceAddress::Udp(at) => write!(f, "udp://{at}"),
            DeviceAddress::Http(url) | DeviceAddress::Sip(url) => f.write_str(url),
            DeviceAddress::Sms(a) => write!(f, "{a}"),
            DeviceAddress::SmsNumber(n) => write!(f, "sms:{n}"),
            DeviceAddress::Pap { number, ppg } => write!(f, "pap:{number}@{ppg}"),
            DeviceAddress::Obex(at) => write!(f, "obex://{at}"),
        }
    }
}

impl std::str::FromStr for DeviceAddress {
    type Err = String;

    fn from_str(text: &str) -> Result<DeviceAddress, String> {
        let bad = |form: &str| format!("{text:?} is not {form}");
        let at = |rest: &str, form: &str| rest.parse::<SocketAddr>().map_err(|_| bad(form));
        if let Some(rest) = text.strip_prefix("udp://") {
            return at(rest, "udp://HOST:PORT").map(DeviceAddress::Udp);
        }
        if let Some(rest) = text.strip_prefix("obex://") {
            return at(rest, "obex://HOST:PORT").map(DeviceAddress::Obex);
        }
        if text.starts_with("http://") {
            return Ok(DeviceAddress::Http(text.to_owned()));
        }
        if text.starts_with("smpp://") {
            let a: SmppAddress = text.parse()?;
            if a.number.is_none() {
                return Err(bad("smpp://HOST:PORT/NUMBER (a device needs its number)"));
            }
            return Ok(DeviceAddress::Sms(a));
        }
        if let Some(number) = text.strip_prefix("sms:") {
            return match number {
                "" => Err(bad("sms:NUMBER")),
                n => Ok(DeviceAddress::SmsNumber(n.to_owned())),
            };
        }
        if let Some(rest) = text.strip_prefix("pap:") {
            return match rest.split_once('@') {
                Some((number, ppg)) if !number.is_empty() && ppg.starts_with("http://") => {
                    Ok(DeviceAddress::Pap {
                        number: number.to_owned(),
                        ppg: ppg.to_owned(),
                    })
                }
                _ => Err(bad("pap:NUMBER@http://HOST:PORT/PATH")),
            };
        }
        if crate::codec::sip::uri_target(text).is_some() {
            return Ok(DeviceAddress::Sip(text.to_owned()));
        }
        Err(bad(
            "a device address (udp://, http://, smpp://, sms:, pap:, obex:// or a SIP URI)",
        ))
    }
}

/// Where SMPP reaches a party, as the harness tells it and an IUT reads it back:
/// `smpp://[SYSTEM_ID:PASSWORD@]HOST:PORT` for the SMSC a device binds to, and
/// `smpp://HOST:PORT/NUMBER` for a device a server submits to through that SMSC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmppAddress {
    /// The bind credentials, when the SMSC asks for them.
    pub credentials: Option<(String, String)>,
    pub smsc: SocketAddr,
    /// The device's number (MSISDN), for a device.
    pub number: Option<String>,
}

impl std::fmt::Display for SmppAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("smpp://")?;
        if let Some((id, pw)) = &self.credentials {
            write!(f, "{id}:{pw}@")?;
        }
        write!(f, "{}", self.smsc)?;
        if let Some(n) = &self.number {
            write!(f, "/{n}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for SmppAddress {
    type Err = String;

    fn from_str(text: &str) -> Result<SmppAddress, String> {
        let bad = || format!("{text:?} is not smpp://[ID:PASSWORD@]HOST:PORT[/NUMBER]");
        let rest = text.strip_prefix("smpp://").ok_or_else(bad)?;
        let (credentials, rest) = match rest.rsplit_once('@') {
            Some((c, r)) => {
                let (id, pw) = c.split_once(':').unwrap_or((c, ""));
                (Some((id.to_owned(), pw.to_owned())), r)
            }
            None => (None, rest),
        };
        let (at, number) = match rest.split_once('/') {
            Some((a, n)) if !n.is_empty() => (a, Some(n.to_owned())),
            Some(_) => return Err(bad()),
            None => (rest, None),
        };
        Ok(SmppAddress {
            credentials,
            smsc: at.parse().map_err(|_| bad())?,
            number,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    /// Every form reads back as it prints.
    #[rstest]
    #[case("udp://127.0.0.1:9200")]
    #[case("udp://[::1]:9200")]
    #[case("http://127.0.0.1:8080/push")]
    #[case("smpp://127.0.0.1:2775/+15550100")]
    #[case("sms:+15550100")]
    #[case("pap:+15550100@http://127.0.0.1:8080/wappush")]
    #[case("obex://127.0.0.1:650")]
    #[case("sip:device@127.0.0.1:5060")]
    #[case("sip:+15550100@ims.example.net;transport=tcp")]
    fn an_address_prints_as_it_reads(#[case] text: &str) {
        let a: DeviceAddress = text.parse().unwrap();
        assert_eq!(a.to_string(), text);
    }

    /// A malformed address names the form it should have.
    #[rstest]
    #[case("udp://nowhere", "udp://HOST:PORT")]
    #[case("smpp://127.0.0.1:2775", "needs its number")]
    #[case("pap:+1555@ftp://x", "pap:NUMBER@")]
    #[case("sms:", "sms:NUMBER")]
    #[case("tel:+15550100", "a device address")]
    fn a_malformed_address_says_its_form(#[case] text: &str, #[case] says: &str) {
        let e = text.parse::<DeviceAddress>().unwrap_err();
        assert!(e.contains(says), "{e}");
    }

    #[test]
    fn smpp_credentials_ride_in_the_uri() {
        let a: SmppAddress = "smpp://lab:secret@127.0.0.1:2775".parse().unwrap();
        assert_eq!(a.credentials, Some(("lab".into(), "secret".into())));
        assert_eq!(a.to_string(), "smpp://lab:secret@127.0.0.1:2775");
    }

    /// Both forms of an SMPP address print as they parse.
    #[test]
    fn smpp_addresses_round_trip() {
        for text in [
            "smpp://127.0.0.1:2775",
            "smpp://dmnoti:secret@127.0.0.1:2775",
            "smpp://[::1]:2775/+15550100",
        ] {
            let a: SmppAddress = text.parse().unwrap();
            assert_eq!(a.to_string(), text);
        }
        let a: SmppAddress = "smpp://127.0.0.1:2775/+15550100".parse().unwrap();
        assert_eq!(a.number.as_deref(), Some("+15550100"));
        for bad in ["udp://127.0.0.1:1", "smpp://nowhere", "smpp://127.0.0.1:1/"] {
            assert!(bad.parse::<SmppAddress>().is_err(), "{bad}");
        }
    }
}
