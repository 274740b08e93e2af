//! The decrypted side: [`Decrypted`] (edit, re-key, encrypt again) and
//! [`encrypt_plaintext`] for a new file.
//!
//! What must stay true: plaintext lives only in zeroizing types and never in a `Debug`
//! string; values that did not change keep their IVs when encrypted again, as sops does;
//! a file is only ever re-keyed for age recipients.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::SopsFile;
use crate::cipher::DataKey;
use crate::config::CreationRule;
use crate::engine::{self, IvCache, WalkSettings};
use crate::error::{Error, Result};
use crate::format::Format;
use crate::keys;
use crate::metadata::{AgeEntry, KeyGroup, Metadata, SOPS_VERSION};
use crate::scope::ScopeRule;
use crate::store::{self, EmitOptions};
use crate::tree::{Map, RawFile, SeqItem, Value};
use crate::treepath::{Segment, TreePath};

/// A decrypted file: the plaintext tree, its metadata and data key, ready to edit and
/// encrypt again. Holds plaintext: zeroized on drop, redacted in `Debug`.
pub struct Decrypted {
    pub(super) path: PathBuf,
    pub(super) format: Format,
    pub(super) branches: Vec<Map>,
    pub(super) metadata: Metadata,
    pub(super) key: DataKey,
    pub(super) ivs: IvCache,
    pub(super) warnings: Vec<String>,
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
                (Segment::Index(n), _, Value::Seq(items)) if i > 0 => {
                    refuse_comment_counted_index(items, *n, path)?;
                    seq_values(items).nth(*n)
                }
                _ => None,
            };
            current = next.ok_or_else(|| Error::TreePath {
                message: format!("{path} not found in {}", self.path.display()),
            })?;
            map = None;
        }
        Ok(current)
    }

    /// Sets a value as `sops set` does: missing keys are created (a mapping, or a sequence
    /// when the next segment is an index), an existing key keeps its place, and an index at
    /// or past the end of a sequence appends one element (sops 3.11, checked; issue 15).
    pub fn set(&mut self, path: &TreePath, value: Value) -> Result<()> {
        let file = self.path.display().to_string();
        let Some(root) = self.branches.first_mut() else {
            return Err(Error::TreePath {
                message: "the file has no document".into(),
            });
        };
        match path.segments().split_first() {
            None => Err(Error::TreePath {
                message: "an empty path names the whole document; name a key".into(),
            }),
            Some((Segment::Index(_), _)) => Err(Error::TreePath {
                message: format!("{path}: the document root is a mapping"),
            }),
            Some((Segment::Key(k), rest)) => {
                let slot = map_slot(root, k, rest.first());
                set_at(slot, rest, value, path, &file)
            }
        }
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
                    refuse_comment_counted_index(items, *n, path)?;
                    seq_values_mut(items).nth(*n).ok_or_else(not_found)?
                }
                _ => return Err(not_found()),
            };
        }
        match (last, current) {
            (Segment::Key(k), Value::Map(m)) => m.remove(k).ok_or_else(not_found),
            (Segment::Index(n), Value::Seq(items)) => {
                refuse_comment_counted_index(items, *n, path)?;
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

/// Refuses a sequence index that sops would read differently: sops counts a comment of a
/// list as one of its items (`["l"][0]` of `l: [# c, a]` is the comment for sops 3.11,
/// checked; issue 15), this toolkit counts values only. When a comment comes before the
/// element named (or anywhere in the list, for an index past the values but not past
/// every item, where sops would not append), the two tools would
/// read or change different elements, so the path is refused instead of guessed.
fn refuse_comment_counted_index(items: &[SeqItem], n: usize, path: &TreePath) -> Result<()> {
    let raw = items
        .iter()
        .enumerate()
        .filter(|(_, it)| matches!(it, SeqItem::Value(_)))
        .nth(n)
        .map_or(items.len(), |(i, _)| i);
    if raw == items.len() && n >= items.len() {
        // Past the end for both tools: each appends.
        return Ok(());
    }
    let comments = items[..raw]
        .iter()
        .filter(|it| matches!(it, SeqItem::Comment(_)))
        .count();
    if comments == 0 {
        return Ok(());
    }
    Err(Error::TreePath {
        message: format!(
            "{path}: the list has {comments} comment(s) before element [{n}]; sops counts comments as list items, so its [{n}] names another item\nhint: this toolkit refuses an index the two tools read differently; remove the comment(s) before the element, or address it in sops"
        ),
    })
}

fn seq_values_mut(items: &mut [SeqItem]) -> impl Iterator<Item = &mut Value> {
    items.iter_mut().filter_map(|i| match i {
        SeqItem::Value(v) => Some(v),
        SeqItem::Comment(_) => None,
    })
}

/// An empty container for the segment that follows, or null when none does.
fn empty_for(next: Option<&Segment>) -> Value {
    match next {
        Some(Segment::Key(_)) => Value::Map(Map::new()),
        Some(Segment::Index(_)) => Value::Seq(Vec::new()),
        None => Value::Null,
    }
}

/// The value under `key`, inserted at the end as [`empty_for`] `next` when missing.
fn map_slot<'m>(map: &'m mut Map, key: &str, next: Option<&Segment>) -> &'m mut Value {
    if map.get(key).is_none() {
        map.push(key, empty_for(next));
    }
    map.get_mut(key).expect("just inserted")
}

fn set_at(
    slot: &mut Value,
    rest: &[Segment],
    value: Value,
    path: &TreePath,
    file: &str,
) -> Result<()> {
    let Some((seg, rest)) = rest.split_first() else {
        *slot = value;
        return Ok(());
    };
    let next = rest.first();
    let child = match (seg, slot) {
        (Segment::Key(k), Value::Map(m)) => map_slot(m, k, next),
        (Segment::Key(k), v @ Value::Null) => {
            *v = Value::Map(Map::new());
            let Value::Map(m) = v else {
                unreachable!("just set")
            };
            map_slot(m, k, next)
        }
        (Segment::Index(n), Value::Seq(items)) => {
            refuse_comment_counted_index(items, *n, path)?;
            if *n >= seq_values(items).count() {
                // sops appends one element for any index past the end.
                items.push(SeqItem::Value(empty_for(next)));
                match items.last_mut() {
                    Some(SeqItem::Value(v)) => v,
                    _ => unreachable!("just pushed a value"),
                }
            } else {
                seq_values_mut(items)
                    .nth(*n)
                    .expect("the index is below the count")
            }
        }
        _ => {
            return Err(Error::TreePath {
                message: format!("{path} does not fit the structure of {file}"),
            });
        }
    };
    set_at(child, rest, value, path, file)
}
