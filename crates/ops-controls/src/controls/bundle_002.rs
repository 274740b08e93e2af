//! BUNDLE-002: every value is `ENC[...]` except the policy's plaintext header keys.
//!
//! The creation rule's `unencrypted_regex` is meant to keep only the MCP header readable;
//! a broader regex (or a `_unencrypted` suffix) silently leaves secrets in the clear. Empty
//! values are never encrypted by sops and hold nothing, so they are not findings.

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at, with_bundle};
use crate::bundle;
use crate::context::Context;

pub(super) const CONTROL: Control = Control {
    id: "BUNDLE-002",
    title: "Only allowlisted header keys are stored in plaintext",
    severity: Severity::Critical,
    run,
};

fn run(cx: &Context) -> Outcome {
    with_bundle(cx, |view| {
        let allow = &cx.policy.bundle.plaintext_allowlist;
        let findings = view
            .leaves
            .iter()
            .filter(|l| !l.encrypted && !l.empty)
            .filter(|l| !allow.iter().any(|k| l.path.is_top_level(k)))
            .map(|l| {
                at(
                    &view.path,
                    bundle::line_of(&view.text, l.path.keys_only()),
                    format!("`{}` is stored in plaintext", l.display()),
                )
            })
            .collect();
        let encrypted = view.leaves.iter().filter(|l| l.encrypted).count();
        Outcome::from_findings(
            findings,
            format!("{encrypted} values encrypted; plaintext only in allowlisted header keys"),
        )
    })
}

#[cfg(test)]
mod tests {
    use bundle_core::ops::report::Status;

    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass};

    #[test]
    fn passes_when_only_the_header_is_plaintext() {
        assert_eq!(
            assert_pass(&Repo::compliant().run("BUNDLE-002")),
            "4 values encrypted; plaintext only in allowlisted header keys"
        );
    }

    #[test]
    fn fails_on_a_secret_left_in_plaintext() {
        let repo = Repo::compliant();
        repo.use_bundle("plaintext-extra.enc.yaml");
        let outcome = repo.run("BUNDLE-002");
        assert_fail_at(&outcome, "config/secrets.enc.yaml", Some(11));
        assert_eq!(outcome.message, "`DEBUG_TOKEN` is stored in plaintext");
    }

    #[test]
    fn skips_without_a_bundle() {
        let repo = Repo::compliant();
        repo.remove("config/secrets.enc.yaml");
        assert_eq!(repo.run("BUNDLE-002").status, Status::Skip);
    }
}
