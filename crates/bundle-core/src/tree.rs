//! The ordered document tree shared by every store.
//!
//! A SOPS document is a list of branches (one per YAML document, exactly one for the other
//! formats). Each branch is an ordered mapping whose items are entries or comments. Key order
//! and comment positions are data: the MAC depends on the order of values and users expect
//! their comments back, so nothing here ever sorts or drops an item.
//!
//! Scalar text lives in [`Text`] (a zeroizing string) because after decryption it is
//! plaintext; no type in this module prints a scalar in its `Debug` output.

use std::fmt;

use zeroize::Zeroizing;

/// A string that may hold plaintext: zeroized on drop, redacted in `Debug`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Text(Zeroizing<String>);

impl Text {
    /// Wraps a string (the caller's copy moves in; no extra copy is made).
    pub fn new(s: String) -> Self {
        Self(Zeroizing::new(s))
    }

    /// The text. Keep the borrow short when the text is plaintext.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the text is empty (empty strings are never encrypted).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Self::new(s.to_owned())
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A typed scalar leaf. The variant decides the `type:` of its `ENC[...]` value.
#[derive(Clone, PartialEq)]
pub enum Scalar {
    /// A string (`type:str`).
    Str(Text),
    /// A 64-bit signed integer (`type:int`).
    Int(i64),
    /// A float (`type:float`); every JSON number is one.
    Float(f64),
    /// A boolean (`type:bool`, plaintext `True`/`False`).
    Bool(bool),
    /// A timestamp (`type:time`), kept as its canonical RFC 3339 text
    /// (see [`crate::value::canonical_time`]).
    Time(Text),
    /// A string whose bytes are not valid UTF-8 (`type:str`); only the binary store makes one.
    Bytes(Zeroizing<Vec<u8>>),
}

impl fmt::Debug for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Scalar::Str(_) => "Str",
            Scalar::Int(_) => "Int",
            Scalar::Float(_) => "Float",
            Scalar::Bool(_) => "Bool",
            Scalar::Time(_) => "Time",
            Scalar::Bytes(_) => "Bytes",
        };
        write!(f, "{kind}(<redacted>)")
    }
}

/// A comment. `text` is what followed the `#` (YAML/dotenv, leading space kept) or the
/// stripped comment text (INI); in an encrypted file it is an `ENC[...]` string.
#[derive(Clone, PartialEq, Debug)]
pub struct Comment {
    /// The comment's text without the comment marker.
    pub text: Text,
}

impl Comment {
    /// A comment with the given text.
    pub fn new(text: impl Into<Text>) -> Self {
        Self { text: text.into() }
    }
}

/// Any node of the tree.
#[derive(Clone, PartialEq, Debug)]
pub enum Value {
    /// `null` (never encrypted, never part of the MAC).
    Null,
    /// A typed leaf.
    Scalar(Scalar),
    /// An ordered mapping.
    Map(Map),
    /// A sequence.
    Seq(Vec<SeqItem>),
}

impl Value {
    /// A string scalar.
    pub fn str(s: impl Into<Text>) -> Self {
        Value::Scalar(Scalar::Str(s.into()))
    }

    /// The mapping, if this is one.
    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The string text, if this is a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Scalar(Scalar::Str(t)) => Some(t.as_str()),
            _ => None,
        }
    }
}

/// An item of a mapping: an entry, or a comment standing between entries.
#[derive(Clone, PartialEq, Debug)]
pub enum MapItem {
    /// `key: value`. Keys are plaintext in SOPS and are not secret.
    Entry(String, Value),
    /// A comment line.
    Comment(Comment),
}

/// An item of a sequence: a value, or a comment standing between values.
#[derive(Clone, PartialEq, Debug)]
pub enum SeqItem {
    /// An element.
    Value(Value),
    /// A comment line.
    Comment(Comment),
}

/// An ordered mapping. Lookups are linear: documents are small and order is what matters.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct Map {
    /// The items in document order.
    pub items: Vec<MapItem>,
}

impl Map {
    /// An empty mapping.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of `key`, if present (the first one if a key repeats).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.items.iter().find_map(|item| match item {
            MapItem::Entry(k, v) if k == key => Some(v),
            _ => None,
        })
    }

    /// The value of `key` for editing.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.items.iter_mut().find_map(|item| match item {
            MapItem::Entry(k, v) if k == key => Some(v),
            _ => None,
        })
    }

    /// Sets `key` in place when it exists (keeping its position), else appends it.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) {
        let key = key.into();
        if let Some(slot) = self.get_mut(&key) {
            *slot = value;
        } else {
            self.items.push(MapItem::Entry(key, value));
        }
    }

    /// Appends an entry without looking for an existing one.
    pub fn push(&mut self, key: impl Into<String>, value: Value) {
        self.items.push(MapItem::Entry(key.into(), value));
    }

    /// Removes `key` and returns its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let pos = self
            .items
            .iter()
            .position(|item| matches!(item, MapItem::Entry(k, _) if k == key))?;
        match self.items.remove(pos) {
            MapItem::Entry(_, v) => Some(v),
            MapItem::Comment(_) => None,
        }
    }

    /// The entries, skipping comments.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.items.iter().filter_map(|item| match item {
            MapItem::Entry(k, v) => Some((k.as_str(), v)),
            MapItem::Comment(_) => None,
        })
    }

    /// Whether the mapping has no entries and no comments.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// A parsed file: its branches and, when it is a SOPS file, the raw `sops` metadata mapping.
///
/// Stores produce and consume this; [`crate::metadata`] turns `metadata` into typed fields.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct RawFile {
    /// One mapping per document, `sops` key removed.
    pub branches: Vec<Map>,
    /// The `sops` mapping (YAML/JSON), or the unflattened `sops_*` keys (dotenv) / `[sops]`
    /// section (INI); `None` when the file has no metadata.
    pub metadata: Option<Map>,
}
