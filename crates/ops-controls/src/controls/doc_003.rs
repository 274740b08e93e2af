//! DOC-003: the OPS-302 checklist in the evidence `README.md` has every item marked.
//!
//! The runbook keeps the checklist "marked" after every rotation and audit. Every task-list
//! item of the README counts. The checklist attests what was done to the bundle, so the
//! check is bundle-dependent: skipped while the repository has no bundle (no rotation has
//! happened yet, the evidence skeleton may be there unmarked); once a bundle exists the README
//! is required and must be fully marked.

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at};
use crate::bundle::BundleState;
use crate::context::Context;
use crate::markdown;

pub(super) const CONTROL: Control = Control {
    id: "DOC-003",
    title: "OPS-302 checklist is fully marked",
    severity: Severity::Medium,
    run,
};

fn run(cx: &Context) -> Outcome {
    let path = format!(
        "{}/README.md",
        cx.policy.documents.evidence_dir.trim_end_matches('/')
    );
    if matches!(cx.bundle(), BundleState::Absent) {
        return Outcome::skip(format!(
            "no bundle at {}: no rotation to attest yet",
            cx.policy.bundle.path
        ));
    }
    let text = match cx.read(&path) {
        Ok(Some(text)) => text,
        Ok(None) => {
            let note = format!("{path} is missing");
            return Outcome::fail(note.clone(), vec![at(&path, None, note)]);
        }
        Err(e) => return Outcome::fail(format!("cannot read {path}: {}", e.0), vec![]),
    };
    let tasks = markdown::tasks(&text);
    if tasks.is_empty() {
        let note = format!("{path} has no checklist items (`- [x] ...`)");
        return Outcome::fail(note.clone(), vec![at(&path, None, note)]);
    }
    let findings = tasks
        .iter()
        .filter(|t| !t.checked)
        .map(|t| {
            at(
                &path,
                Some(t.line),
                format!("checklist item not marked: {}", t.text),
            )
        })
        .collect();
    Outcome::from_findings(
        findings,
        format!("all {} checklist items are marked", tasks.len()),
    )
}

#[cfg(test)]
mod tests {
    use bundle_core::ops::report::Status;

    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass};

    const README: &str = "docs/evidence/TASK-OPS-302/README.md";

    #[test]
    fn passes_when_every_item_is_marked() {
        assert_eq!(
            assert_pass(&Repo::compliant().run("DOC-003")),
            "all 2 checklist items are marked"
        );
    }

    #[test]
    fn fails_on_an_unmarked_item() {
        let repo = Repo::compliant();
        repo.edit(
            README,
            "- [x] Rotação registrada",
            "- [ ] Rotação registrada",
        );
        let outcome = repo.run("DOC-003");
        assert_fail_at(&outcome, README, Some(5));
        assert_eq!(
            outcome.message,
            "checklist item not marked: Rotação registrada"
        );
    }

    #[test]
    fn missing_readme_fails_with_a_bundle() {
        let repo = Repo::compliant();
        repo.remove(README);
        assert_fail_at(&repo.run("DOC-003"), README, None);
    }

    #[test]
    fn skips_without_a_bundle_even_when_unmarked() {
        let repo = Repo::compliant();
        repo.edit(
            README,
            "- [x] Rotação registrada",
            "- [ ] Rotação registrada",
        );
        repo.remove("config/secrets.enc.yaml");
        let outcome = repo.run("DOC-003");
        assert_eq!(outcome.status, Status::Skip);
        assert_eq!(
            outcome.message,
            "no bundle at config/secrets.enc.yaml: no rotation to attest yet"
        );
    }
}
