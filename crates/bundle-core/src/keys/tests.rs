//! Tests of key discovery, identity parsing, wrapping and redaction, against the sops 3.11
//! vectors in `tests/fixtures/keys`.
//!
//! Slightly over 600 lines: discovery and identity tests share the fixture helpers and the
//! vectors (an identity found by discovery must unwrap a real sops stanza), so they stay in
//! one file.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use age::secrecy::SecretString;

use super::discovery::split_words;
use super::identities::ARMOR_BEGIN;
use super::*;
use crate::error::Error;

const ALICE_RECIPIENT: &str = "age1ps335dvugrdjvdk7p6kzlhkzeze77p07w9exxz9em8mpkheehuwqs76e5w";
const BOB_RECIPIENT: &str = "age1lwfgmzxy5f6kr8gqtga0q82rpfvzzvjp43ee0lwyyv6ec8k8gfcszdlxuy";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name)
}

fn read_fixture(name: &str) -> String {
    fs_err::read_to_string(fixture(name)).unwrap()
}

/// The `enc` values and metadata of a sops 3.11 YAML file.
fn sops_metadata(name: &str) -> yaml_serde::Value {
    let doc: yaml_serde::Value = yaml_serde::from_str(&read_fixture(name)).unwrap();
    doc["sops"].clone()
}

fn enc_of(meta: &yaml_serde::Value, index: usize) -> (String, String) {
    let entry = &meta["age"][index];
    (
        entry["recipient"].as_str().unwrap().to_owned(),
        entry["enc"].as_str().unwrap().to_owned(),
    )
}

/// Decrypts the stored MAC with the data key; it authenticates only with the right key.
fn mac_authenticates(data_key: &[u8], meta: &yaml_serde::Value) -> bool {
    use aes_gcm::aead::consts::U32;
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    use base64::Engine as _;
    let mac = meta["mac"].as_str().unwrap();
    let lastmodified = meta["lastmodified"].as_str().unwrap();
    let inner = mac
        .strip_prefix("ENC[AES256_GCM,")
        .unwrap()
        .strip_suffix(']')
        .unwrap();
    let field = |name: &str| {
        let v = inner
            .split(',')
            .find_map(|p| p.strip_prefix(&format!("{name}:")))
            .unwrap();
        base64::engine::general_purpose::STANDARD.decode(v).unwrap()
    };
    let (data, iv, tag) = (field("data"), field("iv"), field("tag"));
    let cipher = aes_gcm::AesGcm::<aes_gcm::aes::Aes256, U32>::new_from_slice(data_key).unwrap();
    let mut ct = data.clone();
    ct.extend_from_slice(&tag);
    let nonce = aes_gcm::Nonce::<U32>::from_slice(&iv);
    cipher
        .decrypt(
            nonce,
            Payload {
                msg: &ct,
                aad: lastmodified.as_bytes(),
            },
        )
        .is_ok()
}

fn env_with_home(home: &Path) -> KeyEnv {
    KeyEnv {
        home: Some(home.to_owned()),
        ..KeyEnv::default()
    }
}

#[test]
fn unwraps_the_data_key_of_a_sops_vector_with_alice() {
    let meta = sops_metadata("yaml-basic.encrypted.yaml");
    let (recipient, enc) = enc_of(&meta, 0);
    assert_eq!(recipient, ALICE_RECIPIENT);
    let alice = Identities::from_text("alice", &read_fixture("alice.agekey")).unwrap();
    let key = alice.unwrap_data_key(&enc).unwrap().expect("alice matches");
    assert_eq!(key.len(), 32);
    assert!(
        mac_authenticates(&key, &meta),
        "the unwrapped key must decrypt the stored MAC"
    );
    // Sanity check of the check: a different key does not authenticate.
    let mut wrong = key.to_vec();
    wrong[0] ^= 1;
    assert!(!mac_authenticates(&wrong, &meta));
}

#[test]
fn bob_does_not_match_alices_stanza() {
    let (_, enc) = enc_of(&sops_metadata("yaml-basic.encrypted.yaml"), 0);
    let bob = Identities::from_text("bob", &read_fixture("bob.agekey")).unwrap();
    assert!(bob.unwrap_data_key(&enc).unwrap().is_none());
}

