//! The tree walk: which leaves are encrypted, their AAD, and the MAC (spec §3–§6).
//!
//! One walker serves encryption and decryption so both agree on order, paths and scope by
//! construction. Leaves are visited depth-first in document order over all branches; the
//! AAD of a value is its mapping keys joined by `:` plus a trailing `:` (sequence indices
//! add nothing); comments use their container's path. The MAC is SHA-512 over the
//! canonical plaintext of every non-null, non-comment leaf, hex-encoded in upper case.

use std::collections::HashMap;

use sha2::{Digest, Sha256, Sha512};
use zeroize::Zeroizing;

use crate::cipher::{self, DataKey, EncError, ValueCipher};
use crate::scope::ScopeRule;
use crate::tree::{Comment, Map, MapItem, Scalar, SeqItem, Text, Value};
use crate::value;

/// What went wrong at one leaf, before the file path is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkError {
    /// The ciphertext did not authenticate.
    #[allow(missing_docs)]
    Decrypt { tree_path: String },
    /// The value is not a well-formed `ENC[...]`.
    #[allow(missing_docs)]
    Malformed { tree_path: String, reason: String },
    /// Bad base64 in a field.
    #[allow(missing_docs)]
    Base64 {
        tree_path: String,
        field: &'static str,
    },
    /// Unknown `type:`.
    #[allow(missing_docs)]
    BadType {
        tree_path: String,
        value_type: String,
    },
    /// Plaintext does not parse as its type.
    #[allow(missing_docs)]
    BadPlaintext {
        tree_path: String,
        value_type: &'static str,
    },
}

/// Remembers the IV of each value decrypted in this run, keyed by its AAD, type and
/// plaintext, so that re-encrypting an unchanged value reuses its IV as sops does (unchanged
/// values then keep identical ciphertext under the same data key).
///
/// The key is the exact bytes, not a digest: a collision would reuse a GCM nonce for a
/// different plaintext. The copies are plaintext and are zeroized when the cache drops.
#[derive(Default)]
pub struct IvCache(HashMap<IvKey, [u8; 32]>);

#[derive(PartialEq, Eq, Hash)]
struct IvKey(Vec<u8>);

impl Drop for IvKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl std::fmt::Debug for IvCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IvCache({} entries)", self.0.len())
    }
}

impl IvCache {
    fn key(aad: &str, value_type: &str, plaintext: &[u8]) -> IvKey {
        let mut k = Vec::with_capacity(aad.len() + value_type.len() + plaintext.len() + 2);
        k.extend_from_slice(aad.as_bytes());
        k.push(0);
        k.extend_from_slice(value_type.as_bytes());
        k.push(0);
        k.extend_from_slice(plaintext);
        IvKey(k)
    }
}

/// Settings shared by both directions.
#[derive(Debug, Clone, Copy)]
pub struct WalkSettings<'a> {
    /// The scope rule.
    pub scope: &'a ScopeRule,
    /// MAC only over encrypted values.
    pub mac_only_encrypted: bool,
}

struct Walker<'a> {
    cipher: ValueCipher,
    settings: WalkSettings<'a>,
    path: Vec<String>,
    comments: Vec<Vec<String>>,
    mac: Sha512,
    /// Where decryption records IVs.
    record: Option<&'a mut IvCache>,
    /// Where encryption looks IVs up.
    lookup: Option<&'a IvCache>,
    /// Things worth telling the user that are not errors.
    warnings: Vec<String>,
}

impl<'a> Walker<'a> {
    fn new(
        key: &'a DataKey,
        settings: WalkSettings<'a>,
        record: Option<&'a mut IvCache>,
        lookup: Option<&'a IvCache>,
    ) -> Self {
        let mut mac = Sha512::new();
        if settings.mac_only_encrypted {
            mac.update(Sha256::digest(b"sops"));
        }
        Self {
            cipher: ValueCipher::new(key),
            settings,
            path: Vec::new(),
            comments: Vec::new(),
            mac,
            record,
            lookup,
            warnings: Vec::new(),
        }
    }

    fn aad(&self) -> String {
        let mut s = self.path.join(":");
        s.push(':');
        s
    }

