//! dmnoti: a conformance test harness for OMA DM Notification (Package #0), 1.3 and 1.2.
//!
//! - [`codec`]: the wire formats, pure functions of bytes.
//! - [`scr`]: the SCR catalog of Appendix B, with errata.
//! - [`explain`]: field-by-field breakdowns of messages, for people and for machines.
//! - [`tools`]: the message commands of the CLI (`decode`, `encode`, `scrs`).

pub mod adapter;
pub mod claims;
pub mod cli;
pub mod codec;
pub mod diff;
pub mod explain;
pub mod fuzz;
pub mod interrupt;
pub mod iut;
pub mod known;
pub mod matrix;
pub mod package1;
pub mod profile;
pub mod report;
pub mod runner;
pub mod scr;
pub mod selftest;
pub mod settle;
pub mod suite;
pub mod testee;

pub mod transport;
pub mod vectors;
pub mod yaml;
