//! RG-003: a bundle whose version did not change has not changed at all.
//!
//! Any re-encryption, re-keying (`sops updatekeys`) or value edit is a rotation and must say
//! so through the version; otherwise it escapes every rotation rule. Compared: the encrypted
//! tree (values, keys, comments, order) and the whole `sops` metadata.

use super::{Outcome, Rule};
use crate::check::Context;

pub(super) const RULE: Rule = Rule {
    id: "RG-003",
    title: "without a version change the ciphertext is unchanged",
    needs_keys: false,
    integrity: false,
    run,
};

fn run(cx: &Context) -> Outcome {
    if cx.is_rotation() {
        return Outcome::skip("a rotation: MCP_SECRETS_VERSION changed");
    }
    let (base, new) = (cx.base.metadata(), cx.new.metadata());
    let mut changed = Vec::new();
    if cx.base.branches() != cx.new.branches() {
        changed.push("values, keys or comments".to_owned());
    }
    if base.key_groups != new.key_groups || base.shamir_threshold != new.shamir_threshold {
        changed.push("recipients or wrapped data keys".to_owned());
    }
    if base.lastmodified != new.lastmodified || base.mac != new.mac {
        changed.push("lastmodified / mac".to_owned());
    }
    if base.scope != new.scope
        || base.mac_only_encrypted != new.mac_only_encrypted
        || base.version != new.version
    {
        changed.push("encryption settings".to_owned());
    }
    if changed.is_empty() {
        Outcome::pass("not a rotation, and the bundle is unchanged")
    } else {
        Outcome::fail_with(
            "the bundle changed but MCP_SECRETS_VERSION did not: a re-encryption or re-keying is a rotation",
            changed
                .into_iter()
                .map(|c| format!("changed: {c}"))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use bundle_core::{Scalar, Value};

    use crate::rules::testutil::*;

    #[test]
    fn passes_when_nothing_changed() {
        assert_eq!(
            pass(&outcome(&Repo::new(), "RG-003")),
            "not a rotation, and the bundle is unchanged"
        );
    }

    #[test]
    fn fails_on_a_rekey_without_a_version_change() {
        let repo = rotated(&Rotation {
            version: Value::Scalar(Scalar::Int(4)),
            ..Rotation::scheduled()
        });
        let outcome = outcome(&repo, "RG-003");
        fail(&outcome);
        assert_eq!(
            outcome.details,
            [
                "changed: values, keys or comments",
                "changed: recipients or wrapped data keys",
                "changed: lastmodified / mac"
            ]
        );
    }

    #[test]
    fn skips_a_rotation() {
        skip(&outcome(&rotated(&Rotation::scheduled()), "RG-003"));
    }
}
