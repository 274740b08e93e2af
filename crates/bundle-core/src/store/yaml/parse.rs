//! YAML text → tree, typed as sops (go-yaml v3) reads it.
//!
//! The event stream of `granit-parser` is folded into our ordered tree with a stack of open
//! collections. Comments arrive as events in document order and become comment items where
//! sops (through go-yaml's head, line and foot comments) puts them:
//!
//! * a same-line comment goes before the item it ends (`key: v # c`, `- v # c`, a block
//!   scalar header); after a flow collection that is a mapping value it goes first inside
//!   that collection; after `key:` followed by an anchor or tag it goes to the first node
//!   of the block collection that follows, after the head comments waiting for it
//!   (inside a mapping; for a list, held for the next node that takes comments, the first
//!   item or past empty ones the next key, after that node's heads, or first in the
//!   mapping when it ends before); after a bare `-` it belongs to what follows: go-yaml
//!   reads it and the
//!   comment lines after it as one text, so when a line (comment or not) left of the list
//!   at another column cuts that text, the part before is a foot of the node after the
//!   empty item (after a scalar item, after a first key's entry, before a later key), or
//!   of the list's mapping, after the list, when the list ends there; the rest are head
//!   comments of what follows (at the end of the document, its foot, in file order);
//! * own-line comments right after content are first cut as go-yaml's scanner cuts them
//!   (`prior_feet`): the lines read so far become a foot when the next line starts left
//!   of the innermost block at another column, or when a blank line (or the end) follows
//!   lines that start on the line after the content (not after `key:`, but after
//!   `key: &a` or a tag; not when the content is on the first line) or left of the
//!   block. Such a foot goes after that content in its collection; a dedented one, or one
//!   cut after `key:` (with or without an anchor or tag), goes to the next node instead
//!   (after it when it is a first key or an item, before a later key), unless a block
//!   that ends before the next token takes it: go-yaml ends each such block, from the
//!   innermost, at the first text of the run (the feet, then the rest) that starts at its
//!   indentation, else where the block inside it ended, and the first block ending at or
//!   after the foot's text takes it, after its last entry (a sequence passes it on to its
//!   mapping); at the end of the document the top level takes the rest
//!   (`block_end_taking`). The feet of a scalar value go before those its first key
//!   carries (go-yaml keeps them as the value's feet, which sops writes before the
//!   key's); those of a flow collection go last inside it;
//! * any other own-line comment is looked at together with the next token of the file:
//!   - at a column at most the next token's, after a bare `-`, or right of the next token
//!     with nothing cut off before, it is a head comment of that token: it goes before
//!     the next key or item, or inside the block collection that starts there when it
//!     follows its `key:` or `-`; a block sequence that is a mapping value takes none:
//!     they go to its first item, or past empty items to the next node;
//!   - otherwise later comments, and all comments before the end of a document, go to
//!     the innermost collection whose indentation is at most their column; a sequence
//!     whose last item is a collection passes such a comment to its enclosing mapping
//!     (go-yaml has no foot comments on sequence ends);
//! * inside a multi-line flow collection, own-line comments are cut as go-yaml's scanner
//!   cuts them (`flow_cuts`): a text cut off before an entry (not the first text) goes
//!   after that entry; before the closing bracket, the first text stays after the last
//!   entry (last inside it when it is a collection whose key took feet) and the rest is the
//!   collection's foot, after it in its list or mapping (last inside it when its key carries
//!   feet); comments go-yaml loses go before the collection or item they were cut off for
//!   (in a list item: a same-line comment after the opening bracket, a text cut off after
//!   it; a text cut off before an item that is a flow collection); those left in an empty
//!   collection are lost, as in go-yaml;
//! * after `---`, comment lines cut off by a blank line belong to the previous document,
//!   unless it ended with `...`: then they wait for the next node;
//! * an empty value (`key:`, `key: &a`) takes none of the comments after it; a same-line
//!   comment after `key: &a` (or a tag) goes to the next key of that mapping, after its
//!   heads, or first in the mapping when it ends before another key.
//!
//! This reproduces sops' placement for everything sops writes (so its files round-trip
//! byte for byte) and for most hand-written layouts; `tests/fixtures/yaml-comments/`
//! (made by sops) pins each rule, and its README lists the layouts that still differ.
//!
//! Tagged and quoted scalars are typed in `scalar`. This file stays over 600 lines on
//! purpose: the `Builder` is one state machine whose comment-placement rules above read
//! each other's bookkeeping (open frames, pending comments, the last item); split across
//! files, a rule and the state it depends on would no longer sit side by side.

use std::borrow::Cow;
use std::collections::HashMap;

use granit_parser::{
    ErrorKind, Event, Options, Parser, Placement, ScalarStyle, ScanError, Span, StructureStyle,
};

use crate::error::StoreError;
use crate::tree::{Comment, Map, MapItem, RawFile, Scalar, SeqItem, Text, Value};

mod scalar;

use scalar::typed_scalar;

/// Parses every document; the first document's `sops` entry becomes the metadata.
pub(super) fn parse(input: &[u8]) -> Result<RawFile, StoreError> {
    let text = std::str::from_utf8(input).map_err(|e| {
        let line = input[..e.valid_up_to()].split(|&b| b == b'\n').count();
        StoreError::at(line, "the file is not valid UTF-8 text")
    })?;
    let mut options = Options::default();
    // go-yaml (libyaml) adds no line feed to a block scalar ended by the end of the file.
    options.block_scalar_eof_without_line_feed = true;
    // A long run of comment lines is legitimate (license headers, disabled sections).
    options.max_buffered_comment_events = usize::MAX;
    let mut builder = Builder::new(text);
    for next in Parser::new_from_str_with_options(text, options) {
        let (event, span) = next.map_err(|e| scan_error(&e))?;
        builder.event(event, &span)?;
    }
    let mut branches = builder.finish()?;
    let metadata = match branches.first_mut().and_then(|first| first.remove("sops")) {
        None => None,
        Some(Value::Map(m)) => Some(m),
        Some(_) => {
            return Err(StoreError::new(
                "the top-level `sops` entry is not a mapping",
            ));
        }
    };
    if metadata.is_some() {
        for branch in branches.iter_mut().skip(1) {
            branch.remove("sops");
        }
    }
    Ok(RawFile { branches, metadata })
}

/// A parser error, with its line and never the offending text.
fn scan_error(e: &ScanError) -> StoreError {
    let message = match e.kind() {
        ErrorKind::UnexpectedCharacter { .. } => "unexpected character".to_owned(),
        ErrorKind::Custom(_) | ErrorKind::InputDecoding { .. } | ErrorKind::InputIo { .. } => {
            "invalid YAML".to_owned()
        }
        ErrorKind::UnknownAnchor => {
            "an alias refers to an anchor that is not defined before it".to_owned()
        }
        kind => kind.to_string(),
    };
    StoreError::at(e.marker().line().max(1), format!("invalid YAML: {message}"))
}

/// The item completed last in a collection.
#[derive(Clone, Copy)]
struct LastItem {
    index: usize,
    end_line: usize,
    /// It is a flow collection (`[..]`, `{..}`).
    flow: bool,
}

/// An open collection.
struct Frame {
    kind: FrameKind,
    /// Column of a block collection's keys or dashes; `None` for a flow collection.
    indent: Option<usize>,
    anchor: usize,
    /// Comments for this collection that arrived while a nested collection was still
    /// open; they follow the item being built.
    deferred: Vec<Comment>,
    last: Option<LastItem>,
    /// Comments it started with (placed before its content).
    leading: usize,
    /// A block sequence whose dashes sit at its key's column (no anchor or tag).
    indentless: bool,
    /// Where in `deferred` the feet carried to the key being read start (go-yaml's foot
    /// comments of that key, see `Builder::node`).
    carried: Option<usize>,
    /// Where in the items the carried feet of the last entry start, when its value is a
    /// scalar, an alias or a flow collection: feet of that value go before them, or into
    /// the flow collection (`push_foot`).
    key_feet: Option<usize>,
    /// Line of a flow collection's `[` or `{`.
    open_line: usize,
    /// The own-line comments of a flow collection after its last entry so far, in order
    /// (see `flow_cuts`).
    tail: Vec<TailComment>,
    /// How many comments after the last entry of a flow mapping are its key's feet (moved
    /// there from before the key, see `Builder::deliver`).
    key_foot_count: usize,
    /// Comments of a flow collection that go-yaml loses (feet waiting for its first node;
    /// in a list item, a same-line comment after its opening bracket or a text cut off
    /// after it): they go before the collection, where sops' writer keeps them apart from
    /// its own head comments.
    lost_comments: Vec<Comment>,
}

