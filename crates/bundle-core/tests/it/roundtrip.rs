//! Round trips of random trees through the whole engine (encrypt → emit → parse →
//! decrypt), and snapshots of the shape of what we write, randomness filtered.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use bundle_core::keys::Identities;
use bundle_core::scope::ScopeRule;
use bundle_core::sops::{Decrypted, EncryptSettings, SopsFile, encrypt_plaintext};
use bundle_core::store::EmitOptions;
use bundle_core::{Comment, Format, Map, MapItem, Scalar, SeqItem, Text, Value};
use proptest::prelude::*;

const ALICE: &str = "age1ps335dvugrdjvdk7p6kzlhkzeze77p07w9exxz9em8mpkheehuwqs76e5w";
const NOW: i64 = 1_796_000_000;

fn alice() -> Identities {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sops-3.11.0/keys/alice.agekey");
    Identities::from_text("alice", &fs_err::read_to_string(path).unwrap()).unwrap()
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(|b| Value::Scalar(Scalar::Bool(b))),
        any::<i64>().prop_map(|i| Value::Scalar(Scalar::Int(i))),
        // Floats that YAML prints like integers (`5`, `-0`) come back as ints when stored in
        // the clear, in sops too (and `-0.0` then fails the MAC in both); see
        // `clear_negative_zero_float_fails_like_sops`.
        any::<f64>()
            .prop_filter("finite, not integral", |f| f.is_finite()
                && f.fract() != 0.0)
            .prop_map(|f| Value::Scalar(Scalar::Float(f))),
        "\\PC{0,24}".prop_map(|s| Value::Scalar(Scalar::Str(Text::new(s)))),
        "[a-z \n:#'\"-]{0,16}".prop_map(|s| Value::Scalar(Scalar::Str(Text::new(s)))),
    ]
}

/// Non-empty: an empty `#` inside a sequence is ambiguous in YAML (sops itself turns it into
/// an extra `""` element).
fn comment() -> impl Strategy<Value = Comment> {
    "[ a-zA-Z0-9:#-]{1,20}".prop_map(Comment::new)
}

fn key() -> impl Strategy<Value = String> {
    "[a-zA-Z_][a-zA-Z0-9_ -]{0,10}"
        .prop_map(|k| k.trim_end().to_owned())
        .prop_filter("non-empty", |k| !k.is_empty())
}

fn value() -> BoxedStrategy<Value> {
    scalar().prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(
                prop_oneof![4 => inner.clone().prop_map(SeqItem::Value), 1 => comment().prop_map(SeqItem::Comment)],
                0..5
            )
            .prop_filter("YAML cannot hold a sequence of comments only", |items| {
                items.is_empty() || items.iter().any(|i| matches!(i, SeqItem::Value(_)))
            })
            // `- # c` then `  key: v` (or `  - v`): YAML attaches that comment to the outer
            // item, so a collection element that starts with a comment comes back with the
            // comment before it.
            // As in mappings: a comment after the last element, when that element is a
            // non-empty block, is read back inside that block (go-yaml writes it so too).
            .prop_filter("a trailing comment after a nested block in a sequence", |items| {
                let last = items.iter().rposition(|i| matches!(i, SeqItem::Value(_)));
                let trailing = last.is_some_and(|p| p + 1 < items.len());
                !(trailing
                    && last.is_some_and(|p| match &items[p] {
                        SeqItem::Value(Value::Map(m)) => !m.is_empty(),
                        SeqItem::Value(Value::Seq(s)) => !s.is_empty(),
                        _ => false,
                    }))
            })
            .prop_filter("a collection element starting with a comment", |items| {
                !items.iter().any(|i| match i {
                    SeqItem::Value(Value::Map(m)) => matches!(m.items.first(), Some(MapItem::Comment(_))),
                    SeqItem::Value(Value::Seq(s)) => matches!(s.first(), Some(SeqItem::Comment(_))),
                    _ => false,
                })
            })
            .prop_map(Value::Seq),
            map_of(inner.boxed())
                .prop_filter("YAML cannot hold a mapping of comments only", |m| m.is_empty() || m.entries().next().is_some())
                .prop_map(Value::Map),
        ]
    })
    .boxed()
}