#[test]
fn both_stanzas_of_a_two_recipient_file_unwrap_to_the_same_key() {
    let meta = sops_metadata("yaml-two-recipients.encrypted.yaml");
    let (r0, enc0) = enc_of(&meta, 0);
    let (r1, enc1) = enc_of(&meta, 1);
    assert_eq!((r0.as_str(), r1.as_str()), (ALICE_RECIPIENT, BOB_RECIPIENT));
    let alice = Identities::from_text("alice", &read_fixture("alice.agekey")).unwrap();
    let bob = Identities::from_text("bob", &read_fixture("bob.agekey")).unwrap();
    let k0 = alice.unwrap_data_key(&enc0).unwrap().unwrap();
    let k1 = bob.unwrap_data_key(&enc1).unwrap().unwrap();
    assert_eq!(*k0, *k1);
    assert!(alice.unwrap_data_key(&enc1).unwrap().is_none());
    assert!(mac_authenticates(&k0, &meta));
}

#[test]
fn shamir_shares_of_a_sops_file_combine_to_the_data_key() {
    let meta = sops_metadata("yaml-shamir.encrypted.yaml");
    assert_eq!(meta["shamir_threshold"].as_u64(), Some(2));
    let group_enc = |g: usize| {
        meta["key_groups"][g]["age"][0]["enc"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let alice = Identities::from_text("alice", &read_fixture("alice.agekey")).unwrap();
    let bob = Identities::from_text("bob", &read_fixture("bob.agekey")).unwrap();
    let share0 = alice.unwrap_data_key(&group_enc(0)).unwrap().unwrap();
    let share1 = bob.unwrap_data_key(&group_enc(1)).unwrap().unwrap();
    assert_eq!(
        (share0.len(), share0[32], share1.len(), share1[32]),
        (33, 1, 33, 2)
    );
    let key = crate::shamir::combine(&[&share1, &share0]).unwrap();
    assert_eq!(key.len(), 32);
    assert!(mac_authenticates(&key, &meta));
    // One share alone is not the key.
    assert!(!mac_authenticates(
        &crate::shamir::combine(&[&share0]).unwrap(),
        &meta
    ));
}

#[test]
fn no_identities_means_no_match_but_malformed_armor_is_an_error() {
    let (_, enc) = enc_of(&sops_metadata("yaml-basic.encrypted.yaml"), 0);
    let none = Identities::default();
    assert!(none.unwrap_data_key(&enc).unwrap().is_none());

    let alice = Identities::from_text("alice", &read_fixture("alice.agekey")).unwrap();
    // Not armored at all.
    assert!(matches!(alice.unwrap_data_key("hello"), Err(Error::Age(_))));
    // Re-wrapped at 76 columns: sops rejects it, so do we.
    let body: String = enc.lines().filter(|l| !l.starts_with("-----")).collect();
    let mut rewrapped = format!("{ARMOR_BEGIN}\n");
    for chunk in body.as_bytes().chunks(76) {
        rewrapped.push_str(std::str::from_utf8(chunk).unwrap());
        rewrapped.push('\n');
    }
    rewrapped.push_str("-----END AGE ENCRYPTED FILE-----\n");
    assert!(matches!(
        alice.unwrap_data_key(&rewrapped),
        Err(Error::Age(_))
    ));
    // A flipped byte in the payload does not authenticate.
    let mut lines: Vec<String> = enc.lines().map(str::to_owned).collect();
    let last_body = lines.len() - 2;
    let flipped = if lines[last_body].starts_with('A') {
        "B"
    } else {
        "A"
    };
    lines[last_body].replace_range(0..1, flipped);
    let tampered = lines.join("\n") + "\n";
    assert!(matches!(
        alice.unwrap_data_key(&tampered),
        Err(Error::Age(_))
    ));
    // Leading whitespace and a missing final newline are accepted, as in sops.
    let relaxed = format!("  \n{}", enc.trim_end());
    assert_eq!(alice.unwrap_data_key(&relaxed).unwrap().unwrap().len(), 32);
}

#[test]
fn wrap_produces_strict_armor_that_unwraps() {
    let pair = KeyPair::generate();
    let data_key = [7u8; 32];
    let enc = wrap_data_key(&pair.recipient(), &data_key).unwrap();
    let lines: Vec<&str> = enc.lines().collect();
    assert_eq!(lines[0], ARMOR_BEGIN);
    assert_eq!(*lines.last().unwrap(), "-----END AGE ENCRYPTED FILE-----");
    assert!(enc.ends_with("-----END AGE ENCRYPTED FILE-----\n"));
    assert!(!enc.contains('\r'));
    let body = &lines[1..lines.len() - 1];
    assert!(body.len() >= 2);
    for line in &body[..body.len() - 1] {
        assert_eq!(line.len(), 64);
    }
    assert!(body.last().unwrap().len() <= 64);
    let got = pair.to_identities().unwrap_data_key(&enc).unwrap().unwrap();
    assert_eq!(got.as_slice(), &data_key);
    // Another key does not match.
    assert!(
        KeyPair::generate()
            .to_identities()
            .unwrap_data_key(&enc)
            .unwrap()
            .is_none()
    );
}

#[test]
fn wrapped_key_decrypts_with_the_age_cli() {
    let dir = tempfile::tempdir().unwrap();
    let data_key: Vec<u8> = (0u8..33).collect();
    let enc = wrap_data_key(ALICE_RECIPIENT, &data_key).unwrap();
    let enc_path = dir.path().join("key.age");
    fs_err::write(&enc_path, &enc).unwrap();
    let output = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(fixture("alice.agekey"))
        .arg(&enc_path)
        .output()
        .expect("the age CLI is installed (apt-get install age)");
    assert!(
        output.status.success(),
        "age -d failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.stdout, data_key);
}

#[test]
fn wrap_rejects_bad_recipients() {
    for bad in [
        "",
        "age1xyz",
        "AGE-SECRET-KEY-1ABC",
        "ssh-ed25519 AAAAC3Nz",
        "ssh-dss AAAAB3NzaC1kc3M=",
    ] {
        let err = wrap_data_key(bad, &[0; 32]).unwrap_err();
        assert!(
            matches!(err, Error::InvalidRecipient { .. }),
            "{bad}: {err:?}"
        );
    }
    assert_eq!(
        parse_recipient(&format!(" {ALICE_RECIPIENT}\n"))
            .unwrap()
            .to_string(),
        ALICE_RECIPIENT
    );
}

#[test]
fn default_keys_path_follows_xdg_rules() {
    let home = Some(PathBuf::from("/home/u"));
    let env = KeyEnv {
        home: home.clone(),
        ..KeyEnv::default()
    };
    assert_eq!(
        default_keys_path(&env).unwrap(),
        Path::new("/home/u/.config/sops/age/keys.txt")
    );
    let env = KeyEnv {
        home: home.clone(),
        xdg_config_home: Some("/xdg".into()),
        ..KeyEnv::default()
    };
    assert_eq!(
        default_keys_path(&env).unwrap(),
        Path::new("/xdg/sops/age/keys.txt")
    );
    let env = KeyEnv {
        home: home.clone(),
        xdg_config_home: Some("".into()),
        ..KeyEnv::default()
    };
    assert_eq!(
        default_keys_path(&env).unwrap(),
        Path::new("/home/u/.config/sops/age/keys.txt")
    );
    let env = KeyEnv {
        home,
        xdg_config_home: Some("rel".into()),
        ..KeyEnv::default()
    };
    assert_eq!(default_keys_path(&env), None);
    assert_eq!(default_keys_path(&KeyEnv::default()), None);
}

#[test]
fn discover_combines_every_source() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let default = home.join(".config/sops/age/keys.txt");
    fs_err::create_dir_all(default.parent().unwrap()).unwrap();
    let k_default = KeyPair::generate();
    fs_err::write(
        &default,
        format!("# default\n{}\n", k_default.expose_identity()),
    )
    .unwrap();
    let k_file = KeyPair::generate();
    let key_file = dir.path().join("file.txt");
    fs_err::write(&key_file, format!("{}\n", k_file.expose_identity())).unwrap();
    let k_cmd = KeyPair::generate();
    let cmd_file = dir.path().join("cmd key.txt");
    fs_err::write(&cmd_file, k_cmd.expose_identity()).unwrap();
    let k_env = KeyPair::generate();

    let env = KeyEnv {
        sops_age_key: Some(SecretString::from(format!(
            "\n{}\n",
            k_env.expose_identity()
        ))),
        sops_age_key_file: Some(key_file.clone()),
        sops_age_key_cmd: Some(format!("cat '{}'", cmd_file.display())),
        home: Some(home),
        ..KeyEnv::default()
    };
    let ids = Identities::discover(&env).unwrap();
    assert_eq!(ids.len(), 4);
    assert_eq!(
        ids.recipients(),
        vec![
            k_env.recipient(),
            k_file.recipient(),
            k_cmd.recipient(),
            k_default.recipient()
        ]
    );
    assert_eq!(
        ids.sources(),
        [
            "SOPS_AGE_KEY".to_owned(),
            format!("SOPS_AGE_KEY_FILE={}", key_file.display()),
            "SOPS_AGE_KEY_CMD".to_owned(),
            default.display().to_string(),
        ]
    );
    assert!(ids.failures().is_empty(), "{:?}", ids.failures());

    // Each source's key really decrypts.
    for pair in [&k_env, &k_file, &k_cmd, &k_default] {
        let enc = wrap_data_key(&pair.recipient(), &[1; 32]).unwrap();
        assert_eq!(
            ids.unwrap_data_key(&enc).unwrap().unwrap().as_slice(),
            &[1; 32]
        );
    }
}

#[test]
fn discover_reads_only_the_default_file_when_nothing_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let env = env_with_home(dir.path());
    let ids = Identities::discover(&env).unwrap();
    assert!(ids.is_empty());
    assert!(ids.sources().is_empty());
    assert!(ids.failures().is_empty());

    let xdg = dir.path().join("xdg");
    fs_err::create_dir_all(xdg.join("sops/age")).unwrap();
    fs_err::copy(fixture("alice.agekey"), xdg.join("sops/age/keys.txt")).unwrap();
    let env = KeyEnv {
        xdg_config_home: Some(xdg.clone()),
        ..env_with_home(dir.path())
    };
    let ids = Identities::discover(&env).unwrap();
    assert_eq!(ids.recipients(), vec![ALICE_RECIPIENT.to_owned()]);
    assert_eq!(
        ids.sources(),
        [xdg.join("sops/age/keys.txt").display().to_string()]
    );
}

/// Issue 11: a command that hangs (a prompt nobody answers) is killed with its whole process
/// group after `SOPS_AGE_KEY_CMD_TIMEOUT`, and the failure says so.
#[test]
fn a_hanging_key_command_is_killed_after_its_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("grandchild-alive");
    // The grandchild would write the marker after 3 s if it survived the kill of its group.
    let command = format!("sh -c '(sleep 3; touch {}) & sleep 30'", marker.display());
    let env = KeyEnv {
        sops_age_key_cmd: Some(command.clone()),
        sops_age_key_cmd_timeout: Some("1".to_owned()),
        ..env_with_home(dir.path())
    };
    let start = std::time::Instant::now();
    let ids = Identities::discover(&env).unwrap();
    assert!(
        start.elapsed() < std::time::Duration::from_secs(20),
        "it was not killed"
    );
    assert_eq!(
        ids.failures(),
        [format!(
            "SOPS_AGE_KEY_CMD `{command}` failed: it did not finish within 1 s and was killed (set SOPS_AGE_KEY_CMD_TIMEOUT to allow longer)"
        )]
    );
    std::thread::sleep(std::time::Duration::from_secs(4));
    assert!(
        !marker.exists(),
        "the command's process group was not killed"
    );

    let bad = KeyEnv {
        sops_age_key_cmd: Some("true".to_owned()),
        sops_age_key_cmd_timeout: Some("soon".to_owned()),
        ..env_with_home(dir.path())
    };
    let ids = Identities::discover(&bad).unwrap();
    assert!(
        ids.failures()[0].starts_with("SOPS_AGE_KEY_CMD_TIMEOUT `soon` is not a number of seconds"),
        "{:?}",
        ids.failures()
    );
}

