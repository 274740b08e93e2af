//! The `sops` metadata block: typed fields ↔ the raw mapping a store reads and writes.
//!
//! Stores hand over the metadata as a generic [`Map`] (dotenv and INI unflattened, all
//! values strings there); this module reads it leniently (numbers and booleans as text
//! too) and writes it back in sops' field order (spec §7.1), so a file we rewrite keeps the
//! shape sops gives it. Master keys other than age are kept verbatim but cannot be used.

use crate::format::Format;
use crate::scope::{FIELD_NAMES, ScopeRule};
use crate::tree::{Map, Scalar, SeqItem, Value};

/// The version string this implementation writes (the sops release it is compatible with).
pub const SOPS_VERSION: &str = "3.11.0";

/// The non-age master-key lists, in the order sops writes them before `age`.
const OTHER_KEYS_BEFORE_AGE: [&str; 5] = ["kms", "gcp_kms", "hckms", "azure_kv", "hc_vault"];

/// One age recipient and the data key (or Shamir share) wrapped for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgeEntry {
    /// The recipient as written (`age1…`).
    pub recipient: String,
    /// The armored age file.
    pub enc: String,
}

/// One key group: its age entries and any other master keys, kept verbatim.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KeyGroup {
    /// age entries, in order.
    pub age: Vec<AgeEntry>,
    /// Other master-key lists (`kms`, `pgp`, …) as found, for re-emission.
    pub others: Vec<(String, Value)>,
}

/// The typed `sops` metadata of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    /// Key groups; one group means no Shamir splitting.
    pub key_groups: Vec<KeyGroup>,
    /// The Shamir threshold, when written.
    pub shamir_threshold: Option<usize>,
    /// `lastmodified` as stored.
    pub lastmodified: String,
    /// The encrypted MAC as stored (`ENC[...]`, or empty).
    pub mac: String,
    /// The encryption-scope rule in force.
    pub scope: ScopeRule,
    /// Whether the rule is written in the metadata: false only for a binary-store file
    /// being encrypted for the first time (sops writes none then); a file read back always
    /// writes it, as sops does.
    pub scope_written: bool,
    /// MAC only over encrypted values.
    pub mac_only_encrypted: bool,
    /// `version` as stored.
    pub version: String,
}

impl Metadata {
    /// All age recipients, group by group.
    pub fn recipients(&self) -> Vec<String> {
        self.key_groups
            .iter()
            .flat_map(|g| g.age.iter().map(|e| e.recipient.clone()))
            .collect()
    }

    /// The age recipients of each group.
    pub fn recipient_groups(&self) -> Vec<Vec<String>> {
        self.key_groups
            .iter()
            .map(|g| g.age.iter().map(|e| e.recipient.clone()).collect())
            .collect()
    }

