//! Package #1, the SyncML DM message a client sends when it connects back (docs/spec-notes.md,
//! "Package #1"): [`read`] is how the mock DM server and the session checks read it, [`write`] how
//! the reference client writes it. Both sides of one format, so they live together.

pub mod read;
pub mod write;

pub use read::{Package1, Package1Error, package2, parse_package1};
pub use write::{ALERT_SERVER_INITIATED, Draft, escape};
