//! Errors: a line number and never the content; alias bombs; trees YAML cannot hold.
#![allow(clippy::unwrap_used)]

use super::*;

#[track_caller]
fn parse_error(input: &str) -> StoreError {
    parse(input.as_bytes()).unwrap_err()
}

#[test]
fn errors_carry_a_line_and_never_the_content() {
    let cases: Vec<(&str, usize, &str)> = vec![
        (
            "a: 1\n1: secret-value\n",
            2,
            "tree contains a non-string key",
        ),
        (
            "a: 1\ntrue: secret-value\n",
            2,
            "tree contains a non-string key",
        ),
        (
            "a: 1\n~: secret-value\n",
            2,
            "tree contains a non-string key",
        ),
        (
            "a: 1\n2024-01-01: secret-value\n",
            2,
            "tree contains a non-string key",
        ),
        (
            "a: 1\n? [x]\n: secret-value\n",
            2,
            "tree contains a non-string key",
        ),
        ("- secret-value\n", 1, "must be a mapping"),
        ("secret-value\n", 1, "must be a mapping"),
        ("a: 1\n---\n- secret-value\n", 3, "must be a mapping"),
        (
            "a: 1\nb: 18446744073709551615\n",
            2,
            "beyond the 64-bit signed range",
        ),
        (
            "a: 1\nb: 9223372036854775808\n",
            2,
            "beyond the 64-bit signed range",
        ),
        (
            "secret: 1\nsecret: 2\n",
            2,
            "repeated (first defined at line 1)",
        ),
        ("a:\n  b: \"secret-value\n", 2, "invalid YAML"),
        ("a: [secret-value\n", 1, "invalid YAML"),
        ("a: x\n b: secret-value\n", 2, "invalid YAML"),
        ("a: &x [1, *x]\n", 1, "contains it"),
        ("a: *secret\n", 1, "not defined"),
        ("a: !!binary c2VjcmV0LXZhbHVl!\n", 1, "not valid base64"),
        ("a: !!binary //79\n", 1, "does not decode to UTF-8"),
        ("sops: secret-value\n", 0, "not a mapping"),
    ];
    for (input, line, message) in cases {
        let err = parse_error(input);
        assert!(err.message.contains(message), "{input:?}: {err}");
        if line > 0 {
            assert_eq!(err.line, Some(line), "{input:?}: {err}");
        }
        assert!(
            !err.to_string().contains("secret"),
            "{input:?} leaks content: {err}"
        );
    }
    let err = parse(b"a: \xff\xfe secret\n").unwrap_err();
    assert_eq!(
        (err.line, err.message.as_str()),
        (Some(1), "the file is not valid UTF-8 text")
    );
    for empty in ["", "# only a comment\n", "\n\n"] {
        assert_eq!(
            parse_error(empty).message,
            "the file contains no YAML document",
            "{empty:?}"
        );
    }
}

#[test]
fn alias_bombs_are_refused() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..10 {
        let prev = (b'a' + level - 1) as char;
        let this = (b'a' + level) as char;
        let _ = writeln!(
            bomb,
            "{this}: &{this} [{}]",
            vec![format!("*{prev}"); 10].join(", ")
        );
    }
    let err = parse_error(&bomb);
    assert!(err.message.contains("expands aliases excessively"), "{err}");
}

#[test]
fn emit_refuses_what_yaml_cannot_hold() {
    let bytes = doc(vec![entry(
        "k",
        Value::Scalar(Scalar::Bytes(zeroize::Zeroizing::new(vec![0xff]))),
    )]);
    assert!(
        emit(&bytes, EmitOptions::default())
            .unwrap_err()
            .message
            .contains("not UTF-8")
    );
    let mut clash = doc(vec![entry("sops", str_value("x"))]);
    clash.metadata = Some(Map::new());
    assert!(
        emit(&clash, EmitOptions::default())
            .unwrap_err()
            .message
            .contains("top-level `sops` key")
    );
}
