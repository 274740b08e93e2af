//! End-to-end: the `evidence-writer` binary in a temporary repository, environment scrubbed,
//! exit code asserted every time.
#![allow(clippy::unwrap_used)]
// Scenario tests read top to bottom like the runbook; splitting them would hide the sequence.
#![allow(clippy::too_many_lines)]

use crate::common::{DIR, Repo};
use assert_cmd::cargo::cargo_bin_cmd;

/// The binary, run from `repo` (so the default `--repo .` is that repository), with an empty
/// environment except a fixed `SOURCE_DATE_EPOCH` when given.
fn ew(repo: &Repo, epoch: Option<&str>) -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("evidence-writer");
    cmd.env_clear().current_dir(repo.root());
    if let Some(epoch) = epoch {
        cmd.env("SOURCE_DATE_EPOCH", epoch);
    }
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn help_ends_with_the_exit_code_table() {
    let repo = Repo::new();
    let output = ew(&repo, None)
        .arg("--help")
        .assert()
        .code(0)
        .get_output()
        .clone();
    insta::assert_snapshot!("help", text(&output.stdout));
    let help = text(&output.stdout);
    assert!(
        help.trim_end()
            .ends_with("(3 is not used by evidence-writer)"),
        "{help}"
    );
    let record_help = ew(&repo, None)
        .args(["record", "--help"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    assert!(text(&record_help).contains("Exit codes:"));
}

#[test]
fn record_verify_and_tamper_through_the_binary() {
    let repo = Repo::new();
    repo.write(
        "out/ops-controls-report.json",
        crate::common::REPORT_ONE_FAIL,
    );
    ew(&repo, None).arg("init").assert().code(0);
    // 2025-03-01T09:00:00Z and 2025-03-03T10:00:00Z as SOURCE_DATE_EPOCH.
    let plan = ew(&repo, Some("1740819600"))
        .args([
            "record",
            "--kind",
            "plan",
            "--reason",
            "rotação trimestral",
            "--responsible",
            "Ana Souza",
        ])
        .args([
            "--version-from",
            "4",
            "--version-to",
            "5",
            "--window-start",
            "2025-03-03T09:00:00Z",
        ])
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert_eq!(text(&plan.stderr), "");
    assert!(
        text(&plan.stdout).starts_with("recorded plan-v5 (entry #1, sha256 "),
        "{}",
        text(&plan.stdout)
    );
    let scheduled = [
        "record",
        "--kind",
        "scheduled",
        "--reason",
        "rotação trimestral",
        "--responsible",
        "Ana Souza",
        "Bruno Lima",
        "--version-from",
        "4",
        "--version-to",
        "5",
        "--link",
        "CI=https://ci.example.com/runs/4242",
        "--attach",
        "out/ops-controls-report.json",
    ];
    ew(&repo, Some("1740996000"))
        .args(scheduled)
        .assert()
        .code(0);
    let recorded_at = repo.read(&format!("{DIR}/executions.jsonl"));
    assert!(
        recorded_at.contains("\"recorded_at\":\"2025-03-03T10:00:00Z\""),
        "{recorded_at}"
    );

    // Idempotent: the same execution again changes nothing, with or without a fixed time.
    let before = repo.picture();
    let again = ew(&repo, Some("1740996000"))
        .args(scheduled)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        text(&again),
        "already recorded: scheduled-v5 (nothing changed)\n"
    );
    ew(&repo, None).args(scheduled).assert().code(0);
    assert_eq!(repo.picture(), before);

    let ok = ew(&repo, None)
        .args(["--at", "2025-03-04T00:00:00Z", "verify"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    assert!(
        text(&ok).starts_with("ok: 2 entries, chain intact"),
        "{}",
        text(&ok)
    );

    // Bad input: exit 2, nothing written.
    let bad = ew(&repo, None)
        .args([
            "record",
            "--kind",
            "scheduled",
            "--reason",
            "x",
            "--responsible",
            "Ana",
            "--version-from",
            "5",
            "--version-to",
            "7",
        ])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert_eq!(
        text(&bad.stderr),
        "error: version-to must be version-from + 1: got 5 -> 7\nhint: pass --version-from N --version-to N+1 (the bundle's MCP_SECRETS_VERSION before and after)\n"
    );
    let mut bad_epoch = ew(&repo, Some("yesterday"));
    bad_epoch.args([
        "record",
        "--kind",
        "audit",
        "--reason",
        "x",
        "--responsible",
        "A",
    ]);
    let bad_epoch = bad_epoch.assert().code(2).get_output().stderr.clone();
    assert!(
        text(&bad_epoch).starts_with(
            "error: invalid time `yesterday`: SOURCE_DATE_EPOCH must be a whole number"
        ),
        "{}",
        text(&bad_epoch)
    );
    ew(&repo, None)
        .args([
            "record",
            "--kind",
            "audit",
            "--reason",
            "x",
            "--responsible",
            "A",
            "--attach",
            "out/missing.json",
        ])
        .assert()
        .code(2);
    ew(&repo, None)
        .args([
            "record",
            "--kind",
            "weekly",
            "--reason",
            "x",
            "--responsible",
            "A",
        ])
        .assert()
        .code(2);
    assert_eq!(repo.picture(), before);

    // Replacing an attached report is found and named.
    repo.write(
        &format!("{DIR}/artifacts/scheduled-v5/ops-controls-report.json"),
        crate::common::REPORT_CLEAN,
    );
    let tampered = ew(&repo, None)
        .args(["--at", "2025-03-04T00:00:00Z", "verify"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        text(&tampered).lines().next().unwrap(),
        "problem [artifact.mismatch] artifact `artifacts/scheduled-v5/ops-controls-report.json` of entry `scheduled-v5` was replaced: sha256 4a0c3befbf68 recorded, 74423d10af0e now"
    );
}

#[test]
fn show_and_summary_through_the_binary() {
    let repo = Repo::new();
    repo.record_sequence();
    let json = ew(&repo, None)
        .args(["show", "--json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(value["executions"][5]["id"], "emergency-v6");
    let summary = ew(&repo, None)
        .args([
            "--at",
            "2025-03-07T00:00:00Z",
            "--lang",
            "en",
            "summary",
            "--format",
            "markdown",
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let summary = text(&summary);
    assert!(
        summary.starts_with("# Weekly audit summary — TASK-OPS-302\n"),
        "{summary}"
    );
    assert!(
        summary.contains(
            "- `workflows.top-level-permissions` Workflow declares top-level permissions\n"
        ),
        "{summary}"
    );
    assert!(
        summary.contains("emergency-v6.gitleaks"),
        "a skipped item is open: {summary}"
    );
    assert!(
        !summary.contains("scheduled-v5.ops-controls"),
        "an earned item is not open: {summary}"
    );
    ew(&repo, None)
        .args(["--dir", "elsewhere", "show"])
        .assert()
        .code(2);
}
