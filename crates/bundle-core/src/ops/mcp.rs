//! The MCP bundle's conventions on top of SOPS (DESIGN.md, "MCP conventions").
//!
//! The bundle starts with a header of top-level values kept in the clear by one
//! `unencrypted_regex`: the integer `MCP_SECRETS_VERSION` and the last rotation's reason,
//! time and incident. Being values, they are covered by the MAC, so nobody can edit them
//! without the key; reviewers and CI read them without one.

use crate::sops::{Decrypted, SopsFile};
use crate::tree::{Map, Scalar, Text, Value};

/// Where the bundle lives in an MCP repository (the runbook's `config/secrets.enc.yaml`).
pub const BUNDLE_PATH: &str = "config/secrets.enc.yaml";
/// The bundle's version key (an integer, incremented by every rotation).
pub const VERSION_KEY: &str = "MCP_SECRETS_VERSION";
/// Why the last rotation happened.
pub const REASON_KEY: &str = "MCP_ROTATION_REASON";
/// When the last rotation happened (RFC 3339, UTC).
pub const ROTATED_AT_KEY: &str = "MCP_ROTATED_AT";
/// The incident of the last emergency rotation.
pub const INCIDENT_KEY: &str = "MCP_ROTATION_INCIDENT";
/// All header keys, in the order a new bundle writes them.
pub const HEADER_KEYS: [&str; 4] = [VERSION_KEY, REASON_KEY, ROTATED_AT_KEY, INCIDENT_KEY];
/// The creation rule's `unencrypted_regex` that keeps exactly the header in the clear
/// (anchored: sops matches unanchored, so `MCP_SECRETS_VERSION_NOTE` must not match).
pub const HEADER_UNENCRYPTED_REGEX: &str =
    "^MCP_(SECRETS_VERSION|ROTATION_REASON|ROTATED_AT|ROTATION_INCIDENT)$";

/// What the version key of a bundle holds, read without a key. Every tool that reports on the
/// version reads it through this one type, so they agree on what "no version" means.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Version {
    /// No top-level entry of that name.
    #[default]
    Missing,
    /// The entry is there but encrypted: the creation rule's `unencrypted_regex` misses it.
    Encrypted,
    /// In the clear, but a scalar other than an integer (kept for the message: header values
    /// are plaintext by design, never secrets).
    NotInteger(Scalar),
    /// In the clear, an integer.
    Int(i64),
}

impl Version {
    /// Reads top-level `key` of the first document of `file` (normally [`VERSION_KEY`]).
    pub fn read(file: &SopsFile, key: &str) -> Self {
        match file.plaintext(key) {
            Some(Scalar::Int(v)) => Version::Int(*v),
            Some(other) => Version::NotInteger(other.clone()),
            None => match file.branches().first().and_then(|b| b.get(key)) {
                Some(Value::Scalar(Scalar::Str(t))) if crate::cipher::is_enc(t.as_str()) => {
                    Version::Encrypted
                }
                // A mapping, a sequence or a null is no version at all.
                _ => Version::Missing,
            },
        }
    }

    /// The integer, when there is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Version::Int(v) => Some(*v),
            _ => None,
        }
    }
}

/// The header as read without a key.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Header {
    /// `MCP_SECRETS_VERSION`.
    pub version: Version,
    /// `MCP_ROTATION_REASON`, when in the clear.
    pub reason: Option<String>,
    /// `MCP_ROTATED_AT`, when in the clear.
    pub rotated_at: Option<String>,
    /// `MCP_ROTATION_INCIDENT`, when in the clear.
    pub incident: Option<String>,
}

impl Header {
    /// Reads the header of an encrypted bundle (values stored in the clear only).
    pub fn read(file: &SopsFile) -> Self {
        let text = |key: &str| match file.plaintext(key) {
            Some(Scalar::Str(t) | Scalar::Time(t)) => Some(t.as_str().to_owned()),
            _ => None,
        };
        Self {
            version: Version::read(file, VERSION_KEY),
            reason: text(REASON_KEY),
            rotated_at: text(ROTATED_AT_KEY),
            incident: text(INCIDENT_KEY),
        }
    }

