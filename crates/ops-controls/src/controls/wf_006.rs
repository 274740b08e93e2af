//! WF-006: a workflow triggered by `pull_request_target` or `workflow_run` does not check out
//! the pull request's head.
//!
//! Those triggers run with privileges; checking out (and then building) the contributor's
//! code hands those privileges to it. Detected in `actions/checkout`'s `ref` and in `git`/`gh`
//! commands of `run:` steps.

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at, with_workflows};
use crate::context::Context;
use crate::expr;
use crate::workflow;

pub(super) const CONTROL: Control = Control {
    id: "WF-006",
    title: "No checkout of a pull request head in privileged triggers",
    severity: Severity::Critical,
    run,
};

const HEAD_REFS: [&str; 5] = [
    "github.event.pull_request.head",
    "github.head_ref",
    "github.event.workflow_run.head",
    "refs/pull/",
    "gh pr checkout",
];

fn names_head(text: &str) -> bool {
    HEAD_REFS.iter().any(|r| text.contains(r))
}

fn run(cx: &Context) -> Outcome {
    with_workflows(cx, |workflows| {
        let dangerous = &cx.policy.workflows.dangerous_triggers;
        let mut findings = Vec::new();
        let privileged = workflows
            .iter()
            .filter(|wf| wf.trigger(dangerous).is_some());
        for s in workflow::steps(privileged) {
            let (wf, job, step) = (s.workflow, s.job, s.step);
            if step.is_action("actions/checkout")
                && let Some(r) = step.input("ref").filter(|r| names_head(&r.value))
            {
                findings.push(at(
                    &wf.path,
                    Some(r.line),
                    format!("job `{}` checks out the pull request head", job.id),
                ));
            }
            if let Some(run) = &step.run {
                for (i, line) in run.text.lines().enumerate() {
                    let git = line.contains("git checkout")
                        || line.contains("git fetch")
                        || line.contains("git switch")
                        || line.contains("gh pr checkout");
                    if git && names_head(line) {
                        let offset = run.text.lines().take(i).map(|l| l.len() + 1).sum();
                        findings.push(at(
                            &wf.path,
                            Some(expr::line_at(&run.text, run.line, offset)),
                            format!("job `{}` checks out the pull request head", job.id),
                        ));
                    }
                }
            }
        }
        Outcome::from_findings(
            findings,
            "no privileged workflow checks out a pull request head",
        )
    })
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass};

    const WF: &str = ".github/workflows/pr.yml";
    const PR: &str = "on: pull_request_target\npermissions:\n  contents: read\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683\n        with:\n          persist-credentials: false\n";

    #[test]
    fn passes_when_the_base_is_checked_out() {
        let repo = Repo::compliant();
        repo.write(WF, PR);
        assert_pass(&repo.run("WF-006"));
    }

    #[test]
    fn fails_on_a_head_checkout() {
        let repo = Repo::compliant();
        repo.write(
            WF,
            &format!("{PR}          ref: ${{{{ github.event.pull_request.head.sha }}}}\n"),
        );
        assert_fail_at(&repo.run("WF-006"), WF, Some(11));
        repo.write(
            WF,
            &format!("{PR}      - run: |\n          git fetch origin refs/pull/1/head\n"),
        );
        assert_fail_at(&repo.run("WF-006"), WF, Some(12));
    }
}
