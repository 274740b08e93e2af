//! YAML comment placement on encryption, against committed fixtures made by the real sops
//! 3.11 (issue 15; `tests/fixtures/yaml-comments/`, made by
//! `scripts/make-comment-fixtures.sh`).
//!
//! For every case, sops' encryption of `input.yaml` is the oracle:
//!
//! * every `#ENC[…]` comment in sops' file authenticates under the path our reader gives
//!   it (no warning), and the tree we read from sops' file equals, comment by comment and
//!   container by container, the tree we parse from the plaintext: each comment sits where
//!   sops attached it, so it gets the same AAD path from us;
//! * our encryption of the plaintext decrypts (by us) to the bytes sops prints for its own
//!   file (`expected.yaml`);
//! * with sops on PATH, sops decrypts our file with no warning to those same bytes (CI
//!   fails, not skips, without sops).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use bundle_core::Format;
use bundle_core::keys::Identities;
use bundle_core::sops::{EncryptSettings, SopsFile, encrypt_plaintext};
use bundle_core::store::{self, EmitOptions};
use test_support::sops;

const NOW: i64 = 1_796_000_000;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/yaml-comments")
}

fn key_file() -> PathBuf {
    fixtures().join("key.agekey")
}

fn identities() -> Identities {
    Identities::from_text("fixture", &fs_err::read_to_string(key_file()).unwrap()).unwrap()
}

/// The public key of the fixtures' identity (the `# public key:` line age-keygen writes).
fn recipient() -> String {
    let text = fs_err::read_to_string(key_file()).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap()
        .trim()
        .to_owned()
}

fn cases() -> Vec<(String, PathBuf)> {
    let mut cases: Vec<(String, PathBuf)> = fs_err::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    cases.sort();
    assert!(cases.len() >= 29, "the comment fixtures are missing");
    cases
}

fn read(dir: &Path, name: &str) -> String {
    fs_err::read_to_string(dir.join(name)).unwrap()
}

#[test]
fn sops_comment_paths_are_ours() {
    let mut failures = Vec::new();
    for (name, dir) in cases() {
        let plain = store::parse(Format::Yaml, read(&dir, "input.yaml").as_bytes()).unwrap();
        let theirs = SopsFile::parse(
            Path::new("encrypted.yaml"),
            Format::Yaml,
            read(&dir, "encrypted.yaml").as_bytes(),
        )
        .unwrap()
        .decrypt(&identities())
        .unwrap();
        if !theirs.warnings().is_empty() {
            failures.push(format!(
                "{name}: comments of sops' file fail: {:?}",
                theirs.warnings()
            ));
        } else if theirs.branches() != plain.branches.as_slice() {
            failures.push(format!(
                "{name}: sops attaches comments elsewhere\n ours:  {:?}\n sops': {:?}",
                plain.branches,
                theirs.branches()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn our_encryption_decrypts_to_sops_output() {
    let settings = EncryptSettings::for_recipients(vec![recipient()]);
    let mut failures = Vec::new();
    for (name, dir) in cases() {
        let path = dir.join("ours.yaml");
        let ours = encrypt_plaintext(
            &path,
            Format::Yaml,
            read(&dir, "input.yaml").as_bytes(),
            &settings,
            NOW,
        )
        .unwrap();
        let bytes = ours.to_bytes(EmitOptions::default()).unwrap();
        let back = SopsFile::parse(&path, Format::Yaml, &bytes)
            .unwrap()
            .decrypt(&identities())
            .unwrap();
        let shown = back
            .to_plaintext(Format::Yaml, EmitOptions::default())
            .unwrap();
        let expected = read(&dir, "expected.yaml");
        if !back.warnings().is_empty() || String::from_utf8_lossy(&shown) != expected {
            failures.push(format!(
                "{name}: warnings {:?}\n ours:\n{}\n sops:\n{expected}",
                back.warnings(),
                String::from_utf8_lossy(&shown)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn sops_decrypts_our_comments_without_warning() {
    let Some(sops) = sops() else { return };
    let settings = EncryptSettings::for_recipients(vec![recipient()]);
    let mut failures = Vec::new();
    for (name, dir) in cases() {
        let work = tempfile::tempdir().unwrap();
        let path = work.path().join("ours.yaml");
        let ours = encrypt_plaintext(
            &path,
            Format::Yaml,
            read(&dir, "input.yaml").as_bytes(),
            &settings,
            NOW,
        )
        .unwrap();
        fs_err::write(&path, ours.to_bytes(EmitOptions::default()).unwrap()).unwrap();
        let out = Command::new(&sops)
            .current_dir(work.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", work.path())
            .env("SOPS_AGE_KEY_FILE", key_file())
            .args(["--disable-version-check", "decrypt"])
            .arg(&path)
            .output()
            .unwrap();
        let expected = read(&dir, "expected.yaml");
        if !out.status.success()
            || !out.stderr.is_empty()
            || String::from_utf8_lossy(&out.stdout) != expected
        {
            failures.push(format!(
                "{name}: sops ({}) said {}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr),
                String::from_utf8_lossy(&out.stdout)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
