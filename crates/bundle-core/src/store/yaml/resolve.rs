//! How go-yaml v3 types a plain scalar (sops reads YAML with it, spec §8.1).
//!
//! The rules, in go-yaml's order: the first character picks a family (digits and signs may
//! be numbers or timestamps, `.` may be a float, a few letters may be a keyword, anything
//! else is a string); exact keywords come from a fixed table; a timestamp is tried before an
//! integer; integers are read in base 0 (`0x`, `0o`, `0b`, legacy `0777`) after dropping
//! every `_`; what overflows int64 but fits uint64 stays an unsigned integer; a decimal
//! that fits neither but looks like a float becomes one. Everything else is a string.

use zeroize::Zeroizing;

use crate::value::canonical_time;

/// What a plain scalar resolves to.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer above `i64::MAX` that fits `u64` (sops cannot encrypt it).
    Uint(u64),
    Float(f64),
    /// A timestamp, as its canonical text (or `None` when the engine's canonical form
    /// cannot represent it).
    Time(Option<String>),
    Str,
}

/// The first-character families of go-yaml's resolver.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hint {
    /// Not resolvable: always a string.
    None,
    /// Digit or sign: number or timestamp.
    Number,
    /// `.`: maybe a float.
    Dot,
    /// A letter that starts a keyword, or `~`.
    Keyword,
}

fn hint(s: &str) -> Hint {
    match s.as_bytes().first() {
        // The empty string is in the keyword table (null).
        None => Hint::Keyword,
        Some(b'+' | b'-' | b'0'..=b'9') => Hint::Number,
        Some(b'.') => Hint::Dot,
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => {
            Hint::Keyword
        }
        Some(_) => Hint::None,
    }
}

/// The exact-match table (`resolveMap`).
fn keyword(s: &str) -> Option<Resolved> {
    Some(match s {
        "true" | "True" | "TRUE" => Resolved::Bool(true),
        "false" | "False" | "FALSE" => Resolved::Bool(false),
        "" | "~" | "null" | "Null" | "NULL" => Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Resolved::Float(f64::NEG_INFINITY),
        _ => return None,
    })
}

/// Types a plain scalar the way go-yaml's `resolve("", s)` does.
///
/// `want_time_text` asks for the canonical text of a timestamp (parsing); emission only
/// needs to know the type.
pub(super) fn resolve_plain(s: &str, want_time_text: bool) -> Resolved {
    let hint = hint(s);
    if hint == Hint::None {
        return Resolved::Str;
    }
    if let Some(found) = keyword(s) {
        return found;
    }
    match hint {
        Hint::Dot => {
            // go-yaml hands these to ParseFloat as they are; only decimal forms starting
            // with a dot can succeed.
            if is_yaml_float_syntax(s)
                && let Some(f) = parse_finite(s)
            {
                return Resolved::Float(f);
            }
            Resolved::Str
        }
        Hint::Number => resolve_number(s, want_time_text),
        Hint::Keyword | Hint::None => Resolved::Str,
    }
}

fn resolve_number(s: &str, want_time_text: bool) -> Resolved {
    if let Some(normalized) = go_timestamp(s) {
        let text = want_time_text
            .then(|| canonical_time(&normalized, true))
            .flatten();
        return Resolved::Time(text);
    }
    // The text may be a secret: the copy without `_` is zeroized.
    let owned;
    let plain: &str = if s.contains('_') {
        owned = Zeroizing::new(s.replace('_', ""));
        &owned
    } else {
        s
    };
    match parse_base0(plain) {
        Some(Base0 {
            negative: true,
            magnitude,
            ..
        }) if magnitude <= 1 << 63 => {
            // `magnitude <= 2^63`, so the negation fits (i64::MIN included).
            return Resolved::Int(0i64.wrapping_sub_unsigned(magnitude));
        }
        Some(Base0 {
            negative: false,
            magnitude,
            signed,
        }) => {
            if let Ok(i) = i64::try_from(magnitude) {
                return Resolved::Int(i);
            }
            // ParseUint takes no sign: `+9223372036854775808` falls through to the float.
            if !signed {
                return Resolved::Uint(magnitude);
            }
        }
        _ => {}
    }
    if is_yaml_float_syntax(plain)
        && let Some(f) = parse_finite(plain)
    {
        return Resolved::Float(f);
    }
    Resolved::Str
}

/// A base-0 integer as Go's `strconv` reads it: sign, magnitude (within `u64`), and
/// whether a sign character was written.
struct Base0 {
    negative: bool,
    magnitude: u64,
    signed: bool,
}

/// Go `strconv.ParseInt(s, 0, 64)` / `ParseUint` syntax: optional sign, then `0x`/`0X`,
/// `0o`/`0O`, `0b`/`0B`, a leading `0` (octal) or decimal digits. `None` on bad syntax or
/// a magnitude beyond `u64`.
fn parse_base0(s: &str) -> Option<Base0> {
    let (negative, signed, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, true, &s[1..]),
        Some(b'+') => (false, true, &s[1..]),
        _ => (false, false, s),
    };
    let b = rest.as_bytes();
    let (radix, digits) = match b {
        [b'0', b'x' | b'X', ..] => (16, &rest[2..]),
        [b'0', b'o' | b'O', ..] => (8, &rest[2..]),
        [b'0', b'b' | b'B', ..] => (2, &rest[2..]),
        [b'0', _, ..] => (8, &rest[1..]),
        _ => (10, rest),
    };
    if digits.is_empty() {
        return None;
    }
    let mut magnitude: u64 = 0;
    for c in digits.chars() {
        let d = u64::from(c.to_digit(radix)?);
        magnitude = magnitude.checked_mul(u64::from(radix))?.checked_add(d)?;
    }
    Some(Base0 {
        negative,
        magnitude,
        signed,
    })
}

/// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let count_digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if count_digits(&mut i) == 0 {
            return false;
        }
    } else {
        if count_digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            count_digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if count_digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go `ParseFloat` fails with a range error where Rust returns an infinity.
fn parse_finite(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Whether go-yaml's `parseTimestamp` accepts `s`, and if so `s` rewritten into the form
/// [`canonical_time`] reads (`,` fraction separator as `.`, fraction cut to 9 digits, a run
/// of spaces as one).
///
/// go-yaml tries Go layouts `2006-1-2T15:4:5.999999999Z07:00`, the same with a lower-case
/// `t`, `2006-1-2 15:4:5.999999999` (no zone) and `2006-1-2`.
fn go_timestamp(s: &str) -> Option<Zeroizing<String>> {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let mut pos = 5;
    let month = go_num(b, &mut pos)?;
    expect(b, &mut pos, b'-')?;
    let day = go_num(b, &mut pos)?;
    let year: u32 = s[..4].parse().ok()?;
    if !(1..=12).contains(&month)
        || day < 1
        || day > crate::time::days_in_month(i64::from(year), month)
    {
        return None;
    }
    if pos == b.len() {
        return Some(Zeroizing::new(s.to_owned()));
    }
    let mut out = Zeroizing::new(String::with_capacity(s.len()));
    out.push_str(&s[..pos]);
    let zoned = match b[pos] {
        b'T' | b't' => {
            out.push(char::from(b[pos]));
            pos += 1;
            true
        }
        b' ' => {
            // A layout space matches one or more spaces.
            while pos < b.len() && b[pos] == b' ' {
                pos += 1;
            }
            out.push(' ');
            false
        }
        _ => return None,
    };
    let start = pos;
    let hour = go_num(b, &mut pos)?;
    expect(b, &mut pos, b':')?;
    let minute = go_num(b, &mut pos)?;
    expect(b, &mut pos, b':')?;
    let second = go_num(b, &mut pos)?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    out.push_str(&s[start..pos]);
    if pos + 1 < b.len() && matches!(b[pos], b'.' | b',') && b[pos + 1].is_ascii_digit() {
        pos += 1;
        let digits_start = pos;
        while pos < b.len() && b[pos].is_ascii_digit() {
            pos += 1;
        }
        out.push('.');
        out.push_str(&s[digits_start..pos.min(digits_start + 9)]);
    }
    if zoned {
        let zone_start = pos;
        if b.get(pos) == Some(&b'Z') {
            pos += 1;
        } else {
            // `±hh:mm`; Go accepts hours up to 24 and minutes up to 60.
            let rest = &b[pos..];
            if rest.len() < 6 || !matches!(rest[0], b'+' | b'-') || rest[3] != b':' {
                return None;
            }
            if !rest[1..3].iter().chain(&rest[4..6]).all(u8::is_ascii_digit) {
                return None;
            }
            let two = |at: usize| u32::from(rest[at] - b'0') * 10 + u32::from(rest[at + 1] - b'0');
            if two(1) > 24 || two(4) > 60 {
                return None;
            }
            pos += 6;
        }
        out.push_str(&s[zone_start..pos]);
    }
    (pos == b.len()).then_some(out)
}

/// Go's `getnum(s, false)`: one or two digits.
fn go_num(b: &[u8], pos: &mut usize) -> Option<u32> {
    let first = *b.get(*pos).filter(|c| c.is_ascii_digit())?;
    *pos += 1;
    let mut n = u32::from(first - b'0');
    if let Some(&c) = b.get(*pos).filter(|c| c.is_ascii_digit()) {
        n = n * 10 + u32::from(c - b'0');
        *pos += 1;
    }
    Some(n)
}

fn expect(b: &[u8], pos: &mut usize, c: u8) -> Option<()> {
    (b.get(*pos) == Some(&c)).then(|| *pos += 1)
}

/// go-yaml quotes YAML 1.1 sexagesimal floats (`1:30`, `12:30:00`) on output.
pub(super) fn is_base60_float(s: &str) -> bool {
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let b = s.as_bytes();
    if !b.contains(&b':') {
        return false;
    }
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    i += 1;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        // [0-5]?[0-9]: one digit, or two with the first in 0-5.
        let d1 = b.get(i).filter(|c| c.is_ascii_digit());
        let d2 = b.get(i + 1).filter(|c| c.is_ascii_digit());
        match (d1, d2) {
            (Some(first), Some(_)) if *first <= b'5' => i += 2,
            (Some(_), _) => i += 1,
            (None, _) => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// go-yaml quotes YAML 1.1 booleans (`yes`, `on`, `n`, …) on output.
pub(super) fn is_old_bool(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "off"
            | "Off"
            | "OFF"
    )
}

/// Whether go-yaml may write `s` as a plain scalar without changing its type
/// (`canUsePlain` in go-yaml's string encoder).
pub(super) fn plain_keeps_string(s: &str) -> bool {
    // An `ENC[...]` value is always a string (it starts with a letter and has no digit-only,
    // boolean, null or time form); skip resolving it.
    if s.starts_with(crate::cipher::ENC_PREFIX) && s.ends_with(']') {
        return true;
    }
    resolve_plain(s, false) == Resolved::Str && !is_base60_float(s) && !is_old_bool(s)
}
