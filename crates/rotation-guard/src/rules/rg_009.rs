//! RG-009: only the MCP header is in the clear; every other value is encrypted.
//!
//! One `unencrypted_regex` keeps the header readable; a widened regex (or a key that happens
//! to match it, or an `_unencrypted` suffix) would store a secret in plain text in git.
//! Empty strings and nulls are never encrypted by sops and are not counted.

use bundle_core::Scalar;

use super::{Outcome, Rule};
use crate::check::{Context, HEADER_KEYS};

pub(super) const RULE: Rule = Rule {
    id: "RG-009",
    title: "only the MCP header is stored in the clear",
    needs_keys: false,
    integrity: false,
    run,
};

fn run(cx: &Context) -> Outcome {
    let leaves = cx.new.leaves();
    let clear: Vec<String> = leaves
        .iter()
        .filter(|l| !l.encrypted)
        .filter(|l| !HEADER_KEYS.iter().any(|k| l.path.is_top_level(k)))
        .filter(|l| !matches!(&l.plaintext, Some(Scalar::Str(t)) if t.is_empty()))
        .map(|l| l.path.dotted())
        .collect();
    if clear.is_empty() {
        let encrypted = leaves.iter().filter(|l| l.encrypted).count();
        Outcome::pass(format!(
            "{encrypted} value(s) encrypted; only the MCP header is in the clear"
        ))
    } else {
        Outcome::fail_with(
            format!(
                "{} value(s) outside the MCP header are stored in the clear",
                clear.len()
            ),
            clear,
        )
    }
}

#[cfg(test)]
mod tests {
    use bundle_core::Format;
    use bundle_core::scope::ScopeRule;
    use bundle_core::sops::{EncryptSettings, encrypt_plaintext};
    use bundle_core::store::EmitOptions;

    use crate::rules::testutil::*;

    #[test]
    fn passes_on_the_convention() {
        assert_eq!(
            pass(&outcome(&rotated(&Rotation::scheduled()), "RG-009")),
            "5 value(s) encrypted; only the MCP header is in the clear"
        );
    }

    #[test]
    fn fails_when_the_regex_leaves_a_secret_in_the_clear() {
        let repo = Repo::new();
        let settings = EncryptSettings {
            scope: Some(
                ScopeRule::from_field("unencrypted_regex", "^(MCP_SECRETS_VERSION|password)$")
                    .unwrap(),
            ),
            ..EncryptSettings::for_recipients(vec![repo.old_key.recipient()])
        };
        let plain =
            "MCP_SECRETS_VERSION: 4\ndb:\n    password: not-a-real-secret-1\n    user: app\n";
        let file = encrypt_plaintext(
            &repo.path(BUNDLE),
            Format::Yaml,
            plain.as_bytes(),
            &settings,
            T0,
        )
        .unwrap();
        file.write(&repo.path(BUNDLE), EmitOptions::default())
            .unwrap();
        let outcome = outcome(&repo, "RG-009");
        assert_eq!(
            fail(&outcome),
            "1 value(s) outside the MCP header are stored in the clear"
        );
        assert_eq!(outcome.details, ["db.password"]);
    }
}
