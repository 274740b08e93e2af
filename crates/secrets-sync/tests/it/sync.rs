//! End-to-end: publishing the pair, modes, links, refusals, exit codes, output formats.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt as _;
use std::process::{Command, Stdio};

use crate::common::{World, assert_code, bundle, run, source_env, transcript};

fn mode(path: &std::path::Path) -> u32 {
    fs_err::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
}

fn names_of(world: &World) -> Vec<String> {
    let doc: serde_json::Value =
        serde_json::from_slice(&fs_err::read(world.json_file()).unwrap()).unwrap();
    crate::common::flatten_json(&doc)
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}

#[test]
fn sync_publishes_a_pair_that_shells_read_back_exactly() {
    let world = World::new();
    let out = world.sync("secrets", &[]);
    assert_code(&out, 0);
    assert_eq!(
        world.out_names(),
        [".env", ".secrets-sync.lock", "console-secrets.json"]
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&fs_err::read(world.json_file()).unwrap()).unwrap();
    // Key order and types are kept.
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys[..5],
        [
            "MCP_SECRETS_VERSION",
            "MCP_ROTATION_REASON",
            "MCP_ROTATED_AT",
            "canary",
            "db"
        ]
    );
    assert_eq!(doc["db"]["port"], serde_json::json!(5432));
    assert_eq!(doc["console"]["enabled"], serde_json::json!(true));
    assert_eq!(doc["console"]["ratio"], serde_json::json!(0.25));
    assert_eq!(doc["nothing"], serde_json::Value::Null);
    assert!(doc.get("sops").is_none());

    let expected = crate::common::flatten_json(&doc);
    let names: Vec<String> = expected.iter().map(|(n, _)| n.clone()).collect();
    for shell in ["sh", "bash", "dash"] {
        let read = source_env(shell, &world.env_file(), &names);
        for (name, value) in &expected {
            assert_eq!(
                read.get(name),
                Some(value),
                "{shell} read {name} differently"
            );
        }
    }
}

#[test]
fn stderr_summary_names_version_counts_paths_and_modes() {
    let world = World::new();
    let out = world.sync("secrets", &[]);
    insta::assert_snapshot!(transcript(&out, &world));
    let again = world.sync("secrets", &[]);
    insta::assert_snapshot!("second_run_is_unchanged", transcript(&again, &world));
}

#[test]
fn json_output_is_one_document_on_stdout() {
    let world = World::new();
    let out = world.sync("secrets", &["--json"]);
    assert_code(&out, 0);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["mcp_secrets_version"], 1);
    assert_eq!(doc["files"][0]["status"], "written");
    let text = String::from_utf8(out.stdout.clone())
        .unwrap()
        .replace(&world.root().display().to_string(), "[TMP]");
    let text = text.replace(
        &crate::common::fixtures().display().to_string(),
        "[FIXTURES]",
    );
    insta::assert_snapshot!(text);
}

#[test]
fn mcp_home_chooses_the_output_directory() {
    let world = World::new();
    let custom = world.root().join("custom");
    let out = run(world
        .cmd()
        .arg("--bundle")
        .arg(bundle("secrets"))
        .env("MCP_HOME", &custom));
    assert_code(&out, 0);
    assert!(custom.join(".env").is_file() && custom.join("console-secrets.json").is_file());
    assert!(!world.out().exists());
}

#[test]
fn repo_finds_config_secrets_enc_yaml() {
    let world = World::new();
    let repo = world.root().join("repo");
    fs_err::create_dir_all(repo.join("config")).unwrap();
    fs_err::copy(bundle("secrets"), repo.join("config/secrets.enc.yaml")).unwrap();
    let out = run(world.cmd().arg("--repo").arg(&repo));
    assert_code(&out, 0);
    assert!(world.env_file().is_file());
}

