//! The dotenv store (spec §8.3): `KEY=value` lines ↔ [`RawFile`], as sops 3.11 does it.
//!
//! Parsing is deliberately naive, like sops': lines split on `\n`, empty lines skipped,
//! `#` lines are comments (text after `#`, untrimmed), other lines split at the first `=`
//! with nothing trimmed or unquoted (`export X=1` has the key `export X`). The two
//! characters `\n` in a value stand for a newline. Every value is a string.
//!
//! Metadata: every key starting with `sops_`, wherever it is, belongs to the flattened
//! `sops` mapping (see [`super::flat`]); it is written back after the data, sorted.

use crate::error::StoreError;
use crate::store::flat::{self, FlatEntry, GoText, NotText, OutBuf};
use crate::tree::{Comment, Map, MapItem, RawFile, Scalar, Value};

/// The prefix of metadata keys.
const SOPS_PREFIX: &str = "sops_";

/// Parses dotenv text. A line without `=` is an error naming its line number.
pub fn parse(input: &[u8]) -> Result<RawFile, StoreError> {
    let mut branch = Map::new();
    let mut metadata = Vec::new();
    for (index, line) in input.split(|&b| b == b'\n').enumerate() {
        let number = index + 1;
        if line.is_empty() {
            continue;
        }
        let line = std::str::from_utf8(line)
            .map_err(|_| StoreError::at(number, "the line is not valid UTF-8"))?;
        if let Some(comment) = line.strip_prefix('#') {
            branch.items.push(MapItem::Comment(Comment::new(comment)));
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(StoreError::at(
                number,
                "invalid dotenv line: expected `KEY=value`",
            ));
        };
        let value = flat::unescape_newlines(value);
        if let Some(flat_key) = key.strip_prefix(SOPS_PREFIX) {
            metadata.push(FlatEntry {
                key: flat_key.to_owned(),
                value,
                line: number,
            });
        } else {
            branch.items.push(MapItem::Entry(
                key.to_owned(),
                Value::Scalar(Scalar::Str(value)),
            ));
        }
    }
    let metadata = if metadata.is_empty() {
        None
    } else {
        Some(flat::unflatten(metadata)?)
    };
    Ok(RawFile {
        branches: vec![branch],
        metadata,
    })
}

