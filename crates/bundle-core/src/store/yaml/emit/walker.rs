//! Tree walk → events: sops' node building (comments become head comments of the next key
//! or item, or the foot comment of the last one) followed by go-yaml's node encoder, as
//! one pass that feeds the [`Emitter`] directly.
//!
//! What must stay true: comments are attached where go-yaml attaches them, and every
//! buffer holding comment text (which may be plaintext) zeroizes itself.

use zeroize::Zeroizing;

use super::emitter::Emitter;
use super::style::{Analysis, Style, analyze, string_style};
use crate::error::StoreError;
use crate::tree::{MapItem, Scalar, SeqItem, Value};
use crate::value::format_float_go_g;

pub(super) struct ScalarEvent<'a> {
    pub(super) value: &'a str,
    pub(super) analysis: Analysis,
    pub(super) style: Style,
    /// Written as `!!merge <<` (a plain `<<` string node carries go-yaml's merge tag).
    pub(super) merge_tag: bool,
    pub(super) head: &'a str,
    pub(super) foot: &'a str,
}

pub(super) enum Event<'a> {
    DocStart,
    DocEnd,
    MapStart { head: &'a str, empty: bool },
    MapEnd { tail: &'a str, foot: &'a str },
    SeqStart { head: &'a str, empty: bool },
    SeqEnd { foot: &'a str },
    Scalar(ScalarEvent<'a>),
}

pub(super) struct Walker {
    pub(super) em: Emitter,
}

/// sops' comment block: `#` + lines joined with `\n#`.
fn join_comments<'a>(texts: impl Iterator<Item = &'a str>) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::new());
    for (i, t) in texts.enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push('#');
        out.push_str(t);
    }
    out
}

/// `outer` then `inner` on the next line (go-yaml head comments stack that way).
fn stack_comments(outer: &str, inner: &str) -> Zeroizing<String> {
    let mut s = Zeroizing::new(String::with_capacity(outer.len() + inner.len() + 1));
    s.push_str(outer);
    if !outer.is_empty() && !inner.is_empty() {
        s.push('\n');
    }
    s.push_str(inner);
    s
}

fn map_comment(item: &MapItem) -> Option<&str> {
    match item {
        MapItem::Comment(c) => Some(c.text.as_str()),
        MapItem::Entry(..) => None,
    }
}

fn seq_comment(item: &SeqItem) -> Option<&str> {
    match item {
        SeqItem::Comment(c) => Some(c.text.as_str()),
        SeqItem::Value(_) => None,
    }
}

impl Walker {
    /// A mapping: comments before the first entry are the mapping's head comment (all of
    /// them if it has no entry), comments before a later entry the head comment of its key,
    /// comments after the last entry the foot comment of the last key, which go-yaml's
    /// encoder carries to the end of the mapping.
    pub(super) fn map(
        &mut self,
        items: &[&MapItem],
        extra_head: &str,
        foot: &str,
    ) -> Result<(), StoreError> {
        let first_entry = items.iter().position(|i| matches!(i, MapItem::Entry(..)));
        let Some(first_entry) = first_entry else {
            let own = join_comments(items.iter().filter_map(|i| map_comment(i)));
            let head = stack_comments(extra_head, &own);
            self.em.event(&Event::MapStart {
                head: &head,
                empty: true,
            })?;
            return self.em.event(&Event::MapEnd { tail: "", foot });
        };
        let last_entry = items
            .iter()
            .rposition(|i| matches!(i, MapItem::Entry(..)))
            .unwrap_or(first_entry);
        let own = join_comments(items[..first_entry].iter().filter_map(|i| map_comment(i)));
        let head = stack_comments(extra_head, &own);
        self.em.event(&Event::MapStart {
            head: &head,
            empty: false,
        })?;
        drop(head);
        let mut pending_from = first_entry;
        for (idx, item) in items
            .iter()
            .enumerate()
            .take(last_entry + 1)
            .skip(first_entry)
        {
            let MapItem::Entry(key, value) = item else {
                continue;
            };
            let key_head = join_comments(
                items[pending_from..idx]
                    .iter()
                    .filter_map(|i| map_comment(i)),
            );
            pending_from = idx + 1;
            self.key(key, &key_head)?;
            self.value(value, "", "")?;
        }
        let trailing = join_comments(
            items[last_entry + 1..]
                .iter()
                .filter_map(|i| map_comment(i)),
        );
        self.em.event(&Event::MapEnd {
            tail: &trailing,
            foot,
        })
    }