/// An own-line comment after the last entry of a flow collection (or its bracket).
#[derive(Clone, Copy)]
struct TailComment {
    /// Index among the collection's items.
    index: usize,
    line: usize,
    column: usize,
    /// The line before it is blank.
    blank_before: bool,
    /// The line after it is blank.
    blank_after: bool,
    /// It follows a key of a flow mapping (go-yaml's `:` token).
    after_key: bool,
}

/// How go-yaml's scanner cuts the comment lines inside a flow collection that follow one
/// token (its bracket or an entry): item indices of the foot the token before them keeps
/// (`prior`), and of the feet that go to a later token (`later`).
#[derive(Default)]
struct FlowCuts {
    prior: Vec<usize>,
    later: Vec<usize>,
}

/// Cuts `tail` as go-yaml's scanner does: at the first blank line when no blank line
/// comes before the text and the text follows neither a `key:` nor content on the first
/// line of the file (or it starts left of `indent`, the enclosing block's); at a line left
/// of `indent` at another column than the text's first; and, when `closing`, at the
/// closing bracket (otherwise the rest is a head of the next entry). The first text is a
/// foot of the token before it unless it starts left of `indent` and ends at a blank line
/// or the bracket; every other cut text is a foot of the next token.
fn flow_cuts(tail: &[TailComment], prior_line: usize, indent: usize, closing: bool) -> FlowCuts {
    let mut cuts = FlowCuts::default();
    let Some(first) = tail.first() else {
        return cuts;
    };
    let mut first_empty = !first.blank_before && first.line <= prior_line + 1;
    let mut start = 0;
    let mut first_text = true;
    let cut = |cuts: &mut FlowCuts, range: std::ops::Range<usize>, prior: bool| {
        let to = if prior {
            &mut cuts.prior
        } else {
            &mut cuts.later
        };
        to.extend(tail[range].iter().map(|t| t.index));
    };
    for i in 1..=tail.len() {
        // A blank line before the next comment, or before the next entry.
        let blank = match tail.get(i) {
            Some(c) => c.blank_before,
            None => !closing && tail[i - 1].blank_after,
        };
        if blank {
            let dedented = tail[start].column < indent;
            // The scanner's "foot line" does not exist on the first line of the file.
            if first_empty && (!first.after_key && prior_line > 1 || dedented) {
                cut(&mut cuts, start..i, first_text && !dedented);
                start = i;
                first_text = false;
            }
            first_empty = false;
        }
        let Some(c) = tail.get(i) else { break };
        if start < i && c.column < indent && c.column != tail[start].column {
            cut(&mut cuts, start..i, first_text);
            start = i;
            first_text = false;
        }
    }
    if closing {
        let prior = first_text && tail[start].column >= indent;
        cut(&mut cuts, start..tail.len(), prior);
    }
    cuts
}

enum FrameKind {
    Map {
        items: Vec<MapItem>,
        /// The key whose value is being read.
        key: Option<String>,
        /// Line of each key, to report duplicates.
        seen: HashMap<String, usize>,
    },
    Seq {
        items: Vec<SeqItem>,
    },
}

impl Frame {
    fn new(
        map: bool,
        style: StructureStyle,
        span: &Span,
        anchor: usize,
        initial: Vec<Comment>,
    ) -> Self {
        let kind = if map {
            FrameKind::Map {
                items: initial.into_iter().map(MapItem::Comment).collect(),
                key: None,
                seen: HashMap::new(),
            }
        } else {
            FrameKind::Seq {
                items: initial.into_iter().map(SeqItem::Comment).collect(),
            }
        };
        let indent = (style == StructureStyle::Block).then(|| span.start.col());
        let leading = match &kind {
            FrameKind::Map { items, .. } => items.len(),
            FrameKind::Seq { items } => items.len(),
        };
        Self {
            leading,
            kind,
            indent,
            anchor,
            deferred: Vec::new(),
            last: None,
            indentless: false,
            carried: None,
            key_feet: None,
            open_line: span.start.line(),
            tail: Vec::new(),
            key_foot_count: 0,
            lost_comments: Vec::new(),
        }
    }

    fn push_comment(&mut self, c: Comment) {
        match &mut self.kind {
            FrameKind::Map { items, .. } => items.push(MapItem::Comment(c)),
            FrameKind::Seq { items } => items.push(SeqItem::Comment(c)),
        }
    }

    /// A foot comment of the last item's content. When that item is an entry whose key
    /// carries feet of its own, go-yaml keeps the foot as the value's: sops writes it
    /// before the key's for a scalar value, and last inside a flow collection.
    fn push_foot(&mut self, c: Comment) {
        // A flow collection keeps its feet: last inside it.
        let c = match (self.key_feet, self.last) {
            (Some(_), Some(last)) if last.flow => match self.push_into_entry(last.index, c) {
                Ok(()) => return,
                Err(c) => c,
            },
            _ => c,
        };
        match (self.key_feet, &mut self.kind) {
            (Some(at), FrameKind::Map { items, .. }) if at <= items.len() => {
                items.insert(at, MapItem::Comment(c));
                self.key_feet = Some(at + 1);
            }
            _ => self.push_comment(c),
        }
    }

    /// Appends `c` inside the collection that is the value of the entry at `index`; gives it
    /// back when that entry's value is not a collection (or the frame is a list).
    fn push_into_entry(&mut self, index: usize, c: Comment) -> Result<(), Comment> {
        let FrameKind::Map { items, .. } = &mut self.kind else {
            return Err(c);
        };
        match items.get_mut(index) {
            Some(MapItem::Entry(_, Value::Map(m))) => m.items.push(MapItem::Comment(c)),
            Some(MapItem::Entry(_, Value::Seq(s))) => s.push(SeqItem::Comment(c)),
            _ => return Err(c),
        }
        Ok(())
    }

    fn len(&self) -> usize {
        match &self.kind {
            FrameKind::Map { items, .. } => items.len(),
            FrameKind::Seq { items } => items.len(),
        }
    }

    fn insert_comment(&mut self, at: usize, c: Comment) {
        match &mut self.kind {
            FrameKind::Map { items, .. } => items.insert(at, MapItem::Comment(c)),
            FrameKind::Seq { items } => items.insert(at, SeqItem::Comment(c)),
        }
    }

    /// Removes the comments at `indices` (ascending item indices) and returns them in order.
    fn take_comments(&mut self, indices: &[usize]) -> Vec<Comment> {
        let mut taken = Vec::new();
        if indices.is_empty() {
            return taken;
        }
        match &mut self.kind {
            FrameKind::Map { items, .. } => {
                for (i, item) in std::mem::take(items).into_iter().enumerate() {
                    match item {
                        MapItem::Comment(c) if indices.contains(&i) => taken.push(c),
                        item => items.push(item),
                    }
                }
            }
            FrameKind::Seq { items } => {
                for (i, item) in std::mem::take(items).into_iter().enumerate() {
                    match item {
                        SeqItem::Comment(c) if indices.contains(&i) => taken.push(c),
                        item => items.push(item),
                    }
                }
            }
        }
        taken
    }

    fn awaiting_value(&self) -> bool {
        matches!(&self.kind, FrameKind::Map { key: Some(_), .. })
    }

    fn is_seq(&self) -> bool {
        matches!(self.kind, FrameKind::Seq { .. })
    }

    /// A same-line comment after the last item: before it, or first inside it when it is
    /// a flow collection that is a mapping value.
    fn attach_to_last(&mut self, last: LastItem, c: Comment) {
        match &mut self.kind {
            FrameKind::Map { items, .. } => {
                if last.flow {
                    match items.get_mut(last.index) {
                        Some(MapItem::Entry(_, Value::Map(m))) => {
                            m.items.insert(0, MapItem::Comment(c));
                            return;
                        }
                        Some(MapItem::Entry(_, Value::Seq(s))) => {
                            s.insert(0, SeqItem::Comment(c));
                            return;
                        }
                        _ => {}
                    }
                }
            }
            FrameKind::Seq { .. } => {}
        }
        self.before_last(last, c);
    }

    /// A comment right before the last item.
    fn before_last(&mut self, last: LastItem, c: Comment) {
        match &mut self.kind {
            FrameKind::Map { items, .. } => {
                items.insert(last.index, MapItem::Comment(c));
                self.key_feet = self.key_feet.map(|at| at + 1);
            }
            FrameKind::Seq { items } => items.insert(last.index, SeqItem::Comment(c)),
        }
        for t in &mut self.tail {
            if t.index >= last.index {
                t.index += 1;
            }
        }
        self.last = Some(LastItem {
            index: last.index + 1,
            ..last
        });
    }
}

/// What the document root holds so far.
enum Root {
    /// Nothing yet.
    None,
    /// A null or empty scalar: an empty branch.
    Empty,
    /// A finished mapping.
    Map(Map),
}