/// Emits dotenv text: the data lines, then the flattened metadata as sorted `sops_*` lines.
pub fn emit(file: &RawFile) -> Result<Vec<u8>, StoreError> {
    let branch = match file.branches.as_slice() {
        [branch] => branch,
        [] => return Err(StoreError::new("there is no document to write as dotenv")),
        more => {
            return Err(StoreError::new(format!(
                "dotenv holds one document but the tree has {} (sops 3.11 writes the first and silently drops the others; this toolkit refuses); write it as YAML instead",
                more.len()
            )));
        }
    };
    let mut out = OutBuf::with_capacity(4096);
    for item in &branch.items {
        match item {
            MapItem::Comment(c) => {
                out.push(b'#');
                out.push_str(c.text.as_str());
                out.push(b'\n');
            }
            MapItem::Entry(key, value) => {
                let text = flat::go_value_text(value).map_err(|why| match why {
                    NotText::Complex => StoreError::new(format!(
                        "cannot write `{key}` as dotenv: its value is a mapping or a list, and dotenv values are flat strings"
                    )),
                    NotText::Bytes => StoreError::new(format!(
                        "cannot write `{key}` as dotenv: its value is bytes that are not UTF-8"
                    )),
                })?;
                out.push_str(key);
                out.push(b'=');
                match text {
                    // sops escapes newlines in strings only; other scalars have none.
                    GoText::Borrowed(s) => out.push_escaping_newlines(s),
                    GoText::Owned(s) => out.push_str(&s),
                }
                out.push(b'\n');
            }
        }
    }
    if let Some(metadata) = &file.metadata {
        for (key, value) in flat::flatten(metadata)? {
            out.push_str(SOPS_PREFIX);
            out.push_str(&key);
            out.push(b'=');
            out.push_str(&value);
            out.push(b'\n');
        }
    }
    Ok(out.into_vec())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::tree::{SeqItem, Text};
    use proptest::prelude::*;
    use std::fmt::Write as _;

    fn s(text: &str) -> Value {
        Value::Scalar(Scalar::Str(Text::from(text)))
    }

    macro_rules! fixture {
        ($case:literal, $file:literal) => {
            include_bytes!(concat!("../../tests/fixtures/dotenv/", $case, "/", $file))
        };
    }

    const BASIC_INPUT: &[u8] = fixture!("dotenv-basic", "input.env");
    const BASIC_ENCRYPTED: &[u8] = fixture!("dotenv-basic", "encrypted.env");
    const BASIC_EXPECTED: &[u8] = fixture!("dotenv-basic", "expected.env");
    const REGEX_ENCRYPTED: &[u8] = fixture!("dotenv-unencrypted-regex", "encrypted.env");
    const REGEX_EXPECTED: &[u8] = fixture!("dotenv-unencrypted-regex", "expected.env");
    const SHAPES_INPUT: &[u8] = fixture!("dotenv-shapes", "input.env");
    const SHAPES_ENCRYPTED: &[u8] = fixture!("dotenv-shapes", "encrypted.env");
    const SHAPES_EXPECTED: &[u8] = fixture!("dotenv-shapes", "expected.env");

    fn round_trip(bytes: &[u8]) -> Vec<u8> {
        emit(&parse(bytes).unwrap()).unwrap()
    }

    #[test]
    fn vectors_round_trip_byte_for_byte() {
        for bytes in [
            BASIC_ENCRYPTED,
            BASIC_EXPECTED,
            BASIC_INPUT,
            REGEX_ENCRYPTED,
            REGEX_EXPECTED,
            SHAPES_ENCRYPTED,
            SHAPES_EXPECTED,
        ] {
            assert_eq!(
                String::from_utf8_lossy(&round_trip(bytes)),
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn parses_basic_input_types_and_comments() {
        let file = parse(BASIC_INPUT).unwrap();
        assert!(file.metadata.is_none());
        let branch = &file.branches[0];
        assert_eq!(
            branch.items[0],
            MapItem::Comment(Comment::new(" MCP environment (fake values)"))
        );
        assert_eq!(branch.get("MCP_SECRETS_VERSION"), Some(&s("7")));
        assert_eq!(branch.get("EMPTY"), Some(&s("")));
        assert_eq!(branch.get("QUOTED"), Some(&s("\"kept with quotes\"")));
        assert_eq!(branch.get("MULTILINE"), Some(&s("line1\nline2")));
        assert_eq!(branch.entries().count(), 7);
    }

    #[test]
    fn parses_encrypted_metadata() {
        let file = parse(BASIC_ENCRYPTED).unwrap();
        let md = file.metadata.unwrap();
        let keys: Vec<&str> = md.entries().map(|(k, _)| k).collect();
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
        let Some(Value::Seq(age)) = md.get("age") else {
            panic!("age is not a list")
        };
        let [SeqItem::Value(Value::Map(entry))] = age.as_slice() else {
            panic!("one age entry expected")
        };
        let enc = entry.get("enc").unwrap().as_str().unwrap();
        assert!(enc.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"));
        assert!(enc.ends_with("\n-----END AGE ENCRYPTED FILE-----\n"));
        assert_eq!(
            entry.get("recipient").unwrap().as_str(),
            Some("age1ps335dvugrdjvdk7p6kzlhkzeze77p07w9exxz9em8mpkheehuwqs76e5w")
        );
        assert_eq!(md.get("version").unwrap().as_str(), Some("3.11.0"));
        // The metadata lines are not data.
        assert!(
            file.branches[0]
                .entries()
                .all(|(k, _)| !k.starts_with("sops_"))
        );
        assert_eq!(file.branches[0].items.len(), 8);
    }

    #[test]
    fn shapes_are_kept_verbatim() {
        // Generated with the real sops (see tests/fixtures/dotenv/README.md).
        let file = parse(SHAPES_INPUT).unwrap();
        let b = &file.branches[0];
        assert_eq!(b.get("export X"), Some(&s("1")));
        assert_eq!(b.get("K "), Some(&s(" v ")));
        assert_eq!(b.get("Q"), Some(&s("\"quoted\"")));
        assert_eq!(b.get("A"), Some(&s("b=c")));
        assert_eq!(b.get("CR"), Some(&s("x\r")));
        assert_eq!(b.get(""), Some(&s("empty key")));
        assert_eq!(b.get("ML"), Some(&s("a\nb\\\nc")));
        assert_eq!(b.items[3], MapItem::Comment(Comment::new(" c2 ")));
    }

    #[test]
    fn metadata_keys_anywhere_are_metadata() {
        let file = parse(b"sops_version=3.11.0\nA=1\nsops_age__list_0__map_enc=x\\ny\n").unwrap();
        assert_eq!(file.branches[0].entries().count(), 1);
        let md = file.metadata.unwrap();
        assert_eq!(md.get("version").unwrap().as_str(), Some("3.11.0"));
        let emitted =
            emit(&parse(b"sops_version=3.11.0\nA=1\nsops_age__list_0__map_enc=x\\ny\n").unwrap())
                .unwrap();
        assert_eq!(
            emitted,
            b"A=1\nsops_age__list_0__map_enc=x\\ny\nsops_version=3.11.0\n"
        );
    }

    #[test]
    fn line_without_equals_is_an_error_without_content() {
        let err = parse(b"A=1\n\n# c\nsecret-value-here\n").unwrap_err();
        assert_eq!(err.line, Some(4));
        assert!(!err.to_string().contains("secret"), "{err}");
        assert_eq!(
            err.to_string(),
            "line 4: invalid dotenv line: expected `KEY=value`"
        );
        let err = parse(b"A=\xff\n").unwrap_err();
        assert_eq!(err.line, Some(1));
        let err = parse(b"sops_a=1\nsops_a__map_b=2\n").unwrap_err();
        assert_eq!(err.line, Some(2));
    }

    #[test]
    fn nested_values_cannot_be_written() {
        let mut branch = Map::new();
        branch.push("NESTED", Value::Map(Map::new()));
        let file = RawFile {
            branches: vec![branch],
            metadata: None,
        };
        let err = emit(&file).unwrap_err();
        assert!(
            err.message.contains("`NESTED`") && err.message.contains("flat"),
            "{err}"
        );
    }

    #[test]
    fn typed_values_are_written_like_sops() {
        let mut branch = Map::new();
        branch.push("I", Value::Scalar(Scalar::Int(7)));
        branch.push("F", Value::Scalar(Scalar::Float(2.0)));
        branch.push("B", Value::Scalar(Scalar::Bool(true)));
        branch.push("N", Value::Null);
        branch.push(
            "T",
            Value::Scalar(Scalar::Time(Text::from("2024-01-02T03:04:05.25Z"))),
        );
        let file = RawFile {
            branches: vec![branch],
            metadata: None,
        };
        assert_eq!(
            String::from_utf8(emit(&file).unwrap()).unwrap(),
            "I=7\nF=2.0\nB=true\nN=<nil>\nT=2024-01-02T03:04:05Z\n"
        );
    }

    #[test]
    fn hundred_thousand_values_are_linear() {
        let mut text = String::new();
        for i in 0..100_000 {
            writeln!(text, "KEY_{i}=value {i}\\nsecond line").unwrap();
        }
        for i in 0..2_000 {
            writeln!(text, "sops_big__list_{i}__map_enc=e{i}").unwrap();
        }
        let start = std::time::Instant::now();
        let file = parse(text.as_bytes()).unwrap();
        let out = emit(&file).unwrap();
        assert_eq!(file.branches[0].items.len(), 100_000);
        assert_eq!(out.len(), text.len());
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "{:?}",
            start.elapsed()
        );
    }

    fn key() -> impl Strategy<Value = String> {
        // No `=` or newline; not a comment; not metadata.
        "[A-Za-z0-9_ .-]{0,12}".prop_filter("not metadata", |k| !k.starts_with(SOPS_PREFIX))
    }

    fn text() -> impl Strategy<Value = String> {
        // Any text except a literal backslash followed by `n` (sops' escape is not reversible).
        any::<String>().prop_filter("no literal \\n", |v| !v.contains("\\n"))
    }

    fn meta_value() -> impl Strategy<Value = Value> {
        let leaf = text().prop_map(|t| s(&t));
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 1..4)
                    .prop_map(|v| Value::Seq(v.into_iter().map(SeqItem::Value).collect())),
                prop::collection::btree_map("[a-z]{1,6}", inner, 1..4).prop_map(|m| {
                    let mut map = Map::new();
                    for (k, v) in m {
                        map.push(k, v);
                    }
                    Value::Map(map)
                }),
            ]
        })
    }

    /// Sorts every mapping by key (flat metadata comes back in flat-key order).
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Map(m) => Value::Map(sorted_map(m)),
            Value::Seq(items) => Value::Seq(
                items
                    .iter()
                    .map(|i| match i {
                        SeqItem::Value(v) => SeqItem::Value(sorted(v)),
                        c @ SeqItem::Comment(_) => c.clone(),
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn sorted_map(m: &Map) -> Map {
        let mut entries: Vec<(&str, &Value)> = m.entries().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        let mut out = Map::new();
        for (k, v) in entries {
            out.push(k, sorted(v));
        }
        out
    }

    proptest! {
        #[test]
        fn emit_then_parse_gives_the_same_tree(
            items in prop::collection::vec(
                prop_oneof![
                    (key(), text()).prop_map(|(k, v)| MapItem::Entry(k, s(&v))),
                    "[^\n]{0,10}".prop_map(|c| MapItem::Comment(Comment::new(c))),
                ],
                0..12,
            ),
            metadata in prop::option::of(prop::collection::btree_map("[a-z]{1,6}", meta_value(), 1..4)),
        ) {
            let metadata = metadata.map(|m| {
                let mut map = Map::new();
                for (k, v) in m {
                    map.push(k, v);
                }
                map
            });
            let file = RawFile { branches: vec![Map { items }], metadata };
            let bytes = emit(&file).unwrap();
            let back = parse(&bytes).unwrap();
            prop_assert_eq!(&back.branches, &file.branches);
            prop_assert_eq!(
                back.metadata.as_ref().map(sorted_map),
                file.metadata.as_ref().map(sorted_map)
            );
            prop_assert_eq!(emit(&back).unwrap(), bytes);
        }
    }
}
