//! Machine-managed blocks in the evidence markdown, and the OPS-302 checklist inside them.
//!
//! A managed block is the text between two marker lines (HTML comments, invisible when the
//! markdown is rendered):
//!
//! ```text
//! <!-- evidence-writer:begin executions lang=pt -->
//! ...written by the tool...
//! <!-- evidence-writer:end executions -->
//! ```
//!
//! Everything outside the blocks belongs to people and is kept byte for byte. Marker lines
//! inside fenced code blocks are ignored (so documentation can show them). A line that looks
//! like a marker but is malformed is an error rather than human text, so a typo cannot make
//! the tool lose track of its block.
//!
//! The checklist block holds task-list items whose first word, in backticks, is the item's
//! stable id; the tool only ever changes the character between the brackets:
//!
//! ```text
//! - [ ] `OPS302-PROG-01` Janela planejada e comunicada com 24 h de antecedência
//! ```
//!
//! Why this is in bundle-core and not in `evidence-writer`, which writes the blocks: the
//! checklist is read by two tools (`evidence-writer` and `xtask demo`, through
//! [`checklist_items`]), and reading it needs the block parser; the marker writers
//! ([`begin_marker`], [`end_marker`]) stay beside that parser so the two cannot disagree on the
//! syntax (issue 10).

use std::ops::Range;

use super::EvidenceError;

const MARKER_PREFIX: &str = "evidence-writer:";

/// Name of the block holding the OPS-302 checklist in `README.md`.
pub const CHECKLIST_BLOCK: &str = "checklist";

/// One managed block found in a markdown text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The block name (`executions`, `history`, `checklist`).
    pub name: String,
    /// The `lang=` attribute of the begin marker, if any.
    pub lang: Option<String>,
    /// 1-based line of the begin marker.
    pub line: usize,
    /// Bytes of the begin marker line, including its line ending.
    pub begin: Range<usize>,
    /// Bytes between the two marker lines (the managed content).
    pub content: Range<usize>,
    /// Bytes of the end marker line, without its line ending.
    pub end: Range<usize>,
}

/// The begin marker line for block `name` (without line ending).
pub fn begin_marker(name: &str, lang: Option<&str>) -> String {
    match lang {
        Some(lang) => format!("<!-- {MARKER_PREFIX}begin {name} lang={lang} -->"),
        None => format!("<!-- {MARKER_PREFIX}begin {name} -->"),
    }
}

/// The end marker line for block `name` (without line ending).
pub fn end_marker(name: &str) -> String {
    format!("<!-- {MARKER_PREFIX}end {name} -->")
}

enum Marker {
    Begin { name: String, lang: Option<String> },
    End { name: String },
}

fn parse_marker(line: &str, line_no: usize) -> Result<Option<Marker>, EvidenceError> {
    let trimmed = line.trim();
    let Some(inner) = trimmed
        .strip_prefix("<!--")
        .and_then(|s| s.strip_suffix("-->"))
    else {
        return Ok(None);
    };
    let Some(rest) = inner.trim().strip_prefix(MARKER_PREFIX) else {
        return Ok(None);
    };
    let bad = |message: &str| EvidenceError::Markdown {
        line: line_no,
        message: message.to_owned(),
    };
    let mut words = rest.split_whitespace();
    let (verb, name) = (words.next(), words.next());
    let Some(name) =
        name.filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    else {
        return Err(bad("marker without a block name"));
    };
    match verb {
        Some("begin") => {
            let mut lang = None;
            for attribute in words {
                match attribute.strip_prefix("lang=") {
                    Some(value) if !value.is_empty() => lang = Some(value.to_owned()),
                    _ => return Err(bad("unknown marker attribute (only lang= is known)")),
                }
            }
            Ok(Some(Marker::Begin {
                name: name.to_owned(),
                lang,
            }))
        }
        Some("end") if words.next().is_none() => Ok(Some(Marker::End {
            name: name.to_owned(),
        })),
        _ => Err(bad(
            "marker must be `evidence-writer:begin NAME` or `evidence-writer:end NAME`",
        )),
    }
}

