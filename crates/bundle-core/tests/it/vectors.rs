//! Every case of the sops 3.11.0 test vectors (copied from shared/vectors into
//! fixtures/sops-3.11.0) decrypts to sops' own output, and every error case fails with the
//! matching error. Plus the tamper cases of issue 2, each an integrity error (exit 3).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use bundle_core::keys::Identities;
use bundle_core::sops::SopsFile;
use bundle_core::store::EmitOptions;
use bundle_core::{Error, Format};

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sops-3.11.0")
}

fn key(name: &str) -> Identities {
    let path = vectors().join(format!("keys/{name}.agekey"));
    Identities::from_text(name, &fs_err::read_to_string(path).unwrap()).unwrap()
}

fn decrypt_case(case: &str, file: &str, key_name: &str) -> Result<Vec<u8>, Error> {
    let path = vectors().join("cases").join(case).join(file);
    let format = Format::from_path(&path);
    let sops_file = SopsFile::read(&path)?;
    let decrypted = sops_file.decrypt(&key(key_name))?;
    Ok(decrypted
        .to_plaintext(format, EmitOptions::default())?
        .to_vec())
}

fn expected(case: &str, file: &str) -> Vec<u8> {
    fs_err::read(vectors().join("cases").join(case).join(file)).unwrap()
}

#[track_caller]
fn assert_same(case: &str, ours: &[u8], theirs: &[u8]) {
    assert!(
        ours == theirs,
        "{case}: our plaintext differs from sops'\n--- ours\n{}\n--- sops\n{}",
        String::from_utf8_lossy(ours),
        String::from_utf8_lossy(theirs)
    );
}

#[test]
fn every_ok_case_decrypts_to_sops_output() {
    let manifest: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(vectors().join("manifest.json")).unwrap())
            .unwrap();
    let mut checked = 0;
    for case in manifest["cases"].as_array().unwrap() {
        if case["expect"]["outcome"] != "ok" {
            continue;
        }
        let name = case["name"].as_str().unwrap();
        let encrypted = case["encrypted"].as_str().unwrap();
        let plain = case["expected_plaintext"].as_str().unwrap();
        let who = case["decrypt_with_key"].as_str().unwrap();
        let ours = decrypt_case(name, encrypted, who).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_same(name, &ours, &expected(name, plain));
        checked += 1;
    }
    assert_eq!(checked, 11, "every ok case of the manifest was checked");
}

#[test]
fn tampered_value_is_a_mac_mismatch_with_sops_digests() {
    let err = decrypt_case("yaml-tampered-mac", "encrypted.yaml", "alice").unwrap_err();
    match &err {
        Error::MacMismatch {
            stored, computed, ..
        } => {
            assert!(stored.starts_with("C90771A6E162DD84"), "{stored}");
            assert!(computed.starts_with("42DBCAA18BC35276"), "{computed}");
        }
        other => panic!("expected MacMismatch, got {other:?}"),
    }
    assert_eq!(err.exit_status(), bundle_core::ExitStatus::Integrity);
    // The same file before the tamper decrypts fine.
    decrypt_case(
        "yaml-tampered-mac",
        "encrypted-before-tamper-value.yaml",
        "alice",
    )
    .unwrap();
}

#[test]
fn missing_key_names_the_recipient() {
    let err = decrypt_case("yaml-missing-key", "encrypted.yaml", "alice").unwrap_err();
    match &err {
        Error::NoMatchingIdentity { recipients, .. } => {
            assert_eq!(
                recipients,
                &["age1fdzwh9jp9j5jekcpss6s947zuwu4umnka8n5yjtqxa9pwlrjvqtsk35xms"]
            );
        }
        other => panic!("expected NoMatchingIdentity, got {other:?}"),
    }
    assert_eq!(err.exit_status(), bundle_core::ExitStatus::Integrity);
    assert!(
        err.to_string()
            .contains("age1fdzwh9jp9j5jekcpss6s947zuwu4umnka8n5yjtqxa9pwlrjvqtsk35xms")
    );
}

#[test]
fn wrong_key_of_two_recipient_file_still_works_with_either() {
    decrypt_case("yaml-two-recipients", "encrypted.yaml", "alice").unwrap();
    decrypt_case("yaml-two-recipients", "encrypted.yaml", "bob").unwrap();
    let err = decrypt_case("yaml-basic", "encrypted.yaml", "bob").unwrap_err();
    assert!(matches!(err, Error::NoMatchingIdentity { .. }), "{err:?}");
}

