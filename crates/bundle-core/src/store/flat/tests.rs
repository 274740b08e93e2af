//! Tests of the flat helpers: the flat metadata form, value-to-text conversion and the
//! zeroizing output buffer.
#![allow(clippy::unwrap_used)]

use super::*;

fn entry(key: &str, value: &str, line: usize) -> FlatEntry {
    FlatEntry {
        key: key.to_owned(),
        value: Text::from(value),
        line,
    }
}

#[test]
fn unflattens_nested_lists_and_maps() {
    let map = unflatten(vec![
        entry("age__list_0__map_enc", "E0", 1),
        entry("age__list_0__map_recipient", "R0", 2),
        entry("age__list_1__map_recipient", "R1", 3),
        entry("lastmodified", "T", 4),
        entry("key_groups__list_0__map_age__list_0__map_enc", "G", 5),
    ])
    .unwrap();
    let age = match map.get("age").unwrap() {
        Value::Seq(items) => items,
        other => panic!("not a list: {other:?}"),
    };
    assert_eq!(age.len(), 2);
    let SeqItem::Value(Value::Map(first)) = &age[0] else {
        panic!("not a map")
    };
    assert_eq!(first.get("enc").unwrap().as_str(), Some("E0"));
    assert_eq!(first.get("recipient").unwrap().as_str(), Some("R0"));
    assert_eq!(map.get("lastmodified").unwrap().as_str(), Some("T"));
    let flat = flatten(&map).unwrap();
    let keys: Vec<&str> = flat.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "age__list_0__map_enc",
            "age__list_0__map_recipient",
            "age__list_1__map_recipient",
            "key_groups__list_0__map_age__list_0__map_enc",
            "lastmodified"
        ]
    );
}

#[test]
fn list_indices_sort_numerically_on_read_and_bytewise_on_write() {
    let entries: Vec<FlatEntry> = (0..12)
        .map(|i| entry(&format!("l__list_{i}"), &i.to_string(), i + 1))
        .collect();
    let map = unflatten(entries).unwrap();
    let Value::Seq(items) = map.get("l").unwrap() else {
        panic!("not a list")
    };
    let texts: Vec<&str> = items
        .iter()
        .map(|i| match i {
            SeqItem::Value(v) => v.as_str().unwrap(),
            SeqItem::Comment(_) => panic!("comment"),
        })
        .collect();
    assert_eq!(
        texts,
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"]
    );
    let flat = flatten(&map).unwrap();
    assert_eq!(flat[1].0, "l__list_1");
    assert_eq!(flat[2].0, "l__list_10");
}

#[test]
fn flatten_skips_nulls_and_writes_typed_scalars() {
    let mut group = Map::new();
    group.push("hc_vault", Value::Null);
    group.push("age", Value::Seq(vec![]));
    let mut md = Map::new();
    md.push(
        "key_groups",
        Value::Seq(vec![SeqItem::Value(Value::Map(group))]),
    );
    md.push("shamir_threshold", Value::Scalar(Scalar::Int(2)));
    md.push("mac_only_encrypted", Value::Scalar(Scalar::Bool(true)));
    md.push("enc", Value::str("a\nb\n"));
    let flat = flatten(&md).unwrap();
    assert_eq!(
        flat,
        [
            ("enc".to_owned(), "a\\nb\\n".to_owned()),
            ("mac_only_encrypted".to_owned(), "true".to_owned()),
            ("shamir_threshold".to_owned(), "2".to_owned()),
        ]
    );
}

#[test]
fn conflicts_and_bad_indices_are_errors_with_lines() {
    let err = unflatten(vec![entry("a", "x", 1), entry("a__map_b", "y", 2)])
        .err()
        .unwrap();
    assert_eq!(err.line, Some(2));
    let err = unflatten(vec![entry("a__map_b", "y", 1), entry("a", "x", 3)])
        .err()
        .unwrap();
    assert_eq!(err.line, Some(3));
    let err = unflatten(vec![entry("a__list_x", "y", 4)]).err().unwrap();
    assert_eq!(err.line, Some(4));
    let err = unflatten(vec![entry("a__list_99", "y", 5)]).err().unwrap();
    assert_eq!(err.line, Some(5));
    let err = unflatten(vec![entry("a__list_0", "y", 1), entry("a__map_k", "y", 6)])
        .err()
        .unwrap();
    assert_eq!(err.line, Some(6));
}

#[test]
fn later_duplicates_win_and_gaps_become_null() {
    let map = unflatten(vec![
        entry("a", "1", 1),
        entry("a", "2", 2),
        entry("l__list_1", "x", 3),
    ])
    .unwrap();
    assert_eq!(map.get("a").unwrap().as_str(), Some("2"));
    assert_eq!(
        map.get("l").unwrap(),
        &Value::Seq(vec![
            SeqItem::Value(Value::Null),
            SeqItem::Value(Value::str("x"))
        ])
    );
}

#[test]
fn go_value_text_matches_val_to_string() {
    let text = |v: Value| go_value_text(&v).map(|t| t.to_owned());
    assert_eq!(text(Value::Scalar(Scalar::Float(3.0))).unwrap(), "3.0");
    assert_eq!(text(Value::Scalar(Scalar::Float(2.5))).unwrap(), "2.5");
    assert_eq!(text(Value::Scalar(Scalar::Float(1e21))).unwrap(), "1E+21");
    assert_eq!(text(Value::Scalar(Scalar::Float(1e-7))).unwrap(), "1E-07");
    assert_eq!(
        text(Value::Scalar(Scalar::Float(f64::INFINITY))).unwrap(),
        "+Inf"
    );
    assert_eq!(text(Value::Scalar(Scalar::Int(-4))).unwrap(), "-4");
    assert_eq!(text(Value::Scalar(Scalar::Bool(false))).unwrap(), "false");
    assert_eq!(text(Value::Null).unwrap(), "<nil>");
    assert_eq!(
        text(Value::Scalar(Scalar::Time(Text::from(
            "2024-01-02T03:04:05.5+01:00"
        ))))
        .unwrap(),
        "2024-01-02T03:04:05+01:00"
    );
    assert_eq!(
        text(Value::Scalar(Scalar::Time(Text::from(
            "2024-01-02T03:04:05Z"
        ))))
        .unwrap(),
        "2024-01-02T03:04:05Z"
    );
    assert_eq!(text(Value::Map(Map::new())).err(), Some(NotText::Complex));
}

#[test]
fn newline_unescape_is_left_to_right() {
    assert_eq!(unescape_newlines("a\\nb\\\\nc").as_str(), "a\nb\\\nc");
    let mut out = OutBuf::with_capacity(0);
    out.push_escaping_newlines("a\nb\\\nc");
    assert_eq!(out.into_vec(), b"a\\nb\\\\nc");
}
