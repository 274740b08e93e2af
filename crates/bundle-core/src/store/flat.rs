//! Helpers shared by the line-based stores (dotenv, INI) and the JSON emitter.
//!
//! * The flat metadata form (spec §8.3, §8.4): the `sops` mapping becomes one line per leaf,
//!   keyed by the path with `__map_<key>` and `__list_<n>` separators, string values with
//!   newlines written as the two characters `\n`. [`flatten`] and [`unflatten`] convert
//!   between that form and the mapping the other stores keep as it is.
//! * How sops turns a non-string scalar into text for dotenv and INI values (Go's
//!   `stores.ValToString`).
//! * [`OutBuf`], the output buffer of every emitter here: its text is plaintext after
//!   decryption, so it zeroizes each allocation it outgrows.
//!
//! Everything here is linear in the number of values: lookups go through hash indexes,
//! never through the linear [`Map::get`].

use std::collections::{BTreeMap, HashMap};
use std::ops::Deref;

use zeroize::Zeroizing;

use crate::error::StoreError;
use crate::tree::{Map, MapItem, Scalar, SeqItem, Text, Value};
use crate::value::{format_float_go_g, format_float_positional};

const MAP_SEPARATOR: &str = "__map_";
const LIST_SEPARATOR: &str = "__list_";

/// A growable output buffer that zeroizes every allocation it leaves behind.
///
/// Emitted text holds plaintext after decryption; a plain `Vec` would leave old copies in
/// freed memory each time it grows. Zeroizing is best effort (see STYLE.md).
pub(super) struct OutBuf {
    buf: Zeroizing<Vec<u8>>,
}

impl OutBuf {
    /// An empty buffer with room for `capacity` bytes.
    pub(super) fn with_capacity(capacity: usize) -> Self {
        Self {
            buf: Zeroizing::new(Vec::with_capacity(capacity)),
        }
    }

    fn reserve(&mut self, extra: usize) {
        let needed = self.buf.len() + extra;
        if needed > self.buf.capacity() {
            let mut grown = Zeroizing::new(Vec::with_capacity(
                needed.max(self.buf.capacity() * 2).max(64),
            ));
            grown.extend_from_slice(&self.buf);
            // The old allocation is zeroized when it drops here.
            self.buf = grown;
        }
    }

    /// Appends bytes.
    pub(super) fn push_bytes(&mut self, bytes: &[u8]) {
        self.reserve(bytes.len());
        self.buf.extend_from_slice(bytes);
    }

    /// Appends text.
    pub(super) fn push_str(&mut self, s: &str) {
        self.push_bytes(s.as_bytes());
    }

    /// Appends one byte.
    pub(super) fn push(&mut self, byte: u8) {
        self.reserve(1);
        self.buf.push(byte);
    }

    /// Appends `count` copies of `byte`.
    pub(super) fn push_repeat(&mut self, byte: u8, count: usize) {
        self.reserve(count);
        let len = self.buf.len();
        self.buf.resize(len + count, byte);
    }

    /// Appends text with every newline written as the two characters `\n`.
    pub(super) fn push_escaping_newlines(&mut self, s: &str) {
        let mut rest = s;
        while let Some(pos) = rest.find('\n') {
            self.push_str(&rest[..pos]);
            self.push_str("\\n");
            rest = &rest[pos + 1..];
        }
        self.push_str(rest);
    }

    /// The finished bytes (the caller now owns the only copy).
    pub(super) fn into_vec(mut self) -> Vec<u8> {
        std::mem::take(&mut *self.buf)
    }
}

/// Replaces every two-character `\n` with a newline, as Go's `strings.Replace` does
/// (left to right, non-overlapping). The result is sized up front.
pub(super) fn unescape_newlines(s: &str) -> Text {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find("\\n") {
        out.push_str(&rest[..pos]);
        out.push('\n');
        rest = &rest[pos + 2..];
    }
    out.push_str(rest);
    Text::new(out)
}

/// Scalar text as sops writes it into a dotenv or INI value.
pub(super) enum GoText<'a> {
    /// A string scalar, as it is.
    Borrowed(&'a str),
    /// Text made from a typed scalar.
    Owned(Zeroizing<String>),
}

impl Deref for GoText<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            GoText::Borrowed(s) => s,
            GoText::Owned(s) => s,
        }
    }
}

/// Why a value has no dotenv/INI text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NotText {
    /// A mapping or sequence.
    Complex,
    /// Bytes that are not UTF-8 (only the binary store makes these).
    Bytes,
}

/// Go's `stores.ValToString`, which sops applies to non-string values of dotenv and INI
/// files: `true`/`false`, decimal integers, floats in `%G` form with at least one decimal
/// (`3.0`, `1E+21`), times in RFC 3339 without fraction, and `<nil>` for null (what Go's
/// `%v` prints; sops really writes that).
pub(super) fn go_value_text(value: &Value) -> Result<GoText<'_>, NotText> {
    let owned = |s: String| Ok(GoText::Owned(Zeroizing::new(s)));
    match value {
        Value::Null => owned("<nil>".to_owned()),
        Value::Map(_) | Value::Seq(_) => Err(NotText::Complex),
        Value::Scalar(scalar) => match scalar {
            Scalar::Str(t) => Ok(GoText::Borrowed(t.as_str())),
            Scalar::Int(i) => owned(i.to_string()),
            Scalar::Float(f) => owned(go_float_upper_g(*f)),
            Scalar::Bool(b) => owned(b.to_string()),
            Scalar::Time(t) => owned(time_without_fraction(t.as_str())),
            Scalar::Bytes(_) => Err(NotText::Bytes),
        },
    }
}

