//! `scripts/secrets-sync.sh` (`make secrets-sync`) in a repository that adopted the toolkit:
//! it runs the installed binary, and says how to install it when there is none.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use test_support::ScrubEnv as _;

/// The script copied into an adopting repository (no `crates/` there).
fn install_script(repo: &Path) -> PathBuf {
    let script = repo.join("scripts/secrets-sync.sh");
    fs_err::create_dir_all(script.parent().unwrap()).unwrap();
    fs_err::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/secrets-sync.sh"),
        &script,
    )
    .unwrap();
    script
}

fn bash(script: &Path) -> Command {
    let mut cmd = Command::new("bash");
    cmd.arg(script).scrub_env();
    cmd.env("PATH", "/usr/bin:/bin");
    cmd
}

#[test]
fn outside_the_workspace_the_script_runs_the_installed_binary() {
    let repo = tempfile::tempdir().unwrap();
    let script = install_script(repo.path());
    let out = bash(&script)
        .env(
            "SECRETS_SYNC",
            assert_cmd::cargo::cargo_bin!("secrets-sync"),
        )
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("secrets-sync "));
}

#[test]
fn without_the_binary_the_script_says_how_to_install_it() {
    let repo = tempfile::tempdir().unwrap();
    let script = install_script(repo.path());
    let out = bash(&script).arg("--check").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: secrets-sync not found on PATH\nhint: install it with"),
        "{stderr}"
    );
}
