//! Tree → YAML text, byte for byte as sops 3.11 writes it.
//!
//! sops turns its tree into go-yaml v3 nodes (comments become head comments of the next key
//! or item, or the foot comment of the last one) and encodes them with go-yaml's emitter.
//! This module does the same in three layers:
//!
//! 1. [`Walker`] visits the tree and produces the event stream go-yaml's node encoder would
//!    produce for sops' nodes, comments included;
//! 2. each scalar gets the style go-yaml chooses when sops encodes it on its own first
//!    (`Node.Encode`), which is where quoting is decided;
//! 3. [`Emitter`] is a state machine with the layout rules of go-yaml's emitter for the
//!    events that can occur here (block collections, empty flow collections, scalars,
//!    head/foot comments, documents): indentation, `- ` items, comment placement and blank
//!    lines all come from the same bookkeeping.
//!
//! Output goes to a buffer that zeroizes every copy it leaves behind when it grows, since
//! plaintext passes through it.

use zeroize::Zeroizing;

use super::resolve::plain_keeps_string;
use crate::error::StoreError;
use crate::store::EmitOptions;
use crate::tree::{MapItem, RawFile, Scalar, SeqItem, Value};
use crate::value::format_float_go_g;

/// Emits every branch as one YAML document, each with the metadata as its last key.
pub(super) fn emit(file: &RawFile, options: EmitOptions) -> Result<Vec<u8>, StoreError> {
    let best_indent = match options.indent {
        None | Some(0) => 4,
        // go-yaml's emitter falls back to 2 outside 2..=9.
        Some(n) if (2..=9).contains(&n) => n,
        Some(_) => 2,
    };
    let metadata = file
        .metadata
        .as_ref()
        .map(|m| MapItem::Entry("sops".to_owned(), Value::Map(m.clone())));
    if metadata.is_some() {
        for branch in &file.branches {
            if branch.get("sops").is_some() {
                return Err(StoreError::new(
                    "the tree already has a top-level `sops` key next to the sops metadata",
                ));
            }
        }
    }
    let size_hint: usize = file.branches.iter().map(|b| b.items.len() * 48).sum();
    let mut walker = Walker {
        em: Emitter::new(best_indent, size_hint),
    };
    for branch in &file.branches {
        walker.em.event(&Event::DocStart)?;
        let items: Vec<&MapItem> = branch.items.iter().chain(metadata.as_ref()).collect();
        walker.map(&items, "", "")?;
        walker.em.event(&Event::DocEnd)?;
    }
    Ok(walker.em.out.into_vec())
}

// ---------------------------------------------------------------------------------------
// Output buffer
// ---------------------------------------------------------------------------------------

/// A growable byte buffer that zeroizes the old allocation whenever it grows.
struct Out {
    buf: Zeroizing<Vec<u8>>,
}

impl Out {
    fn with_capacity(n: usize) -> Self {
        Self {
            buf: Zeroizing::new(Vec::with_capacity(n.max(256))),
        }
    }

    fn reserve(&mut self, n: usize) {
        if self.buf.len() + n > self.buf.capacity() {
            let wanted = (self.buf.capacity() * 2).max(self.buf.len() + n);
            let mut bigger = Zeroizing::new(Vec::with_capacity(wanted));
            bigger.extend_from_slice(&self.buf);
            // The old buffer is zeroized when it drops here.
            self.buf = bigger;
        }
    }

    fn push_str(&mut self, s: &str) {
        self.reserve(s.len());
        self.buf.extend_from_slice(s.as_bytes());
    }

    fn push_char(&mut self, c: char) {
        let mut tmp = [0u8; 4];
        self.push_str(c.encode_utf8(&mut tmp));
    }

    fn into_vec(mut self) -> Vec<u8> {
        std::mem::take(&mut *self.buf)
    }
}

