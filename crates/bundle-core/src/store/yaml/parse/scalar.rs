//! Scalars as go-yaml types them when a tag or a quoting style is involved: core tags
//! (`!!str`, `!!int`, `!!binary`, …), other tags (kept as strings), and plain scalars, which
//! are handed to `resolve`.
//!
//! What must stay true: a value that does not fit its tag is an error naming the line,
//! never quoting the text, and every scalar gets the type sops 3.11 would give it.

use std::borrow::Cow;

use base64::Engine as _;
use granit_parser::{ScalarStyle, Tag};

use crate::error::StoreError;
use crate::store::yaml::resolve::{Resolved, resolve_plain};
use crate::tree::{Scalar, Text, Value};

/// How a tag asks for a scalar to be read.
enum TagKind<'t> {
    /// No tag, or the non-specific `!`.
    None,
    /// A `tag:yaml.org,2002:` tag, by name.
    Core(Cow<'t, str>),
    /// Any other tag: go-yaml keeps the text as a string.
    Other,
}

/// The prefix of the YAML core tags (`!!int` is `tag:yaml.org,2002:int`).
const CORE: &str = "tag:yaml.org,2002:";

fn tag_kind(tag: Option<&Tag>) -> TagKind<'_> {
    let Some(tag) = tag else { return TagKind::None };
    let (handle, suffix) = tag.parts();
    if handle.is_empty() && suffix == "!" {
        return TagKind::None;
    }
    if handle == CORE {
        return TagKind::Core(Cow::Borrowed(suffix));
    }
    let full = format!("{handle}{suffix}");
    match full.strip_prefix(CORE) {
        Some(name) => TagKind::Core(Cow::Owned(name.to_owned())),
        None => TagKind::Other,
    }
}

/// Types a scalar as go-yaml decodes it into `interface{}` for sops.
pub(super) fn typed_scalar(
    text: Cow<'_, str>,
    style: ScalarStyle,
    tag: Option<&Tag>,
    line: usize,
) -> Result<Value, StoreError> {
    let as_str = |text: Cow<'_, str>| Value::Scalar(Scalar::Str(Text::new(text.into_owned())));
    match tag_kind(tag) {
        TagKind::None if style == ScalarStyle::Plain => {
            from_resolved(resolve_plain(&text, true), text, line)
        }
        TagKind::None | TagKind::Other => Ok(as_str(text)),
        TagKind::Core(name) => match name.as_ref() {
            "binary" => decode_binary(&text, line),
            "int" | "float" | "bool" | "null" | "timestamp" => {
                let resolved = resolve_plain(&text, true);
                let resolved = match (name.as_ref(), resolved) {
                    // An explicit tag other than !!timestamp does not try the timestamp forms.
                    ("timestamp", r @ Resolved::Time(_)) => r,
                    // A timestamp-looking text is then no number, bool or null.
                    (_, Resolved::Time(_)) => Resolved::Str,
                    (_, r) => r,
                };
                let ok = match (name.as_ref(), &resolved) {
                    ("int", Resolved::Int(_) | Resolved::Uint(_))
                    | ("bool", Resolved::Bool(_))
                    | ("null", Resolved::Null)
                    | ("timestamp", Resolved::Time(_))
                    | ("float", Resolved::Float(_)) => Some(resolved),
                    ("float", Resolved::Int(i)) => Some(Resolved::Float(int_to_float(*i))),
                    _ => None,
                };
                match ok {
                    Some(r) => from_resolved(r, text, line),
                    None => Err(StoreError::at(
                        line,
                        format!("a value tagged !!{name} does not read as that type"),
                    )),
                }
            }
            // !!str, and !!merge, !!map, !!seq or other names on a scalar: go-yaml keeps
            // the text.
            _ => Ok(as_str(text)),
        },
    }
}

/// `!!float 5`: go-yaml converts the integer as Go's `float64(i)` does (nearest value).
#[allow(clippy::cast_precision_loss)]
fn int_to_float(i: i64) -> f64 {
    i as f64
}

