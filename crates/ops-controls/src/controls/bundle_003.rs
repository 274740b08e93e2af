//! BUNDLE-003: `mac_only_encrypted` is not set.
//!
//! With `mac_only_encrypted: true` the MAC covers only the encrypted values, so the plaintext
//! header (`MCP_SECRETS_VERSION`, the rotation reason) could be edited without detection.

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at, with_bundle};
use crate::context::Context;

pub(super) const CONTROL: Control = Control {
    id: "BUNDLE-003",
    title: "mac_only_encrypted is not set",
    severity: Severity::High,
    run,
};

fn run(cx: &Context) -> Outcome {
    with_bundle(cx, |view| {
        if view.mac_only_encrypted {
            let line = view
                .text
                .lines()
                .position(|l| l.contains("mac_only_encrypted"))
                .map(|i| i + 1);
            let note = format!(
                "{} sets mac_only_encrypted: its plaintext header is not covered by the MAC",
                view.path
            );
            Outcome::fail(note.clone(), vec![at(&view.path, line, note)])
        } else {
            Outcome::pass("the MAC covers every value, plaintext header included")
        }
    })
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass, line_of};

    #[test]
    fn passes_without_the_flag() {
        assert_pass(&Repo::compliant().run("BUNDLE-003"));
    }

    #[test]
    fn fails_with_the_flag() {
        let repo = Repo::compliant();
        repo.use_bundle("mac-only.enc.yaml");
        let line = line_of(&repo, "config/secrets.enc.yaml", "mac_only_encrypted");
        assert!(line.is_some());
        assert_fail_at(&repo.run("BUNDLE-003"), "config/secrets.enc.yaml", line);
    }
}
