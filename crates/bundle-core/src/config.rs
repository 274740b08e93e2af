//! `.sops.yaml`: finding it, its creation rules, and editing a rule's age recipients.
//!
//! Follows sops 3.11 (spec §10): the file is looked up from a directory upward (100 levels),
//! the first creation rule whose unanchored `path_regex` matches the file path relative to
//! the config's directory wins, and a rule without `path_regex` matches everything. Only age
//! recipients are supported by this toolkit: a rule using another key type (pgp, kms, …) is
//! loaded, so that other rules of the same file still work, but choosing it is an error.
//!
//! [`replace_rule_recipients`] edits one rule's `age:` entry in the text of the file and
//! leaves every other byte alone (comments, order, other rules), then re-parses the result
//! to prove the edit did what it should.

use std::path::{Component, Path, PathBuf};

use regex::Regex;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::scope::ScopeRule;

/// The file name sops looks for (`.sops.yml` is never used).
pub const CONFIG_FILE_NAME: &str = ".sops.yaml";

/// How many directories [`find_config`] climbs, as sops.
const MAX_DEPTH: usize = 100;

/// sops' message when a rule sets more than one scope field.
const SCOPE_CONFLICT: &str = "cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex for the same rule";

/// Looks for `.sops.yaml` in `start_dir`, then its parents, up to 100 levels, as sops does
/// from its working directory. The returned path is absolute (`start_dir` made absolute and
/// `..` resolved lexically).
pub fn find_config(start_dir: &Path) -> Option<PathBuf> {
    let mut dir = absolute_clean(start_dir);
    for _ in 0..MAX_DEPTH {
        let candidate = dir.join(CONFIG_FILE_NAME);
        if fs_err::metadata(&candidate).is_ok() {
            return Some(candidate);
        }
        if !dir.pop() {
            break;
        }
    }
    None
}

/// A parsed `.sops.yaml`.
#[derive(Debug, Clone)]
pub struct SopsConfig {
    /// The file it was read from (used for relative matching and in messages).
    pub path: PathBuf,
    /// The creation rules, in file order. Empty when the file has none (sops then treats
    /// the file as absent).
    pub creation_rules: Vec<CreationRule>,
    /// `stores: yaml: indent:` when set (≥ 0).
    pub yaml_indent: Option<usize>,
    /// `stores: json: indent:` when set (≥ 0; sops uses a tab when unset).
    pub json_indent: Option<usize>,
}

/// One entry of `creation_rules`.
#[derive(Debug, Clone)]
pub struct CreationRule {
    /// The unanchored path regex; `None` matches every path.
    pub path_regex: Option<Regex>,
    /// The key groups: `key_groups:` when given (duplicates removed in each group, `merge:`
    /// flattened), else one group from the rule's `age:` (possibly empty).
    pub key_groups: Vec<KeyGroup>,
    /// `shamir_threshold:` when non-zero.
    pub shamir_threshold: Option<usize>,
    /// The one scope field set on the rule, if any.
    pub scope: Option<ScopeRule>,
    /// `mac_only_encrypted:`.
    pub mac_only_encrypted: bool,
    /// Key types other than age that the rule uses (`pgp`, `key_groups[0].kms`, …); this
    /// toolkit cannot encrypt with them, so [`SopsConfig::rule_for`] refuses such a rule.
    pub unsupported_keys: Vec<String>,
}

/// One key group of a creation rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyGroup {
    /// age recipients, as written (trimmed).
    pub age: Vec<String>,
}

impl SopsConfig {
    /// Reads and parses a `.sops.yaml`.
    pub fn load(path: &Path) -> Result<SopsConfig> {
        let text = fs_err::read_to_string(path)?;
        Self::parse(path, &text)
    }

