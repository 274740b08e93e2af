//! BUNDLE-004: `MCP_SECRETS_VERSION` exists, is an integer and is readable without a key.
//!
//! Reviewers, CI and the activation log all key on this number; it must be a plaintext
//! integer (kept clear by the creation rule's `unencrypted_regex`, still covered by the MAC).

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at, with_bundle};
use crate::bundle::{self, Version};
use crate::context::Context;

pub(super) const CONTROL: Control = Control {
    id: "BUNDLE-004",
    title: "MCP_SECRETS_VERSION is a plaintext integer",
    severity: Severity::High,
    run,
};

fn run(cx: &Context) -> Outcome {
    with_bundle(cx, |view| {
        let key = &cx.policy.bundle.version_key;
        let line = bundle::line_of(&view.text, [key.as_str()]);
        let note = match &view.version {
            Version::Int(v) => return Outcome::pass(format!("{key} = {v}")),
            Version::Missing => format!("{} has no top-level {key}", view.path),
            Version::Encrypted => {
                format!(
                    "{key} is encrypted: it cannot be read without a key (add it to the creation rule's unencrypted_regex)"
                )
            }
            Version::NotInteger(scalar) => {
                format!("{key} is {}, not an integer", bundle::scalar_kind(scalar))
            }
        };
        Outcome::fail(note.clone(), vec![at(&view.path, line, note)])
    })
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass};

    use bundle_core::ops::mcp::BUNDLE_PATH as BUNDLE;

    #[test]
    fn passes_on_a_plaintext_integer() {
        assert_eq!(
            assert_pass(&Repo::compliant().run("BUNDLE-004")),
            "MCP_SECRETS_VERSION = 3"
        );
    }

    #[test]
    fn fails_on_a_string_version() {
        let repo = Repo::compliant();
        repo.use_bundle("version-string.enc.yaml");
        let outcome = repo.run("BUNDLE-004");
        assert_fail_at(&outcome, BUNDLE, Some(1));
        assert_eq!(
            outcome.message,
            "MCP_SECRETS_VERSION is a string, not an integer"
        );
    }

    #[test]
    fn fails_on_an_encrypted_version() {
        let repo = Repo::compliant();
        repo.use_bundle("version-encrypted.enc.yaml");
        let outcome = repo.run("BUNDLE-004");
        assert_fail_at(&outcome, BUNDLE, Some(1));
        assert!(
            outcome
                .message
                .starts_with("MCP_SECRETS_VERSION is encrypted"),
            "{}",
            outcome.message
        );
    }
}
