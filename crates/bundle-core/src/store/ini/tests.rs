//! Tests of the INI store: sections, comments, round trips and the errors of malformed input.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::*;
use crate::tree::SeqItem;

macro_rules! fixture {
    ($case:literal, $file:literal) => {
        include_bytes!(concat!("../../../tests/fixtures/ini/", $case, "/", $file))
    };
}

/// (name, input, encrypted, expected)
type Case = (&'static str, &'static [u8], &'static [u8], &'static [u8]);

const CASES: [Case; 3] = [
    (
        "ini-basic",
        fixture!("ini-basic", "input.ini"),
        fixture!("ini-basic", "encrypted.ini"),
        fixture!("ini-basic", "expected.ini"),
    ),
    (
        "ini-shapes",
        fixture!("ini-shapes", "input.ini"),
        fixture!("ini-shapes", "encrypted.ini"),
        fixture!("ini-shapes", "expected.ini"),
    ),
    (
        "ini-quoting",
        fixture!("ini-quoting", "input.ini"),
        fixture!("ini-quoting", "encrypted.ini"),
        fixture!("ini-quoting", "expected.ini"),
    ),
];

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn round_trip(bytes: &[u8]) -> String {
    text(&emit(&parse(bytes).unwrap()).unwrap())
}

fn s(v: &str) -> Value {
    Value::str(v)
}

fn c(v: &str) -> MapItem {
    MapItem::Comment(Comment::new(v))
}

fn section(file: &RawFile, index: usize) -> (&str, &Map) {
    match &file.branches[0].items[index] {
        MapItem::Entry(name, Value::Map(m)) => (name, m),
        other => panic!("not a section: {other:?}"),
    }
}

/// Splits an encrypted file into its data part and its `[sops]` lines as a set.
fn split_metadata(file: &str) -> (&str, BTreeSet<&str>) {
    let (data, md) = file.split_once("[sops]\n").unwrap();
    (data, md.lines().collect())
}

#[test]
fn plaintext_matches_sops_output() {
    for (name, input, _, expected) in CASES {
        assert_eq!(round_trip(input), text(expected), "{name}: input");
        assert_eq!(round_trip(expected), text(expected), "{name}: expected");
    }
}

#[test]
fn encrypted_files_round_trip_with_metadata_as_a_set() {
    for (name, _, encrypted, _) in CASES {
        let encrypted = text(encrypted);
        let emitted = round_trip(encrypted.as_bytes());
        let (data, md) = split_metadata(&encrypted);
        let (emitted_data, emitted_md) = split_metadata(&emitted);
        assert_eq!(emitted_data, data, "{name}");
        assert_eq!(emitted_md, md, "{name}");
        // Sorted, with `=` aligned.
        let lines: Vec<&str> = emitted.split_once("[sops]\n").unwrap().1.lines().collect();
        let mut sorted = lines.clone();
        sorted.sort_unstable();
        assert_eq!(lines, sorted, "{name}");
    }
}

#[test]
fn basic_tree_has_sections_comments_and_metadata() {
    let file = parse(CASES[1 - 1].1).unwrap();
    assert!(file.metadata.is_none());
    assert_eq!(file.branches[0].items.len(), 3);
    let (name, default) = section(&file, 0);
    assert_eq!(name, "DEFAULT");
    assert_eq!(default.get("top_level"), Some(&s("in the DEFAULT section")));
    let (name, db) = section(&file, 1);
    assert_eq!(name, "database");
    assert_eq!(
        db.items,
        vec![
            c("database section comment"),
            MapItem::Entry("host".into(), s("db.internal.invalid")),
            MapItem::Entry("password".into(), s("correct-horse-battery-staple")),
            MapItem::Entry("port".into(), s("5432")),
            c("comment about the port"),
            MapItem::Entry("user_unencrypted".into(), s("app")),
        ]
    );
    assert_eq!(section(&file, 2).0, "mcp server");

    let encrypted = parse(CASES[0].2).unwrap();
    assert_eq!(encrypted.branches[0].items.len(), 3);
    let md = encrypted.metadata.clone().unwrap();
    assert_eq!(md.get("version").unwrap().as_str(), Some("3.11.0"));
    let Some(Value::Seq(age)) = md.get("age") else {
        panic!("age is not a list")
    };
    let [SeqItem::Value(Value::Map(entry))] = age.as_slice() else {
        panic!("one age entry")
    };
    let enc = entry.get("enc").unwrap().as_str().unwrap();
    assert!(
        enc.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n")
            && enc.ends_with("-----END AGE ENCRYPTED FILE-----\n")
    );
    // The encrypted comment stays attached after `port`.
    let (_, db) = section(&encrypted, 1);
    assert!(
        matches!(&db.items[4], MapItem::Comment(c) if c.text.as_str().starts_with("ENC[AES256_GCM,"))
    );
}

