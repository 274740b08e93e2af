//! End-to-end tests of `cargo xtask bundle …`: exit codes, outputs, file modes, and the
//! canary: a secret value that must never reach stderr (nor stdout, except where the
//! command's job is to print plaintext).
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

use crate::common::xtask;

const ALICE: &str = "age1ps335dvugrdjvdk7p6kzlhkzeze77p07w9exxz9em8mpkheehuwqs76e5w";
const BOB: &str = "age1lwfgmzxy5f6kr8gqtga0q82rpfvzzvjp43ee0lwyyv6ec8k8gfcszdlxuy";
const CANARY: &str = "CANARY-7f3c9e1d-never-print-me";

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/bundle-core/tests/fixtures/sops-3.11.0")
}

fn with_key(mut cmd: Command, name: &str) -> Command {
    cmd.env(
        "SOPS_AGE_KEY_FILE",
        vectors().join(format!("keys/{name}.agekey")),
    );
    cmd
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn help_lists_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let out = xtask(dir.path())
        .args(["bundle", "--help"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

#[test]
fn decrypt_prints_sops_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let case = vectors().join("cases/yaml-basic");
    let out = with_key(xtask(dir.path()), "alice")
        .args(["bundle", "decrypt"])
        .arg(case.join("encrypted.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(
        out.stdout,
        fs_err::read(case.join("expected.yaml")).unwrap()
    );
}

#[test]
fn decrypt_extract_and_output_file_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let case = vectors().join("cases/yaml-basic");
    let out = with_key(xtask(dir.path()), "alice")
        .args(["bundle", "decrypt", "--extract", r#"["server"]["port"]"#])
        .arg(case.join("encrypted.yaml"))
        .output()
        .unwrap();
    assert_eq!(
        (out.status.code(), out.stdout.as_slice()),
        // A number prints as sops prints it: YAML, with a final newline (issue 15).
        (Some(0), b"8443\n".as_slice())
    );
    let target = dir.path().join("plain.yaml");
    let out = with_key(xtask(dir.path()), "alice")
        .args(["bundle", "decrypt", "--output"])
        .arg(&target)
        .arg(case.join("encrypted.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(
        fs_err::metadata(&target).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn wrong_key_exits_3_and_names_the_recipient() {
    let dir = tempfile::tempdir().unwrap();
    let out = with_key(xtask(dir.path()), "bob")
        .args(["bundle", "decrypt"])
        .arg(vectors().join("cases/yaml-basic/encrypted.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty());
    let err = stderr_of(&out);
    assert!(err.contains(ALICE), "{err}");
    assert!(!err.contains("tok_test_51Hx9FAKEFAKEFAKE"), "{err}");
}

#[test]
fn no_key_at_all_exits_3_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let out = xtask(dir.path())
        .args(["bundle", "decrypt"])
        .arg(vectors().join("cases/yaml-basic/encrypted.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr_of(&out).contains("hint: set SOPS_AGE_KEY"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn tampered_file_exits_3() {
    let out = with_key(xtask(&vectors().join("cases/yaml-tampered-mac")), "alice")
        .args(["bundle", "decrypt", "encrypted.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr_of(&out).contains("MAC mismatch"),
        "{}",
        stderr_of(&out)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn input_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    fs_err::write(dir.path().join("plain.yaml"), "a: 1\n").unwrap();
    let out = xtask(dir.path())
        .args(["bundle", "decrypt", "plain.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("sops metadata not found"),
        "{}",
        stderr_of(&out)
    );
    let out = xtask(dir.path())
        .args(["bundle", "decrypt", "missing.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("missing.yaml"),
        "{}",
        stderr_of(&out)
    );
    // No .sops.yaml anywhere above a fresh temp dir and no --age.
    let out = xtask(dir.path())
        .args(["bundle", "encrypt", "plain.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    fs_err::write(
        dir.path().join(".sops.yaml"),
        format!("creation_rules:\n  - path_regex: \\.json$\n    age: {ALICE}\n"),
    )
    .unwrap();
    let out = xtask(dir.path())
        .args(["bundle", "encrypt", "plain.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("no creation rule"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn encrypt_set_rotate_updatekeys_flow_never_leaks_the_canary() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs_err::write(
        d.join(".sops.yaml"),
        format!("creation_rules:\n  - path_regex: secrets\\.yaml$\n    unencrypted_regex: ^MCP_SECRETS_VERSION$\n    age: {ALICE}\n"),
    )
    .unwrap();
    fs_err::write(
        d.join("secrets.yaml"),
        "MCP_SECRETS_VERSION: 1\ndb:\n    password: old # rotate me\n",
    )
    .unwrap();
    let mut outputs = Vec::new();
    let mut run = |cmd: &mut Command| {
        let out = cmd.output().unwrap();
        outputs.push(out.clone());
        out
    };
    let out = run(xtask(d).args(["bundle", "encrypt", "--in-place", "secrets.yaml"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let out = run(with_key(xtask(d), "alice")
        .args([
            "bundle",
            "set",
            "secrets.yaml",
            r#"["db"]["password"]"#,
            "--value-stdin",
            "--raw",
        ])
        .write_stdin(format!("{CANARY}\n")));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let out = run(with_key(xtask(d), "alice").args(["bundle", "rotate", "secrets.yaml"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));

    let status = run(xtask(d).args(["bundle", "status", "--json", "secrets.yaml"]));
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["plaintext_values"][0]["path"], "MCP_SECRETS_VERSION");
    assert_eq!(json["plaintext_values"][0]["value"], "1");
    assert_eq!(json["recipients"], serde_json::json!([[ALICE]]));

    // Add bob through .sops.yaml; without --yes nothing changes.
    fs_err::write(
        d.join(".sops.yaml"),
        format!("creation_rules:\n  - path_regex: secrets\\.yaml$\n    unencrypted_regex: ^MCP_SECRETS_VERSION$\n    age: {ALICE},{BOB}\n"),
    )
    .unwrap();
    let before = fs_err::read(d.join("secrets.yaml")).unwrap();
    // Issue 11: without --yes the change is only shown, and the exit status says so.
    let out = run(with_key(xtask(d), "alice").args(["bundle", "updatekeys", "secrets.yaml"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains(&format!("+ {BOB}")),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(fs_err::read(d.join("secrets.yaml")).unwrap(), before);
    let out =
        run(with_key(xtask(d), "alice").args(["bundle", "updatekeys", "--yes", "secrets.yaml"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));

    let out = run(with_key(xtask(d), "bob").args([
        "bundle",
        "decrypt",
        "--extract",
        r#"["db"]["password"]"#,
        "secrets.yaml",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(out.stdout, CANARY.as_bytes());
    let out = run(with_key(xtask(d), "bob").args(["bundle", "decrypt", "secrets.yaml"]));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("# rotate me"),
        "comments survive every edit"
    );

    let file = fs_err::read_to_string(d.join("secrets.yaml")).unwrap();
    assert!(!file.contains(CANARY));
    for (i, out) in outputs.iter().enumerate() {
        assert!(
            !stderr_of(out).contains(CANARY),
            "command {i} printed the canary on stderr"
        );
    }
    // Only the two decrypt commands (the last two) may print it, on stdout.
    for out in &outputs[..outputs.len() - 2] {
        assert!(!String::from_utf8_lossy(&out.stdout).contains(CANARY));
    }
}

#[test]
fn keygen_writes_0600_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = xtask(dir.path())
        .args(["bundle", "keygen", "--output", "k.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let path = dir.path().join("k.txt");
    let text = fs_err::read_to_string(&path).unwrap();
    assert!(text.lines().any(|l| l.starts_with("AGE-SECRET-KEY-1")));
    assert_eq!(
        fs_err::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let err = stderr_of(&out);
    assert!(
        err.contains("Public key: age1") && !err.contains("AGE-SECRET-KEY"),
        "{err}"
    );
    let again = xtask(dir.path())
        .args(["bundle", "keygen", "--output", "k.txt"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(fs_err::read_to_string(&path).unwrap(), text);
}

/// A document with one value of each kind `--extract` treats differently.
const EXTRACT_DOC: &str = "s: hello\ni: 1\nb: true\nbig: 1e21\nneg: -0.0\nz: null\nt: 2024-01-01T00:00:00Z\nl:\n  - x\n  - {a: 1, b: [true, null]}\n  - [1, 2.5]\n  - \"multi\\nline\"\nm:\n  k: v\n";

/// What sops 3.11 prints for each `--extract` of [`EXTRACT_DOC`] (read from the real sops:
/// the YAML forms end in a newline, the JSON ones do not, strings are bare).
const EXTRACT_EXPECTED: &[(&str, &str, &str)] = &[
    ("s", "yaml", "hello"),
    ("i", "yaml", "1\n"),
    ("i", "json", "1"),
    ("b", "yaml", "true\n"),
    ("b", "json", "true"),
    ("big", "yaml", "1e+21\n"),
    ("big", "json", "1e+21"),
    ("neg", "yaml", "-0\n"),
    ("z", "yaml", "null\n"),
    ("z", "json", "null"),
    ("t", "yaml", "2024-01-01T00:00:00Z\n"),
    ("t", "json", "\"2024-01-01T00:00:00Z\""),
    (
        "l",
        "yaml",
        "- x\n- a: 1\n  b:\n    - true\n    - null\n- - 1\n  - 2.5\n- |-\n  multi\n  line\n",
    ),
    (
        "l",
        "json",
        "[\n\t\"x\",\n\t{\n\t\t\"a\": 1,\n\t\t\"b\": [\n\t\t\ttrue,\n\t\t\tnull\n\t\t]\n\t},\n\t[\n\t\t1,\n\t\t2.5\n\t],\n\t\"multi\\nline\"\n]",
    ),
    ("m", "yaml", "k: v\n"),
];

#[test]
fn issue_15_extract_prints_values_as_sops_does() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs_err::write(d.join("doc.yaml"), EXTRACT_DOC).unwrap();
    let out = xtask(d)
        .args([
            "bundle", "encrypt", "--age", ALICE, "doc.yaml", "--output", "e.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let sops = test_support::sops();
    for (key, format, expected) in EXTRACT_EXPECTED {
        let path = format!(r#"["{key}"]"#);
        let out = with_key(xtask(d), "alice")
            .args([
                "bundle",
                "decrypt",
                "--output-type",
                format,
                "--extract",
                &path,
                "e.yaml",
            ])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{key} {format}: {}",
            stderr_of(&out)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            *expected,
            "{key} as {format}"
        );
        if let Some(sops) = &sops {
            let theirs = std::process::Command::new(sops)
                .current_dir(d)
                .env_clear()
                .env("HOME", d)
                .env("SOPS_AGE_KEY_FILE", vectors().join("keys/alice.agekey"))
                .args([
                    "--disable-version-check",
                    "decrypt",
                    "--output-type",
                    format,
                ])
                .args(["--extract", &path, "e.yaml"])
                .output()
                .unwrap();
            assert_eq!(theirs.stdout, out.stdout, "sops differs: {key} as {format}");
        }
    }
    // dotenv holds strings only (sops refuses too); INI is refused for a sequence.
    for (key, format, message) in [
        ("i", "dotenv", "holds strings only"),
        ("l", "binary", "holds strings only"),
        ("l", "ini", "cannot extract a sequence as INI"),
    ] {
        let out = with_key(xtask(d), "alice")
            .args(["bundle", "decrypt", "--output-type", format, "--extract"])
            .arg(format!(r#"["{key}"]"#))
            .arg("e.yaml")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{key} {format}");
        assert!(stderr_of(&out).contains(message), "{}", stderr_of(&out));
    }
}

#[test]
fn issue_15_set_value_stdin_is_json_as_in_sops_and_raw_keeps_a_plain_string() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs_err::write(d.join("doc.yaml"), "a: 1\n").unwrap();
    let out = xtask(d)
        .args([
            "bundle",
            "encrypt",
            "--age",
            ALICE,
            "--in-place",
            "doc.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let set = |args: &[&str], stdin: &str| {
        with_key(xtask(d), "alice")
            .args(["bundle", "set", "doc.yaml"])
            .args(args)
            .write_stdin(stdin.to_owned())
            .output()
            .unwrap()
    };
    let decrypted = || {
        let out = with_key(xtask(d), "alice")
            .args(["bundle", "decrypt", "doc.yaml"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let out = set(&[r#"["a"]"#, "--value-stdin"], "{\"x\": [1, \"two\"]}\n");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(decrypted(), "a:\n    x:\n        - 1\n        - two\n");
    // Not JSON: refused as sops refuses it, naming --raw.
    let out = set(&[r#"["a"]"#, "--value-stdin"], "plain\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("--raw"), "{}", stderr_of(&out));
    let out = set(&[r#"["a"]"#, "--value-stdin", "--raw"], "plain text\n");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(decrypted(), "a: plain text\n");
    // A value that starts with `-` needs no `--` (as in sops).
    let out = set(&[r#"["a"]"#, "-1e3"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(decrypted(), "a: -1000\n");
}

#[test]
fn issue_15_updatekeys_adding_a_recipient_keeps_lastmodified_mac_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs_err::write(d.join("doc.yaml"), "a: secret\nb: 2\n").unwrap();
    let out = xtask(d)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args([
            "bundle",
            "encrypt",
            "--age",
            ALICE,
            "--in-place",
            "doc.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let before = fs_err::read_to_string(d.join("doc.yaml")).unwrap();
    fs_err::write(
        d.join(".sops.yaml"),
        format!("creation_rules:\n  - age: {ALICE},{BOB}\n"),
    )
    .unwrap();
    let out = with_key(xtask(d), "alice")
        .env("SOURCE_DATE_EPOCH", "1800000000")
        .args(["bundle", "updatekeys", "--yes", "doc.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let after = fs_err::read_to_string(d.join("doc.yaml")).unwrap();
    // Every line but the age blocks is as before (sops updatekeys: same lastmodified, same
    // mac, same ciphertext); bob's entry is added.
    let kept = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.contains("ENC[") || l.contains("lastmodified") || l.contains("version"))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(kept(&before), kept(&after));
    assert!(after.contains(BOB));
    let out = with_key(xtask(d), "bob")
        .args(["bundle", "decrypt", "doc.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(out.stdout, b"a: secret\nb: 2\n");
}

#[test]
fn issue_15_deliberate_refusals_name_the_sops_behaviour() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let encrypt = |name: &str, text: &str| {
        fs_err::write(d.join(name), text).unwrap();
        xtask(d)
            .args(["bundle", "encrypt", "--age", ALICE, "--in-place", name])
            .output()
            .unwrap()
    };
    assert_eq!(
        encrypt("multi.yaml", "a: 1\n---\nb: 2\n").status.code(),
        Some(0)
    );
    assert_eq!(
        encrypt("nested.yaml", "s:\n  k:\n    n: 1\n").status.code(),
        Some(0)
    );
    assert_eq!(
        encrypt("list.yaml", "l:\n  # c\n  - a\n  - b\n")
            .status
            .code(),
        Some(0)
    );
    let out = encrypt("trailing.json", "{\"a\": 1} {\"b\": 2}\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("sops 3.11 reads the first object and silently ignores the rest"),
        "{}",
        stderr_of(&out)
    );
    for (args, message) in [
        (
            &["decrypt", "--output-type", "json", "multi.yaml"][..],
            "sops 3.11 writes the first and silently drops the others",
        ),
        (
            &["decrypt", "--output-type", "dotenv", "multi.yaml"][..],
            "sops 3.11 writes the first and silently drops the others",
        ),
        (
            &["decrypt", "--output-type", "ini", "nested.yaml"][..],
            "sops 3.11 writes Go's internal form",
        ),
        (
            &["decrypt", "--extract", r#"["l"][0]"#, "list.yaml"][..],
            "sops counts comments as list items, so its [0] names another item",
        ),
        (
            &["set", "list.yaml", r#"["l"][1]"#, "\"z\""][..],
            "sops counts comments as list items, so its [1] names another item",
        ),
        (
            &["unset", "list.yaml", r#"["l"][0]"#][..],
            "sops counts comments as list items",
        ),
    ] {
        let file = args
            .iter()
            .find(|a| Path::new(a).extension().is_some_and(|e| e == "yaml"))
            .unwrap();
        let before = fs_err::read(d.join(file)).unwrap();
        let out = with_key(xtask(d), "alice")
            .arg("bundle")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr_of(&out));
        assert!(
            stderr_of(&out).contains(message),
            "{args:?}: {}",
            stderr_of(&out)
        );
        assert!(out.stdout.is_empty(), "{args:?}");
        assert_eq!(fs_err::read(d.join(file)).unwrap(), before, "{args:?}");
    }
    // The whole list still extracts as sops prints it, comment included.
    let out = with_key(xtask(d), "alice")
        .args(["bundle", "decrypt", "--extract", r#"["l"]"#, "list.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(out.stdout, b"# c\n- a\n- b\n");
}
