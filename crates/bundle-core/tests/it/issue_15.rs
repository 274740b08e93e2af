//! Issue 15: integrity holes found by comparing with sops 3.11. Each tampered file is
//! checked with us and, when sops is on PATH, with the real sops on the same bytes.
//!
//! - The MAC's `type:` tag is outside every AAD: `type:str` edited to `type:int` must be
//!   refused (sops: exit 51 for every type but `str`).
//! - A comment stored as a sequence element (`a: [1, 2] # c`) is a value to sops: a flipped
//!   ciphertext byte fails decryption (sops: exit 25). Only a comment *line* that does not
//!   decrypt is kept with a warning (sops warns and exits 0).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bundle_core::keys::Identities;
use bundle_core::sops::{Decrypted, SopsFile};
use bundle_core::store::EmitOptions;
use bundle_core::{Error, ExitStatus, Format};
use test_support::sops;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn alice_key_file() -> PathBuf {
    fixtures().join("sops-3.11.0/keys/alice.agekey")
}

fn alice() -> Identities {
    Identities::from_text("alice", &fs_err::read_to_string(alice_key_file()).unwrap()).unwrap()
}

/// The sops-made file of `a: [1, 2] # c` / `b: x`.
fn seq_comment_file() -> String {
    fs_err::read_to_string(fixtures().join("issue-15/seq-comment.yaml")).unwrap()
}

/// The ciphertext of the comment element `- ENC[…,type:comment]` in `seq_comment_file`.
const COMMENT_DATA: &str = "- ENC[AES256_GCM,data:KSs=,";
/// The same with its first ciphertext byte changed (`K` → `L` changes the first byte; a
/// change in the last base64 character could touch only padding bits).
const COMMENT_DATA_FLIPPED: &str = "- ENC[AES256_GCM,data:LSs=,";

fn ours(text: &str) -> Result<Decrypted, Error> {
    SopsFile::parse(Path::new("t.yaml"), Format::Yaml, text.as_bytes())?.decrypt(&alice())
}

/// The real sops decrypting `text` (as a .yaml file); `None` when sops is not on PATH.
fn theirs(text: &str) -> Option<Output> {
    let sops = sops()?;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.yaml");
    fs_err::write(&path, text).unwrap();
    let out = Command::new(sops)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("SOPS_AGE_KEY_FILE", alice_key_file())
        .args(["--disable-version-check", "decrypt"])
        .arg(&path)
        .output()
        .unwrap();
    Some(out)
}

#[track_caller]
fn assert_sops_exit(out: Option<Output>, code: i32, stderr_has: &str) {
    let Some(out) = out else { return };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    assert!(stderr.contains(stderr_has), "{stderr}");
}

fn mac_type(text: &str, ty: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.starts_with("    mac: ENC["))
        .unwrap();
    let edited = line.replace(",type:str]", &format!(",type:{ty}]"));
    assert_ne!(line, edited);
    text.replace(line, &edited)
}

#[test]
fn issue_15_untampered_fixture_decrypts() {
    let d = ours(&seq_comment_file()).unwrap();
    assert!(d.warnings().is_empty(), "{:?}", d.warnings());
    let plain = d
        .to_plaintext(Format::Yaml, EmitOptions::default())
        .unwrap();
    assert_eq!(
        String::from_utf8(plain.to_vec()).unwrap(),
        "a:\n    # c\n    - 1\n    - 2\nb: x\n"
    );
    assert_sops_exit(theirs(&seq_comment_file()), 0, "");
}

#[test]
fn issue_15_mac_type_tag_int_is_an_integrity_error() {
    let text = mac_type(&seq_comment_file(), "int");
    let err = ours(&text).unwrap_err();
    assert!(
        matches!(&err, Error::MacBadType { value_type, .. } if value_type == "int"),
        "{err:?}"
    );
    assert_eq!(err.exit_status(), ExitStatus::Integrity);
    assert_sops_exit(theirs(&text), 51, "Cannot decrypt MAC");
}

/// sops refuses every MAC type but `str` (exit 51; `bytes` makes it panic, exit 2).
#[test]
fn issue_15_mac_type_tag_other_than_str_is_an_integrity_error() {
    for ty in ["float", "bool", "time", "comment", "junk"] {
        let text = mac_type(&seq_comment_file(), ty);
        let err = ours(&text).unwrap_err();
        assert!(
            matches!(&err, Error::MacBadType { value_type, .. } if value_type == ty),
            "{ty}: {err:?}"
        );
        assert_sops_exit(theirs(&text), 51, "MAC");
    }
}

#[test]
fn issue_15_tampered_comment_sequence_item_is_an_integrity_error() {
    let text = seq_comment_file().replace(COMMENT_DATA, COMMENT_DATA_FLIPPED);
    assert_ne!(text, seq_comment_file());
    let err = ours(&text).unwrap_err();
    assert!(
        matches!(&err, Error::ValueDecrypt { tree_path, .. } if tree_path == "a:"),
        "{err:?}"
    );
    assert_eq!(err.exit_status(), ExitStatus::Integrity);
    assert_sops_exit(theirs(&text), 25, "cipher: message authentication failed");
}

