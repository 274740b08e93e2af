//! The JSON store (spec §8.2): JSON text ↔ [`RawFile`], as sops 3.11 reads and writes it.
//!
//! Reading follows Go's `encoding/json` token stream as sops uses it: the top level must be
//! an object, key order and repeated keys are kept, **every number is a float64**
//! ([`Scalar::Float`]), invalid UTF-8 and lone surrogates inside strings become U+FFFD.
//! The top-level `sops` object is split off into [`RawFile::metadata`].
//!
//! Writing matches `json.Indent` over sops' compact encoding byte for byte: a tab per level
//! (or `indent` spaces), `"key": value`, `{}`/`[]` when empty, a final newline, the `sops`
//! object last, strings escaped like Go's `json.Marshal` (HTML characters, U+2028/U+2029,
//! `\b` `\f` `\n` `\r` `\t`, other control characters as `\u00XX`). Comments have no JSON
//! form and are dropped.
//!
//! Errors give a line number and what was expected, never any text of the file.

use crate::error::StoreError;
use crate::store::flat::OutBuf;
use crate::tree::{Map, MapItem, RawFile, Scalar, SeqItem, Text, Value};
use crate::value::format_float_json;

use super::EmitOptions;

/// Deeper nesting than this is refused (Go allows 10000; nothing real comes close, and the
/// limit keeps recursion, here and in every tree walk, far from the stack's end).
const MAX_DEPTH: usize = 1000;

/// Parses JSON text. The top level must be an object; its `sops` entry becomes the metadata.
pub fn parse(input: &[u8]) -> Result<RawFile, StoreError> {
    let mut parser = Parser { src: input, pos: 0 };
    parser.skip_whitespace();
    match parser.peek() {
        Some(b'{') => {}
        None => return Err(parser.error("the file is empty; a JSON object is expected")),
        Some(_) => {
            return Err(parser.error(
                "the top level is not a JSON object; sops only supports JSON files whose top level is an object",
            ));
        }
    }
    parser.pos += 1;
    let mut branch = parser.object(1)?;
    parser.skip_whitespace();
    if parser.pos != input.len() {
        return Err(parser.error("unexpected content after the top-level object (sops 3.11 reads the first object and silently ignores the rest; this toolkit refuses, remove the extra content)"));
    }
    let metadata = take_metadata(&mut branch)?;
    Ok(RawFile {
        branches: vec![branch],
        metadata,
    })
}

fn take_metadata(branch: &mut Map) -> Result<Option<Map>, StoreError> {
    let mut positions = branch
        .items
        .iter()
        .enumerate()
        .filter(|(_, item)| matches!(item, MapItem::Entry(k, _) if k == "sops"))
        .map(|(i, _)| i);
    let Some(pos) = positions.next() else {
        return Ok(None);
    };
    if positions.next().is_some() {
        return Err(StoreError::new(
            "the top-level `sops` key appears more than once",
        ));
    }
    match branch.items.remove(pos) {
        MapItem::Entry(_, Value::Map(m)) => Ok(Some(m)),
        _ => Err(StoreError::new(
            "the top-level `sops` entry is not an object",
        )),
    }
}

struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    /// An error at the current position (line only: a column could point into a secret).
    fn error(&self, message: &str) -> StoreError {
        let upto = self.pos.min(self.src.len());
        let line = self.src[..upto].split(|&b| b == b'\n').count();
        StoreError::at(line, format!("invalid JSON: {message}"))
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect_byte(&mut self, byte: u8, message: &str) -> Result<(), StoreError> {
        self.skip_whitespace();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(message))
        }
    }

    /// The members of an object whose `{` was consumed.
    fn object(&mut self, depth: usize) -> Result<Map, StoreError> {
        let mut map = Map::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(map);
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            self.pos += 1;
            let key = self.string()?;
            self.expect_byte(b':', "expected `:` after an object key")?;
            let value = self.value(depth)?;
            // Repeated keys are kept, as sops keeps them.
            map.items
                .push(MapItem::Entry(String::from(key.as_str()), value));
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(map);
                }
                _ => return Err(self.error("expected `,` or `}` in an object")),
            }
        }
    }

    /// The elements of an array whose `[` was consumed.
    fn array(&mut self, depth: usize) -> Result<Vec<SeqItem>, StoreError> {
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(items);
        }
        loop {
            items.push(SeqItem::Value(self.value(depth)?));
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(items);
                }
                _ => return Err(self.error("expected `,` or `]` in an array")),
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, StoreError> {
        self.skip_whitespace();
        let Some(byte) = self.peek() else {
            return Err(self.error("unexpected end of input"));
        };
        match byte {
            b'{' | b'[' => {
                if depth >= MAX_DEPTH {
                    return Err(self.error("nesting is deeper than 1000 levels"));
                }
                self.pos += 1;
                if byte == b'{' {
                    Ok(Value::Map(self.object(depth + 1)?))
                } else {
                    Ok(Value::Seq(self.array(depth + 1)?))
                }
            }
            b'"' => {
                self.pos += 1;
                Ok(Value::Scalar(Scalar::Str(self.string()?)))
            }
            b't' => self.literal(b"true", Value::Scalar(Scalar::Bool(true))),
            b'f' => self.literal(b"false", Value::Scalar(Scalar::Bool(false))),
            b'n' => self.literal(b"null", Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(self.error("expected a value")),
        }
    }

    fn literal(&mut self, word: &[u8], value: Value) -> Result<Value, StoreError> {
        if self.src[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a value"))
        }
    }

    /// A number in strict JSON grammar, read as a float64 like sops 3.11 does.
    fn number(&mut self) -> Result<Value, StoreError> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let from = p.pos;
            while let Some(b'0'..=b'9') = p.peek() {
                p.pos += 1;
            }
            p.pos - from
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.error("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.error("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("invalid number"));
            }
        }
        let text =
            std::str::from_utf8(&self.src[start..self.pos]).expect("the number grammar is ASCII");
        // Rust's parse is correctly rounded, like Go's strconv.ParseFloat.
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Value::Scalar(Scalar::Float(f))),
            _ => Err(self.error("number out of the float64 range")),
        }
    }

    /// The rest of a string whose opening quote was consumed.
    fn string(&mut self) -> Result<Text, StoreError> {
        // Find the end first so the text is allocated once at (nearly) its final size.
        let start = self.pos;
        let mut end = start;
        let mut simple = true;
        loop {
            match self.src.get(end) {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => break,
                Some(b'\\') => {
                    simple = false;
                    end += 2;
                }
                Some(&b) => {
                    if b < 0x20 {
                        self.pos = end;
                        return Err(self.error("control character inside a string"));
                    }
                    if b >= 0x80 {
                        simple = false;
                    }
                    end += 1;
                }
            }
        }
        let raw = &self.src[start..end];
        if simple {
            self.pos = end + 1;
            let text = std::str::from_utf8(raw).expect("ASCII without escapes is UTF-8");
            return Ok(Text::from(text));
        }
        let out = decode_escaped(raw).map_err(|(offset, message)| {
            self.pos = start + offset;
            self.error(message)
        })?;
        self.pos = end + 1;
        Ok(Text::new(out))
    }
}

