//! End-to-end: `--remove-key-file` removes a key file only after a successful publish, and
//! only one holding an identity that decrypted this bundle; everything else stays, and the
//! output says why (issue 11). `--dry-run` only says what it would remove.
#![allow(clippy::unwrap_used)]

use crate::common::{World, assert_code, bundle, run, transcript};

#[test]
fn removed_after_a_successful_sync() {
    let world = World::new();
    let out = world.sync("secrets", &["--remove-key-file"]);
    assert_code(&out, 0);
    assert!(!world.key_file().exists());
    assert!(world.env_file().is_file());
    insta::assert_snapshot!(transcript(&out, &world));
}

#[test]
fn kept_after_a_failure_or_a_missing_bundle() {
    let world = World::new();
    let out = world.sync("tampered", &["--remove-key-file"]);
    assert_code(&out, 3);
    assert!(world.key_file().exists(), "a failed sync removes no key");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "key file: kept {} (the sync did not publish; nothing is removed)",
            world.key_file().display()
        )),
        "{stderr}"
    );

    let world = World::new();
    let out = run(world
        .cmd()
        .arg("--repo")
        .arg(world.root())
        .arg("--remove-key-file"));
    assert_code(&out, 2);
    assert!(world.key_file().exists(), "kept when the bundle is missing");
}

#[test]
fn kept_with_check() {
    let world = World::new();
    let out = world.sync("secrets", &["--check", "--remove-key-file"]);
    assert_code(&out, 1);
    assert!(world.key_file().exists());
}

#[test]
fn a_file_without_a_matching_identity_is_not_removed() {
    let world = World::new();
    // SOPS_AGE_KEY_FILE names a file that is no key at all; the key comes from SOPS_AGE_KEY.
    let not_a_key = world.root().join("notes.txt");
    fs_err::write(&not_a_key, "shopping list\n").unwrap();
    // The default keys.txt holds somebody's key for other bundles.
    let default = world.home().join(".config/sops/age/keys.txt");
    fs_err::create_dir_all(default.parent().unwrap()).unwrap();
    fs_err::write(&default, crate::common::key_text("bob")).unwrap();
    let out = run(world
        .cmd()
        .env("SOPS_AGE_KEY_FILE", &not_a_key)
        .env("SOPS_AGE_KEY", crate::common::key_text("alice"))
        .arg("--bundle")
        .arg(bundle("secrets"))
        .arg("--remove-key-file")
        .arg("--json"));
    assert_code(&out, 0);
    assert!(not_a_key.exists() && default.exists());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["key_files_removed"], serde_json::json!([]));
    assert_eq!(
        doc["key_files_kept"],
        serde_json::json!([
            {"path": not_a_key.display().to_string(), "reason": "it holds no age identity that could be read"},
            {"path": default.display().to_string(), "reason": "none of its identities decrypts this bundle"},
        ])
    );
}

#[test]
fn the_default_keys_txt_is_removed_when_it_was_used() {
    let world = World::new();
    let default = world.home().join(".config/sops/age/keys.txt");
    fs_err::create_dir_all(default.parent().unwrap()).unwrap();
    fs_err::rename(world.key_file(), &default).unwrap();
    let out = run(world
        .cmd()
        .env_remove("SOPS_AGE_KEY_FILE")
        .arg("--bundle")
        .arg(bundle("secrets"))
        .arg("--remove-key-file")
        .arg("--json"));
    assert_code(&out, 0);
    assert!(!default.exists());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["key_files_removed"],
        serde_json::json!([default.display().to_string()])
    );
}

#[test]
fn a_key_from_the_environment_leaves_no_file_to_remove() {
    let world = World::new();
    let out = run(world
        .cmd()
        .env_remove("SOPS_AGE_KEY_FILE")
        .env("SOPS_AGE_KEY", crate::common::key_text("alice"))
        .arg("--bundle")
        .arg(bundle("secrets"))
        .arg("--remove-key-file"));
    assert_code(&out, 0);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("key file: none to remove"), "{stderr}");
    assert!(!stderr.contains("AGE-SECRET-KEY"), "{stderr}");
    assert!(
        world.key_file().exists(),
        "an unrelated file is not touched"
    );
}

#[test]
fn without_the_flag_and_in_a_dry_run_the_key_stays() {
    let world = World::new();
    assert_code(&world.sync("secrets", &[]), 0);
    assert!(world.key_file().exists());
    let out = world.sync("secrets", &["--dry-run", "--remove-key-file"]);
    assert_code(&out, 0);
    assert!(world.key_file().exists());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(&format!(
            "would remove key file {}",
            world.key_file().display()
        )),
        "{stdout}"
    );
}