fn from_resolved(resolved: Resolved, text: Cow<'_, str>, line: usize) -> Result<Value, StoreError> {
    Ok(match resolved {
        Resolved::Null => Value::Null,
        Resolved::Bool(b) => Value::Scalar(Scalar::Bool(b)),
        Resolved::Int(i) => Value::Scalar(Scalar::Int(i)),
        Resolved::Float(f) => Value::Scalar(Scalar::Float(f)),
        Resolved::Uint(_) => {
            return Err(StoreError::at(
                line,
                "an integer is beyond the 64-bit signed range, which sops cannot encrypt\nhint: quote it to keep it as a string",
            ));
        }
        Resolved::Time(Some(canonical)) => Value::Scalar(Scalar::Time(Text::new(canonical))),
        Resolved::Time(None) | Resolved::Str => {
            Value::Scalar(Scalar::Str(Text::new(text.into_owned())))
        }
    })
}

/// `!!binary`: base64 (line breaks ignored, as Go's decoder does), stored as a string.
fn decode_binary(text: &str, line: usize) -> Result<Value, StoreError> {
    let compact: zeroize::Zeroizing<String> =
        zeroize::Zeroizing::new(text.chars().filter(|c| *c != '\n' && *c != '\r').collect());
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| StoreError::at(line, "a !!binary value is not valid base64"))?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok(Value::Scalar(Scalar::Str(Text::new(s)))),
        Err(e) => {
            let mut raw = e.into_bytes();
            zeroize::Zeroize::zeroize(&mut raw);
            Err(StoreError::at(
                line,
                "a !!binary value does not decode to UTF-8 text",
            ))
        }
    }
}

/// NEL, LS and PS: line breaks to go-yaml, ordinary characters to granit.
const BREAKS: [char; 3] = ['\u{85}', '\u{2028}', '\u{2029}'];

/// Whether `source` (a scalar as written in the file) holds one of [`BREAKS`] raw.
pub(super) fn has_unicode_break(source: &str) -> bool {
    source.contains(BREAKS)
}

/// go-yaml's reading of the Unicode line breaks inside a flow scalar (plain, single- or
/// double-quoted), which granit (YAML 1.2) reads as ordinary characters (issue 15). Callers
/// apply it only when the scalar's source holds such a character raw ([`has_unicode_break`]).
///
/// go-yaml (YAML 1.1) treats NEL (U+0085), LS (U+2028) and PS (U+2029) as line breaks: the
/// blanks before and after a run of breaks are dropped, NEL is read as `\n`, and the run is
/// then folded as any line break is: a first break that is a `\n` becomes one space when it
/// is alone and disappears before further breaks; LS and PS are kept as they are. So sops
/// writes `x<LS>y` as `'x<LS>    y'` (indented continuation) and reads it back as `x<LS>y`,
/// and a raw NEL in `"x<NEL>y"` reads as `x y`. A scalar that mixes raw breaks with the
/// escapes `\N`, `\L`, `\P` (which granit has already turned into the same characters) is
/// folded whole: an ambiguity this accepts, as sops never writes such a mix.
pub(super) fn go_yaml_unicode_breaks(text: Cow<'_, str>, style: ScalarStyle) -> Cow<'_, str> {
    let folds = matches!(
        style,
        ScalarStyle::Plain | ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted
    );
    if !folds || !text.contains(BREAKS) {
        return text;
    }
    let is_blank = |c: char| c == ' ' || c == '\t';
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !BREAKS.contains(&chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // A run of breaks with blanks between and around them.
        while out.ends_with(is_blank) {
            out.pop();
        }
        let mut run = Vec::new();
        while i < chars.len() && (BREAKS.contains(&chars[i]) || is_blank(chars[i])) {
            if BREAKS.contains(&chars[i]) {
                run.push(if chars[i] == '\u{85}' { '\n' } else { chars[i] });
            }
            i += 1;
        }
        let (leading, trailing) = run.split_first().expect("the run starts with a break");
        if *leading == '\n' {
            if trailing.is_empty() {
                out.push(' ');
            }
        } else {
            out.push(*leading);
        }
        out.extend(trailing);
    }
    Cow::Owned(out)
}
