//! Emission details: quoting, plain scalars, keys, nesting, comments, documents, anchors.
#![allow(clippy::unwrap_used)]

use super::*;

fn emit_value(v: Value) -> String {
    String::from_utf8(emit_default(&doc(vec![entry("k", v)]))).unwrap()
}

#[test]
fn strings_are_quoted_only_when_needed() {
    let table = [
        ("plain text", "k: plain text\n"),
        ("123", "k: \"123\"\n"),
        ("1.5", "k: \"1.5\"\n"),
        ("true", "k: \"true\"\n"),
        ("null", "k: \"null\"\n"),
        ("~", "k: \"~\"\n"),
        ("", "k: \"\"\n"),
        ("yes", "k: \"yes\"\n"),
        ("n", "k: \"n\"\n"),
        ("0777", "k: \"0777\"\n"),
        ("2024-05-01", "k: \"2024-05-01\"\n"),
        ("2024-05-01 12:30:00Z", "k: 2024-05-01 12:30:00Z\n"),
        ("1:30", "k: \"1:30\"\n"),
        ("key: colon", "k: 'key: colon'\n"),
        ("it's: x", "k: 'it''s: x'\n"),
        ("it's", "k: it's\n"),
        ("# hash", "k: '# hash'\n"),
        ("a#b", "k: a#b\n"),
        ("- item", "k: '- item'\n"),
        ("-word", "k: -word\n"),
        (" lead", "k: ' lead'\n"),
        ("trail ", "k: 'trail '\n"),
        ("a\tb", "k: \"a\\tb\"\n"),
        ("🔐", "k: \"\\U0001F510\"\n"),
        ("é", "k: é\n"),
        ("a\u{85}b", "k: \"a\\Nb\"\n"),
        ("a\u{7f}", "k: \"a\\x7F\"\n"),
        ("\u{feff}ab", "k: \"\\uFEFF\\x61\\x62\"\n"),
        ("\\", "k: \\\n"),
        ("\"", "k: '\"'\n"),
        ("<<", "k: !!merge <<\n"),
        (
            "ENC[AES256_GCM,data:x=,iv:y=,tag:z=,type:str]",
            "k: ENC[AES256_GCM,data:x=,iv:y=,tag:z=,type:str]\n",
        ),
        ("a\nb\n", "k: |\n    a\n    b\n"),
        ("a\nb", "k: |-\n    a\n    b\n"),
        ("a\n\n", "k: |+\n    a\n\n"),
        ("  a\nb", "k: |4-\n      a\n    b\n"),
        ("a \nb", "k: \"a \\nb\"\n"),
        ("a\r\nb", "k: \"a\\r\\nb\"\n"),
        // sops would write `null` here (go-yaml cannot read back its literal block).
        ("\tx\ny", "k: \"\\tx\\ny\"\n"),
        ("a\n\tb", "k: |-\n    a\n    \tb\n"),
    ];
    for (s, want) in table {
        assert_eq!(emit_value(str_value(s)), want, "{s:?}");
    }
}

#[test]
fn other_scalars_are_written_plain() {
    let table = [
        (Value::Null, "k: null\n"),
        (Value::Scalar(Scalar::Bool(true)), "k: true\n"),
        (Value::Scalar(Scalar::Int(-42)), "k: -42\n"),
        (Value::Scalar(Scalar::Float(2.0)), "k: 2\n"),
        (Value::Scalar(Scalar::Float(0.75)), "k: 0.75\n"),
        (Value::Scalar(Scalar::Float(1e20)), "k: 1e+20\n"),
        (Value::Scalar(Scalar::Float(f64::INFINITY)), "k: .inf\n"),
        (
            Value::Scalar(Scalar::Float(f64::NEG_INFINITY)),
            "k: -.inf\n",
        ),
        (Value::Scalar(Scalar::Float(f64::NAN)), "k: .nan\n"),
        (
            Value::Scalar(Scalar::Time(Text::from("2024-05-01T12:30:00Z"))),
            "k: 2024-05-01T12:30:00Z\n",
        ),
        (Value::Map(Map::new()), "k: {}\n"),
        (Value::Seq(Vec::new()), "k: []\n"),
    ];
    for (value, want) in table {
        assert_eq!(emit_value(value), want);
    }
}