/// Go `strconv.FormatFloat(f, 'G', -1, 64)`, then `'f', 1` when that looks like an integer.
fn go_float_upper_g(f: f64) -> String {
    let g = format_float_go_g(f).replace('e', "E");
    if g.contains('.') || g.contains('E') {
        g
    } else if f.is_finite() {
        format!("{}.0", format_float_positional(f))
    } else {
        g
    }
}

/// Drops the fractional seconds of a canonical RFC 3339 time (Go `time.RFC3339`).
fn time_without_fraction(t: &str) -> String {
    match (t.find('T'), t.rfind('.')) {
        (Some(tpos), Some(dot)) if dot > tpos => {
            let digits = t[dot + 1..].bytes().take_while(u8::is_ascii_digit).count();
            format!("{}{}", &t[..dot], &t[dot + 1 + digits..])
        }
        _ => t.to_owned(),
    }
}

/// Flattens the metadata mapping into `(flat key, value)` lines, sorted byte-wise by key,
/// nulls and empty containers skipped, newlines written as `\n` (spec §8.3).
pub(super) fn flatten(metadata: &Map) -> Result<Vec<(String, String)>, StoreError> {
    let mut out = BTreeMap::new();
    let mut key = String::new();
    flatten_map(metadata, &mut key, &mut out, true)?;
    Ok(out.into_iter().collect())
}

fn flatten_map(
    map: &Map,
    key: &mut String,
    out: &mut BTreeMap<String, String>,
    top: bool,
) -> Result<(), StoreError> {
    for (k, v) in map.entries() {
        let len = key.len();
        if !top {
            key.push_str(MAP_SEPARATOR);
        }
        key.push_str(k);
        flatten_value(v, key, out)?;
        key.truncate(len);
    }
    Ok(())
}

fn flatten_value(
    value: &Value,
    key: &mut String,
    out: &mut BTreeMap<String, String>,
) -> Result<(), StoreError> {
    match value {
        Value::Null => {}
        Value::Map(m) => flatten_map(m, key, out, false)?,
        Value::Seq(items) => {
            let values = items.iter().filter_map(|item| match item {
                SeqItem::Value(v) => Some(v),
                SeqItem::Comment(_) => None,
            });
            for (i, v) in values.enumerate() {
                let len = key.len();
                key.push_str(LIST_SEPARATOR);
                key.push_str(&i.to_string());
                flatten_value(v, key, out)?;
                key.truncate(len);
            }
        }
        Value::Scalar(_) => {
            let text = go_value_text(value).map_err(|_| {
                StoreError::new(format!(
                    "sops metadata entry `{key}` holds bytes that are not UTF-8"
                ))
            })?;
            out.insert(key.clone(), text.replace('\n', "\\n"));
        }
    }
    Ok(())
}

/// One `sops_*` line (dotenv, prefix removed) or `[sops]` key (INI).
pub(super) struct FlatEntry {
    /// The flat key without the `sops_` prefix.
    pub(super) key: String,
    /// The value, newlines already unescaped.
    pub(super) value: Text,
    /// Where it was read, for errors.
    pub(super) line: usize,
}

enum Token<'a> {
    Key(&'a str),
    Index(usize),
}

/// Splits a flat key at every `__map_` / `__list_`, as sops' `tokenize` does.
fn tokenize(path: &str, line: usize, max_index: usize) -> Result<Vec<Token<'_>>, StoreError> {
    let bytes = path.as_bytes();
    let mut tokens = Vec::new();
    // Start of the current token's text, and whether it is a list index.
    let mut start = 0;
    let mut is_index = false;
    let mut i = 0;
    while i <= bytes.len() {
        let separator = if i == bytes.len() {
            Some((0, false))
        } else if bytes[i..].starts_with(MAP_SEPARATOR.as_bytes()) {
            Some((MAP_SEPARATOR.len(), false))
        } else if bytes[i..].starts_with(LIST_SEPARATOR.as_bytes()) {
            Some((LIST_SEPARATOR.len(), true))
        } else {
            None
        };
        let Some((len, next_is_index)) = separator else {
            i += 1;
            continue;
        };
        let text = &path[start..i];
        if is_index {
            let index = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
                text.parse::<usize>().ok()
            } else {
                None
            };
            match index {
                Some(n) if n < max_index => tokens.push(Token::Index(n)),
                Some(_) => {
                    return Err(StoreError::at(
                        line,
                        "sops metadata key has a list index beyond the number of entries",
                    ));
                }
                None => {
                    return Err(StoreError::at(
                        line,
                        "sops metadata key has a list index that is not a number",
                    ));
                }
            }
        } else {
            tokens.push(Token::Key(text));
        }
        if i == bytes.len() {
            break;
        }
        i += len;
        start = i;
        is_index = next_is_index;
    }
    Ok(tokens)
}

