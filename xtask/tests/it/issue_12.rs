//! Issue 12: evidence that is earned, not pre-ticked. After `cargo xtask demo`, every `[x]`
//! of the evidence and of the PR bodies carries its proof, the reports are kept where the
//! runbooks look for them, the attached reports pass, and the audit runbook's documented
//! commands exit 0; without gitleaks, its step is shown skipped, never ticked.
#![allow(clippy::unwrap_used)]
// One scenario, read top to bottom like the runbook.
#![allow(clippy::too_many_lines)]

use std::path::{Path, PathBuf};

use clap::Parser as _;

use crate::common::xtask;

const EVIDENCE: &str = "docs/evidence/TASK-OPS-302";

/// Runs the demo into `<tmp>/d` with `path` as `PATH`; returns the demo's root.
fn demo(tmp: &Path, path: &std::ffi::OsStr) -> (PathBuf, String) {
    let root = tmp.join("d");
    let out = xtask(tmp)
        .env("PATH", path)
        .args(["demo", "--dir"])
        .arg(&root)
        .assert()
        .success();
    (
        root,
        String::from_utf8(out.get_output().stderr.clone()).unwrap(),
    )
}

/// The ticked and unticked task lines of the README's checklist and of every PR body.
fn task_lines(repo: &Path) -> Vec<String> {
    let mut texts = vec![fs_err::read_to_string(repo.join(EVIDENCE).join("README.md")).unwrap()];
    for entry in fs_err::read_dir(repo.join(".git")).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().ends_with("-PR.md"))
        {
            texts.push(fs_err::read_to_string(path).unwrap());
        }
    }
    texts
        .iter()
        .flat_map(|t| t.lines())
        .filter(|l| l.starts_with("- [x]") || l.starts_with("- [ ]"))
        .map(str::to_owned)
        .collect()
}

fn assert_every_tick_has_its_proof(lines: &[String]) {
    for line in lines.iter().filter(|l| l.starts_with("- [x]")) {
        assert!(
            line.contains(" — prova: ") || line.contains("`rotation-guard check --base HEAD`"),
            "a tick without its proof: {line}"
        );
    }
}

fn code(result: Result<bundle_core::ExitStatus, impl bundle_core::ops::cli::ToolError>) -> u8 {
    match result {
        Ok(status) => status.code(),
        Err(e) => e.exit_status().code(),
    }
}

