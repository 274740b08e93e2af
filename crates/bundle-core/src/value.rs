//! Canonical plaintext of typed scalars, as sops 3.11 writes and MACs them.
//!
//! These byte strings are both what gets encrypted and what feeds the MAC (spec §2.1, §6.1),
//! so they must match sops exactly: `True`/`False`, floats with the shortest round-trip digits
//! written positionally (never an exponent, no trailing `.0`), times in RFC 3339 with
//! nanoseconds trimmed and `Z` for UTC. Parsing on decrypt is as lenient as Go's `strconv`.

use zeroize::Zeroizing;

use crate::tree::{Scalar, Text};

/// The `type:` name of a scalar in an `ENC[...]` value.
pub fn type_name(scalar: &Scalar) -> &'static str {
    match scalar {
        Scalar::Str(_) | Scalar::Bytes(_) => "str",
        Scalar::Int(_) => "int",
        Scalar::Float(_) => "float",
        Scalar::Bool(_) => "bool",
        Scalar::Time(_) => "time",
    }
}

/// The canonical plaintext bytes of a scalar (what is encrypted and MAC'd).
pub fn plaintext_bytes(scalar: &Scalar) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(match scalar {
        Scalar::Str(t) | Scalar::Time(t) => t.as_str().as_bytes().to_vec(),
        Scalar::Bytes(b) => b.to_vec(),
        Scalar::Int(i) => i.to_string().into_bytes(),
        Scalar::Float(f) => format_float_positional(*f).into_bytes(),
        Scalar::Bool(b) => (if *b { "True" } else { "False" }).as_bytes().to_vec(),
    })
}

/// Parses decrypted plaintext of the given `type:`. `Err(())` when it does not parse.
///
/// `str` that is not UTF-8 becomes [`Scalar::Bytes`] (the binary store's raw files).
#[allow(clippy::result_unit_err)]
pub fn parse_plaintext(value_type: &str, bytes: Zeroizing<Vec<u8>>) -> Result<Scalar, ()> {
    let as_text = |bytes: Zeroizing<Vec<u8>>| -> Result<Text, ()> {
        match String::from_utf8(bytes.to_vec()) {
            Ok(s) => Ok(Text::new(s)),
            Err(e) => {
                // The copy inside the error is plaintext too.
                let mut raw = e.into_bytes();
                zeroize::Zeroize::zeroize(&mut raw);
                Err(())
            }
        }
    };
    match value_type {
        "str" => match std::str::from_utf8(&bytes) {
            Ok(_) => as_text(bytes).map(Scalar::Str),
            Err(_) => Ok(Scalar::Bytes(bytes)),
        },
        "int" => {
            let text = as_text(bytes)?;
            go_atoi(text.as_str()).map(Scalar::Int).ok_or(())
        }
        "float" => {
            let text = as_text(bytes)?;
            go_parse_float(text.as_str()).map(Scalar::Float).ok_or(())
        }
        "bool" => {
            let text = as_text(bytes)?;
            match text.as_str() {
                "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(Scalar::Bool(true)),
                "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(Scalar::Bool(false)),
                _ => Err(()),
            }
        }
        "time" => {
            let text = as_text(bytes)?;
            canonical_time(text.as_str(), false)
                .map(|t| Scalar::Time(Text::new(t)))
                .ok_or(())
        }
        _ => Err(()),
    }
}

