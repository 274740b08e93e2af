//! The text-preserving editor of one creation rule's `age:` recipients.
//!
//! What must stay true: every byte outside the rule's `age:` value is kept (comments, key
//! order, the other rules, line endings, a missing final newline), and an edit is returned
//! only after the result parses to exactly the requested recipients with everything else
//! equal; otherwise the caller gets an error and the file is left to a person.

use std::path::Path;

use super::CONFIG_FILE_NAME;
use super::model::{KeyGroup, RawConfig, SopsConfig};
use crate::error::{Error, Result};

/// Rewrites the age recipients of creation rule `rule_index` (0-based) in the text of a
/// `.sops.yaml`, keeping every other byte: comments, key order, the other rules, and the
/// style of the `age:` value (comma-separated string, quoted string, block scalar, block or
/// flow list, and the trailing comment of the `age:` line or of each list item).
///
/// In a block list, recipients replace items by position (a rotation that swaps one key
/// keeps each item's comment); extra items are appended, surplus item lines removed
/// (comment lines around them stay).
///
/// The edit is line-based; the result is parsed again and must give exactly `recipients`
/// for that rule and unchanged other rules, otherwise nothing is returned but an error.
/// The rule must have its own `age:` entry (rules using `key_groups:` are refused).
pub fn replace_rule_recipients(
    text: &str,
    rule_index: usize,
    recipients: &[String],
) -> Result<String> {
    let path = Path::new(CONFIG_FILE_NAME);
    let fail = |message: String| Error::Config {
        path: path.to_owned(),
        message,
    };
    if recipients.is_empty() {
        return Err(fail(
            "refusing to write an empty list of age recipients".to_owned(),
        ));
    }
    let recipients: Vec<String> = recipients.iter().map(|r| r.trim().to_owned()).collect();
    for recipient in &recipients {
        crate::keys::parse_recipient(recipient)?;
    }

    let before = SopsConfig::parse(path, text)?;
    let Some(rule) = before.creation_rules.get(rule_index) else {
        return Err(fail(format!(
            "there is no creation_rules[{rule_index}] (the file has {} rules)",
            before.creation_rules.len()
        )));
    };
    let raw: Option<RawConfig> = yaml_serde::from_str(text).map_err(|e| fail(e.to_string()))?;
    let uses_key_groups = raw
        .and_then(|r| r.creation_rules)
        .and_then(|mut rules| rules.get_mut(rule_index).and_then(|r| r.key_groups.take()))
        .is_some_and(|groups| !groups.is_empty());
    if uses_key_groups || rule.key_groups.len() != 1 {
        return Err(fail(format!(
            "creation_rules[{rule_index}] uses key_groups; edit its recipients by hand"
        )));
    }

    let edited = edit_lines(text, rule_index)
        .and_then(|edit| edit.apply(&recipients))
        .map_err(|m| {
            fail(format!(
                "cannot rewrite creation_rules[{rule_index}].age: {m}"
            ))
        })?;

    // Prove the edit: the rule now has exactly these recipients and nothing else moved.
    let after = SopsConfig::parse(path, &edited).map_err(|e| {
        fail(format!(
            "the rewritten file does not parse ({e}); nothing was changed"
        ))
    })?;
    // What the file must now say: the same configuration with only this rule's group replaced.
    let mut expected = before.clone();
    expected.creation_rules[rule_index].key_groups = vec![KeyGroup { age: recipients }];
    if after != expected {
        return Err(fail(format!(
            "cannot rewrite creation_rules[{rule_index}].age safely (unusual layout); edit it by hand"
        )));
    }
    Ok(edited)
}

/// The layout of one `age:` value found in the text.
enum AgeValue {
    /// `age: a,b` or `age:` (empty), possibly continued on more-indented lines.
    Plain { separator: &'static str },
    /// `age: "a,b"` / `age: 'a,b'`.
    Quoted { quote: char },
    /// `age: [a, b]`.
    Flow,
    /// `age: >-` / `age: |` with content lines.
    Block,
    /// `age:` followed by `- a` lines.
    List,
}

/// Where the `age:` entry of one rule sits in the text.
struct AgeEdit<'a> {
    /// The file split after each `\n` (a final `\n` added when missing).
    lines: Vec<&'a str>,
    /// Whether the original text ended without a newline.
    missing_final_newline: bool,
    /// Index of the `age:` line.
    key_line: usize,
    /// Byte offset in the key line just after `age:`.
    value_start: usize,
    /// Lines after the key line that belong to the value: `key_line + 1 .. value_end`.
    value_end: usize,
    kind: AgeValue,
}

