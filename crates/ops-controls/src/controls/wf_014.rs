//! WF-014: the CI jobs the runbook names exist and do what it says.
//!
//! The runbook integrates five jobs: `security` runs gitleaks, `ops_compliance` runs the
//! controls, and `lint`, `test`, `smoke`. The policy maps each required job id to words its
//! steps (`uses:` or `run:`) must contain.

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at};
use crate::context::Context;

pub(super) const CONTROL: Control = Control {
    id: "WF-014",
    title: "Required CI jobs exist",
    severity: Severity::Medium,
    run,
};

fn run(cx: &Context) -> Outcome {
    let required = &cx.policy.workflows.required_jobs;
    let workflows = &cx.workflows().parsed;
    let dir = &cx.policy.workflows.dir;
    let mut findings = Vec::new();
    for (id, words) in required {
        let found = workflows
            .iter()
            .find_map(|wf| wf.jobs.iter().find(|j| &j.id == id).map(|j| (wf, j)));
        let Some((wf, job)) = found else {
            findings.push(at(dir, None, format!("no workflow has a job `{id}`")));
            continue;
        };
        let text: String = job
            .steps
            .iter()
            .flat_map(|s| s.uses.iter().chain(s.run.iter()))
            .map(|l| l.text.to_lowercase())
            .collect::<Vec<_>>()
            .join("\n");
        for word in words {
            if !text.contains(&word.to_lowercase()) {
                findings.push(at(
                    &wf.path,
                    Some(job.line),
                    format!("job `{id}` does not run `{word}`"),
                ));
            }
        }
    }
    Outcome::from_findings(
        findings,
        format!(
            "required jobs present: {}",
            required.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass, line_of};

    const CI: &str = ".github/workflows/ci.yml";

    #[test]
    fn passes_with_all_jobs() {
        assert_eq!(
            assert_pass(&Repo::compliant().run("WF-014")),
            "required jobs present: lint, ops_compliance, security, smoke, test"
        );
    }

    #[test]
    fn fails_on_a_missing_job_or_command() {
        let repo = Repo::compliant();
        repo.edit(CI, "  lint:\n", "  style:\n");
        repo.edit(
            CI,
            "run: gitleaks detect --no-git --config config/gitleaks.toml --redact",
            "run: echo skipped",
        );
        let outcome = repo.run("WF-014");
        assert_fail_at(&outcome, ".github/workflows", None);
        assert_fail_at(&outcome, CI, line_of(&repo, CI, "  security:"));
        assert_eq!(outcome.locations.len(), 2);
    }
}
