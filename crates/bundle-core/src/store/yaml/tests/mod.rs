//! Tests of the YAML store against sops 3.11: its real files byte for byte, the go-yaml
//! oracle cases, typing, errors, emission details and round-trip properties.
//!
//! This file holds the shared helpers, the real sops files and the oracle; the other
//! groups are its child modules, one per concern.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::*;
use crate::store::EmitOptions;
use crate::tree::{Comment, Map, MapItem, Scalar, SeqItem, Text, Value};

mod emission;
mod errors;
mod properties;
mod typing;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/yaml")
}

fn read(path: &Path) -> Vec<u8> {
    fs_err::read(path).unwrap()
}

fn emit_default(file: &RawFile) -> Vec<u8> {
    emit(file, EmitOptions::default()).unwrap()
}

fn round_trip(bytes: &[u8]) -> Vec<u8> {
    emit_default(&parse(bytes).unwrap())
}

/// The first differing line, with a little context.
fn first_difference(got: &[u8], want: &[u8]) -> String {
    let got = String::from_utf8_lossy(got);
    let want = String::from_utf8_lossy(want);
    let g: Vec<&str> = got.split('\n').collect();
    let w: Vec<&str> = want.split('\n').collect();
    let at = (0..g.len().max(w.len()))
        .find(|&i| g.get(i) != w.get(i))
        .unwrap_or(0);
    let from = at.saturating_sub(3);
    let show = |lines: &[&str]| {
        lines
            .iter()
            .skip(from)
            .take(at + 4 - from)
            .fold(String::new(), |mut out, l| {
                let _ = writeln!(out, "  |{l:?}");
                out
            })
    };
    format!("line {}\n got:\n{} want:\n{}", at + 1, show(&g), show(&w))
}

#[track_caller]
fn assert_bytes(name: &str, got: &[u8], want: &[u8]) {
    assert!(got == want, "{name}: {}", first_difference(got, want));
}

/// Parses `v: <text>` and returns the value of `v`.
fn value_of(text: &str) -> Value {
    let file = parse(format!("v: {text}\n").as_bytes()).unwrap();
    file.branches[0].get("v").unwrap().clone()
}

fn str_value(s: &str) -> Value {
    Value::Scalar(Scalar::Str(Text::from(s)))
}

fn doc(items: Vec<MapItem>) -> RawFile {
    RawFile {
        branches: vec![Map { items }],
        metadata: None,
    }
}

fn entry(key: &str, value: Value) -> MapItem {
    MapItem::Entry(key.to_owned(), value)
}

fn comment(text: &str) -> Comment {
    Comment::new(text)
}

// ---------------------------------------------------------------------------------------
// Real sops 3.11 files
// ---------------------------------------------------------------------------------------

