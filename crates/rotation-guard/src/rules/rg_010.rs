//! RG-010: the evidence records this rotation, with the fields its kind requires.
//!
//! The OPS-302 execution log (bundle-core's `evidence` format, written by evidence-writer)
//! must hold a scheduled or emergency entry whose `version_to` is the new version and whose
//! `version_from` is the base's. Field rules come from bundle-core, so the writer and this
//! reader apply the same ones; the emergency-only ones (incident, two people) are RG-011's.

use bundle_core::ops::evidence::{FieldError, Kind, LOG_FILE};

use super::{Outcome, Rule, unless_rotation};
use crate::check::Context;

pub(super) const RULE: Rule = Rule {
    id: "RG-010",
    title: "the evidence has a valid entry for the new version",
    needs_keys: false,
    integrity: false,
    run,
};

/// Field errors that RG-011 reports for an emergency entry.
pub(super) fn is_emergency_field(kind: Kind, error: &FieldError) -> bool {
    kind == Kind::Emergency
        && matches!(
            error,
            FieldError::MissingIncident { .. }
                | FieldError::InvalidIncident { .. }
                | FieldError::TooFewResponsible { .. }
        )
}

fn run(cx: &Context) -> Outcome {
    if let Some(skip) = unless_rotation(cx) {
        return skip;
    }
    let log = match &cx.evidence {
        Ok(log) => log,
        Err(message) => return Outcome::fail(format!("cannot read the evidence log: {message}")),
    };
    let Ok(version) = cx.new_version() else {
        return Outcome::skip("needs an integer MCP_SECRETS_VERSION (see RG-001)");
    };
    let Some(entry) = log.entry_for_version(version) else {
        let rel = cx
            .evidence_dir
            .strip_prefix(&cx.repo)
            .unwrap_or(&cx.evidence_dir)
            .display()
            .to_string();
        return Outcome::fail_with(
            format!(
                "no scheduled or emergency rotation to version {version} is recorded in {rel}/{LOG_FILE}"
            ),
            vec!["hint: record it with evidence-writer before merging".to_owned()],
        );
    };
    let e = &entry.execution;
    if let Err(error) = e.check_fields()
        && !is_emergency_field(e.kind, &error)
    {
        return Outcome::fail(format!("entry `{}` is invalid: {error}", e.id));
    }
    if let Ok(base) = cx.base_version()
        && e.version_from != Some(base)
    {
        let from = e
            .version_from
            .map_or_else(|| "no version".to_owned(), |v| v.to_string());
        return Outcome::fail(format!(
            "entry `{}` records a rotation from {from}, but the base bundle is version {base}",
            e.id
        ));
    }
    Outcome::pass(format!(
        "entry `{}` ({}) by {}",
        e.id,
        e.kind,
        e.responsible.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use crate::rules::testutil::*;

    #[test]
    fn passes_with_an_entry() {
        assert_eq!(
            pass(&outcome(&rotated(&Rotation::scheduled()), "RG-010")),
            "entry `scheduled-v5` (scheduled) by ana"
        );
    }

    #[test]
    fn fails_without_an_entry() {
        let repo = rotated(&Rotation {
            record: false,
            ..Rotation::scheduled()
        });
        assert_eq!(
            fail(&outcome(&repo, "RG-010")),
            "no scheduled or emergency rotation to version 5 is recorded in docs/evidence/TASK-OPS-302/executions.jsonl"
        );
    }

    #[test]
    fn fails_on_an_invalid_entry() {
        let repo = rotated(&Rotation {
            responsible: vec![],
            ..Rotation::scheduled()
        });
        let outcome = outcome(&repo, "RG-010");
        // The field rule's wording belongs to bundle-core's evidence module.
        assert!(
            fail(&outcome).starts_with("entry `scheduled-v5` is invalid: "),
            "{outcome:?}"
        );
        assert!(outcome.message.contains("responsible"), "{outcome:?}");
    }
}
