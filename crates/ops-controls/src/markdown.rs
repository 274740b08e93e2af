//! Just enough markdown for the document checks: ATX headings and pipe tables, each with
//! its line, ignoring fenced code blocks. (Task-list items are no longer read: DOC-003 judges
//! the execution log's checklists, not ticked boxes, issue 12.)

/// A `#`-heading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Heading {
    pub(crate) level: usize,
    pub(crate) text: String,
    pub(crate) line: usize,
}

/// Lines outside fenced code blocks, with their 1-based numbers.
fn prose_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut fence: Option<&str> = None;
    text.lines().enumerate().filter_map(move |(i, line)| {
        let trimmed = line.trim_start();
        for marker in ["```", "~~~"] {
            if trimmed.starts_with(marker) {
                match fence {
                    None => fence = Some(marker),
                    Some(open) if open == marker => fence = None,
                    Some(_) => {}
                }
                return None;
            }
        }
        fence.is_none().then_some((i + 1, line))
    })
}

/// Every ATX heading.
pub(crate) fn headings(text: &str) -> Vec<Heading> {
    prose_lines(text)
        .filter_map(|(line, l)| {
            let t = l.trim_start();
            let level = t.bytes().take_while(|b| *b == b'#').count();
            let rest = &t[level..];
            ((1..=6).contains(&level) && (rest.is_empty() || rest.starts_with(' '))).then(|| {
                Heading {
                    level,
                    text: rest.trim().trim_end_matches('#').trim().to_owned(),
                    line,
                }
            })
        })
        .collect()
}

/// A table row: its line and its cells.
pub(crate) type Row = (usize, Vec<String>);

/// The rows (cells trimmed) of the first pipe table after the heading containing `heading`,
/// before the next heading of the same or a higher level; the separator row is dropped.
pub(crate) fn table_under(text: &str, heading: &str) -> Option<(usize, Vec<Row>)> {
    let wanted = heading.to_lowercase();
    let all = headings(text);
    let start = all
        .iter()
        .find(|h| h.text.to_lowercase().contains(&wanted))?;
    let end = all
        .iter()
        .find(|h| h.line > start.line && h.level <= start.level)
        .map_or(usize::MAX, |h| h.line);
    let rows: Vec<Row> = prose_lines(text)
        .filter(|(line, l)| *line > start.line && *line < end && l.trim_start().starts_with('|'))
        .map(|(line, l)| {
            let inner = l.trim().trim_start_matches('|').trim_end_matches('|');
            (
                line,
                inner
                    .split('|')
                    .map(|c| c.trim().to_owned())
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, cells)| {
            !cells
                .iter()
                .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
        })
        .collect();
    Some((start.line, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "# Title\n\n## Matriz de contato\n\n| Papel | Contato |\n| --- | :---: |\n| IC | Plantão |\n\n```\n# not a heading\n- [ ] not a task\n```\n- [x] done\n* [ ] open\n## Next\n| other | table |\n";

    #[test]
    fn finds_headings_and_tables_outside_fences() {
        let h = headings(DOC);
        assert_eq!(
            h.iter()
                .map(|h| (h.level, h.text.as_str(), h.line))
                .collect::<Vec<_>>(),
            [
                (1, "Title", 1),
                (2, "Matriz de contato", 3),
                (2, "Next", 15)
            ]
        );
        let (line, rows) = table_under(DOC, "matriz de contato").unwrap();
        assert_eq!(line, 3);
        assert_eq!(
            rows,
            [
                (5, vec!["Papel".to_owned(), "Contato".to_owned()]),
                (7, vec!["IC".to_owned(), "Plantão".to_owned()])
            ]
        );
        assert!(table_under(DOC, "absent").is_none());
    }
}
