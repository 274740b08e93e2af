//! RG-012: the reports attached to the rotation's entry are present, unchanged.
//!
//! The runbook asks for the ops-controls (and, in an emergency, gitleaks) reports to be
//! attached to the evidence. The entry records each file's sha256; a missing file, a path
//! leaving the evidence directory, or different bytes mean the evidence does not hold what
//! was recorded. An entry attaching nothing fails too.

use super::{Outcome, Rule, unless_rotation};
use crate::check::Context;

pub(super) const RULE: Rule = Rule {
    id: "RG-012",
    title: "the entry's attached reports exist with matching hashes",
    needs_keys: false,
    integrity: false,
    run,
};

fn run(cx: &Context) -> Outcome {
    if let Some(skip) = unless_rotation(cx) {
        return skip;
    }
    let (Some(entry), Ok(log), Ok(version)) = (cx.entry(), &cx.evidence, cx.new_version()) else {
        return Outcome::skip("no evidence entry for the new version (see RG-010)");
    };
    let e = &entry.execution;
    if e.artifacts.is_empty() {
        return Outcome::fail(format!(
            "entry `{}` attaches no report (the runbook attaches ops-controls-report.json, and gitleaks' report in an emergency)",
            e.id
        ));
    }
    let problems: Vec<String> = log
        .check_rotation(&cx.evidence_dir, version)
        .iter()
        .filter(|p| p.code().starts_with("artifact."))
        .map(ToString::to_string)
        .collect();
    if problems.is_empty() {
        let names: Vec<&str> = e
            .artifacts
            .iter()
            .map(bundle_core::ops::evidence::Artifact::file_name)
            .collect();
        Outcome::pass(format!(
            "{} report(s) match their recorded sha256: {}",
            names.len(),
            names.join(", ")
        ))
    } else {
        Outcome::fail_with(
            format!(
                "the reports attached to entry `{}` do not match the evidence",
                e.id
            ),
            problems,
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testutil::*;

    #[test]
    fn passes_with_the_report_in_place() {
        assert_eq!(
            pass(&outcome(&rotated(&Rotation::scheduled()), "RG-012")),
            "1 report(s) match their recorded sha256: ops-controls-report.json"
        );
    }

    #[test]
    fn fails_on_a_replaced_report() {
        let repo = rotated(&Rotation::scheduled());
        repo.write(
            &format!("{EVIDENCE}/artifacts/scheduled-v5/ops-controls-report.json"),
            "{}\n",
        );
        let outcome = outcome(&repo, "RG-012");
        assert_eq!(
            fail(&outcome),
            "the reports attached to entry `scheduled-v5` do not match the evidence"
        );
        assert_eq!(outcome.details.len(), 1);
        assert!(outcome.details[0].starts_with("artifact `artifacts/scheduled-v5/ops-controls-report.json` of entry `scheduled-v5` was replaced"));
    }

    #[test]
    fn fails_without_reports() {
        let repo = rotated(&Rotation {
            attach_report: false,
            ..Rotation::scheduled()
        });
        assert!(
            fail(&outcome(&repo, "RG-012")).starts_with("entry `scheduled-v5` attaches no report")
        );
    }
}
