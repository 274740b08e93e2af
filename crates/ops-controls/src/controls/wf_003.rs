//! WF-003: no `write-all` shorthand, at the top level or in a job.
//!
//! `write-all` grants write on every scope, including ones GitHub adds later; write scopes
//! must be listed one by one. `read-all` is accepted (issue #14): it can change nothing, and
//! WF-004 still judges every write scope.

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at, with_workflows};
use crate::context::Context;
use crate::workflow::{self, PermBlock, PermSpec};

pub(super) const CONTROL: Control = Control {
    id: "WF-003",
    title: "No write-all permissions",
    severity: Severity::High,
    run,
};

fn shorthand(block: &PermBlock) -> Option<&'static str> {
    match block.spec {
        PermSpec::WriteAll => Some("write-all"),
        _ => None,
    }
}

fn run(cx: &Context) -> Outcome {
    with_workflows(cx, |workflows| {
        // Every block with its workflow, and the job it belongs to (none: top-level).
        let top_level = workflows
            .iter()
            .map(|wf| (wf, None, wf.permissions.as_ref()));
        let per_job = workflow::jobs(workflows)
            .map(|j| (j.workflow, Some(j.job), j.job.permissions.as_ref()));
        let findings = top_level
            .chain(per_job)
            .filter_map(|(wf, job, block)| {
                let block = block?;
                let s = shorthand(block)?;
                let whose =
                    job.map_or_else(|| "top-level".to_owned(), |j| format!("job `{}` has", j.id));
                Some(at(
                    &wf.path,
                    Some(block.line),
                    format!("{whose} `permissions: {s}`"),
                ))
            })
            .collect();
        Outcome::from_findings(findings, "no write-all shorthand")
    })
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass, line_of};

    const CI: &str = ".github/workflows/ci.yml";

    #[test]
    fn passes_with_explicit_scopes() {
        assert_pass(&Repo::compliant().run("WF-003"));
    }

    #[test]
    fn passes_with_read_all() {
        let repo = Repo::compliant();
        repo.edit(
            CI,
            "permissions:\n  contents: read\n",
            "permissions: read-all\n",
        );
        repo.edit(
            CI,
            "  lint:\n    runs-on: ubuntu-latest\n",
            "  lint:\n    runs-on: ubuntu-latest\n    permissions: read-all\n",
        );
        assert_pass(&repo.run("WF-003"));
    }

    #[test]
    fn fails_on_write_all() {
        let repo = Repo::compliant();
        repo.edit(
            CI,
            "permissions:\n  contents: read\n",
            "permissions: write-all\n",
        );
        repo.edit(
            CI,
            "  lint:\n    runs-on: ubuntu-latest\n",
            "  lint:\n    runs-on: ubuntu-latest\n    permissions: write-all\n",
        );
        let outcome = repo.run("WF-003");
        assert_fail_at(&outcome, CI, line_of(&repo, CI, "permissions: write-all"));
        assert_eq!(outcome.locations.len(), 2);
        assert_eq!(
            outcome.locations[0].note.as_deref(),
            Some("top-level `permissions: write-all`")
        );
    }
}
