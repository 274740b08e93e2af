//! RG-017: the set of secret names is unchanged, unless the evidence says what changed.
//!
//! A rotation replaces values; adding or dropping a secret is a different change that the
//! consumers of `~/.mcp/.env` must hear about. Key names are stored in the clear, so this
//! needs no key. An added or removed name passes when the reason of the rotation's evidence
//! entry names it (its dotted path or its last key), e.g. "quarterly; added api.webhook".

use std::collections::BTreeSet;

use super::{Outcome, Rule};
use crate::check::{Context, HEADER_KEYS};

pub(super) const RULE: Rule = Rule {
    id: "RG-017",
    title: "the secret names are unchanged unless the evidence says so",
    needs_keys: false,
    integrity: false,
    run,
};

fn names(file: &bundle_core::sops::SopsFile) -> BTreeSet<String> {
    file.leaves()
        .iter()
        .filter(|l| !HEADER_KEYS.iter().any(|k| l.path.is_top_level(k)))
        .map(|l| l.path.dotted())
        .collect()
}

fn run(cx: &Context) -> Outcome {
    let (before, after) = (names(&cx.base), names(&cx.new));
    let changes: Vec<String> = after
        .difference(&before)
        .map(|n| format!("added: {n}"))
        .chain(before.difference(&after).map(|n| format!("removed: {n}")))
        .collect();
    if changes.is_empty() {
        return Outcome::pass(format!("the same {} secret name(s)", after.len()));
    }
    let reason = cx
        .entry()
        .filter(|_| cx.is_rotation())
        .and_then(|e| e.execution.reason.clone())
        .unwrap_or_default();
    let stated = |change: &String| {
        let path = change.split_once(": ").map_or(change.as_str(), |(_, p)| p);
        let last = path.rsplit(['.', '[']).next().unwrap_or(path);
        reason.contains(path) || (!last.is_empty() && reason.contains(last))
    };
    let unstated: Vec<String> = changes.iter().filter(|c| !stated(c)).cloned().collect();
    if unstated.is_empty() {
        Outcome::pass(format!("{} (stated in the evidence)", changes.join(", ")))
    } else {
        Outcome::fail_with(
            "secret names were added or removed and the evidence entry's reason does not name them",
            unstated,
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testutil::*;

    #[test]
    fn passes_with_the_same_names_or_stated_changes() {
        assert_eq!(
            pass(&outcome(&rotated(&Rotation::scheduled()), "RG-017")),
            "the same 5 secret name(s)"
        );
        let repo = rotated(&Rotation {
            add: vec![("api.webhook_secret", "whsec-0123456789")], // gitleaks:allow (test value)
            reason: Some("quarterly rotation; added api.webhook_secret"),
            ..Rotation::scheduled()
        });
        assert_eq!(
            pass(&outcome(&repo, "RG-017")),
            "added: api.webhook_secret (stated in the evidence)"
        );
    }

    #[test]
    fn fails_on_an_unstated_new_secret() {
        let repo = rotated(&Rotation {
            add: vec![("api.webhook_secret", "whsec-0123456789")], // gitleaks:allow (test value)
            ..Rotation::scheduled()
        });
        let outcome = outcome(&repo, "RG-017");
        fail(&outcome);
        assert_eq!(outcome.details, ["added: api.webhook_secret"]);
    }
}