/// Splits a line into its content and its ending (`\n`, `\r\n`).
fn split_eol(line: &str) -> (&str, &str) {
    if let Some(content) = line.strip_suffix("\r\n") {
        (content, "\r\n")
    } else if let Some(content) = line.strip_suffix('\n') {
        (content, "\n")
    } else {
        (line, "")
    }
}

fn indent_of(content: &str) -> usize {
    content.len() - content.trim_start_matches(' ').len()
}

/// Whether a line is empty, blank, or only a comment.
fn is_blank_or_comment(content: &str) -> bool {
    let t = content.trim_start();
    t.is_empty() || t.starts_with('#')
}

/// Whether `s` (already without indentation) starts a block sequence item.
fn is_item(s: &str) -> bool {
    s == "-" || s.starts_with("- ") || s.starts_with("-\t")
}

/// The offset where a plain scalar's trailing comment (` #…`) starts, if any.
fn comment_start(s: &str) -> Option<usize> {
    if s.starts_with('#') {
        return Some(0);
    }
    s.char_indices()
        .find(|&(i, c)| c == '#' && s[..i].ends_with([' ', '\t']))
        .map(|(i, _)| s[..i].trim_end_matches([' ', '\t']).len())
}

/// The line ranges of the items of the block sequence that starts after `rules_line`: `-`
/// lines at the indentation of the first one, up to the first line indented less (or a
/// sibling key at the same indentation).
fn rule_items(lines: &[&str], rules_line: usize) -> Vec<(usize, usize)> {
    let mut items: Vec<(usize, usize)> = Vec::new();
    let mut seq_indent = None;
    let mut end = lines.len();
    for (i, line) in lines.iter().enumerate().skip(rules_line + 1) {
        let c = split_eol(line).0;
        if is_blank_or_comment(c) {
            continue;
        }
        let indent = indent_of(c);
        let at = *seq_indent.get_or_insert(indent);
        if indent < at || (indent == at && !is_item(&c[indent..])) {
            end = i;
            break;
        }
        if indent == at {
            if let Some(last) = items.last_mut() {
                last.1 = i;
            }
            items.push((i, lines.len()));
        }
    }
    if let Some(last) = items.last_mut() {
        last.1 = end;
    }
    items
}

