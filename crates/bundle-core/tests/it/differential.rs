//! Differential test against the real sops 3.11 (issue 15): small random YAML and JSON
//! documents go through our encryption and sops' decryption, and through sops' encryption
//! and our decryption; every path must print exactly what sops prints for its own file.
//!
//! This is the short form CI runs (a few cases per format, each spawning sops three times);
//! raise `DIFFERENTIAL_CASES` locally for a longer run. Without sops on PATH it is skipped
//! locally and fails under `CI=true` (test-support).
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use bundle_core::keys::Identities;
use bundle_core::sops::{EncryptSettings, SopsFile, encrypt_plaintext};
use bundle_core::store::{self, EmitOptions};
use bundle_core::{Format, Map, MapItem, RawFile, Scalar, SeqItem, Text, Value};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use test_support::sops;

const ALICE: &str = "age1ps335dvugrdjvdk7p6kzlhkzeze77p07w9exxz9em8mpkheehuwqs76e5w";
const NOW: i64 = 1_796_000_000;
const SHORT_FORM_CASES: u32 = 6;

fn key_file() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sops-3.11.0/keys/alice.agekey")
}

fn cases() -> u32 {
    std::env::var("DIFFERENTIAL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(SHORT_FORM_CASES)
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(|b| Value::Scalar(Scalar::Bool(b))),
        (-1_000_000i64..1_000_000).prop_map(|i| Value::Scalar(Scalar::Int(i))),
        // Not integral: YAML would read `2.0` back as an int (spec §2.1, lossy by design).
        (-80_000i32..80_000)
            .prop_filter("not integral", |n| n % 8 != 0)
            .prop_map(|n| Value::Scalar(Scalar::Float(f64::from(n) / 8.0))),
        "[a-zA-Z0-9 _.-]{0,12}".prop_map(|s| Value::Scalar(Scalar::Str(Text::new(s)))),
    ]
}

fn key() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,6}"
}

fn map_of(values: BoxedStrategy<Value>) -> impl Strategy<Value = Map> {
    prop::collection::vec((key(), values), 1..5).prop_map(|entries| {
        let mut seen = std::collections::HashSet::new();
        Map {
            items: entries
                .into_iter()
                .filter(|(k, _)| seen.insert(k.clone()))
                .map(|(k, v)| MapItem::Entry(k, v))
                .collect(),
        }
    })
}

fn document() -> impl Strategy<Value = Map> {
    let value = leaf().prop_recursive(2, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone().prop_map(SeqItem::Value), 1..4)
                .prop_map(Value::Seq),
            map_of(inner.boxed()).prop_map(Value::Map),
        ]
    });
    map_of(value.boxed())
}

fn run_sops(sops: &Path, dir: &Path, args: &[&str]) -> Output {
    Command::new(sops)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("SOPS_AGE_KEY_FILE", key_file())
        .arg("--disable-version-check")
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: &Output, what: &str) -> Result<Vec<u8>, TestCaseError> {
    if out.status.success() {
        Ok(out.stdout.clone())
    } else {
        Err(TestCaseError::fail(format!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

fn one_case(sops: &Path, format: Format, ext: &str, doc: Map) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let raw = RawFile {
        branches: vec![doc],
        metadata: None,
    };
    let plain = store::emit(format, &raw, EmitOptions::default()).unwrap();
    let plain_path = d.join(format!("plain.{ext}"));
    fs_err::write(&plain_path, &plain).unwrap();
    let shown = String::from_utf8_lossy(&plain).into_owned();

    // sops' own file, and what sops prints for it: the reference.
    let theirs = ok(
        &run_sops(
            sops,
            d,
            &["encrypt", "--age", ALICE, plain_path.to_str().unwrap()],
        ),
        "sops encrypt",
    )?;
    let theirs_path = d.join(format!("theirs.{ext}"));
    fs_err::write(&theirs_path, &theirs).unwrap();
    let reference = ok(
        &run_sops(sops, d, &["decrypt", theirs_path.to_str().unwrap()]),
        "sops decrypt of its own file",
    )?;

    // Ours → sops.
    let ours_path = d.join(format!("ours.{ext}"));
    let settings = EncryptSettings::for_recipients(vec![ALICE.to_owned()]);
    let ours = encrypt_plaintext(&ours_path, format, &plain, &settings, NOW).unwrap();
    fs_err::write(&ours_path, ours.to_bytes(EmitOptions::default()).unwrap()).unwrap();
    let sops_of_ours = ok(
        &run_sops(sops, d, &["decrypt", ours_path.to_str().unwrap()]),
        "sops decrypt of our file",
    )?;
    prop_assert_eq!(
        String::from_utf8_lossy(&sops_of_ours),
        String::from_utf8_lossy(&reference),
        "our encryption, sops' decryption; plaintext:\n{}",
        shown
    );

    // sops → ours.
    let identities =
        Identities::from_text("alice", &fs_err::read_to_string(key_file()).unwrap()).unwrap();
    let ours_of_theirs = SopsFile::read(&theirs_path)
        .unwrap()
        .decrypt(&identities)
        .map_err(|e| TestCaseError::fail(format!("we cannot decrypt sops' file: {e}")))?
        .to_plaintext(format, EmitOptions::default())
        .unwrap();
    prop_assert_eq!(
        String::from_utf8_lossy(&ours_of_theirs),
        String::from_utf8_lossy(&reference),
        "sops' encryption, our decryption; plaintext:\n{}",
        shown
    );
    Ok(())
}

fn differential(format: Format, ext: &str) {
    let Some(sops) = sops() else { return };
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&document(), |doc| one_case(&sops, format, ext, doc))
        .unwrap();
}

#[test]
fn differential_yaml_with_sops() {
    differential(Format::Yaml, "yaml");
}

#[test]
fn differential_json_with_sops() {
    differential(Format::Json, "json");
}