/// Every managed block of `text`, in order. Fails on a malformed marker, a nested or
/// unclosed block, an end without a begin, or two blocks with the same name.
pub fn blocks(text: &str) -> Result<Vec<Block>, EvidenceError> {
    let mut found: Vec<Block> = Vec::new();
    let mut open: Option<(String, Option<String>, usize, Range<usize>)> = None;
    let mut fence: Option<&str> = None;
    let mut offset = 0;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let line_no = i + 1;
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let lead = line.trim_start();
        if let Some(f) = fence {
            if lead.starts_with(f) {
                fence = None;
            }
            continue;
        }
        if lead.starts_with("```") || lead.starts_with("~~~") {
            fence = Some(&lead[..3]);
            continue;
        }
        let bad = |message: String| EvidenceError::Markdown {
            line: line_no,
            message,
        };
        match parse_marker(line, line_no)? {
            None => {}
            Some(Marker::Begin { name, lang }) => {
                if let Some((open_name, ..)) = &open {
                    return Err(bad(format!(
                        "block `{name}` begins inside block `{open_name}`"
                    )));
                }
                if found.iter().any(|b| b.name == name) {
                    return Err(bad(format!("a second block named `{name}`")));
                }
                open = Some((name, lang, line_no, start..offset));
            }
            Some(Marker::End { name }) => match open.take() {
                Some((open_name, lang, begin_line, begin)) if open_name == name => {
                    found.push(Block {
                        name,
                        lang,
                        line: begin_line,
                        content: begin.end..start,
                        begin,
                        end: start..start + line.len(),
                    });
                }
                Some((open_name, ..)) => {
                    return Err(bad(format!(
                        "block `{name}` ends while block `{open_name}` is open"
                    )));
                }
                None => return Err(bad(format!("block `{name}` ends but never began"))),
            },
        }
    }
    if let Some((name, _, line, _)) = open {
        return Err(EvidenceError::Markdown {
            line,
            message: format!("block `{name}` is never closed"),
        });
    }
    Ok(found)
}

/// The managed block called `name`, if `text` has one.
pub fn find_block(text: &str, name: &str) -> Result<Option<Block>, EvidenceError> {
    Ok(blocks(text)?.into_iter().find(|b| b.name == name))
}

/// One item of the OPS-302 checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistItem {
    /// The stable id (`OPS302-PROG-01`).
    pub id: String,
    /// Whether the box is marked (`[x]` or `[X]`).
    pub checked: bool,
    /// The text after the id.
    pub text: String,
    /// 1-based line in the file.
    pub line: usize,
    /// Byte offset of the character between the brackets.
    pub mark: usize,
}

