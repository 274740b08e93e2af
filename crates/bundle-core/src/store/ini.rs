//! The INI store (spec §8.4): INI text ↔ [`RawFile`], as sops 3.11 does it with go-ini.
//!
//! The branch holds one entry per section, in file order, each a mapping of string values;
//! the implicit `DEFAULT` section (keys before the first header) is always the first entry,
//! even when empty. Sections may repeat. Reading follows go-ini's default options:
//!
//! * `=` or `:` separates key and value (the first of either); keys and values are trimmed;
//!   a repeated key keeps its first position and takes the last value (and comment).
//! * In an unquoted value, `;` or `#` starts an inline comment; a value wrapped in `'…'` or
//!   `"…"` (no other such quote inside) loses the quotes; `` `…` `` and `"""…"""` quote
//!   verbatim and may span lines; a trailing `\` continues the value on the next line.
//! * Comment lines before a section header (and the header's inline comment) become the
//!   section's first item; comment lines before a key (and its inline comment) become the
//!   item **after** the key. Their text loses its leading `;`/`#` and spaces.
//!
//! Writing follows go-ini's pretty printer: `DEFAULT` keys without a header, `key = value`
//! with `=` aligned per section (by bytes), a blank line between sections, comments as
//! `; text` above their section or key, values and keys quoted when they need it.
//!
//! Metadata lives in the `[sops]` section, flattened like dotenv but without the `sops_`
//! prefix; it is written last with its keys sorted (sops' own order is random).
//!
//! Errors give a line number and what was expected, never any text of the file.

use std::collections::HashMap;

use zeroize::Zeroizing;

use crate::error::StoreError;
use crate::store::flat::{self, FlatEntry, GoText, NotText, OutBuf};
use crate::tree::{Comment, Map, MapItem, RawFile, Scalar, Text, Value};

/// The implicit first section.
const DEFAULT_SECTION: &str = "DEFAULT";
/// The section holding the flattened metadata.
const SOPS_SECTION: &str = "sops";
/// Key/value delimiters go-ini accepts by default.
const DELIMITERS: [char; 2] = ['=', ':'];

struct Section {
    name: String,
    comment: String,
    keys: Vec<Key>,
    index: HashMap<String, usize>,
}

impl Section {
    fn new(name: String) -> Self {
        Self {
            name,
            comment: String::new(),
            keys: Vec::new(),
            index: HashMap::new(),
        }
    }
}

struct Key {
    name: String,
    value: Text,
    comment: String,
    line: usize,
}

/// Parses INI text.
pub fn parse(input: &[u8]) -> Result<RawFile, StoreError> {
    let input = strip_bom(input);
    let text = std::str::from_utf8(input).map_err(|e| {
        let line = input[..e.valid_up_to()].split(|&b| b == b'\n').count();
        StoreError::at(line, "the line is not valid UTF-8")
    })?;
    let sections = Reader {
        lines: text.split_inclusive('\n').collect(),
        next: 0,
    }
    .read()?;

    let metadata = match sections.iter().find(|s| s.name == SOPS_SECTION) {
        None => None,
        Some(section) => {
            let entries = section
                .keys
                .iter()
                .map(|k| FlatEntry {
                    key: k.name.clone(),
                    value: flat::unescape_newlines(k.value.as_str()),
                    line: k.line,
                })
                .collect();
            Some(flat::unflatten(entries)?)
        }
    };

    let mut branch = Map::new();
    for section in sections {
        if metadata.is_some() && section.name == SOPS_SECTION {
            continue;
        }
        let mut map = Map::new();
        if !section.comment.is_empty() {
            map.items
                .push(MapItem::Comment(Comment::new(strip_comment_char(
                    &section.comment,
                ))));
        }
        for key in section.keys {
            map.items.push(MapItem::Entry(
                key.name,
                Value::Scalar(Scalar::Str(key.value)),
            ));
            if !key.comment.is_empty() {
                map.items
                    .push(MapItem::Comment(Comment::new(strip_comment_char(
                        &key.comment,
                    ))));
            }
        }
        branch
            .items
            .push(MapItem::Entry(section.name, Value::Map(map)));
    }
    Ok(RawFile {
        branches: vec![branch],
        metadata,
    })
}

/// go-ini skips a UTF-8 byte order mark, and the first two bytes of a UTF-16 one.
fn strip_bom(input: &[u8]) -> &[u8] {
    if let Some(rest) = input.strip_prefix(b"\xEF\xBB\xBF") {
        rest
    } else if input.starts_with(b"\xFE\xFF") || input.starts_with(b"\xFF\xFE") {
        &input[2..]
    } else {
        input
    }
}