fn map_of(values: BoxedStrategy<Value>) -> impl Strategy<Value = Map> {
    prop::collection::vec(
        prop_oneof![5 => (key(), values).prop_map(|(k, v)| MapItem::Entry(k, v)), 1 => comment().prop_map(MapItem::Comment)],
        0..6,
    )
    .prop_map(|items| {
        // Keys are unique within a mapping (YAML and sops require it).
        let mut seen = std::collections::HashSet::new();
        items.into_iter().filter(|i| matches!(i, MapItem::Comment(_)) || seen.insert(bundle_core_key(i))).collect::<Vec<_>>()
    })
    // A comment after the last entry, when that entry holds a non-empty block, is read back
    // as part of that block (by go-yaml too); see `trailing_comment_after_block_is_kept`.
    // Filtered after the duplicates are gone: dropping a later duplicate can make the block
    // the last entry.
    .prop_filter("a trailing comment after a nested block", |items| {
        let last_entry = items.iter().rposition(|i| matches!(i, MapItem::Entry(..)));
        let trailing_comment = last_entry.is_some_and(|p| p + 1 < items.len());
        let block = |v: &Value| match v {
            Value::Map(m) => !m.is_empty(),
            Value::Seq(s) => !s.is_empty(),
            _ => false,
        };
        !(trailing_comment && last_entry.is_some_and(|p| matches!(&items[p], MapItem::Entry(_, v) if block(v))))
    })
    .prop_map(|items| Map { items })
}

fn bundle_core_key(item: &MapItem) -> String {
    match item {
        MapItem::Entry(k, _) => k.clone(),
        MapItem::Comment(_) => String::new(),
    }
}

fn through_yaml(branches: Vec<Map>, scope: Option<ScopeRule>) -> Vec<Map> {
    let path = Path::new("prop.yaml");
    let settings = EncryptSettings {
        key_groups: vec![vec![ALICE.to_owned()]],
        scope,
        ..Default::default()
    };
    let encrypted = Decrypted::new(path, Format::Yaml, branches, &settings)
        .unwrap()
        .encrypt(NOW)
        .unwrap();
    let bytes = encrypted.to_bytes(EmitOptions::default()).unwrap();
    let parsed = SopsFile::parse(path, Format::Yaml, &bytes).unwrap();
    parsed.decrypt(&alice()).unwrap().branches().to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_yaml_trees_survive_encrypt_and_decrypt(branch in map_of(value())) {
        prop_assert_eq!(through_yaml(vec![branch.clone()], None), vec![branch]);
    }

    #[test]
    fn random_trees_survive_with_a_regex_scope(branch in map_of(value())) {
        // go-yaml (and so sops) writes a multi-line string that starts with white space as
        // a `|4-` block that it cannot read back inside a sequence; we reproduce its output.
        prop_assume!(!has_leading_space_block(&Value::Map(branch.clone())));
        let scope = ScopeRule::from_field("unencrypted_regex", "^[a-m]").unwrap();
        prop_assert_eq!(through_yaml(vec![branch.clone()], Some(scope)), vec![branch]);
    }

    #[test]
    fn multi_document_trees_survive(a in map_of(value()), b in map_of(value())) {
        prop_assert_eq!(through_yaml(vec![a.clone(), b.clone()], None), vec![a, b]);
    }
}

fn has_leading_space_block(v: &Value) -> bool {
    match v {
        Value::Scalar(Scalar::Str(t)) => {
            t.as_str().contains('\n') && t.as_str().starts_with([' ', '\n'])
        }
        Value::Map(m) => m.entries().any(|(_, v)| has_leading_space_block(v)),
        Value::Seq(items) => items
            .iter()
            .any(|i| matches!(i, SeqItem::Value(v) if has_leading_space_block(v))),
        _ => false,
    }
}

/// Replaces everything random in an encrypted file with placeholders.
fn filtered(bytes: &[u8]) -> String {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let enc = regex::Regex::new(r"ENC\[AES256_GCM,data:[^,]*,iv:[^,]*,tag:[^,]*,type:([a-z]+)\]")
        .unwrap();
    let armor = regex::Regex::new(
        r"-----BEGIN AGE ENCRYPTED FILE-----(\\n|\n)[\s\S]*?-----END AGE ENCRYPTED FILE-----",
    )
    .unwrap();
    let text = enc.replace_all(&text, "ENC[@@CIPHERTEXT@@,type:$1]");
    let text = regex::Regex::new(r"(?m)^\s+[A-Za-z0-9+/=]{1,64}\n")
        .unwrap()
        .replace_all(&text, "");
    armor.replace_all(&text, "@@AGE-ARMOR@@").into_owned()
}

