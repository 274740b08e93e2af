//! The published pair against the real sops 3.11: `console-secrets.json` is byte for byte
//! what `sops decrypt --output-type json` prints, and `.env`, sourced by a shell, gives the
//! flattening of that same JSON.
//!
//! In CI (`CI=true`) a missing `sops` fails the suite; locally these tests print a notice and
//! pass without running, so a machine without sops can still run the rest.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::path::Path;
use std::process::Command;

use test_support::sops;

use crate::common::{World, assert_code, bundle, run, source_env};

const ALICE: &str = "age1ps335dvugrdjvdk7p6kzlhkzeze77p07w9exxz9em8mpkheehuwqs76e5w";

fn sops_cmd(sops: &Path, world: &World) -> Command {
    let mut cmd = Command::new(sops);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", world.home())
        .env("SOPS_AGE_KEY_FILE", world.key_file())
        .current_dir(world.root())
        .arg("--disable-version-check");
    cmd
}

#[track_caller]
fn assert_matches_sops(sops: &Path, world: &World, bundle: &Path) {
    assert_code(&run(world.cmd().arg("--bundle").arg(bundle)), 0);
    let decrypted = sops_cmd(sops, world)
        .args(["decrypt", "--output-type", "json"])
        .arg(bundle)
        .output()
        .unwrap();
    assert!(
        decrypted.status.success(),
        "sops failed: {}",
        String::from_utf8_lossy(&decrypted.stderr)
    );
    let ours = fs_err::read(world.json_file()).unwrap();
    assert!(
        ours == decrypted.stdout,
        "console-secrets.json differs from sops decrypt --output-type json for {}",
        bundle.display()
    );

    let doc: serde_json::Value = serde_json::from_slice(&decrypted.stdout).unwrap();
    let expected = crate::common::flatten_json(&doc);
    let names: Vec<String> = expected.iter().map(|(n, _)| n.clone()).collect();
    let read = source_env("sh", &world.env_file(), &names);
    assert_eq!(read.len(), expected.len());
    for (name, value) in &expected {
        assert_eq!(read.get(name), Some(value), "{name}");
    }
}

#[test]
fn the_pair_matches_sops_decrypt_of_the_fixtures() {
    let Some(sops) = sops() else { return };
    for name in ["secrets", "secrets-v2"] {
        let world = World::new();
        assert_matches_sops(&sops, &world, &bundle(name));
    }
}

#[test]
fn a_bundle_sops_encrypts_now_is_published_as_sops_decrypts_it() {
    let Some(sops) = sops() else { return };
    let world = World::new();
    let plain = world.root().join("plain.yaml");
    fs_err::write(
        &plain,
        "MCP_SECRETS_VERSION: 9\ncanary: CANARY-7f3c9e1d-never-print-me\nlist:\n    - one\n    - {nested: 'x # y', n: 1.5e-7}\nflag: false\n",
    )
    .unwrap();
    let enc = sops_cmd(&sops, &world)
        .args([
            "encrypt",
            "--age",
            ALICE,
            "--unencrypted-regex",
            "^MCP_",
            "--input-type",
            "yaml",
            "--output-type",
            "yaml",
        ])
        .arg(&plain)
        .output()
        .unwrap();
    assert!(
        enc.status.success(),
        "sops encrypt failed: {}",
        String::from_utf8_lossy(&enc.stderr)
    );
    fs_err::remove_file(&plain).unwrap();
    let path = world.root().join("secrets.enc.yaml");
    fs_err::write(&path, &enc.stdout).unwrap();
    assert_matches_sops(&sops, &world, &path);
}
