//! The high-level API: read, decrypt, edit and encrypt SOPS files.
//!
//! [`SopsFile`] is an encrypted file as stored; it answers keyless questions (recipients,
//! `lastmodified`, the scope rule, values kept in the clear). [`SopsFile::decrypt`] yields a
//! [`Decrypted`] tree, with the MAC verified, that can be edited, re-keyed and encrypted
//! again; unchanged values keep their IVs, as sops does. [`encrypt_plaintext`] encrypts a new
//! file for the recipients of a creation rule. The decrypted side lives in `decrypted`;
//! its public items are re-exported here (`bundle_core::sops::Decrypted`).

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::cipher::{self, DataKey};
use crate::engine::{self, IvCache, MacError, WalkError, WalkSettings};
use crate::error::{Error, Result};
use crate::format::Format;
use crate::fsio::{self, WriteOptions};
use crate::keys::Identities;
use crate::metadata::Metadata;
use crate::store::{self, EmitOptions};
use crate::tree::{Map, RawFile, Scalar, SeqItem, Value};
use crate::treepath::TreePath;

mod decrypted;

pub use decrypted::{Decrypted, EncryptSettings, encrypt_plaintext};

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
    /// Where the leaf is (its dotted name: [`TreePath::dotted`]).
    pub path: TreePath,
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

    /// This file with the key groups and Shamir threshold of `rewrapped` (this file,
    /// decrypted, after [`Decrypted::set_recipients`]), everything else kept byte for byte:
    /// the values' ciphertext, `lastmodified` and the MAC, as `sops updatekeys` keeps them
    /// (checked with sops 3.11; issue 15). Only valid while the data key is unchanged: after
    /// [`Decrypted::rotate_data_key`], encrypt the tree again instead.
    #[must_use]
    pub fn with_recipients_of(mut self, rewrapped: &Decrypted) -> Self {
        self.metadata
            .key_groups
            .clone_from(&rewrapped.metadata().key_groups);
        self.metadata.shamir_threshold = rewrapped.metadata().shamir_threshold;
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
        let mut path = TreePath::default();
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
            .map_err(|e| match e {
                MacError::Undecryptable => Error::MacUndecryptable {
                    path: self.path.clone(),
                },
                MacError::WrongType(value_type) => Error::MacBadType {
                    path: self.path.clone(),
                    value_type,
                },
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

fn collect_leaves(value: &Value, path: &mut TreePath, out: &mut Vec<LeafInfo>) {
    match value {
        Value::Null => {}
        Value::Map(map) => {
            for (k, v) in map.entries() {
                path.push_key(k);
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
                    path.push_index(index);
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