    /// Whether a value at the current path is in scope. `own_comment` is set when the leaf
    /// is itself a comment, already noted as the last comment of the innermost level.
    fn in_scope(&self, own_comment: bool) -> bool {
        let depth = self.comments.len();
        let stack = || {
            self.comments
                .iter()
                .enumerate()
                .flat_map(move |(i, level)| {
                    // The encrypted-comment rule does not count the marker comment itself.
                    let take = if own_comment && i + 1 == depth {
                        level.len().saturating_sub(1)
                    } else {
                        level.len()
                    };
                    level[..take].iter().map(String::as_str)
                })
        };
        match self.settings.scope {
            ScopeRule::EncryptedCommentRegex(re) => stack().any(|c| re.is_match(c)),
            ScopeRule::UnencryptedCommentRegex(re) => {
                let own = own_comment
                    .then(|| self.comments.last().and_then(|l| l.last()))
                    .flatten()
                    .is_some_and(|c| re.is_match(c));
                !own && !stack().any(|c| re.is_match(c))
            }
            rule => rule.encrypts_path(self.path.iter().map(String::as_str)),
        }
    }

    fn feed_mac(&mut self, scalar: &Scalar, encrypted: bool) {
        if !self.settings.mac_only_encrypted || encrypted {
            self.mac.update(&*value::plaintext_bytes(scalar));
        }
    }

    fn finish(self) -> String {
        hex_upper(&self.mac.finalize())
    }

    fn note_comment(&mut self, text: &str) {
        if let Some(level) = self.comments.last_mut() {
            level.push(text.to_owned());
        }
    }

    fn end_item(&mut self) {
        if let Some(level) = self.comments.last_mut() {
            level.clear();
        }
    }

    // ---- encryption ----

    fn encrypt_map(&mut self, map: &mut Map) {
        self.comments.push(Vec::new());
        for item in &mut map.items {
            match item {
                MapItem::Comment(c) => self.encrypt_comment(c),
                MapItem::Entry(k, v) => {
                    self.path.push(k.clone());
                    self.encrypt_value(v);
                    self.path.pop();
                    self.end_item();
                }
            }
        }
        self.comments.pop();
    }

    fn encrypt_comment(&mut self, c: &mut Comment) {
        self.note_comment(c.text.as_str());
        if !c.text.is_empty() && self.in_scope(true) {
            c.text = Text::new(self.encrypt_bytes(c.text.as_str().as_bytes(), "comment"));
        }
    }

    fn encrypt_value(&mut self, v: &mut Value) {
        match v {
            Value::Null => {}
            Value::Map(m) => self.encrypt_map(m),
            Value::Seq(items) => {
                self.comments.push(Vec::new());
                for item in items.iter_mut() {
                    match item {
                        SeqItem::Comment(c) => {
                            self.encrypt_comment(c);
                            // In a sequence an encrypted comment is written as an element.
                            if cipher::is_enc(c.text.as_str()) {
                                *item = SeqItem::Value(Value::Scalar(Scalar::Str(c.text.clone())));
                            }
                        }
                        SeqItem::Value(inner) => {
                            self.encrypt_value(inner);
                            self.end_item();
                        }
                    }
                }
                self.comments.pop();
            }
            Value::Scalar(s) => {
                let encrypt = self.in_scope(false);
                self.feed_mac(s, encrypt);
                let empty = matches!(s, Scalar::Str(t) if t.is_empty());
                if encrypt && !empty {
                    let ty = value::type_name(s);
                    let bytes = value::plaintext_bytes(s);
                    *s = Scalar::Str(Text::new(self.encrypt_bytes(&bytes, ty)));
                }
            }
        }
    }

    fn encrypt_bytes(&mut self, plaintext: &[u8], value_type: &str) -> String {
        let aad = self.aad();
        let iv = self
            .lookup
            .filter(|c| !c.0.is_empty())
            .and_then(|c| c.0.get(&IvCache::key(&aad, value_type, plaintext)).copied());
        self.cipher
            .encrypt(plaintext, aad.as_bytes(), value_type, iv)
    }

    // ---- decryption ----

    fn decrypt_map(&mut self, map: &mut Map) -> Result<(), WalkError> {
        self.comments.push(Vec::new());
        for item in &mut map.items {
            match item {
                MapItem::Comment(c) => self.decrypt_comment(c),
                MapItem::Entry(k, v) => {
                    self.path.push(k.clone());
                    self.decrypt_value(v)?;
                    self.path.pop();
                    self.end_item();
                }
            }
        }
        self.comments.pop();
        Ok(())
    }

