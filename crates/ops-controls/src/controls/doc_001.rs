//! DOC-001: the runbooks the policy requires exist, are not empty and have their headings.
//!
//! The `ops_compliance` job "requires the final runbooks": a missing or gutted runbook must
//! fail before anyone needs it during an incident.

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at};
use crate::context::{Context, ReadError};
use crate::markdown;

pub(super) const CONTROL: Control = Control {
    id: "DOC-001",
    title: "Required runbooks exist with their headings",
    severity: Severity::High,
    run,
};

fn run(cx: &Context) -> Outcome {
    let mut findings = Vec::new();
    let required = &cx.policy.documents.required;
    for doc in required {
        let text = match cx.read(&doc.path) {
            Ok(Some(text)) => text,
            Ok(None) => {
                findings.push(at(&doc.path, None, format!("{} is missing", doc.path)));
                continue;
            }
            Err(ReadError(e)) => {
                findings.push(at(
                    &doc.path,
                    None,
                    format!("cannot read {}: {e}", doc.path),
                ));
                continue;
            }
        };
        if text.trim().is_empty() {
            findings.push(at(&doc.path, None, format!("{} is empty", doc.path)));
            continue;
        }
        let headings = markdown::headings(&text);
        for wanted in &doc.headings {
            let lower = wanted.to_lowercase();
            if !headings
                .iter()
                .any(|h| h.text.to_lowercase().contains(&lower))
            {
                findings.push(at(
                    &doc.path,
                    None,
                    format!("{} has no heading `{wanted}`", doc.path),
                ));
            }
        }
    }
    Outcome::from_findings(
        findings,
        format!(
            "{} required documents present with their headings",
            required.len()
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass};

    const PLAYBOOK: &str = "docs/ops/runbooks/secrets-incident-playbook.md";

    #[test]
    fn passes_with_every_document_and_heading() {
        let repo = Repo::compliant();
        assert_eq!(
            assert_pass(&repo.run("DOC-001")),
            "4 required documents present with their headings"
        );
    }

    #[test]
    fn fails_on_a_missing_document() {
        let repo = Repo::compliant();
        repo.remove(PLAYBOOK);
        let outcome = repo.run("DOC-001");
        assert_fail_at(&outcome, PLAYBOOK, None);
        assert_eq!(outcome.message, format!("{PLAYBOOK} is missing"));
    }

    #[test]
    fn fails_on_an_empty_document_or_a_missing_heading() {
        let repo = Repo::compliant();
        repo.write(PLAYBOOK, "\n  \n");
        assert_eq!(repo.run("DOC-001").message, format!("{PLAYBOOK} is empty"));
        repo.write(
            PLAYBOOK,
            "# Playbook\n## Severidade\n## Contenção\n## Comunicação\n",
        );
        let outcome = repo.run("DOC-001");
        assert_eq!(
            outcome.message,
            format!("{PLAYBOOK} has no heading `Lições aprendidas`")
        );
    }
}
