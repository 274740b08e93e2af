//! Tests of the report format: parsing, the version check, the invariants, the summary.
#![allow(clippy::unwrap_used)]

use super::*;

fn check(id: &str, status: Status, severity: Severity) -> CheckResult {
    CheckResult {
        id: id.to_owned(),
        title: "t".to_owned(),
        severity,
        status,
        message: "m".to_owned(),
        locations: vec![],
    }
}

fn report(checks: Vec<CheckResult>) -> Report {
    let summary = Summary::of(&checks, Severity::Medium);
    Report {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo {
            name: "ops-controls".to_owned(),
            version: "0.1.0".to_owned(),
        },
        generated_at: "2025-01-01T00:00:00Z".to_owned(),
        repository: RepositoryInfo { commit: None },
        policy: PolicyInfo {
            source: "built-in".to_owned(),
            severity_threshold: Severity::Medium,
        },
        summary,
        checks,
        inventory: Inventory::default(),
        permissions: vec![],
        comparison: None,
    }
}

#[test]
fn round_trips_through_json() {
    let r = report(vec![
        check("DOC-001", Status::Pass, Severity::High),
        check("WF-001", Status::Fail, Severity::Low),
    ]);
    let back = Report::from_json(&r.to_json()).unwrap();
    assert_eq!(back, r);
    assert!(
        back.summary.passed,
        "a low failure is below the medium threshold"
    );
    assert_eq!(back.check("WF-001").unwrap().status, Status::Fail);
    assert!(back.check("WF-002").is_none());
}

#[test]
fn blocking_counts_follow_the_threshold() {
    let r = report(vec![
        check("A-001", Status::Fail, Severity::Medium),
        check("A-002", Status::Fail, Severity::Low),
        check("A-003", Status::Warn, Severity::Critical),
    ]);
    assert_eq!(r.summary.blocking, 1);
    assert!(!r.summary.passed);
    assert_eq!(
        r.blocking_checks()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>(),
        ["A-001"]
    );
}

#[test]
fn refuses_another_schema_version() {
    let mut value: serde_json::Value = serde_json::from_str(&report(vec![]).to_json()).unwrap();
    value["schema_version"] = 2.into();
    let err = Report::from_json(&value.to_string()).unwrap_err();
    assert!(
        matches!(err, ReportError::UnsupportedVersion { found: 2, .. }),
        "{err}"
    );
}

#[test]
fn refuses_unsorted_or_duplicate_checks() {
    let mut r = report(vec![
        check("WF-002", Status::Pass, Severity::High),
        check("WF-001", Status::Pass, Severity::High),
    ]);
    r.summary = Summary::of(&r.checks, Severity::Medium);
    let err = Report::from_json(&r.to_json()).unwrap_err();
    assert!(err.to_string().contains("not sorted"), "{err}");
}

#[test]
fn refuses_a_summary_that_lies() {
    let mut r = report(vec![check("WF-001", Status::Fail, Severity::High)]);
    r.summary.passed = true;
    r.summary.blocking = 0;
    let err = Report::from_json(&r.to_json()).unwrap_err();
    assert!(matches!(err, ReportError::Invalid { .. }), "{err}");
}

#[test]
fn refuses_malformed_ids_and_json() {
    let r = report(vec![check("wf-1", Status::Pass, Severity::High)]);
    assert!(matches!(
        Report::from_json(&r.to_json()),
        Err(ReportError::Invalid { .. })
    ));
    assert!(matches!(
        Report::from_json("{"),
        Err(ReportError::Json { .. })
    ));
    assert!(is_check_id("BUNDLE-007"));
    assert!(!is_check_id("BUNDLE-07"));
}

#[test]
fn read_names_the_file_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("prev.json");
    fs_err::write(&path, "[]").unwrap();
    let err = Report::read(&path).unwrap_err();
    assert!(err.to_string().contains("prev.json"), "{err}");
}
