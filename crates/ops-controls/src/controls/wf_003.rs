//! WF-003: no `write-all` shorthand, at the top level or in a job.
//!
//! `write-all` grants write on every scope, including ones GitHub adds later; write scopes
//! must be listed one by one. `read-all` is accepted (issue #14): it can change nothing, and
//! WF-004 still judges every write scope.

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at, with_workflows};
use crate::context::Context;
use crate::workflow::{PermBlock, PermSpec};

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
        let mut findings = Vec::new();
        for wf in workflows {
            if let Some(s) = wf
                .permissions
                .as_ref()
                .and_then(|b| shorthand(b).map(|s| (b.line, s)))
            {
                findings.push(at(
                    &wf.path,
                    Some(s.0),
                    format!("top-level `permissions: {}`", s.1),
                ));
            }
            for job in &wf.jobs {
                if let Some(s) = job
                    .permissions
                    .as_ref()
                    .and_then(|b| shorthand(b).map(|s| (b.line, s)))
                {
                    findings.push(at(
                        &wf.path,
                        Some(s.0),
                        format!("job `{}` has `permissions: {}`", job.id, s.1),
                    ));
                }
            }
        }
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