const SAMPLE_YAML: &str = "\
# bundle header comment
MCP_SECRETS_VERSION: 4
MCP_ROTATION_REASON: scheduled rotation
github:
    token: ghp_example # the token
    scopes:
        - repo
        # comment in a list
        - read:org
empty: \"\"
nothing: null
ratio: 0.5
enabled: true
";

#[test]
fn encrypted_yaml_shape() {
    let settings = EncryptSettings {
        key_groups: vec![vec![ALICE.to_owned()]],
        scope: Some(ScopeRule::from_field("unencrypted_regex", "^MCP_").unwrap()),
        ..Default::default()
    };
    let file = encrypt_plaintext(
        Path::new("b.yaml"),
        Format::Yaml,
        SAMPLE_YAML.as_bytes(),
        &settings,
        NOW,
    )
    .unwrap();
    insta::assert_snapshot!(filtered(&file.to_bytes(EmitOptions::default()).unwrap()));
}

#[test]
fn encrypted_json_shape() {
    let json = r#"{"mcpServers": {"github": {"env": {"TOKEN": "x", "RETRIES": 3}}}, "list": [true, null, ""], "note_unencrypted": "v"}"#;
    let settings = EncryptSettings::for_recipients(vec![ALICE.to_owned()]);
    let file = encrypt_plaintext(
        Path::new("b.json"),
        Format::Json,
        json.as_bytes(),
        &settings,
        NOW,
    )
    .unwrap();
    insta::assert_snapshot!(filtered(&file.to_bytes(EmitOptions::default()).unwrap()));
}

#[test]
fn encrypted_dotenv_shape() {
    let env = "# comment\nMCP_SECRETS_VERSION=3\nTOKEN=abc\nEMPTY=\n";
    let settings = EncryptSettings {
        key_groups: vec![vec![ALICE.to_owned()]],
        scope: Some(ScopeRule::from_field("unencrypted_regex", "^MCP_SECRETS_VERSION$").unwrap()),
        ..Default::default()
    };
    let file = encrypt_plaintext(
        Path::new("b.env"),
        Format::Dotenv,
        env.as_bytes(),
        &settings,
        NOW,
    )
    .unwrap();
    insta::assert_snapshot!(filtered(&file.to_bytes(EmitOptions::default()).unwrap()));
}