    fn decrypt_comment(&mut self, c: &mut Comment) {
        // A comment that is not ENC[...] was left in the clear (a comment rule, or a person
        // editing the file); it is kept as it is. Comments are never part of the MAC.
        if cipher::is_enc(c.text.as_str())
            && let Some(plain) = self.decrypt_comment_text(c.text.as_str())
        {
            c.text = plain;
        }
        self.note_comment(c.text.as_str());
    }

    /// Decrypts an encrypted comment line, or keeps it (returning `None`) with a warning, as
    /// sops 3.11 does: YAML may attach a comment that ends a nested block to that block, so
    /// its AAD no longer matches; comments are outside the MAC, so nothing else depends on it.
    /// A comment stored as a sequence element is not a comment line and never comes here.
    fn decrypt_comment_text(&mut self, enc: &str) -> Option<Text> {
        if let Ok((plain, _)) = self.decrypt_string(enc, Some("comment")) {
            return Some(plain);
        }
        self.warnings.push(format!(
            "a comment at `{}` could not be decrypted and is kept encrypted \
                 (YAML may have attached it to a neighbouring block)",
            self.aad()
        ));
        None
    }

    fn decrypt_value(&mut self, v: &mut Value) -> Result<(), WalkError> {
        match v {
            Value::Null => Ok(()),
            Value::Map(m) => self.decrypt_map(m),
            Value::Seq(items) => {
                self.comments.push(Vec::new());
                for item in items.iter_mut() {
                    match item {
                        SeqItem::Comment(c) => self.decrypt_comment(c),
                        SeqItem::Value(Value::Scalar(Scalar::Str(t)))
                            if cipher::is_enc(t.as_str())
                                && enc_type(t.as_str()) == Some("comment") =>
                        {
                            // A comment stored as a sequence element is a value to sops:
                            // if it does not authenticate, decryption fails (sops exits 25).
                            // Only comment lines get the warning (issue 15).
                            let (text, _) = self.decrypt_string(t.as_str(), Some("comment"))?;
                            self.note_comment(text.as_str());
                            *item = SeqItem::Comment(Comment { text });
                        }
                        SeqItem::Value(inner) => {
                            self.decrypt_value(inner)?;
                            self.end_item();
                        }
                    }
                }
                self.comments.pop();
                Ok(())
            }
            Value::Scalar(s) => {
                let encrypted = self.in_scope(false);
                if encrypted {
                    match s {
                        Scalar::Str(t) if t.is_empty() => {}
                        Scalar::Str(t) => {
                            let text = t.clone();
                            let (_, scalar) = self.decrypt_string(text.as_str(), None)?;
                            *s = scalar.expect("a non-comment value always yields a scalar");
                        }
                        _ => {
                            return Err(WalkError::Malformed {
                                tree_path: self.aad(),
                                reason: "expected an ENC[...] string, found a plain value"
                                    .to_owned(),
                            });
                        }
                    }
                }
                self.feed_mac(s, encrypted);
                Ok(())
            }
        }
    }

    /// Decrypts one `ENC[...]`. For comments returns the text; for values the scalar too.
    fn decrypt_string(
        &mut self,
        enc: &str,
        expect: Option<&str>,
    ) -> Result<(Text, Option<Scalar>), WalkError> {
        let aad = self.aad();
        let parsed = cipher::parse_enc(enc).map_err(|e| walk_error(&e, &aad))?;
        let ty = parsed.value_type;
        let is_comment = ty == "comment";
        if expect == Some("comment") && !is_comment {
            return Err(WalkError::BadType {
                tree_path: aad,
                value_type: ty.to_owned(),
            });
        }
        if !matches!(ty, "str" | "int" | "float" | "bool" | "time" | "comment") {
            return Err(WalkError::BadType {
                tree_path: aad,
                value_type: ty.to_owned(),
            });
        }
        let plain = self
            .cipher
            .decrypt(&parsed, aad.as_bytes())
            .map_err(|e| walk_error(&e, &aad))?;
        if let (Some(iv), Some(cache)) = (cipher::iv32(&parsed), self.record.as_deref_mut()) {
            cache.0.insert(IvCache::key(&aad, ty, &plain), iv);
        }
        if is_comment {
            let text = String::from_utf8(plain.to_vec()).map_err(|_| WalkError::BadPlaintext {
                tree_path: aad.clone(),
                value_type: "comment",
            })?;
            return Ok((Text::new(text), None));
        }
        let static_ty = match ty {
            "str" => "str",
            "int" => "int",
            "float" => "float",
            "bool" => "bool",
            _ => "time",
        };
        let scalar = value::parse_plaintext(ty, plain).map_err(|()| WalkError::BadPlaintext {
            tree_path: aad,
            value_type: static_ty,
        })?;
        Ok((Text::default(), Some(scalar)))
    }
}

