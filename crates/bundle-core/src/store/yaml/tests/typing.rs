//! How scalars are typed, as go-yaml v3 types them (plain, quoted, tagged, timestamps).
#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn plain_scalars_are_typed_as_go_yaml_does() {
    let int = |i: i64| Value::Scalar(Scalar::Int(i));
    let float = |f: f64| Value::Scalar(Scalar::Float(f));
    let boolean = |b: bool| Value::Scalar(Scalar::Bool(b));
    let table: Vec<(&str, Value)> = vec![
        ("null", Value::Null),
        ("~", Value::Null),
        ("Null", Value::Null),
        ("NULL", Value::Null),
        ("", Value::Null),
        ("nULL", str_value("nULL")),
        ("true", boolean(true)),
        ("True", boolean(true)),
        ("TRUE", boolean(true)),
        ("false", boolean(false)),
        ("FALSE", boolean(false)),
        ("yes", str_value("yes")),
        ("on", str_value("on")),
        ("tRUE", str_value("tRUE")),
        ("42", int(42)),
        ("-17", int(-17)),
        ("+5", int(5)),
        ("0x1F", int(31)),
        ("0X1f", int(31)),
        ("-0x10", int(-16)),
        ("0o17", int(15)),
        ("0b101", int(5)),
        ("-0b11", int(-3)),
        ("0777", int(511)),
        ("007", int(7)),
        ("1_000", int(1000)),
        ("0_x1", int(1)),
        ("08", float(8.0)),
        ("9223372036854775807", int(i64::MAX)),
        ("-9223372036854775808", int(i64::MIN)),
        ("-9223372036854775809", float(-9_223_372_036_854_775_809.0)),
        ("99999999999999999999", float(1e20)),
        ("+9223372036854775808", float(9_223_372_036_854_775_808.0)),
        ("0xFFFFFFFFFFFFFFFF0", str_value("0xFFFFFFFFFFFFFFFF0")),
        ("1.5", float(1.5)),
        (".inf", float(f64::INFINITY)),
        ("+.inf", float(f64::INFINITY)),
        ("-.Inf", float(f64::NEG_INFINITY)),
        ("1e3", float(1000.0)),
        ("1E3", float(1000.0)),
        ("1.", float(1.0)),
        (".5", float(0.5)),
        ("-.5", float(-0.5)),
        ("1_0.5", float(10.5)),
        ("6.02e+23", float(6.02e23)),
        ("1e400", str_value("1e400")),
        (".e3", str_value(".e3")),
        ("1.2.3", str_value("1.2.3")),
        ("inf", str_value("inf")),
        ("NaN", str_value("NaN")),
    ];
    for (text, want) in table {
        assert_eq!(value_of(text), want, "{text:?}");
    }
}

#[test]
fn timestamps_tags_and_quoted_scalars_are_typed_as_go_yaml_does() {
    let int = |i: i64| Value::Scalar(Scalar::Int(i));
    let float = |f: f64| Value::Scalar(Scalar::Float(f));
    let boolean = |b: bool| Value::Scalar(Scalar::Bool(b));
    let time = |t: &str| Value::Scalar(Scalar::Time(Text::from(t)));
    let table: Vec<(&str, Value)> = vec![
        ("2024-05-01T12:30:00Z", time("2024-05-01T12:30:00Z")),
        ("2024-05-01", time("2024-05-01T00:00:00Z")),
        ("2024-5-1", time("2024-05-01T00:00:00Z")),
        ("2001-12-14 21:59:43.10", time("2001-12-14T21:59:43.1Z")),
        (
            "2001-12-14t21:59:43.10-05:00",
            time("2001-12-14T21:59:43.1-05:00"),
        ),
        ("2024-05-01T12:30:00+00:00", time("2024-05-01T12:30:00Z")),
        (
            "2024-05-01T12:30:00.123456789Z",
            time("2024-05-01T12:30:00.123456789Z"),
        ),
        ("2024-05-01T12:30:00,5Z", time("2024-05-01T12:30:00.5Z")),
        (
            "2001-12-14 21:59:43.10 -5",
            str_value("2001-12-14 21:59:43.10 -5"),
        ),
        ("2024-05-01 12:30:00Z", str_value("2024-05-01 12:30:00Z")),
        ("2024-05-01T12:30:00", str_value("2024-05-01T12:30:00")),
        ("2024-05-01t12:30:00z", str_value("2024-05-01t12:30:00z")),
        ("2024-02-30", str_value("2024-02-30")),
        ("2024-05-01T25:30:00Z", str_value("2024-05-01T25:30:00Z")),
        ("20240-05-01", str_value("20240-05-01")),
        ("12:30:00", str_value("12:30:00")),
        ("hello world", str_value("hello world")),
        ("<<", str_value("<<")),
        ("\"123\"", str_value("123")),
        ("'1.5'", str_value("1.5")),
        ("\"\"", str_value("")),
        ("!!str 123", str_value("123")),
        ("!!int \"7\"", int(7)),
        ("!!float 1", float(1.0)),
        ("!!bool true", boolean(true)),
        ("!!null ''", Value::Null),
        ("!!timestamp 2024-05-01", time("2024-05-01T00:00:00Z")),
        ("!!binary aGVsbG8=", str_value("hello")),
        ("!custom 123", str_value("123")),
        ("! 12", int(12)),
        ("!!merge <<", str_value("<<")),
        ("!!str", str_value("")),
        ("|\n  block\n", str_value("block\n")),
        (">-\n  folded\n  text\n", str_value("folded text")),
    ];
    for (text, want) in table {
        assert_eq!(value_of(text), want, "{text:?}");
    }
    // A block scalar ended by the end of the file gets no line feed (as libyaml reads it).
    let eof = parse(b"v: |\n  at eof").unwrap();
    assert_eq!(eof.branches[0].get("v"), Some(&str_value("at eof")));
}

#[test]
fn tagged_values_that_do_not_fit_their_tag_are_errors() {
    for text in [
        "!!int abc",
        "!!bool yes",
        "!!float x",
        "!!null 1",
        "!!timestamp 12",
        "!!int 2024-01-01",
    ] {
        let err = parse(format!("a: 1\nv: {text}\n").as_bytes()).unwrap_err();
        assert_eq!(err.line, Some(2), "{text}");
        assert!(
            err.message.contains("does not read as that type"),
            "{text}: {err}"
        );
    }
}

/// Issue 15: NEL, LS and PS are line breaks to go-yaml (YAML 1.1). sops writes a value with LS
/// as an indented continuation of a single-quoted scalar and reads it back without the
/// indentation; a raw NEL inside double quotes folds to a space.
#[test]
fn unicode_line_breaks_read_as_go_yaml_reads_them() {
    for (text, want) in [
        ("'x\u{2028}    y'", "x\u{2028}y"),
        ("'x  \u{2029}  y'", "x\u{2029}y"),
        ("\"x\u{85}y\"", "x y"),
        ("\"x \u{85}\u{85} y\"", "x\ny"),
        ("'a\u{2028}\u{2028}b'", "a\u{2028}\u{2028}b"),
        ("plain\u{2028}  text", "plain\u{2028}text"),
        ("'no break here'", "no break here"),
    ] {
        assert_eq!(value_of(text), str_value(want), "{text:?}");
    }
    // What we write, we read back: the emitter indents the continuation as go-yaml does.
    let file = doc(vec![entry("k\u{2028}ey", str_value("x\u{2028}y\u{2029}z"))]);
    let bytes = emit_default(&file);
    assert_eq!(
        parse(&bytes).unwrap(),
        file,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
}
