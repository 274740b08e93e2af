//! BUNDLE-001: the bundle is a SOPS file with a MAC and age recipients.
//!
//! A bundle without `sops` metadata is plaintext in the repository; one without a MAC can be
//! edited undetected; one without age recipients cannot be opened by the runbook's keys.
//! When the policy does not require a bundle and there is none, the check is skipped.

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at};
use crate::bundle::{self, BundleState};
use crate::context::Context;

pub(super) const CONTROL: Control = Control {
    id: "BUNDLE-001",
    title: "Bundle is SOPS-encrypted with a MAC and age recipients",
    severity: Severity::Critical,
    run,
};

fn run(cx: &Context) -> Outcome {
    let path = &cx.policy.bundle.path;
    let fail =
        |note: String, line: Option<usize>| Outcome::fail(note.clone(), vec![at(path, line, note)]);
    match cx.bundle() {
        BundleState::Absent if cx.policy.bundle.required => fail(
            format!("{path} is missing (the policy requires a bundle)"),
            None,
        ),
        BundleState::Absent => {
            Outcome::skip(format!("no bundle at {path} (not required by the policy)"))
        }
        BundleState::NotSops => fail(
            format!("{path} has no sops metadata: the bundle is stored in plaintext"),
            Some(1),
        ),
        BundleState::Unreadable(message) => fail(
            format!("{path} cannot be read as a SOPS file: {message}"),
            None,
        ),
        BundleState::Present(view) => {
            let sops_line = bundle::line_of(&view.text, ["sops"]);
            if view.mac.is_empty() {
                fail(
                    format!("{path} has no MAC: values can be changed undetected"),
                    sops_line,
                )
            } else if view.recipients.is_empty() {
                fail(format!("{path} has no age recipients"), sops_line)
            } else {
                Outcome::pass(format!(
                    "{path} is a SOPS file with a MAC and {} age recipient(s) in {} key group(s)",
                    view.recipients.len(),
                    view.group_count
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use bundle_core::ops::report::Status;

    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass};

    use bundle_core::ops::mcp::BUNDLE_PATH as BUNDLE;

    #[test]
    fn passes_on_a_sops_bundle() {
        let message = assert_pass(&Repo::compliant().run("BUNDLE-001")).to_owned();
        assert_eq!(
            message,
            format!("{BUNDLE} is a SOPS file with a MAC and 1 age recipient(s) in 1 key group(s)")
        );
    }

    #[test]
    fn fails_on_a_plaintext_bundle() {
        let repo = Repo::compliant();
        repo.write(BUNDLE, "MCP_SECRETS_VERSION: 3\nMCP_API_TOKEN: plain\n");
        let outcome = repo.run("BUNDLE-001");
        assert_fail_at(&outcome, BUNDLE, Some(1));
        assert!(
            outcome.message.contains("stored in plaintext"),
            "{}",
            outcome.message
        );
    }

    #[test]
    fn fails_without_a_mac() {
        let repo = Repo::compliant();
        let text = repo.read(BUNDLE);
        let mac_line = text
            .lines()
            .find(|l| l.trim_start().starts_with("mac: ENC["))
            .unwrap()
            .to_owned();
        repo.edit(BUNDLE, &mac_line, "    mac: \"\"");
        let outcome = repo.run("BUNDLE-001");
        assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
        assert!(
            outcome.message.contains("MAC") || outcome.message.contains("mac"),
            "{}",
            outcome.message
        );
    }

    #[test]
    fn missing_bundle_fails_only_when_required() {
        let mut repo = Repo::compliant();
        repo.remove(BUNDLE);
        assert_fail_at(&repo.run("BUNDLE-001"), BUNDLE, None);
        repo.policy.bundle.required = false;
        assert_eq!(repo.run("BUNDLE-001").status, Status::Skip);
    }
}
