//! The emitter state machine: go-yaml's layout rules for the events that occur here (block
//! collections, empty flow collections, scalars, head/foot comments, documents), so that
//! indentation, `- ` items, comment placement and blank lines all come from the same
//! bookkeeping. How each scalar style is written is in `scalars`.
//!
//! What must stay true: the states and transitions follow go-yaml's emitter one for one, so
//! a difference in output can be traced to one rule of go-yaml.

use zeroize::Zeroizing;

use super::Out;
use super::style::{Style, is_break};
use super::walker::{Event, ScalarEvent};
use crate::error::StoreError;

mod scalars;

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

/// Its flags are go-yaml's emitter flags, one for one (plus `after_explicit_value`).
#[allow(clippy::struct_excessive_bools)]
pub(super) struct Emitter {
    pub(super) out: Out,
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
    /// The line ends with the `:` of an explicit (`? key`) entry and nothing after it yet.
    after_explicit_value: bool,
    head_comment: Zeroizing<String>,
    foot_comment: Zeroizing<String>,
    tail_comment: Zeroizing<String>,
}

fn internal(what: &str) -> StoreError {
    StoreError::new(format!("internal error in the YAML writer: {what}"))
}

impl Emitter {
    pub(super) fn new(best_indent: usize, capacity: usize) -> Self {
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
            after_explicit_value: false,
            head_comment: Zeroizing::new(String::new()),
            foot_comment: Zeroizing::new(String::new()),
            tail_comment: Zeroizing::new(String::new()),
        }
    }

    pub(super) fn event(&mut self, ev: &Event<'_>) -> Result<(), StoreError> {
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
            self.after_explicit_value = true;
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
        self.after_explicit_value = false;
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
        // Deliberately unlike go-yaml: it writes the first head comment of an explicit
        // entry's value on the `: ` line, where go-yaml's parser reads it back as a comment
        // before the entry, in the enclosing mapping (another path, so sops itself then
        // cannot authenticate it). On its own line below `:` it reads back where it was.
        if std::mem::take(&mut self.after_explicit_value)
            && !(self.tail_comment.is_empty() && self.head_comment.is_empty())
        {
            self.put_break();
        }
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
        self.after_explicit_value = false;
        self.out.push_char(c);
        self.column += 1;
    }

    fn write_raw(&mut self, s: &str) {
        self.after_explicit_value = false;
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
}