/// Go `strconv.Atoi`: optional sign, decimal digits, within int64.
fn go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Go `strconv.ParseFloat(s, 64)` for the forms sops can produce or a person would write.
pub fn go_parse_float(s: &str) -> Option<f64> {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let negative = s.starts_with('-');
    let lower = unsigned.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Some(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if lower == "nan" {
        return Some(f64::NAN);
    }
    if unsigned.is_empty()
        || !unsigned
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    s.parse().ok()
}

/// Go `strconv.FormatFloat(f, 'f', -1, 64)` with sops' spellings of the infinities:
/// shortest round-trip digits, positional, no trailing `.0`.
pub fn format_float_positional(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    // Rust's Display prints the shortest round-trip digits positionally, like Go's 'f', -1.
    format!("{f}")
}

/// Shortest digits and decimal exponent of a finite, non-zero `f` (`d.ddd × 10^exp`).
fn shortest_digits(f: f64) -> (String, i32) {
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci
        .split_once('e')
        .expect("`{:e}` output always has an exponent");
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    (digits, exp.parse().expect("`{:e}` exponent is an integer"))
}

/// Go `strconv.FormatFloat(f, 'g', -1, 64)`: how go-yaml prints a float.
pub fn format_float_go_g(f: f64) -> String {
    if !f.is_finite() || f == 0.0 {
        return format_float_positional(f);
    }
    let (digits, exp) = shortest_digits(f);
    // Go switches to the exponent form when exp < -4 || exp >= 6 for the shortest
    // precision, so a float million prints as 1e+06 (and go-yaml writes it so).
    if (-4..6).contains(&exp) {
        format_float_positional(f)
    } else {
        go_exponent_form(f.is_sign_negative(), &digits, exp)
    }
}

/// How Go's encoding/json prints a float64: positional for 1e-6 ≤ |f| < 1e21, otherwise
/// the exponent form with a one- or two-digit exponent (`1e-7`, `1e+21`).
pub fn format_float_json(f: f64) -> String {
    if !f.is_finite() || f == 0.0 {
        return format_float_positional(f);
    }
    let abs = f.abs();
    if (1e-6..1e21).contains(&abs) {
        return format_float_positional(f);
    }
    let (digits, exp) = shortest_digits(f);
    let mut s = go_exponent_form(f.is_sign_negative(), &digits, exp);
    // encoding/json turns e-07 into e-7.
    if let Some(pos) = s.find("e-0") {
        s.remove(pos + 2);
    }
    s
}

fn go_exponent_form(negative: bool, digits: &str, exp: i32) -> String {
    let mut s = String::new();
    if negative {
        s.push('-');
    }
    s.push_str(&digits[..1]);
    if digits.len() > 1 {
        s.push('.');
        s.push_str(&digits[1..]);
    }
    s.push('e');
    s.push(if exp < 0 { '-' } else { '+' });
    let e = exp.unsigned_abs();
    if e < 10 {
        s.push('0');
    }
    s.push_str(&e.to_string());
    s
}

/// Parses a timestamp and returns sops' canonical text (Go `time.RFC3339Nano`: fraction
/// trimmed of trailing zeros, `Z` for a zero offset).
///
/// With `yaml = true` the go-yaml forms are accepted too: `2006-1-2`, `2006-1-2 15:4:5[.f]`
/// (no zone, UTC) and `t` as separator; otherwise strict RFC 3339.
pub fn canonical_time(s: &str, yaml: bool) -> Option<String> {
    let b = s.as_bytes();
    let mut pos = 0;
    let year = take_digits(b, &mut pos, 4, 4)?;
    expect(b, &mut pos, b'-')?;
    let (min_width, max_width) = if yaml { (1, 2) } else { (2, 2) };
    let month = take_digits(b, &mut pos, min_width, max_width)?;
    expect(b, &mut pos, b'-')?;
    let day = take_digits(b, &mut pos, min_width, max_width)?;
    if !(1..=12).contains(&month)
        || day < 1
        || day > crate::time::days_in_month(i64::from(year), month)
    {
        return None;
    }
    if pos == b.len() {
        return yaml.then(|| format!("{year:04}-{month:02}-{day:02}T00:00:00Z"));
    }
    let sep = b[pos];
    let spaced = sep == b' ' || sep == b'\t';
    if !(sep == b'T' || (yaml && (sep == b't' || spaced))) {
        return None;
    }
    pos += 1;
    if spaced {
        while pos < b.len() && (b[pos] == b' ' || b[pos] == b'\t') {
            pos += 1;
        }
    }
    let hour = take_digits(b, &mut pos, min_width, 2)?;
    expect(b, &mut pos, b':')?;
    let minute = take_digits(b, &mut pos, min_width, 2)?;
    expect(b, &mut pos, b':')?;
    let second = take_digits(b, &mut pos, min_width, 2)?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut fraction = String::new();
    if pos < b.len() && b[pos] == b'.' {
        pos += 1;
        let start = pos;
        while pos < b.len() && b[pos].is_ascii_digit() {
            pos += 1;
        }
        if pos == start || pos - start > 9 {
            return None;
        }
        s[start..pos]
            .trim_end_matches('0')
            .clone_into(&mut fraction);
    }
    let zone = if pos == b.len() {
        // go-yaml reads a zone-less "date time" as UTC; RFC 3339 requires a zone.
        if !(yaml && spaced) {
            return None;
        }
        "Z".to_owned()
    } else {
        let rest = &s[pos..];
        let rest = if yaml && spaced {
            rest.trim_start()
        } else {
            rest
        };
        if rest == "Z" || (yaml && rest == "z") {
            "Z".to_owned()
        } else {
            let rb = rest.as_bytes();
            if rb.len() != 6 || !matches!(rb[0], b'+' | b'-') || rb[3] != b':' {
                return None;
            }
            let mut p = 1;
            let zh = take_digits(rb, &mut p, 2, 2)?;
            p += 1;
            let zm = take_digits(rb, &mut p, 2, 2)?;
            if zh > 23 || zm > 59 {
                return None;
            }
            if zh == 0 && zm == 0 {
                "Z".to_owned()
            } else {
                rest.to_owned()
            }
        }
    };
    let mut out = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
    if !fraction.is_empty() {
        out.push('.');
        out.push_str(&fraction);
    }
    out.push_str(&zone);
    Some(out)
}

fn take_digits(b: &[u8], pos: &mut usize, min: usize, max: usize) -> Option<u32> {
    let start = *pos;
    while *pos < b.len() && *pos - start < max && b[*pos].is_ascii_digit() {
        *pos += 1;
    }
    if *pos - start < min {
        return None;
    }
    std::str::from_utf8(&b[start..*pos]).ok()?.parse().ok()
}

fn expect(b: &[u8], pos: &mut usize, c: u8) -> Option<()> {
    if *pos < b.len() && b[*pos] == c {
        *pos += 1;
        Some(())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_positional_like_go_f() {
        assert_eq!(format_float_positional(2.0), "2");
        assert_eq!(format_float_positional(1e3), "1000");
        assert_eq!(format_float_positional(1e21), "1000000000000000000000");
        assert_eq!(format_float_positional(1e-7), "0.0000001");
        assert_eq!(format_float_positional(-0.0), "-0");
        assert_eq!(format_float_positional(f64::INFINITY), "+Inf");
        assert_eq!(format_float_positional(f64::NEG_INFINITY), "-Inf");
        assert_eq!(format_float_positional(f64::NAN), "NaN");
        assert_eq!(
            format_float_positional(12_345_678_901_234_567_890.0),
            "12345678901234567000"
        );
        assert_eq!(format_float_positional(0.75), "0.75");
    }

    #[test]
    fn floats_like_go_g_and_json() {
        assert_eq!(format_float_go_g(2.0), "2");
        assert_eq!(format_float_go_g(1e21), "1e+21");
        assert_eq!(format_float_go_g(1e20), "1e+20");
        assert_eq!(format_float_go_g(1e6), "1e+06");
        assert_eq!(format_float_go_g(123_456.0), "123456");
        assert_eq!(format_float_go_g(8443.0), "8443");
        assert_eq!(format_float_go_g(1e-7), "1e-07");
        assert_eq!(format_float_go_g(0.0001), "0.0001");
        assert_eq!(format_float_go_g(1.5e-5), "1.5e-05");
        assert_eq!(format_float_json(1e-7), "1e-7");
        assert_eq!(format_float_json(1e21), "1e+21");
        assert_eq!(format_float_json(12.5), "12.5");
        assert_eq!(
            format_float_json(12_345_678_901_234_567_890.0),
            "12345678901234567000"
        );
    }

    #[test]
    fn times_canonical() {
        assert_eq!(
            canonical_time("2024-02-29", true).as_deref(),
            Some("2024-02-29T00:00:00Z")
        );
        assert_eq!(canonical_time("2024-02-29", false), None);
        assert_eq!(
            canonical_time("2001-12-14 21:59:43.10", true).as_deref(),
            Some("2001-12-14T21:59:43.1Z")
        );
        assert_eq!(
            canonical_time("2001-12-14T21:59:43.10-05:00", true).as_deref(),
            Some("2001-12-14T21:59:43.1-05:00")
        );
        assert_eq!(
            canonical_time("2024-05-01T12:30:00Z", false).as_deref(),
            Some("2024-05-01T12:30:00Z")
        );
        assert_eq!(
            canonical_time("2024-05-01T12:30:00+00:00", false).as_deref(),
            Some("2024-05-01T12:30:00Z")
        );
        assert_eq!(canonical_time("2023-02-29", true), None);
        assert_eq!(canonical_time("12:30:00", true), None);
        assert_eq!(
            canonical_time("2024-5-1T1:2:3Z", true).as_deref(),
            Some("2024-05-01T01:02:03Z")
        );
    }

    #[test]
    fn plaintext_round_trip() {
        for (scalar, text, ty) in [
            (Scalar::Bool(true), "True", "bool"),
            (Scalar::Bool(false), "False", "bool"),
            (Scalar::Int(-42), "-42", "int"),
            (Scalar::Float(1.5), "1.5", "float"),
        ] {
            assert_eq!(&**plaintext_bytes(&scalar), text.as_bytes());
            assert_eq!(type_name(&scalar), ty);
            let back = parse_plaintext(ty, Zeroizing::new(text.as_bytes().to_vec())).unwrap();
            assert_eq!(back, scalar);
        }
        assert!(parse_plaintext("int", Zeroizing::new(b"4x".to_vec())).is_err());
        assert!(parse_plaintext("bool", Zeroizing::new(b"yes".to_vec())).is_err());
        assert!(parse_plaintext("bytes", Zeroizing::new(b"x".to_vec())).is_err());
        assert_eq!(
            parse_plaintext("bool", Zeroizing::new(b"true".to_vec())).unwrap(),
            Scalar::Bool(true)
        );
    }
}