/// Where the node that an event starts goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Position {
    Root,
    Key,
    Value,
    Item,
}

/// A comment waiting for the next node.
struct Pending {
    comment: Comment,
    line: usize,
    /// After a blank line that ended foot comments: when the next node is a collection
    /// that is a sequence item, go-yaml gives it to that collection.
    stem: bool,
    /// Line it is on (`line` may be moved to 0 to keep it out of a collection).
    at: usize,
}

/// How go-yaml's scanner cut a comment line off as a foot (see `Builder::prior_feet`).
#[derive(Clone, Copy)]
struct Foot {
    /// It goes to what follows (or to a block that ends there), not to the content
    /// before.
    own: bool,
    /// Index of its text among the run's texts (`Run::texts`).
    text: usize,
    /// go-yaml ties it to the content before the run (the first text, unless a blank line
    /// cut it off left of the block): any block that ends there takes it.
    tied_to_content: bool,
}

/// The run of consecutive comment events being read.
#[allow(clippy::struct_excessive_bools)]
struct Run {
    first_column: usize,
    /// Still in the leading comments that share the first column, with no blank line
    /// among them: go-yaml's foot comments of the content before.
    in_first_group: bool,
    /// A comment of the run became a head comment: the rest follow it.
    to_heads: bool,
    /// The run follows content (not a `key:` waiting for its value).
    after_content: bool,
    /// No blank line between the content before and the run.
    first_empty: bool,
    /// A blank line after the first comments ended the foot comments.
    blank_split: bool,
    /// The run starts right after an explicit `---` (of a later document).
    after_document_start: bool,
    /// How many of the run's first comments go-yaml's scanner makes foot comments of the
    /// content right before the run (see `prior_feet`).
    prior_feet: std::collections::VecDeque<Foot>,
    /// Column of the first line of each text go-yaml's scanner cuts the run into (the feet,
    /// then the rest), in order.
    texts: Vec<usize>,
    /// Line (1-based) of the last content before the run.
    content_line: usize,
    /// The content before the run is a bare `-` (maybe with a comment): go-yaml makes the
    /// run head comments of what follows, whatever their columns.
    after_dash: bool,
    /// Depth of the shallowest collection a comment of the run was placed in by its
    /// column: go-yaml ends the nested blocks there, so the rest of the run cannot go
    /// deeper again.
    floor: Option<usize>,
}

/// How a document ended: by the next `---` or the end of the file, or by `...`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DocumentEndMarker {
    Implicit,
    Dots,
}

struct Builder<'s> {
    src: &'s str,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Value, usize)>,
    /// Nodes that alias expansion may still create (bounds "billion laughs" inputs).
    alias_budget: usize,
    branches: Vec<Map>,
    root: Root,
    /// Comments that belong to the document but to no collection yet.
    loose_comments: Vec<Comment>,
    /// Head comments of the next node.
    heads: Vec<Pending>,
    /// Same-line comments after `key:` (before its value).
    key_line_comments: Vec<Comment>,
    /// Same-line comments after an empty `key: &a`: the depth of their mapping and the
    /// comments (see `Builder::node`).
    held_line: Option<(usize, Vec<Comment>)>,
    /// Foot comments go-yaml gives to the next scalar node: a key that is not its
    /// mapping's first goes after them, any other node before them.
    next_feet: Vec<Comment>,
    run: Option<Run>,
    /// An explicit `---` of a document after the first one was the last event.
    after_document_start: bool,
    /// How the last document ended.
    last_end: DocumentEndMarker,
    /// The scalar being delivered is empty and bare (no anchor or tag).
    skip_comments: bool,
    /// The scalar being delivered is empty (maybe with an anchor or tag).
    empty_scalar: bool,
    /// Same-line comments after a bare `-`, waiting for a node that takes comments.
    after_dash: Vec<Pending>,
    /// Byte range scanned for the next token and its column (`None`: end of document).
    next_token: Option<(usize, usize, Option<usize>)>,
}

impl<'s> Builder<'s> {
    fn new(src: &'s str) -> Self {
        Self {
            src,
            stack: Vec::new(),
            anchors: HashMap::new(),
            alias_budget: 100_000 + src.len().saturating_mul(2),
            branches: Vec::new(),
            root: Root::None,
            loose_comments: Vec::new(),
            heads: Vec::new(),
            key_line_comments: Vec::new(),
            held_line: None,
            next_feet: Vec::new(),
            run: None,
            after_document_start: false,
            last_end: DocumentEndMarker::Implicit,
            skip_comments: false,
            empty_scalar: false,
            after_dash: Vec::new(),
            next_token: None,
        }
    }

    fn finish(mut self) -> Result<Vec<Map>, StoreError> {
        if self.branches.is_empty() {
            return Err(StoreError::new("the file contains no YAML document"));
        }
        let trailing: Vec<Comment> = self
            .loose_comments
            .drain(..)
            .chain(self.next_feet.drain(..))
            .chain(self.heads.drain(..).map(|p| p.comment))
            .collect();
        if let Some(last) = self.branches.last_mut() {
            last.items
                .extend(trailing.into_iter().map(MapItem::Comment));
        }
        Ok(self.branches)
    }

