//! `rotation-guard check` end to end: fixture repositories with real git, a correct rotation
//! passes, each wrong rotation fails with its rule id, and no secret value is ever printed.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use crate::common::*;
use bundle_core::{Scalar, Value};

fn run_json(repo: &Repo, extra: &[&str]) -> (i32, serde_json::Value) {
    let home = tempfile::tempdir().unwrap();
    let output = rotation_guard(home.path())
        .args(["check", "--base", "HEAD", "--json", "--repo"])
        .arg(repo.root())
        .args(extra)
        .output()
        .unwrap();
    assert_no_canary(&output);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", transcript(&output)));
    (output.status.code().unwrap(), json)
}

fn failing(json: &serde_json::Value) -> BTreeSet<String> {
    json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail")
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

fn ids(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn a_correct_scheduled_rotation_passes() {
    let repo = Repo::new();
    repo.rotate(&Rotation::scheduled());
    let (code, json) = run_json(&repo, &[]);
    assert_eq!(failing(&json), ids(&[]), "{json:#}");
    assert_eq!(code, 0);
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["rotation"]["kind"], "scheduled");
    assert_eq!(json["rotation"]["version_from"], 4);
    assert_eq!(json["rotation"]["version_to"], 5);
    assert_eq!(
        json["summary"]["skip"], 4,
        "RG-011 (not an emergency), RG-101, RG-102 (no key), RG-003 (a rotation)"
    );
}

#[test]
fn a_correct_emergency_rotation_passes_with_keys() {
    let repo = Repo::new();
    repo.rotate(&Rotation::emergency());
    let new = repo.new_identity();
    let old = repo.old_identity();
    let (code, json) = run_json(
        &repo,
        &[
            "--identity",
            new.to_str().unwrap(),
            "--old-identity",
            old.to_str().unwrap(),
        ],
    );
    assert_eq!(failing(&json), ids(&[]), "{json:#}");
    assert_eq!(code, 0);
    let status = |id: &str| rule_status(&json, id).clone();
    assert_eq!(status("RG-101"), "pass");
    assert_eq!(status("RG-102"), "pass");
    assert_eq!(status("RG-011"), "pass");
    assert_eq!(json["rotation"]["incident"], "INC-42");
}

#[test]
fn each_wrong_rotation_fails_with_its_rule_id() {
    let cases: Vec<(&str, Rotation, &[&str])> = vec![
        (
            "updatekeys without a data-key rotation",
            Rotation {
                rotate_data_key: false,
                ..Rotation::scheduled()
            },
            &["RG-004"],
        ),
        (
            "version + 2",
            Rotation {
                version: Value::Scalar(Scalar::Int(6)),
                ..Rotation::scheduled()
            },
            &["RG-002", "RG-010"],
        ),
        (
            "version as a string",
            Rotation {
                version: Value::str("5"),
                ..Rotation::scheduled()
            },
            &["RG-001", "RG-002"],
        ),
        (
            "recipients differ from .sops.yaml",
            Rotation {
                update_config: false,
                ..Rotation::scheduled()
            },
            &["RG-007"],
        ),
        (
            "missing evidence",
            Rotation {
                record: false,
                ..Rotation::scheduled()
            },
            &["RG-010"],
        ),
        (
            "emergency without incident",
            Rotation {
                incident: None,
                ..Rotation::emergency()
            },
            &["RG-011"],
        ),
        (
            "plan announced 12 h ahead",
            Rotation {
                plan_notice_hours: Some(12),
                ..Rotation::scheduled()
            },
            &["RG-014"],
        ),
        (
            "no header reason",
            Rotation {
                reason: None,
                ..Rotation::scheduled()
            },
            &["RG-008"],
        ),
        (
            "old key reused",
            Rotation {
                new_recipient: false,
                ..Rotation::scheduled()
            },
            &["RG-018"],
        ),
        (
            "reports not attached",
            Rotation {
                attach_report: false,
                ..Rotation::scheduled()
            },
            &["RG-012"],
        ),
    ];
    for (name, spec, expected) in cases {
        let repo = Repo::new();
        repo.rotate(&spec);
        let (code, json) = run_json(&repo, &[]);
        assert_eq!(failing(&json), ids(expected), "{name}: {json:#}");
        assert_eq!(code, 1, "{name}");
    }
}

#[test]
fn an_unchanged_bundle_passes_and_a_silent_rekey_fails() {
    let repo = Repo::new();
    let (code, json) = run_json(&repo, &[]);
    assert_eq!((code, failing(&json)), (0, ids(&[])), "{json:#}");
    assert_eq!(json["rotation"]["is_rotation"], false);

    repo.rotate(&Rotation {
        version: Value::Scalar(Scalar::Int(4)),
        record: false,
        ..Rotation::scheduled()
    });
    let (code, json) = run_json(&repo, &[]);
    assert_eq!((code, failing(&json)), (1, ids(&["RG-003"])), "{json:#}");
}

#[test]
fn a_key_file_or_a_decrypted_copy_in_the_tree_fails() {
    let repo = Repo::new();
    repo.rotate(&Rotation::scheduled());
    repo.write(
        "mcp-age-key.txt",
        &format!("{}\n", repo.new_key.expose_identity()),
    );
    repo.write("config/secrets.dec.yaml", "decrypted: yes\n");
    let (code, json) = run_json(&repo, &[]);
    assert_eq!(
        (code, failing(&json)),
        (1, ids(&["RG-015", "RG-016"])),
        "{json:#}"
    );
}

#[test]
fn a_tampered_bundle_is_an_integrity_error_with_keys() {
    let repo = Repo::new();
    repo.rotate(&Rotation::scheduled());
    let text = repo.read(BUNDLE);
    let at = text.find("password: ENC[AES256_GCM,data:").unwrap() + 31;
    let flipped = if &text[at..=at] == "A" { "B" } else { "A" };
    repo.write(
        BUNDLE,
        &format!("{}{flipped}{}", &text[..at], &text[at + 1..]),
    );
    let new = repo.new_identity();
    let (code, json) = run_json(&repo, &["--identity", new.to_str().unwrap()]);
    assert_eq!(failing(&json), ids(&["RG-101"]), "{json:#}");
    assert_eq!(code, 3);
}

#[test]
fn the_base_may_be_a_file() {
    let repo = Repo::new();
    let base = tempfile::tempdir().unwrap();
    let base_file = base.path().join("old.enc.yaml");
    fs_err::copy(repo.path(BUNDLE), &base_file).unwrap();
    repo.rotate(&Rotation::scheduled());
    let home = tempfile::tempdir().unwrap();
    let output = rotation_guard(home.path())
        .args(["check", "--json", "--repo"])
        .arg(repo.root())
        .arg("--base")
        .arg(&base_file)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(failing(&json), ids(&[]), "{json:#}");
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn text_report_of_a_rejected_rotation() {
    let repo = Repo::new();
    repo.rotate(&Rotation {
        rotate_data_key: false,
        plan_notice_hours: Some(12),
        ..Rotation::scheduled()
    });
    let home = tempfile::tempdir().unwrap();
    let output = rotation_guard(home.path())
        .args(["check", "--base", "HEAD", "--repo"])
        .arg(repo.root())
        .output()
        .unwrap();
    assert_no_canary(&output);
    insta::with_settings!({filters => vec![(r"age1[0-9a-z]{58}", "[RECIPIENT]")]}, {
        insta::assert_snapshot!(transcript(&output));
    });
}

#[test]
fn input_errors_exit_2() {
    let home = tempfile::tempdir().unwrap();
    let repo = Repo::new();
    let output = rotation_guard(home.path())
        .args(["check", "--base", "no-such-branch", "--repo"])
        .arg(repo.root())
        .output()
        .unwrap();
    let plain = tempfile::tempdir().unwrap();
    let missing = rotation_guard(home.path())
        .args(["check", "--base", "HEAD", "--repo"])
        .arg(plain.path())
        .output()
        .unwrap();
    let root = repo.root().display().to_string();
    let plain_root = plain.path().display().to_string();
    insta::with_settings!({filters => vec![(root.as_str(), "[REPO]"), (plain_root.as_str(), "[DIR]")]}, {
        insta::assert_snapshot!(format!("{}\n{}", transcript(&output), transcript(&missing)));
    });
}
