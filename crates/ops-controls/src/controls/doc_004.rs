//! DOC-004: `runbooks-activation.md` has an entry for the bundle's current version.
//!
//! Every rotation increments `MCP_SECRETS_VERSION` and records the activation; a bundle whose
//! version has no entry was changed without the audit trail. Versions are found with the
//! policy's `activation_entry_pattern` (`v3 → v4`, `versão 4`, `MCP_SECRETS_VERSION=4`).
//! Skipped while there is no bundle, or its version cannot be read (BUNDLE-004 reports that).

use bundle_core::ops::report::Severity;
use regex::Regex;

use super::{Control, Outcome, at};
use crate::bundle::Version;
use crate::context::Context;

pub(super) const CONTROL: Control = Control {
    id: "DOC-004",
    title: "Activation log has an entry for the current version",
    severity: Severity::High,
    run,
};

/// The versions named in an activation log, ascending and unique.
pub(crate) fn versions(text: &str, pattern: &str) -> Vec<i64> {
    let Ok(re) = Regex::new(pattern) else {
        return Vec::new();
    };
    let mut found: Vec<i64> = re
        .captures_iter(text)
        .filter_map(|c| c.name("v").or_else(|| c.get(1)))
        .filter_map(|m| m.as_str().parse().ok())
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

/// The activation log's path.
pub(crate) fn log_path(cx: &Context) -> String {
    format!(
        "{}/runbooks-activation.md",
        cx.policy.documents.evidence_dir.trim_end_matches('/')
    )
}

fn run(cx: &Context) -> Outcome {
    let Some(bundle) = cx.bundle().view() else {
        return Outcome::skip(format!(
            "no readable SOPS bundle at {} (see BUNDLE-001)",
            cx.policy.bundle.path
        ));
    };
    let Version::Int(version) = bundle.version else {
        return Outcome::skip(format!(
            "{} is not a plaintext integer (see BUNDLE-004)",
            cx.policy.bundle.version_key
        ));
    };
    let path = log_path(cx);
    let text = match cx.read(&path) {
        Ok(Some(text)) => text,
        Ok(None) => {
            let note = format!("{path} is missing");
            return Outcome::fail(note.clone(), vec![at(&path, None, note)]);
        }
        Err(e) => return Outcome::fail(format!("cannot read {path}: {}", e.0), vec![]),
    };
    if versions(&text, &cx.policy.documents.activation_entry_pattern).contains(&version) {
        Outcome::pass(format!("{path} has an entry for version {version}"))
    } else {
        let note = format!(
            "{path} has no entry for {} {version}",
            cx.policy.bundle.version_key
        );
        Outcome::fail(note.clone(), vec![at(&path, None, note)])
    }
}

#[cfg(test)]
mod tests {
    use bundle_core::ops::report::Status;

    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass};

    const LOG: &str = "docs/evidence/TASK-OPS-302/runbooks-activation.md";

    #[test]
    fn passes_with_an_entry_for_the_version() {
        assert_eq!(
            assert_pass(&Repo::compliant().run("DOC-004")),
            format!("{LOG} has an entry for version 3")
        );
    }

    #[test]
    fn fails_without_an_entry_for_the_version() {
        let repo = Repo::compliant();
        repo.edit(LOG, "v2 → v3", "v1 → v2");
        let outcome = repo.run("DOC-004");
        assert_fail_at(&outcome, LOG, None);
        assert_eq!(
            outcome.message,
            format!("{LOG} has no entry for MCP_SECRETS_VERSION 3")
        );
        repo.remove(LOG);
        assert_eq!(repo.run("DOC-004").message, format!("{LOG} is missing"));
    }

    #[test]
    fn skips_without_a_bundle_or_integer_version() {
        let repo = Repo::compliant();
        repo.use_bundle("version-string.enc.yaml");
        assert_eq!(repo.run("DOC-004").status, Status::Skip);
        repo.remove("config/secrets.enc.yaml");
        assert_eq!(repo.run("DOC-004").status, Status::Skip);
    }
}
