//! Scalar analysis and style choice: which styles can represent a string (go-yaml's
//! `yaml_emitter_analyze_scalar`) and the style go-yaml picks when sops encodes a scalar on
//! its own first (`Node.Encode`), which is where quoting is decided.
//!
//! What must stay true: the fast path for `ENC[...]` values gives the same analysis as the
//! full scan (tested below), and the chosen style matches go-yaml's for every string.

use crate::store::yaml::resolve::plain_keeps_string;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// Which styles can represent a scalar (go-yaml's `yaml_emitter_analyze_scalar`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // independent facts, as libyaml keeps them
pub(super) struct Analysis {
    pub(super) multiline: bool,
    pub(super) flow_plain_allowed: bool,
    pub(super) block_plain_allowed: bool,
    pub(super) single_quoted_allowed: bool,
    pub(super) block_allowed: bool,
}

/// Printable without escaping in a double-quoted scalar (libyaml's `is_printable`).
pub(super) fn is_printable(c: char) -> bool {
    matches!(c, '\n' | '\u{20}'..='\u{7E}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        && c != '\u{FEFF}'
}

pub(super) fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

pub(super) fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Whether a character is a YAML indicator where it stands: `(flow, block)`, i.e. it
/// forbids the plain style in flow context, and in block context too.
fn indicator(
    c: char,
    first: bool,
    preceded_by_whitespace: bool,
    followed_by_whitespace: bool,
) -> (bool, bool) {
    if first {
        match c {
            '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%'
            | '@' | '`' => (true, true),
            '?' | ':' => (true, followed_by_whitespace),
            '-' if followed_by_whitespace => (true, true),
            _ => (false, false),
        }
    } else {
        match c {
            ',' | '?' | '[' | ']' | '{' | '}' => (true, false),
            ':' => (true, followed_by_whitespace),
            '#' if preceded_by_whitespace => (true, true),
            _ => (false, false),
        }
    }
}

/// What the characters of a scalar imply for its possible styles.
#[derive(Default)]
#[allow(clippy::struct_excessive_bools)] // the flags libyaml collects
struct Scan {
    block_indicators: bool,
    flow_indicators: bool,
    line_breaks: bool,
    special_characters: bool,
    tab_characters: bool,
    leading_space: bool,
    leading_break: bool,
    trailing_space: bool,
    trailing_break: bool,
    break_space: bool,
    space_break: bool,
}

fn scan(value: &str) -> Scan {
    let mut f = Scan::default();
    f.block_indicators = value.starts_with("---") || value.starts_with("...");
    f.flow_indicators = f.block_indicators;
    let mut preceded_by_whitespace = true;
    let mut previous_space = false;
    let mut previous_break = false;
    let mut chars = value.chars().peekable();
    let mut first = true;
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let last = next.is_none();
        let (flow, block) = indicator(c, first, preceded_by_whitespace, next.is_none_or(is_blank));
        f.flow_indicators |= flow;
        f.block_indicators |= block;
        if c == '\t' {
            f.tab_characters = true;
        } else if !is_printable(c) {
            f.special_characters = true;
        }
        if c == ' ' {
            f.leading_space |= first;
            f.trailing_space |= last;
            f.break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            f.line_breaks = true;
            f.leading_break |= first;
            f.trailing_break |= last;
            f.space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blank(c) || is_break(c) || c == '\0';
        first = false;
    }
    f
}

/// Whether `value` has the shape of an `ENC[...]` value: the prefix, then only base64,
/// field and bracket characters. Every such string scans the same (flow indicators, nothing
/// else), so its analysis is computed once; encrypted files are mostly made of them.
fn is_enc_shaped(value: &str) -> bool {
    value.starts_with(crate::cipher::ENC_PREFIX)
        && value.ends_with(']')
        && value.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'+' | b'/' | b'=' | b',' | b':' | b'[' | b']' | b'_')
        })
}

pub(super) fn analyze(value: &str) -> Analysis {
    static ENC: std::sync::OnceLock<Analysis> = std::sync::OnceLock::new();
    if is_enc_shaped(value) {
        return *ENC
            .get_or_init(|| analyze_scan("ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]"));
    }
    analyze_scan(value)
}

fn analyze_scan(value: &str) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            flow_plain_allowed: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let f = scan(value);
    let edges = f.leading_space || f.leading_break || f.trailing_space || f.trailing_break;
    let unquotable = f.break_space || f.space_break || f.tab_characters || f.special_characters;
    Analysis {
        multiline: f.line_breaks,
        flow_plain_allowed: !(edges || unquotable || f.line_breaks || f.flow_indicators),
        block_plain_allowed: !(edges || unquotable || f.line_breaks || f.block_indicators),
        single_quoted_allowed: !unquotable,
        block_allowed: !(f.trailing_space || f.space_break || f.special_characters),
    }
}

/// The style go-yaml gives a string when sops encodes it on its own (`Node.Encode`): the
/// string encoder asks for literal (multi-line), plain (if the plain form stays a string)
/// or double-quoted, and the emitter downgrades what the text cannot carry. The node keeps
/// that style when the whole document is written.
pub(super) fn string_style(s: &str, a: Analysis) -> Style {
    let requested = if s.contains('\n') {
        Style::Literal
    } else if plain_keeps_string(s) {
        Style::Plain
    } else {
        Style::Double
    };
    match requested {
        Style::Plain if !a.block_plain_allowed => {
            if a.single_quoted_allowed {
                Style::Single
            } else {
                Style::Double
            }
        }
        Style::Literal if !a.block_allowed => Style::Double,
        // go-yaml writes these as a literal block without an indentation indicator, then
        // cannot read its own text back (a tab where indentation is expected), and sops
        // ends up writing `null` instead of the value. Keep the value: double quotes.
        Style::Literal if s.starts_with('\t') => Style::Double,
        other => other,
    }
}

#[cfg(test)]
mod fast_path_tests {
    use super::*;

    #[test]
    fn enc_fast_path_matches_the_full_scan() {
        let key = crate::cipher::DataKey::generate();
        for (plain, ty) in [
            ("x", "str"),
            ("a much longer secret value with spaces", "str"),
            ("42", "int"),
        ] {
            let enc = crate::cipher::encrypt(&key, plain.as_bytes(), b"a:b:", ty, None);
            assert!(is_enc_shaped(&enc), "{enc}");
            assert_eq!(analyze(&enc), analyze_scan(&enc));
            assert!(crate::store::yaml::resolve::plain_keeps_string(&enc));
        }
        assert!(!is_enc_shaped("ENC[AES256_GCM,data:AA==,iv: x]"));
        assert!(!is_enc_shaped("ENC[AES256_GCM,data:AA==] # c"));
    }
}