    /// A sequence: comments before the first element are the sequence's head comment,
    /// comments before a later element that element's head comment, comments after the
    /// last element its foot comment.
    fn seq(&mut self, items: &[SeqItem], extra_head: &str, foot: &str) -> Result<(), StoreError> {
        let first_value = items.iter().position(|i| matches!(i, SeqItem::Value(_)));
        let Some(first_value) = first_value else {
            let own = join_comments(items.iter().filter_map(seq_comment));
            let head = stack_comments(extra_head, &own);
            self.em.event(&Event::SeqStart {
                head: &head,
                empty: true,
            })?;
            return self.em.event(&Event::SeqEnd { foot });
        };
        let last_value = items
            .iter()
            .rposition(|i| matches!(i, SeqItem::Value(_)))
            .unwrap_or(first_value);
        let own = join_comments(items[..first_value].iter().filter_map(seq_comment));
        let head = stack_comments(extra_head, &own);
        self.em.event(&Event::SeqStart {
            head: &head,
            empty: false,
        })?;
        drop(head);
        let mut pending_from = first_value;
        for (idx, item) in items
            .iter()
            .enumerate()
            .take(last_value + 1)
            .skip(first_value)
        {
            let SeqItem::Value(value) = item else {
                continue;
            };
            let item_head = join_comments(items[pending_from..idx].iter().filter_map(seq_comment));
            pending_from = idx + 1;
            if idx == last_value {
                let item_foot =
                    join_comments(items[last_value + 1..].iter().filter_map(seq_comment));
                self.value(value, &item_head, &item_foot)?;
            } else {
                self.value(value, &item_head, "")?;
            }
        }
        self.em.event(&Event::SeqEnd { foot })
    }

    fn key(&mut self, key: &str, head: &str) -> Result<(), StoreError> {
        let analysis = analyze(key);
        let style = string_style(key, analysis);
        self.em.event(&Event::Scalar(ScalarEvent {
            value: key,
            analysis,
            style,
            merge_tag: style == Style::Plain && key == "<<",
            head,
            foot: "",
        }))
    }

    fn value(&mut self, value: &Value, head: &str, foot: &str) -> Result<(), StoreError> {
        match value {
            Value::Map(m) => {
                let items: Vec<&MapItem> = m.items.iter().collect();
                self.map(&items, head, foot)
            }
            Value::Seq(items) => self.seq(items, head, foot),
            Value::Null => self.plain("null", head, foot),
            Value::Scalar(Scalar::Str(t)) => {
                let s = t.as_str();
                let analysis = analyze(s);
                let style = string_style(s, analysis);
                self.em.event(&Event::Scalar(ScalarEvent {
                    value: s,
                    analysis,
                    style,
                    merge_tag: style == Style::Plain && s == "<<",
                    head,
                    foot,
                }))
            }
            Value::Scalar(Scalar::Time(t)) => self.plain(t.as_str(), head, foot),
            Value::Scalar(Scalar::Bool(b)) => {
                self.plain(if *b { "true" } else { "false" }, head, foot)
            }
            Value::Scalar(Scalar::Int(i)) => {
                let text = Zeroizing::new(i.to_string());
                self.plain(&text, head, foot)
            }
            Value::Scalar(Scalar::Float(f)) => {
                let text = Zeroizing::new(format_float_go_g(*f));
                let text: &str = match text.as_str() {
                    "+Inf" => ".inf",
                    "-Inf" => "-.inf",
                    "NaN" => ".nan",
                    other => other,
                };
                self.plain(text, head, foot)
            }
            Value::Scalar(Scalar::Bytes(_)) => Err(StoreError::new(
                "a value that is not UTF-8 text cannot be written as YAML",
            )),
        }
    }

    /// Numbers, booleans, null and timestamps: go-yaml writes their text plain.
    fn plain(&mut self, text: &str, head: &str, foot: &str) -> Result<(), StoreError> {
        self.em.event(&Event::Scalar(ScalarEvent {
            value: text,
            analysis: analyze(text),
            style: Style::Plain,
            merge_tag: false,
            head,
            foot,
        }))
    }
}
