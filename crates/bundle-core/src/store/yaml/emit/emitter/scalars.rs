//! The scalar writers of the emitter: plain, single-quoted, double-quoted (with go-yaml's
//! escapes) and literal block scalars, with their line folding and block hints.
//!
//! What must stay true: each writer produces exactly go-yaml's bytes for the style the
//! emitter chose; a writer never changes the style.

use super::Emitter;
use crate::store::yaml::emit::style::{is_break, is_printable};

impl Emitter {
    pub(super) fn write_plain(&mut self, value: &str) {
        if !value.is_empty() && !self.whitespace {
            self.put(' ');
        }
        // Fast path: without line breaks (ASCII only, so none of the Unicode ones either)
        // the loop below only copies characters.
        if value
            .bytes()
            .all(|b| b != b'\n' && b != b'\r' && b.is_ascii())
        {
            self.out.push_str(value);
            self.column += value.len();
            if !value.is_empty() {
                self.whitespace = false;
            }
            self.indention = false;
            return;
        }
        let mut breaks = false;
        for c in value.chars() {
            if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
        if !value.is_empty() {
            self.whitespace = false;
        }
        self.indention = false;
    }

    pub(super) fn write_single_quoted(&mut self, value: &str) {
        self.write_indicator("'", true, false, false);
        let mut breaks = false;
        for c in value.chars() {
            if c == ' ' {
                self.put(c);
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    pub(super) fn write_double_quoted(&mut self, value: &str) {
        self.write_indicator("\"", true, false, false);
        // go-yaml tests for a byte-order mark at the start of the value, not at each
        // character, so a leading BOM escapes the whole value.
        let bom = value.starts_with('\u{FEFF}');
        for c in value.chars() {
            if bom || !is_printable(c) || is_break(c) || c == '"' || c == '\\' {
                self.write_escape(c);
            } else {
                self.put(c);
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_escape(&mut self, c: char) {
        self.put('\\');
        let short = match c {
            '\0' => Some('0'),
            '\u{07}' => Some('a'),
            '\u{08}' => Some('b'),
            '\t' => Some('t'),
            '\n' => Some('n'),
            '\u{0B}' => Some('v'),
            '\u{0C}' => Some('f'),
            '\r' => Some('r'),
            '\u{1B}' => Some('e'),
            '"' => Some('"'),
            '\\' => Some('\\'),
            '\u{85}' => Some('N'),
            '\u{A0}' => Some('_'),
            '\u{2028}' => Some('L'),
            '\u{2029}' => Some('P'),
            _ => None,
        };
        if let Some(s) = short {
            self.put(s);
            return;
        }
        let v = u32::from(c);
        let (letter, width) = if v <= 0xFF {
            ('x', 2)
        } else if v <= 0xFFFF {
            ('u', 4)
        } else {
            ('U', 8)
        };
        self.put(letter);
        for k in (0..width).rev() {
            let digit = (v >> (k * 4)) & 0xF;
            self.put(char::from_digit(digit, 16).map_or('0', |d| d.to_ascii_uppercase()));
        }
    }

    pub(super) fn write_literal(&mut self, value: &str) {
        self.write_indicator("|", true, false, false);
        self.write_block_scalar_hints(value);
        self.put_break();
        self.whitespace = true;
        let mut breaks = true;
        for c in value.chars() {
            if is_break(c) {
                self.write_break(c);
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }

    /// The indentation indicator (content starting with a space or a break) and the
    /// chomping indicator (`-` without a final break, `+` with more than one).
    fn write_block_scalar_hints(&mut self, value: &str) {
        let mut chars = value.chars();
        if chars
            .clone()
            .next()
            .is_some_and(|c| c == ' ' || is_break(c))
        {
            let hint = u32::try_from(self.best_indent)
                .ok()
                .and_then(|d| char::from_digit(d, 10))
                .unwrap_or('2');
            self.write_indicator(hint.encode_utf8(&mut [0; 4]), false, false, false);
        }
        let last = chars.next_back();
        let before_last = chars.next_back();
        let chomp = match (last, before_last) {
            (None, _) => Some("-"),
            (Some(l), _) if !is_break(l) => Some("-"),
            (Some(_), None) => Some("+"),
            (Some(_), Some(b)) if is_break(b) => Some("+"),
            _ => None,
        };
        if let Some(chomp) = chomp {
            self.write_indicator(chomp, false, false, false);
        }
    }
}
