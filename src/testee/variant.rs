//! Protocol variants: the reference IUT answering as a testee that implements less of the stdio
//! protocol would (only the required fields, no clock, no Package #1) or a sloppy one (optional
//! fields of the wrong type). None of them changes what the IUT *does*, only what it *says*; the
//! self-test runs each and requires no false failure, so a verdict never rests on an extra.
//!
//! Timing variants do the same for the network: the reference client as a real device answers,
//! late (`jitter`) or out of order (`reorder`). Its decisions do not change, only when its
//! Package #1 reaches the DM server; the self-test requires the same verdicts.

use super::{Op, Response};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Variant {
    /// Every field the protocol has.
    #[default]
    Full,
    /// Only the required fields: `outcome`, a session's `server_id` and `session_id`, a
    /// notification's `message`.
    Minimal,
    /// No clock: `clock`, and `provision` with `now`, are refused.
    NoClock,
    /// Sessions without their Package #1.
    NoPackage1,
    /// Optional fields of the wrong type (a list for `bearer`, a string for `requested_mo`...).
    WrongTypes,
    /// Over the network: each Package #1 posted after a random 0 to 300 ms (seeded), as from a
    /// loaded or slow device.
    Jitter,
    /// Over the network: each Package #1 held until the next one is ready and posted after it (or
    /// after 200 ms), so that answers arrive out of order.
    Reorder,
}

impl Variant {
    /// The variants of what the testee says.
    pub const PROTOCOL: [Variant; 5] = [
        Variant::Full,
        Variant::Minimal,
        Variant::NoClock,
        Variant::NoPackage1,
        Variant::WrongTypes,
    ];

    /// The variants of when a network client's answers arrive.
    pub const TIMING: [Variant; 2] = [Variant::Jitter, Variant::Reorder];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Full => "full",
            Variant::Minimal => "minimal",
            Variant::NoClock => "no-clock",
            Variant::NoPackage1 => "no-package1",
            Variant::WrongTypes => "wrong-types",
            Variant::Jitter => "jitter",
            Variant::Reorder => "reorder",
        }
    }

    /// The answer to an op this variant does not speak, instead of the testee's.
    pub fn intercept(self, id: u64, op: &Op) -> Option<Response> {
        match (self, op) {
            (Variant::NoClock, Op::Clock { .. }) => Some(Response::error(
                Some(id),
                "this testee cannot set its clock",
            )),
            (Variant::NoClock, Op::Provision { now: Some(_), .. }) => Some(Response::error(
                Some(id),
                "this testee cannot set its clock (provision without now)",
            )),
            _ => None,
        }
    }

    /// The answer as this variant writes it.
    pub fn rewrite(self, answer: &mut Value) {
        let Some(obj) = answer.as_object_mut() else {
            return;
        };
        match self {
            Variant::Full | Variant::NoClock | Variant::Jitter | Variant::Reorder => {}
            Variant::NoPackage1 => {
                if let Some(Value::Object(s)) = obj.get_mut("session") {
                    s.remove("package1");
                }
            }
            Variant::Minimal => {
                for key in ["reason", "content_type", "session_id", "name", "version"] {
                    obj.remove(key);
                }
                if let Some(Value::Object(s)) = obj.get_mut("session") {
                    s.retain(|k, _| k == "server_id" || k == "session_id");
                }
            }
            Variant::WrongTypes => {
                let swap = |o: &mut serde_json::Map<String, Value>, key: &str| {
                    if let Some(v) = o.get_mut(key) {
                        *v = match v.take() {
                            Value::Array(a) => Value::String(Value::Array(a).to_string()),
                            Value::Null => json!([]),
                            other => json!([other]),
                        };
                    }
                };
                for key in ["reason", "session_id"] {
                    swap(obj, key);
                }
                if let Some(Value::Object(s)) = obj.get_mut("session") {
                    for key in [
                        "format",
                        "ui_mode",
                        "requested_mo",
                        "targeted_mo",
                        "bearer",
                        "connect_reason",
                        "vendor_info",
                    ] {
                        swap(s, key);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Value {
        json!({"id": 3, "outcome": "session", "reason": "r", "session": {
            "server_id": "a", "session_id": "A01", "format": "1.3", "ui_mode": "background",
            "requested_mo": [11], "bearer": null, "package1": "<SyncML/>"}})
    }

    #[test]
    fn each_variant_says_less_or_says_it_wrong() {
        let mut v = session();
        Variant::Minimal.rewrite(&mut v);
        assert_eq!(
            v,
            json!({"id": 3, "outcome": "session", "session": {"server_id": "a", "session_id": "A01"}})
        );
        let mut v = session();
        Variant::NoPackage1.rewrite(&mut v);
        assert!(v["session"].get("package1").is_none() && v["session"]["format"] == "1.3");
        let mut v = session();
        Variant::WrongTypes.rewrite(&mut v);
        assert_eq!(v["session"]["bearer"], json!([]));
        assert_eq!(v["session"]["requested_mo"], json!("[11]"));
        assert_eq!(v["session"]["format"], json!(["1.3"]));
        // The lenient reader names every one of them and keeps the rest.
        let r = Response::parse(&v.to_string()).unwrap();
        let paths: Vec<&str> = r.field_errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "session.format",
                "session.ui_mode",
                "session.requested_mo",
                "session.bearer",
                "reason"
            ]
        );
        let s = r.session.unwrap();
        assert_eq!((s.session_id.as_str(), s.format), ("A01", None));
        assert_eq!(s.package1.as_deref(), Some("<SyncML/>"));
    }

    #[test]
    fn no_clock_refuses_the_clock_both_ways() {
        let v = Variant::NoClock;
        assert!(v.intercept(1, &Op::Clock { now: 5 }).is_some());
        let provision = |now| Op::Provision {
            accounts: vec![],
            now,
            registrar: None,
            smsc: None,
        };
        assert!(v.intercept(1, &provision(Some(5))).is_some());
        assert!(v.intercept(1, &provision(None)).is_none());
        assert!(Variant::Full.intercept(1, &Op::Clock { now: 5 }).is_none());
    }
}
