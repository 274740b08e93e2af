//! End-to-end: the binary's exit codes, outputs and formats.
#![allow(clippy::unwrap_used)]

use assert_cmd::Command;
use bundle_core::ops::report::Report;
use test_support::{ScrubEnv as _, Transcript};

fn cmd() -> Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("ops-controls");
    cmd.scrub_env();
    cmd.env("SOURCE_DATE_EPOCH", crate::common::NOW.to_string());
    cmd
}

/// Exit status, stdout and stderr in one block, with the temp dir filtered.
fn transcript(output: &std::process::Output, dir: &std::path::Path) -> String {
    Transcript::of(output).redact(dir, "[REPO]").to_string()
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

#[test]
fn help_ends_with_the_exit_codes() {
    let out = cmd().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.trim_end().ends_with("output not writable"), "{text}");
    settings().bind(|| insta::assert_snapshot!("help", text));
}

#[test]
fn compliant_repo_exits_0_and_writes_the_report_file() {
    let dir = crate::common::repo("compliant");
    let out_file = dir.path().join("report.json");
    let out = cmd()
        .arg("--repo")
        .arg(dir.path())
        .arg("--output")
        .arg(&out_file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        transcript(&out, dir.path())
    );
    assert!(out.stdout.is_empty());
    let report = Report::read(&out_file).unwrap();
    assert_eq!(report.generated_at, "2026-11-30T05:41:11Z");
    assert!(String::from_utf8_lossy(&out.stderr).ends_with("result: PASS\n"));
}

#[test]
fn noncompliant_repo_exits_1() {
    let dir = crate::common::repo("noncompliant");
    let out = cmd().arg("--repo").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = Report::from_json(&String::from_utf8(out.stdout).unwrap()).unwrap();
    assert!(!report.summary.passed);
}

#[test]
fn severity_threshold_decides_the_exit_code() {
    let dir = crate::common::repo("compliant");
    crate::common::edit(
        dir.path(),
        "docs/ops/incident-response.md",
        "Equipe SecOps",
        "TBD",
    );
    let out = cmd().arg("--repo").arg(dir.path()).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "DOC-002 is medium, the default threshold"
    );
    crate::common::write(
        dir.path(),
        "config/ops-controls.yaml",
        "severity_threshold: high\n",
    );
    let out = cmd().arg("--repo").arg(dir.path()).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        transcript(&out, dir.path())
    );
}

#[test]
fn only_runs_the_named_checks_and_families() {
    let dir = crate::common::repo("noncompliant");
    let out = cmd()
        .arg("--repo")
        .arg(dir.path())
        .args(["--only", "DOC-001,SCAN"])
        .output()
        .unwrap();
    let report = Report::from_json(&String::from_utf8(out.stdout).unwrap()).unwrap();
    let ids: Vec<&str> = report.checks.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        ["DOC-001", "SCAN-001", "SCAN-002", "SCAN-003", "SCAN-004"]
    );
}

#[test]
fn usage_and_input_errors_exit_2() {
    let dir = crate::common::repo("compliant");
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("unknown_check", vec!["--only".into(), "WF-999".into()]),
        (
            "missing_policy",
            vec![
                "--policy".into(),
                dir.path().join("nope.yaml").display().to_string(),
            ],
        ),
        (
            "missing_previous",
            vec![
                "--compare".into(),
                dir.path().join("prev.json").display().to_string(),
            ],
        ),
        ("bad_format", vec!["--format".into(), "xml".into()]),
    ];
    for (name, args) in cases {
        let out = cmd()
            .arg("--repo")
            .arg(dir.path())
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        settings().bind(|| {
            insta::assert_snapshot!(format!("error_{name}"), transcript(&out, dir.path()));
        });
    }
    crate::common::write(
        dir.path(),
        "config/ops-controls.yaml",
        "bundle:\n  max_age: 3\n",
    );
    let out = cmd().arg("--repo").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field `max_age`"));
    let out = cmd()
        .arg("--repo")
        .arg(dir.path().join("absent"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn compare_exits_1_on_a_regression() {
    let dir = crate::common::repo("compliant");
    let previous = dir.path().join("previous.json");
    let out = cmd()
        .arg("--repo")
        .arg(dir.path())
        .arg("--output")
        .arg(&previous)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = cmd()
        .arg("--repo")
        .arg(dir.path())
        .arg("--compare")
        .arg(&previous)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "no change, no regression");
    crate::common::edit(
        dir.path(),
        ".github/workflows/ci.yml",
        "  pull_request:\n",
        "  pull_request:\n  workflow_run:\n    workflows: [x]\n",
    );
    let out = cmd()
        .arg("--repo")
        .arg(dir.path())
        .arg("--compare")
        .arg(&previous)
        .arg("--format")
        .arg("text")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "new_dangerous_trigger: .github/workflows/ci.yml is now triggered by `workflow_run`"
        ),
        "{text}"
    );
}

