//! Which values are encrypted: the six mutually exclusive scope rules of sops (spec §5).

use regex::Regex;

/// The one encryption-scope rule of a file or creation rule.
#[derive(Debug, Clone)]
pub enum ScopeRule {
    /// Leaves under a key ending in the suffix stay plaintext (the default, `_unencrypted`).
    UnencryptedSuffix(String),
    /// Only leaves under a key ending in the suffix are encrypted.
    EncryptedSuffix(String),
    /// Leaves under a key matching the regex stay plaintext.
    UnencryptedRegex(Regex),
    /// Only leaves under a key matching the regex are encrypted.
    EncryptedRegex(Regex),
    /// Values after a comment matching the regex stay plaintext.
    UnencryptedCommentRegex(Regex),
    /// Only values after a comment matching the regex are encrypted.
    EncryptedCommentRegex(Regex),
}

impl PartialEq for ScopeRule {
    fn eq(&self, other: &Self) -> bool {
        self.field_name() == other.field_name() && self.pattern() == other.pattern()
    }
}

impl Default for ScopeRule {
    fn default() -> Self {
        ScopeRule::UnencryptedSuffix(DEFAULT_UNENCRYPTED_SUFFIX.to_owned())
    }
}

/// The suffix sops applies when no rule is given.
pub const DEFAULT_UNENCRYPTED_SUFFIX: &str = "_unencrypted";

/// The metadata / `.sops.yaml` field names of the six rules, in sops' order.
pub const FIELD_NAMES: [&str; 6] = [
    "unencrypted_suffix",
    "encrypted_suffix",
    "unencrypted_regex",
    "encrypted_regex",
    "unencrypted_comment_regex",
    "encrypted_comment_regex",
];

impl ScopeRule {
    /// Builds a rule from its field name and value; `Err` names a bad regex or field.
    pub fn from_field(field: &str, value: &str) -> Result<Self, String> {
        let re = || Regex::new(value).map_err(|e| format!("invalid {field} `{value}`: {e}"));
        Ok(match field {
            "unencrypted_suffix" => ScopeRule::UnencryptedSuffix(value.to_owned()),
            "encrypted_suffix" => ScopeRule::EncryptedSuffix(value.to_owned()),
            "unencrypted_regex" => ScopeRule::UnencryptedRegex(re()?),
            "encrypted_regex" => ScopeRule::EncryptedRegex(re()?),
            "unencrypted_comment_regex" => ScopeRule::UnencryptedCommentRegex(re()?),
            "encrypted_comment_regex" => ScopeRule::EncryptedCommentRegex(re()?),
            _ => return Err(format!("unknown scope rule `{field}`")),
        })
    }

    /// The metadata field name of this rule.
    pub fn field_name(&self) -> &'static str {
        match self {
            ScopeRule::UnencryptedSuffix(_) => FIELD_NAMES[0],
            ScopeRule::EncryptedSuffix(_) => FIELD_NAMES[1],
            ScopeRule::UnencryptedRegex(_) => FIELD_NAMES[2],
            ScopeRule::EncryptedRegex(_) => FIELD_NAMES[3],
            ScopeRule::UnencryptedCommentRegex(_) => FIELD_NAMES[4],
            ScopeRule::EncryptedCommentRegex(_) => FIELD_NAMES[5],
        }
    }

    /// The suffix or regex text.
    pub fn pattern(&self) -> &str {
        match self {
            ScopeRule::UnencryptedSuffix(s) | ScopeRule::EncryptedSuffix(s) => s,
            ScopeRule::UnencryptedRegex(r)
            | ScopeRule::EncryptedRegex(r)
            | ScopeRule::UnencryptedCommentRegex(r)
            | ScopeRule::EncryptedCommentRegex(r) => r.as_str(),
        }
    }

    /// Whether a leaf under these keys is encrypted, for the four key-based rules.
    /// Comment rules answer through [`ScopeRule::encrypts_by_comments`]; here they say `true`.
    pub fn encrypts_path<'a>(&self, mut keys: impl Iterator<Item = &'a str>) -> bool {
        match self {
            ScopeRule::UnencryptedSuffix(s) => !keys.any(|k| k.ends_with(s.as_str())),
            ScopeRule::EncryptedSuffix(s) => keys.any(|k| k.ends_with(s.as_str())),
            ScopeRule::UnencryptedRegex(r) => !keys.any(|k| r.is_match(k)),
            ScopeRule::EncryptedRegex(r) => keys.any(|k| r.is_match(k)),
            ScopeRule::UnencryptedCommentRegex(_) | ScopeRule::EncryptedCommentRegex(_) => true,
        }
    }

    /// Whether this is one of the two comment rules.
    pub fn is_comment_rule(&self) -> bool {
        matches!(
            self,
            ScopeRule::UnencryptedCommentRegex(_) | ScopeRule::EncryptedCommentRegex(_)
        )
    }
}