/// Finds the `age:` entry of creation rule `rule_index`.
fn edit_lines(text: &str, rule_index: usize) -> std::result::Result<AgeEdit<'_>, String> {
    let missing_final_newline = !text.is_empty() && !text.ends_with('\n');
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let content = |i: usize| split_eol(lines[i]).0;

    // `creation_rules:` at column 0, its value on the following lines.
    let rules_line = (0..lines.len())
        .find(|&i| {
            let c = content(i);
            c.strip_prefix("creation_rules:")
                .is_some_and(is_blank_or_comment)
        })
        .ok_or("no block-style `creation_rules:` key at the start of a line")?;

    let items = rule_items(&lines, rules_line);
    let &(item_start, item_end) = items
        .get(rule_index)
        .ok_or_else(|| format!("found only {} rules in the text", items.len()))?;

    // The rule's keys sit at the column after `- ` (or on the next line for a lone `-`).
    let dash_line = content(item_start);
    let dash_col = indent_of(dash_line);
    let after_dash = &dash_line[dash_col + 1..];
    let key_col_on_dash =
        dash_col + 1 + (after_dash.len() - after_dash.trim_start_matches([' ', '\t']).len());
    let key_col = if is_blank_or_comment(&dash_line[key_col_on_dash..]) {
        (item_start + 1..item_end)
            .map(content)
            .find(|c| !is_blank_or_comment(c))
            .map(indent_of)
            .ok_or("the rule is empty")?
    } else {
        key_col_on_dash
    };
    let key_at = |i: usize| -> Option<usize> {
        let c = content(i);
        let col = if i == item_start {
            key_col_on_dash
        } else {
            key_col
        };
        if i != item_start && (indent_of(c) != key_col || is_blank_or_comment(c)) {
            return None;
        }
        let rest = c.get(col..)?;
        ["age:", "\"age\":", "'age':"].iter().find_map(|key| {
            let after = rest.strip_prefix(key)?;
            (after.is_empty() || after.starts_with([' ', '\t'])).then_some(col + key.len())
        })
    };
    let (key_line, value_start) = (item_start..item_end)
        .find_map(|i| key_at(i).map(|offset| (i, offset)))
        .ok_or("the rule has no `age:` key of its own")?;

    // The value's lines: more indented than the key, or `-` items at the key's column,
    // blank and comment lines in between; trailing blank/comment lines stay outside.
    let mut value_end = key_line + 1;
    let mut last_content = key_line;
    while value_end < item_end {
        let c = content(value_end);
        let belongs = is_blank_or_comment(c)
            || indent_of(c) > key_col
            || (indent_of(c) == key_col && is_item(&c[key_col..]));
        if !belongs {
            break;
        }
        if !is_blank_or_comment(c) {
            last_content = value_end;
        }
        value_end += 1;
    }
    let value_end = last_content + 1;

    let rest = content(key_line)[value_start..].trim_start_matches([' ', '\t']);
    let has_continuation = value_end > key_line + 1;
    let kind = match rest.chars().next() {
        None | Some('#') => {
            let first = (key_line + 1..value_end)
                .map(content)
                .find(|c| !is_blank_or_comment(c));
            match first {
                Some(c) if is_item(c.trim_start()) => AgeValue::List,
                _ => AgeValue::Plain { separator: "," },
            }
        }
        Some('|' | '>') => AgeValue::Block,
        Some(quote @ ('"' | '\'')) => AgeValue::Quoted { quote },
        Some('[') => AgeValue::Flow,
        Some('&' | '*' | '!' | '{') => {
            return Err("anchors, aliases, tags and mappings are not supported".to_owned());
        }
        Some(_) => {
            let value = &rest[..comment_start(rest).unwrap_or(rest.len())];
            let separator = if value.contains(", ") || has_continuation {
                ", "
            } else {
                ","
            };
            AgeValue::Plain { separator }
        }
    };
    Ok(AgeEdit {
        lines,
        missing_final_newline,
        key_line,
        value_start,
        value_end,
        kind,
    })
}

