//! RG-015: no age private key is tracked or lying in the tree.
//!
//! Rotação programada step 2 writes `mcp-age-key.txt` into the working directory; the key
//! belongs in the vault, never in the repository, not even ignored on a workstation. Every
//! file of the tree (tracked, untracked, and ignored files that are present) is read, up to
//! 4 MiB, and searched for a complete `AGE-SECRET-KEY-1…` identity; a mere mention of the
//! prefix in prose is not one. `--allow` exempts paths (test fixtures with public keys).

use std::sync::LazyLock;

use regex::bytes::Regex;

use super::{Outcome, Rule};
use crate::check::Context;

pub(super) const RULE: Rule = Rule {
    id: "RG-015",
    title: "no age private key file in the tree",
    needs_keys: false,
    integrity: false,
    run,
};

/// A whole age identity: the prefix and 58 bech32 characters.
pub(crate) static AGE_IDENTITY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new("AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}").expect("static regex")
});

fn run(cx: &Context) -> Outcome {
    let files = match &cx.tree_files {
        Ok(files) => files,
        Err(message) => return Outcome::fail(format!("cannot list the tree's files: {message}")),
    };
    let found: Vec<String> = files
        .iter()
        .filter(|f| !cx.is_allowed(f))
        .filter(|f| {
            cx.read_small(f)
                .is_some_and(|bytes| AGE_IDENTITY.is_match(&bytes))
        })
        .map(|f| format!("{f} holds an age private key"))
        .collect();
    if found.is_empty() {
        Outcome::pass(format!(
            "none of {} file(s) holds an age private key",
            files.len()
        ))
    } else {
        Outcome::fail_with(
            format!(
                "{} file(s) hold an age private key: move the key to the vault and delete the file",
                found.len()
            ),
            found,
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testutil::*;

    #[test]
    fn passes_on_a_clean_tree() {
        assert_eq!(
            pass(&outcome(&Repo::new(), "RG-015")),
            "none of 5 file(s) holds an age private key"
        );
    }

    #[test]
    fn fails_on_a_key_file_even_when_ignored() {
        let repo = rotated(&Rotation::scheduled());
        let key = format!(
            "# created by age-keygen\n{}\n",
            repo.new_key.expose_identity()
        );
        repo.write("mcp-age-key.txt", &key);
        repo.write("ops/keys.txt", &key);
        let outcome = outcome(&repo, "RG-015");
        assert_eq!(
            fail(&outcome),
            "2 file(s) hold an age private key: move the key to the vault and delete the file"
        );
        assert_eq!(
            outcome.details,
            [
                "mcp-age-key.txt holds an age private key",
                "ops/keys.txt holds an age private key"
            ]
        );
        let allowed = outcome_with(&repo, "RG-015", |o| {
            o.allow = vec!["ops/".into(), "/mcp-age-key.txt".into()];
        });
        pass(&allowed);
    }

    #[test]
    fn a_mention_of_the_prefix_is_not_a_key() {
        let repo = Repo::new();
        repo.write(
            "docs/runbook.md",
            "Store the AGE-SECRET-KEY-1... block in the vault.\n",
        );
        pass(&outcome(&repo, "RG-015"));
    }
}
