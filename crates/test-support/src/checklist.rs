//! The checklist of an evidence directory's README as tests read it: one line per item,
//! `- [x] `<entry>.<item>` <title> — prova: ...` or `- [ ] ... — **ignorado**: <reason>`.
//!
//! evidence-writer's tests (an execution recorded by hand) and xtask's (one recorded by
//! `rotate`) assert the same lines; finding a line by its item id keeps those assertions
//! whole-line, so a changed proof or reason is seen.

/// The checklist line of item `id` (`emergency-v4.isolation`) in a README's text; panics,
/// showing the README, when there is none.
pub fn checklist_line<'a>(readme: &'a str, id: &str) -> &'a str {
    let tag = format!("`{id}`");
    readme
        .lines()
        .find(|l| (l.starts_with("- [x] ") || l.starts_with("- [ ] ")) && l.contains(&tag))
        .unwrap_or_else(|| panic!("no checklist item {id} in:\n{readme}"))
}

#[cfg(test)]
mod tests {
    use super::checklist_line;

    #[test]
    fn finds_the_line_of_an_item_by_its_id() {
        let readme =
            "# x\n- [x] `a-v1.one` Um — prova: p\n- [ ] `a-v1.two` Dois — **ignorado**: r\n";
        assert_eq!(
            checklist_line(readme, "a-v1.two"),
            "- [ ] `a-v1.two` Dois — **ignorado**: r"
        );
        assert_eq!(
            checklist_line(readme, "a-v1.one"),
            "- [x] `a-v1.one` Um — prova: p"
        );
    }
}