#[test]
fn issue_12_the_demo_earns_its_ticks_and_the_audit_runbook_commands_exit_0() {
    let tmp = tempfile::tempdir().unwrap();
    let (root, stderr) = demo(tmp.path(), &std::env::var_os("PATH").unwrap_or_default());
    let repo = root.join("repo");
    let evidence = repo.join(EVIDENCE);
    let lines = task_lines(&repo);
    assert!(lines.iter().any(|l| l.starts_with("- [x]")), "{lines:#?}");
    assert_every_tick_has_its_proof(&lines);
    // No "24 h plan" box on an emergency, in the README or the PR body.
    assert!(!lines.iter().any(|l| l.contains("`emergency-v3.plan`")));
    let pr = fs_err::read_to_string(repo.join(".git/rotation-v3-PR.md")).unwrap();
    assert!(!pr.contains("24 h"), "{pr}");

    // The reports are kept where the runbooks name them, and every attached report passes
    // (it was taken with its execution in the log: no DOC-004 failure).
    assert!(evidence.join("ops-controls-report.json").is_file());
    if !stderr.contains("gitleaks não está no PATH") {
        assert_eq!(
            fs_err::read(evidence.join("gitleaks-post-rotation.json")).unwrap(),
            fs_err::read(evidence.join("artifacts/emergency-v3/gitleaks-post-rotation.json"))
                .unwrap()
        );
    }
    for id in ["scheduled-v2", "emergency-v3"] {
        let report = bundle_core::ops::report::Report::read(
            &evidence.join(format!("artifacts/{id}/ops-controls-report.json")),
        )
        .unwrap();
        assert!(
            report.summary.passed,
            "{id}: {:?}",
            report.blocking_checks().collect::<Vec<_>>()
        );
    }

    // The audit runbook, command by command (docs/ops/runbooks/auditoria-operacional.md and
    // "Auditoria contínua" of the secrets runbook), each exits 0. Later times than the demo's
    // audit, as a person running them afterwards.
    let later =
        |minutes: i64| (bundle_core::time::Timestamp::now().unix() + minutes * 60).to_string();
    xtask(tmp.path())
        .env("SOURCE_DATE_EPOCH", later(2))
        .args(["audit", "--responsible", "Eva Martins", "--repo"])
        .arg(&repo)
        .assert()
        .code(0);
    let report = evidence.join("ops-controls-report.json");
    let compare = ops_controls::cli::Args::try_parse_from([
        "ops-controls".as_ref(),
        "--repo".as_ref(),
        repo.as_os_str(),
        "--compare".as_ref(),
        report.as_os_str(),
    ])
    .unwrap();
    assert_eq!(
        code(ops_controls::cli::run(
            compare,
            &mut Vec::new(),
            &mut Vec::new()
        )),
        0,
        "ops-controls --compare"
    );
    let ew = |args: &[&std::ffi::OsStr]| {
        let mut argv: Vec<&std::ffi::OsStr> = vec!["evidence-writer".as_ref(), "--repo".as_ref()];
        argv.push(repo.as_os_str());
        argv.extend_from_slice(args);
        let cli = evidence_writer::Cli::try_parse_from(argv).unwrap();
        code(evidence_writer::run(cli, &mut Vec::new(), &mut Vec::new()))
    };
    assert_eq!(ew(&["verify".as_ref()]), 0, "evidence-writer verify");
    let key = root.join("keys/equipe-v3.txt");
    let scan = rotation_guard::cli::Args::try_parse_from([
        "rotation-guard".as_ref(),
        "scan-leaks".as_ref(),
        "--history".as_ref(),
        "--repo".as_ref(),
        repo.as_os_str(),
        "--identity".as_ref(),
        key.as_os_str(),
    ])
    .unwrap();
    assert_eq!(
        code(rotation_guard::cli::run(
            scan,
            &mut Vec::new(),
            &mut Vec::new()
        )),
        0,
        "rotation-guard scan-leaks --history"
    );
    let epoch = later(4);
    assert_eq!(
        ew(&[
            "--source-date-epoch".as_ref(),
            epoch.as_ref(),
            "record".as_ref(),
            "--kind".as_ref(),
            "audit".as_ref(),
            "--reason".as_ref(),
            "auditoria semanal".as_ref(),
            "--responsible".as_ref(),
            "Eva Martins".as_ref(),
            "--attach".as_ref(),
            report.as_os_str(),
            "--done".as_ref(),
            "ops-controls=attach:ops-controls-report.json".as_ref(),
        ]),
        0,
        "evidence-writer record --kind audit --attach ops-controls-report.json"
    );
    let today = bundle_core::time::Timestamp::now().date();
    assert_eq!(
        ew(&["summary".as_ref(), "--since".as_ref(), today.as_ref()]),
        0,
        "evidence-writer summary"
    );
    // The hand-recorded audit earned its required item: the controls still pass.
    let again = ops_controls::cli::Args::try_parse_from([
        "ops-controls".as_ref(),
        "--repo".as_ref(),
        repo.as_os_str(),
    ])
    .unwrap();
    assert_eq!(
        code(ops_controls::cli::run(
            again,
            &mut Vec::new(),
            &mut Vec::new()
        )),
        0
    );
}

/// Without gitleaks, the demo's rotations record its step as skipped with the reason: shown
/// unticked in the README and the PR bodies, never `[x]`.
#[test]
fn issue_12_a_skipped_gitleaks_is_shown_skipped_not_ticked() {
    let tmp = tempfile::tempdir().unwrap();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let without: Vec<PathBuf> = std::env::split_paths(&path)
        .filter(|d| !d.join("gitleaks").exists())
        .collect();
    let (root, stderr) = demo(tmp.path(), &std::env::join_paths(without).unwrap());
    assert!(stderr.contains("gitleaks não está no PATH"), "{stderr}");
    let repo = root.join("repo");
    let lines = task_lines(&repo);
    assert_every_tick_has_its_proof(&lines);
    let gitleaks: Vec<&String> = lines.iter().filter(|l| l.contains(".gitleaks`")).collect();
    // README (scheduled, emergency) and the two PR bodies.
    assert_eq!(gitleaks.len(), 4, "{lines:#?}");
    for line in gitleaks {
        assert!(
            line.starts_with("- [ ]") && line.ends_with("— **ignorado**: gitleaks não instalado"),
            "{line}"
        );
    }
    assert!(
        !repo
            .join(EVIDENCE)
            .join("gitleaks-post-rotation.json")
            .exists()
    );
}