/// Applies `edit` to yaml-basic's encrypted text and decrypts the result with alice.
fn tampered(edit: impl FnOnce(&str) -> String) -> Error {
    let text = String::from_utf8(expected("yaml-basic", "encrypted.yaml")).unwrap();
    let changed = edit(&text);
    assert_ne!(changed, text, "the edit changed nothing");
    let path = Path::new("tampered.yaml");
    let file = SopsFile::parse(path, Format::Yaml, changed.as_bytes()).unwrap();
    let err = file.decrypt(&key("alice")).unwrap_err();
    assert_eq!(
        err.exit_status(),
        bundle_core::ExitStatus::Integrity,
        "{err}"
    );
    err
}

fn line_of<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.lines().find(|l| l.starts_with(prefix)).unwrap()
}

#[test]
fn flipped_ciphertext_byte_fails_to_authenticate() {
    let err = tampered(|t| {
        let line = line_of(t, "api_token: ENC[AES256_GCM,data:");
        let pos = "api_token: ENC[AES256_GCM,data:".len();
        let mut bytes = line.as_bytes().to_vec();
        bytes[pos] = if bytes[pos] == b'A' { b'B' } else { b'A' };
        t.replace(line, std::str::from_utf8(&bytes).unwrap())
    });
    assert!(
        matches!(&err, Error::ValueDecrypt { tree_path, .. } if tree_path == "api_token:"),
        "{err:?}"
    );
}

#[test]
fn swapped_keys_are_a_mac_mismatch() {
    let err = tampered(|t| {
        let a = line_of(t, "api_token:");
        let b = line_of(t, "public_url_unencrypted:");
        t.replace(a, "@@A@@").replace(b, a).replace("@@A@@", b)
    });
    assert!(matches!(err, Error::MacMismatch { .. }), "{err:?}");
}

#[test]
fn deleted_key_is_a_mac_mismatch() {
    let err = tampered(|t| t.replace(&format!("{}\n", line_of(t, "whole_float:")), ""));
    assert!(matches!(err, Error::MacMismatch { .. }), "{err:?}");
}

#[test]
fn edited_lastmodified_makes_the_mac_undecryptable() {
    let err = tampered(|t| {
        t.replace(
            "lastmodified: \"2026-11-29T05:05:46Z\"",
            "lastmodified: \"2026-11-29T05:05:47Z\"",
        )
    });
    assert!(matches!(err, Error::MacUndecryptable { .. }), "{err:?}");
}

#[test]
fn edited_plaintext_value_is_a_mac_mismatch() {
    let err = tampered(|t| {
        t.replace(
            "https://mcp.example.invalid/sse",
            "https://attacker.invalid/sse",
        )
    });
    assert!(matches!(err, Error::MacMismatch { .. }), "{err:?}");
}

#[test]
fn malformed_enc_and_bad_base64_and_bad_type_are_distinct() {
    let err = tampered(|t| {
        t.replace(
            "whole_float: ENC[AES256_GCM,data:Jg==,",
            "whole_float: ENC[AES256_GCM,data:Jg,",
        )
    });
    assert!(
        matches!(&err, Error::BadBase64 { field: "data", .. }),
        "{err:?}"
    );
    let err = tampered(|t| {
        t.replace(
            "tag:ii5LiG6gZMhQwI9tnErcUw==,type:float]",
            "tag:ii5LiG6gZMhQwI9tnErcUw==,type:bytes]",
        )
    });
    assert!(
        matches!(&err, Error::BadType { value_type, .. } if value_type == "bytes"),
        "{err:?}"
    );
    let err = tampered(|t| t.replace(",iv:Wn/3Wrle0T3RwMPXgClcQlmZX9xhsSbxCLncY+TfsTc=", ""));
    assert!(matches!(&err, Error::MalformedEnc { .. }), "{err:?}");
    let err = tampered(|t| t.replace(line_of(t, "api_token:"), "api_token: plain-text-here"));
    assert!(matches!(&err, Error::MalformedEnc { .. }), "{err:?}");
}

#[test]
fn errors_never_contain_plaintext() {
    // The tampered-mac vector's attacker value and the real values must never be echoed.
    let err = decrypt_case("yaml-tampered-mac", "encrypted.yaml", "alice").unwrap_err();
    let text = format!("{err} {err:?}");
    for secret in ["attacker-chosen-password", "tok_test_51Hx9FAKEFAKEFAKE"] {
        assert!(!text.contains(secret), "error text leaks a value: {text}");
    }
}
