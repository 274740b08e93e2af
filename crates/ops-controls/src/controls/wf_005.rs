//! WF-005: no dangerous trigger in a privileged workflow.
//!
//! `pull_request_target`, `workflow_run`, `issue_comment` and the other triggers of the
//! policy's `dangerous_triggers` run the base repository's workflow for events an outside
//! contributor can cause, with the base repository's secrets and token. That is harmless
//! only while the workflow holds nothing worth stealing: no secret other than
//! `GITHUB_TOKEN`, and a token without any write scope (`id-token: write` included). See
//! [`crate::permissions::privilege`] for what counts (issue #14).

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at, with_workflows};
use crate::context::Context;
use crate::permissions::privilege;

pub(super) const CONTROL: Control = Control {
    id: "WF-005",
    title: "No dangerous triggers in privileged workflows",
    severity: Severity::Critical,
    run,
};

fn run(cx: &Context) -> Outcome {
    with_workflows(cx, |workflows| {
        let policy = &cx.policy.workflows;
        let mut findings = Vec::new();
        for wf in workflows {
            if wf.trigger(&policy.dangerous_triggers).is_none() {
                continue;
            }
            let Some(reason) = privilege(wf, policy.default_permissions) else {
                continue;
            };
            for t in wf
                .triggers
                .iter()
                .filter(|t| policy.dangerous_triggers.contains(&t.text))
            {
                findings.push(at(
                    &wf.path,
                    Some(t.line),
                    format!("`{}` triggers a privileged workflow: {reason}", t.text),
                ));
            }
        }
        Outcome::from_findings(findings, "no privileged workflow has a dangerous trigger")
    })
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass, line_of};

    const CI: &str = ".github/workflows/ci.yml";
    const WF: &str = ".github/workflows/pr.yml";

    /// The labeler's usual setup: the token is passed explicitly, but it can only read.
    const LABELER: &str = "on: pull_request_target\npermissions:\n  contents: read\n  pull-requests: read\njobs:\n  label:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/labeler@8558fd74291d67161a8a78ce36a881fa63b766a9\n        with:\n          repo-token: ${{ secrets.GITHUB_TOKEN }}\n";

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
            "`pull_request_target` triggers a privileged workflow: it reads secrets.SOPS_AGE_KEY"
        );
    }

    #[test]
    fn allows_the_trigger_without_privilege() {
        let repo = Repo::compliant();
        repo.write(".github/workflows/label.yml", "on: workflow_run\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo hi\n");
        assert_pass(&repo.run("WF-005"));
    }

    #[test]
    fn the_github_token_alone_is_judged_by_the_permissions() {
        let repo = Repo::compliant();
        repo.write(WF, LABELER);
        assert_pass(&repo.run("WF-005"));
        repo.write(
            WF,
            &LABELER.replace("pull-requests: read", "pull-requests: write"),
        );
        let outcome = repo.run("WF-005");
        assert_fail_at(&outcome, WF, Some(1));
        assert_eq!(
            outcome.message,
            "`pull_request_target` triggers a privileged workflow: job `label` holds `pull-requests: write`"
        );
    }

    #[test]
    fn id_token_write_and_app_keys_are_privileges() {
        let repo = Repo::compliant();
        repo.write(
            WF,
            &LABELER.replace("pull-requests: read", "id-token: write"),
        );
        assert_fail_at(&repo.run("WF-005"), WF, Some(1));
        repo.write(
            WF,
            &LABELER
                .replace("on: pull_request_target", "on: workflow_run")
                .replace(
                    "repo-token: ${{ secrets.GITHUB_TOKEN }}",
                    "private-key: ${{ secrets.APP_PRIVATE_KEY }}",
                ),
        );
        let outcome = repo.run("WF-005");
        assert_eq!(
            outcome.message,
            "`workflow_run` triggers a privileged workflow: it reads secrets.APP_PRIVATE_KEY"
        );
    }

    #[test]
    fn fails_on_issue_comment_checking_out_a_pull_request_with_a_secret() {
        let repo = Repo::compliant();
        repo.write(
            WF,
            "on:\n  issue_comment:\n    types: [created]\npermissions:\n  contents: read\njobs:\n  bench:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683\n        with:\n          persist-credentials: false\n          ref: refs/pull/${{ github.event.issue.number }}/head\n      - run: ./bench.sh\n        env:\n          BENCH_TOKEN: ${{ secrets.BENCH_TOKEN }}\n",
        );
        let outcome = repo.run("WF-005");
        assert_fail_at(&outcome, WF, Some(2));
        assert_eq!(
            outcome.message,
            "`issue_comment` triggers a privileged workflow: it reads secrets.BENCH_TOKEN"
        );
        assert_fail_at(&repo.run("WF-006"), WF, Some(13));
    }
}
