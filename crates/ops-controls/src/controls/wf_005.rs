//! WF-005: no `pull_request_target` or `workflow_run` trigger in a workflow that uses secrets.
//!
//! Both triggers run with the base repository's secrets and a write token for events that
//! an outside contributor can cause; combined with secrets they are the classic way to leak
//! them. The trigger list comes from the policy (`dangerous_triggers`).

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at, with_workflows};
use crate::context::Context;

pub(super) const CONTROL: Control = Control {
    id: "WF-005",
    title: "No dangerous triggers in workflows that use secrets",
    severity: Severity::Critical,
    run,
};

fn run(cx: &Context) -> Outcome {
    with_workflows(cx, |workflows| {
        let dangerous = &cx.policy.workflows.dangerous_triggers;
        let findings = workflows
            .iter()
            .filter(|wf| wf.uses_secrets())
            .flat_map(|wf| {
                wf.triggers
                    .iter()
                    .filter(|t| dangerous.contains(&t.text))
                    .map(move |t| {
                        at(
                            &wf.path,
                            Some(t.line),
                            format!("`{}` triggers a workflow that uses secrets", t.text),
                        )
                    })
            })
            .collect();
        Outcome::from_findings(
            findings,
            "no workflow that uses secrets has a dangerous trigger",
        )
    })
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass, line_of};

    const CI: &str = ".github/workflows/ci.yml";

    #[test]
    fn passes_with_safe_triggers() {
        assert_pass(&Repo::compliant().run("WF-005"));
    }

    #[test]
    fn fails_on_pull_request_target_with_secrets() {
        let repo = Repo::compliant();
        repo.edit(CI, "  pull_request:\n", "  pull_request_target:\n");
        let outcome = repo.run("WF-005");
        assert_fail_at(&outcome, CI, line_of(&repo, CI, "pull_request_target:"));
        assert_eq!(
            outcome.message,
            "`pull_request_target` triggers a workflow that uses secrets"
        );
    }

    #[test]
    fn allows_the_trigger_without_secrets() {
        let repo = Repo::compliant();
        repo.write(".github/workflows/label.yml", "on: workflow_run\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo hi\n");
        assert_pass(&repo.run("WF-005"));
    }
}
