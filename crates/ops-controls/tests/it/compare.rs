//! `--compare`: each kind of regression is found, and a recorded rotation is not one.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use bundle_core::ops::report::{Regression, RegressionKind};
use ops_controls::compare::compare;

const CI: &str = ".github/workflows/ci.yml";
const LOG: &str = "docs/evidence/TASK-OPS-302/runbooks-activation.md";

/// The regressions after `change` is applied to the compliant fixture.
fn regressions(before: impl FnOnce(&Path), change: impl FnOnce(&Path)) -> Vec<Regression> {
    let dir = crate::common::repo("compliant");
    before(dir.path());
    let previous = crate::common::report(dir.path());
    change(dir.path());
    let current = crate::common::report(dir.path());
    compare(&previous, &current).regressions
}

fn kinds(regressions: &[Regression]) -> Vec<RegressionKind> {
    regressions.iter().map(|r| r.kind).collect()
}

#[test]
fn no_change_no_regression() {
    assert!(regressions(|_| {}, |_| {}).is_empty());
}

#[test]
fn permission_raised() {
    let found = regressions(
        |_| {},
        |d| {
            crate::common::edit(
                d,
                CI,
                "  lint:\n    runs-on: ubuntu-latest\n",
                "  lint:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: write\n",
            );
        },
    );
    // WF-004 (write scope not allowed by the policy) also goes from pass to fail.
    assert_eq!(
        kinds(&found),
        [
            RegressionKind::PermissionRaised,
            RegressionKind::CheckRegressed
        ]
    );
    assert_eq!(found[1].subject, "WF-004");
    assert_eq!(found[0].subject, ".github/workflows/ci.yml#lint:contents");
    assert_eq!(
        found[0].message,
        "job `lint` in .github/workflows/ci.yml: `contents` raised from read to write"
    );
}

#[test]
fn new_write_scope() {
    let found = regressions(
        |_| {},
        |d| {
            crate::common::edit(
                d,
                CI,
                "  lint:\n",
                "  label:\n    runs-on: x\n    permissions:\n      issues: write\n    steps:\n      - run: echo\n  lint:\n",
            );
        },
    );
    assert_eq!(
        kinds(&found),
        [
            RegressionKind::NewWriteScope,
            RegressionKind::CheckRegressed
        ]
    );
    assert_eq!(found[0].subject, ".github/workflows/ci.yml#label:issues");
}

#[test]
fn top_level_permissions_removed() {
    let found = regressions(
        |_| {},
        |d| crate::common::edit(d, CI, "permissions:\n  contents: read\njobs:", "jobs:"),
    );
    assert!(
        kinds(&found).contains(&RegressionKind::TopLevelPermissionsRemoved),
        "{found:?}"
    );
    // WF-002 went from pass to fail as well.
    assert!(
        found
            .iter()
            .any(|r| r.kind == RegressionKind::CheckRegressed && r.subject == "WF-002"),
        "{found:?}"
    );
}

#[test]
fn new_workflow_without_permissions() {
    let found = regressions(
        |_| {},
        |d| {
            crate::common::write(
                d,
                ".github/workflows/docs.yml",
                "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n",
            );
        },
    );
    assert!(
        kinds(&found).contains(&RegressionKind::NewWorkflowWithoutPermissions),
        "{found:?}"
    );
}

#[test]
fn new_dangerous_trigger() {
    let found = regressions(
        |_| {},
        |d| {
            crate::common::edit(
                d,
                CI,
                "  pull_request:\n",
                "  pull_request:\n  workflow_run:\n    workflows: [x]\n",
            );
        },
    );
    assert!(
        kinds(&found).contains(&RegressionKind::NewDangerousTrigger),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|r| r.subject == ".github/workflows/ci.yml:workflow_run")
    );
}

#[test]
fn check_regressed() {
    let found = regressions(
        |_| {},
        |d| crate::common::edit(d, "docs/ops/incident-response.md", "Equipe SecOps", "TBD"),
    );
    assert_eq!(kinds(&found), [RegressionKind::CheckRegressed]);
    assert_eq!(found[0].subject, "DOC-002");
}

#[test]
fn secret_added_and_removed_without_activation_entry() {
    let added = regressions(
        |_| {},
        |d| crate::common::use_bundle(d, "plaintext-extra.enc.yaml"),
    );
    assert!(
        added
            .iter()
            .any(|r| r.kind == RegressionKind::SecretAdded && r.subject == "DEBUG_TOKEN"),
        "{added:?}"
    );
    let removed = regressions(
        |d| crate::common::use_bundle(d, "plaintext-extra.enc.yaml"),
        |d| crate::common::use_bundle(d, "valid.enc.yaml"),
    );
    assert_eq!(kinds(&removed), [RegressionKind::SecretRemoved]);
    assert_eq!(removed[0].subject, "DEBUG_TOKEN");
}

#[test]
fn recipients_changed_without_activation_entry() {
    let found = regressions(
        |_| {},
        |d| crate::common::use_bundle(d, "two-recipients.enc.yaml"),
    );
    let changed: Vec<_> = found
        .iter()
        .filter(|r| r.kind == RegressionKind::RecipientsChanged)
        .collect();
    assert_eq!(changed.len(), 1, "{found:?}");
    assert!(
        changed[0].message.contains("added: age1lwfgm"),
        "{}",
        changed[0].message
    );
}

#[test]
fn a_recorded_rotation_is_not_a_regression() {
    let rotate = |d: &Path| {
        crate::common::use_bundle(d, "v4-rotated.enc.yaml");
        crate::common::edit(
            d,
            LOG,
            "| 2026-11-20 | v2 → v3 | auditoria trimestral |\n",
            "| 2026-11-20 | v2 → v3 | auditoria trimestral |\n| 2026-11-29 | v3 → v4 | rotação agendada |\n",
        );
    };
    let found = regressions(|_| {}, rotate);
    assert!(
        found.iter().all(|r| !matches!(
            r.kind,
            RegressionKind::SecretAdded | RegressionKind::RecipientsChanged
        )),
        "{found:?}"
    );
    // The same rotation without its activation entry is flagged.
    let unrecorded = regressions(
        |_| {},
        |d| crate::common::use_bundle(d, "v4-rotated.enc.yaml"),
    );
    let k = kinds(&unrecorded);
    assert!(
        k.contains(&RegressionKind::SecretAdded) && k.contains(&RegressionKind::RecipientsChanged),
        "{unrecorded:?}"
    );
}

#[test]
fn version_decreased() {
    let found = regressions(
        |d| crate::common::use_bundle(d, "v4-rotated.enc.yaml"),
        |d| crate::common::use_bundle(d, "valid.enc.yaml"),
    );
    let down: Vec<_> = found
        .iter()
        .filter(|r| r.kind == RegressionKind::VersionDecreased)
        .collect();
    assert_eq!(down.len(), 1, "{found:?}");
    assert_eq!(down[0].message, "MCP_SECRETS_VERSION went down from 4 to 3");
}
