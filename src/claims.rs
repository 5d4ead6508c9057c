//! Claims checked against the catalog and against behaviour. A profile says true or false for each
//! optional item (unset is an error unless the user assumes unclaimed); after a run, the places
//! where what the IUT did contradicts what it claims are listed: warnings in every report, failures
//! under `--strict-claims`.

use crate::profile::Profile;
use crate::report::result::{Run, Verdict};
use crate::scr::id;
use crate::scr::{Catalog, Status};

/// Optional items of the profile's role it says nothing about.
pub fn unset(profile: &Profile, catalog: &Catalog) -> Vec<String> {
    catalog
        .role(profile.role)
        .filter(|i| i.status == Status::Optional)
        .filter(|i| {
            !profile.claims.contains_key(&i.id) && !profile.claims.contains_key(&i.printed_id)
        })
        .map(|i| i.id.clone())
        .collect()
}

/// The session fields that show a client implements an optional item, whatever it claims.
const SHOWN_BY: [(crate::scr::ScrId, &str); 5] = [
    (id::C_011_O, "targeted_mo"),
    (id::C_012_O, "vendor_info"),
    (id::C_015_O, "connect_reason"),
    (id::C_017_O, "bearer"),
    (id::C_007_O, "ui_mode"),
];

/// Where behaviour contradicts a claim, over several runs.
pub fn contradicted(runs: &[Run], catalog: &Catalog) -> Vec<String> {
    runs.iter()
        .flat_map(|r| contradictions(r, catalog))
        .collect()
}

/// Where behaviour contradicts a claim.
pub fn contradictions(run: &Run, catalog: &Catalog) -> Vec<String> {
    let mut out = Vec::new();
    let name = &run.profile.name;
    for item in catalog
        .role(run.profile.role)
        .filter(|i| i.status == Status::Optional)
    {
        let Some(&claimed) = run.profile.claims.get(&item.id) else {
            continue;
        };
        let cases: Vec<_> = run
            .results
            .iter()
            .filter(|r| r.scrs.contains(&item.id) && r.verdict != Verdict::Skipped)
            .collect();
        if claimed
            && !cases.is_empty()
            && cases
                .iter()
                .all(|r| matches!(r.verdict, Verdict::Fail | Verdict::Error))
        {
            out.push(format!(
                "{name} claims {} ({}) but none of its {} cases passed",
                item.id,
                item.function,
                cases.len()
            ));
        }
        if !claimed {
            if let Some((_, field)) = SHOWN_BY.iter().find(|(id, _)| id.as_str() == item.id) {
                let shown = run.results.iter().flat_map(|r| &r.exchanges).find_map(|e| {
                    let v: serde_json::Value = serde_json::from_str(&e.response).ok()?;
                    let f = &v["session"][*field];
                    let meaningful = match f {
                        serde_json::Value::Null => false,
                        serde_json::Value::Array(a) => !a.is_empty(),
                        serde_json::Value::String(s) => *field != "ui_mode" || s != "not-specified",
                        _ => true,
                    };
                    meaningful.then(|| f.to_string())
                });
                if let Some(value) = shown {
                    out.push(format!(
                        "{name} claims not to implement {} ({}) yet reports {field} = {value}",
                        item.id, item.function
                    ));
                }
            }
        }
    }
    out
}
