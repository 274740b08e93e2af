//! RG-005: the data key is wrapped anew for every recipient.
//!
//! An age `enc` block copied from the base bundle means the metadata was carried over rather
//! than produced by a re-encryption: the wrapped key is the old data key. age encryption is
//! randomized, so a genuine re-wrap never yields the same block.

use std::collections::HashSet;

use super::{Outcome, Rule, unless_rotation};
use crate::check::Context;

pub(super) const RULE: Rule = Rule {
    id: "RG-005",
    title: "the data key is wrapped anew for every recipient",
    needs_keys: false,
    integrity: false,
    run,
};

fn run(cx: &Context) -> Outcome {
    if let Some(skip) = unless_rotation(cx) {
        return skip;
    }
    let before: HashSet<&str> = cx
        .base
        .metadata()
        .key_groups
        .iter()
        .flat_map(|g| g.age.iter().map(|e| e.enc.trim()))
        .collect();
    let entries: Vec<_> = cx
        .new
        .metadata()
        .key_groups
        .iter()
        .flat_map(|g| g.age.iter())
        .collect();
    let reused: Vec<String> = entries
        .iter()
        .filter(|e| before.contains(e.enc.trim()))
        .map(|e| format!("recipient {}", e.recipient))
        .collect();
    if reused.is_empty() {
        Outcome::pass(format!(
            "{} recipient(s), each with a newly wrapped data key",
            entries.len()
        ))
    } else {
        Outcome::fail_with(
            "the wrapped data key of the base bundle was reused: the bundle was not re-encrypted with a new data key",
            reused,
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testutil::*;

    #[test]
    fn passes_after_a_rotation() {
        assert_eq!(
            pass(&outcome(&rotated(&Rotation::scheduled()), "RG-005")),
            "1 recipient(s), each with a newly wrapped data key"
        );
    }

    #[test]
    fn fails_when_only_the_header_was_edited() {
        let repo = Repo::new();
        let text = repo
            .read(BUNDLE)
            .replace("MCP_SECRETS_VERSION: 4", "MCP_SECRETS_VERSION: 5");
        repo.write(BUNDLE, &text);
        let outcome = outcome(&repo, "RG-005");
        fail(&outcome);
        assert_eq!(
            outcome.details,
            [format!("recipient {}", repo.old_key.recipient())]
        );
    }
}