#[test]
fn keys_are_quoted_like_values_and_long_or_multiline_keys_are_explicit() {
    let file = doc(vec![
        entry("123", str_value("v")),
        entry("key: colon", str_value("v")),
        entry("", str_value("v")),
        entry(
            "<<",
            Value::Map(Map {
                items: vec![entry("x", str_value("y"))],
            }),
        ),
        entry("a\nb", str_value("v")),
        entry(&"k".repeat(129), str_value("v")),
    ]);
    let want = format!(
        "\"123\": v\n'key: colon': v\n\"\": v\n!!merge <<:\n    x: \"y\"\n? |-\n    a\n    b\n: v\n? {}\n: v\n",
        "k".repeat(129)
    );
    let got = String::from_utf8(emit_default(&file)).unwrap();
    assert_eq!(got, want);
    assert_eq!(parse(got.as_bytes()).unwrap(), file);
}

#[test]
fn nested_sequences_and_maps_are_laid_out_like_go_yaml() {
    let text = "a:\n    - x\n    - k: v\n      l:\n        - 1\n    - - p\n      - q\n    - []\nb:\n    c:\n        d: {}\n";
    assert_eq!(round_trip(text.as_bytes()), text.as_bytes());
    let two = String::from_utf8(
        emit(
            &parse(text.as_bytes()).unwrap(),
            EmitOptions { indent: Some(2) },
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        two,
        "a:\n  - x\n  - k: v\n    l:\n      - 1\n  - - p\n    - q\n  - []\nb:\n  c:\n    d: {}\n"
    );
    // Out-of-range indentations fall back as go-yaml does.
    let file = parse(b"a:\n  b: 1\n").unwrap();
    for (indent, want) in [
        (Some(0), "a:\n    b: 1\n"),
        (Some(1), "a:\n  b: 1\n"),
        (Some(10), "a:\n  b: 1\n"),
        (Some(9), "a:\n         b: 1\n"),
    ] {
        assert_eq!(
            String::from_utf8(emit(&file, EmitOptions { indent }).unwrap()).unwrap(),
            want,
            "{indent:?}"
        );
    }
}

#[test]
fn comments_in_maps_and_sequences() {
    let file = doc(vec![
        MapItem::Comment(comment(" head")),
        entry(
            "list",
            Value::Seq(vec![
                SeqItem::Comment(comment(" first")),
                SeqItem::Value(str_value("a")),
                SeqItem::Comment(comment(" between")),
                SeqItem::Value(Value::Map(Map {
                    items: vec![entry("k", str_value("v"))],
                })),
                SeqItem::Value(str_value("z")),
                SeqItem::Comment(comment(" last")),
            ]),
        ),
        MapItem::Comment(comment("no space")),
        entry(
            "b",
            Value::Map(Map {
                items: vec![
                    entry("c", str_value("d")),
                    MapItem::Comment(comment(" foot")),
                ],
            }),
        ),
        MapItem::Comment(comment(" tail")),
    ]);
    let want = "# head\nlist:\n    # first\n    - a\n    # between\n    - k: v\n    - z\n    # last\n#no space\nb:\n    c: d\n    # foot\n# tail\n";
    let got = String::from_utf8(emit_default(&file)).unwrap();
    assert_eq!(got, want);
    assert_eq!(parse(got.as_bytes()).unwrap(), file);
    // After a collection that ends a sequence, go-yaml holds a foot comment back until
    // the next value is written (and sops does the same).
    let lingering = doc(vec![
        entry(
            "l",
            Value::Seq(vec![
                SeqItem::Value(Value::Map(Map::new())),
                SeqItem::Comment(comment(" c")),
            ]),
        ),
        entry(
            "m",
            Value::Seq(vec![
                SeqItem::Value(Value::Map(Map {
                    items: vec![entry("k", str_value("v"))],
                })),
                SeqItem::Comment(comment(" d")),
            ]),
        ),
        entry("o", str_value("x")),
    ]);
    assert_eq!(
        String::from_utf8(emit_default(&lingering)).unwrap(),
        "l:\n    - {}\n    # c\nm:\n    - k: v\no: x\n# d\n"
    );
    // A trailing comment goes before its item, as sops puts it.
    let trailing = parse(b"a: 1 # one\nl:\n  - x # two\n").unwrap();
    assert_eq!(
        String::from_utf8(emit_default(&trailing)).unwrap(),
        "# one\na: 1\nl:\n    # two\n    - x\n"
    );
    // A foot waiting for the first node of a root flow mapping (go-yaml loses it) is kept,
    // first in that document.
    let root_flow = parse(b"a: 1\n...\n---\n# c4\n\n{k: 1}\n").unwrap();
    assert_eq!(
        String::from_utf8(emit_default(&root_flow)).unwrap(),
        "a: 1\n---\n# c4\nk: 1\n"
    );
}

#[test]
fn documents_each_get_the_metadata_and_lose_it_on_parse() {
    let meta = Map {
        items: vec![
            entry("lastmodified", str_value("2026-11-29T05:05:46Z")),
            entry("enc", str_value("line1\nline2\n")),
            entry("version", str_value("3.11.0")),
        ],
    };
    let file = RawFile {
        branches: vec![
            Map {
                items: vec![
                    entry("a", Value::Scalar(Scalar::Int(1))),
                    MapItem::Comment(comment(" end")),
                ],
            },
            Map::new(),
            Map {
                items: vec![entry("b", str_value("x"))],
            },
        ],
        metadata: Some(meta),
    };
    let sops = "sops:\n    lastmodified: \"2026-11-29T05:05:46Z\"\n    enc: |\n        line1\n        line2\n    version: 3.11.0\n";
    let want = format!("a: 1\n# end\n{sops}---\n{sops}---\nb: x\n{sops}");
    let got = emit_default(&file);
    assert_bytes("multi-doc", &got, want.as_bytes());
    assert_eq!(parse(&got).unwrap(), file);
    // Without metadata an empty document is `{}`; a `---` alone is an empty document.
    let plain = RawFile {
        metadata: None,
        ..file
    };
    assert_bytes(
        "plain multi-doc",
        &emit_default(&plain),
        b"a: 1\n# end\n---\n{}\n---\nb: x\n",
    );
    assert_eq!(parse(b"---\n").unwrap().branches, vec![Map::new()]);
    assert_eq!(
        parse(b"a: 1\n---\n---\nb: 2\n...\n")
            .unwrap()
            .branches
            .len(),
        3
    );
}

#[test]
fn anchors_are_expanded_and_merge_keys_kept() {
    let file = parse(b"base: &b\n  x: 1\nlist: &l [1, 2]\ndev:\n  <<: *b\n  y: 2\ncopy: *l\nmany:\n  <<: [*b, {z: 3}]\n").unwrap();
    let x = Map {
        items: vec![entry("x", Value::Scalar(Scalar::Int(1)))],
    };
    let dev = file.branches[0].get("dev").unwrap().as_map().unwrap();
    assert_eq!(dev.get("<<"), Some(&Value::Map(x.clone())));
    assert_eq!(file.branches[0].get("copy"), file.branches[0].get("list"));
    let Some(Value::Seq(merged)) = file.branches[0]
        .get("many")
        .unwrap()
        .as_map()
        .unwrap()
        .get("<<")
    else {
        panic!("merge list")
    };
    assert_eq!(merged[0], SeqItem::Value(Value::Map(x)));
    assert_bytes(
        "anchors",
        &emit_default(&file),
        b"base:\n    x: 1\nlist:\n    - 1\n    - 2\ndev:\n    !!merge <<:\n        x: 1\n    \"y\": 2\ncopy:\n    - 1\n    - 2\nmany:\n    !!merge <<:\n        - x: 1\n        - z: 3\n",
    );
}

/// A tree of 100,000 leaves goes through emit and parse (both must stay linear).
#[test]
fn large_tree_round_trips() {
    let mut root = Map::new();
    for i in 0..1_000 {
        let mut inner = Map::new();
        for j in 0..90u32 {
            let value = match j % 5 {
                0 => Value::Scalar(Scalar::Int(i * 1000 + i64::from(j))),
                1 => str_value(&format!(
                    "ENC[AES256_GCM,data:{i}{j}=,iv:x=,tag:y=,type:str]"
                )),
                2 => Value::Scalar(Scalar::Bool(j % 2 == 0)),
                3 => Value::Scalar(Scalar::Float(0.5 + f64::from(j))),
                _ => str_value("multi\nline"),
            };
            inner.push(format!("key{j}"), value);
        }
        let list = (0..10)
            .map(|k| SeqItem::Value(str_value(&format!("item {k}"))))
            .collect();
        inner.push("list", Value::Seq(list));
        root.push(format!("section{i}"), Value::Map(inner));
    }
    let file = RawFile {
        branches: vec![root],
        metadata: None,
    };
    let text = emit_default(&file);
    let back = parse(&text).unwrap();
    assert_eq!(back, file);
    assert_eq!(back.branches[0].items.len(), 1_000);
}
