//! Issue 15: the identities sops users already have. SSH keys made by the real `ssh-keygen`
//! (ed25519 and rsa), used as `.sops.yaml` recipients and as identities, against the real
//! sops 3.11 both ways; a passphrase-protected SSH key, a plugin recipient without its
//! plugin binary and a post-quantum recipient are refused with a clear message and the exit
//! code of DESIGN.md. Under `CI=true` a missing sops or ssh-keygen fails the test.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output};

use test_support::{sops, ssh_keygen};

use crate::common::xtask;

const PLAINTEXT: &str = "db:\n    password: s3cr3t-ssh-interop\nport: 5432\n";
/// A valid plugin recipient for a plugin named `dummy`, whose binary exists nowhere.
const PLUGIN_RECIPIENT: &str =
    "age1dummy1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0ss8gl4l";

/// An SSH key pair made by ssh-keygen at `dir/name`: the private key's path and the public
/// key line, comment included.
fn ssh_key(dir: &Path, name: &str, kind: &str, passphrase: &str) -> Option<(PathBuf, String)> {
    let keygen = ssh_keygen()?;
    let path = dir.join(name);
    let mut cmd = StdCommand::new(keygen);
    cmd.args([
        "-q",
        "-t",
        kind,
        "-N",
        passphrase,
        "-C",
        "ops@example",
        "-f",
    ])
    .arg(&path);
    if kind == "rsa" {
        cmd.args(["-b", "2048"]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = fs_err::read_to_string(format!("{}.pub", path.display())).unwrap();
    Some((path, public.trim().to_owned()))
}

fn run_sops(sops: &Path, dir: &Path, env: &[(&str, &Path)], args: &[&str]) -> Output {
    let mut cmd = StdCommand::new(sops);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir);
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd.arg("--disable-version-check")
        .args(args)
        .output()
        .unwrap()
}

#[track_caller]
fn ok(out: &Output) -> Vec<u8> {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout.clone()
}

#[test]
fn issue_15_ssh_recipients_and_identities_interoperate_with_sops_both_ways() {
    let Some(sops) = sops() else { return };
    for kind in ["ed25519", "rsa"] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let ssh = d.join(".ssh");
        fs_err::create_dir_all(&ssh).unwrap();
        let Some((private, public)) = ssh_key(&ssh, &format!("id_{kind}"), kind, "") else {
            return;
        };
        fs_err::write(d.join("plain.yaml"), PLAINTEXT).unwrap();

        // sops encrypts to the SSH recipient; we decrypt with ~/.ssh/id_<kind>, found as sops
        // finds it (HOME is the temp dir).
        let made = ok(&run_sops(
            &sops,
            d,
            &[],
            &["encrypt", "--age", &public, "plain.yaml"],
        ));
        fs_err::write(d.join("by-sops.yaml"), &made).unwrap();
        let out = xtask(d)
            .args(["bundle", "decrypt", "by-sops.yaml"])
            .output()
            .unwrap();
        assert_eq!(ok(&out), PLAINTEXT.as_bytes(), "{kind}: sops → us");

        // We encrypt for the recipient of .sops.yaml; sops decrypts with
        // SOPS_AGE_SSH_PRIVATE_KEY_FILE (and HOME elsewhere, so only the variable counts).
        fs_err::write(
            d.join(".sops.yaml"),
            format!("creation_rules:\n  - age: {public}\n"),
        )
        .unwrap();
        let out = xtask(d)
            .env("SOURCE_DATE_EPOCH", "1796000000")
            .args(["bundle", "encrypt", "plain.yaml", "--output", "by-us.yaml"])
            .output()
            .unwrap();
        ok(&out);
        let nowhere = d.join("nowhere");
        fs_err::create_dir_all(&nowhere).unwrap();
        let mut cmd = StdCommand::new(&sops);
        let out = cmd
            .current_dir(d)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &nowhere)
            .env("SOPS_AGE_SSH_PRIVATE_KEY_FILE", &private)
            .args(["--disable-version-check", "decrypt", "by-us.yaml"])
            .output()
            .unwrap();
        assert_eq!(ok(&out), PLAINTEXT.as_bytes(), "{kind}: us → sops");
        // And we read our own file through the variable too.
        let out = xtask(&nowhere)
            .env("SOPS_AGE_SSH_PRIVATE_KEY_FILE", &private)
            .arg("bundle")
            .arg("decrypt")
            .arg(d.join("by-us.yaml"))
            .output()
            .unwrap();
        assert_eq!(ok(&out), PLAINTEXT.as_bytes(), "{kind}: us → us");
    }
}

#[test]
fn issue_15_a_passphrase_protected_ssh_key_is_a_clear_key_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ssh = d.join(".ssh");
    fs_err::create_dir_all(&ssh).unwrap();
    let Some((_, public)) = ssh_key(&ssh, "id_ed25519", "ed25519", "correct horse battery") else {
        return;
    };
    fs_err::write(d.join("plain.yaml"), PLAINTEXT).unwrap();
    let out = xtask(d)
        .args([
            "bundle",
            "encrypt",
            "--age",
            &public,
            "plain.yaml",
            "--output",
            "e.yaml",
        ])
        .output()
        .unwrap();
    ok(&out);
    let out = xtask(d)
        .args(["bundle", "decrypt", "e.yaml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("id_ed25519"), "{stderr}");
    assert!(
        stderr.contains("passphrase-protected, which this toolkit does not support"),
        "{stderr}"
    );
    assert!(!stderr.contains("correct horse"));
    assert!(out.stdout.is_empty());
}

#[test]
fn issue_15_a_plugin_recipient_without_its_binary_names_it_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs_err::write(d.join("plain.yaml"), PLAINTEXT).unwrap();
    let out = xtask(d)
        .args([
            "bundle",
            "encrypt",
            "--age",
            PLUGIN_RECIPIENT,
            "plain.yaml",
            "--output",
            "e.yaml",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("the age plugin binary `age-plugin-dummy` is not on PATH"),
        "{stderr}"
    );
    assert!(!d.join("e.yaml").exists(), "nothing is written");
    // sops 3.11 refuses the same recipient for the same reason.
    if let Some(sops) = sops() {
        let out = run_sops(
            &sops,
            d,
            &[],
            &["encrypt", "--age", PLUGIN_RECIPIENT, "plain.yaml"],
        );
        assert_ne!(out.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&out.stderr).contains("age-plugin-dummy"));
    }
}

#[test]
fn issue_15_a_post_quantum_recipient_is_refused_naming_what_is_needed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs_err::write(d.join("plain.yaml"), PLAINTEXT).unwrap();
    let pq = format!("age1pq1{}", "q".repeat(1952));
    fs_err::write(
        d.join(".sops.yaml"),
        format!("creation_rules:\n  - age: {pq}\n"),
    )
    .unwrap();
    let out = xtask(d)
        .args(["bundle", "encrypt", "plain.yaml", "--output", "e.yaml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("need age v1.3 (sops 3.12 or later); the Rust age crate 0.12.1"),
        "{stderr}"
    );
    assert!(stderr.contains("creation_rules[0]"), "{stderr}");
    assert!(!d.join("e.yaml").exists());
}