fn enc_type(s: &str) -> Option<&str> {
    cipher::parse_enc(s).ok().map(|v| v.value_type)
}

fn walk_error(e: &EncError, aad: &str) -> WalkError {
    let tree_path = aad.to_owned();
    match *e {
        EncError::Auth => WalkError::Decrypt { tree_path },
        EncError::Base64(field) => WalkError::Base64 { tree_path, field },
        EncError::Malformed(reason) => WalkError::Malformed {
            tree_path,
            reason: reason.to_owned(),
        },
        EncError::IvLength(n) => WalkError::Malformed {
            tree_path,
            reason: format!("unsupported IV length {n}"),
        },
        EncError::TagLength(n) => WalkError::Malformed {
            tree_path,
            reason: format!("tag has {n} bytes, expected 16"),
        },
    }
}

/// Encrypts every in-scope leaf of `branches` in place and returns the MAC (upper hex).
pub fn encrypt_branches(
    branches: &mut [Map],
    key: &DataKey,
    settings: WalkSettings<'_>,
    ivs: &IvCache,
) -> String {
    let mut walker = Walker::new(key, settings, None, Some(ivs));
    for branch in branches {
        walker.encrypt_map(branch);
    }
    walker.finish()
}

/// Decrypts every in-scope leaf of `branches` in place; returns the computed MAC and the
/// warnings (comments that could not be decrypted and were kept as they are).
pub fn decrypt_branches(
    branches: &mut [Map],
    key: &DataKey,
    settings: WalkSettings<'_>,
    ivs: &mut IvCache,
) -> Result<(String, Vec<String>), WalkError> {
    let mut walker = Walker::new(key, settings, Some(ivs), None);
    for branch in branches {
        walker.decrypt_map(branch)?;
    }
    let warnings = std::mem::take(&mut walker.warnings);
    Ok((walker.finish(), warnings))
}

/// The MAC of a plaintext tree, without encrypting anything.
pub fn compute_mac(branches: &[Map], settings: WalkSettings<'_>) -> String {
    let mut copy = branches.to_vec();
    let key = DataKey::generate();
    encrypt_branches(&mut copy, &key, settings, &IvCache::default())
}

/// Encrypts the MAC hex string with AAD = the re-formatted `lastmodified`.
pub fn encrypt_mac(mac_hex: &str, key: &DataKey, lastmodified: &str) -> Option<String> {
    let aad = crate::time::lastmodified_aad(lastmodified)?;
    Some(cipher::encrypt(
        key,
        mac_hex.as_bytes(),
        aad.as_bytes(),
        "str",
        None,
    ))
}

/// Why the stored MAC could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MacError {
    /// Malformed, or it does not authenticate under the data key and `lastmodified`.
    Undecryptable,
    /// It authenticates but is not stored as `type:str`. The type is outside the AAD, so
    /// only this check catches an edited tag; sops refuses every other type too (exit 51).
    WrongType(String),
}

/// Decrypts the stored MAC. `Ok(None)` for an empty MAC.
pub fn decrypt_mac(
    stored: &str,
    key: &DataKey,
    lastmodified: &str,
) -> Result<Option<String>, MacError> {
    if stored.is_empty() {
        return Ok(None);
    }
    let aad = crate::time::lastmodified_aad(lastmodified).ok_or(MacError::Undecryptable)?;
    let parsed = cipher::parse_enc(stored).map_err(|_| MacError::Undecryptable)?;
    if parsed.value_type != "str" {
        return Err(MacError::WrongType(parsed.value_type.to_owned()));
    }
    let plain =
        cipher::decrypt(key, &parsed, aad.as_bytes()).map_err(|_| MacError::Undecryptable)?;
    String::from_utf8(plain.to_vec())
        .map(Some)
        .map_err(|_| MacError::Undecryptable)
}

fn hex_upper(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 0xF)] as char);
    }
    s
}

/// Zeroizing plaintext bytes of a scalar, re-exported for callers that hash values.
pub fn leaf_bytes(scalar: &Scalar) -> Zeroizing<Vec<u8>> {
    value::plaintext_bytes(scalar)
}
