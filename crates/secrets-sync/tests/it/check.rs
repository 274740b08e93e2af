//! End-to-end: `--check` finds each problem by its stable id, writes nothing, and passes on
//! a fresh pair.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt as _;

use crate::common::{World, assert_code, transcript};

/// The finding ids of a `--check --json` run, asserting its exit code.
#[track_caller]
fn check_ids(world: &World, bundle: &str, expected_code: i32) -> Vec<String> {
    let out = world.sync(bundle, &["--check", "--json"]);
    assert_code(&out, expected_code);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["ok"], expected_code == 0);
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

fn listing(world: &World) -> Vec<(String, u32)> {
    world
        .out_names()
        .into_iter()
        .map(|n| {
            let mode = fs_err::symlink_metadata(world.out().join(&n))
                .unwrap()
                .permissions()
                .mode();
            (n, mode)
        })
        .collect()
}

#[test]
fn a_fresh_pair_passes() {
    let world = World::new();
    assert_code(&world.sync("secrets", &[]), 0);
    assert!(check_ids(&world, "secrets", 0).is_empty());
    let out = world.sync("secrets", &["--check"]);
    assert_code(&out, 0);
    insta::assert_snapshot!(transcript(&out, &world));
}

#[test]
fn nothing_published_is_missing() {
    let world = World::new();
    assert_eq!(
        check_ids(&world, "secrets", 1),
        ["out-dir-missing", "env-missing", "json-missing"]
    );
    assert!(!world.out().exists(), "--check creates nothing");
    // The directory exists but the files do not.
    fs_err::create_dir(world.out()).unwrap();
    fs_err::set_permissions(world.out(), std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(
        check_ids(&world, "secrets", 1),
        ["env-missing", "json-missing"]
    );
    assert_eq!(
        world.out_names(),
        Vec::<String>::new(),
        "--check creates no lock file"
    );
}

#[test]
fn a_pair_from_another_bundle_is_stale() {
    let world = World::new();
    assert_code(&world.sync("secrets", &[]), 0);
    let before = listing(&world);
    let out = world.sync("secrets-v2", &["--check"]);
    assert_code(&out, 1);
    insta::assert_snapshot!(transcript(&out, &world));
    assert_eq!(listing(&world), before, "--check writes nothing");
    assert_code(&world.sync("secrets-v2", &[]), 0);
    assert!(check_ids(&world, "secrets-v2", 0).is_empty());
}

#[test]
fn one_edited_file_is_stale_alone() {
    let world = World::new();
    assert_code(&world.sync("secrets", &[]), 0);
    let mut env = fs_err::read(world.env_file()).unwrap();
    env.extend_from_slice(b"EXTRA=1\n");
    fs_err::write(world.env_file(), env).unwrap();
    assert_eq!(check_ids(&world, "secrets", 1), ["env-stale"]);
    fs_err::remove_file(world.json_file()).unwrap();
    assert_eq!(
        check_ids(&world, "secrets", 1),
        ["env-stale", "json-missing"]
    );
}

#[test]
fn loose_modes_are_findings() {
    let world = World::new();
    assert_code(&world.sync("secrets", &[]), 0);
    fs_err::set_permissions(world.json_file(), std::fs::Permissions::from_mode(0o640)).unwrap();
    assert_eq!(check_ids(&world, "secrets", 1), ["json-mode"]);
    fs_err::set_permissions(world.env_file(), std::fs::Permissions::from_mode(0o644)).unwrap();
    fs_err::set_permissions(world.out(), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(
        check_ids(&world, "secrets", 1),
        ["out-dir-mode", "env-mode", "json-mode"]
    );
    assert_eq!(
        fs_err::metadata(world.out()).unwrap().permissions().mode() & 0o777,
        0o755,
        "--check does not fix modes"
    );
    assert_code(&world.sync("secrets", &[]), 0);
    assert!(check_ids(&world, "secrets", 0).is_empty());
}

#[test]
fn leftovers_and_an_interrupted_publish_are_findings() {
    let world = World::new();
    assert_code(&world.sync("secrets", &[]), 0);
    let temp = world.out().join(".bundle-core-tmp..env.abc123");
    fs_err::write(&temp, b"plaintext").unwrap();
    assert_eq!(check_ids(&world, "secrets", 1), ["leftover-file"]);
    fs_err::write(
        world.out().join(".secrets-sync.journal"),
        br#"{"schema_version":1,"env_existed":true,"json_existed":true}"#,
    )
    .unwrap();
    assert_eq!(
        check_ids(&world, "secrets", 1),
        ["interrupted-publish", "leftover-file"]
    );
    // The next sync repairs both.
    let out = world.sync("secrets", &["--json"]);
    assert_code(&out, 0);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["recovery"]["rolled_back"], true);
    assert_eq!(doc["recovery"]["removed"].as_array().unwrap().len(), 1);
    assert!(check_ids(&world, "secrets", 0).is_empty());
    assert!(!temp.exists());
}
