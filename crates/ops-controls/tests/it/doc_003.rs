//! DOC-003 on the fixture repositories (issue 12): the noncompliant fixture's latest
//! scheduled rotation did not run `rotation-guard scan-leaks`, so its checklist has no
//! `scan-leaks` item and DOC-003 fails; the same evidence passes under a policy that does
//! not require that item, and the compliant fixture (written before checklists) passes.
#![allow(clippy::unwrap_used)]

use bundle_core::ops::report::{CheckResult, Status};

const LOG: &str = "docs/evidence/TASK-OPS-302/executions.jsonl";

fn doc_003(dir: &std::path::Path) -> CheckResult {
    let mut options =
        ops_controls::Options::new(dir.to_owned(), crate::common::at(crate::common::NOW));
    options.only = vec!["DOC-003".to_owned()];
    let report = ops_controls::generate(&options).unwrap();
    report
        .checks
        .into_iter()
        .find(|c| c.id == "DOC-003")
        .unwrap()
}

#[test]
fn the_noncompliant_fixture_fails_doc_003_on_the_item_no_step_earned() {
    let dir = crate::common::repo("noncompliant");
    let check = doc_003(dir.path());
    assert_eq!(check.status, Status::Fail, "{check:?}");
    assert_eq!(
        check.message,
        "`scheduled-v2` (scheduled): item `scan-leaks` was not done by any step"
    );
    assert_eq!(check.locations.len(), 1, "{check:?}");
    assert_eq!(check.locations[0].file, LOG);
    assert_eq!(check.locations[0].line, Some(2));
}

#[test]
fn the_same_evidence_passes_when_the_policy_does_not_require_the_item() {
    let dir = crate::common::repo("noncompliant");
    let items: Vec<&str> =
        bundle_core::ops::evidence::default_required(bundle_core::ops::evidence::Kind::Scheduled)
            .iter()
            .copied()
            .filter(|i| *i != "scan-leaks")
            .collect();
    let policy = fs_err::read_to_string(dir.path().join("config/ops-controls.yaml")).unwrap();
    crate::common::write(
        dir.path(),
        "config/ops-controls.yaml",
        &format!(
            "{policy}documents:\n  checklist_required:\n    scheduled: [{}]\n",
            items.join(", ")
        ),
    );
    let check = doc_003(dir.path());
    assert_eq!(check.status, Status::Pass, "{check:?}");
    assert_eq!(
        check.message,
        "scheduled: `scheduled-v2` earned 6; emergency: none yet; audit: none yet"
    );
}

#[test]
fn a_proof_file_changed_after_the_fact_fails_it_too() {
    let dir = crate::common::repo("noncompliant");
    crate::common::write(
        dir.path(),
        "docs/evidence/TASK-OPS-302/artifacts/scheduled-v2/gitleaks-post-rotation.json",
        "[{\"RuleID\":\"edited\"}]\n",
    );
    let check = doc_003(dir.path());
    assert_eq!(check.status, Status::Fail);
    assert_eq!(check.locations.len(), 2, "{check:?}");
    assert!(
        check.locations.iter().any(|f| f.note.as_deref().unwrap_or_default().ends_with(
            "item `gitleaks`: artifacts/scheduled-v2/gitleaks-post-rotation.json does not have the recorded sha256"
        )),
        "{check:?}"
    );
}

#[test]
fn the_compliant_fixture_passes_doc_003() {
    let dir = crate::common::repo("compliant");
    assert_eq!(doc_003(dir.path()).status, Status::Pass);
}
