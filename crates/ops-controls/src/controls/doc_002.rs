//! DOC-002: the on-call contact matrix is filled in.
//!
//! The runbook's preparation step updates the contact matrix; a table of placeholders is as
//! useless as none in an incident. The matrix is the first pipe table under the policy's
//! heading; it needs a header and at least one row, and no cell may be empty or a
//! placeholder (`TODO`, `TBD`, `XXX`, `???`, `<...>`, `...`).

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at};
use crate::context::Context;
use crate::markdown;

pub(super) const CONTROL: Control = Control {
    id: "DOC-002",
    title: "Contact matrix is filled in",
    severity: Severity::Medium,
    run,
};

fn is_placeholder(cell: &str) -> bool {
    // Placeholders are written in capitals (`TODO`); the Portuguese word "todo" is not one.
    let marker = cell
        .split(|c: char| !c.is_alphanumeric() && c != '?')
        .any(|w| matches!(w, "TODO" | "TBD" | "XXX" | "FIXME" | "???"));
    cell.is_empty()
        || marker
        || cell.contains("???")
        || cell.to_lowercase().contains("a definir")
        || (cell.starts_with('<') && cell.ends_with('>'))
        || cell.chars().all(|c| matches!(c, '.' | '…' | '-' | '_'))
}

fn run(cx: &Context) -> Outcome {
    let path = &cx.policy.documents.contact_matrix;
    let heading = &cx.policy.documents.contact_matrix_heading;
    let text = match cx.read(path) {
        Ok(Some(text)) => text,
        Ok(None) => {
            return Outcome::fail(
                format!("{path} is missing"),
                vec![at(path, None, format!("{path} is missing"))],
            );
        }
        Err(e) => return Outcome::fail(format!("cannot read {path}: {}", e.0), vec![]),
    };
    let Some((heading_line, rows)) = markdown::table_under(&text, heading) else {
        let note = format!("{path} has no heading `{heading}`");
        return Outcome::fail(note.clone(), vec![at(path, None, note)]);
    };
    if rows.len() < 2 {
        let note = format!("the contact matrix under `{heading}` has no rows");
        return Outcome::fail(note.clone(), vec![at(path, Some(heading_line), note)]);
    }
    let findings = rows
        .iter()
        .skip(1)
        .filter(|(_, cells)| cells.iter().any(|c| is_placeholder(c)))
        .map(|(line, _)| {
            at(
                path,
                Some(*line),
                "contact matrix row has an empty or placeholder cell",
            )
        })
        .collect();
    Outcome::from_findings(
        findings,
        format!("contact matrix has {} filled rows", rows.len() - 1),
    )
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass};

    const DOC: &str = "docs/ops/incident-response.md";

    #[test]
    fn passes_with_filled_rows() {
        assert_eq!(
            assert_pass(&Repo::compliant().run("DOC-002")),
            "contact matrix has 2 filled rows"
        );
    }

    #[test]
    fn fails_on_a_placeholder_cell() {
        let repo = Repo::compliant();
        repo.edit(DOC, "| SecOps | Equipe SecOps |", "| SecOps | TODO |");
        assert_fail_at(&repo.run("DOC-002"), DOC, Some(8));
        repo.edit(DOC, "| SecOps | TODO |", "| SecOps | <nome> |");
        assert_fail_at(&repo.run("DOC-002"), DOC, Some(8));
    }

    #[test]
    fn the_portuguese_word_todo_is_not_a_placeholder() {
        let repo = Repo::compliant();
        repo.edit(
            DOC,
            "| SecOps | Equipe SecOps |",
            "| SecOps | Todo incidente |",
        );
        assert_pass(&repo.run("DOC-002"));
    }

    #[test]
    fn fails_without_the_table() {
        let repo = Repo::compliant();
        repo.write(DOC, "# Resposta\n\n## Matriz de contato\n\nA definir.\n");
        let outcome = repo.run("DOC-002");
        assert_fail_at(&outcome, DOC, Some(3));
        assert_eq!(
            outcome.message,
            "the contact matrix under `Matriz de contato` has no rows"
        );
    }
}