    /// Parses the text of a `.sops.yaml`; `path` is used for matching and in messages.
    ///
    /// Structure, regexes, thresholds and scope conflicts are checked for every rule; key
    /// types and recipients are checked when a rule is chosen ([`SopsConfig::rule_for`]),
    /// as sops does.
    pub fn parse(path: &Path, text: &str) -> Result<SopsConfig> {
        let config_error = |message: String| Error::Config {
            path: path.to_owned(),
            message,
        };
        let raw: Option<RawConfig> = if text.trim().is_empty() {
            None
        } else {
            yaml_serde::from_str(text).map_err(|e| config_error(e.to_string()))?
        };
        let raw = raw.unwrap_or_default();
        let creation_rules = raw
            .creation_rules
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(index, rule)| {
                convert_rule(rule)
                    .map_err(|m| config_error(format!("creation_rules[{index}]: {m}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let indent = |store: Option<RawStore>| {
            store
                .and_then(|s| s.indent)
                .and_then(|i| usize::try_from(i).ok())
        };
        let stores = raw.stores.unwrap_or_default();
        Ok(SopsConfig {
            path: path.to_owned(),
            creation_rules,
            yaml_indent: indent(stores.yaml),
            json_indent: indent(stores.json),
        })
    }

    /// The path sops matches `path_regex` against: `file` made absolute, with the config
    /// file's directory and `/` stripped when the file is inside it.
    pub fn match_path(&self, file: &Path) -> String {
        let file = absolute_clean(file);
        let parent = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let dir = absolute_clean(parent);
        let file = file.to_string_lossy();
        let prefix = format!("{}/", dir.to_string_lossy());
        file.strip_prefix(prefix.as_str())
            .unwrap_or(&file)
            .to_owned()
    }

    /// Indices of every rule that matches `file` (not only the first), for checks that want
    /// exactly one.
    pub fn matching_rules(&self, file: &Path) -> Vec<usize> {
        let path = self.match_path(file);
        self.creation_rules
            .iter()
            .enumerate()
            .filter(|(_, rule)| rule.matches(&path))
            .map(|(index, _)| index)
            .collect()
    }

    /// The index of the rule sops would use for `file` (the first match), checked like
    /// [`SopsConfig::rule_for`].
    pub fn rule_index_for(&self, file: &Path) -> Result<usize> {
        let path = self.match_path(file);
        let Some(index) = self
            .creation_rules
            .iter()
            .position(|rule| rule.matches(&path))
        else {
            return Err(Error::NoCreationRule {
                config: self.path.clone(),
                file: path,
            });
        };
        self.creation_rules[index].check_supported(&self.path, index)?;
        Ok(index)
    }

    /// The rule sops would use for `file`: the first whose `path_regex` matches
    /// [`SopsConfig::match_path`], or [`Error::NoCreationRule`]. A rule using key types
    /// other than age is an [`Error::Config`]; an invalid recipient an
    /// [`Error::InvalidRecipient`].
    pub fn rule_for(&self, file: &Path) -> Result<&CreationRule> {
        let index = self.rule_index_for(file)?;
        Ok(&self.creation_rules[index])
    }
}

impl CreationRule {
    /// Whether this rule applies to a path already made relative by
    /// [`SopsConfig::match_path`].
    pub fn matches(&self, match_path: &str) -> bool {
        self.path_regex
            .as_ref()
            .is_none_or(|re| re.is_match(match_path))
    }

    /// Every age recipient of every group, in order (duplicates across groups kept).
    pub fn recipients(&self) -> impl Iterator<Item = &str> {
        self.key_groups
            .iter()
            .flat_map(|g| g.age.iter().map(String::as_str))
    }

    /// Checks that the rule uses age keys only and that each recipient is valid; `index`
    /// and `config` name the rule in messages.
    pub fn check_supported(&self, config: &Path, index: usize) -> Result<()> {
        if !self.unsupported_keys.is_empty() {
            return Err(Error::Config {
                path: config.to_owned(),
                message: format!(
                    "creation_rules[{index}] uses {}, which this toolkit does not support (age recipients only)\nhint: use age recipients for files this toolkit manages",
                    self.unsupported_keys.join(", ")
                ),
            });
        }
        for recipient in self.recipients() {
            if let Err(Error::InvalidRecipient { recipient, context }) =
                crate::keys::parse_recipient(recipient)
            {
                let why = if context.is_empty() {
                    String::new()
                } else {
                    format!(" ({context})")
                };
                return Err(Error::InvalidRecipient {
                    recipient,
                    context: format!("{} creation_rules[{index}]{why}", config.display()),
                });
            }
        }
        Ok(())
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawConfig {
    creation_rules: Option<Vec<RawRule>>,
    stores: Option<RawStores>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawStores {
    yaml: Option<RawStore>,
    json: Option<RawStore>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawStore {
    indent: Option<i64>,
}

/// A string or a list of strings (`age:` accepts both).
#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrList {
    One(String),
    Many(Vec<String>),
}

impl StringOrList {
    /// The recipients: every string split on commas, items trimmed, empty ones skipped.
    fn recipients(&self) -> Vec<String> {
        let items: &[String] = match self {
            StringOrList::One(s) => std::slice::from_ref(s),
            StringOrList::Many(v) => v,
        };
        items
            .iter()
            .flat_map(|s| s.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawRule {
    path_regex: Option<String>,
    age: Option<StringOrList>,
    key_groups: Option<Vec<RawGroup>>,
    shamir_threshold: Option<i64>,
    unencrypted_suffix: Option<String>,
    encrypted_suffix: Option<String>,
    unencrypted_regex: Option<String>,
    encrypted_regex: Option<String>,
    unencrypted_comment_regex: Option<String>,
    encrypted_comment_regex: Option<String>,
    mac_only_encrypted: Option<bool>,
    pgp: Option<yaml_serde::Value>,
    kms: Option<yaml_serde::Value>,
    gcp_kms: Option<yaml_serde::Value>,
    hckms: Option<yaml_serde::Value>,
    azure_keyvault: Option<yaml_serde::Value>,
    hc_vault_transit_uri: Option<yaml_serde::Value>,
    plugins: Option<yaml_serde::Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawGroup {
    merge: Option<Vec<RawGroup>>,
    age: Option<StringOrList>,
    pgp: Option<yaml_serde::Value>,
    kms: Option<yaml_serde::Value>,
    gcp_kms: Option<yaml_serde::Value>,
    hckms: Option<yaml_serde::Value>,
    azure_keyvault: Option<yaml_serde::Value>,
    hc_vault: Option<yaml_serde::Value>,
    plugins: Option<yaml_serde::Value>,
}

/// Whether a key field holds anything (null, `""` and `[]` count as absent).
fn is_set(value: Option<&yaml_serde::Value>) -> bool {
    match value {
        None | Some(yaml_serde::Value::Null) => false,
        Some(yaml_serde::Value::String(s)) => !s.trim().is_empty(),
        Some(yaml_serde::Value::Sequence(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

fn convert_rule(raw: RawRule) -> std::result::Result<CreationRule, String> {
    let path_regex = match raw.path_regex.as_deref() {
        None | Some("") => None,
        Some(re) => Some(Regex::new(re).map_err(|e| format!("invalid path_regex `{re}`: {e}"))?),
    };

    let scope_fields = [
        ("unencrypted_suffix", &raw.unencrypted_suffix),
        ("encrypted_suffix", &raw.encrypted_suffix),
        ("unencrypted_regex", &raw.unencrypted_regex),
        ("encrypted_regex", &raw.encrypted_regex),
        ("unencrypted_comment_regex", &raw.unencrypted_comment_regex),
        ("encrypted_comment_regex", &raw.encrypted_comment_regex),
    ];
    let mut set = scope_fields.iter().filter_map(|(name, value)| {
        value
            .as_deref()
            .filter(|v| !v.is_empty())
            .map(|v| (*name, v))
    });
    let scope = match (set.next(), set.next()) {
        (None, _) => None,
        (Some((field, value)), None) => Some(ScopeRule::from_field(field, value)?),
        (Some(_), Some(_)) => return Err(SCOPE_CONFLICT.to_owned()),
    };

    let shamir_threshold = match raw.shamir_threshold {
        None | Some(0) => None,
        Some(n) => Some(
            usize::try_from(n)
                .map_err(|_| format!("shamir_threshold must not be negative, got {n}"))?,
        ),
    };

    let mut unsupported_keys = Vec::new();
    let key_groups = match raw.key_groups.filter(|groups| !groups.is_empty()) {
        Some(groups) => groups
            .iter()
            .enumerate()
            .map(|(i, group)| {
                let mut age = Vec::new();
                flatten_group(
                    group,
                    &format!("key_groups[{i}]"),
                    &mut age,
                    &mut unsupported_keys,
                );
                let mut seen = std::collections::HashSet::new();
                age.retain(|r| seen.insert(r.clone()));
                KeyGroup { age }
            })
            .collect(),
        // Without key_groups the rule's own keys form one group; sops does not remove
        // duplicates there.
        None => vec![KeyGroup {
            age: raw
                .age
                .as_ref()
                .map(StringOrList::recipients)
                .unwrap_or_default(),
        }],
    };
    let rule_level = [
        ("pgp", &raw.pgp),
        ("kms", &raw.kms),
        ("gcp_kms", &raw.gcp_kms),
        ("hckms", &raw.hckms),
        ("azure_keyvault", &raw.azure_keyvault),
        ("hc_vault_transit_uri", &raw.hc_vault_transit_uri),
        ("plugins", &raw.plugins),
    ];
    for (name, value) in rule_level {
        if is_set(value.as_ref()) {
            unsupported_keys.push(name.to_owned());
        }
    }

    Ok(CreationRule {
        path_regex,
        key_groups,
        shamir_threshold,
        scope,
        mac_only_encrypted: raw.mac_only_encrypted.unwrap_or(false),
        unsupported_keys,
    })
}

/// Collects a group's age recipients (merged sub-groups first, as sops) and notes the
/// other key types it uses.
fn flatten_group(
    group: &RawGroup,
    name: &str,
    age: &mut Vec<String>,
    unsupported: &mut Vec<String>,
) {
    for (i, sub) in group.merge.iter().flatten().enumerate() {
        flatten_group(sub, &format!("{name}.merge[{i}]"), age, unsupported);
    }
    if let Some(list) = &group.age {
        age.extend(list.recipients());
    }
    let others = [
        ("pgp", &group.pgp),
        ("kms", &group.kms),
        ("gcp_kms", &group.gcp_kms),
        ("hckms", &group.hckms),
        ("azure_keyvault", &group.azure_keyvault),
        ("hc_vault", &group.hc_vault),
        ("plugins", &group.plugins),
    ];
    for (key, value) in others {
        if is_set(value.as_ref()) {
            unsupported.push(format!("{name}.{key}"));
        }
    }
}

/// `path` made absolute against the working directory, `.` and `..` resolved lexically
/// (as Go's `filepath.Abs`), symbolic links left alone.
fn absolute_clean(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut clean = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !clean.pop() {
                    clean.push(component);
                }
            }
            other => clean.push(other),
        }
    }
    clean
}

/// Rewrites the age recipients of creation rule `rule_index` (0-based) in the text of a
/// `.sops.yaml`, keeping every other byte: comments, key order, the other rules, and the
/// style of the `age:` value (comma-separated string, quoted string, block scalar, block or
/// flow list, and the trailing comment of the `age:` line or of each list item).
///
/// In a block list, recipients replace items by position (a rotation that swaps one key
/// keeps each item's comment); extra items are appended, surplus item lines removed
/// (comment lines around them stay).
///
/// The edit is line-based; the result is parsed again and must give exactly `recipients`
/// for that rule and unchanged other rules, otherwise nothing is returned but an error.
/// The rule must have its own `age:` entry (rules using `key_groups:` are refused).
pub fn replace_rule_recipients(
    text: &str,
    rule_index: usize,
    recipients: &[String],
) -> Result<String> {
    let path = Path::new(CONFIG_FILE_NAME);
    let fail = |message: String| Error::Config {
        path: path.to_owned(),
        message,
    };
    if recipients.is_empty() {
        return Err(fail(
            "refusing to write an empty list of age recipients".to_owned(),
        ));
    }
    let recipients: Vec<String> = recipients.iter().map(|r| r.trim().to_owned()).collect();
    for recipient in &recipients {
        crate::keys::parse_recipient(recipient)?;
    }

    let before = SopsConfig::parse(path, text)?;
    let Some(rule) = before.creation_rules.get(rule_index) else {
        return Err(fail(format!(
            "there is no creation_rules[{rule_index}] (the file has {} rules)",
            before.creation_rules.len()
        )));
    };
    let raw: Option<RawConfig> = yaml_serde::from_str(text).map_err(|e| fail(e.to_string()))?;
    let uses_key_groups = raw
        .and_then(|r| r.creation_rules)
        .and_then(|mut rules| rules.get_mut(rule_index).and_then(|r| r.key_groups.take()))
        .is_some_and(|groups| !groups.is_empty());
    if uses_key_groups || rule.key_groups.len() != 1 {
        return Err(fail(format!(
            "creation_rules[{rule_index}] uses key_groups; edit its recipients by hand"
        )));
    }

    let edited = edit_lines(text, rule_index)
        .and_then(|edit| edit.apply(&recipients))
        .map_err(|m| {
            fail(format!(
                "cannot rewrite creation_rules[{rule_index}].age: {m}"
            ))
        })?;

    // Prove the edit: the rule now has exactly these recipients and nothing else moved.
    let after = SopsConfig::parse(path, &edited).map_err(|e| {
        fail(format!(
            "the rewritten file does not parse ({e}); nothing was changed"
        ))
    })?;
    let unchanged_elsewhere = after.creation_rules.len() == before.creation_rules.len()
        && before
            .creation_rules
            .iter()
            .zip(&after.creation_rules)
            .enumerate()
            .all(|(i, (b, a))| {
                let same_settings = format!(
                    "{:?}{:?}{:?}{}{:?}",
                    b.path_regex,
                    b.shamir_threshold,
                    b.scope,
                    b.mac_only_encrypted,
                    b.unsupported_keys
                ) == format!(
                    "{:?}{:?}{:?}{}{:?}",
                    a.path_regex,
                    a.shamir_threshold,
                    a.scope,
                    a.mac_only_encrypted,
                    a.unsupported_keys
                );
                same_settings && (i == rule_index || b.key_groups == a.key_groups)
            })
        && after.yaml_indent == before.yaml_indent
        && after.json_indent == before.json_indent;
    let expected = vec![KeyGroup { age: recipients }];
    if !unchanged_elsewhere || after.creation_rules[rule_index].key_groups != expected {
        return Err(fail(format!(
            "cannot rewrite creation_rules[{rule_index}].age safely (unusual layout); edit it by hand"
        )));
    }
    Ok(edited)
}

/// The layout of one `age:` value found in the text.
enum AgeValue {
    /// `age: a,b` or `age:` (empty), possibly continued on more-indented lines.
    Plain { separator: &'static str },
    /// `age: "a,b"` / `age: 'a,b'`.
    Quoted { quote: char },
    /// `age: [a, b]`.
    Flow,
    /// `age: >-` / `age: |` with content lines.
    Block,
    /// `age:` followed by `- a` lines.
    List,
}

/// Where the `age:` entry of one rule sits in the text.
struct AgeEdit<'a> {
    /// The file split after each `\n` (a final `\n` added when missing).
    lines: Vec<&'a str>,
    /// Whether the original text ended without a newline.
    missing_final_newline: bool,
    /// Index of the `age:` line.
    key_line: usize,
    /// Byte offset in the key line just after `age:`.
    value_start: usize,
    /// Lines after the key line that belong to the value: `key_line + 1 .. value_end`.
    value_end: usize,
    kind: AgeValue,
}

/// Splits a line into its content and its ending (`\n`, `\r\n`).
fn split_eol(line: &str) -> (&str, &str) {
    if let Some(content) = line.strip_suffix("\r\n") {
        (content, "\r\n")
    } else if let Some(content) = line.strip_suffix('\n') {
        (content, "\n")
    } else {
        (line, "")
    }
}

fn indent_of(content: &str) -> usize {
    content.len() - content.trim_start_matches(' ').len()
}

/// Whether a line is empty, blank, or only a comment.
fn is_blank_or_comment(content: &str) -> bool {
    let t = content.trim_start();
    t.is_empty() || t.starts_with('#')
}

/// Whether `s` (already without indentation) starts a block sequence item.
fn is_item(s: &str) -> bool {
    s == "-" || s.starts_with("- ") || s.starts_with("-\t")
}

/// The offset where a plain scalar's trailing comment (` #…`) starts, if any.
fn comment_start(s: &str) -> Option<usize> {
    if s.starts_with('#') {
        return Some(0);
    }
    s.char_indices()
        .find(|&(i, c)| c == '#' && s[..i].ends_with([' ', '\t']))
        .map(|(i, _)| s[..i].trim_end_matches([' ', '\t']).len())
}

/// The line ranges of the items of the block sequence that starts after `rules_line`: `-`
/// lines at the indentation of the first one, up to the first line indented less (or a
/// sibling key at the same indentation).
fn rule_items(lines: &[&str], rules_line: usize) -> Vec<(usize, usize)> {
    let mut items: Vec<(usize, usize)> = Vec::new();
    let mut seq_indent = None;
    let mut end = lines.len();
    for (i, line) in lines.iter().enumerate().skip(rules_line + 1) {
        let c = split_eol(line).0;
        if is_blank_or_comment(c) {
            continue;
        }
        let indent = indent_of(c);
        let at = *seq_indent.get_or_insert(indent);
        if indent < at || (indent == at && !is_item(&c[indent..])) {
            end = i;
            break;
        }
        if indent == at {
            if let Some(last) = items.last_mut() {
                last.1 = i;
            }
            items.push((i, lines.len()));
        }
    }
    if let Some(last) = items.last_mut() {
        last.1 = end;
    }
    items
}

/// Finds the `age:` entry of creation rule `rule_index`.
fn edit_lines(text: &str, rule_index: usize) -> std::result::Result<AgeEdit<'_>, String> {
    let missing_final_newline = !text.is_empty() && !text.ends_with('\n');
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let content = |i: usize| split_eol(lines[i]).0;

    // `creation_rules:` at column 0, its value on the following lines.
    let rules_line = (0..lines.len())
        .find(|&i| {
            let c = content(i);
            c.strip_prefix("creation_rules:")
                .is_some_and(is_blank_or_comment)
        })
        .ok_or("no block-style `creation_rules:` key at the start of a line")?;

    let items = rule_items(&lines, rules_line);
    let &(item_start, item_end) = items
        .get(rule_index)
        .ok_or_else(|| format!("found only {} rules in the text", items.len()))?;

    // The rule's keys sit at the column after `- ` (or on the next line for a lone `-`).
    let dash_line = content(item_start);
    let dash_col = indent_of(dash_line);
    let after_dash = &dash_line[dash_col + 1..];
    let key_col_on_dash =
        dash_col + 1 + (after_dash.len() - after_dash.trim_start_matches([' ', '\t']).len());
    let key_col = if is_blank_or_comment(&dash_line[key_col_on_dash..]) {
        (item_start + 1..item_end)
            .map(content)
            .find(|c| !is_blank_or_comment(c))
            .map(indent_of)
            .ok_or("the rule is empty")?
    } else {
        key_col_on_dash
    };
    let key_at = |i: usize| -> Option<usize> {
        let c = content(i);
        let col = if i == item_start {
            key_col_on_dash
        } else {
            key_col
        };
        if i != item_start && (indent_of(c) != key_col || is_blank_or_comment(c)) {
            return None;
        }
        let rest = c.get(col..)?;
        ["age:", "\"age\":", "'age':"].iter().find_map(|key| {
            let after = rest.strip_prefix(key)?;
            (after.is_empty() || after.starts_with([' ', '\t'])).then_some(col + key.len())
        })
    };
    let (key_line, value_start) = (item_start..item_end)
        .find_map(|i| key_at(i).map(|offset| (i, offset)))
        .ok_or("the rule has no `age:` key of its own")?;

    // The value's lines: more indented than the key, or `-` items at the key's column,
    // blank and comment lines in between; trailing blank/comment lines stay outside.
    let mut value_end = key_line + 1;
    let mut last_content = key_line;
    while value_end < item_end {
        let c = content(value_end);
        let belongs = is_blank_or_comment(c)
            || indent_of(c) > key_col
            || (indent_of(c) == key_col && is_item(&c[key_col..]));
        if !belongs {
            break;
        }
        if !is_blank_or_comment(c) {
            last_content = value_end;
        }
        value_end += 1;
    }
    let value_end = last_content + 1;

    let rest = content(key_line)[value_start..].trim_start_matches([' ', '\t']);
    let has_continuation = value_end > key_line + 1;
    let kind = match rest.chars().next() {
        None | Some('#') => {
            let first = (key_line + 1..value_end)
                .map(content)
                .find(|c| !is_blank_or_comment(c));
            match first {
                Some(c) if is_item(c.trim_start()) => AgeValue::List,
                _ => AgeValue::Plain { separator: "," },
            }
        }
        Some('|' | '>') => AgeValue::Block,
        Some(quote @ ('"' | '\'')) => AgeValue::Quoted { quote },
        Some('[') => AgeValue::Flow,
        Some('&' | '*' | '!' | '{') => {
            return Err("anchors, aliases, tags and mappings are not supported".to_owned());
        }
        Some(_) => {
            let value = &rest[..comment_start(rest).unwrap_or(rest.len())];
            let separator = if value.contains(", ") || has_continuation {
                ", "
            } else {
                ","
            };
            AgeValue::Plain { separator }
        }
    };
    Ok(AgeEdit {
        lines,
        missing_final_newline,
        key_line,
        value_start,
        value_end,
        kind,
    })
}

impl AgeEdit<'_> {
    /// The text with the value replaced by `recipients`.
    fn apply(&self, recipients: &[String]) -> std::result::Result<String, String> {
        let (key_content, eol) = split_eol(self.lines[self.key_line]);
        let eol = if eol.is_empty() { "\n" } else { eol };
        let key_part = &key_content[..self.value_start];
        let rest_raw = &key_content[self.value_start..];
        let rest = rest_raw.trim_start_matches([' ', '\t']);
        let gap = if rest.is_empty() {
            " "
        } else {
            &rest_raw[..rest_raw.len() - rest.len()]
        };

        let mut replacement: Vec<String> = Vec::new();
        match self.kind {
            AgeValue::Plain { separator } => {
                let comment = comment_start(rest).map_or("", |i| &rest[i..]);
                let multi_line = (self.key_line + 1..self.value_end)
                    .any(|i| !is_blank_or_comment(split_eol(self.lines[i]).0));
                let comment = if multi_line { "" } else { comment };
                let comment = if rest.starts_with('#') {
                    format!(" {comment}")
                } else {
                    comment.to_owned()
                };
                replacement.push(format!(
                    "{key_part}{gap}{}{comment}{eol}",
                    recipients.join(separator)
                ));
            }
            AgeValue::Quoted { quote } => {
                let comment = closing_quote(rest, quote).map_or("", |end| &rest[end..]);
                let joined = recipients.join(",");
                replacement.push(format!(
                    "{key_part}{gap}{quote}{joined}{quote}{comment}{eol}"
                ));
            }
            AgeValue::Flow => {
                let comment = rest.find(']').map_or("", |end| &rest[end + 1..]);
                replacement.push(format!(
                    "{key_part}{gap}[{}]{comment}{eol}",
                    recipients.join(", ")
                ));
            }
            AgeValue::Block => {
                replacement.push(self.lines[self.key_line].to_owned());
                let key_indent = indent_of(key_content);
                let content_indent = (self.key_line + 1..self.value_end)
                    .map(|i| split_eol(self.lines[i]).0)
                    .find(|c| !c.trim().is_empty())
                    .map_or(key_indent + 2, indent_of);
                let pad = " ".repeat(content_indent);
                for (i, r) in recipients.iter().enumerate() {
                    let comma = if i + 1 < recipients.len() { "," } else { "" };
                    replacement.push(format!("{pad}{r}{comma}{eol}"));
                }
            }
            AgeValue::List => replacement = self.list_lines(recipients, eol)?,
        }

        let mut out =
            String::with_capacity(self.lines.iter().map(|l| l.len()).sum::<usize>() + 256);
        for line in &self.lines[..self.key_line] {
            out.push_str(line);
        }
        for line in &replacement {
            out.push_str(line);
        }
        for line in &self.lines[self.value_end..] {
            out.push_str(line);
        }
        if self.missing_final_newline && out.ends_with('\n') {
            out.pop();
            if out.ends_with('\r') {
                out.pop();
            }
        }
        Ok(out)
    }

    /// The key line and the rewritten items of a block list (see [`replace_rule_recipients`]).
    fn list_lines(
        &self,
        recipients: &[String],
        eol: &str,
    ) -> std::result::Result<Vec<String>, String> {
        let mut replacement: Vec<String> = Vec::new();
        replacement.push(self.lines[self.key_line].to_owned());
        let mut next = recipients.iter();
        let mut item_prefix = String::new();
        let mut item_eol = eol.to_owned();
        for i in self.key_line + 1..self.value_end {
            let (c, line_eol) = split_eol(self.lines[i]);
            if is_blank_or_comment(c) {
                replacement.push(self.lines[i].to_owned());
                continue;
            }
            let indent = indent_of(c);
            if !is_item(&c[indent..]) {
                return Err("a list item spans several lines".to_owned());
            }
            let body = &c[indent + 1..];
            let value = body.trim_start_matches([' ', '\t']);
            let prefix = &c[..c.len() - value.len()];
            let prefix = if value.is_empty() {
                format!("{prefix} ")
            } else {
                prefix.to_owned()
            };
            item_prefix.clone_from(&prefix);
            item_eol = if line_eol.is_empty() {
                eol.to_owned()
            } else {
                line_eol.to_owned()
            };
            let Some(recipient) = next.next() else {
                // A surplus item: its line goes, comment lines around it stay.
                continue;
            };
            let (quote, comment) = match value.chars().next() {
                Some(q @ ('"' | '\'')) => (
                    Some(q),
                    closing_quote(value, q).map_or("", |end| &value[end..]),
                ),
                _ => (None, comment_start(value).map_or("", |i| &value[i..])),
            };
            let q = quote.map(String::from).unwrap_or_default();
            replacement.push(format!("{prefix}{q}{recipient}{q}{comment}{item_eol}"));
        }
        let added: Vec<&String> = next.collect();
        if !added.is_empty() {
            if item_prefix.is_empty() {
                return Err("the list has no item to copy the layout from".to_owned());
            }
            // New items go right after the last item line written.
            let at = replacement
                .iter()
                .rposition(|l| is_item(split_eol(l).0.trim_start()))
                .map_or(replacement.len(), |p| p + 1);
            let new_lines = added.iter().map(|r| format!("{item_prefix}{r}{item_eol}"));
            replacement.splice(at..at, new_lines);
        }
        Ok(replacement)
    }
}

/// The offset just after the closing quote of a quoted scalar starting at `s[0]`.
fn closing_quote(s: &str, quote: char) -> Option<usize> {
    let mut chars = s.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if quote == '"' && c == '\\' {
            chars.next();
        } else if c == quote {
            if quote == '\'' && chars.peek().is_some_and(|&(_, n)| n == '\'') {
                chars.next();
            } else {
                return Some(i + 1);
            }
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
        assert_eq!(err.exit_code(), 2);
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
                format!(
                    "creation_rules:\n  - age: |\n        {A},\n        {B}\n    path_regex: x\n"
                ),
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
}
