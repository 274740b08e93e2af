//! Tests of the JSON store: parsing, emitting byte for byte as sops 3.11, round trips and
//! the errors of malformed input.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::tree::Comment;
use proptest::prelude::*;
use std::fmt::Write as _;

macro_rules! fixture {
    ($case:literal, $file:literal) => {
        include_bytes!(concat!("../../../tests/fixtures/json/", $case, "/", $file))
    };
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn round_trip(bytes: &[u8], options: EmitOptions) -> String {
    text(&emit(&parse(bytes).unwrap(), options).unwrap())
}

const TABS: EmitOptions = EmitOptions { indent: None };

fn float(f: f64) -> Value {
    Value::Scalar(Scalar::Float(f))
}

#[test]
fn vectors_round_trip_byte_for_byte() {
    for (name, bytes) in [
        (
            "basic encrypted",
            &fixture!("json-basic", "encrypted.json")[..],
        ),
        ("basic expected", fixture!("json-basic", "expected.json")),
        (
            "escapes encrypted",
            fixture!("json-escapes", "encrypted.json"),
        ),
        (
            "escapes expected",
            fixture!("json-escapes", "expected.json"),
        ),
        (
            "nested encrypted",
            fixture!("json-nested", "encrypted.json"),
        ),
        ("nested expected", fixture!("json-nested", "expected.json")),
    ] {
        assert_eq!(round_trip(bytes, TABS), text(bytes), "{name}");
    }
}

#[test]
fn inputs_emit_as_sops_prints_them() {
    for (name, input, expected) in [
        (
            "basic",
            &fixture!("json-basic", "input.json")[..],
            &fixture!("json-basic", "expected.json")[..],
        ),
        (
            "escapes",
            fixture!("json-escapes", "input.json"),
            fixture!("json-escapes", "expected.json"),
        ),
        (
            "nested",
            fixture!("json-nested", "input.json"),
            fixture!("json-nested", "expected.json"),
        ),
    ] {
        assert_eq!(round_trip(input, TABS), text(expected), "{name}");
    }
}

#[test]
fn indent_option_matches_sops_store_config() {
    let two = EmitOptions { indent: Some(2) };
    let zero = EmitOptions { indent: Some(0) };
    let encrypted = fixture!("json-nested", "encrypted.json");
    let plain = parse(encrypted).unwrap();
    let plain = RawFile {
        metadata: None,
        ..plain
    };
    // The values are ENC strings here; compare the shape with the decrypted outputs.
    let shape = |s: &str| {
        s.lines()
            .map(|l| l.len() - l.trim_start().len())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        shape(&text(&emit(&plain, two).unwrap())),
        shape(&text(fixture!("json-nested", "expected-indent2.json")))
    );
    assert_eq!(
        shape(&text(&emit(&plain, zero).unwrap())),
        shape(&text(fixture!("json-nested", "expected-indent0.json")))
    );
    let indented = fixture!("json-nested", "encrypted-indent2.json");
    assert_eq!(round_trip(indented, two), text(indented));
    assert_eq!(
        round_trip(fixture!("json-nested", "expected-indent0.json"), zero),
        text(fixture!("json-nested", "expected-indent0.json"))
    );
}

#[test]
fn parses_types_order_and_metadata() {
    let file = parse(fixture!("json-basic", "input.json")).unwrap();
    assert!(file.metadata.is_none());
    let b = &file.branches[0];
    let keys: Vec<&str> = b.entries().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "mcpServers",
            "limits",
            "flags",
            "emptyString",
            "emptyObject",
            "emptyArray",
            "html",
            "note_unencrypted"
        ]
    );
    let limits = b.get("limits").unwrap().as_map().unwrap();
    assert_eq!(limits.get("burst"), Some(&float(100.0)));
    assert_eq!(limits.get("rps"), Some(&float(12.5)));
    assert_eq!(
        limits.get("big"),
        Some(&float(12_345_678_901_234_567_890.0))
    );
    assert_eq!(limits.get("tiny"), Some(&float(1e-7)));
    assert_eq!(
        b.get("flags"),
        Some(&Value::Seq(vec![
            SeqItem::Value(Value::Scalar(Scalar::Bool(true))),
            SeqItem::Value(Value::Scalar(Scalar::Bool(false))),
            SeqItem::Value(Value::Null),
        ]))
    );
    assert_eq!(b.get("html").unwrap().as_str(), Some("<a href=\"x\">&</a>"));
    assert_eq!(b.get("emptyObject"), Some(&Value::Map(Map::new())));
    assert_eq!(b.get("emptyArray"), Some(&Value::Seq(vec![])));

    let encrypted = parse(fixture!("json-basic", "encrypted.json")).unwrap();
    let md = encrypted.metadata.unwrap();
    let md_keys: Vec<&str> = md.entries().map(|(k, _)| k).collect();
    assert_eq!(
        md_keys,
        [
            "age",
            "lastmodified",
            "mac",
            "unencrypted_suffix",
            "version"
        ]
    );
    assert!(encrypted.branches[0].get("sops").is_none());
}