impl AgeEdit<'_> {
    /// The text with the value replaced by `recipients`.
    fn apply(&self, recipients: &[String]) -> std::result::Result<String, String> {
        let (key_content, eol) = split_eol(self.lines[self.key_line]);
        let eol = if eol.is_empty() { "\n" } else { eol };
        let key_part = &key_content[..self.value_start];
        let rest_raw = &key_content[self.value_start..];
        let rest = rest_raw.trim_start_matches([' ', '\t']);
        let gap = if rest.is_empty() {
            " "
        } else {
            &rest_raw[..rest_raw.len() - rest.len()]
        };

        let mut replacement: Vec<String> = Vec::new();
        match self.kind {
            AgeValue::Plain { separator } => {
                let comment = comment_start(rest).map_or("", |i| &rest[i..]);
                let multi_line = (self.key_line + 1..self.value_end)
                    .any(|i| !is_blank_or_comment(split_eol(self.lines[i]).0));
                let comment = if multi_line { "" } else { comment };
                let comment = if rest.starts_with('#') {
                    format!(" {comment}")
                } else {
                    comment.to_owned()
                };
                replacement.push(format!(
                    "{key_part}{gap}{}{comment}{eol}",
                    recipients.join(separator)
                ));
            }
            AgeValue::Quoted { quote } => {
                let comment = closing_quote(rest, quote).map_or("", |end| &rest[end..]);
                let joined = recipients.join(",");
                replacement.push(format!(
                    "{key_part}{gap}{quote}{joined}{quote}{comment}{eol}"
                ));
            }
            AgeValue::Flow => {
                let comment = rest.find(']').map_or("", |end| &rest[end + 1..]);
                replacement.push(format!(
                    "{key_part}{gap}[{}]{comment}{eol}",
                    recipients.join(", ")
                ));
            }
            AgeValue::Block => {
                replacement.push(self.lines[self.key_line].to_owned());
                let key_indent = indent_of(key_content);
                let content_indent = (self.key_line + 1..self.value_end)
                    .map(|i| split_eol(self.lines[i]).0)
                    .find(|c| !c.trim().is_empty())
                    .map_or(key_indent + 2, indent_of);
                let pad = " ".repeat(content_indent);
                for (i, r) in recipients.iter().enumerate() {
                    let comma = if i + 1 < recipients.len() { "," } else { "" };
                    replacement.push(format!("{pad}{r}{comma}{eol}"));
                }
            }
            AgeValue::List => replacement = self.list_lines(recipients, eol)?,
        }

        let mut out =
            String::with_capacity(self.lines.iter().map(|l| l.len()).sum::<usize>() + 256);
        for line in &self.lines[..self.key_line] {
            out.push_str(line);
        }
        for line in &replacement {
            out.push_str(line);
        }
        for line in &self.lines[self.value_end..] {
            out.push_str(line);
        }
        if self.missing_final_newline && out.ends_with('\n') {
            out.pop();
            if out.ends_with('\r') {
                out.pop();
            }
        }
        Ok(out)
    }

    /// The key line and the rewritten items of a block list (see [`replace_rule_recipients`]).
    fn list_lines(
        &self,
        recipients: &[String],
        eol: &str,
    ) -> std::result::Result<Vec<String>, String> {
        let mut replacement: Vec<String> = Vec::new();
        replacement.push(self.lines[self.key_line].to_owned());
        let mut next = recipients.iter();
        let mut item_prefix = String::new();
        let mut item_eol = eol.to_owned();
        for i in self.key_line + 1..self.value_end {
            let (c, line_eol) = split_eol(self.lines[i]);
            if is_blank_or_comment(c) {
                replacement.push(self.lines[i].to_owned());
                continue;
            }
            let indent = indent_of(c);
            if !is_item(&c[indent..]) {
                return Err("a list item spans several lines".to_owned());
            }
            let body = &c[indent + 1..];
            let value = body.trim_start_matches([' ', '\t']);
            let prefix = &c[..c.len() - value.len()];
            let prefix = if value.is_empty() {
                format!("{prefix} ")
            } else {
                prefix.to_owned()
            };
            item_prefix.clone_from(&prefix);
            item_eol = if line_eol.is_empty() {
                eol.to_owned()
            } else {
                line_eol.to_owned()
            };
            let Some(recipient) = next.next() else {
                // A surplus item: its line goes, comment lines around it stay.
                continue;
            };
            let (quote, comment) = match value.chars().next() {
                Some(q @ ('"' | '\'')) => (
                    Some(q),
                    closing_quote(value, q).map_or("", |end| &value[end..]),
                ),
                _ => (None, comment_start(value).map_or("", |i| &value[i..])),
            };
            let q = quote.map(String::from).unwrap_or_default();
            replacement.push(format!("{prefix}{q}{recipient}{q}{comment}{item_eol}"));
        }
        let added: Vec<&String> = next.collect();
        if !added.is_empty() {
            if item_prefix.is_empty() {
                return Err("the list has no item to copy the layout from".to_owned());
            }
            // New items go right after the last item line written.
            let at = replacement
                .iter()
                .rposition(|l| is_item(split_eol(l).0.trim_start()))
                .map_or(replacement.len(), |p| p + 1);
            let new_lines = added.iter().map(|r| format!("{item_prefix}{r}{item_eol}"));
            replacement.splice(at..at, new_lines);
        }
        Ok(replacement)
    }
}

/// The offset just after the closing quote of a quoted scalar starting at `s[0]`.
fn closing_quote(s: &str, quote: char) -> Option<usize> {
    let mut chars = s.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if quote == '"' && c == '\\' {
            chars.next();
        } else if c == quote {
            if quote == '\'' && chars.peek().is_some_and(|&(_, n)| n == '\'') {
                chars.next();
            } else {
                return Some(i + 1);
            }
        }
    }
    None
}