    /// Reads the raw mapping. `Err` says which field is wrong.
    pub fn from_map(map: &Map) -> Result<Self, String> {
        let lastmodified = text_field(map, "lastmodified")?.ok_or("`lastmodified` is missing")?;
        if crate::time::lastmodified_aad(&lastmodified).is_none() {
            return Err(format!(
                "`lastmodified` is not an RFC 3339 time: {lastmodified}"
            ));
        }
        let version = text_field(map, "version")?.unwrap_or_default();
        if version.is_empty() {
            return Err("version string empty".to_owned());
        }
        if !looks_like_semver(&version) {
            return Err(format!("`version` is not a semantic version: {version}"));
        }
        let mac = text_field(map, "mac")?.unwrap_or_default();

        let mut scope = None;
        for field in FIELD_NAMES {
            if let Some(pattern) = text_field(map, field)? {
                if scope.is_some() {
                    return Err(format!(
                        "cannot use more than one of {}",
                        FIELD_NAMES.join(", ")
                    ));
                }
                scope = Some(ScopeRule::from_field(field, &pattern)?);
            }
        }
        // A file read back always writes its rule, the default one included: sops fills
        // in `unencrypted_suffix: _unencrypted` on load, so its updatekeys, rotate and set
        // add it even to a binary-store file, which was encrypted without one (issue 15).
        let scope_written = true;
        let scope = scope.unwrap_or_default();
        let mac_only_encrypted = bool_field(map, "mac_only_encrypted")?.unwrap_or(false);
        let shamir_threshold = usize_field(map, "shamir_threshold")?;

        let top = read_group(map)?;
        let key_groups = if top.age.is_empty() && top.others.is_empty() {
            match map.get("key_groups") {
                Some(Value::Seq(items)) => items
                    .iter()
                    .filter_map(|item| match item {
                        SeqItem::Value(Value::Map(g)) => Some(read_group(g)),
                        SeqItem::Value(_) => Some(Err("a key group is not a mapping".to_owned())),
                        SeqItem::Comment(_) => None,
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                Some(Value::Null) | None => Vec::new(),
                Some(_) => return Err("`key_groups` is not a list".to_owned()),
            }
        } else {
            vec![top]
        };
        if key_groups
            .iter()
            .all(|g| g.age.is_empty() && g.others.is_empty())
        {
            return Err("no keys found in file".to_owned());
        }
        Ok(Self {
            key_groups,
            shamir_threshold,
            lastmodified,
            mac,
            scope,
            scope_written,
            mac_only_encrypted,
            version,
        })
    }

    /// Writes the mapping in sops' field order for `format`.
    pub fn to_map(&self, format: Format) -> Map {
        let mut map = Map::new();
        if let Some(t) = self.shamir_threshold.filter(|t| *t != 0) {
            map.push(
                "shamir_threshold",
                Value::Scalar(Scalar::Int(i64::try_from(t).unwrap_or(i64::MAX))),
            );
        }
        let single = self.key_groups.len() == 1;
        if !single {
            let groups = self
                .key_groups
                .iter()
                .map(|g| SeqItem::Value(Value::Map(write_group(g, format, true))))
                .collect();
            map.push("key_groups", Value::Seq(groups));
        }
        let group = if single {
            self.key_groups.first()
        } else {
            None
        };
        if let Some(g) = group {
            for name in OTHER_KEYS_BEFORE_AGE {
                if let Some((_, v)) = g.others.iter().find(|(k, _)| k == name) {
                    map.push(name, v.clone());
                }
            }
            if !g.age.is_empty() {
                map.push("age", age_list(&g.age));
            }
        }
        map.push("lastmodified", Value::str(self.lastmodified.as_str()));
        map.push("mac", Value::str(self.mac.as_str()));
        if let Some(g) = group {
            for (k, v) in &g.others {
                if !OTHER_KEYS_BEFORE_AGE.contains(&k.as_str()) {
                    map.push(k.as_str(), v.clone());
                }
            }
        }
        if self.scope_written {
            map.push(self.scope.field_name(), Value::str(self.scope.pattern()));
        }
        if self.mac_only_encrypted {
            map.push("mac_only_encrypted", Value::Scalar(Scalar::Bool(true)));
        }
        map.push("version", Value::str(self.version.as_str()));
        map
    }
}

fn read_group(map: &Map) -> Result<KeyGroup, String> {
    let mut group = KeyGroup::default();
    for (key, value) in map.entries() {
        match key {
            "age" => {
                let Value::Seq(items) = value else {
                    if matches!(value, Value::Null) {
                        continue;
                    }
                    return Err("`age` is not a list".to_owned());
                };
                for item in items {
                    let SeqItem::Value(Value::Map(entry)) = item else {
                        continue;
                    };
                    let recipient =
                        text_field(entry, "recipient")?.ok_or("an age entry has no `recipient`")?;
                    let enc = text_field(entry, "enc")?.ok_or("an age entry has no `enc`")?;
                    group.age.push(AgeEntry {
                        recipient: recipient.trim().to_owned(),
                        enc,
                    });
                }
            }
            "kms" | "gcp_kms" | "hckms" | "azure_kv" | "hc_vault" | "pgp" => {
                let non_empty = matches!(value, Value::Seq(items) if !items.is_empty());
                if non_empty {
                    group.others.push((key.to_owned(), value.clone()));
                }
            }
            _ => {}
        }
    }
    Ok(group)
}

fn write_group(group: &KeyGroup, format: Format, in_key_groups: bool) -> Map {
    let mut map = Map::new();
    for name in OTHER_KEYS_BEFORE_AGE {
        if let Some((_, v)) = group.others.iter().find(|(k, _)| k == name) {
            map.push(name, v.clone());
        } else if name == "hc_vault" && in_key_groups {
            // sops always writes hc_vault inside key groups: `[]` in YAML, `null` in JSON.
            let empty = if format == Format::Yaml {
                Value::Seq(Vec::new())
            } else {
                Value::Null
            };
            map.push(name, empty);
        }
    }
    map.push("age", age_list(&group.age));
    if let Some((_, v)) = group.others.iter().find(|(k, _)| k == "pgp") {
        map.push("pgp", v.clone());
    }
    map
}

fn age_list(entries: &[AgeEntry]) -> Value {
    Value::Seq(
        entries
            .iter()
            .map(|e| {
                let mut m = Map::new();
                m.push("recipient", Value::str(e.recipient.as_str()));
                m.push("enc", Value::str(e.enc.as_str()));
                SeqItem::Value(Value::Map(m))
            })
            .collect(),
    )
}

fn text_field(map: &Map, key: &str) -> Result<Option<String>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Scalar(Scalar::Str(t) | Scalar::Time(t))) => Ok(Some(t.as_str().to_owned())),
        Some(Value::Scalar(Scalar::Int(i))) => Ok(Some(i.to_string())),
        Some(Value::Scalar(Scalar::Float(f))) => Ok(Some(crate::value::format_float_go_g(*f))),
        Some(_) => Err(format!("`{key}` is not a string")),
    }
}