/// The one case sops warns about: an encrypted comment *line* that does not decrypt is
/// kept as it is, with a warning, and everything else decrypts (sops: exit 0).
#[test]
fn issue_15_tampered_comment_line_is_kept_with_a_warning() {
    let text = seq_comment_file().replace(COMMENT_DATA, "#ENC[AES256_GCM,data:LSs=,");
    let d = ours(&text).unwrap();
    assert_eq!(d.warnings().len(), 1, "{:?}", d.warnings());
    assert!(d.warnings()[0].contains("`a:`"), "{:?}", d.warnings());
    let plain = d
        .to_plaintext(Format::Yaml, EmitOptions::default())
        .unwrap();
    let plain = String::from_utf8(plain.to_vec()).unwrap();
    assert!(plain.contains("#ENC[AES256_GCM,data:LSs=,"), "{plain}");
    assert!(plain.contains("    - 1\n    - 2\n"), "{plain}");
    assert_sops_exit(theirs(&text), 0, "Found possibly unencrypted comment");
}

/// A document with LS/PS and NEL in values kept in the clear (where the MAC covers the
/// text as go-yaml reads it) and in an encrypted value.
const UNICODE_BREAKS: &str =
    "key: 'x\u{2028}    y'\nplain_note: \"p \u{85} q\"\nsecret: 'a\u{2029}  b'\n";

fn clear_scope() -> bundle_core::scope::ScopeRule {
    bundle_core::scope::ScopeRule::from_field("unencrypted_regex", "^(k|plain)").unwrap()
}

/// Issue 15: sops' file holding U+2028/U+2029 (and NEL) decrypts with us, MAC verified, to
/// the same bytes sops prints; ours decrypts with sops.
#[test]
fn issue_15_unicode_line_breaks_interoperate_both_ways() {
    let recipient = alice().recipients()[0].clone();
    // Ours → sops.
    let settings = bundle_core::sops::EncryptSettings {
        key_groups: vec![vec![recipient.clone()]],
        scope: Some(clear_scope()),
        ..Default::default()
    };
    let file = bundle_core::sops::encrypt_plaintext(
        Path::new("t.yaml"),
        Format::Yaml,
        UNICODE_BREAKS.as_bytes(),
        &settings,
        1_800_000_000,
    )
    .unwrap();
    let ours_text = String::from_utf8(file.to_bytes(EmitOptions::default()).unwrap()).unwrap();
    let our_plain = ours(&ours_text)
        .unwrap()
        .to_plaintext(Format::Yaml, EmitOptions::default())
        .unwrap();
    if let Some(out) = theirs(&ours_text) {
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, our_plain.as_slice());
    }
    // sops → ours.
    let Some(sops) = sops() else { return };
    let dir = tempfile::tempdir().unwrap();
    fs_err::write(dir.path().join("p.yaml"), UNICODE_BREAKS).unwrap();
    let encrypted = Command::new(&sops)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .args(["--disable-version-check", "encrypt", "--age", &recipient])
        .args(["--unencrypted-regex", "^(k|plain)", "p.yaml"])
        .output()
        .unwrap();
    assert_eq!(encrypted.status.code(), Some(0));
    let sops_text = String::from_utf8(encrypted.stdout).unwrap();
    let decrypted = ours(&sops_text).expect("sops' file decrypts with us, MAC verified");
    let plain = decrypted
        .to_plaintext(Format::Yaml, EmitOptions::default())
        .unwrap();
    let out = theirs(&sops_text).unwrap();
    assert_eq!(out.stdout, plain.as_slice());
}

/// Comments first in the value of an explicit `? key` entry (the key needs quotes and a
/// line break escape). sops writes the first of them on the `:` line and then cannot
/// authenticate it (its parser reads it one level up); we write it below `:`, so sops
/// decrypts our file with no warning and no `#ENC[` (printing it its own way).
#[test]
fn issue_15_comments_in_an_explicit_entrys_value_decrypt_with_sops() {
    const PLAIN: &str = "root:\n    ? \"\\r\"\n    :\n        # c\n        # d\n        \"\": null\n    ? \"\\r\\r\"\n    :\n        # e\n        - 1\n";
    let recipient = alice().recipients()[0].clone();
    let settings = bundle_core::sops::EncryptSettings {
        key_groups: vec![vec![recipient]],
        ..Default::default()
    };
    let file = bundle_core::sops::encrypt_plaintext(
        Path::new("t.yaml"),
        Format::Yaml,
        PLAIN.as_bytes(),
        &settings,
        1_800_000_000,
    )
    .unwrap();
    let ours_text = String::from_utf8(file.to_bytes(EmitOptions::default()).unwrap()).unwrap();
    let decrypted = ours(&ours_text).unwrap();
    assert!(decrypted.warnings().is_empty());
    let our_plain = decrypted
        .to_plaintext(Format::Yaml, EmitOptions::default())
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&our_plain), PLAIN);
    if let Some(out) = theirs(&ours_text) {
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let sops_layout = PLAIN.replace(":\n        # ", ":   # ");
        assert_eq!(String::from_utf8_lossy(&out.stdout), sops_layout);
    }
}