/// Decodes the body of a string with escapes or non-ASCII bytes, the way Go's decoder does.
/// On error: the offset into `raw` and what is wrong.
fn decode_escaped(raw: &[u8]) -> Result<String, (usize, &'static str)> {
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == b'\\' {
            let escape = raw[i + 1];
            i += 2;
            match escape {
                b'"' => out.push('"'),
                b'\\' => out.push('\\'),
                b'/' => out.push('/'),
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'n' => out.push('\n'),
                b'r' => out.push('\r'),
                b't' => out.push('\t'),
                b'u' => {
                    let Some(unit) = hex4(raw.get(i..i + 4)) else {
                        return Err((i, "invalid \\u escape in a string"));
                    };
                    i += 4;
                    if (0xD800..0xDC00).contains(&unit) {
                        // A high surrogate pairs with a following `\uDC00`..`\uDFFF`;
                        // alone it is U+FFFD, as in Go.
                        let low = if raw.get(i..i + 2) == Some(b"\\u") {
                            hex4(raw.get(i + 2..i + 6))
                        } else {
                            None
                        };
                        match low {
                            Some(low @ 0xDC00..0xE000) => {
                                i += 6;
                                let c = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                                out.push(
                                    char::from_u32(c).expect("a surrogate pair is a valid scalar"),
                                );
                            }
                            _ => out.push('\u{FFFD}'),
                        }
                    } else {
                        out.push(char::from_u32(unit).unwrap_or('\u{FFFD}'));
                    }
                }
                _ => return Err((i - 1, "invalid escape in a string")),
            }
        } else if b < 0x80 {
            out.push(char::from(b));
            i += 1;
        } else {
            // Copy the valid UTF-8 run; each byte of an invalid sequence becomes U+FFFD,
            // as Go's decoder does.
            let run_end = raw[i..]
                .iter()
                .position(|&c| c == b'\\')
                .map_or(raw.len(), |p| i + p);
            match std::str::from_utf8(&raw[i..run_end]) {
                Ok(s) => {
                    out.push_str(s);
                    i = run_end;
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    out.push_str(
                        std::str::from_utf8(&raw[i..i + valid]).expect("checked valid prefix"),
                    );
                    out.push('\u{FFFD}');
                    i += valid + 1;
                }
            }
        }
    }
    Ok(out)
}

fn hex4(bytes: Option<&[u8]>) -> Option<u32> {
    let bytes = bytes?;
    if bytes.len() != 4 || !bytes.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(bytes).ok()?, 16).ok()
}

/// Emits JSON text: the single branch, then the metadata as the last key `sops`.
pub fn emit(file: &RawFile, options: EmitOptions) -> Result<Vec<u8>, StoreError> {
    let branch = match file.branches.as_slice() {
        [branch] => branch,
        [] => return Err(StoreError::new("there is no document to write as JSON")),
        more => {
            return Err(StoreError::new(format!(
                "JSON holds one document but the tree has {} (sops 3.11 writes the first and silently drops the others; this toolkit refuses); write it as YAML instead",
                more.len()
            )));
        }
    };
    let indent = match options.indent {
        None => "\t".to_owned(),
        Some(n) => " ".repeat(n),
    };
    let mut emitter = Emitter {
        out: OutBuf::with_capacity(4096),
        indent: indent.as_bytes(),
    };
    let entries = branch
        .entries()
        .map(|(k, v)| (k, ValueRef::Value(v)))
        .chain(file.metadata.iter().map(|m| ("sops", ValueRef::Map(m))));
    emitter
        .object(entries, 0)
        .map_err(EmitFailure::into_store_error)?;
    emitter.out.push(b'\n');
    Ok(emitter.out.into_vec())
}

/// A value to write: an owned tree value, or the metadata mapping.
#[derive(Clone, Copy)]
enum ValueRef<'a> {
    Value(&'a Value),
    Map(&'a Map),
}

/// Why a value cannot be written, with the path of keys collected on the way out.
struct EmitFailure {
    path: Vec<String>,
    what: &'static str,
}

impl EmitFailure {
    fn into_store_error(self) -> StoreError {
        let mut path = String::new();
        for key in self.path.iter().rev() {
            path.push_str(key);
            path.push(':');
        }
        if path.is_empty() {
            path.push(':');
        }
        StoreError::new(format!(
            "cannot write the value at `{path}` as JSON: {}",
            self.what
        ))
    }
}

struct Emitter<'i> {
    out: OutBuf,
    indent: &'i [u8],
}

