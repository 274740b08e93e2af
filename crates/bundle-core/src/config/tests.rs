//! Tests of `.sops.yaml` loading, rule matching and the recipient editor, against the
//! fixtures in `tests/fixtures/config` and inline files.
#![allow(clippy::unwrap_used)]

use super::model::SCOPE_CONFLICT;
use super::*;
use crate::error::{Error, Result};
use crate::scope::ScopeRule;

const A: &str = "age1ps335dvugrdjvdk7p6kzlhkzeze77p07w9exxz9em8mpkheehuwqs76e5w";
const B: &str = "age1lwfgmzxy5f6kr8gqtga0q82rpfvzzvjp43ee0lwyyv6ec8k8gfcszdlxuy";
const C: &str = "age1fdzwh9jp9j5jekcpss6s947zuwu4umnka8n5yjtqxa9pwlrjvqtsk35xms";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

fn parse(text: &str) -> Result<SopsConfig> {
    SopsConfig::parse(Path::new("/repo/.sops.yaml"), text)
}

fn config_message(result: Result<SopsConfig>) -> String {
    match result {
        Err(Error::Config { message, .. }) => message,
        other => panic!("expected Error::Config, got {other:?}"),
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn loads_the_repository_fixture() {
    let config = SopsConfig::load(&fixture("repo.sops.yaml")).unwrap();
    assert_eq!(config.creation_rules.len(), 4);
    assert_eq!(config.yaml_indent, Some(2));
    assert_eq!(config.json_indent, None);

    let bundle = &config.creation_rules[0];
    assert_eq!(
        bundle.path_regex.as_ref().unwrap().as_str(),
        r"config/secrets\.enc\.yaml$"
    );
    assert_eq!(
        bundle.key_groups,
        vec![KeyGroup {
            age: strings(&[A, B])
        }]
    );
    assert_eq!(
        bundle.scope.as_ref().unwrap().field_name(),
        "unencrypted_regex"
    );
    assert_eq!(bundle.scope.as_ref().unwrap().pattern(), "^MCP_");
    assert!(bundle.mac_only_encrypted);
    assert_eq!(bundle.shamir_threshold, None);

    let groups = &config.creation_rules[1];
    assert_eq!(
        groups.key_groups,
        vec![
            KeyGroup {
                age: strings(&[A, B])
            },
            KeyGroup {
                age: strings(&[C, A])
            }
        ]
    );
    assert_eq!(groups.shamir_threshold, Some(2));
    assert_eq!(groups.scope, None);

    assert_eq!(config.creation_rules[2].unsupported_keys, ["pgp"]);
    let catch_all = &config.creation_rules[3];
    assert!(catch_all.path_regex.is_none());
    assert_eq!(catch_all.key_groups, vec![KeyGroup { age: strings(&[C]) }]);
}

#[test]
fn age_as_string_or_list() {
    let config = parse(&format!(
        "creation_rules:\n  - age: ' {A} ,, {B},'\n  - age: [{A}, \"{B}\"]\n  - age: >-\n      {A},\n      {B}\n  - path_regex: x\n"
    ))
    .unwrap();
    for rule in &config.creation_rules[..3] {
        assert_eq!(
            rule.key_groups,
            vec![KeyGroup {
                age: strings(&[A, B])
            }]
        );
    }
    assert_eq!(
        config.creation_rules[3].key_groups,
        vec![KeyGroup::default()]
    );
}

#[test]
fn key_groups_merge_and_deduplicate() {
    let config = parse(&format!(
        "creation_rules:\n- age: {C}\n  key_groups:\n  - age: [{A}, {A}]\n    merge:\n    - age: [{B}]\n    - age: [{A}]\n"
    ))
    .unwrap();
    // key_groups replace the rule's own age; merged groups come first.
    assert_eq!(
        config.creation_rules[0].key_groups,
        vec![KeyGroup {
            age: strings(&[B, A])
        }]
    );
}

#[test]
fn rule_level_duplicates_are_kept_as_sops_does() {
    let config = parse(&format!("creation_rules:\n- age: {A},{A}\n")).unwrap();
    assert_eq!(config.creation_rules[0].key_groups[0].age, strings(&[A, A]));
}

#[test]
fn more_than_one_scope_field_is_an_error() {
    let message = config_message(parse(
        "creation_rules:\n- age: x\n  encrypted_regex: a\n  unencrypted_suffix: _u\n",
    ));
    assert_eq!(message, format!("creation_rules[0]: {SCOPE_CONFLICT}"));
    // An empty one does not count, as in sops.
    let config =
        parse("creation_rules:\n- encrypted_regex: ''\n  unencrypted_suffix: _u\n").unwrap();
    assert_eq!(
        config.creation_rules[0].scope,
        Some(ScopeRule::UnencryptedSuffix("_u".into()))
    );
}

#[test]
fn malformed_configs_are_errors() {
    let message = config_message(parse("creation_rules:\n- path_regex: '('\n"));
    assert!(
        message.starts_with("creation_rules[0]: invalid path_regex `(`"),
        "{message}"
    );
    let message = config_message(parse("creation_rules:\n- encrypted_regex: '['\n"));
    assert!(
        message.starts_with("creation_rules[0]: invalid encrypted_regex `[`"),
        "{message}"
    );
    let message = config_message(parse("creation_rules:\n- shamir_threshold: -1\n"));
    assert_eq!(
        message,
        "creation_rules[0]: shamir_threshold must not be negative, got -1"
    );
    let message = config_message(parse("creation_rules: 3\n"));
    assert!(message.contains("creation_rules"), "{message}");
    let message = config_message(parse("creation_rules:\n- age: {a: b}\n"));
    assert!(!message.is_empty());
    let message = config_message(parse("creation_rules: [\n"));
    assert!(!message.is_empty());
}

#[test]
fn empty_files_have_no_rules() {
    for text in [
        "",
        "\n# nothing\n",
        "destination_rules: []\n",
        "creation_rules:\n",
    ] {
        let config = parse(text).unwrap();
        assert!(config.creation_rules.is_empty(), "{text:?}");
        let err = config.rule_for(Path::new("/repo/a.yaml")).unwrap_err();
        assert!(matches!(err, Error::NoCreationRule { .. }), "{err:?}");
    }
}

#[test]
fn first_matching_rule_wins_relative_to_the_config_dir() {
    let config = parse(&format!(
        "creation_rules:\n- path_regex: ^config/.*\\.enc\\.yaml$\n  age: {A}\n- path_regex: \\.yaml$\n  age: {B}\n- age: {C}\n"
    ))
    .unwrap();
    assert_eq!(
        config.match_path(Path::new("/repo/config/secrets.enc.yaml")),
        "config/secrets.enc.yaml"
    );
    assert_eq!(
        config.match_path(Path::new("/repo/config/../config/./x.yaml")),
        "config/x.yaml"
    );
    assert_eq!(
        config.match_path(Path::new("/elsewhere/config/x.enc.yaml")),
        "/elsewhere/config/x.enc.yaml"
    );

    let rule = config
        .rule_for(Path::new("/repo/config/secrets.enc.yaml"))
        .unwrap();
    assert_eq!(rule.key_groups[0].age, [A]);
    assert_eq!(
        config
            .rule_index_for(Path::new("/repo/other.yaml"))
            .unwrap(),
        1
    );
    // Unanchored: the anchored first rule does not match outside the config dir.
    assert_eq!(
        config
            .rule_index_for(Path::new("/elsewhere/config/x.enc.yaml"))
            .unwrap(),
        1
    );
    assert_eq!(
        config.rule_index_for(Path::new("/repo/data.json")).unwrap(),
        2
    );
    assert_eq!(
        config.matching_rules(Path::new("/repo/config/secrets.enc.yaml")),
        [0, 1, 2]
    );
    assert_eq!(config.matching_rules(Path::new("/repo/data.json")), [2]);
}

#[test]
fn no_matching_rule_names_the_relative_path() {
    let config = parse(&format!(
        "creation_rules:\n- path_regex: prod\n  age: {A}\n"
    ))
    .unwrap();
    let err = config.rule_for(Path::new("/repo/dev/s.yaml")).unwrap_err();
    let Error::NoCreationRule { file, config: path } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(file, "dev/s.yaml");
    assert_eq!(path, Path::new("/repo/.sops.yaml"));
    assert_eq!(err.exit_status(), crate::ExitStatus::Usage);
    assert!(
        config
            .matching_rules(Path::new("/repo/dev/s.yaml"))
            .is_empty()
    );
}

#[test]
fn a_relative_config_path_matches_relative_to_the_working_directory() {
    let config = SopsConfig::parse(
        Path::new(".sops.yaml"),
        &format!("creation_rules:\n- path_regex: ^sub/x$\n  age: {A}\n"),
    )
    .unwrap();
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(config.rule_index_for(&cwd.join("sub/x")).unwrap(), 0);
    assert_eq!(config.rule_index_for(Path::new("sub/x")).unwrap(), 0);
}

#[test]
fn unsupported_key_types_fail_only_when_chosen() {
    let config = parse(&format!(
        "creation_rules:\n- path_regex: pgp\n  pgp: ABCDEF\n- path_regex: kms\n  key_groups:\n  - kms:\n    - arn: x\n    age: [{A}]\n- path_regex: bad\n  age: age1nope\n- path_regex: pq\n  age: age1pq1xyz\n- age: {A}\n"
    ))
    .unwrap();
    let err = config.rule_for(Path::new("/repo/pgp.yaml")).unwrap_err();
    let Error::Config { message, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(
        message.starts_with("creation_rules[0] uses pgp, which this toolkit does not support"),
        "{message}"
    );
    let err = config.rule_for(Path::new("/repo/kms.yaml")).unwrap_err();
    assert!(err.to_string().contains("uses key_groups[0].kms"), "{err}");
    let err = config.rule_for(Path::new("/repo/bad.yaml")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid age recipient `age1nope` in /repo/.sops.yaml creation_rules[2]"
    );
    let err = config.rule_for(Path::new("/repo/pq.yaml")).unwrap_err();
    assert!(err.to_string().contains("post-quantum"), "{err}");
    assert_eq!(
        config.rule_index_for(Path::new("/repo/fine.yaml")).unwrap(),
        4
    );
}

#[test]
fn store_indents() {
    let config = parse("stores:\n  yaml:\n    indent: 4\n  json:\n    indent: 0\n").unwrap();
    assert_eq!((config.yaml_indent, config.json_indent), (Some(4), Some(0)));
    let config = parse("stores:\n  json:\n    indent: -1\n").unwrap();
    assert_eq!((config.yaml_indent, config.json_indent), (None, None));
}

#[test]
fn find_config_climbs_from_the_start_directory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let deep = root.join("a/b/c");
    fs_err::create_dir_all(&deep).unwrap();
    assert_eq!(find_config(&deep), None);
    // `.sops.yml` is never used.
    fs_err::write(root.join("a/.sops.yml"), "creation_rules: []\n").unwrap();
    assert_eq!(find_config(&deep), None);
    fs_err::write(root.join(".sops.yaml"), "").unwrap();
    assert_eq!(find_config(&deep).unwrap(), root.join(".sops.yaml"));
    fs_err::write(root.join("a/b/.sops.yaml"), "").unwrap();
    assert_eq!(find_config(&deep).unwrap(), root.join("a/b/.sops.yaml"));
    assert_eq!(
        find_config(&deep.join("..")).unwrap(),
        root.join("a/b/.sops.yaml")
    );
    assert_eq!(
        find_config(&deep.join("../..")).unwrap(),
        root.join(".sops.yaml")
    );
    assert_eq!(
        find_config(&root.join("a")).unwrap(),
        root.join(".sops.yaml")
    );
}

/// Replaces `old` by `new` in the fixture and checks that only that happened.
fn assert_replaced(text: &str, rule: usize, recipients: &[&str], expected: &str) {
    let got = replace_rule_recipients(text, rule, &strings(recipients)).unwrap();
    assert_eq!(got, expected, "rule {rule}");
    let parsed = parse(&got).unwrap();
    assert_eq!(
        parsed.creation_rules[rule].key_groups,
        vec![KeyGroup {
            age: strings(recipients)
        }]
    );
}

#[test]
fn replace_keeps_every_other_byte_of_the_fixture() {
    let text = fs_err::read_to_string(fixture("repo.sops.yaml")).unwrap();
    // Rule 0 uses a folded block scalar with one recipient per line.
    let expected = text.replacen(
        &format!("      {A},\n      {B}\n"),
        &format!("      {C},\n      {B}\n"),
        1,
    );
    assert_ne!(expected, text);
    assert_replaced(&text, 0, &[C, B], &expected);
    // Rule 3 is a plain scalar with a trailing comment.
    let expected = text.replacen(
        &format!("age: {C} # ops laptop"),
        &format!("age: {A},{B} # ops laptop"),
        1,
    );
    assert_replaced(&text, 3, &[A, B], &expected);
    // Rule 1 uses key_groups: refused, nothing changed.
    let err = replace_rule_recipients(&text, 1, &strings(&[A])).unwrap_err();
    assert!(err.to_string().contains("key_groups"), "{err}");
    let err = replace_rule_recipients(&text, 9, &strings(&[A])).unwrap_err();
    assert!(
        err.to_string().contains("there is no creation_rules[9]"),
        "{err}"
    );
}

#[test]
fn replace_handles_every_value_style() {
    let cases = [
        // Plain, dash line, comment kept, `, ` separator kept.
        (
            format!("creation_rules:\n  - age: {A}, {B}   # two\n"),
            vec![C],
            format!("creation_rules:\n  - age: {C}   # two\n"),
        ),
        // Double quoted.
        (
            format!("creation_rules:\n- path_regex: x\n  age: \"{A}\" # q\n"),
            vec![B, C],
            format!("creation_rules:\n- path_regex: x\n  age: \"{B},{C}\" # q\n"),
        ),
        // Single quoted.
        (
            format!("creation_rules:\n- age: '{A}'\n"),
            vec![B],
            format!("creation_rules:\n- age: '{B}'\n"),
        ),
        // Flow list.
        (
            format!("creation_rules:\n- age: [{A}, {B}] # f\n"),
            vec![C],
            format!("creation_rules:\n- age: [{C}] # f\n"),
        ),
        // Literal block scalar, keeps its indentation.
        (
            format!("creation_rules:\n  - age: |\n        {A},\n        {B}\n    path_regex: x\n"),
            vec![B],
            format!("creation_rules:\n  - age: |\n        {B}\n    path_regex: x\n"),
        ),
        // Empty value.
        (
            "creation_rules:\n- path_regex: x\n  age:\n  encrypted_regex: y\n".to_owned(),
            vec![A],
            format!("creation_rules:\n- path_regex: x\n  age: {A}\n  encrypted_regex: y\n"),
        ),
        // Multi-line plain scalar.
        (
            format!("creation_rules:\n- age: {A},\n    {B}\n  path_regex: x\n"),
            vec![C],
            format!("creation_rules:\n- age: {C}\n  path_regex: x\n"),
        ),
        // CRLF line endings and no final newline.
        (
            format!("creation_rules:\r\n- age: {A}\r\n  path_regex: x"),
            vec![B],
            format!("creation_rules:\r\n- age: {B}\r\n  path_regex: x"),
        ),
        (
            format!("creation_rules:\n- age: {A}"),
            vec![B],
            format!("creation_rules:\n- age: {B}"),
        ),
        // Lone dash, keys on the next lines; quoted key.
        (
            format!("creation_rules:\n-\n  \"age\": {A}\n"),
            vec![B],
            format!("creation_rules:\n-\n  \"age\": {B}\n"),
        ),
    ];
    for (text, recipients, expected) in &cases {
        assert_replaced(text, 0, recipients, expected);
    }
}

#[test]
fn replace_in_block_lists_goes_by_position() {
    let text = format!(
        "creation_rules:\n  - path_regex: a\n    age:\n      # alice\n      - {A} # laptop\n      # bob\n      - '{B}'\n    # trailing comment\n  - age: {C}\n"
    );
    // Same count: each item keeps its comments and quoting.
    assert_replaced(
        &text,
        0,
        &[C, A],
        &format!(
            "creation_rules:\n  - path_regex: a\n    age:\n      # alice\n      - {C} # laptop\n      # bob\n      - '{A}'\n    # trailing comment\n  - age: {C}\n"
        ),
    );
    // More: appended after the last item, before the trailing comment.
    assert_replaced(
        &text,
        0,
        &[A, B, C],
        &format!(
            "creation_rules:\n  - path_regex: a\n    age:\n      # alice\n      - {A} # laptop\n      # bob\n      - '{B}'\n      - {C}\n    # trailing comment\n  - age: {C}\n"
        ),
    );
    // Fewer: the surplus item line goes, comment lines stay.
    assert_replaced(
        &text,
        0,
        &[B],
        &format!(
            "creation_rules:\n  - path_regex: a\n    age:\n      # alice\n      - {B} # laptop\n      # bob\n    # trailing comment\n  - age: {C}\n"
        ),
    );
    // Items at the key's own column.
    let text = format!("creation_rules:\n- age:\n  - {A}\n  path_regex: a\n");
    assert_replaced(
        &text,
        0,
        &[B, C],
        &format!("creation_rules:\n- age:\n  - {B}\n  - {C}\n  path_regex: a\n"),
    );
}

#[test]
fn replace_only_touches_the_chosen_rule() {
    let text = format!(
        "# header comment\nstores:\n  yaml:\n    indent: 2\ncreation_rules:\n  # first\n  - path_regex: one\n    age: {A}\n\n  - path_regex: two # second\n    age: {A}\n    encrypted_regex: ^data$\n  - path_regex: three\n    age: {A}\ndestination_rules: []\n"
    );
    let got = replace_rule_recipients(&text, 1, &strings(&[B])).unwrap();
    assert_eq!(
        got,
        text.replacen(
            &format!("two # second\n    age: {A}"),
            &format!("two # second\n    age: {B}"),
            1
        )
    );
    let got = replace_rule_recipients(&text, 2, &strings(&[B])).unwrap();
    assert_eq!(
        got,
        text.replacen(
            &format!("three\n    age: {A}"),
            &format!("three\n    age: {B}"),
            1
        )
    );
}

#[test]
fn replace_refuses_what_it_cannot_do_safely() {
    let err =
        replace_rule_recipients(&format!("creation_rules:\n- age: {A}\n"), 0, &[]).unwrap_err();
    assert!(err.to_string().contains("empty list"), "{err}");
    let err = replace_rule_recipients(
        &format!("creation_rules:\n- age: {A}\n"),
        0,
        &strings(&["age1bad"]),
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidRecipient { .. }), "{err:?}");
    let err = replace_rule_recipients("creation_rules:\n- path_regex: x\n", 0, &strings(&[A]))
        .unwrap_err();
    assert!(err.to_string().contains("no `age:` key"), "{err}");
    let err = replace_rule_recipients(
        &format!("creation_rules: [{{age: {A}}}]\n"),
        0,
        &strings(&[B]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("block-style"), "{err}");
    let err = replace_rule_recipients(
        &format!("x: &k {A}\ncreation_rules:\n- age: *k\n"),
        0,
        &strings(&[B]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("aliases"), "{err}");
    // `age:` inside key_groups is not the rule's own.
    let err = replace_rule_recipients(
        &format!("creation_rules:\n- key_groups:\n  - age: [{A}]\n"),
        0,
        &strings(&[B]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("key_groups"), "{err}");
}
