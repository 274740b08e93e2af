//! DOC-001: the runbooks the policy requires exist, are not empty and have their headings, and
//! the playbook's lessons learned cover the incidents the evidence log closed.
//!
//! The `ops_compliance` job "requires the final runbooks": a missing or gutted runbook must
//! fail before anyone needs it during an incident. The audit runbook asks that the playbook
//! holds "as lições aprendidas mais recentes", and the playbook gives the post-incident review
//! five working days: so every incident an emergency rotation in the log closed more than
//! [`LESSONS_GRACE_DAYS`] days ago must have a row naming it in the table under the
//! "Lições aprendidas" heading of a required document (issue 12).

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at};
use bundle_core::ops::evidence::Kind;

use crate::context::{Context, ReadError};
use crate::markdown;

/// Days after an emergency rotation before its lessons-learned row is required (five working
/// days, as the playbook's post-incident review allows).
pub(crate) const LESSONS_GRACE_DAYS: i64 = 7;

/// The heading of the lessons-learned table.
const LESSONS_HEADING: &str = "lições aprendidas";

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
    findings.extend(missing_lessons(cx));
    Outcome::from_findings(
        findings,
        format!(
            "{} required documents present with their headings",
            required.len()
        ),
    )
}

/// Incidents closed by an emergency rotation more than the grace period ago that no row of a
/// lessons-learned table names. Without a readable log there is nothing to require here
/// (DOC-004 reports the log itself).
fn missing_lessons(cx: &Context) -> Vec<bundle_core::ops::report::Location> {
    let dir = cx.policy.documents.evidence_dir.trim_end_matches('/');
    let Ok(log) = cx.evidence_log() else {
        return Vec::new();
    };
    let due = cx.now.plus_seconds(-LESSONS_GRACE_DAYS * 86_400);
    let closed: Vec<(&str, String)> = log
        .entries()
        .iter()
        .map(|e| &e.execution)
        .filter(|e| e.kind == Kind::Emergency && e.recorded_at <= due)
        .filter_map(|e| e.incident.as_deref().map(|i| (i, e.id.clone())))
        .collect();
    if closed.is_empty() {
        return Vec::new();
    }
    let mut tables = Vec::new();
    for doc in &cx.policy.documents.required {
        if let Ok(Some(text)) = cx.read(&doc.path)
            && let Some((line, rows)) = markdown::table_under(&text, LESSONS_HEADING)
        {
            tables.push((doc.path.as_str(), line, rows));
        }
    }
    let mut findings = Vec::new();
    for (incident, entry) in closed {
        let named = tables
            .iter()
            .flat_map(|(_, _, rows)| rows)
            .any(|(_, cells)| cells.iter().any(|c| c.contains(incident)));
        if !named {
            let (file, line) = tables
                .first()
                .map_or((dir, None), |(path, line, _)| (*path, Some(*line)));
            findings.push(at(
                file,
                line,
                format!(
                    "incident {incident} (closed by `{entry}`) has no row in the lessons learned (\"Lições aprendidas\")"
                ),
            ));
        }
    }
    findings
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

    /// Appends an emergency rotation of `incident`, `days_ago` days before the tests' "now".
    fn record_emergency(repo: &Repo, incident: &str, days_ago: i64) {
        use bundle_core::ops::evidence::{EvidenceLog, Execution, Kind, LOG_FILE};
        let dir = repo.root().join("docs/evidence/TASK-OPS-302");
        let mut log = EvidenceLog::load(&dir).unwrap();
        let at = crate::controls::testkit::now().plus_seconds(-days_ago * 86_400);
        let mut e = Execution::new(Kind::Emergency, at);
        e.reason = Some("token vazado".into());
        e.responsible = vec!["Ana".into(), "Bruno".into()];
        e.incident = Some(incident.into());
        e.version_from = Some(3);
        e.version_to = Some(4);
        e.id = e.stable_id();
        log.append(e);
        fs_err::write(dir.join(LOG_FILE), log.to_jsonl()).unwrap();
    }

    #[test]
    fn a_closed_incident_needs_its_lessons_learned_row() {
        let repo = Repo::compliant();
        record_emergency(&repo, "INC-2026-009", 10);
        let outcome = repo.run("DOC-001");
        assert_fail_at(
            &outcome,
            PLAYBOOK,
            crate::controls::testkit::line_of(&repo, PLAYBOOK, "## Lições aprendidas"),
        );
        assert_eq!(
            outcome.message,
            "incident INC-2026-009 (closed by `emergency-v4`) has no row in the lessons learned (\"Lições aprendidas\")"
        );
        repo.edit(
            PLAYBOOK,
            "## Lições aprendidas\nTexto.\n",
            "## Lições aprendidas\n\n| Data | Incidente | Lição |\n| --- | --- | --- |\n| 2026-11-20 | INC-2026-009 | rotacionar também o token do webhook |\n",
        );
        assert_pass(&repo.run("DOC-001"));
    }

    #[test]
    fn a_recent_incident_is_within_the_review_period() {
        let repo = Repo::compliant();
        record_emergency(&repo, "INC-2026-010", 2);
        assert_pass(&repo.run("DOC-001"));
    }
}
