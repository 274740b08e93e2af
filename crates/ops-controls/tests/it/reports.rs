//! The report of fixture repositories, snapshotted; and this repository checking itself.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use bundle_core::ops::report::{Report, Status};

fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings
}

#[test]
fn compliant_fixture_report() {
    let dir = crate::common::repo("compliant");
    let report = crate::common::report(dir.path());
    assert!(report.summary.passed, "{}", report.to_json());
    assert_eq!(report.summary.pass, 35);
    assert_eq!(Report::from_json(&report.to_json()).unwrap(), report);
    snapshot_settings().bind(|| insta::assert_snapshot!("compliant_report_json", report.to_json()));
}

#[test]
fn noncompliant_fixture_report() {
    let dir = crate::common::repo("noncompliant");
    let report = crate::common::report(dir.path());
    assert!(!report.summary.passed);
    let failing: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .map(|c| c.id.as_str())
        .collect();
    assert!(
        failing.contains(&"WF-005")
            && failing.contains(&"BUNDLE-005")
            && failing.contains(&"SCAN-001"),
        "{failing:?}"
    );
    snapshot_settings()
        .bind(|| insta::assert_snapshot!("noncompliant_report_json", report.to_json()));
    let mut text = Vec::new();
    ops_controls::render::text(&report, &mut text).unwrap();
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("noncompliant_report_text", String::from_utf8(text).unwrap());
    });
}

#[test]
fn same_state_same_bytes_except_generated_at() {
    let dir = crate::common::repo("noncompliant");
    let first = crate::common::report(dir.path());
    let options = ops_controls::Options::new(
        dir.path().to_owned(),
        crate::common::at(crate::common::NOW + 60),
    );
    let mut second = ops_controls::generate(&options).unwrap();
    assert_ne!(first.generated_at, second.generated_at);
    second.generated_at.clone_from(&first.generated_at);
    assert_eq!(first.to_json(), second.to_json());
}

#[test]
fn this_repository_passes_its_own_controls() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let report = ops_controls::generate(&ops_controls::Options::new(
        root,
        crate::common::at(crate::common::NOW),
    ))
    .unwrap();
    let blocking: Vec<String> = report
        .blocking_checks()
        .map(|c| format!("{}: {}", c.id, c.message))
        .collect();
    assert!(
        blocking.is_empty(),
        "this repository fails its own controls:\n{}",
        blocking.join("\n")
    );
    assert_eq!(report.policy.source, "config/ops-controls.yaml");
    // The workflows and the gitleaks config are really checked, not skipped.
    for id in [
        "WF-002", "WF-008", "WF-011", "WF-014", "SCAN-004", "HYG-003", "DOC-001", "DOC-002",
    ] {
        assert_eq!(report.check(id).unwrap().status, Status::Pass, "{id}");
    }
}

/// Issue 11: a hostile tree cannot make the checks hang or read without bound. A runbook
/// linked to `/dev/zero` and a bundle that is a FIFO are reported, and the run ends.
#[test]
fn links_out_of_the_repository_and_fifos_are_reported_not_followed() {
    let dir = crate::common::repo("compliant");
    let runbook = dir
        .path()
        .join("docs/ops/runbooks/gestao-de-segredos-mcp.md");
    fs_err::remove_file(&runbook).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &runbook).unwrap();
    let bundle = dir.path().join("config/secrets.enc.yaml");
    fs_err::remove_file(&bundle).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&bundle)
        .status()
        .unwrap();
    assert!(made.success());
    let root = dir.path().to_owned();
    let (done, report) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let report = ops_controls::generate(&ops_controls::Options::new(
            root,
            crate::common::at(crate::common::NOW),
        ));
        let _ = done.send(report);
    });
    let report = report
        .recv_timeout(std::time::Duration::from_mins(1))
        .expect("ops-controls finished instead of hanging on the FIFO or /dev/zero")
        .unwrap();
    assert!(!report.summary.passed);
    let json = report.to_json();
    assert!(
        json.contains("a symbolic link to outside the repository (not followed)"),
        "{json}"
    );
    assert!(json.contains("not a regular file"), "{json}");
}