#[test]
fn a_failing_source_is_skipped_and_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let env = KeyEnv {
        sops_age_key: Some(SecretString::from(read_fixture("bob.agekey"))),
        sops_age_key_file: Some(dir.path().join("missing.txt")),
        sops_age_key_cmd: Some("sh -c 'echo oops >&2; exit 3'".to_owned()),
        ..env_with_home(dir.path())
    };
    let ids = Identities::discover(&env).unwrap();
    assert_eq!(ids.recipients(), vec![BOB_RECIPIENT.to_owned()]);
    assert_eq!(ids.sources(), ["SOPS_AGE_KEY"]);
    assert_eq!(ids.failures().len(), 2, "{:?}", ids.failures());
    assert!(
        ids.failures()[0].contains("missing.txt"),
        "{}",
        ids.failures()[0]
    );
    assert_eq!(
        ids.failures()[1],
        "SOPS_AGE_KEY_CMD `sh -c 'echo oops >&2; exit 3'` failed: exit status: 3: oops"
    );

    // Decryption then fails, naming the loaded and the skipped sources.
    let err = ids.no_key_error(Path::new("s.yaml"), vec![ALICE_RECIPIENT.to_owned()], &env);
    let Error::NoMatchingIdentity { sources, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(sources.len(), 3);
    assert!(sources[2].starts_with("skipped: SOPS_AGE_KEY_CMD"));
    assert_eq!(err.exit_status(), crate::ExitStatus::Integrity);

    let err = Identities::default().no_key_error(Path::new("s.yaml"), vec![], &env);
    let Error::NoIdentities { default_keys, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(default_keys, &dir.path().join(".config/sops/age/keys.txt"));
}

#[test]
fn key_cmd_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "/nonexistent/key-command",
            "cannot run `/nonexistent/key-command`",
        ),
        ("echo 'unterminated", "unterminated single quote"),
        ("   ", "the command is empty"),
        ("echo not-a-key", "line 1: unknown identity type"),
        ("true", "no identities found"),
    ];
    for (command, expected) in cases {
        let env = KeyEnv {
            sops_age_key_cmd: Some(command.to_owned()),
            ..env_with_home(dir.path())
        };
        let ids = Identities::discover(&env).unwrap();
        assert!(ids.is_empty());
        assert_eq!(ids.failures().len(), 1, "{command}");
        assert!(
            ids.failures()[0].contains(expected),
            "{command}: {}",
            ids.failures()[0]
        );
    }
    // A command line holding a key is never echoed, nor is such a stderr line.
    let alice = read_fixture("alice.agekey");
    let secret = alice.lines().last().unwrap();
    let env = KeyEnv {
        sops_age_key_cmd: Some(format!("sh -c 'echo {secret} >&2; exit 1'")),
        ..env_with_home(dir.path())
    };
    let ids = Identities::discover(&env).unwrap();
    assert_eq!(ids.failures().len(), 1);
    assert!(
        !ids.failures()[0].contains("AGE-SECRET-KEY"),
        "{}",
        ids.failures()[0]
    );
    assert!(!format!("{env:?}").contains("AGE-SECRET-KEY"));
}