impl Emitter<'_> {
    fn newline(&mut self, level: usize) {
        self.out.push(b'\n');
        for _ in 0..level {
            self.out.push_bytes(self.indent);
        }
    }

    fn object<'v>(
        &mut self,
        entries: impl Iterator<Item = (&'v str, ValueRef<'v>)>,
        level: usize,
    ) -> Result<(), EmitFailure> {
        self.out.push(b'{');
        let mut empty = true;
        for (key, value) in entries {
            if !empty {
                self.out.push(b',');
            }
            empty = false;
            self.newline(level + 1);
            write_string(&mut self.out, key);
            self.out.push_str(": ");
            self.value_ref(value, level + 1).map_err(|mut e| {
                e.path.push(key.to_owned());
                e
            })?;
        }
        if !empty {
            self.newline(level);
        }
        self.out.push(b'}');
        Ok(())
    }

    fn value_ref(&mut self, value: ValueRef<'_>, level: usize) -> Result<(), EmitFailure> {
        match value {
            ValueRef::Map(m) => {
                self.object(m.entries().map(|(k, v)| (k, ValueRef::Value(v))), level)
            }
            ValueRef::Value(v) => self.value(v, level),
        }
    }

    fn value(&mut self, value: &Value, level: usize) -> Result<(), EmitFailure> {
        match value {
            Value::Null => self.out.push_str("null"),
            Value::Map(m) => {
                self.object(m.entries().map(|(k, v)| (k, ValueRef::Value(v))), level)?;
            }
            Value::Seq(items) => {
                self.out.push(b'[');
                let mut empty = true;
                let values = items.iter().filter_map(|item| match item {
                    SeqItem::Value(v) => Some(v),
                    SeqItem::Comment(_) => None,
                });
                for v in values {
                    if !empty {
                        self.out.push(b',');
                    }
                    empty = false;
                    self.newline(level + 1);
                    self.value(v, level + 1)?;
                }
                if !empty {
                    self.newline(level);
                }
                self.out.push(b']');
            }
            Value::Scalar(scalar) => match scalar {
                Scalar::Str(t) | Scalar::Time(t) => write_string(&mut self.out, t.as_str()),
                Scalar::Int(i) => self.out.push_str(&i.to_string()),
                Scalar::Float(f) => {
                    if !f.is_finite() {
                        return Err(EmitFailure {
                            path: Vec::new(),
                            what: "JSON has no infinite or NaN numbers",
                        });
                    }
                    self.out.push_str(&format_float_json(*f));
                }
                Scalar::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
                Scalar::Bytes(_) => {
                    return Err(EmitFailure {
                        path: Vec::new(),
                        what: "the value is bytes that are not UTF-8",
                    });
                }
            },
        }
        Ok(())
    }
}

/// A JSON string escaped as Go's `json.Marshal` does (with HTML escaping on).
fn write_string(out: &mut OutBuf, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let escape: Option<&[u8]> = match c {
            '"' => Some(b"\\\""),
            '\\' => Some(b"\\\\"),
            '\n' => Some(b"\\n"),
            '\r' => Some(b"\\r"),
            '\t' => Some(b"\\t"),
            '\u{8}' => Some(b"\\b"),
            '\u{c}' => Some(b"\\f"),
            '\u{2028}' => Some(b"\\u2028"),
            '\u{2029}' => Some(b"\\u2029"),
            _ => None,
        };
        let needs_hex = escape.is_none() && (c < ' ' || matches!(c, '<' | '>' | '&'));
        if escape.is_none() && !needs_hex {
            continue;
        }
        out.push_bytes(&bytes[start..i]);
        if let Some(e) = escape {
            out.push_bytes(e);
        } else {
            let b = c as u8;
            out.push_bytes(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xF)]);
        }
        start = i + c.len_utf8();
    }
    out.push_bytes(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests;
