//! WF-002: every workflow has a top-level `permissions:` block.
//!
//! Without one, jobs that declare nothing get the repository's default token permissions,
//! which may be read/write on everything. A top-level block makes least privilege the default.
//! A workflow whose every job declares its own `permissions:` already has no job left to the
//! default, so it needs no top-level block (issue #14).

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at, with_workflows};
use crate::context::Context;
use crate::workflow::PermSpec;

pub(super) const CONTROL: Control = Control {
    id: "WF-002",
    title: "Workflows declare top-level permissions",
    severity: Severity::High,
    run,
};

fn run(cx: &Context) -> Outcome {
    with_workflows(cx, |workflows| {
        let mut findings = Vec::new();
        for wf in workflows {
            let every_job_declares =
                !wf.jobs.is_empty() && wf.jobs.iter().all(|j| j.permissions.is_some());
            match &wf.permissions {
                None if every_job_declares => {}
                None => findings.push(at(
                    &wf.path,
                    Some(1),
                    format!("{} has no top-level `permissions:` block", wf.path),
                )),
                Some(block) => {
                    if let PermSpec::Invalid(message) = &block.spec {
                        findings.push(at(
                            &wf.path,
                            Some(block.line),
                            format!("invalid top-level permissions: {message}"),
                        ));
                    }
                }
            }
        }
        Outcome::from_findings(
            findings,
            format!(
                "{} workflow(s) declare top-level permissions",
                workflows.len()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use bundle_core::ops::report::Status;

    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass};

    const CI: &str = ".github/workflows/ci.yml";

    #[test]
    fn passes_with_a_top_level_block() {
        assert_pass(&Repo::compliant().run("WF-002"));
    }

    #[test]
    fn fails_without_a_top_level_block() {
        let repo = Repo::compliant();
        repo.edit(CI, "permissions:\n  contents: read\njobs:", "jobs:");
        let outcome = repo.run("WF-002");
        assert_fail_at(&outcome, CI, Some(1));
        assert_eq!(
            outcome.message,
            format!("{CI} has no top-level `permissions:` block")
        );
    }

    #[test]
    fn passes_when_every_job_declares_permissions() {
        let repo = Repo::compliant();
        let wf = ".github/workflows/jobs.yml";
        let text = "on: push\njobs:\n  a:\n    permissions:\n      contents: read\n    runs-on: x\n    steps:\n      - run: echo a\n  b:\n    permissions: {}\n    runs-on: x\n    steps:\n      - run: echo b\n";
        repo.write(wf, text);
        assert_pass(&repo.run("WF-002"));
        repo.write(wf, &text.replace("    permissions: {}\n", ""));
        let outcome = repo.run("WF-002");
        assert_fail_at(&outcome, wf, Some(1));
    }

    #[test]
    fn skips_without_workflows() {
        let repo = Repo::compliant();
        repo.remove(".github/workflows");
        assert_eq!(repo.run("WF-002").status, Status::Skip);
    }
}
