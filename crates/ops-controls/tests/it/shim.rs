//! `scripts/ops_controls.py`, the runbook's command as written: it finds the installed binary
//! and passes the runbook's flags through, defaulting `--repo` to its own repository.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use test_support::ScrubEnv as _;

fn shim_source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/ops_controls.py")
}

/// The shim copied into `repo/scripts/`, as `init` lays it out in an adopting repository.
fn install_shim(repo: &Path) -> PathBuf {
    let script = repo.join("scripts/ops_controls.py");
    fs_err::create_dir_all(script.parent().unwrap()).unwrap();
    fs_err::copy(shim_source(), &script).unwrap();
    script
}

fn python(script: &Path, cwd: &Path) -> Command {
    let mut cmd = Command::new("python3");
    cmd.arg(script).current_dir(cwd).scrub_env();
    cmd.env("SOURCE_DATE_EPOCH", crate::common::NOW.to_string());
    // No ops-controls on PATH: only what the test names.
    cmd.env("PATH", "/usr/bin:/bin");
    cmd
}

#[test]
fn the_runbook_command_writes_the_report_of_the_scripts_own_repository() {
    let dir = crate::common::repo("compliant");
    let script = install_shim(dir.path());
    let elsewhere = tempfile::tempdir().unwrap();
    let out_file = elsewhere.path().join("ops-controls-report.json");
    let out = python(&script, elsewhere.path())
        .env(
            "OPS_CONTROLS",
            assert_cmd::cargo::cargo_bin!("ops-controls"),
        )
        .arg("--output")
        .arg(&out_file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let report = bundle_core::ops::report::Report::read(&out_file).unwrap();
    assert!(report.summary.passed);
    assert!(String::from_utf8_lossy(&out.stderr).ends_with("result: PASS\n"));
}

#[test]
fn the_shim_passes_the_exit_code_through() {
    let dir = crate::common::repo("noncompliant");
    let script = install_shim(dir.path());
    let out = python(&script, dir.path())
        .env(
            "OPS_CONTROLS",
            assert_cmd::cargo::cargo_bin!("ops-controls"),
        )
        .args(["--format", "text"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let out = python(&script, dir.path())
        .env(
            "OPS_CONTROLS",
            assert_cmd::cargo::cargo_bin!("ops-controls"),
        )
        .args(["--only", "NO-SUCH-CHECK"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn without_the_binary_the_shim_says_how_to_install_it() {
    let dir = crate::common::repo("compliant");
    let script = install_shim(dir.path());
    let out = python(&script, dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: ops-controls not found on PATH\nhint: install it with"),
        "{stderr}"
    );
}