/// sops' `stripCommentChar`: drops a leading run of `;`/space (or `#`/space).
fn strip_comment_char(comment: &str) -> String {
    if comment.starts_with(';') {
        comment.trim_start_matches([';', ' ']).to_owned()
    } else if comment.starts_with('#') {
        comment.trim_start_matches(['#', ' ']).to_owned()
    } else {
        comment.to_owned()
    }
}

/// From the first `#` or `;` on, if any.
fn inline_comment(s: &str) -> Option<&str> {
    s.find(['#', ';']).map(|i| &s[i..])
}

struct Reader<'a> {
    /// Lines with their `\n` (the last may lack it).
    lines: Vec<&'a str>,
    /// Index of the next unread line.
    next: usize,
}

impl<'a> Reader<'a> {
    /// The next raw line and its 1-based number.
    fn next_line(&mut self) -> Option<(&'a str, usize)> {
        let line = *self.lines.get(self.next)?;
        self.next += 1;
        Some((line, self.next))
    }

    fn read(mut self) -> Result<Vec<Section>, StoreError> {
        let mut sections = vec![Section::new(DEFAULT_SECTION.to_owned())];
        // Pending comment lines, raw (markers and line ends kept, as go-ini buffers them).
        let mut comment = String::new();
        // go-ini names keys written as `-` `#1`, `#2`, … per section.
        let mut auto_count = 1;
        while let Some((raw, number)) = self.next_line() {
            let line = raw.trim_start();
            if line.is_empty() {
                continue;
            }
            if line.starts_with(['#', ';']) {
                comment.push_str(line);
                continue;
            }
            if line.starts_with('[') {
                let close = line
                    .rfind(']')
                    .ok_or_else(|| StoreError::at(number, "unclosed section header"))?;
                let name = &line[1..close];
                if name.is_empty() {
                    return Err(StoreError::at(number, "empty section name"));
                }
                let mut section = Section::new(name.to_owned());
                if let Some(c) = inline_comment(&line[close + 1..]) {
                    comment.push_str(c);
                }
                comment.trim().clone_into(&mut section.comment);
                comment.clear();
                auto_count = 1;
                sections.push(section);
                continue;
            }
            let (mut name, offset) = key_name(line, number)?;
            if name == "-" {
                name = format!("#{auto_count}");
                auto_count += 1;
            }
            let value = self.value(&line[offset..], number, &mut comment)?;
            if name.is_empty() {
                return Err(StoreError::at(number, "empty key name"));
            }
            let section = sections
                .last_mut()
                .expect("the DEFAULT section is always there");
            let key_comment = comment.trim().to_owned();
            comment.clear();
            if let Some(&i) = section.index.get(&name) {
                let key = &mut section.keys[i];
                key.value = value;
                key.comment = key_comment;
                key.line = number;
            } else {
                section.index.insert(name.clone(), section.keys.len());
                section.keys.push(Key {
                    name,
                    value,
                    comment: key_comment,
                    line: number,
                });
            }
        }
        Ok(sections)
    }

    /// The value after the delimiter (go-ini `readValue` with default options).
    fn value(
        &mut self,
        rest: &'a str,
        number: usize,
        comment: &mut String,
    ) -> Result<Text, StoreError> {
        let line = rest.trim_start();
        if line.is_empty() {
            return Ok(Text::default());
        }
        let quote = if line.len() > 3 && line.starts_with("\"\"\"") {
            Some("\"\"\"")
        } else if line.starts_with('`') {
            Some("`")
        } else {
            None
        };
        if let Some(quote) = quote {
            let body = &line[quote.len()..];
            return match body.rfind(quote) {
                Some(pos) => Ok(Text::from(&body[..pos])),
                None => self.multiline(body, quote, number, comment),
            };
        }
        let line = line.trim();
        if let Some(head) = line.strip_suffix('\\') {
            return Ok(self.continuation(head));
        }
        let mut line = line;
        if let Some(i) = line.find(['#', ';']) {
            comment.push_str(&line[i..]);
            line = line[..i].trim();
        }
        if has_surrounding_quote(line, b'\'') || has_surrounding_quote(line, b'"') {
            line = &line[1..line.len() - 1];
        }
        Ok(Text::from(line))
    }

