//! The keys the suites provision: for the built-in suites, published test keys.

use super::{AccountSpec, Action, Suite};

/// The keys of every account `suites` provision (and of the harness's default account), hex as
/// the testee protocol writes them. For the built-in suites these are published test keys, which
/// reproducers need not mask.
pub fn published_keys(suites: &[Suite]) -> std::collections::BTreeSet<String> {
    let specs = suites
        .iter()
        .flat_map(|s| {
            s.defaults
                .accounts
                .iter()
                .chain(s.cases.iter().flat_map(|c| {
                    c.steps.iter().flat_map(|st| match &st.action {
                        Action::Provision(p) => p.accounts.as_slice(),
                        _ => &[],
                    })
                }))
        })
        .cloned()
        .chain(std::iter::once(AccountSpec::default_account()));
    let mut keys = std::collections::BTreeSet::new();
    for spec in specs {
        let Some(v) = spec
            .to_account()
            .ok()
            .and_then(|a| serde_json::to_value(a).ok())
        else {
            continue;
        };
        keys.extend(
            [&v["secret"], &v["v12"]["password"]]
                .into_iter()
                .filter_map(|k| k.as_str().filter(|k| !k.is_empty()).map(str::to_owned)),
        );
    }
    keys
}