#[test]
fn set_keeps_unchanged_ciphertext_and_rotate_changes_all() {
    let settings = EncryptSettings::for_recipients(vec![ALICE.to_owned()]);
    let path = Path::new("b.yaml");
    let file =
        encrypt_plaintext(path, Format::Yaml, SAMPLE_YAML.as_bytes(), &settings, NOW).unwrap();
    let before = String::from_utf8(file.to_bytes(EmitOptions::default()).unwrap()).unwrap();
    let mut d = SopsFile::parse(path, Format::Yaml, before.as_bytes())
        .unwrap()
        .decrypt(&alice())
        .unwrap();
    d.set(
        &bundle_core::treepath::TreePath::parse(r#"["ratio"]"#).unwrap(),
        Value::Scalar(Scalar::Float(0.75)),
    )
    .unwrap();
    let after = String::from_utf8(
        d.encrypt(NOW + 60)
            .unwrap()
            .to_bytes(EmitOptions::default())
            .unwrap(),
    )
    .unwrap();
    let enc_lines = |t: &str| {
        t.lines()
            .filter(|l| l.contains("ENC[") && !l.contains("mac:"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let (b, a) = (enc_lines(&before), enc_lines(&after));
    assert_eq!(b.len(), a.len());
    let changed: Vec<_> = b
        .iter()
        .zip(&a)
        .filter(|(x, y)| x != y)
        .map(|(_, y)| y.clone())
        .collect();
    assert_eq!(
        changed.len(),
        1,
        "only the edited value changes: {changed:?}"
    );
    assert!(changed[0].starts_with("ratio: ENC["), "{changed:?}");

    d.rotate_data_key().unwrap();
    let rotated = String::from_utf8(
        d.encrypt(NOW + 120)
            .unwrap()
            .to_bytes(EmitOptions::default())
            .unwrap(),
    )
    .unwrap();
    for line in enc_lines(&rotated) {
        assert!(
            !after.contains(&line),
            "unchanged ciphertext after rotation: {line}"
        );
    }
}

#[test]
fn comment_scope_rules_follow_sops() {
    // encrypted_comment_regex: the marker comment stays readable, the value after it is encrypted.
    let plain = "# sops:enc\nsecret: a\nopen: b\n";
    let settings = EncryptSettings {
        key_groups: vec![vec![ALICE.to_owned()]],
        scope: Some(ScopeRule::from_field("encrypted_comment_regex", "sops:enc").unwrap()),
        ..Default::default()
    };
    let file = encrypt_plaintext(
        Path::new("c.yaml"),
        Format::Yaml,
        plain.as_bytes(),
        &settings,
        NOW,
    )
    .unwrap();
    let text = String::from_utf8(file.to_bytes(EmitOptions::default()).unwrap()).unwrap();
    assert!(text.starts_with("# sops:enc\nsecret: ENC["), "{text}");
    assert!(text.contains("\nopen: b\n"), "{text}");
    let back = file
        .decrypt(&alice())
        .unwrap()
        .to_plaintext(Format::Yaml, EmitOptions::default())
        .unwrap();
    assert_eq!(std::str::from_utf8(&back).unwrap(), plain);
}

/// sops 3.11 and we agree even on this quirk: a float `-0.0` kept in the clear is written
/// as `-0`, read back as the integer `0`, and the MAC (over `-0` when written) then fails.
/// Asserting today's behaviour pins that we stay byte-compatible; FIXME if sops changes.
#[test]
fn clear_negative_zero_float_fails_like_sops() {
    let mut m = Map::new();
    m.push("plain_unencrypted", Value::Scalar(Scalar::Float(-0.0)));
    let path = Path::new("z.yaml");
    let settings = EncryptSettings::for_recipients(vec![ALICE.to_owned()]);
    let encrypted = Decrypted::new(path, Format::Yaml, vec![m], &settings)
        .unwrap()
        .encrypt(NOW)
        .unwrap();
    let bytes = encrypted.to_bytes(EmitOptions::default()).unwrap();
    assert!(String::from_utf8_lossy(&bytes).contains("plain_unencrypted: -0\n"));
    let err = SopsFile::parse(path, Format::Yaml, &bytes)
        .unwrap()
        .decrypt(&alice())
        .unwrap_err();
    assert!(
        matches!(err, bundle_core::Error::MacMismatch { .. }),
        "{err:?}"
    );
}

/// `_: {_: [null], # c}`: YAML (go-yaml as well as ours) attaches the trailing comment to
/// the inner sequence, so its AAD no longer matches. sops 3.11 then warns and keeps the
/// comment encrypted; so do we, and the values and the MAC are unaffected.
#[test]
fn trailing_comment_after_block_is_kept() {
    let mut inner = Map::new();
    inner.push("_", Value::Seq(vec![SeqItem::Value(Value::Null)]));
    inner.items.push(MapItem::Comment(Comment::new(" c")));
    let mut root = Map::new();
    root.push("_", Value::Map(inner));
    let path = Path::new("t.yaml");
    let settings = EncryptSettings::for_recipients(vec![ALICE.to_owned()]);
    let encrypted = Decrypted::new(path, Format::Yaml, vec![root], &settings)
        .unwrap()
        .encrypt(NOW)
        .unwrap();
    let bytes = encrypted.to_bytes(EmitOptions::default()).unwrap();
    let d = SopsFile::parse(path, Format::Yaml, &bytes)
        .unwrap()
        .decrypt(&alice())
        .unwrap();
    assert_eq!(d.warnings().len(), 1, "{:?}", d.warnings());
    assert!(d.warnings()[0].contains("`_:_:`"), "{:?}", d.warnings());
    let plain = String::from_utf8(
        d.to_plaintext(Format::Yaml, EmitOptions::default())
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert!(plain.contains("#ENC[AES256_GCM,"), "{plain}");
}