/// Every YAML file of the published sops 3.11 vectors (encrypted files and sops'
/// decrypted output) comes back byte for byte.
#[test]
fn sops_vectors_round_trip_byte_for_byte() {
    let mut checked = 0;
    for case in fs_err::read_dir(fixtures()).unwrap() {
        let case = case.unwrap().path();
        if !case
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("yaml-")
        {
            continue;
        }
        for file in [
            "encrypted.yaml",
            "encrypted-before-tamper-value.yaml",
            "expected.yaml",
        ] {
            let path = case.join(file);
            if path.exists() {
                let bytes = read(&path);
                assert_bytes(&path.display().to_string(), &round_trip(&bytes), &bytes);
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 15);
}

/// The metadata of an encrypted vector: taken out of the tree, typed, and put back as the
/// last key.
#[test]
fn encrypted_vector_metadata_is_split_off() {
    let bytes = read(&fixtures().join("yaml-basic/encrypted.yaml"));
    let file = parse(&bytes).unwrap();
    assert_eq!(file.branches.len(), 1);
    assert!(file.branches[0].get("sops").is_none());
    let meta = file.metadata.as_ref().unwrap();
    let keys: Vec<&str> = meta.entries().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "age",
            "lastmodified",
            "mac",
            "unencrypted_suffix",
            "version"
        ]
    );
    assert_eq!(
        meta.get("lastmodified").unwrap().as_str(),
        Some("2026-11-29T05:05:46Z")
    );
    assert_eq!(meta.get("version").unwrap().as_str(), Some("3.11.0"));
    let Value::Seq(age) = meta.get("age").unwrap() else {
        panic!("age is not a list")
    };
    let SeqItem::Value(Value::Map(first)) = &age[0] else {
        panic!("age entry is not a map")
    };
    let enc = first.get("enc").unwrap().as_str().unwrap();
    assert!(enc.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"));
    assert!(enc.ends_with("-----END AGE ENCRYPTED FILE-----\n"));
    // The encrypted comment inside the list is an ordinary string item to the store.
    let server = file.branches[0].get("server").unwrap().as_map().unwrap();
    let Value::Seq(tags) = server.get("tags").unwrap() else {
        panic!("tags is not a list")
    };
    assert!(
        matches!(&tags[4], SeqItem::Value(v) if v.as_str().unwrap().ends_with("type:comment]"))
    );
}

/// `yaml-basic/input.yaml`: every leaf gets the type sops gives it, comments land where
/// sops puts them, and the emitted text is sops' decrypted output.
#[test]
fn basic_input_types_and_comments() {
    let bytes = read(&fixtures().join("yaml-basic/input.yaml"));
    let file = parse(&bytes).unwrap();
    assert!(file.metadata.is_none());
    let root = &file.branches[0];
    let server = Map {
        items: vec![
            MapItem::Comment(comment(" trailing comment")),
            entry("name", str_value("demo-mcp")),
            entry("port", Value::Scalar(Scalar::Int(8443))),
            entry("ratio", Value::Scalar(Scalar::Float(0.75))),
            entry("enabled", Value::Scalar(Scalar::Bool(true))),
            entry("debug", Value::Scalar(Scalar::Bool(false))),
            entry("nothing", Value::Null),
            entry("empty", str_value("")),
            entry("unicode", str_value("Grüße, 世界 🔐")),
            entry(
                "tags",
                Value::Seq(vec![
                    SeqItem::Value(str_value("alpha")),
                    SeqItem::Value(Value::Scalar(Scalar::Int(42))),
                    SeqItem::Value(Value::Scalar(Scalar::Float(1.5))),
                    SeqItem::Value(Value::Scalar(Scalar::Bool(true))),
                    SeqItem::Comment(comment(" comment inside a list")),
                    SeqItem::Value(Value::Map(Map {
                        items: vec![
                            entry("nested", str_value("value")),
                            entry("deeper", Value::Seq(vec![SeqItem::Value(str_value("x"))])),
                        ],
                    })),
                ]),
            ),
            entry("description", str_value("first line\nsecond line\n")),
        ],
    };
    let want = Map {
        items: vec![
            MapItem::Comment(comment(
                " MCP server secrets (TEST FIXTURE, values are fake)",
            )),
            entry("server", Value::Map(server)),
            entry("api_token", str_value("tok_test_51Hx9FAKEFAKEFAKE")),
            entry(
                "public_url_unencrypted",
                str_value("https://mcp.example.invalid/sse"),
            ),
            entry(
                "issued_at",
                Value::Scalar(Scalar::Time(Text::from("2024-05-01T12:30:00Z"))),
            ),
            entry("whole_float", Value::Scalar(Scalar::Float(2.0))),
        ],
    };
    assert_eq!(root, &want);
    let expected = read(&fixtures().join("yaml-basic/expected.yaml"));
    assert_bytes("yaml-basic", &emit_default(&file), &expected);
}

/// Every comment line reduced to its indentation and `#`: sops encrypts top-level comments
/// even with `--unencrypted-regex .`, so their text cannot be compared, only their place.
fn mask_comments(text: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(text);
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let body = line.trim_start_matches(' ');
        if body.starts_with('#') {
            out.push_str(&line[..line.len() - body.len()]);
            out.push('#');
            if line.ends_with('\n') {
                out.push('\n');
            }
        } else {
            out.push_str(line);
        }
    }
    out.into_bytes()
}

fn has_comments(file: &RawFile) -> bool {
    fn value(v: &Value) -> bool {
        match v {
            Value::Map(m) => map(m),
            Value::Seq(items) => items.iter().any(|i| match i {
                SeqItem::Comment(_) => true,
                SeqItem::Value(v) => value(v),
            }),
            _ => false,
        }
    }
    fn map(m: &Map) -> bool {
        m.items.iter().any(|i| match i {
            MapItem::Comment(_) => true,
            MapItem::Entry(_, v) => value(v),
        })
    }
    file.branches.iter().any(map)
}

