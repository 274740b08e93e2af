//! The high-level API: read, decrypt, edit and encrypt SOPS files.
//!
//! [`SopsFile`] is an encrypted file as stored; it answers keyless questions (recipients,
//! `lastmodified`, the scope rule, values kept in the clear). [`SopsFile::decrypt`] yields a
//! [`Decrypted`] tree, with the MAC verified, that can be edited, re-keyed and encrypted
//! again; unchanged values keep their IVs, as sops does. [`encrypt_plaintext`] encrypts a new
//! file for the recipients of a creation rule.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::cipher::{self, DataKey};
use crate::config::CreationRule;
use crate::engine::{self, IvCache, WalkError, WalkSettings};
use crate::error::{Error, Result};
use crate::format::Format;
use crate::fsio::{self, WriteOptions};
use crate::keys::{self, Identities};
use crate::metadata::{AgeEntry, KeyGroup, Metadata, SOPS_VERSION};
use crate::scope::ScopeRule;
use crate::store::{self, EmitOptions};
use crate::tree::{Map, RawFile, Scalar, SeqItem, Value};
use crate::treepath::{Segment, TreePath};

/// An encrypted SOPS file as stored.
#[derive(Debug, Clone)]
pub struct SopsFile {
    path: PathBuf,
    format: Format,
    branches: Vec<Map>,
    metadata: Metadata,
}

/// One leaf of an encrypted file, described without a key.
#[derive(Debug, Clone, PartialEq)]
pub struct LeafInfo {
    /// Mapping keys from the root; sequence elements appear as `[n]`.
    pub path: Vec<String>,
    /// Whether the stored value is an `ENC[...]` string.
    pub encrypted: bool,
    /// The `type:` of an encrypted value, or the type of a clear one (`str`, `int`, …).
    pub value_type: Option<String>,
    /// The value, for leaves stored in the clear only.
    pub plaintext: Option<Scalar>,
}

impl SopsFile {
    /// Reads a SOPS file, choosing the store by extension.
    pub fn read(path: &Path) -> Result<Self> {
        Self::read_as(path, Format::from_path(path))
    }

    /// Reads a SOPS file with an explicit store.
    pub fn read_as(path: &Path, format: Format) -> Result<Self> {
        let bytes = fs_err::read(path)?;
        Self::parse(path, format, &bytes)
    }

