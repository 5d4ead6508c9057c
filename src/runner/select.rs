//! Which cases a run takes: the profile's role, `--case`, `--filter`, `--partition K/N`.

use super::Options;
use crate::scr::Role;
use crate::suite::{Case, Suite};

/// The cases a run takes, in suite order, after filters and partition.
pub fn select<'s>(suites: &'s [Suite], role: Role, opts: &Options) -> Vec<(&'s Suite, &'s Case)> {
    let chosen: Vec<_> = suites
        .iter()
        .filter(|s| s.role == role)
        .flat_map(|s| s.cases.iter().map(move |c| (s, c)))
        .filter(|(_, c)| opts.case.as_ref().is_none_or(|id| &c.id == id))
        .filter(|(s, c)| {
            opts.filters.is_empty()
                || opts.filters.iter().any(|f| {
                    c.id.contains(f.as_str())
                        || s.name.contains(f.as_str())
                        || c.scrs.iter().any(|i| i.contains(f.as_str()))
                })
        })
        .collect();
    match opts.partition {
        Some((k, n)) if n > 0 => chosen
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % n == k - 1)
            .map(|(_, x)| x)
            .collect(),
        _ => chosen,
    }
}