    fn event(&mut self, event: Event<'_>, span: &Span) -> Result<(), StoreError> {
        let line = span.start.line();
        if !matches!(event, Event::Comment(..)) {
            self.run = None;
            self.after_document_start = false;
            let keeps_dash_comments = match &event {
                Event::Scalar(_, style, anchor, tag) => {
                    *style == ScalarStyle::Plain
                        && span.start.index() == span.end.index()
                        && *anchor == 0
                        && tag.is_none()
                }
                Event::SequenceStart(style, ..) => {
                    *style == StructureStyle::Block && self.position() == Position::Value
                }
                _ => false,
            };
            if !keeps_dash_comments && !self.after_dash.is_empty() {
                // go-yaml keeps the head comments and those after bare dashes in the order
                // of the file.
                self.heads.append(&mut self.after_dash);
                self.heads.sort_by_key(|p| p.at);
            }
        }
        match event {
            Event::DocumentStart(explicit, _) => {
                self.root = Root::None;
                self.after_document_start = explicit && !self.branches.is_empty();
            }
            Event::DocumentEnd => {
                let text = span
                    .start
                    .byte_offset()
                    .zip(span.end.byte_offset())
                    .and_then(|(start, end)| self.src.get(start..end));
                self.last_end = if text.is_some_and(|t| t.starts_with("...")) {
                    DocumentEndMarker::Dots
                } else {
                    DocumentEndMarker::Implicit
                };
                self.end_document();
            }
            Event::Comment(text, placement) => self.comment(text, placement, span),
            Event::MappingStart(style, anchor, tag) => {
                self.open(true, style, anchor, tag.is_some(), span)?;
            }
            Event::SequenceStart(style, anchor, tag) => {
                self.open(false, style, anchor, tag.is_some(), span)?;
            }
            Event::MappingEnd | Event::SequenceEnd => self.close(span.end.line()),
            Event::Scalar(value, style, anchor, tag) => {
                // An empty plain scalar (`key:`) has an empty span; granit spells it `~`.
                let empty = style == ScalarStyle::Plain && span.start.index() == span.end.index();
                // go-yaml gives the empty item of a bare `-` no comments: those waiting
                // (and a comment after the `-`) go to the node that follows.
                self.skip_comments = empty && anchor == 0 && tag.is_none();
                self.empty_scalar = empty;
                let value = if empty { Cow::Borrowed("") } else { value };
                // Only breaks written raw in the file fold; granit also turns the escapes
                // `\N`, `\L`, `\P` into these characters, which go-yaml keeps.
                let raw = span
                    .start
                    .byte_offset()
                    .zip(span.end.byte_offset())
                    .and_then(|(start, end)| self.src.get(start..end));
                let value = if raw.is_some_and(scalar::has_unicode_break) {
                    scalar::go_yaml_unicode_breaks(value, style)
                } else {
                    value
                };
                let value = typed_scalar(value, style, tag.as_deref(), line)?;
                if anchor != 0 {
                    let count = count_nodes(&value);
                    self.anchors.insert(anchor, (value.clone(), count));
                }
                self.node(value, span)?;
            }
            Event::Alias(id) => {
                self.skip_comments = false;
                let Some((value, count)) = self.anchors.get(&id) else {
                    return Err(StoreError::at(
                        line,
                        "an alias refers to a node that contains it",
                    ));
                };
                if *count > self.alias_budget {
                    return Err(StoreError::at(
                        line,
                        "the document expands aliases excessively",
                    ));
                }
                self.alias_budget -= *count;
                let value = value.clone();
                self.node(value, span)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn end_document(&mut self) {
        let mut map = match std::mem::replace(&mut self.root, Root::None) {
            Root::Map(m) => m,
            Root::None | Root::Empty => Map::new(),
        };
        map.items
            .extend(self.loose_comments.drain(..).map(MapItem::Comment));
        map.items
            .extend(self.next_feet.drain(..).map(MapItem::Comment));
        map.items
            .extend(self.heads.drain(..).map(|p| MapItem::Comment(p.comment)));
        self.branches.push(map);
    }

    fn position(&self) -> Position {
        match self.stack.last() {
            None => Position::Root,
            Some(Frame {
                kind: FrameKind::Map { key: None, .. },
                ..
            }) => Position::Key,
            Some(Frame {
                kind: FrameKind::Map { .. },
                ..
            }) => Position::Value,
            Some(Frame {
                kind: FrameKind::Seq { .. },
                ..
            }) => Position::Item,
        }
    }

    /// Places the comments waiting for the node that starts at `span`. Returns those that
    /// go inside it (when it is a block collection).
    fn comments_before_node(
        &mut self,
        block_collection: bool,
        has_properties: bool,
        span: &Span,
    ) -> Vec<Comment> {
        let position = self.position();
        let mut inside = Vec::new();
        let dash_line = if position == Position::Item && block_collection {
            Some(self.dash_line(span))
        } else {
            None
        };
        let key_line = std::mem::take(&mut self.key_line_comments);
        let heads = std::mem::take(&mut self.heads);
        let Some(frame) = self.stack.last_mut() else {
            inside.append(&mut self.loose_comments);
            inside.extend(key_line);
            inside.extend(heads.into_iter().map(|p| p.comment));
            return inside;
        };
        // After `key: &a`, go-yaml gives the same-line comment to the first node inside,
        // as its line comment: after that node's head comments.
        let mut key_line_inside = Vec::new();
        for c in key_line {
            if block_collection && has_properties {
                key_line_inside.push(c);
            } else {
                frame.push_comment(c);
            }
        }
        // Heads keep their order: those before one that stays outside stay outside too.
        let outside_until = match (position, dash_line) {
            (Position::Item, Some(dash)) => heads
                .iter()
                .rposition(|p| !(p.stem || p.line >= dash))
                .map_or(0, |i| i + 1),
            _ => 0,
        };
        for (i, p) in heads.into_iter().enumerate() {
            let goes_inside = match position {
                Position::Value => block_collection,
                Position::Item => {
                    i >= outside_until && dash_line.is_some_and(|dash| p.stem || p.line >= dash)
                }
                Position::Key | Position::Root => false,
            };
            if goes_inside {
                inside.push(p.comment);
            } else {
                frame.push_comment(p.comment);
            }
        }
        // A line comment held for the next node that takes comments (in the mapping it
        // was held for, or inside the list that is its value): after that node's heads.
        if let Some((_, held)) = self.held_line.take_if(|(d, _)| *d < self.stack.len()) {
            if inside.is_empty() {
                if let Some(frame) = self.stack.last_mut() {
                    for c in held {
                        frame.push_comment(c);
                    }
                }
            } else {
                inside.extend(held);
            }
        }
        inside.append(&mut key_line_inside);
        inside
    }

    /// The line of the `-` of the sequence item that starts at `span`: the item's own line
    /// when the dash is on it, else the closest line above with content.
    fn dash_line(&self, span: &Span) -> usize {
        let mut line = span.start.line();
        let Some(offset) = span.start.byte_offset() else {
            return line;
        };
        let bytes = self.src.as_bytes();
        let line_start = bytes[..offset]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        if bytes[line_start..offset].contains(&b'-') {
            return line;
        }
        let mut end = line_start;
        while end > 0 {
            let start = bytes[..end - 1]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            line -= 1;
            let text = self.src[start..end - 1].trim_start_matches([' ', '\t']);
            if !(text.is_empty() || text.starts_with('#') || text == "\r") {
                return line;
            }
            end = start;
        }
        line
    }

    /// Column of the first `-` of a block sequence (granit reports the item's content
    /// for a sequence that is not indented under its key).
    fn dash_column(&self, span: &Span) -> usize {
        let column = span.start.col();
        let Some(offset) = span.start.byte_offset() else {
            return column;
        };
        let bytes = self.src.as_bytes();
        if self.position() == Position::Value {
            // A mapping value's sequence starts at the first dash of its line (its first
            // item may itself be a sequence: `- - x`).
            let line_start = bytes[..offset]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            let text = &self.src[line_start..offset];
            let trimmed = text.trim_start_matches([' ', '\t']);
            if trimmed.starts_with('-') || (trimmed.is_empty() && bytes.get(offset) == Some(&b'-'))
            {
                return text[..text.len() - trimmed.len()].chars().count();
            }
        }
        if bytes.get(offset) == Some(&b'-') {
            return column;
        }
        let line_start = bytes[..offset]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        match bytes[line_start..offset].iter().rposition(|&b| b == b'-') {
            Some(dash) => self.src[line_start..line_start + dash].chars().count(),
            None => column,
        }
    }

    fn open(
        &mut self,
        map: bool,
        style: StructureStyle,
        anchor: usize,
        tagged: bool,
        span: &Span,
    ) -> Result<(), StoreError> {
        let line = span.start.line();
        let block = style == StructureStyle::Block;
        match self.position() {
            Position::Root if !map || !matches!(self.root, Root::None) => {
                return Err(StoreError::at(
                    line,
                    "the top level of a YAML document must be a mapping",
                ));
            }
            Position::Key => return Err(StoreError::at(line, "tree contains a non-string key")),
            _ => {}
        }
        // A block sequence that is a mapping value (indented or not, anchored or not):
        // go-yaml gives its start no comments, so those waiting go to its first item (or
        // on, past an empty one, to the next node that takes comments).
        let value_list = block && !map && self.position() == Position::Value;
        let at_key_column = value_list
            && self
                .stack
                .last()
                .and_then(|f| f.indent)
                .is_some_and(|indent| indent == self.dash_column(span));
        let indentless = at_key_column && anchor == 0 && !tagged;
        let waiting = if value_list {
            std::mem::take(&mut self.heads)
        } else {
            Vec::new()
        };
        // The same-line comments after `key: &a` before a list are the anchor's line
        // comment, which the list's start does not take: held for the next node that takes
        // comments (its first item, or past empty ones the next key), after that node's
        // heads; first in the mapping when it ends before.
        let anchor_line = if value_list && (anchor != 0 || tagged) {
            std::mem::take(&mut self.key_line_comments)
        } else {
            Vec::new()
        };
        let initial = self.comments_before_node(block, anchor != 0 || tagged, span);
        if !anchor_line.is_empty() {
            self.held_line = Some((self.stack.len() - 1, anchor_line));
        }
        self.heads.extend(waiting);
        let mut frame = Frame::new(map, style, span, anchor, initial);
        frame.indentless = indentless;
        if block && !map {
            frame.indent = Some(self.dash_column(span));
        }
        self.stack.push(frame);
        Ok(())
    }

    fn close(&mut self, end_line: usize) {
        if let Some((_, held)) = self.held_line.take_if(|(d, _)| *d + 1 == self.stack.len())
            && let Some(frame) = self.stack.last_mut()
        {
            // The mapping ended before another key: its line comment, first in it.
            for (i, c) in held.into_iter().enumerate() {
                frame.insert_comment(i, c);
            }
        }
        let Some(mut frame) = self.stack.pop() else {
            return;
        };
        for c in std::mem::take(&mut frame.deferred) {
            frame.push_comment(c);
        }
        let flow = frame.indent.is_none();
        // The comments go-yaml gives to the end of a flow collection are the collection's
        // foot: after it in its list or mapping, unless its key carries feet of its own
        // (then they stay last inside it, see `Frame::push_foot`).
        let key_has_feet = self.stack.last().is_some_and(|parent| {
            matches!(parent.kind, FrameKind::Map { .. })
                && parent
                    .carried
                    .is_some_and(|start| start < parent.deferred.len())
        });
        let before_node = std::mem::take(&mut frame.lost_comments);
        let mut node_feet = Vec::new();
        if flow {
            let indent = self.stack.iter().rev().find_map(|f| f.indent).unwrap_or(0);
            let prior_line = frame.last.map_or(frame.open_line, |l| l.end_line);
            let cuts = flow_cuts(&frame.tail, prior_line, indent, true);
            // The last value keeps its own foot when its key took feet from before it:
            // sops writes it before the key's, or last inside the value when that is a
            // collection.
            if let Some(last) = frame.last
                && frame.key_foot_count > 0
            {
                let feet = frame.take_comments(&cuts.prior);
                for (k, c) in feet.into_iter().enumerate() {
                    let c = if last.flow {
                        match frame.push_into_entry(last.index, c) {
                            Ok(()) => continue,
                            Err(c) => c,
                        }
                    } else {
                        c
                    };
                    frame.insert_comment(last.index + 1 + k, c);
                }
            }
            if !self.stack.is_empty() && !key_has_feet {
                node_feet = frame.take_comments(&cuts.later);
            }
        }
        if flow && frame.last.is_none() {
            // go-yaml loses the other comments inside an empty flow collection. So do we:
            // sops writes a comment of an empty collection inside it (`k: {\n  #ENC[..]\n}`)
            // and reads it back lost, so a file sops made holds such comments that only
            // that collection's path authenticates.
            match &mut frame.kind {
                FrameKind::Map { items, .. } => items.truncate(frame.leading),
                FrameKind::Seq { items } => items.truncate(frame.leading),
            }
        }
        let value = match frame.kind {
            FrameKind::Map { items, .. } => Value::Map(Map { items }),
            FrameKind::Seq { items } => Value::Seq(items),
        };
        if frame.anchor != 0 {
            let count = count_nodes(&value);
            self.anchors.insert(frame.anchor, (value.clone(), count));
        }
        if self.stack.is_empty() {
            if let Value::Map(mut m) = value {
                // A root flow mapping has nothing before it: what go-yaml loses of it goes
                // first inside it.
                let lost = before_node.into_iter().map(MapItem::Comment);
                m.items.splice(0..0, lost);
                self.root = Root::Map(m);
            }
            return;
        }
        self.deliver(value, end_line, flow, false);
        if let Some(parent) = self.stack.last_mut()
            && let Some(last) = parent.last
        {
            for (k, c) in node_feet.into_iter().enumerate() {
                parent.insert_comment(last.index + 1 + k, c);
            }
            for c in before_node {
                parent.before_last(parent.last.unwrap_or(last), c);
            }
        }
    }

    /// A complete scalar or alias: a key, a value, or the document root.
    fn node(&mut self, value: Value, span: &Span) -> Result<(), StoreError> {
        let line = span.start.line();
        let position = self.position();
        if position == Position::Root {
            match value {
                Value::Null if matches!(self.root, Root::None) => self.root = Root::Empty,
                Value::Map(m) if matches!(self.root, Root::None) => {
                    let mut items: Vec<MapItem> = self
                        .comments_before_node(true, false, span)
                        .into_iter()
                        .map(MapItem::Comment)
                        .collect();
                    items.extend(m.items);
                    self.root = Root::Map(Map { items });
                }
                _ => {
                    return Err(StoreError::at(
                        line,
                        "the top level of a YAML document must be a mapping",
                    ));
                }
            }
            return Ok(());
        }
        // A scalar or alias takes no comments inside: everything waiting goes before it.
        let empty = std::mem::take(&mut self.empty_scalar);
        let skip = std::mem::take(&mut self.skip_comments);
        // go-yaml gives an empty item (`-`) or an empty value (`key: &a`) no comments, not
        // even the feet waiting for the next node: they go on.
        let takes_none = skip && position == Position::Item || empty && position == Position::Value;
        if !takes_none
            && !self.next_feet.is_empty()
            && let Some(frame) = self.stack.last_mut()
        {
            let feet = std::mem::take(&mut self.next_feet);
            let later_key = matches!(&frame.kind, FrameKind::Map { items, .. }
                if items.iter().any(|i| matches!(i, MapItem::Entry(..))));
            if frame.indent.is_none() && frame.last.is_none() {
                // go-yaml gives them to the flow collection's start, which keeps nothing:
                // before the collection.
                frame.lost_comments.extend(feet);
            } else if position == Position::Key && later_key {
                for c in feet {
                    frame.push_comment(c);
                }
            } else {
                if position == Position::Key {
                    frame.carried = Some(frame.deferred.len());
                }
                frame.deferred.extend(feet);
            }
        }
        // go-yaml gives an empty value (`key: &a`) none of the comments that follow it
        // either: they wait for the next node.
        if !takes_none {
            self.comments_before_node(false, false, span);
        } else if let Some(frame) = self.stack.last_mut() {
            let line_comments = std::mem::take(&mut self.key_line_comments);
            if !skip && position == Position::Value && !line_comments.is_empty() {
                // After `key: &a` (or a tag) they are the anchor's line comments, which
                // the empty value does not take: the next key of this mapping does (after
                // its heads); if the mapping ends first, the mapping does (first in it).
                self.held_line = Some((self.stack.len() - 1, line_comments));
            } else {
                // Same-line comments after `key:` go before the entry.
                for c in line_comments {
                    frame.push_comment(c);
                }
            }
        }
        if position == Position::Key {
            let Some(Frame {
                kind: FrameKind::Map { key, seen, .. },
                ..
            }) = self.stack.last_mut()
            else {
                return Ok(());
            };
            let Value::Scalar(Scalar::Str(text)) = value else {
                return Err(StoreError::at(line, "tree contains a non-string key"));
            };
            let name = text.as_str().to_owned();
            if let Some(first) = seen.get(&name) {
                return Err(StoreError::at(
                    line,
                    format!("a mapping key is repeated (first defined at line {first})"),
                ));
            }
            seen.insert(name.clone(), line);
            *key = Some(name);
            return Ok(());
        }
        self.deliver(value, span.end.line(), false, true);
        Ok(())
    }

    /// Adds a finished value (`scalar`: a scalar or an alias) to the innermost collection.
    fn deliver(&mut self, value: Value, end_line: usize, flow: bool, scalar: bool) {
        let indent = self.stack.iter().rev().find_map(|f| f.indent).unwrap_or(0);
        let in_list_item = self.stack.len() > 1 && self.stack[self.stack.len() - 2].is_seq();
        let Some(frame) = self.stack.last_mut() else {
            return;
        };
        // Inside a flow collection, the comments before this entry that go-yaml's scanner
        // cuts off as feet of a later token are feet of this entry: after it. (Before an
        // item that is itself a flow collection they go to its start, which keeps nothing;
        // we leave them before it.)
        let moved = if frame.indent.is_none() {
            let prior_line = frame.last.map_or(frame.open_line, |l| l.end_line);
            let cuts = flow_cuts(&frame.tail, prior_line, indent, false);
            let mut later = cuts.later;
            if frame.last.is_none() && in_list_item {
                // A foot of the opening bracket: go-yaml loses it.
                let lost = frame.take_comments(&cuts.prior);
                frame.lost_comments.extend(lost);
                let shift = cuts.prior.len();
                later = later.iter().map(|i| i - shift).collect();
            }
            if flow && frame.is_seq() {
                Vec::new()
            } else {
                frame.take_comments(&later)
            }
        } else {
            Vec::new()
        };
        let carried = frame.carried.take();
        let index = match &mut frame.kind {
            FrameKind::Map { items, key, .. } => {
                let Some(name) = key.take() else { return };
                items.push(MapItem::Entry(name, value));
                items.len() - 1
            }
            FrameKind::Seq { items } => {
                items.push(SeqItem::Value(value));
                items.len() - 1
            }
        };
        frame.key_foot_count = if frame.is_seq() { 0 } else { moved.len() };
        for c in moved {
            frame.push_comment(c);
        }
        frame.last = Some(LastItem {
            index,
            end_line,
            flow,
        });
        frame.tail.clear();
        frame.key_feet = carried
            .filter(|&start| (scalar || flow) && start < frame.deferred.len())
            .map(|start| index + 1 + start);
        for c in std::mem::take(&mut frame.deferred) {
            frame.push_comment(c);
        }
    }

    /// A comment inside a flow collection (the innermost frame).
    fn flow_comment(&mut self, comment: Comment, own_line: bool, innermost: usize, span: &Span) {
        let line = span.start.line();
        let blank_before = own_line && self.blank_line_before(span);
        let blank_after = own_line && self.blank_line_after(span);
        let in_list_item = innermost > 0 && self.stack[innermost - 1].is_seq();
        let frame = &mut self.stack[innermost];
        match frame.last.filter(|l| !own_line && line <= l.end_line) {
            Some(last) => frame.attach_to_last(last, comment),
            // After the opening bracket of a list item (go-yaml drops this one): kept
            // before the item in its list, where sops can read it back.
            None if !own_line
                && frame.last.is_none()
                && line == frame.open_line
                && in_list_item =>
            {
                frame.lost_comments.push(comment);
            }
            None => {
                frame.push_comment(comment);
                if own_line {
                    let index = frame.len() - 1;
                    let after_key = frame.awaiting_value();
                    frame.tail.push(TailComment {
                        index,
                        line,
                        column: span.start.col(),
                        blank_before,
                        blank_after,
                        after_key,
                    });
                }
            }
        }
    }

    fn comment(&mut self, text: Cow<'_, str>, placement: Placement, span: &Span) {
        let comment = Comment::new(Text::new(text.into_owned()));
        let line = span.start.line();
        let column = span.start.col();
        let own_line = placement != Placement::Right;
        if own_line {
            self.track_run(column, span);
        }
        let Some(innermost) = self.stack.len().checked_sub(1) else {
            self.loose_comment(comment, span);
            return;
        };
        if self.stack[innermost].indent.is_none() {
            self.flow_comment(comment, own_line, innermost, span);
            return;
        }
        if !own_line {
            self.same_line_comment(comment, innermost, span);
            return;
        }
        let Some(comment) = self.prior_foot(comment, span) else {
            return;
        };
        let Some(run) = &self.run else { return };
        let first_group = run.in_first_group && run.after_content;
        let stem = run.blank_split;
        let separated = run.blank_split || !run.first_empty;
        let head = run.to_heads || run.blank_split || !run.after_content || run.after_dash;
        let floor = run.floor;
        let after_dash = run.after_dash;
        match self.next_token_column(span) {
            // The rest of a text that starts with a comment after a bare `-` at the end of
            // the document: with that comment (waiting for a node that never comes), in
            // the order of the file.
            None if after_dash && !self.after_dash.is_empty() => {
                self.heads.push(Pending {
                    comment,
                    line,
                    stem,
                    at: span.start.line(),
                });
            }
            None if separated => {
                // Set apart by a blank line at the end of the stream: the document's.
                if innermost == 0 && !self.stack[0].awaiting_value() {
                    self.stack[0].push_comment(comment);
                } else {
                    self.stack[0].deferred.push(comment);
                }
            }
            Some(next) if head || column <= next => {
                // Right of what follows a bare `-`: go-yaml gives it to the item as a
                // whole (in the list, before the item).
                let line = if after_dash && column > next { 0 } else { line };
                if let Some(run) = &mut self.run {
                    run.to_heads = true;
                }
                self.heads.push(Pending {
                    comment,
                    line,
                    stem,
                    at: span.start.line(),
                });
            }
            // The first comments right after content, followed by a comment further left
            // at the end of the document: a foot of that content even when dedented
            // (go-yaml ends the inner blocks at the comment further left).
            None if first_group
                && floor.is_none()
                && self
                    .next_comment_column(span)
                    .is_some_and(|next| next < column) =>
            {
                self.foot_of_content(comment);
            }
            Some(_) if first_group && floor.is_none() => {
                // Right of the next token, with nothing split off as a foot before
                // (`prior_feet`): go-yaml makes it a head of what follows.
                if let Some(run) = &mut self.run {
                    run.to_heads = true;
                }
                self.heads.push(Pending {
                    comment,
                    line,
                    stem,
                    at: span.start.line(),
                });
            }
            None | Some(_) => self.place_by_column(comment, column),
        }
    }

    /// A same-line comment in a block collection (the innermost open one is
    /// `innermost`).
    fn same_line_comment(&mut self, comment: Comment, innermost: usize, span: &Span) {
        let line = span.start.line();
        let bare_dash = self.after_bare_dash(span);
        let frame = &mut self.stack[innermost];
        if bare_dash {
            // After a bare `-`: it belongs to the node that follows (not to an empty
            // item, nor to an indentless sequence that starts at this dash), as a foot
            // when the comment lines after it cut it off.
            let Some(comment) = self.dash_comment_foot(comment, span) else {
                return;
            };
            self.after_dash.push(Pending {
                comment,
                line,
                stem: false,
                at: span.start.line(),
            });
        } else if frame.awaiting_value() {
            self.key_line_comments.push(comment);
        } else if let Some(last) = frame.last.filter(|l| line <= l.end_line) {
            frame.attach_to_last(last, comment);
        } else {
            // After a bare `-`: it belongs to the item that follows.
            self.heads.push(Pending {
                comment,
                line,
                stem: false,
                at: span.start.line(),
            });
        }
    }

    /// Places a comment of the run's first comments that go-yaml makes a foot (see
    /// `prior_feet`); gives the comment back when it is not one.
    fn prior_foot(&mut self, comment: Comment, span: &Span) -> Option<Comment> {
        let innermost = self.stack.len() - 1;
        let Some(run) = self.run.as_mut() else {
            return Some(comment);
        };
        let Some(foot) = run.prior_feet.pop_front() else {
            return Some(comment);
        };
        {
            if run.prior_feet.is_empty() {
                run.in_first_group = false;
            }
            let own = foot.own;
            let content_line = run.content_line;
            let after_dash = run.after_dash;
            if own {
                // The first block, from the innermost, that ends before the next token at
                // or after this text (as go-yaml places block ends among the run's texts)
                // takes it; else the next node does, or the document at its end.
                let texts = run.texts.clone();
                let next = self.next_token_column(span);
                let taker = self.block_end_taking(&foot, &texts, next);
                match taker {
                    Some(target) => self.foot_at_block_end(target, comment),
                    None if next.is_some() => self.next_feet.push(comment),
                    None => {
                        // The document's foot, after the feet cut off before it for a
                        // next node that never came.
                        let mut comments = std::mem::take(&mut self.next_feet);
                        comments.push(comment);
                        for comment in comments {
                            if innermost == 0 && !self.stack[0].awaiting_value() {
                                self.stack[0].push_comment(comment);
                            } else {
                                self.stack[0].deferred.push(comment);
                            }
                        }
                    }
                }
                None
            } else {
                // The content may still be on its way (granit delivers a scalar that
                // could be a key after the comments that follow it).
                let comment = if after_dash {
                    self.bare_dash_foot(comment, span)?
                } else {
                    comment
                };
                let frame = &mut self.stack[innermost];
                let delivered = frame.last.is_some_and(|l| l.end_line >= content_line);
                if frame.awaiting_value() || !delivered {
                    frame.deferred.push(comment);
                } else {
                    frame.push_foot(comment);
                }
                None
            }
        }
    }

    /// A comment after a bare `-` that go-yaml cuts off as a foot with the comment lines
    /// after it (`dash_text_feet`) goes on past the empty item (`bare_dash_foot`); gives
    /// the comment back when it is a head comment of what follows.
    fn dash_comment_foot(&mut self, comment: Comment, span: &Span) -> Option<Comment> {
        let (feet, _) = self.dash_text_feet(span.start.byte_offset(), span.start.col());
        if feet.is_empty() {
            return Some(comment);
        }
        self.bare_dash_foot(comment, span)
    }

    /// Places a foot of a bare `-` (cut off after it, or a comment on its line cut off
    /// with the lines after it): go-yaml gives it to the next node when the list goes on
    /// (or its item follows), else to the list's mapping, after the list. Gives the
    /// comment back when the innermost collection is not a list.
    fn bare_dash_foot(&mut self, comment: Comment, span: &Span) -> Option<Comment> {
        let innermost = self.stack.len() - 1;
        let frame = &self.stack[innermost];
        // granit opens an indentless list only after the comments that follow its first
        // dash: its mapping, waiting for that value, stands for it (same column).
        let mapping = if frame.is_seq() && innermost > 0 {
            innermost - 1
        } else if frame.awaiting_value() && frame.indent.is_some() {
            innermost
        } else {
            return Some(comment);
        };
        let dash = self.stack[innermost].indent;
        let next = self.next_token_column(span);
        if next.zip(dash).is_some_and(|(n, d)| n >= d) {
            self.next_feet.push(comment);
        } else {
            // After the feet cut off before it for the next node.
            let feet = std::mem::take(&mut self.next_feet);
            let mapping = &mut self.stack[mapping].deferred;
            mapping.extend(feet);
            mapping.push(comment);
        }
        None
    }

    /// A foot comment of the content just read: in the innermost collection, except that
    /// an indentless sequence has no end of its own in go-yaml, so the comment follows
    /// the sequence in its mapping.
    fn foot_of_content(&mut self, comment: Comment) {
        let innermost = self.stack.len() - 1;
        if innermost > 0 && self.stack[innermost].indentless {
            self.stack[innermost - 1].deferred.push(comment);
        } else {
            self.stack[innermost].push_foot(comment);
        }
    }

    /// The open block whose end takes an own foot (see `prior_foot`), as go-yaml places
    /// the ends of the blocks that close before the next token (`next`; `None`: the end of
    /// the document, where the top-level mapping takes what no inner block takes): each
    /// block, from the innermost, ends at the first of the run's texts that starts at its
    /// indentation, or where the block inside it ended (before the texts when none did);
    /// the foot goes to the first block that ends at or after its own text (any block,
    /// when go-yaml ties the text to the content before the run). An indentless sequence
    /// has no end of its own.
    fn block_end_taking(&self, foot: &Foot, texts: &[usize], next: Option<usize>) -> Option<usize> {
        let own_text = (!foot.tied_to_content).then_some(foot.text);
        let mut end = None;
        for i in (1..self.stack.len()).rev() {
            let frame = &self.stack[i];
            let indent = frame.indent?;
            if next.is_some_and(|n| indent <= n) {
                return None;
            }
            if frame.indentless {
                continue;
            }
            if let Some(first) = texts.iter().position(|&c| c == indent) {
                end = Some(first);
            }
            if end >= own_text {
                return Some(i);
            }
        }
        None
    }

    /// A foot taken by the end of the block `target`: after its last entry, or, when it
    /// is a sequence (go-yaml gives a sequence's end no comments), after the sequence in
    /// its mapping.
    fn foot_at_block_end(&mut self, target: usize, comment: Comment) {
        let innermost = self.stack.len() - 1;
        let mut target = target;
        while target > 0 && self.stack[target].is_seq() {
            target -= 1;
        }
        if let Some(run) = &mut self.run
            && target != innermost
        {
            run.floor = Some(run.floor.map_or(target, |floor| floor.min(target)));
        }
        // Feet cut off before it for the next node end there too.
        self.with_waiting_feet_to(target, innermost, comment);
    }

    /// Updates the run of own-line comments with the one at `span`.
    fn track_run(&mut self, column: usize, span: &Span) {
        let blank_before = self.blank_line_before(span);
        // granit may deliver the empty item of a bare `-` only after the comments that
        // follow it: content between two comments still starts a new run.
        if self.run.is_some() && !self.previous_line_is_comment(span) {
            self.run = None;
        }
        match &mut self.run {
            None => {
                let (prior_feet, texts) = if self.after_document_start {
                    (Vec::new(), Vec::new())
                } else {
                    self.prior_feet(span, blank_before)
                };
                self.run = Some(Run {
                    prior_feet: prior_feet.into(),
                    texts,
                    content_line: self.content_line(span),
                    after_dash: self.after_dash_line(span),
                    first_column: column,
                    in_first_group: true,
                    to_heads: false,
                    after_content: !self.stack.last().is_some_and(Frame::awaiting_value),
                    first_empty: !blank_before,
                    blank_split: false,
                    after_document_start: self.after_document_start,
                    floor: None,
                });
            }
            Some(run) => {
                if blank_before && run.first_empty {
                    run.blank_split = true;
                    run.in_first_group = false;
                }
                if column != run.first_column {
                    run.in_first_group = false;
                }
            }
        }
    }

    /// Whether the last non-blank line before the one `span` starts on is a bare `-`
    /// (maybe followed by a comment).
    fn after_dash_line(&self, span: &Span) -> bool {
        let Some(offset) = span.start.byte_offset() else {
            return false;
        };
        let before = self.src[..offset].trim_end_matches([' ', '\t']);
        let before = before.trim_end_matches(['\n', '\r', ' ', '\t']);
        let line = &before[before.rfind('\n').map_or(0, |p| p + 1)..];
        let content = line.trim_matches([' ', '\t', '\r']);
        content == "-"
            || content
                .strip_prefix('-')
                .is_some_and(|r| r.trim_start().starts_with('#'))
    }

    /// Whether the last non-blank line before the one `span` starts on is a comment line.
    fn previous_line_is_comment(&self, span: &Span) -> bool {
        let Some(offset) = span.start.byte_offset() else {
            return false;
        };
        let before = self.src[..offset].trim_end_matches([' ', '\t']);
        let before = before.trim_end_matches(['\n', '\r', ' ', '\t']);
        let line = &before[before.rfind('\n').map_or(0, |p| p + 1)..];
        line.trim_start_matches([' ', '\t']).starts_with('#')
    }

    /// The line (1-based) of the last non-blank line before the one `span` starts on.
    fn content_line(&self, span: &Span) -> usize {
        let Some(offset) = span.start.byte_offset() else {
            return 0;
        };
        let before = self.src[..offset].trim_end_matches([' ', '\t']);
        let before = before.trim_end_matches(['\n', '\r', ' ', '\t']);
        before.matches('\n').count() + 1
    }

    /// go-yaml's scanner reads the comment lines right after content (no blank line in
    /// between) as one text, and makes the text read so far a foot comment of that content
    /// when the next line (comment or not) starts left of the innermost block's
    /// indentation at another column than the text's first line, or when a blank line or
    /// the end follows the first lines and they start on the line right after the content
    /// (not after a `key:`, not when the content is on the file's first line). Returns how
    /// many comments, from the one at `span`, become such a foot (0: none), and whether
    /// the foot starts left of the innermost block's indentation and is ended by a blank
    /// line or the end (then go-yaml gives it to the next node, not to the content).
    /// Also returns the column of each text the run is cut into (the feet, then the rest).
    fn prior_feet(&self, span: &Span, blank_before: bool) -> (Vec<Foot>, Vec<usize>) {
        let mut feet = Vec::new();
        let mut texts = Vec::new();
        let (Some(offset), Some(frame)) = (span.start.byte_offset(), self.stack.last()) else {
            return (feet, texts);
        };
        let Some(indent) = frame.indent else {
            return (feet, texts);
        };
        let bytes = self.src.as_bytes();
        let line_start = bytes[..offset]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        if line_start == 0 {
            return (feet, texts);
        }
        let before = self.src[..line_start - 1].trim_end_matches(['\n', '\r', ' ', '\t']);
        let content_start = before.rfind('\n').map_or(0, |p| p + 1);
        let content_line = &before[content_start..];
        let content = content_line.trim_matches([' ', '\t', '\r']);
        if content
            .strip_prefix('-')
            .is_some_and(|r| r.trim_start().starts_with('#'))
        {
            // The text starts with the comment on the dash's line.
            let hash = content_line.find('#').unwrap_or(0);
            let column = content_line[..hash].chars().count();
            let (mut feet, texts) = self.dash_text_feet(Some(content_start + hash), column);
            if !feet.is_empty() {
                feet.remove(0);
            }
            return (feet, texts);
        }
        let content_on_first_line = !before.contains('\n');
        let after_value = frame.awaiting_value();
        // After `key: &a` (or a tag) the scanner cuts as after content, but the foot still
        // goes to what follows (the first node of the value, or the next one).
        let after_properties = after_value && ends_with_properties(content);
        // After a first cut, or after `key:`, a foot goes to what follows, like a
        // dedented one.
        let mut own = after_value;
        let (mut count, mut start_column, mut first_empty, mut recent_empty) =
            (0usize, 0usize, !blank_before, false);
        let mut cut = |count: &mut usize, own: &mut bool, dedented: bool, start_column: usize| {
            let kind = Foot {
                own: *own || dedented,
                text: texts.len(),
                // Only a blank line that cuts a dedented first text off ties it to itself.
                tied_to_content: texts.is_empty() && !dedented,
            };
            texts.push(start_column);
            feet.extend(std::iter::repeat_n(kind, *count));
            *count = 0;
            *own = true;
        };
        let tail = &self.src[line_start..];
        // The end of the text counts as a blank line.
        let end = (!tail.ends_with('\n')).then_some("");
        for line in tail.split('\n').chain(end) {
            let text = line.trim_start_matches([' ', '\t']);
            if text.trim_end_matches('\r').is_empty() {
                if !recent_empty
                    && count > 0
                    && first_empty
                    && ((!content_on_first_line && (!after_value || after_properties))
                        || start_column < indent)
                {
                    cut(&mut count, &mut own, start_column < indent, start_column);
                }
                first_empty = false;
                recent_empty = true;
                continue;
            }
            let column = line[..line.len() - text.len()].chars().count();
            if count > 0 && column < indent && column != start_column {
                cut(&mut count, &mut own, false, start_column);
            }
            if !text.starts_with('#') {
                break;
            }
            if count == 0 {
                start_column = column;
            }
            count += 1;
            recent_empty = false;
        }
        if count > 0 {
            texts.push(start_column);
        }
        (feet, texts)
    }

    /// go-yaml reads a comment after a bare `-` (at byte `start`, column `column`) and the
    /// comment lines after it as one text, and cuts it as it cuts any text (`prior_feet`)
    /// with two differences: the text starts on the dash's line, so a blank line cuts it
    /// only when what is left starts two lines below the dash or left of the list; and
    /// the first cut's foot belongs to the dash, whose empty item takes no comments: it
    /// goes on to what follows (`bare_dash_foot`). Returns how each line of the text,
    /// from the dash's, is cut off as a foot (empty: the whole text is head comments).
    fn dash_text_feet(&self, start: Option<usize>, column: usize) -> (Vec<Foot>, Vec<usize>) {
        let mut feet = Vec::new();
        let mut texts = Vec::new();
        let (Some(start), Some(indent)) = (start, self.stack.last().and_then(|f| f.indent)) else {
            return (feet, texts);
        };
        let Some(nl) = self.src[start..].find('\n') else {
            return (feet, texts);
        };
        let tail = &self.src[start + nl + 1..];
        // Lines counted from the dash's (0); go-yaml's foot line is two below it.
        let (mut count, mut start_column, mut start_line) = (1usize, column, 0usize);
        let (mut own, mut first_empty, mut recent_empty) = (false, true, false);
        let mut cut = |count: &mut usize, own: &mut bool, start_column: usize| {
            let kind = Foot {
                own: *own,
                text: texts.len(),
                tied_to_content: texts.is_empty(),
            };
            texts.push(start_column);
            feet.extend(std::iter::repeat_n(kind, *count));
            *count = 0;
            *own = true;
        };
        // The end of the text counts as a blank line.
        let end = (!tail.ends_with('\n')).then_some("");
        for (i, line) in tail.split('\n').chain(end).enumerate() {
            let text = line.trim_start_matches([' ', '\t']);
            if text.trim_end_matches('\r').is_empty() {
                if !recent_empty
                    && count > 0
                    && first_empty
                    && (start_line == 2 || start_column < indent)
                {
                    cut(&mut count, &mut own, start_column);
                }
                first_empty = false;
                recent_empty = true;
                continue;
            }
            let column = line[..line.len() - text.len()].chars().count();
            if count > 0 && column < indent && column != start_column {
                cut(&mut count, &mut own, start_column);
            }
            if !text.starts_with('#') {
                break;
            }
            if count == 0 {
                start_column = column;
                start_line = i + 1;
            }
            count += 1;
            recent_empty = false;
        }
        if count > 0 {
            texts.push(start_column);
        }
        (feet, texts)
    }

    /// A comment outside the root mapping. After an explicit `---`, the first comments
    /// followed by a blank line still belong to the previous document (as go-yaml reads
    /// them), unless that document ended with `...`: then they are feet waiting for the
    /// next node (after the first key's entry).
    fn loose_comment(&mut self, comment: Comment, span: &Span) {
        if let Root::Map(m) = &mut self.root {
            m.items.push(MapItem::Comment(comment));
            return;
        }
        self.loose_comments.push(comment);
        let blank_after = self.blank_line_after(span);
        let Some(run) = &mut self.run else { return };
        if run.after_document_start && run.first_empty && !run.blank_split && blank_after {
            run.after_document_start = false;
            if self.last_end == DocumentEndMarker::Dots {
                self.next_feet.append(&mut self.loose_comments);
            } else if let Some(previous) = self.branches.last_mut() {
                previous
                    .items
                    .extend(self.loose_comments.drain(..).map(MapItem::Comment));
            }
        }
    }

    /// Column of the comment on the line right after the one `span` ends on, if that line
    /// is a comment.
    fn next_comment_column(&self, span: &Span) -> Option<usize> {
        let offset = span.end.byte_offset()?;
        let bytes = self.src.as_bytes();
        let start = offset + bytes[offset..].iter().position(|&b| b == b'\n')? + 1;
        let line = self.src[start..].split('\n').next()?;
        let text = line.trim_start_matches([' ', '\t']);
        text.starts_with('#')
            .then(|| line[..line.len() - text.len()].chars().count())
    }

    /// Whether the comment at `span` follows a `-` alone on its line.
    fn after_bare_dash(&self, span: &Span) -> bool {
        let Some(offset) = span.start.byte_offset() else {
            return false;
        };
        let bytes = self.src.as_bytes();
        let line_start = bytes[..offset]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        self.src[line_start..offset].trim_matches([' ', '\t']) == "-"
    }

    /// Whether the line before the one `span` starts on is blank.
    fn blank_line_before(&self, span: &Span) -> bool {
        let Some(offset) = span.start.byte_offset() else {
            return false;
        };
        let bytes = self.src.as_bytes();
        let Some(prev_end) = bytes[..offset].iter().rposition(|&b| b == b'\n') else {
            return false;
        };
        let prev_start = bytes[..prev_end]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        bytes[prev_start..prev_end]
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\r'))
    }

    /// Whether the line after the one `span` ends on exists and is blank.
    fn blank_line_after(&self, span: &Span) -> bool {
        let Some(offset) = span.end.byte_offset() else {
            return false;
        };
        let bytes = self.src.as_bytes();
        let Some(nl) = bytes[offset..].iter().position(|&b| b == b'\n') else {
            return false;
        };
        let start = offset + nl + 1;
        match bytes[start..].iter().position(|&b| b == b'\n') {
            Some(len) => bytes[start..start + len]
                .iter()
                .all(|b| matches!(b, b' ' | b'\t' | b'\r')),
            None => false,
        }
    }

    /// The feet waiting for the next node, then `comment`, into the collection at depth
    /// `target` (after its item being built, when that is not the innermost open one).
    fn with_waiting_feet_to(&mut self, target: usize, innermost: usize, comment: Comment) {
        let mut comments = std::mem::take(&mut self.next_feet);
        comments.push(comment);
        for comment in comments {
            if target == innermost && !self.stack[target].awaiting_value() {
                self.stack[target].push_comment(comment);
            } else {
                self.stack[target].deferred.push(comment);
            }
        }
    }

    /// A foot comment: the innermost collection indented at most at `column`; a sequence
    /// whose last item is still open passes it to its enclosing mapping.
    fn place_by_column(&mut self, comment: Comment, column: usize) {
        let innermost = self.stack.len() - 1;
        let mut target = (0..self.stack.len())
            .rev()
            .find(|&i| self.stack[i].indent.is_none_or(|indent| indent <= column))
            .unwrap_or(0);
        if target != innermost {
            while target > 0 && self.stack[target].is_seq() {
                target -= 1;
            }
        }
        if let Some(run) = &mut self.run {
            match run.floor {
                Some(floor) if floor < target => target = floor,
                _ if target != innermost => run.floor = Some(target),
                _ => {}
            }
        }
        // Feet cut off before it for the next node stay before it (go-yaml ends the blocks
        // at them too).
        self.with_waiting_feet_to(target, innermost, comment);
    }

    /// Column of the first token after the comment at `span` (`None` at the end of the
    /// document or stream).
    fn next_token_column(&mut self, span: &Span) -> Option<usize> {
        let from = span.end.byte_offset()?;
        if let Some((start, end, column)) = self.next_token
            && (start..end).contains(&from)
        {
            return column;
        }
        let bytes = self.src.as_bytes();
        let mut pos = from;
        let mut column = None;
        // Skip the rest of the comment's line, then blank and comment lines.
        while let Some(nl) = bytes[pos..].iter().position(|&b| b == b'\n') {
            let line_start = pos + nl + 1;
            let rest = &self.src[line_start..];
            let text = rest.trim_start_matches([' ', '\t']);
            let indent = rest.len() - text.len();
            let first = text.as_bytes().first().copied();
            pos = line_start;
            match first {
                None => break,
                Some(b'\n' | b'\r' | b'#') => {}
                Some(_) => {
                    // A document marker counts as a token at column 0.
                    column = Some(rest[..indent].chars().count());
                    break;
                }
            }
        }
        self.next_token = Some((from, pos.max(from + 1), column));
        column
    }
}

/// Whether a content line ends with a node's properties (`key: &a`, `key: !tag`, maybe
/// followed by a comment).
fn ends_with_properties(content: &str) -> bool {
    let code = content
        .find(" #")
        .map_or(content, |at| &content[..at])
        .trim_end();
    let mut words = code.split_whitespace().rev();
    let Some(last) = words.next() else {
        return false;
    };
    let last = if last.starts_with(['&', '!']) {
        // Both an anchor and a tag.
        match words.next() {
            Some(w) if w.starts_with(['&', '!']) => words.next(),
            other => other,
        }
    } else {
        return false;
    };
    last.is_some_and(|w| w.ends_with(':'))
}

/// Number of nodes in a value (for the alias budget).
fn count_nodes(value: &Value) -> usize {
    match value {
        Value::Null | Value::Scalar(_) => 1,
        Value::Map(m) => {
            1 + m
                .items
                .iter()
                .map(|i| match i {
                    MapItem::Entry(_, v) => 1 + count_nodes(v),
                    MapItem::Comment(_) => 1,
                })
                .sum::<usize>()
        }
        Value::Seq(items) => {
            1 + items
                .iter()
                .map(|i| match i {
                    SeqItem::Value(v) => count_nodes(v),
                    SeqItem::Comment(_) => 1,
                })
                .sum::<usize>()
        }
    }
}