    /// Parses the bytes of a SOPS file; `path` is used in messages only.
    pub fn parse(path: &Path, format: Format, bytes: &[u8]) -> Result<Self> {
        let raw = store::parse(format, bytes).map_err(|source| Error::Parse {
            path: path.to_owned(),
            format,
            source,
        })?;
        let Some(meta) = raw.metadata else {
            return Err(Error::MetadataNotFound {
                path: path.to_owned(),
            });
        };
        let metadata = Metadata::from_map(&meta).map_err(|message| Error::InvalidMetadata {
            path: path.to_owned(),
            message,
        })?;
        Ok(Self {
            path: path.to_owned(),
            format,
            branches: raw.branches,
            metadata,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The store.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The same file, to be written by another store (`encrypt --output-type`).
    #[must_use]
    pub fn with_format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// The typed metadata.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The encrypted branches.
    pub fn branches(&self) -> &[Map] {
        &self.branches
    }

    /// All age recipients.
    pub fn recipients(&self) -> Vec<String> {
        self.metadata.recipients()
    }

    /// Every non-null leaf, in document order, described without decrypting.
    pub fn leaves(&self) -> Vec<LeafInfo> {
        let mut out = Vec::new();
        let mut path = Vec::new();
        for branch in &self.branches {
            collect_leaves(&Value::Map(branch.clone()), &mut path, &mut out);
        }
        out
    }

    /// A top-level value of the first document stored in the clear (e.g.
    /// `MCP_SECRETS_VERSION`); `None` if absent or encrypted.
    pub fn plaintext(&self, key: &str) -> Option<&Scalar> {
        match self.branches.first()?.get(key)? {
            Value::Scalar(Scalar::Str(t)) if cipher::is_enc(t.as_str()) => None,
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The file as bytes, as sops would write it.
    pub fn to_bytes(&self, options: EmitOptions) -> Result<Vec<u8>> {
        let raw = RawFile {
            branches: self.branches.clone(),
            metadata: Some(self.metadata.to_map(self.format)),
        };
        store::emit(self.format, &raw, options).map_err(|source| Error::Parse {
            path: self.path.clone(),
            format: self.format,
            source,
        })
    }

    /// Writes the file atomically (encrypted files follow the umask).
    pub fn write(&self, path: &Path, options: EmitOptions) -> Result<()> {
        fsio::write_atomic(path, &self.to_bytes(options)?, WriteOptions::PUBLIC)
    }

    /// Recovers the data key with the given identities.
    ///
    /// When none of them can unwrap it, the error's hint names the default `keys.txt` of
    /// the environment the identities were discovered in ([`Identities::discover`]); the
    /// process environment is never read here.
    pub fn data_key(&self, identities: &Identities) -> Result<DataKey> {
        if identities.is_empty() {
            return Err(identities.no_key_error_from_discovery(&self.path, self.recipients()));
        }
        let mut shares: Vec<Zeroizing<Vec<u8>>> = Vec::new();
        for group in &self.metadata.key_groups {
            for entry in &group.age {
                if let Some(share) = identities.unwrap_data_key(&entry.enc)? {
                    shares.push(share);
                    break;
                }
            }
        }
        let groups = self.metadata.key_groups.len();
        if shares.is_empty() {
            return Err(identities.no_key_error_from_discovery(&self.path, self.recipients()));
        }
        let key_bytes = if groups == 1 {
            shares.swap_remove(0)
        } else {
            let threshold = self
                .metadata
                .shamir_threshold
                .filter(|t| *t > 0)
                .unwrap_or(groups);
            if shares.len() < threshold {
                return Err(Error::ShamirQuorum {
                    path: self.path.clone(),
                    threshold,
                    recovered: shares.len(),
                });
            }
            let parts: Vec<&[u8]> = shares.iter().map(|s| s.as_slice()).collect();
            crate::shamir::combine(&parts).map_err(|message| Error::InvalidMetadata {
                path: self.path.clone(),
                message,
            })?
        };
        DataKey::from_slice(&key_bytes).ok_or_else(|| Error::InvalidMetadata {
            path: self.path.clone(),
            message: format!(
                "the unwrapped data key has {} bytes, expected 32",
                key_bytes.len()
            ),
        })
    }

    /// Decrypts with the given identities and verifies the MAC.
    pub fn decrypt(&self, identities: &Identities) -> Result<Decrypted> {
        let key = self.data_key(identities)?;
        self.decrypt_with_key(key)
    }

    /// Decrypts with a known data key and verifies the MAC.
    pub fn decrypt_with_key(&self, key: DataKey) -> Result<Decrypted> {
        self.decrypt_branches(self.branches.clone(), key)
    }

    /// Decrypts (MAC verified), consuming the file instead of copying its tree.
    pub fn into_decrypted(mut self, identities: &Identities) -> Result<Decrypted> {
        let key = self.data_key(identities)?;
        let branches = std::mem::take(&mut self.branches);
        self.decrypt_branches(branches, key)
    }

    fn decrypt_branches(&self, mut branches: Vec<Map>, key: DataKey) -> Result<Decrypted> {
        let mut ivs = IvCache::default();
        let settings = WalkSettings {
            scope: &self.metadata.scope,
            mac_only_encrypted: self.metadata.mac_only_encrypted,
        };
        let (computed, warnings) =
            engine::decrypt_branches(&mut branches, &key, settings, &mut ivs)
                .map_err(|e| walk_error(e, &self.path))?;
        let stored = engine::decrypt_mac(&self.metadata.mac, &key, &self.metadata.lastmodified)
            .map_err(|()| Error::MacUndecryptable {
                path: self.path.clone(),
            })?;
        match stored {
            Some(stored) if stored == computed => {}
            stored => {
                return Err(Error::MacMismatch {
                    path: self.path.clone(),
                    stored: stored.unwrap_or_default(),
                    computed,
                });
            }
        }
        Ok(Decrypted {
            path: self.path.clone(),
            format: self.format,
            branches,
            metadata: self.metadata.clone(),
            key,
            ivs,
            warnings,
        })
    }
}

fn collect_leaves(value: &Value, path: &mut Vec<String>, out: &mut Vec<LeafInfo>) {
    match value {
        Value::Null => {}
        Value::Map(map) => {
            for (k, v) in map.entries() {
                path.push(k.to_owned());
                collect_leaves(v, path, out);
                path.pop();
            }
        }
        Value::Seq(items) => {
            let mut index = 0;
            for item in items {
                if let SeqItem::Value(v) = item {
                    // An encrypted comment inside a sequence is stored as an element.
                    if let Value::Scalar(Scalar::Str(t)) = v
                        && cipher::parse_enc(t.as_str()).is_ok_and(|e| e.value_type == "comment")
                    {
                        continue;
                    }
                    path.push(format!("[{index}]"));
                    collect_leaves(v, path, out);
                    path.pop();
                    index += 1;
                }
            }
        }
        Value::Scalar(s) => {
            let enc = match s {
                Scalar::Str(t) => cipher::parse_enc(t.as_str())
                    .ok()
                    .map(|e| e.value_type.to_owned()),
                _ => None,
            };
            out.push(LeafInfo {
                path: path.clone(),
                encrypted: enc.is_some(),
                value_type: enc.or_else(|| Some(crate::value::type_name(s).to_owned())),
                plaintext: if matches!(s, Scalar::Str(t) if cipher::is_enc(t.as_str())) {
                    None
                } else {
                    Some(s.clone())
                },
            });
        }
    }
}

fn walk_error(e: WalkError, path: &Path) -> Error {
    let path = path.to_owned();
    match e {
        WalkError::Decrypt { tree_path } => Error::ValueDecrypt { path, tree_path },
        WalkError::Malformed { tree_path, reason } => Error::MalformedEnc {
            path,
            tree_path,
            reason,
        },
        WalkError::Base64 { tree_path, field } => Error::BadBase64 {
            path,
            tree_path,
            field,
        },
        WalkError::BadType {
            tree_path,
            value_type,
        } => Error::BadType {
            path,
            tree_path,
            value_type,
        },
        WalkError::BadPlaintext {
            tree_path,
            value_type,
        } => Error::BadPlaintext {
            path,
            tree_path,
            value_type,
        },
    }
}

/// A decrypted file: the plaintext tree, its metadata and data key, ready to edit and
/// encrypt again. Holds plaintext: zeroized on drop, redacted in `Debug`.
pub struct Decrypted {
    path: PathBuf,
    format: Format,
    branches: Vec<Map>,
    metadata: Metadata,
    key: DataKey,
    ivs: IvCache,
    warnings: Vec<String>,
}

impl std::fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decrypted")
            .field("path", &self.path)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

/// Who a file is encrypted to and how values are chosen for encryption.
#[derive(Debug, Clone, Default)]
pub struct EncryptSettings {
    /// age recipients per key group (one group: no Shamir).
    pub key_groups: Vec<Vec<String>>,
    /// Shamir threshold for several groups (default: the number of groups).
    pub shamir_threshold: Option<usize>,
    /// The scope rule (default `_unencrypted` suffix).
    pub scope: Option<ScopeRule>,
    /// MAC only over encrypted values.
    pub mac_only_encrypted: bool,
}

impl EncryptSettings {
    /// The settings of a `.sops.yaml` creation rule.
    pub fn from_rule(rule: &CreationRule) -> Self {
        Self {
            key_groups: rule.key_groups.iter().map(|g| g.age.clone()).collect(),
            shamir_threshold: rule.shamir_threshold,
            scope: rule.scope.clone(),
            mac_only_encrypted: rule.mac_only_encrypted,
        }
    }

    /// One group with these recipients.
    pub fn for_recipients(recipients: Vec<String>) -> Self {
        Self {
            key_groups: vec![recipients],
            ..Self::default()
        }
    }
}

/// Encrypts plaintext bytes into a new SOPS file (`now` is `lastmodified`, Unix seconds).
pub fn encrypt_plaintext(
    path: &Path,
    format: Format,
    plaintext: &[u8],
    settings: &EncryptSettings,
    now: i64,
) -> Result<SopsFile> {
    let raw = if format == Format::Binary {
        store::binary::parse_plain(plaintext)
    } else {
        store::parse(format, plaintext).map_err(|source| Error::Parse {
            path: path.to_owned(),
            format,
            source,
        })?
    };
    if raw.metadata.is_some() {
        return Err(Error::AlreadyEncrypted {
            path: path.to_owned(),
        });
    }
    if raw.branches.is_empty() {
        return Err(Error::Unencryptable {
            path: path.to_owned(),
            message: "the file is empty: it must contain at least one document".into(),
        });
    }
    Decrypted::new(path, format, raw.branches, settings)?.into_encrypted(now)
}

impl Decrypted {
    /// A plaintext tree to be encrypted for the first time with a fresh data key.
    pub fn new(
        path: &Path,
        format: Format,
        branches: Vec<Map>,
        settings: &EncryptSettings,
    ) -> Result<Self> {
        let groups: Vec<Vec<String>> = settings
            .key_groups
            .iter()
            .filter(|g| !g.is_empty())
            .cloned()
            .collect();
        if groups.is_empty() {
            return Err(Error::ConfigNotFound {
                start: path.to_owned(),
            });
        }
        let binary = format == Format::Binary;
        let metadata = Metadata {
            key_groups: Vec::new(),
            shamir_threshold: if groups.len() > 1 {
                Some(settings.shamir_threshold.unwrap_or(groups.len()))
            } else {
                None
            },
            lastmodified: String::new(),
            mac: String::new(),
            scope: if binary {
                ScopeRule::default()
            } else {
                settings.scope.clone().unwrap_or_default()
            },
            scope_written: !binary,
            mac_only_encrypted: settings.mac_only_encrypted && !binary,
            version: SOPS_VERSION.to_owned(),
        };
        let mut decrypted = Self {
            path: path.to_owned(),
            format,
            branches,
            metadata,
            key: DataKey::generate(),
            ivs: IvCache::default(),
            warnings: Vec::new(),
        };
        decrypted.wrap_for(&groups)?;
        Ok(decrypted)
    }

    /// What decryption noticed that is not an error (never a value), one message each.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The plaintext branches.
    pub fn branches(&self) -> &[Map] {
        &self.branches
    }

    /// The plaintext branches, for edits.
    pub fn branches_mut(&mut self) -> &mut Vec<Map> {
        &mut self.branches
    }

    /// The metadata (as read; [`Decrypted::encrypt`] refreshes `lastmodified` and `mac`).
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The file's store.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The plaintext rendered by a store (`format` may differ from the file's).
    pub fn to_plaintext(&self, format: Format, options: EmitOptions) -> Result<Zeroizing<Vec<u8>>> {
        let raw = RawFile {
            branches: self.branches.clone(),
            metadata: None,
        };
        store::emit(format, &raw, options)
            .map(Zeroizing::new)
            .map_err(|source| Error::Parse {
                path: self.path.clone(),
                format,
                source,
            })
    }

    /// The value at a tree path.
    pub fn get(&self, path: &TreePath) -> Result<&Value> {
        let first = self.branches.first().ok_or_else(|| Error::TreePath {
            message: "the file has no document".into(),
        })?;
        let mut current: &Value = &Value::Null;
        let mut map = Some(first);
        for (i, seg) in path.segments().iter().enumerate() {
            let next = match (seg, map, current) {
                (Segment::Key(k), Some(m), _) if i == 0 => m.get(k),
                (Segment::Key(k), _, Value::Map(m)) => m.get(k),
                (Segment::Index(n), _, Value::Seq(items)) if i > 0 => seq_values(items).nth(*n),
                _ => None,
            };
            current = next.ok_or_else(|| Error::TreePath {
                message: format!("{path} not found in {}", self.path.display()),
            })?;
            map = None;
        }
        Ok(current)
    }

    /// Sets a value, creating missing mappings on the way; an existing key keeps its place.
    pub fn set(&mut self, path: &TreePath, value: Value) -> Result<()> {
        let file = self.path.display().to_string();
        let Some(root) = self.branches.first_mut() else {
            return Err(Error::TreePath {
                message: "the file has no document".into(),
            });
        };
        let segments = path.segments();
        let Some((last, parents)) = segments.split_last() else {
            return Err(Error::TreePath {
                message: "an empty path names the whole document; name a key".into(),
            });
        };
        let mut slot: &mut Value = &mut Value::Null;
        let mut root_opt = Some(root);
        for seg in parents {
            let container: &mut Value = match root_opt.take() {
                Some(m) => match seg {
                    Segment::Key(k) => entry_or_insert(m, k),
                    Segment::Index(_) => {
                        return Err(Error::TreePath {
                            message: format!("{path}: the document root is a mapping"),
                        });
                    }
                },
                None => step_mut(slot, seg, path, &file)?,
            };
            slot = container;
        }
        match (root_opt, last) {
            (Some(m), Segment::Key(k)) => m.insert(k.clone(), value),
            (Some(_), Segment::Index(_)) => {
                return Err(Error::TreePath {
                    message: format!("{path}: the document root is a mapping"),
                });
            }
            (None, seg) => *step_mut(slot, seg, path, &file)? = value,
        }
        Ok(())
    }

    /// Removes the value at a path.
    pub fn unset(&mut self, path: &TreePath) -> Result<Value> {
        let not_found = || Error::TreePath {
            message: format!("{path} not found"),
        };
        let segments = path.segments();
        let Some((last, parents)) = segments.split_last() else {
            return Err(not_found());
        };
        let root = self.branches.first_mut().ok_or_else(not_found)?;
        if parents.is_empty() {
            return match last {
                Segment::Key(k) => root.remove(k).ok_or_else(not_found),
                Segment::Index(_) => Err(not_found()),
            };
        }
        let mut current: &mut Value = match &parents[0] {
            Segment::Key(k) => root.get_mut(k).ok_or_else(not_found)?,
            Segment::Index(_) => return Err(not_found()),
        };
        for seg in &parents[1..] {
            current = match (seg, current) {
                (Segment::Key(k), Value::Map(m)) => m.get_mut(k).ok_or_else(not_found)?,
                (Segment::Index(n), Value::Seq(items)) => {
                    seq_values_mut(items).nth(*n).ok_or_else(not_found)?
                }
                _ => return Err(not_found()),
            };
        }
        match (last, current) {
            (Segment::Key(k), Value::Map(m)) => m.remove(k).ok_or_else(not_found),
            (Segment::Index(n), Value::Seq(items)) => {
                let pos = items
                    .iter()
                    .enumerate()
                    .filter(|(_, it)| matches!(it, SeqItem::Value(_)))
                    .nth(*n)
                    .map(|(i, _)| i)
                    .ok_or_else(not_found)?;
                match items.remove(pos) {
                    SeqItem::Value(v) => Ok(v),
                    SeqItem::Comment(_) => Err(not_found()),
                }
            }
            _ => Err(not_found()),
        }
    }

    /// Replaces the data key with a fresh one and wraps it for the current recipients.
    /// Every value gets new ciphertext on the next [`Decrypted::encrypt`] (IVs are kept).
    pub fn rotate_data_key(&mut self) -> Result<()> {
        self.refuse_foreign_keys()?;
        self.key = DataKey::generate();
        let groups = self.metadata.recipient_groups();
        self.wrap_for(&groups)
    }

    /// Re-wraps the current data key for a new recipient set (the data key stays; combine
    /// with [`Decrypted::rotate_data_key`] when a recipient is removed, or it keeps access).
    pub fn set_recipients(
        &mut self,
        groups: &[Vec<String>],
        shamir_threshold: Option<usize>,
    ) -> Result<()> {
        self.refuse_foreign_keys()?;
        let groups: Vec<Vec<String>> = groups.iter().filter(|g| !g.is_empty()).cloned().collect();
        if groups.is_empty() {
            return Err(Error::ConfigNotFound {
                start: self.path.clone(),
            });
        }
        self.metadata.shamir_threshold = if groups.len() > 1 {
            Some(shamir_threshold.unwrap_or(groups.len()).min(groups.len()))
        } else {
            None
        };
        self.wrap_for(&groups)
    }

    fn refuse_foreign_keys(&self) -> Result<()> {
        if self
            .metadata
            .key_groups
            .iter()
            .any(|g| !g.others.is_empty())
        {
            return Err(Error::UnsupportedFormat {
                path: self.path.clone(),
                message: "the file also uses non-age master keys (kms, pgp, …), which this toolkit cannot re-wrap".into(),
            });
        }
        Ok(())
    }

    fn wrap_for(&mut self, groups: &[Vec<String>]) -> Result<()> {
        let shares: Vec<Zeroizing<Vec<u8>>> = if groups.len() == 1 {
            vec![Zeroizing::new(self.key.expose().to_vec())]
        } else {
            let threshold = self.metadata.shamir_threshold.unwrap_or(groups.len());
            crate::shamir::split(self.key.expose(), threshold, groups.len())
        };
        let mut key_groups = Vec::with_capacity(groups.len());
        for (group, share) in groups.iter().zip(&shares) {
            let mut age = Vec::with_capacity(group.len());
            for recipient in group {
                let enc = keys::wrap_data_key(recipient, share)?;
                age.push(AgeEntry {
                    recipient: recipient.clone(),
                    enc,
                });
            }
            key_groups.push(KeyGroup {
                age,
                others: Vec::new(),
            });
        }
        self.metadata.key_groups = key_groups;
        Ok(())
    }

    /// Encrypts the tree again: new `lastmodified` (`now`, Unix seconds) and MAC.
    pub fn encrypt(&self, now: i64) -> Result<SopsFile> {
        Ok(self.encrypt_branches(self.branches.clone(), now))
    }

    /// Like [`Decrypted::encrypt`], consuming the plaintext instead of copying it.
    pub fn into_encrypted(mut self, now: i64) -> Result<SopsFile> {
        let branches = std::mem::take(&mut self.branches);
        Ok(self.encrypt_branches(branches, now))
    }

    fn encrypt_branches(&self, mut branches: Vec<Map>, now: i64) -> SopsFile {
        let settings = WalkSettings {
            scope: &self.metadata.scope,
            mac_only_encrypted: self.metadata.mac_only_encrypted,
        };
        let mac = engine::encrypt_branches(&mut branches, &self.key, settings, &self.ivs);
        let mut metadata = self.metadata.clone();
        metadata.lastmodified = crate::time::format_rfc3339(now);
        metadata.mac = engine::encrypt_mac(&mac, &self.key, &metadata.lastmodified)
            .expect("a lastmodified written by format_rfc3339 always parses");
        SopsFile {
            path: self.path.clone(),
            format: self.format,
            branches,
            metadata,
        }
    }
}

fn seq_values(items: &[SeqItem]) -> impl Iterator<Item = &Value> {
    items.iter().filter_map(|i| match i {
        SeqItem::Value(v) => Some(v),
        SeqItem::Comment(_) => None,
    })
}

fn seq_values_mut(items: &mut [SeqItem]) -> impl Iterator<Item = &mut Value> {
    items.iter_mut().filter_map(|i| match i {
        SeqItem::Value(v) => Some(v),
        SeqItem::Comment(_) => None,
    })
}

fn entry_or_insert<'m>(map: &'m mut Map, key: &str) -> &'m mut Value {
    if map.get(key).is_none() {
        map.push(key, Value::Map(Map::new()));
    }
    map.get_mut(key).expect("just inserted")
}

fn step_mut<'v>(
    value: &'v mut Value,
    seg: &Segment,
    path: &TreePath,
    file: &str,
) -> Result<&'v mut Value> {
    match (seg, value) {
        (Segment::Key(k), Value::Map(m)) => Ok(entry_or_insert(m, k)),
        (Segment::Key(k), v @ Value::Null) => {
            let mut m = Map::new();
            m.push(k.clone(), Value::Null);
            *v = Value::Map(m);
            let Value::Map(m) = v else {
                unreachable!("just set")
            };
            Ok(m.get_mut(k).expect("just inserted"))
        }
        (Segment::Index(n), Value::Seq(items)) => {
            seq_values_mut(items)
                .nth(*n)
                .ok_or_else(|| Error::TreePath {
                    message: format!("{path}: index {n} is out of range in {file}"),
                })
        }
        _ => Err(Error::TreePath {
            message: format!("{path} does not fit the structure of {file}"),
        }),
    }
}