#[test]
fn strings_decode_like_go() {
    let file = parse(fixture!("json-escapes", "input.json")).unwrap();
    let b = &file.branches[0];
    assert_eq!(
        b.get("ctl").unwrap().as_str(),
        Some("a\u{8}\u{c}b\u{1}\u{1f}\u{7f}\t\r\n")
    );
    assert_eq!(b.get("nonbmp").unwrap().as_str(), Some("\u{1F510} ok"));
    assert_eq!(b.get("lone").unwrap().as_str(), Some("\u{FFFD}x"));
    assert_eq!(b.entries().filter(|(k, _)| *k == "dup").count(), 2);
    let invalid = parse(fixture!("json-escapes", "input-invalid-utf8.json")).unwrap();
    assert_eq!(
        invalid.branches[0].get("bad").unwrap().as_str(),
        Some("\u{FFFD}\u{FFFD} x")
    );
    let nums = b.get("nums").unwrap();
    let Value::Seq(items) = nums else {
        panic!("not a list")
    };
    assert_eq!(items[0], SeqItem::Value(float(-0.0)));
    assert_eq!(items[4], SeqItem::Value(float(1.234_567_890_123_456_9e23)));
}

#[test]
fn comments_are_dropped_and_typed_scalars_written() {
    let mut inner = Map::new();
    inner.items.push(MapItem::Comment(Comment::new(" dropped")));
    inner.push("i", Value::Scalar(Scalar::Int(-7)));
    inner.push(
        "t",
        Value::Scalar(Scalar::Time(Text::from("2024-01-02T03:04:05Z"))),
    );
    inner.push(
        "s",
        Value::Seq(vec![
            SeqItem::Comment(Comment::new("x")),
            SeqItem::Value(Value::Null),
        ]),
    );
    inner.push(
        "only_comments",
        Value::Seq(vec![SeqItem::Comment(Comment::new("x"))]),
    );
    let mut branch = Map::new();
    branch.push("m", Value::Map(inner));
    let out = text(
        &emit(
            &RawFile {
                branches: vec![branch],
                metadata: None,
            },
            TABS,
        )
        .unwrap(),
    );
    assert_eq!(
        out,
        "{\n\t\"m\": {\n\t\t\"i\": -7,\n\t\t\"t\": \"2024-01-02T03:04:05Z\",\n\t\t\"s\": [\n\t\t\tnull\n\t\t],\n\t\t\"only_comments\": []\n\t}\n}\n"
    );
    assert_eq!(
        text(
            &emit(
                &RawFile {
                    branches: vec![Map::new()],
                    metadata: None
                },
                TABS
            )
            .unwrap()
        ),
        "{}\n"
    );
}

#[test]
fn emit_errors_name_the_path() {
    let mut inner = Map::new();
    inner.push("x", float(f64::NAN));
    let mut branch = Map::new();
    branch.push("a", Value::Map(inner));
    let err = emit(
        &RawFile {
            branches: vec![branch],
            metadata: None,
        },
        TABS,
    )
    .unwrap_err();
    assert_eq!(
        err.message,
        "cannot write the value at `a:x:` as JSON: JSON has no infinite or NaN numbers"
    );
    let mut branch = Map::new();
    branch.push(
        "bin",
        Value::Scalar(Scalar::Bytes(zeroize::Zeroizing::new(vec![0xff]))),
    );
    let err = emit(
        &RawFile {
            branches: vec![branch],
            metadata: None,
        },
        TABS,
    )
    .unwrap_err();
    assert!(err.message.contains("`bin:`"), "{err}");
    let err = emit(
        &RawFile {
            branches: vec![Map::new(), Map::new()],
            metadata: None,
        },
        TABS,
    )
    .unwrap_err();
    assert!(err.message.contains("one document"), "{err}");
}

