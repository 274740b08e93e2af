//! DOC-004: the evidence records the activation of the bundle's current version.
//!
//! Every rotation increments `MCP_SECRETS_VERSION` and records the activation; a bundle whose
//! version has no activation was changed without the audit trail. The check reads the
//! execution log (`executions.jsonl`) through bundle-core's [`EvidenceLog`](bundle_core::ops::evidence::EvidenceLog): the log is the
//! source `runbooks-activation.md` is rendered from, and a rotation entry (scheduled or
//! emergency) whose `version_to` is the bundle's version is the activation. A plan or a line
//! of prose naming the version is not. The messages keep naming `runbooks-activation.md`, the
//! file people read (and the report's wording did not change, issue 10); it must exist.
//! Skipped while there is no bundle, or its version cannot be read (BUNDLE-004 reports that).

use bundle_core::ops::evidence::{EvidenceError, LOG_FILE};
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

/// The versions named in an activation markdown, ascending and unique (the report's
/// inventory lists them; this check reads the execution log instead).
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
    if !cx.exists(&path) {
        let note = format!("{path} is missing");
        return Outcome::fail(note.clone(), vec![at(&path, None, note)]);
    }
    let dir = cx.policy.documents.evidence_dir.trim_end_matches('/');
    let log = match cx.evidence_log() {
        Ok(log) => log,
        Err(e) => return Outcome::fail(unreadable(&format!("{dir}/{LOG_FILE}"), &e), vec![]),
    };
    let activated = u64::try_from(version)
        .ok()
        .and_then(|v| log.entry_for_version(v))
        .is_some();
    if activated {
        Outcome::pass(format!("{path} has an entry for version {version}"))
    } else {
        let note = format!(
            "{path} has no entry for {} {version}",
            cx.policy.bundle.version_key
        );
        Outcome::fail(note.clone(), vec![at(&path, None, note)])
    }
}

/// Why the log could not be read, naming it by its repository path (reports are the same
/// bytes wherever the repository is checked out).
fn unreadable(log: &str, error: &EvidenceError) -> String {
    match error {
        EvidenceError::Malformed { line, message, .. } => {
            format!("cannot read {log}: line {line} is not a valid evidence entry: {message}")
        }
        EvidenceError::UnsupportedSchema { line, found, .. } => {
            format!("cannot read {log}: line {line} has schema_version {found}")
        }
        other => format!("cannot read {log}: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use bundle_core::ops::report::Status;

    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass};

    const LOG: &str = "docs/evidence/TASK-OPS-302/runbooks-activation.md";
    const JSONL: &str = "docs/evidence/TASK-OPS-302/executions.jsonl";

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
        // The log, not the markdown, is what the check reads (issue 10).
        repo.edit(JSONL, "\"version_to\":3", "\"version_to\":2");
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

    /// Issue 10: the activation is read from the execution log, the markdown's source.
    #[test]
    fn reads_the_execution_log_not_the_markdown() {
        let repo = Repo::compliant();
        repo.edit(LOG, "v2 → v3", "v1 → v2");
        assert_pass(&repo.run("DOC-004"));
        repo.remove(JSONL);
        assert_eq!(
            repo.run("DOC-004").message,
            format!("{LOG} has no entry for MCP_SECRETS_VERSION 3")
        );
    }

    #[test]
    fn a_plan_for_the_version_is_not_its_activation() {
        let repo = Repo::compliant();
        repo.edit(JSONL, "\"kind\":\"scheduled\"", "\"kind\":\"plan\"");
        assert_eq!(repo.run("DOC-004").status, Status::Fail);
    }

    #[test]
    fn fails_on_an_unreadable_log() {
        let repo = Repo::compliant();
        repo.write(JSONL, "{not json\n");
        let outcome = repo.run("DOC-004");
        assert_eq!(outcome.status, Status::Fail);
        assert!(
            outcome.message.starts_with(&format!(
                "cannot read {JSONL}: line 1 is not a valid evidence entry"
            )),
            "{}",
            outcome.message
        );
    }
}