#[test]
fn shapes_parse_like_go_ini() {
    let file = parse(CASES[1].1).unwrap();
    let (name, default) = section(&file, 0);
    assert_eq!((name, default.items.len()), ("DEFAULT", 0));
    let (name, first) = section(&file, 1);
    assert_eq!(name, "first");
    assert_eq!(
        first.items[0],
        c("file comment\n# second line\n; header comment")
    );
    assert_eq!(first.get("b"), Some(&s("two words")));
    assert_eq!(first.get("c"), Some(&s("  spaced  ")));
    assert_eq!(first.get("d"), Some(&s("single")));
    assert_eq!(first.get("e"), Some(&s("has")));
    assert_eq!(first.get("f"), Some(&s("back # tick")));
    assert_eq!(first.get("g"), Some(&s("multi\nline")));
    assert_eq!(first.get("h"), Some(&s("cont inued")));
    assert_eq!(first.get("empty"), Some(&s("")));
    assert_eq!(first.get("quoted key"), Some(&s("qk")));
    assert_eq!(first.get("tick=key"), Some(&s("tk")));
    assert_eq!(first.get("dup"), Some(&s("second")));
    assert_eq!(first.entries().filter(|(k, _)| *k == "dup").count(), 1);
    let names: Vec<&str> = file.branches[0].entries().map(|(k, _)| k).collect();
    assert_eq!(names, ["DEFAULT", "first", "first", " spaced ", "DEFAULT"]);
    let quoting = parse(CASES[2].1).unwrap();
    let (name, s_section) = section(&quoting, 2);
    assert_eq!(name, "s");
    assert_eq!(s_section.get("k"), Some(&s("colon = v1")));
    assert_eq!(s_section.get("v4"), Some(&s("a`b")));
    assert_eq!(s_section.get("k7"), Some(&s("\"a\"b\"")));
    assert_eq!(s_section.get("k9"), Some(&s("'it''s'")));
}

#[test]
fn auto_increment_keys_and_crlf() {
    let file = parse(b"[a]\r\n- = one\r\n- = two\r\nk = v\r\n").unwrap();
    let (_, a) = section(&file, 1);
    assert_eq!(a.get("#1"), Some(&s("one")));
    assert_eq!(a.get("#2"), Some(&s("two")));
    assert_eq!(a.get("k"), Some(&s("v")));
    assert_eq!(section(&file, 1).0, "a");
}

#[test]
fn errors_name_the_line_and_never_the_content() {
    for (input, line, message) in [
        (
            &b"a = 1\n[unclosed-secret\n"[..],
            2,
            "unclosed section header",
        ),
        (b"\n\n[]\n", 3, "empty section name"),
        (
            b"k = v\nsecret-without-delimiter\n",
            2,
            "expected `key = value`, a section header or a comment",
        ),
        (b"= secret\n", 1, "empty key name"),
        (b"\"\" = secret\n", 1, "empty key name"),
        (b"\"open = secret\n", 1, "quoted key is never closed"),
        (
            b"k = \"\"\"secret\nmore\n",
            1,
            "quoted value is never closed",
        ),
        (b"k = `secret\n", 1, "quoted value is never closed"),
        (b"a = 1\nb = \xff\n", 2, "the line is not valid UTF-8"),
        (
            b"[sops]\nx = 1\nx__map_y = 2\n",
            3,
            "sops metadata key conflicts with another metadata key",
        ),
    ] {
        let err = parse(input).unwrap_err();
        assert_eq!(err.line, Some(line), "{message}");
        assert_eq!(err.message, message);
        assert!(!err.to_string().contains("secret"));
    }
}

#[test]
fn emit_refuses_what_ini_cannot_hold() {
    let mut branch = Map::new();
    branch.push("top", s("not a section"));
    let err = emit(&RawFile {
        branches: vec![branch],
        metadata: None,
    })
    .unwrap_err();
    assert!(
        err.message.contains("`top`") && err.message.contains("sections"),
        "{err}"
    );
    let mut inner = Map::new();
    inner.push("nested", Value::Map(Map::new()));
    let mut branch = Map::new();
    branch.push("sec", Value::Map(inner));
    let err = emit(&RawFile {
        branches: vec![branch],
        metadata: None,
    })
    .unwrap_err();
    assert!(err.message.contains("`sec:nested:`"), "{err}");
}

#[test]
fn emit_from_another_format() {
    // A tree from YAML/JSON: no DEFAULT section, typed scalars, comments before keys.
    let mut sec = Map::new();
    sec.items.push(c("lead"));
    sec.push("n", Value::Scalar(Scalar::Float(3.0)));
    sec.push("b", Value::Scalar(Scalar::Bool(true)));
    sec.items.push(c("about b"));
    sec.push("long key", s(" padded "));
    let mut branch = Map::new();
    branch.push("server", Value::Map(sec));
    branch.push("DEFAULT", Value::Map(Map::new()));
    let out = text(
        &emit(&RawFile {
            branches: vec![branch],
            metadata: None,
        })
        .unwrap(),
    );
    assert_eq!(
        out,
        "; lead\n[server]\nn        = 3.0\n; about b\nb        = true\nlong key = \" padded \"\n\n[DEFAULT]\n"
    );
}

#[test]
fn metadata_round_trips_through_the_sops_section() {
    let file = parse(CASES[0].2).unwrap();
    let again = parse(&emit(&file).unwrap()).unwrap();
    assert_eq!(again.branches, file.branches);
    let flat_a = flat::flatten(file.metadata.as_ref().unwrap()).unwrap();
    let flat_b = flat::flatten(again.metadata.as_ref().unwrap()).unwrap();
    assert_eq!(flat_a, flat_b);
}

#[test]
fn hundred_thousand_values_round_trip() {
    let mut input = String::from("[big]\n");
    for i in 0..100_000 {
        writeln!(input, "key{i} = value {i} ; note").unwrap();
    }
    let file = parse(input.as_bytes()).unwrap();
    assert_eq!(section(&file, 1).1.items.len(), 200_000);
    let out = emit(&file).unwrap();
    assert!(out.len() > input.len());
}