fn usize_field(map: &Map, key: &str) -> Result<Option<usize>, String> {
    match text_field(map, key)? {
        None => Ok(None),
        Some(t) => t
            .parse()
            .map(Some)
            .map_err(|_| format!("`{key}` is not a whole number")),
    }
}

fn bool_field(map: &Map, key: &str) -> Result<Option<bool>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Scalar(Scalar::Bool(b))) => Ok(Some(*b)),
        Some(Value::Scalar(Scalar::Str(t))) => match t.as_str() {
            "true" | "True" | "TRUE" => Ok(Some(true)),
            "false" | "False" | "FALSE" => Ok(Some(false)),
            _ => Err(format!("`{key}` is not a boolean")),
        },
        Some(_) => Err(format!("`{key}` is not a boolean")),
    }
}

/// sops accepts `v`-prefixed, partial (`1.x`) and full semantic versions.
fn looks_like_semver(v: &str) -> bool {
    let v = v.strip_prefix('v').unwrap_or(v);
    let core = v.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    !parts.is_empty()
        && parts.len() <= 3
        && parts[0].bytes().all(|b| b.is_ascii_digit())
        && !parts[0].is_empty()
        && parts[1..]
            .iter()
            .all(|p| !p.is_empty() && (p.bytes().all(|b| b.is_ascii_digit()) || *p == "x"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Metadata {
        Metadata {
            key_groups: vec![KeyGroup {
                age: vec![AgeEntry {
                    recipient: "age1abc".into(),
                    enc: "-----BEGIN AGE ENCRYPTED FILE-----\nx\n".into(),
                }],
                others: Vec::new(),
            }],
            shamir_threshold: None,
            lastmodified: "2026-11-29T05:05:46Z".into(),
            mac: "ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]".into(),
            scope: ScopeRule::default(),
            scope_written: true,
            mac_only_encrypted: false,
            version: SOPS_VERSION.into(),
        }
    }

    #[test]
    fn round_trips_through_map_in_sops_order() {
        let m = sample();
        let map = m.to_map(Format::Yaml);
        let keys: Vec<&str> = map.entries().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "age",
                "lastmodified",
                "mac",
                "unencrypted_suffix",
                "version"
            ]
        );
        assert_eq!(Metadata::from_map(&map).unwrap(), m);
    }

    #[test]
    fn two_groups_use_key_groups() {
        let mut m = sample();
        m.key_groups.push(m.key_groups[0].clone());
        m.shamir_threshold = Some(2);
        let map = m.to_map(Format::Json);
        let keys: Vec<&str> = map.entries().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "shamir_threshold",
                "key_groups",
                "lastmodified",
                "mac",
                "unencrypted_suffix",
                "version"
            ]
        );
        assert_eq!(Metadata::from_map(&map).unwrap(), m);
    }

    #[test]
    fn rejects_bad_fields() {
        let mut map = sample().to_map(Format::Yaml);
        map.insert("version", Value::str("banana"));
        assert!(
            Metadata::from_map(&map)
                .unwrap_err()
                .contains("semantic version")
        );
        let mut map = sample().to_map(Format::Yaml);
        map.remove("lastmodified");
        assert_eq!(
            Metadata::from_map(&map).unwrap_err(),
            "`lastmodified` is missing"
        );
        let mut map = sample().to_map(Format::Yaml);
        map.push("encrypted_regex", Value::str("x"));
        assert!(
            Metadata::from_map(&map)
                .unwrap_err()
                .starts_with("cannot use more than one")
        );
        let mut map = sample().to_map(Format::Yaml);
        map.remove("age");
        assert_eq!(
            Metadata::from_map(&map).unwrap_err(),
            "no keys found in file"
        );
    }

    /// Issue 15: a binary-store file has no rule in its metadata; sops fills in the default
    /// on load and writes it back on updatekeys, rotate and set, so reading one must too.
    #[test]
    fn issue_15_a_file_without_a_rule_writes_the_default_one_back() {
        let mut map = sample().to_map(Format::Binary);
        map.remove("unencrypted_suffix");
        let read = Metadata::from_map(&map).unwrap();
        assert_eq!(read.scope, ScopeRule::default());
        assert!(read.scope_written);
        let written = read.to_map(Format::Binary);
        assert_eq!(
            written.get("unencrypted_suffix"),
            Some(&Value::str("_unencrypted"))
        );
    }

    #[test]
    fn semver_forms() {
        for ok in ["3.11.0", "v3.7.1", "1.x", "3", "3.11.0-rc1"] {
            assert!(looks_like_semver(ok), "{ok}");
        }
        for bad in ["banana", "", "3..1", "a.b"] {
            assert!(!looks_like_semver(bad), "{bad}");
        }
    }
}