#[test]
fn modes_are_0600_and_0700_whatever_the_umask() {
    for umask in ["000", "077", "022"] {
        let world = World::new();
        let out = run(Command::new("sh")
            .arg("-c")
            .arg(format!(r#"umask {umask}; exec "$0" "$@""#))
            .arg(crate::common::bin())
            .arg("--bundle")
            .arg(bundle("secrets"))
            .env_clear()
            .env("HOME", world.home())
            .env("SOPS_AGE_KEY_FILE", world.key_file())
            .current_dir(world.root()));
        assert_code(&out, 0);
        assert_eq!(mode(&world.out()), 0o700, "umask {umask}");
        assert_eq!(mode(&world.env_file()), 0o600, "umask {umask}");
        assert_eq!(mode(&world.json_file()), 0o600, "umask {umask}");
    }
}

#[test]
fn loose_modes_are_tightened_and_reported() {
    let world = World::new();
    assert_code(&world.sync("secrets", &[]), 0);
    fs_err::set_permissions(world.out(), std::fs::Permissions::from_mode(0o755)).unwrap();
    fs_err::set_permissions(world.env_file(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = world.sync("secrets", &["--json"]);
    assert_code(&out, 0);
    assert_eq!(mode(&world.out()), 0o700);
    assert_eq!(mode(&world.env_file()), 0o600);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["out_dir"]["previous_mode"], "0755");
    assert_eq!(doc["files"][0]["previous_mode"], "0644");
    assert_eq!(doc["files"][0]["status"], "written");
    assert_eq!(doc["files"][1]["previous_mode"], serde_json::Value::Null);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("(0700, tightened from 0755)"), "{stderr}");
    assert!(stderr.contains("(0600, tightened from 0644)"), "{stderr}");
}

#[test]
fn a_symlinked_output_directory_is_refused() {
    let world = World::new();
    let real = world.root().join("real");
    fs_err::create_dir(&real).unwrap();
    std::os::unix::fs::symlink(&real, world.out()).unwrap();
    let out = world.sync("secrets", &[]);
    assert_code(&out, 2);
    assert_eq!(
        fs_err::read_dir(&real).unwrap().count(),
        0,
        "nothing written through the link"
    );
    insta::assert_snapshot!(transcript(&out, &world));
    // --check and --dry-run refuse it too.
    assert_code(&world.sync("secrets", &["--check"]), 2);
    assert_code(&world.sync("secrets", &["--dry-run"]), 2);
}

#[test]
fn a_symlinked_output_file_is_refused_and_its_target_untouched() {
    for name in [".env", "console-secrets.json"] {
        let world = World::new();
        assert_code(&world.sync("secrets", &[]), 0);
        let before = world.pair();
        let target = world.root().join("elsewhere");
        fs_err::write(&target, b"keep me").unwrap();
        let link = world.out().join(name);
        fs_err::remove_file(&link).unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let out = world.sync("secrets-v2", &[]);
        assert_code(&out, 2);
        assert_eq!(fs_err::read(&target).unwrap(), b"keep me");
        assert!(
            fs_err::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        let other = if name == ".env" {
            world.pair().1
        } else {
            world.pair().0
        };
        let other_before = if name == ".env" { before.1 } else { before.0 };
        assert_eq!(
            other, other_before,
            "{name}: the other file must stay the old one"
        );
        assert_code(&world.sync("secrets-v2", &["--check"]), 2);
    }
}

#[test]
fn collision_is_an_error_that_leaves_the_old_pair_intact() {
    let world = World::new();
    assert_code(&world.sync("secrets", &[]), 0);
    let before = world.pair();
    let out = world.sync("collision", &[]);
    assert_code(&out, 2);
    assert_eq!(world.pair(), before);
    assert_eq!(
        world.out_names(),
        [".env", ".secrets-sync.lock", "console-secrets.json"]
    );
    insta::assert_snapshot!(transcript(&out, &world));
}

#[test]
fn a_key_that_cannot_be_a_name_is_an_error_and_writes_nothing() {
    let world = World::new();
    let out = world.sync("invalid-name", &[]);
    assert_code(&out, 2);
    assert!(!world.out().exists());
    insta::assert_snapshot!(transcript(&out, &world));
}

#[test]
fn integrity_and_key_errors_exit_3_and_write_nothing() {
    let world = World::new();
    let tampered = world.sync("tampered", &[]);
    assert_code(&tampered, 3);
    insta::assert_snapshot!("tampered", transcript(&tampered, &world));
    fs_err::write(world.key_file(), crate::common::key_text("bob")).unwrap();
    let wrong_key = world.sync("secrets", &[]);
    assert_code(&wrong_key, 3);
    let no_key = run(world
        .cmd()
        .env_remove("SOPS_AGE_KEY_FILE")
        .arg("--bundle")
        .arg(bundle("secrets")));
    assert_code(&no_key, 3);
    insta::assert_snapshot!("no_key", transcript(&no_key, &world));
    assert!(!world.out().exists());
}

#[test]
fn input_errors_exit_2() {
    let world = World::new();
    let missing = run(world.cmd().arg("--repo").arg(world.root()));
    assert_code(&missing, 2);
    insta::assert_snapshot!("missing_bundle", transcript(&missing, &world));
    let no_home = run(world
        .cmd()
        .env_remove("HOME")
        .arg("--bundle")
        .arg(bundle("secrets")));
    assert_code(&no_home, 2);
    insta::assert_snapshot!("no_home", transcript(&no_home, &world));
    let not_sops = world.root().join("plain.yaml");
    fs_err::write(&not_sops, "a: 1\n").unwrap();
    assert_code(&run(world.cmd().arg("--bundle").arg(&not_sops)), 2);
    assert_code(&run(world.cmd().arg("--check").arg("--dry-run")), 2);
    let file_as_dir = world.root().join("file");
    fs_err::write(&file_as_dir, b"").unwrap();
    assert_code(
        &world.sync("secrets", &["--out-dir", file_as_dir.to_str().unwrap()]),
        2,
    );
}

#[test]
fn dry_run_prints_the_names_and_writes_nothing() {
    let world = World::new();
    let out = world.sync("secrets", &["--dry-run"]);
    assert_code(&out, 0);
    assert!(!world.out().exists());
    insta::assert_snapshot!(transcript(&out, &world));
    let json = world.sync("secrets", &["--dry-run", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["mode"], "dry-run");
    assert_eq!(doc["variable_names"][3], "CANARY");
    assert_eq!(doc["files"][0]["status"], "would-write");
    assert!(!world.out().exists());
}

#[test]
fn help_ends_with_the_exit_codes() {
    let out = run(Command::new(crate::common::bin()).arg("--help"));
    assert_code(&out, 0);
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
}

#[test]
fn concurrent_runs_are_serialized_and_leave_a_consistent_pair() {
    let world = World::new();
    let reference = World::new();
    assert_code(&reference.sync("secrets", &[]), 0);
    let pair_v1 = reference.pair();
    assert_code(&reference.sync("secrets-v2", &[]), 0);
    let pair_v2 = reference.pair();

    let children: Vec<_> = (0..6)
        .map(|i| {
            let name = if i % 2 == 0 { "secrets" } else { "secrets-v2" };
            world
                .cmd()
                .arg("--bundle")
                .arg(bundle(name))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        crate::common::assert_no_canary(&out);
        assert_code(&out, 0);
    }
    let pair = world.pair();
    assert!(pair == pair_v1 || pair == pair_v2, "the pair is mixed");
    assert_eq!(
        world.out_names(),
        [".env", ".secrets-sync.lock", "console-secrets.json"]
    );
    assert_eq!(names_of(&world).len(), 21);
}

#[test]
fn a_run_waits_for_the_lock_held_by_another() {
    let world = World::new();
    assert_code(&world.sync("secrets", &[]), 0);
    let lock = fs_err::OpenOptions::new()
        .read(true)
        .write(true)
        .open(world.out().join(".secrets-sync.lock"))
        .unwrap();
    lock.lock().unwrap();
    let child = world
        .cmd()
        .arg("--bundle")
        .arg(bundle("secrets-v2"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = child;
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut first).unwrap();
    assert!(
        first.starts_with("waiting for another secrets-sync run to release"),
        "{first}"
    );
    let before = world.pair();
    lock.unlock().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!rest.contains(crate::common::CANARY));
    crate::common::assert_no_canary(&out);
    assert_code(&out, 0);
    let reference = World::new();
    assert_code(&reference.sync("secrets", &[]), 0);
    assert_eq!(
        before,
        reference.pair(),
        "nothing was published while the lock was held"
    );
    assert_code(&reference.sync("secrets-v2", &[]), 0);
    assert_eq!(world.pair(), reference.pair());
}

/// Issue 11: `--bundle` naming a FIFO is refused at once, not waited on.
#[test]
fn a_fifo_bundle_is_refused_not_waited_on() {
    let world = crate::common::World::new();
    let fifo = world.root().join("bundle.enc.yaml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let mut cmd = world.cmd();
    cmd.arg("--bundle").arg(&fifo);
    let out = crate::common::run(&mut cmd);
    crate::common::assert_code(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a regular file"), "{stderr}");
}