    /// A quoted value that did not close on its first line.
    fn multiline(
        &mut self,
        first: &'a str,
        quote: &str,
        number: usize,
        comment: &mut String,
    ) -> Result<Text, StoreError> {
        let mut parts = vec![first];
        loop {
            let Some((next, _)) = self.next_line() else {
                return Err(StoreError::at(number, "quoted value is never closed"));
            };
            if let Some(pos) = next.rfind(quote) {
                parts.push(&next[..pos]);
                if let Some(c) = inline_comment(&next[pos..]) {
                    comment.push_str(c.trim());
                }
                break;
            }
            parts.push(next);
        }
        Ok(join(&parts))
    }

    /// A value ending in `\`: following trimmed lines are appended while they end in `\`.
    fn continuation(&mut self, head: &'a str) -> Text {
        let mut parts = vec![head];
        while let Some((next, _)) = self.next_line() {
            let next = next.trim();
            if next.is_empty() {
                break;
            }
            if let Some(more) = next.strip_suffix('\\') {
                parts.push(more);
            } else {
                parts.push(next);
                break;
            }
        }
        join(&parts)
    }
}

/// Concatenates pieces into one allocation of the right size (the text may be a secret).
fn join(parts: &[&str]) -> Text {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    Text::new(out)
}

/// go-ini `hasSurroundedQuote`: quotes at both ends and nowhere else.
fn has_surrounding_quote(s: &str, quote: u8) -> bool {
    let b = s.as_bytes();
    b.len() >= 2
        && b[0] == quote
        && b[b.len() - 1] == quote
        && b[1..].iter().position(|&c| c == quote) == Some(b.len() - 2)
}

/// go-ini `readKeyName`: the trimmed key and the offset just past the delimiter.
fn key_name(line: &str, number: usize) -> Result<(String, usize), StoreError> {
    let no_delimiter = || {
        StoreError::at(
            number,
            "expected `key = value`, a section header or a comment",
        )
    };
    let quote = if line.starts_with('"') {
        if line.len() > 6 && line.starts_with("\"\"\"") {
            "\"\"\""
        } else {
            "\""
        }
    } else if line.starts_with('`') {
        "`"
    } else {
        ""
    };
    if quote.is_empty() {
        let end = line.find(DELIMITERS).ok_or_else(no_delimiter)?;
        if end == 0 {
            return Err(StoreError::at(number, "empty key name"));
        }
        return Ok((line[..end].trim().to_owned(), end + 1));
    }
    let start = quote.len();
    let close = line[start..]
        .find(quote)
        .map(|p| p + start)
        .ok_or_else(|| StoreError::at(number, "quoted key is never closed"))?;
    let after = close + quote.len();
    let delimiter = line[after..].find(DELIMITERS).ok_or_else(no_delimiter)?;
    Ok((line[start..close].trim().to_owned(), after + delimiter + 1))
}

/// A section to write.
struct OutSection<'a> {
    name: &'a str,
    comment: Option<&'a str>,
    keys: Vec<OutKey<'a>>,
}

struct OutKey<'a> {
    name: &'a str,
    value: GoText<'a>,
    comment: Option<&'a str>,
}

/// Emits INI text, with a `[sops]` section last when the file has metadata.
pub fn emit(file: &RawFile) -> Result<Vec<u8>, StoreError> {
    let mut sections = Vec::new();
    for branch in &file.branches {
        for (name, value) in branch.entries() {
            sections.push(out_section(name, value)?);
        }
    }
    let flat_metadata = file.metadata.as_ref().map(flat::flatten).transpose()?;
    if let Some(flat) = &flat_metadata {
        sections.push(OutSection {
            name: SOPS_SECTION,
            comment: None,
            keys: flat
                .iter()
                .map(|(k, v)| OutKey {
                    name: k.as_str(),
                    value: GoText::Owned(Zeroizing::new(v.clone())),
                    comment: None,
                })
                .collect(),
        });
    }
    let mut out = OutBuf::with_capacity(4096);
    let last = sections.len().saturating_sub(1);
    for (i, section) in sections.iter().enumerate() {
        if let Some(comment) = section.comment {
            write_comment(&mut out, comment, false);
        }
        if i > 0 || section.name.to_uppercase() != DEFAULT_SECTION {
            out.push(b'[');
            out.push_str(section.name);
            out.push_str("]\n");
        } else if section.keys.is_empty() {
            // go-ini writes nothing (not even the blank line) for an empty leading DEFAULT.
            continue;
        }
        let width = section
            .keys
            .iter()
            .map(|k| quoted_key_len(k.name))
            .max()
            .unwrap_or(0);
        for key in &section.keys {
            if let Some(comment) = key.comment {
                write_comment(&mut out, comment, true);
            }
            let written = write_key(&mut out, key.name);
            out.push_repeat(b' ', width - written);
            out.push_str(" = ");
            write_value(&mut out, &key.value);
            out.push(b'\n');
        }
        if i != last {
            out.push(b'\n');
        }
    }
    Ok(out.into_vec())
}

