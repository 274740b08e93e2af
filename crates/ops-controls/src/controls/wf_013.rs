//! WF-013: `actions/checkout` runs with `persist-credentials: false` in workflows that use
//! secrets.
//!
//! By default checkout leaves the job's token in `.git/config`, where every later step and
//! any uploaded workspace can read it. An explicit `persist-credentials: true` is a decision
//! someone wrote down (a job that pushes needs it), so it is accepted (issue #14); only when
//! that job's token can write is it reported, as a warning rather than a failure.

use bundle_core::ops::report::{Access, Severity};

use super::{Control, Outcome, at, with_workflows};
use crate::context::Context;
use crate::permissions;
use crate::workflow;

pub(super) const CONTROL: Control = Control {
    id: "WF-013",
    title: "actions/checkout does not persist credentials",
    severity: Severity::Medium,
    run,
};

fn run(cx: &Context) -> Outcome {
    with_workflows(cx, |workflows| {
        let default = cx.policy.workflows.default_permissions;
        let mut findings = Vec::new();
        let mut warnings = Vec::new();
        let mut count = 0;
        for j in workflow::jobs(workflows.iter().filter(|wf| wf.uses_secrets())) {
            let (wf, job) = (j.workflow, j.job);
            let (_, block) = permissions::effective(wf, job);
            let writes = permissions::granted(block, default)
                .values()
                .any(|a| *a == Access::Write);
            for step in job.steps.iter().filter(|s| s.is_action("actions/checkout")) {
                count += 1;
                let persist = step
                    .input("persist-credentials")
                    .map(|v| v.value.trim().to_ascii_lowercase());
                let line = step.uses.as_ref().map_or(step.line, |u| u.line);
                if persist.as_deref() == Some("true") {
                    if writes {
                        warnings.push(at(
                            &wf.path,
                            Some(line),
                            format!(
                                "job `{}` persists credentials of a token that can write",
                                job.id
                            ),
                        ));
                    }
                } else if persist.as_deref() != Some("false") {
                    findings.push(at(
                        &wf.path,
                        Some(line),
                        format!(
                            "job `{}` checks out without `persist-credentials: false`",
                            job.id
                        ),
                    ));
                }
            }
        }
        if findings.is_empty() && !warnings.is_empty() {
            let message = warnings[0].note.clone().unwrap_or_default();
            return Outcome::warn(message, warnings);
        }
        findings.extend(warnings);
        Outcome::from_findings(
            findings,
            format!(
                "{count} checkout(s) in secret-using workflows drop credentials or say why not"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass};

    const CI: &str = ".github/workflows/ci.yml";

    #[test]
    fn passes_when_credentials_are_not_persisted() {
        assert_eq!(
            assert_pass(&Repo::compliant().run("WF-013")),
            "5 checkout(s) in secret-using workflows drop credentials or say why not"
        );
    }

    #[test]
    fn fails_when_credentials_persist() {
        let repo = Repo::compliant();
        let text = repo.read(CI);
        let last = text
            .rfind("        with:\n          persist-credentials: false\n")
            .unwrap();
        let edited = format!(
            "{}{}",
            &text[..last],
            &text[last + "        with:\n          persist-credentials: false\n".len()..]
        );
        repo.write(CI, &edited);
        let line = edited[..last].matches('\n').count();
        let outcome = repo.run("WF-013");
        assert_fail_at(&outcome, CI, Some(line));
        assert_eq!(
            outcome.message,
            "job `smoke` checks out without `persist-credentials: false`"
        );
    }

    #[test]
    fn accepts_an_explicit_true_and_warns_only_when_the_token_can_write() {
        use bundle_core::ops::report::Status;

        let repo = Repo::compliant();
        repo.edit(
            CI,
            "          persist-credentials: false\n",
            "          persist-credentials: true\n",
        );
        assert_pass(&repo.run("WF-013"));
        repo.edit(
            CI,
            "  security:\n",
            "  security:\n    permissions:\n      contents: write\n",
        );
        let outcome = repo.run("WF-013");
        assert_eq!(outcome.status, Status::Warn, "{outcome:#?}");
        assert_eq!(
            outcome.message,
            "job `security` persists credentials of a token that can write"
        );
    }
}
