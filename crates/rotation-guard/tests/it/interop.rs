//! With the real sops 3.11: `sops updatekeys` alone keeps the data key and is rejected by
//! RG-004; `sops rotate` afterwards gives every value new ciphertext and passes, and the
//! bundle sops wrote verifies with the new key (RG-101).
//!
//! In CI (`CI=true`) a missing `sops` fails the test; locally it prints a notice and returns,
//! as bundle-core's interop tests do.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::path::Path;
use std::process::Command;

use test_support::sops;

use crate::common::*;

fn run_sops(sops: &Path, repo: &Repo, key: &Path, args: &[&str]) {
    let out = Command::new(sops)
        .current_dir(repo.root())
        .arg("--disable-version-check")
        .args(args)
        .env_remove("SOPS_AGE_KEY")
        .env_remove("SOPS_AGE_KEY_CMD")
        .env("SOPS_AGE_KEY_FILE", key)
        .env("HOME", repo.root().join("no-home"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sops {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn status(repo: &Repo, identity: &Path, id: &str) -> String {
    let home = tempfile::tempdir().unwrap();
    let output = rotation_guard(home.path())
        .args(["check", "--base", "HEAD", "--json", "--repo"])
        .arg(repo.root())
        .arg("--identity")
        .arg(identity)
        .output()
        .unwrap();
    assert_no_canary(&output);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    rule_status(&json, id).as_str().unwrap().to_owned()
}

#[test]
fn updatekeys_alone_is_rejected_and_rotate_passes() {
    let Some(sops) = sops() else { return };
    let repo = Repo::new();
    let (old, new) = (repo.old_identity(), repo.new_identity());
    let bundle = BUNDLE;
    run_sops(
        &sops,
        &repo,
        &old,
        &["set", bundle, r#"["MCP_SECRETS_VERSION"]"#, "5"],
    );
    run_sops(
        &sops,
        &repo,
        &old,
        &[
            "set",
            bundle,
            r#"["MCP_ROTATED_AT"]"#,
            r#""2026-02-01T00:00:00Z""#,
        ],
    );
    let config = repo
        .read(".sops.yaml")
        .replace(&repo.old_key.recipient(), &repo.new_key.recipient());
    repo.write(".sops.yaml", &config);
    run_sops(&sops, &repo, &old, &["updatekeys", "--yes", bundle]);
    assert_eq!(status(&repo, &new, "RG-004"), "fail");
    assert_eq!(status(&repo, &new, "RG-007"), "pass");
    assert_eq!(status(&repo, &new, "RG-101"), "pass");

    run_sops(&sops, &repo, &new, &["rotate", "--in-place", bundle]);
    assert_eq!(status(&repo, &new, "RG-004"), "pass");
    assert_eq!(status(&repo, &new, "RG-005"), "pass");
    assert_eq!(status(&repo, &new, "RG-101"), "pass");
}
