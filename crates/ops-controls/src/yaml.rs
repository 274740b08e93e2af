//! A small YAML tree that remembers line numbers, built from `granit-parser` events.
//!
//! Workflow findings must point at a line, and serde-based YAML loses positions, so the
//! workflow files are read into this tree instead. Only what the checks need is kept: maps
//! with scalar keys (in file order), sequences, and scalars as text with the line where their
//! content starts. Aliases are resolved by copying the anchored node. Only the first document
//! of a stream is read (workflow files have one).

use std::collections::HashMap;

use granit_parser::{Event, Parser, ScalarStyle};

/// A node with the 1-based line where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// A scalar: its text, where its content starts, and whether it was a plain `null`/`~`/empty.
    Scalar {
        value: String,
        line: usize,
        null: bool,
    },
    /// A mapping, entries in file order.
    Map { entries: Vec<Entry>, line: usize },
    /// A sequence.
    Seq { items: Vec<Node>, line: usize },
}

/// One mapping entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) key_line: usize,
    pub(crate) value: Node,
}

/// A YAML syntax error with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlError {
    pub(crate) line: usize,
    pub(crate) message: String,
}

impl Node {
    /// The line where the node starts.
    pub(crate) fn line(&self) -> usize {
        match self {
            Node::Scalar { line, .. } | Node::Map { line, .. } | Node::Seq { line, .. } => *line,
        }
    }

    /// The value of `key` when this is a map.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The entry of `key` when this is a map.
    pub(crate) fn entry(&self, key: &str) -> Option<&Entry> {
        match self {
            Node::Map { entries, .. } => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// The entries when this is a map, else none.
    pub(crate) fn entries(&self) -> &[Entry] {
        match self {
            Node::Map { entries, .. } => entries,
            _ => &[],
        }
    }

    /// The items when this is a sequence, else none.
    pub(crate) fn items(&self) -> &[Node] {
        match self {
            Node::Seq { items, .. } => items,
            _ => &[],
        }
    }

    /// The text when this is a non-null scalar.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar {
                value, null: false, ..
            } => Some(value),
            _ => None,
        }
    }

    /// Whether this is a null scalar (`~`, `null`, nothing).
    #[cfg(test)]
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Node::Scalar { null: true, .. })
    }

    /// Visits every scalar below (and including) this node with its text and line.
    pub(crate) fn for_each_scalar<'a>(&'a self, f: &mut impl FnMut(&'a str, usize)) {
        match self {
            Node::Scalar {
                value,
                line,
                null: false,
            } => f(value, *line),
            Node::Scalar { .. } => {}
            Node::Map { entries, .. } => {
                for e in entries {
                    f(&e.key, e.key_line);
                    e.value.for_each_scalar(f);
                }
            }
            Node::Seq { items, .. } => {
                for item in items {
                    item.for_each_scalar(f);
                }
            }
        }
    }
}

enum Frame {
    Map {
        entries: Vec<Entry>,
        line: usize,
        anchor: usize,
        pending_key: Option<(String, usize)>,
    },
    Seq {
        items: Vec<Node>,
        line: usize,
        anchor: usize,
    },
}

impl Frame {
    /// Adds a finished node to this open collection: an item, a key, or a key's value.
    fn attach(&mut self, node: Node) {
        match self {
            Frame::Seq { items, .. } => items.push(node),
            Frame::Map {
                entries,
                pending_key,
                ..
            } => match pending_key.take() {
                None => {
                    let key_line = node.line();
                    let key = match node {
                        Node::Scalar { value, .. } => value,
                        // Complex keys never occur in workflows; keep a marker instead of failing.
                        _ => "<complex key>".to_owned(),
                    };
                    *pending_key = Some((key, key_line));
                }
                Some((key, key_line)) => entries.push(Entry {
                    key,
                    key_line,
                    value: node,
                }),
            },
        }
    }
}

/// Parses the first document of `text`. An empty document is a null scalar at line 1.
pub(crate) fn parse(text: &str) -> Result<Node, YamlError> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut root: Option<Node> = None;
    for next in Parser::new_from_str(text) {
        let (event, span) = next.map_err(|e| YamlError {
            line: e.marker().line(),
            message: e.info(),
        })?;
        let line = span.start.line();
        let (node, anchor) = match event {
            Event::DocumentEnd => {
                if root.is_some() {
                    break;
                }
                continue;
            }
            Event::Scalar(value, style, anchor, _tag) => {
                let null = style == ScalarStyle::Plain
                    && matches!(value.as_ref(), "" | "~" | "null" | "Null" | "NULL");
                // For block scalars (`|`, `>`) granit's span already starts on the content line.
                (
                    Node::Scalar {
                        value: value.into_owned(),
                        line,
                        null,
                    },
                    anchor,
                )
            }
            Event::Alias(id) => {
                let node = anchors.get(&id).cloned().unwrap_or(Node::Scalar {
                    value: String::new(),
                    line,
                    null: true,
                });
                (node, 0)
            }
            Event::MappingStart(_, anchor, _) => {
                stack.push(Frame::Map {
                    entries: Vec::new(),
                    line,
                    anchor,
                    pending_key: None,
                });
                continue;
            }
            Event::SequenceStart(_, anchor, _) => {
                stack.push(Frame::Seq {
                    items: Vec::new(),
                    line,
                    anchor,
                });
                continue;
            }
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    entries,
                    line,
                    anchor,
                    ..
                }) => (Node::Map { entries, line }, anchor),
                _ => {
                    return Err(YamlError {
                        line,
                        message: "unbalanced mapping".to_owned(),
                    });
                }
            },
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq {
                    items,
                    line,
                    anchor,
                }) => (Node::Seq { items, line }, anchor),
                _ => {
                    return Err(YamlError {
                        line,
                        message: "unbalanced sequence".to_owned(),
                    });
                }
            },
            _ => continue,
        };
        if anchor != 0 {
            anchors.insert(anchor, node.clone());
        }
        if let Some(top) = stack.last_mut() {
            top.attach(node);
        } else {
            root = Some(node);
        }
    }
    Ok(root.unwrap_or(Node::Scalar {
        value: String::new(),
        line: 1,
        null: true,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_lines_of_keys_and_values() {
        let text = "name: ci\non:\n  push:\njobs:\n  a:\n    steps:\n      - run: |\n          echo one\n          echo two\n      - uses: x/y@v1\n";
        let root = parse(text).unwrap();
        assert_eq!(root.entry("jobs").unwrap().key_line, 4);
        assert!(root.get("on").unwrap().get("push").unwrap().is_null());
        let steps = root
            .get("jobs")
            .unwrap()
            .get("a")
            .unwrap()
            .get("steps")
            .unwrap();
        let run = steps.items()[0].get("run").unwrap();
        assert_eq!(run.as_str(), Some("echo one\necho two\n"));
        assert_eq!(
            run.line(),
            8,
            "a literal block's content starts after the indicator"
        );
        assert_eq!(steps.items()[1].get("uses").unwrap().line(), 10);
    }

    #[test]
    fn resolves_aliases_and_reports_syntax_errors() {
        let root = parse("a: &x {k: v}\nb: *x\n").unwrap();
        assert_eq!(root.get("b").unwrap().get("k").unwrap().as_str(), Some("v"));
        let err = parse("a: [\nb: c\n").unwrap_err();
        assert!(err.line >= 1);
        assert!(parse("").unwrap().is_null());
    }
}