#[test]
fn split_words_follows_shell_quoting() {
    let split = |s: &str| split_words(s).unwrap();
    assert_eq!(split("a b\tc"), ["a", "b", "c"]);
    assert_eq!(
        split(r#"pass show "age key" 'x y'"#),
        ["pass", "show", "age key", "x y"]
    );
    assert_eq!(
        split(r#"a\ b "q\"uote" 'it''s'"#),
        ["a b", "q\"uote", "its"]
    );
    assert_eq!(split(r#"x "" y # comment"#), ["x", "", "y"]);
    assert_eq!(split("a#b"), ["a#b"]);
    assert!(split_words("\"open").is_err());
    assert!(split_words("end\\").is_err());
}

#[test]
fn a_bad_line_is_reported_by_number_without_its_text() {
    // Built at run time: a malformed identity, but one that looks like a key to scanners.
    let bad_key = format!("AGE-SECRET-KEY-1{}", "Q".repeat(58));
    let text = format!(
        "# comment\n\n{}\n {}\n",
        read_fixture("alice.agekey").lines().last().unwrap(),
        "AGE-X"
    );
    let err = Identities::from_text("keys.txt", &text).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid age identity in keys.txt: line 4: unknown identity type (a line must start with AGE-SECRET-KEY-1 or AGE-PLUGIN-, without leading spaces)"
    );
    let err = Identities::from_text("keys.txt", &format!("#\n{bad_key}\n")).unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("invalid age identity in keys.txt: line 2: malformed X25519 identity"),
        "{message}"
    );
    assert!(!message.contains("QQQQ"), "{message}");
    assert_eq!(err.exit_status(), crate::ExitStatus::Usage);

    let err = Identities::from_text("x", "# only comments\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid age identity in x: no identities found"
    );
    let err = Identities::from_text("x", "-----BEGIN AGE ENCRYPTED FILE-----\n").unwrap_err();
    assert!(err.to_string().contains("passphrase-protected"));

    // In discovery the bad source is skipped and the others still count.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.txt");
    fs_err::write(&bad, format!("{bad_key}\n")).unwrap();
    let env = KeyEnv {
        sops_age_key: Some(SecretString::from(read_fixture("alice.agekey"))),
        sops_age_key_file: Some(bad.clone()),
        ..env_with_home(dir.path())
    };
    let ids = Identities::discover(&env).unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(ids.failures().len(), 1);
    assert!(ids.failures()[0].contains(&format!("SOPS_AGE_KEY_FILE={}: line 1", bad.display())));
    assert!(!ids.failures()[0].contains("QQQQ"));
}

/// A plugin recipient and identity (valid Bech32) for a plugin named `dummy`, whose
/// `age-plugin-dummy` binary exists nowhere.
const PLUGIN_RECIPIENT: &str =
    "age1dummy1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0ss8gl4l";
/// Split in two so that the gitleaks rule for plugin identities does not flag this source.
const PLUGIN_IDENTITY: &str = concat!(
    "AGE-PLUGIN-DUMMY",
    "-1QQQSYQCYQ5RQWZQFPG9SCRGWPUGPZYSNZS23V9CCRYDPK8QARC0SL5U4VK"
);

#[test]
fn unsupported_identity_types_are_skipped_with_a_note() {
    let alice = read_fixture("alice.agekey");
    let text = format!(
        "AGE-SECRET-KEY-PQ-1ABC\n{}\n{PLUGIN_IDENTITY}\n",
        alice.lines().last().unwrap()
    );
    let ids = Identities::from_text("mixed", &text).unwrap();
    assert_eq!(ids.recipients(), vec![ALICE_RECIPIENT.to_owned()]);
    assert_eq!(ids.failures().len(), 2, "{:?}", ids.failures());
    assert!(ids.failures()[0].contains("line 1: not supported (skipped)"));
    assert!(ids.failures()[0].contains("age v1.3 (sops 3.12 or later)"));
    // Issue 15: a plugin identity whose binary is missing names that binary.
    assert!(
        ids.failures()[1]
            .contains("line 3: skipped: the age plugin binary `age-plugin-dummy` is not on PATH"),
        "{}",
        ids.failures()[1]
    );
    assert!(!ids.failures().join(" ").contains("ABC"));
    assert!(!ids.failures().join(" ").contains("QQQSYQ"));
    // A malformed plugin line fails its source, as in sops.
    let err = Identities::from_text("bad", "AGE-PLUGIN-YUBIKEY-1XYZ\n").unwrap_err();
    assert!(
        err.to_string()
            .contains("line 1: malformed plugin identity"),
        "{err}"
    );
}

#[test]
fn issue_15_plugin_recipients_name_the_missing_plugin_binary() {
    assert!(matches!(
        parse_recipient(PLUGIN_RECIPIENT).unwrap(),
        Recipient::Plugin(_)
    ));
    let err = wrap_data_key(PLUGIN_RECIPIENT, &[0; 32]).unwrap_err();
    match &err {
        Error::AgePluginMissing { binary } => assert_eq!(binary, "age-plugin-dummy"),
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string()
            .contains("`age-plugin-dummy` is not on PATH")
    );
    assert_eq!(err.exit_status(), crate::ExitStatus::Integrity);
}

#[test]
fn issue_15_post_quantum_recipients_are_refused_naming_what_is_needed() {
    // A real age1pq1 key is ~1960 characters; its shape is enough to be refused.
    let pq = format!("age1pq1{}", "q".repeat(1952));
    for recipient in [pq.as_str(), "age1pq1abcdef"] {
        let err = wrap_data_key(recipient, &[0; 32]).unwrap_err();
        assert!(matches!(err, Error::UnsupportedRecipient { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains("need age v1.3 (sops 3.12 or later)"),
            "{text}"
        );
        assert!(text.contains("age crate 0.12.1"), "{text}");
        assert!(text.len() < 400, "the long key is cut short: {text}");
        assert_eq!(err.exit_status(), crate::ExitStatus::Usage);
    }
}

#[test]
fn key_files_are_read_in_order_and_combined() {
    let paths = [fixture("alice.agekey"), fixture("bob.agekey")];
    let text = read_key_files(&paths).unwrap();
    assert_eq!(
        *text,
        format!(
            "{}\n{}\n",
            read_fixture("alice.agekey"),
            read_fixture("bob.agekey")
        )
    );
    let ids = Identities::from_files(&paths).unwrap();
    assert_eq!(
        ids.recipients(),
        [ALICE_RECIPIENT.to_owned(), BOB_RECIPIENT.to_owned()]
    );
    let name = format!("{}, {}", paths[0].display(), paths[1].display());
    assert_eq!(ids.sources(), [name]);
}

#[test]
fn an_unreadable_key_file_is_named_without_its_text() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.txt");
    let err = Identities::from_files(&[fixture("alice.agekey"), missing.clone()]).unwrap_err();
    let Error::IdentityFile { path, source } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(path, &missing);
    assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
    assert_eq!(
        err.to_string(),
        format!("cannot read identity file {}", missing.display())
    );
    assert_eq!(err.exit_status(), crate::ExitStatus::Usage);

    // A file that is not an identity file fails to parse, naming the file, not a line.
    let bad = dir.path().join("bad.txt");
    fs_err::write(&bad, "AGE-SECRET-KEY-1NOTAKEY\n").unwrap();
    let err = Identities::from_files(std::slice::from_ref(&bad)).unwrap_err();
    let Error::InvalidIdentity { source_name, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(source_name, &bad.display().to_string());
    assert!(!err.to_string().contains("NOTAKEY"), "{err}");
}

#[test]
fn the_no_identity_hint_comes_from_the_discovery_environment() {
    // Issue 10: `SopsFile::data_key` names the default keys.txt of the environment the
    // caller discovered with, never the process's own.
    let dir = tempfile::tempdir().unwrap();
    let ids = Identities::discover(&env_with_home(dir.path())).unwrap();
    assert!(ids.is_empty());
    let err = ids.no_key_error_from_discovery(Path::new("s.yaml"), vec![]);
    let Error::NoIdentities { default_keys, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(default_keys, &dir.path().join(".config/sops/age/keys.txt"));

    // Identities that were not discovered name the generic location.
    let err = Identities::default().no_key_error_from_discovery(Path::new("s.yaml"), vec![]);
    let Error::NoIdentities { default_keys, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(default_keys, Path::new("$HOME/.config/sops/age/keys.txt"));
}

#[test]
fn crlf_identity_files_are_read() {
    let alice = read_fixture("alice.agekey").replace('\n', "\r\n");
    let ids = Identities::from_text("crlf", &alice).unwrap();
    assert_eq!(ids.recipients(), vec![ALICE_RECIPIENT.to_owned()]);
}

#[test]
fn debug_output_never_shows_a_key() {
    let pair = KeyPair::generate();
    assert!(pair.expose_identity().starts_with("AGE-SECRET-KEY-1"));
    assert!(pair.recipient().starts_with("age1"));
    let debug = format!("{pair:?}");
    assert!(!debug.contains("AGE-SECRET-KEY"), "{debug}");
    assert!(debug.contains(&pair.recipient()));

    let ids = pair.to_identities();
    let debug = format!("{ids:?}");
    assert_eq!(
        debug,
        r#"Identities { count: 1, sources: ["generated key"], failures: [] }"#
    );

    let env = KeyEnv {
        sops_age_key: Some(SecretString::from(pair.expose_identity().to_owned())),
        ..KeyEnv::default()
    };
    let debug = format!("{env:?}");
    assert!(!debug.contains("AGE-SECRET-KEY"), "{debug}");
    assert!(debug.contains("<redacted>"));
}

/// Makes an SSH key pair with the real `ssh-keygen` at `dir/name` (`kind`: ed25519 or rsa);
/// returns the private key's path and the public key line (with its comment). `None` when
/// ssh-keygen is missing outside CI.
fn ssh_key(dir: &Path, name: &str, kind: &str, passphrase: &str) -> Option<(PathBuf, String)> {
    let keygen = test_support::ssh_keygen()?;
    let path = dir.join(name);
    let mut cmd = Command::new(keygen);
    cmd.args([
        "-q",
        "-t",
        kind,
        "-N",
        passphrase,
        "-C",
        "test@example",
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

#[test]
fn issue_15_ssh_keys_are_found_in_sops_order_and_unwrap_their_stanzas() {
    let dir = tempfile::tempdir().unwrap();
    let ssh = dir.path().join(".ssh");
    fs_err::create_dir_all(&ssh).unwrap();
    let Some((named, named_pub)) = ssh_key(dir.path(), "named", "ed25519", "") else {
        return;
    };
    let (_, ed_pub) = ssh_key(&ssh, "id_ed25519", "ed25519", "").unwrap();
    let (_, rsa_pub) = ssh_key(&ssh, "id_rsa", "rsa", "").unwrap();
    let env = KeyEnv {
        sops_age_ssh_private_key_file: Some(named.clone()),
        ..env_with_home(dir.path())
    };
    let ids = Identities::discover(&env).unwrap();
    // sops 3.11 reads the variable's key, then id_ed25519, then id_rsa: all of them.
    assert_eq!(
        ids.sources(),
        [
            format!("SOPS_AGE_SSH_PRIVATE_KEY_FILE={}", named.display()),
            ssh.join("id_ed25519").display().to_string(),
            ssh.join("id_rsa").display().to_string(),
        ]
    );
    assert!(ids.failures().is_empty(), "{:?}", ids.failures());
    assert_eq!(ids.len(), 3);
    for public in [&named_pub, &ed_pub, &rsa_pub] {
        // The recipient is the public key line as .sops.yaml holds it, comment included.
        assert!(matches!(
            parse_recipient(public).unwrap(),
            Recipient::Ssh(_)
        ));
        let enc = wrap_data_key(public, &[7; 32]).unwrap();
        assert!(enc.starts_with(ARMOR_BEGIN));
        assert_eq!(
            ids.unwrap_data_key(&enc).unwrap().unwrap().as_slice(),
            &[7; 32]
        );
        // Listed without the comment.
        let bare: String = public.split(' ').take(2).collect::<Vec<_>>().join(" ");
        assert!(ids.recipients().contains(&bare), "{bare}");
    }
    // Without the keys nothing matches.
    let empty = Identities::discover(&env_with_home(&dir.path().join("nowhere"))).unwrap();
    let enc = wrap_data_key(&ed_pub, &[7; 32]).unwrap();
    assert!(empty.unwrap_data_key(&enc).unwrap().is_none());
}

#[test]
fn issue_15_a_passphrase_protected_ssh_key_is_a_clear_skipped_source() {
    let dir = tempfile::tempdir().unwrap();
    let ssh = dir.path().join(".ssh");
    fs_err::create_dir_all(&ssh).unwrap();
    let Some((_, public)) = ssh_key(&ssh, "id_ed25519", "ed25519", "correct horse") else {
        return;
    };
    let ids = Identities::discover(&env_with_home(dir.path())).unwrap();
    assert!(ids.is_empty());
    assert_eq!(ids.failures().len(), 1, "{:?}", ids.failures());
    let failure = &ids.failures()[0];
    assert!(failure.contains("id_ed25519"), "{failure}");
    assert!(failure.contains("passphrase-protected"), "{failure}");
    assert!(!failure.contains("correct horse"));
    // The decrypt error lists it among the skipped sources.
    let enc = wrap_data_key(&public, &[7; 32]).unwrap();
    assert!(ids.unwrap_data_key(&enc).unwrap().is_none());
    let err = ids.no_key_error(
        Path::new("f.yaml"),
        vec![public.clone()],
        &env_with_home(dir.path()),
    );
    assert!(err.to_string().contains("passphrase-protected"), "{err}");
    assert!(err.is_integrity());
    // A named file that does not exist is reported, not ignored.
    let env = KeyEnv {
        sops_age_ssh_private_key_file: Some(dir.path().join("missing")),
        ..env_with_home(&dir.path().join("nowhere"))
    };
    let ids = Identities::discover(&env).unwrap();
    assert!(
        ids.failures()[0].contains("missing"),
        "{:?}",
        ids.failures()
    );
    // Not an SSH key at all.
    let err = Identities::from_ssh_key("junk", b"hello\n").unwrap_err();
    assert!(err.to_string().contains("not an SSH private key"), "{err}");
}
