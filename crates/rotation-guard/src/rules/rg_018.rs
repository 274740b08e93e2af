//! RG-018: a rotation brings a new age key.
//!
//! Both flows of the runbook generate a new key (`age-keygen`) and put its public half in
//! `.sops.yaml`; a rotation whose recipients are all old ones re-encrypted for keys that may
//! be the very ones being retired.

use std::collections::BTreeSet;

use super::{Outcome, Rule, unless_rotation};
use crate::check::Context;

pub(super) const RULE: Rule = Rule {
    id: "RG-018",
    title: "a rotation adds a new age recipient",
    needs_keys: false,
    integrity: false,
    run,
};

fn run(cx: &Context) -> Outcome {
    if let Some(skip) = unless_rotation(cx) {
        return skip;
    }
    let before: BTreeSet<String> = cx.base.recipients().into_iter().collect();
    let after: BTreeSet<String> = cx.new.recipients().into_iter().collect();
    let added: Vec<&String> = after.difference(&before).collect();
    let removed = before.difference(&after).count();
    if added.is_empty() {
        Outcome::fail(
            "no new age recipient: every rotation generates a new age key (age-keygen) and encrypts to it",
        )
    } else {
        let added: Vec<&str> = added.iter().map(|s| s.as_str()).collect();
        Outcome::pass(format!(
            "new recipient(s): {}; {removed} removed",
            added.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testutil::*;

    #[test]
    fn passes_with_a_new_key() {
        let repo = rotated(&Rotation::scheduled());
        assert_eq!(
            pass(&outcome(&repo, "RG-018")),
            format!("new recipient(s): {}; 1 removed", repo.new_key.recipient())
        );
    }

    #[test]
    fn fails_when_the_old_key_is_reused() {
        let repo = rotated(&Rotation {
            new_recipient: false,
            ..Rotation::scheduled()
        });
        assert!(fail(&outcome(&repo, "RG-018")).starts_with("no new age recipient"));
    }
}
