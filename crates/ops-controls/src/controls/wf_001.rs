//! WF-001: every file in the workflows directory is a readable workflow.
//!
//! A file the checks cannot parse is a file none of the other workflow checks looked at,
//! so it must fail rather than pass silently. GitHub would reject it too.

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at};
use crate::context::Context;

pub(super) const CONTROL: Control = Control {
    id: "WF-001",
    title: "Workflow files are valid workflows",
    severity: Severity::High,
    run,
};

fn run(cx: &Context) -> Outcome {
    let workflows = cx.workflows();
    let findings = workflows
        .invalid
        .iter()
        .map(|i| {
            at(
                &i.path,
                Some(i.line),
                format!("{} is not a valid workflow: {}", i.path, i.message),
            )
        })
        .collect();
    Outcome::from_findings(
        findings,
        format!("{} workflow file(s) parsed", workflows.parsed.len()),
    )
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass};

    #[test]
    fn passes_on_valid_workflows() {
        assert_eq!(
            assert_pass(&Repo::compliant().run("WF-001")),
            "1 workflow file(s) parsed"
        );
    }

    #[test]
    fn fails_on_a_broken_file() {
        let repo = Repo::compliant();
        repo.write(".github/workflows/broken.yml", "on: push\njobs:\n  a: [\n");
        let outcome = repo.run("WF-001");
        assert_eq!(outcome.locations.len(), 1);
        assert_eq!(outcome.locations[0].file, ".github/workflows/broken.yml");
        repo.write(".github/workflows/broken.yml", "name: x\non: push\n");
        assert_fail_at(&repo.run("WF-001"), ".github/workflows/broken.yml", Some(1));
    }
}