/// The items of the checklist block of `text` (empty when there is no such block). Fails on
/// a task-list line without a stable id, or an id used twice.
pub fn checklist_items(text: &str) -> Result<Vec<ChecklistItem>, EvidenceError> {
    let Some(block) = find_block(text, CHECKLIST_BLOCK)? else {
        return Ok(Vec::new());
    };
    let first_line = block.line + 1;
    let mut items: Vec<ChecklistItem> = Vec::new();
    let mut offset = block.content.start;
    for (i, raw) in text[block.content.clone()]
        .split_inclusive('\n')
        .enumerate()
    {
        let line_no = first_line + i;
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let indent = line.len() - line.trim_start().len();
        let lead = &line[indent..];
        let Some(after_bullet) = lead
            .strip_prefix("- [")
            .or_else(|| lead.strip_prefix("* ["))
            .or_else(|| lead.strip_prefix("+ ["))
        else {
            continue;
        };
        let mut chars = after_bullet.chars();
        let (Some(mark), Some(']')) = (chars.next(), chars.next()) else {
            continue;
        };
        if !matches!(mark, ' ' | 'x' | 'X') {
            continue;
        }
        let rest = chars.as_str().trim_start();
        let bad = |message: String| EvidenceError::Markdown {
            line: line_no,
            message,
        };
        let id = rest
            .strip_prefix('`')
            .and_then(|r| r.split_once('`'))
            .map(|(id, _)| id)
            .filter(|id| {
                !id.is_empty()
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            })
            .ok_or_else(|| {
                bad("checklist item without a stable id: write `- [ ] `ID` text`".to_owned())
            })?;
        if let Some(other) = items.iter().find(|item| item.id == id) {
            return Err(bad(format!(
                "checklist id `{id}` is already used on line {}",
                other.line
            )));
        }
        let text_after = rest[id.len() + 2..].trim().to_owned();
        items.push(ChecklistItem {
            id: id.to_owned(),
            checked: mark != ' ',
            text: text_after,
            line: line_no,
            mark: start + indent + 3,
        });
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "# Evidências\r\n\
        Texto humano.\n\
        <!-- evidence-writer:begin checklist -->\n\
        ## Rotação\n\
        - [ ] `OPS302-PROG-01` Planejar janela\n  \
        * [x] `OPS302-PROG-02` Gerar chave\n\
        <!-- evidence-writer:end checklist -->\n\
        ```\n\
        <!-- evidence-writer:begin example -->\n\
        ```\n\
        <!-- evidence-writer:begin executions lang=en -->\n\
        old\n\
        <!-- evidence-writer:end executions -->";

    #[test]
    fn finds_blocks_and_their_ranges() {
        let found = blocks(DOC).unwrap();
        assert_eq!(found.len(), 2);
        let exec = &found[1];
        assert_eq!(
            (exec.name.as_str(), exec.lang.as_deref(), exec.line),
            ("executions", Some("en"), 11)
        );
        assert_eq!(&DOC[exec.content.clone()], "old\n");
        assert_eq!(
            &DOC[exec.end.clone()],
            "<!-- evidence-writer:end executions -->"
        );
        assert_eq!(
            &DOC[exec.begin.clone()],
            "<!-- evidence-writer:begin executions lang=en -->\n"
        );
        assert_eq!(
            begin_marker("executions", Some("en")),
            DOC[exec.begin.clone()].trim_end()
        );
    }

    #[test]
    fn reads_checklist_items() {
        let items = checklist_items(DOC).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(
            (items[0].id.as_str(), items[0].checked, items[0].line),
            ("OPS302-PROG-01", false, 5)
        );
        assert_eq!(items[0].text, "Planejar janela");
        assert_eq!(&DOC[items[0].mark..=items[0].mark], " ");
        assert_eq!(
            (items[1].id.as_str(), items[1].checked),
            ("OPS302-PROG-02", true)
        );
        assert_eq!(&DOC[items[1].mark..=items[1].mark], "x");
    }

    #[test]
    fn rejects_broken_markers() {
        for (text, line, message) in [
            (
                "<!-- evidence-writer:begin a -->\n",
                1,
                "block `a` is never closed",
            ),
            (
                "<!-- evidence-writer:end a -->\n",
                1,
                "block `a` ends but never began",
            ),
            (
                "<!-- evidence-writer:begin a -->\n<!-- evidence-writer:begin b -->\n",
                2,
                "block `b` begins inside block `a`",
            ),
            (
                "<!-- evidence-writer:begin a -->\n<!-- evidence-writer:end b -->\n",
                2,
                "block `b` ends while block `a` is open",
            ),
            (
                "<!-- evidence-writer:begin a x=1 -->\n",
                1,
                "unknown marker attribute (only lang= is known)",
            ),
            (
                "<!-- evidence-writer:start a -->\n",
                1,
                "marker must be `evidence-writer:begin NAME` or `evidence-writer:end NAME`",
            ),
            (
                "<!-- evidence-writer:begin a -->\n<!-- evidence-writer:end a -->\n<!-- evidence-writer:begin a -->\n",
                3,
                "a second block named `a`",
            ),
        ] {
            match blocks(text) {
                Err(EvidenceError::Markdown {
                    line: l,
                    message: m,
                }) => assert_eq!((l, m.as_str()), (line, message), "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn rejects_items_without_ids_or_with_repeated_ids() {
        let no_id = "<!-- evidence-writer:begin checklist -->\n- [ ] Planejar\n<!-- evidence-writer:end checklist -->\n";
        assert!(matches!(
            checklist_items(no_id),
            Err(EvidenceError::Markdown { line: 2, .. })
        ));
        let twice = "<!-- evidence-writer:begin checklist -->\n- [ ] `A` x\n- [x] `A` y\n<!-- evidence-writer:end checklist -->\n";
        assert!(matches!(
            checklist_items(twice),
            Err(EvidenceError::Markdown { line: 3, .. })
        ));
        assert_eq!(
            checklist_items("- [ ] `A` outside any block\n").unwrap(),
            vec![]
        );
    }
}