#[test]
fn github_annotations() {
    let dir = crate::common::repo("noncompliant");
    let out = cmd()
        .arg("--repo")
        .arg(dir.path())
        .args(["--format", "github", "--only", "WF"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    settings().bind(|| {
        insta::assert_snapshot!("github_annotations", String::from_utf8(out.stdout).unwrap());
    });
}

/// A WF-016 finding keeps the caching step's line in `--format github` and in SARIF.
#[test]
fn cache_poisoning_findings_keep_their_line() {
    let dir = tempfile::tempdir().unwrap();
    crate::common::write(
        dir.path(),
        ".github/workflows/release.yml",
        "on:\n  release:\npermissions: {}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n      - uses: Swatinem/rust-cache@v2\n",
    );
    let run = |format: &str| {
        let out = cmd()
            .arg("--repo")
            .arg(dir.path())
            .args(["--format", format, "--only", "WF-016"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8(out.stdout).unwrap()
    };
    let github = run("github");
    assert!(
        github.starts_with("::error file=.github/workflows/release.yml,line=9,title=WF-016"),
        "{github}"
    );
    let log: serde_json::Value = serde_json::from_str(&run("sarif")).unwrap();
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "WF-016");
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 9);
}

/// Without a policy (the built-in `general` profile), `--only WF` is a general auditor: the
/// MCP runbook's own checks skip and say why (issue 14).
#[test]
fn general_profile_skips_the_mcp_checks() {
    let dir = crate::common::repo("noncompliant");
    fs_err::remove_file(dir.path().join("config/ops-controls.yaml")).unwrap();
    let out = cmd()
        .arg("--repo")
        .arg(dir.path())
        .args(["--only", "WF", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let statuses: Vec<String> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {}: {}",
                c["id"].as_str().unwrap(),
                c["status"].as_str().unwrap(),
                c["message"].as_str().unwrap()
            )
        })
        .collect();
    settings().bind(|| insta::assert_snapshot!("general_profile_wf", statuses.join("\n")));
}

#[test]
fn sarif_is_a_valid_2_1_0_log() {
    let dir = crate::common::repo("noncompliant");
    let out = cmd()
        .arg("--repo")
        .arg(dir.path())
        .args(["--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(log["$schema"], ops_controls::render::SARIF_SCHEMA);
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 35);
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for result in results {
        let index = usize::try_from(result["ruleIndex"].as_u64().unwrap()).unwrap();
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert!(["error", "warning", "note"].contains(&result["level"].as_str().unwrap()));
        assert!(!result["message"]["text"].as_str().unwrap().is_empty());
        let location = &result["locations"][0]["physicalLocation"];
        assert!(
            !location["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .starts_with('/')
        );
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
    }
    settings()
        .bind(|| insta::assert_snapshot!("sarif", String::from_utf8(out.stdout.clone()).unwrap()));
}

/// Issue #14: code scanning matches alerts across commits by `partialFingerprints`, so they
/// must not change when a finding only moves to another line.
#[test]
fn sarif_fingerprints_survive_line_moves() {
    let prints = |dir: &std::path::Path| {
        let log: serde_json::Value =
            serde_json::from_str(&ops_controls::render::sarif(&crate::common::report(dir)))
                .unwrap();
        let results = log["runs"][0]["results"].as_array().unwrap().clone();
        results
            .iter()
            .map(|r| {
                (
                    r["partialFingerprints"][ops_controls::render::FINGERPRINT_KEY]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };
    let dir = crate::common::repo("noncompliant");
    let before = prints(dir.path());
    let unique: std::collections::BTreeSet<&String> = before.iter().map(|(p, _)| p).collect();
    assert_eq!(
        unique.len(),
        before.len(),
        "fingerprints collide: {before:?}"
    );
    let wf = ".github/workflows/release.yml";
    let text = fs_err::read_to_string(dir.path().join(wf)).unwrap();
    crate::common::write(dir.path(), wf, &format!("# moved\n\n{text}"));
    let after = prints(dir.path());
    let set = |v: &[(String, u64)]| v.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(set(&before), set(&after));
    assert_ne!(before, after, "the lines were expected to move");
}
