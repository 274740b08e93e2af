//! The parsed `.sops.yaml`: its creation rules and key groups, read as sops 3.11 reads them.
//!
//! What must stay true: structure, regexes, thresholds and scope conflicts are checked for
//! every rule when the file is parsed; key types and recipients only when a rule is chosen
//! ([`SopsConfig::rule_for`]), as sops does, so that one unsupported rule does not break the
//! others. The types compare with `==` (a regex compares by its source text), which is how
//! [`super::replace_rule_recipients`] proves an edit changed nothing else.

use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;

use super::absolute_clean;
use crate::error::{Error, Result};
use crate::scope::ScopeRule;

/// sops' message when a rule sets more than one scope field.
pub(super) const SCOPE_CONFLICT: &str = "cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex for the same rule";
/// A parsed `.sops.yaml`.
#[derive(Debug, Clone, PartialEq)]
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
///
/// Two rules are equal when every field is, `path_regex` compared by its source text.
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

impl PartialEq for CreationRule {
    fn eq(&self, other: &Self) -> bool {
        // Destructured so that a new field cannot be forgotten here.
        let CreationRule {
            path_regex,
            key_groups,
            shamir_threshold,
            scope,
            mac_only_encrypted,
            unsupported_keys,
        } = self;
        path_regex.as_ref().map(Regex::as_str) == other.path_regex.as_ref().map(Regex::as_str)
            && *key_groups == other.key_groups
            && *shamir_threshold == other.shamir_threshold
            && *scope == other.scope
            && *mac_only_encrypted == other.mac_only_encrypted
            && *unsupported_keys == other.unsupported_keys
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
            let parsed = crate::keys::parse_recipient(recipient);
            if let Err(Error::UnsupportedRecipient { recipient, reason }) = parsed {
                return Err(Error::UnsupportedRecipient {
                    recipient,
                    reason: format!("{reason} (in {} creation_rules[{index}])", config.display()),
                });
            }
            if let Err(Error::InvalidRecipient { recipient, context }) = parsed {
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
pub(super) struct RawConfig {
    pub(super) creation_rules: Option<Vec<RawRule>>,
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
pub(super) struct RawRule {
    path_regex: Option<String>,
    age: Option<StringOrList>,
    pub(super) key_groups: Option<Vec<RawGroup>>,
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
pub(super) struct RawGroup {
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
