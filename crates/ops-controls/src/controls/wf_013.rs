//! WF-013: `actions/checkout` runs with `persist-credentials: false` in workflows that use
//! secrets.
//!
//! By default checkout leaves the job's token in `.git/config`, where every later step and
//! any uploaded workspace can read it.

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at, with_workflows};
use crate::context::Context;

pub(super) const CONTROL: Control = Control {
    id: "WF-013",
    title: "actions/checkout does not persist credentials",
    severity: Severity::Medium,
    run,
};

fn run(cx: &Context) -> Outcome {
    with_workflows(cx, |workflows| {
        let mut findings = Vec::new();
        let mut count = 0;
        for wf in workflows.iter().filter(|wf| wf.uses_secrets()) {
            for job in &wf.jobs {
                for step in job.steps.iter().filter(|s| s.is_action("actions/checkout")) {
                    count += 1;
                    let persist = step
                        .input("persist-credentials")
                        .map(|v| v.value.trim().to_ascii_lowercase());
                    if persist.as_deref() != Some("false") {
                        let line = step.uses.as_ref().map_or(step.line, |u| u.line);
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
        }
        Outcome::from_findings(
            findings,
            format!("{count} checkout(s) in secret-using workflows drop credentials"),
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
            "5 checkout(s) in secret-using workflows drop credentials"
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
}