/// Cases made with the real sops 3.11 (`tests/fixtures/yaml/sops/*`): `input.yaml` was
/// encrypted with `--unencrypted-regex .` (values, and most comments, stay plaintext) into
/// `encrypted.yaml`, then decrypted into `expected.yaml`.
///
/// * sops' encrypted output is what sops writes for its parse of the input, so our emit
///   of our parse of the input plus that metadata must equal it;
/// * sops' decrypted output is what sops writes for its parse of `encrypted.yaml`, so our
///   emit of our parse of `encrypted.yaml` without metadata must equal it;
/// * both of sops' outputs survive our parse and emit unchanged.
///
/// In cases named `*-blanklines` the last two ignore blank lines: go-yaml prints a blank
/// line after a foot comment in some layouts that it cannot reproduce from its own output.
/// In cases named `*-lossy` sops' encrypted output does not survive go-yaml either (it
/// writes a comment inside `{}` that go-yaml then drops), so only the other checks run.
#[test]
fn real_sops_outputs_match() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in fs_err::read_dir(fixtures().join("sops")).unwrap() {
        let case = case.unwrap().path();
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let loose = name.ends_with("-blanklines");
        let input = read(&case.join("input.yaml"));
        let parsed = parse(&input).unwrap();
        let encrypted = read(&case.join("encrypted.yaml"));
        let enc_parsed = parse(&encrypted).unwrap();
        let mut check = |what: &str, got: Vec<u8>, want: &[u8], loose: bool| {
            checked += 1;
            let strip = |b: &[u8]| String::from_utf8_lossy(b).replace("\n\n", "\n");
            let same = if loose {
                strip(&got) == strip(want)
            } else {
                got == want
            };
            if !same {
                failures.push(format!("{name} {what}: {}", first_difference(&got, want)));
            }
        };
        if !name.ends_with("-lossy") {
            check(
                "encrypted round trip",
                emit_default(&enc_parsed),
                &encrypted,
                loose,
            );
        }
        let with_meta = RawFile {
            branches: parsed.branches.clone(),
            metadata: enc_parsed.metadata.clone(),
        };
        check(
            "input + metadata = encrypted",
            mask_comments(&emit_default(&with_meta)),
            &mask_comments(&encrypted),
            false,
        );
        if let Ok(expected) = fs_err::read(case.join("expected.yaml")) {
            let plain = RawFile {
                branches: enc_parsed.branches.clone(),
                metadata: None,
            };
            check(
                "encrypted - metadata = expected",
                mask_comments(&emit_default(&plain)),
                &mask_comments(&expected),
                loose,
            );
            if !has_comments(&parsed) {
                check("input = expected", emit_default(&parsed), &expected, false);
            }
            check(
                "expected round trip",
                emit_default(&parse(&expected).unwrap()),
                &expected,
                loose,
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked >= 40, "only {checked} checks ran");
}

// ---------------------------------------------------------------------------------------
// go-yaml oracle
// ---------------------------------------------------------------------------------------

/// The tree in the JSON shape of the go-yaml oracle that made the `goyaml` fixtures.
fn tree_json(file: &RawFile) -> serde_json::Value {
    use serde_json::json;
    fn value(v: &Value) -> serde_json::Value {
        match v {
            Value::Null => json!({"null": true}),
            Value::Scalar(Scalar::Str(t)) => json!({"str": t.as_str()}),
            Value::Scalar(Scalar::Time(t)) => json!({"time": t.as_str()}),
            Value::Scalar(Scalar::Int(i)) => json!({"int": i.to_string()}),
            Value::Scalar(Scalar::Float(f)) => {
                json!({"float": crate::value::format_float_go_g(*f)})
            }
            Value::Scalar(Scalar::Bool(b)) => json!({"bool": b}),
            Value::Scalar(Scalar::Bytes(_)) => json!({"bytes": true}),
            Value::Map(m) => map(m),
            Value::Seq(items) => json!({"seq": items.iter().map(|i| match i {
                SeqItem::Comment(c) => json!({"comment": c.text.as_str()}),
                SeqItem::Value(v) => value(v),
            }).collect::<Vec<_>>()}),
        }
    }
    fn map(m: &Map) -> serde_json::Value {
        json!({"map": m.items.iter().map(|i| match i {
            MapItem::Comment(c) => json!({"comment": c.text.as_str()}),
            MapItem::Entry(k, v) => json!({"key": {"str": k}, "value": value(v)}),
        }).collect::<Vec<_>>()})
    }
    serde_json::Value::Array(file.branches.iter().map(map).collect())
}

/// `tests/fixtures/yaml/goyaml/*` (see its README): our parse builds go-yaml's tree, and
/// our emit writes go-yaml's bytes, at indentation 4 and 2.
#[test]
fn go_yaml_oracle_cases() {
    let dir = fixtures().join("goyaml");
    let mut failures = Vec::new();
    let mut cases = 0;
    for entry in fs_err::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(base) = name.strip_suffix(".yaml") else {
            continue;
        };
        if base.contains(".emit") {
            continue;
        }
        cases += 1;
        let file = parse(&read(&path)).unwrap();
        let want: serde_json::Value =
            serde_json::from_slice(&read(&dir.join(format!("{base}.tree.json")))).unwrap();
        if tree_json(&file) != want {
            failures.push(format!("{base}: tree differs"));
        }
        for (suffix, indent) in [("emit", None), ("emit2", Some(2))] {
            let want = read(&dir.join(format!("{base}.{suffix}.yaml")));
            let got = emit(&file, EmitOptions { indent }).unwrap();
            if got != want {
                failures.push(format!(
                    "{base} {suffix}: {}",
                    first_difference(&got, &want)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(cases >= 100, "only {cases} cases");
}