/// Builds one section the way sops hands it to go-ini.
fn out_section<'a>(name: &'a str, value: &'a Value) -> Result<OutSection<'a>, StoreError> {
    let Value::Map(map) = value else {
        return Err(StoreError::new(format!(
            "cannot write `{name}` as INI: top-level entries are sections and must be mappings"
        )));
    };
    if name.is_empty() {
        return Err(StoreError::new(
            "cannot write an INI section with an empty name",
        ));
    }
    let mut items = map.items.iter().peekable();
    let mut comment = None;
    if let Some(MapItem::Comment(c)) = items.peek() {
        comment = Some(c.text.as_str());
        items.next();
    }
    let mut keys: Vec<OutKey<'a>> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut last_key = None;
    for item in items {
        match item {
            // A comment belongs to the key before it (the last one wins); with no key yet
            // sops drops it.
            MapItem::Comment(c) => {
                if let Some(k) = last_key {
                    let key: &mut OutKey<'a> = &mut keys[k];
                    key.comment = Some(c.text.as_str());
                }
            }
            MapItem::Entry(key, value) => {
                if key.is_empty() {
                    return Err(StoreError::new(format!(
                        "cannot write an empty key name in INI section `{name}`"
                    )));
                }
                let text = flat::go_value_text(value).map_err(|why| {
                    StoreError::new(match why {
                        NotText::Complex => format!(
                            "cannot write `{name}:{key}:` as INI: its value is a mapping or a list, and INI values are strings (sops 3.11 writes Go's internal form, e.g. `[{{n 1}}]`, which nothing reads back; this toolkit refuses)"
                        ),
                        NotText::Bytes => format!("cannot write `{name}:{key}:` as INI: its value is bytes that are not UTF-8"),
                    })
                })?;
                // A repeated key keeps its first position and takes the new value.
                if let Some(&i) = index.get(key.as_str()) {
                    keys[i].value = text;
                    last_key = Some(i);
                } else {
                    index.insert(key, keys.len());
                    last_key = Some(keys.len());
                    keys.push(OutKey {
                        name: key,
                        value: text,
                        comment: None,
                    });
                }
            }
        }
    }
    Ok(OutSection {
        name,
        comment,
        keys,
    })
}

/// The length of a key as written, quotes included (go-ini's alignment measure).
fn quoted_key_len(name: &str) -> usize {
    if name.contains('"') || name.contains(DELIMITERS) {
        name.len() + 2
    } else if name.contains('`') {
        name.len() + 6
    } else {
        name.len()
    }
}

/// Writes a key, quoted when go-ini would, and returns its written length.
fn write_key(out: &mut OutBuf, name: &str) -> usize {
    let len = quoted_key_len(name);
    match len - name.len() {
        2 => {
            out.push(b'`');
            out.push_str(name);
            out.push(b'`');
        }
        6 => {
            out.push_str("\"\"\"");
            out.push_str(name);
            out.push_str("\"\"\"");
        }
        _ => out.push_str(name),
    }
    len
}

/// Writes a value: `"""…"""` with a newline or backquote, `` `…` `` with `#`/`;`,
/// `"…"` with outer spaces, else as it is.
fn write_value(out: &mut OutBuf, value: &str) {
    let (open, close) = if value.contains(['\n', '`']) {
        ("\"\"\"", "\"\"\"")
    } else if value.contains(['#', ';']) {
        ("`", "`")
    } else if value.trim().len() != value.len() {
        ("\"", "\"")
    } else {
        ("", "")
    };
    out.push_str(open);
    out.push_str(value);
    out.push_str(close);
}

/// Writes comment lines as go-ini does: `; text`, or the line's own marker and a space.
/// Key comments have each line trimmed; section comments keep a line's spaces when it has
/// no marker.
fn write_comment(out: &mut OutBuf, comment: &str, trim_plain: bool) {
    if comment.is_empty() {
        return;
    }
    for line in comment.split('\n') {
        if line.starts_with(['#', ';']) {
            out.push_str(&line[..1]);
            out.push(b' ');
            out.push_str(line[1..].trim());
        } else {
            out.push_str("; ");
            out.push_str(if trim_plain { line.trim() } else { line });
        }
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests;