#[test]
fn parse_errors_give_lines_and_no_content() {
    for (input, line, message) in [
        (&b""[..], 1, "the file is empty; a JSON object is expected"),
        (
            b"[1, 2]",
            1,
            "the top level is not a JSON object; sops only supports JSON files whose top level is an object",
        ),
        (
            b"\n\"secret\"",
            2,
            "the top level is not a JSON object; sops only supports JSON files whose top level is an object",
        ),
        (b"{\"a\": \"secret\"", 1, "expected `,` or `}` in an object"),
        (b"{\"a\": \"secret", 1, "unterminated string"),
        (b"{\n\"a\": secret}", 2, "expected a value"),
        (b"{\"a\": 01}", 1, "expected `,` or `}` in an object"),
        (b"{\"a\": 1.}", 1, "invalid number"),
        (b"{\"a\": -}", 1, "invalid number"),
        (b"{\"a\": 1e400}", 1, "number out of the float64 range"),
        (b"{\"a\": \"x\ty\"}", 1, "control character inside a string"),
        (b"{\"a\": \"\\x\"}", 1, "invalid escape in a string"),
        (b"{\"a\": \"\\u12g4\"}", 1, "invalid \\u escape in a string"),
        (b"{\"a\": 1,}", 1, "expected a string key"),
        (
            b"{\"a\": 1}\n\nsecret",
            3,
            "unexpected content after the top-level object (sops 3.11 reads the first object and silently ignores the rest; this toolkit refuses, remove the extra content)",
        ),
        (b"{\"a\" 1}", 1, "expected `:` after an object key"),
    ] {
        let err = parse(input).unwrap_err();
        assert_eq!(err.message, format!("invalid JSON: {message}"));
        assert_eq!(err.line, Some(line), "{message}");
        assert!(!err.to_string().contains("secret"));
    }
    let err = parse(b"{\"sops\": 1}").unwrap_err();
    assert_eq!(err.message, "the top-level `sops` entry is not an object");
    let err = parse(b"{\"sops\": {}, \"sops\": {}}").unwrap_err();
    assert_eq!(
        err.message,
        "the top-level `sops` key appears more than once"
    );
}

#[test]
fn nesting_is_limited() {
    let deep = |n: usize| format!("{{\"a\": {}{}}}", "[".repeat(n), "]".repeat(n));
    assert!(parse(deep(MAX_DEPTH - 1).as_bytes()).is_ok());
    let err = parse(deep(MAX_DEPTH).as_bytes()).unwrap_err();
    assert_eq!(
        err.message,
        "invalid JSON: nesting is deeper than 1000 levels"
    );
}

#[test]
fn strings_escape_like_go_marshal() {
    let mut out = OutBuf::with_capacity(0);
    write_string(
        &mut out,
        "<>&\u{2028}\u{2029}\"\\\u{0}\u{1f}\u{7f}é\u{1F510}/",
    );
    assert_eq!(
        text(&out.into_vec()),
        "\"\\u003c\\u003e\\u0026\\u2028\\u2029\\\"\\\\\\u0000\\u001f\u{7f}é\u{1F510}/\""
    );
}

#[test]
fn hundred_thousand_values_round_trip() {
    let mut input = String::from("{");
    for i in 0..100_000 {
        if i > 0 {
            input.push(',');
        }
        write!(input, "\"key{i}\": [\"value {i}\", {i}.5, {{\"x\": null}}]").unwrap();
    }
    input.push('}');
    let file = parse(input.as_bytes()).unwrap();
    let out = emit(&file, TABS).unwrap();
    assert_eq!(file.branches[0].items.len(), 100_000);
    assert_eq!(parse(&out).unwrap(), file);
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(|b| Value::Scalar(Scalar::Bool(b))),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(float),
        any::<String>().prop_map(Value::str),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5)
                .prop_map(|v| Value::Seq(v.into_iter().map(SeqItem::Value).collect())),
            prop::collection::vec((any::<String>(), inner), 0..5).prop_map(|entries| {
                Value::Map(Map {
                    items: entries
                        .into_iter()
                        .map(|(k, v)| MapItem::Entry(k, v))
                        .collect(),
                })
            }),
        ]
    })
}

proptest! {
    #[test]
    fn emit_then_parse_gives_the_same_tree(
        entries in prop::collection::vec(("[^\u{0}]{0,8}".prop_filter("not sops", |k| k != "sops"), json_value()), 0..6),
        metadata in prop::option::of(prop::collection::vec(("[a-z]{1,5}", json_value()), 0..3)),
        indent in prop::option::of(0usize..5),
    ) {
        let branch = Map { items: entries.into_iter().map(|(k, v)| MapItem::Entry(k, v)).collect() };
        let metadata = metadata.map(|m| Map { items: m.into_iter().map(|(k, v)| MapItem::Entry(k, v)).collect() });
        let file = RawFile { branches: vec![branch], metadata };
        let options = EmitOptions { indent };
        let bytes = emit(&file, options).unwrap();
        let back = parse(&bytes).unwrap();
        prop_assert_eq!(&back, &file);
        prop_assert_eq!(emit(&back, options).unwrap(), bytes);
    }
}