// ---------------------------------------------------------------------------------------
// Scalar analysis and style choice
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// Which styles can represent a scalar (go-yaml's `yaml_emitter_analyze_scalar`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // independent facts, as libyaml keeps them
struct Analysis {
    multiline: bool,
    flow_plain_allowed: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

/// Printable without escaping in a double-quoted scalar (libyaml's `is_printable`).
fn is_printable(c: char) -> bool {
    matches!(c, '\n' | '\u{20}'..='\u{7E}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        && c != '\u{FEFF}'
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: char) -> bool {
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

fn analyze(value: &str) -> Analysis {
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
fn string_style(s: &str, a: Analysis) -> Style {
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

// ---------------------------------------------------------------------------------------
// Tree walk → events (sops' node building + go-yaml's node encoder)
// ---------------------------------------------------------------------------------------

struct ScalarEvent<'a> {
    value: &'a str,
    analysis: Analysis,
    style: Style,
    /// Written as `!!merge <<` (a plain `<<` string node carries go-yaml's merge tag).
    merge_tag: bool,
    head: &'a str,
    foot: &'a str,
}

enum Event<'a> {
    DocStart,
    DocEnd,
    MapStart { head: &'a str, empty: bool },
    MapEnd { tail: &'a str, foot: &'a str },
    SeqStart { head: &'a str, empty: bool },
    SeqEnd { foot: &'a str },
    Scalar(ScalarEvent<'a>),
}

struct Walker {
    em: Emitter,
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
    fn map(&mut self, items: &[&MapItem], extra_head: &str, foot: &str) -> Result<(), StoreError> {
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

// ---------------------------------------------------------------------------------------
// The emitter state machine (go-yaml's layout rules)
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    FirstDocumentStart,
    DocumentStart,
    DocumentContent,
    DocumentEnd,
    FlowSequenceFirstItem,
    FlowMappingFirstKey,
    BlockSequenceFirstItem,
    BlockSequenceItem,
    BlockMappingFirstKey,
    BlockMappingKey,
    BlockMappingSimpleValue,
    BlockMappingValue,
}

struct Emitter {
    out: Out,
    best_indent: isize,
    state: State,
    states: Vec<State>,
    indent: isize,
    indents: Vec<isize>,
    flow_level: usize,
    simple_key_context: bool,
    column: usize,
    /// The last character written was whitespace (or nothing yet on this line).
    whitespace: bool,
    /// Only indentation has been written on this line so far.
    indention: bool,
    /// Indentation of the foot comment just written (-1: none); the next line at the
    /// same indentation is preceded by a blank line.
    foot_indent: isize,
    head_comment: Zeroizing<String>,
    foot_comment: Zeroizing<String>,
    tail_comment: Zeroizing<String>,
}

fn internal(what: &str) -> StoreError {
    StoreError::new(format!("internal error in the YAML writer: {what}"))
}

impl Emitter {
    fn new(best_indent: usize, capacity: usize) -> Self {
        Self {
            out: Out::with_capacity(capacity),
            best_indent: best_indent.cast_signed(),
            state: State::FirstDocumentStart,
            states: Vec::new(),
            indent: -1,
            indents: Vec::new(),
            flow_level: 0,
            simple_key_context: false,
            column: 0,
            whitespace: true,
            indention: true,
            foot_indent: -1,
            head_comment: Zeroizing::new(String::new()),
            foot_comment: Zeroizing::new(String::new()),
            tail_comment: Zeroizing::new(String::new()),
        }
    }

    fn event(&mut self, ev: &Event<'_>) -> Result<(), StoreError> {
        // Comments of an event replace what the emitter holds, as in go-yaml.
        let (head, foot, tail) = match ev {
            Event::MapStart { head, .. } | Event::SeqStart { head, .. } => (*head, "", ""),
            Event::MapEnd { tail, foot } => ("", *foot, *tail),
            Event::SeqEnd { foot } => ("", *foot, ""),
            Event::Scalar(s) => (s.head, s.foot, ""),
            Event::DocStart | Event::DocEnd => ("", "", ""),
        };
        for (register, text) in [
            (&mut self.head_comment, head),
            (&mut self.foot_comment, foot),
            (&mut self.tail_comment, tail),
        ] {
            if !text.is_empty() {
                register.clear();
                register.push_str(text);
            }
        }
        match self.state {
            State::FirstDocumentStart | State::DocumentStart => self.document_start(ev),
            State::DocumentContent => {
                self.states.push(State::DocumentEnd);
                self.process_head_comment();
                self.emit_node(ev, false)?;
                self.process_foot_comment();
                Ok(())
            }
            State::DocumentEnd => self.document_end(ev),
            State::FlowSequenceFirstItem => self.empty_flow_sequence(ev),
            State::FlowMappingFirstKey => self.empty_flow_mapping(ev),
            State::BlockSequenceFirstItem | State::BlockSequenceItem => {
                self.block_sequence_item(ev)
            }
            State::BlockMappingFirstKey | State::BlockMappingKey => self.block_mapping_key(ev),
            State::BlockMappingSimpleValue | State::BlockMappingValue => {
                self.block_mapping_value(ev)
            }
        }
    }

    fn document_start(&mut self, ev: &Event<'_>) -> Result<(), StoreError> {
        let Event::DocStart = ev else {
            return Err(internal("expected a document start"));
        };
        // Every document but the first starts with an explicit `---`.
        if self.state == State::DocumentStart {
            self.write_indent();
            self.write_indicator("---", true, false, false);
            self.write_indent();
        }
        self.state = State::DocumentContent;
        Ok(())
    }

    fn document_end(&mut self, ev: &Event<'_>) -> Result<(), StoreError> {
        let Event::DocEnd = ev else {
            return Err(internal("expected a document end"));
        };
        // go-yaml forces a blank line before a document's foot comment.
        self.foot_indent = 0;
        self.process_foot_comment();
        self.foot_indent = -1;
        self.write_indent();
        self.state = State::DocumentStart;
        Ok(())
    }

    fn empty_flow_sequence(&mut self, ev: &Event<'_>) -> Result<(), StoreError> {
        let Event::SeqEnd { .. } = ev else {
            return Err(internal("expected an empty sequence"));
        };
        self.write_indicator("[", true, true, false);
        self.increase_indent(true);
        self.indent = self.pop_indent();
        if self.column == 0 {
            self.write_indent();
        }
        self.write_indicator("]", false, false, false);
        self.process_foot_comment();
        self.state = self.pop_state();
        Ok(())
    }

    fn empty_flow_mapping(&mut self, ev: &Event<'_>) -> Result<(), StoreError> {
        let Event::MapEnd { .. } = ev else {
            return Err(internal("expected an empty mapping"));
        };
        self.write_indicator("{", true, true, false);
        self.increase_indent(true);
        self.flow_level += 1;
        // A head comment held for the mapping is written inside the braces.
        self.process_head_comment();
        self.flow_level -= 1;
        self.indent = self.pop_indent();
        self.write_indicator("}", false, false, false);
        self.process_foot_comment();
        self.state = self.pop_state();
        Ok(())
    }

    fn block_sequence_item(&mut self, ev: &Event<'_>) -> Result<(), StoreError> {
        if self.state == State::BlockSequenceFirstItem {
            self.increase_indent(false);
        }
        if let Event::SeqEnd { .. } = ev {
            // A foot comment of the end stays held (go-yaml writes it with a later node).
            self.indent = self.pop_indent();
            self.state = self.pop_state();
            return Ok(());
        }
        self.process_head_comment();
        self.write_indent();
        self.write_indicator("-", true, false, true);
        self.states.push(State::BlockSequenceItem);
        self.emit_node(ev, false)?;
        self.process_foot_comment();
        Ok(())
    }

    fn block_mapping_key(&mut self, ev: &Event<'_>) -> Result<(), StoreError> {
        if self.state == State::BlockMappingFirstKey {
            self.increase_indent(false);
        }
        self.process_head_comment();
        if let Event::MapEnd { .. } = ev {
            self.indent = self.pop_indent();
            self.state = self.pop_state();
            return Ok(());
        }
        self.write_indent();
        if Self::check_simple_key(ev) {
            self.states.push(State::BlockMappingSimpleValue);
            self.emit_node(ev, true)
        } else {
            self.write_indicator("?", true, false, true);
            self.states.push(State::BlockMappingValue);
            self.emit_node(ev, false)
        }
    }

    fn block_mapping_value(&mut self, ev: &Event<'_>) -> Result<(), StoreError> {
        if self.state == State::BlockMappingSimpleValue {
            self.write_indicator(":", false, false, false);
        } else {
            self.write_indent();
            self.write_indicator(":", true, false, true);
        }
        self.states.push(State::BlockMappingKey);
        self.emit_node(ev, false)?;
        self.process_foot_comment();
        Ok(())
    }

    fn pop_state(&mut self) -> State {
        self.states.pop().unwrap_or(State::DocumentEnd)
    }

    fn pop_indent(&mut self) -> isize {
        self.indents.pop().unwrap_or(-1)
    }

    /// A key can be written as `key:` when it fits on one line and is at most 128 bytes.
    fn check_simple_key(ev: &Event<'_>) -> bool {
        match ev {
            Event::Scalar(s) => {
                let tag_len = if s.merge_tag { "!!merge".len() } else { 0 };
                !s.analysis.multiline && s.value.len() + tag_len <= 128
            }
            Event::MapStart { empty, .. } | Event::SeqStart { empty, .. } => *empty,
            _ => false,
        }
    }

    fn emit_node(&mut self, ev: &Event<'_>, simple_key: bool) -> Result<(), StoreError> {
        self.simple_key_context = simple_key;
        match ev {
            Event::Scalar(s) => {
                self.emit_scalar(s);
                Ok(())
            }
            Event::SeqStart { empty, .. } => {
                self.state = if self.flow_level > 0 || *empty {
                    State::FlowSequenceFirstItem
                } else {
                    State::BlockSequenceFirstItem
                };
                Ok(())
            }
            Event::MapStart { empty, .. } => {
                self.state = if self.flow_level > 0 || *empty {
                    State::FlowMappingFirstKey
                } else {
                    State::BlockMappingFirstKey
                };
                Ok(())
            }
            _ => Err(internal("expected a node")),
        }
    }

    fn increase_indent(&mut self, flow: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { self.best_indent } else { 0 };
        } else if self.states.last() == Some(&State::BlockSequenceItem) {
            // The first indentation inside a sequence item just skips the "- ".
            self.indent += 2;
        } else {
            self.indent = self.best_indent * ((self.indent + self.best_indent) / self.best_indent);
        }
    }

    fn select_style(&self, s: &ScalarEvent<'_>) -> Style {
        let a = &s.analysis;
        let mut style = s.style;
        if self.simple_key_context && a.multiline {
            style = Style::Double;
        }
        if style == Style::Plain {
            if (self.flow_level > 0 && !a.flow_plain_allowed)
                || (self.flow_level == 0 && !a.block_plain_allowed)
            {
                style = Style::Single;
            }
            if s.value.is_empty() && (self.flow_level > 0 || self.simple_key_context) {
                style = Style::Single;
            }
        }
        if style == Style::Single && !a.single_quoted_allowed {
            style = Style::Double;
        }
        if style == Style::Literal
            && (!a.block_allowed || self.flow_level > 0 || self.simple_key_context)
        {
            style = Style::Double;
        }
        style
    }

    fn emit_scalar(&mut self, s: &ScalarEvent<'_>) {
        let style = self.select_style(s);
        if s.merge_tag {
            if !self.whitespace {
                self.put(' ');
            }
            self.write_raw("!!merge");
            self.whitespace = false;
            self.indention = false;
        }
        self.increase_indent(true);
        match style {
            Style::Plain => self.write_plain(s.value),
            Style::Single => self.write_single_quoted(s.value),
            Style::Double => self.write_double_quoted(s.value),
            Style::Literal => self.write_literal(s.value),
        }
        self.indent = self.pop_indent();
        self.state = self.pop_state();
    }

    fn process_head_comment(&mut self) {
        if !self.tail_comment.is_empty() {
            self.write_indent();
            let tail = std::mem::replace(&mut self.tail_comment, Zeroizing::new(String::new()));
            self.write_comment(&tail);
            self.foot_indent = self.indent.max(0);
        }
        if !self.head_comment.is_empty() {
            self.write_indent();
            let head = std::mem::replace(&mut self.head_comment, Zeroizing::new(String::new()));
            self.write_comment(&head);
        }
    }

    fn process_foot_comment(&mut self) {
        if self.foot_comment.is_empty() {
            return;
        }
        self.write_indent();
        let foot = std::mem::replace(&mut self.foot_comment, Zeroizing::new(String::new()));
        self.write_comment(&foot);
        self.foot_indent = self.indent.max(0);
    }

    // --- low-level writing ---------------------------------------------------------------

    fn put(&mut self, c: char) {
        self.out.push_char(c);
        self.column += 1;
    }

    fn write_raw(&mut self, s: &str) {
        self.out.push_str(s);
        self.column += s.chars().count();
    }

    fn put_break(&mut self) {
        self.out.push_str("\n");
        self.column = 0;
        self.indention = true;
    }

    /// A line break inside a scalar or comment: `\n` as a newline, other break characters
    /// as themselves.
    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push_char(c);
            self.column = 0;
            self.indention = true;
        }
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0).cast_unsigned();
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        if self.foot_indent == indent.cast_signed() {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.foot_indent = -1;
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        self.write_raw(indicator);
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn write_comment(&mut self, comment: &str) {
        let mut breaks = false;
        let mut pound = false;
        for c in comment.chars() {
            if is_break(c) {
                self.write_break(c);
                breaks = true;
                pound = false;
            } else {
                if breaks {
                    self.write_indent();
                }
                if !pound {
                    if c != '#' {
                        self.put('#');
                        self.put(' ');
                    }
                    pound = true;
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
        if !breaks {
            self.put_break();
        }
        self.whitespace = true;
    }

    fn write_plain(&mut self, value: &str) {
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

    fn write_single_quoted(&mut self, value: &str) {
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

    fn write_double_quoted(&mut self, value: &str) {
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

    fn write_literal(&mut self, value: &str) {
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