    /// Writes the header into a decrypted bundle: existing keys keep their place, a missing
    /// one goes right after the header keys before it in [`HEADER_KEYS`] order (at the top
    /// when there are none), so the header stays together; `None` removes a key (a previous
    /// incident, say). The version is written when it is [`Version::Int`] and removed when
    /// [`Version::Missing`]; the two states that describe a broken bundle (encrypted, not an
    /// integer) leave the entry as it is.
    pub fn apply(&self, bundle: &mut Decrypted) {
        let Some(root) = bundle.branches_mut().first_mut() else {
            return;
        };
        let values: [(&str, Option<Value>); 4] = [
            (
                VERSION_KEY,
                self.version.as_int().map(|v| Value::Scalar(Scalar::Int(v))),
            ),
            (
                REASON_KEY,
                self.reason
                    .clone()
                    .map(|r| Value::Scalar(Scalar::Str(Text::new(r)))),
            ),
            (
                ROTATED_AT_KEY,
                self.rotated_at
                    .clone()
                    .map(|t| Value::Scalar(Scalar::Str(Text::new(t)))),
            ),
            (
                INCIDENT_KEY,
                self.incident
                    .clone()
                    .map(|i| Value::Scalar(Scalar::Str(Text::new(i)))),
            ),
        ];
        let keep_version = matches!(self.version, Version::Encrypted | Version::NotInteger(_));
        let mut insert_at = 0;
        for (key, value) in values {
            match value {
                None if key == VERSION_KEY && keep_version => {}
                Some(v) if root.get(key).is_some() => root.insert(key, v),
                Some(v) => {
                    root.items
                        .insert(insert_at, crate::tree::MapItem::Entry(key.to_owned(), v));
                    insert_at += 1;
                }
                None => {
                    root.remove(key);
                }
            }
            if let Some(pos) = position(root, key) {
                insert_at = insert_at.max(pos + 1);
            }
        }
    }
}

fn position(map: &Map, key: &str) -> Option<usize> {
    map.items
        .iter()
        .position(|i| matches!(i, crate::tree::MapItem::Entry(k, _) if k == key))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::format::Format;
    use crate::keys::KeyPair;
    use crate::scope::ScopeRule;
    use crate::sops::{EncryptSettings, encrypt_plaintext};

    #[test]
    fn header_round_trips_in_the_clear() {
        let pair = KeyPair::generate();
        let settings = EncryptSettings {
            key_groups: vec![vec![pair.recipient()]],
            scope: Some(
                ScopeRule::from_field("unencrypted_regex", HEADER_UNENCRYPTED_REGEX).unwrap(),
            ),
            ..EncryptSettings::default()
        };
        let plain =
            b"# comment\ntoken: abc\nMCP_SECRETS_VERSION: 3\nMCP_SECRETS_VERSION_NOTE: hidden\n";
        let file = encrypt_plaintext(
            Path::new("b.yaml"),
            Format::Yaml,
            plain,
            &settings,
            1_800_000_000,
        )
        .unwrap();
        assert_eq!(
            Header::read(&file),
            Header {
                version: Version::Int(3),
                ..Header::default()
            }
        );
        assert!(
            file.plaintext("MCP_SECRETS_VERSION_NOTE").is_none(),
            "the regex is anchored"
        );

        let mut d = file.decrypt(&pair.to_identities()).unwrap();
        let header = Header {
            version: Version::Int(4),
            reason: Some("scheduled rotation".into()),
            rotated_at: Some("2027-01-15T10:00:00Z".into()),
            incident: None,
        };
        header.apply(&mut d);
        let again = d.encrypt(1_800_000_100).unwrap();
        assert_eq!(Header::read(&again), header);
        let keys: Vec<&str> = again.branches()[0].entries().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "token",
                "MCP_SECRETS_VERSION",
                "MCP_ROTATION_REASON",
                "MCP_ROTATED_AT",
                "MCP_SECRETS_VERSION_NOTE"
            ]
        );
    }

    #[test]
    fn version_states_are_told_apart() {
        let pair = KeyPair::generate();
        let read = |plain: &[u8], scope: Option<ScopeRule>| {
            let settings = EncryptSettings {
                key_groups: vec![vec![pair.recipient()]],
                scope,
                ..EncryptSettings::default()
            };
            let file =
                encrypt_plaintext(Path::new("b.yaml"), Format::Yaml, plain, &settings, 0).unwrap();
            Version::read(&file, VERSION_KEY)
        };
        let header =
            || Some(ScopeRule::from_field("unencrypted_regex", HEADER_UNENCRYPTED_REGEX).unwrap());
        assert_eq!(read(b"MCP_SECRETS_VERSION: 7\n", header()), Version::Int(7));
        assert_eq!(read(b"other: 1\n", header()), Version::Missing);
        assert_eq!(read(b"MCP_SECRETS_VERSION: 7\n", None), Version::Encrypted);
        assert_eq!(
            read(b"MCP_SECRETS_VERSION: \"7\"\n", header()),
            Version::NotInteger(Scalar::Str(Text::new("7".to_owned())))
        );
        assert_eq!(Version::Int(7).as_int(), Some(7));
        assert_eq!(Version::Encrypted.as_int(), None);
    }
}
