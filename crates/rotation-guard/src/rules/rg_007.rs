//! RG-007: the bundle's recipients are exactly those of its `.sops.yaml` creation rule.
//!
//! `.sops.yaml` is the reviewed statement of who may read the bundle; a bundle encrypted to
//! anyone else (or still to a removed key) contradicts it. Compared group by group, each
//! group as a set (order inside a group does not matter to sops).

use std::collections::BTreeSet;

use super::{Outcome, Rule};
use crate::check::Context;

pub(super) const RULE: Rule = Rule {
    id: "RG-007",
    title: "the recipients equal the .sops.yaml creation rule",
    needs_keys: false,
    integrity: false,
    run,
};

fn run(cx: &Context) -> Outcome {
    let config = match &cx.config {
        Ok(config) => config,
        Err(message) => return Outcome::fail(format!("cannot read the creation rules: {message}")),
    };
    let rule = match config.rule_for(&cx.bundle_abs) {
        Ok(rule) => rule,
        Err(e) => {
            return Outcome::fail(e.to_string().lines().next().unwrap_or_default().to_owned());
        }
    };
    let expected: Vec<BTreeSet<&str>> = rule
        .key_groups
        .iter()
        .filter(|g| !g.age.is_empty())
        .map(|g| g.age.iter().map(|r| r.trim()).collect())
        .collect();
    let actual: Vec<BTreeSet<&str>> = cx
        .new
        .metadata()
        .key_groups
        .iter()
        .map(|g| g.age.iter().map(|e| e.recipient.trim()).collect())
        .collect();
    if expected == actual {
        let count: usize = actual.iter().map(BTreeSet::len).sum();
        return Outcome::pass(format!(
            "{count} recipient(s) in {} group(s), as .sops.yaml says",
            actual.len()
        ));
    }
    let mut details = Vec::new();
    if expected.len() != actual.len() {
        details.push(format!(
            ".sops.yaml has {} key group(s), the bundle {}",
            expected.len(),
            actual.len()
        ));
    }
    for (i, (want, have)) in expected.iter().zip(&actual).enumerate() {
        for r in want.difference(have) {
            details.push(format!(
                "group {i}: {r} is in .sops.yaml but not a recipient of the bundle"
            ));
        }
        for r in have.difference(want) {
            details.push(format!(
                "group {i}: {r} is a recipient of the bundle but not in .sops.yaml"
            ));
        }
    }
    Outcome::fail_with(
        "the bundle's recipients differ from its .sops.yaml creation rule",
        details,
    )
}

#[cfg(test)]
mod tests {
    use crate::rules::testutil::*;

    #[test]
    fn passes_when_the_config_was_updated() {
        assert_eq!(
            pass(&outcome(&rotated(&Rotation::scheduled()), "RG-007")),
            "1 recipient(s) in 1 group(s), as .sops.yaml says"
        );
    }

    #[test]
    fn fails_when_the_config_still_names_the_old_key() {
        let repo = rotated(&Rotation {
            update_config: false,
            ..Rotation::scheduled()
        });
        let outcome = outcome(&repo, "RG-007");
        assert_eq!(
            fail(&outcome),
            "the bundle's recipients differ from its .sops.yaml creation rule"
        );
        assert_eq!(
            outcome.details,
            [
                format!(
                    "group 0: {} is in .sops.yaml but not a recipient of the bundle",
                    repo.old_key.recipient()
                ),
                format!(
                    "group 0: {} is a recipient of the bundle but not in .sops.yaml",
                    repo.new_key.recipient()
                ),
            ]
        );
    }

    #[test]
    fn fails_without_a_config() {
        let repo = rotated(&Rotation::scheduled());
        fs_err::remove_file(repo.path(".sops.yaml")).unwrap();
        assert_eq!(
            fail(&outcome(&repo, "RG-007")),
            "cannot read the creation rules: .sops.yaml not found"
        );
    }
}