enum Node {
    Leaf(Text),
    Map(MapNode),
    List(BTreeMap<usize, Node>),
}

#[derive(Default)]
struct MapNode {
    items: Vec<(String, Node)>,
    index: HashMap<String, usize>,
}

impl MapNode {
    fn slot(&mut self, key: &str) -> Option<&mut Node> {
        let i = *self.index.get(key)?;
        Some(&mut self.items[i].1)
    }

    fn push(&mut self, key: &str, node: Node) -> &mut Node {
        self.index.insert(key.to_owned(), self.items.len());
        self.items.push((key.to_owned(), node));
        &mut self.items.last_mut().expect("an item was just pushed").1
    }
}

/// Rebuilds the metadata mapping from flat entries (spec §8.3): values stay strings; a later
/// entry for the same key wins, as in sops; a key that is both a leaf and a container, or a
/// list index that is not a number, is an error naming the line.
pub(super) fn unflatten(entries: Vec<FlatEntry>) -> Result<Map, StoreError> {
    let max_index = entries.len();
    let mut root = Node::Map(MapNode::default());
    for entry in entries {
        let line = entry.line;
        let conflict = || {
            StoreError::at(
                line,
                "sops metadata key conflicts with another metadata key",
            )
        };
        let tokens = tokenize(&entry.key, line, max_index)?;
        let (last, parents) = tokens
            .split_last()
            .expect("tokenize returns at least one token");
        let mut node = &mut root;
        for (pos, token) in parents.iter().enumerate() {
            node = descend(node, token, &tokens[pos + 1]).ok_or_else(conflict)?;
        }
        set_leaf(node, last, entry.value).ok_or_else(conflict)?;
    }
    let mut gap_budget = max_index;
    match root {
        Node::Map(m) => finish_map(m, &mut gap_budget),
        _ => unreachable!("the root is a map"),
    }
}

/// The child container under `token`, created to suit `next` when missing.
fn descend<'n>(node: &'n mut Node, token: &Token<'_>, next: &Token<'_>) -> Option<&'n mut Node> {
    let child = match (node, token) {
        (Node::Map(m), Token::Key(k)) => {
            if m.index.contains_key(*k) {
                m.slot(k).expect("the index names an item")
            } else {
                m.push(k, empty_for(next))
            }
        }
        (Node::List(l), Token::Index(i)) => l.entry(*i).or_insert_with(|| empty_for(next)),
        _ => return None,
    };
    same_kind(child, next).then_some(child)
}

/// Sets the leaf under `token`; a later entry for the same key wins.
fn set_leaf(node: &mut Node, token: &Token<'_>, value: Text) -> Option<()> {
    let slot = match (node, token) {
        (Node::Map(m), Token::Key(k)) => {
            if m.index.contains_key(*k) {
                m.slot(k).expect("the index names an item")
            } else {
                m.push(k, Node::Leaf(Text::default()))
            }
        }
        (Node::List(l), Token::Index(i)) => {
            l.entry(*i).or_insert_with(|| Node::Leaf(Text::default()))
        }
        _ => return None,
    };
    match slot {
        Node::Leaf(t) => {
            *t = value;
            Some(())
        }
        _ => None,
    }
}

fn empty_for(next: &Token<'_>) -> Node {
    match next {
        Token::Key(_) => Node::Map(MapNode::default()),
        Token::Index(_) => Node::List(BTreeMap::new()),
    }
}

fn same_kind(node: &Node, next: &Token<'_>) -> bool {
    matches!(
        (node, next),
        (Node::Map(_), Token::Key(_)) | (Node::List(_), Token::Index(_))
    )
}

fn finish_map(node: MapNode, gap_budget: &mut usize) -> Result<Map, StoreError> {
    let mut map = Map::new();
    map.items.reserve(node.items.len());
    for (key, child) in node.items {
        map.items
            .push(MapItem::Entry(key, finish_node(child, gap_budget)?));
    }
    Ok(map)
}

fn finish_node(node: Node, gap_budget: &mut usize) -> Result<Value, StoreError> {
    Ok(match node {
        Node::Leaf(text) => Value::Scalar(Scalar::Str(text)),
        Node::Map(m) => Value::Map(finish_map(m, gap_budget)?),
        Node::List(list) => {
            let len = list.keys().next_back().map_or(0, |last| last + 1);
            // sops fills missing list positions with null; bound how many so a hostile file
            // cannot make us allocate more slots than it has lines.
            let gaps = len - list.len();
            if gaps > *gap_budget {
                return Err(StoreError::new(
                    "sops metadata lists have too many missing positions",
                ));
            }
            *gap_budget -= gaps;
            let mut items = Vec::with_capacity(len);
            for (index, child) in list {
                while items.len() < index {
                    items.push(SeqItem::Value(Value::Null));
                }
                items.push(SeqItem::Value(finish_node(child, gap_budget)?));
            }
            Value::Seq(items)
        }
    })
}

#[cfg(test)]
mod tests;
