//! WF-007: no `${{ secrets.* }}` expanded inside `run:`.
//!
//! An expression in a script is pasted into the script text before the shell runs: the value
//! lands in the script file on the runner, can break quoting and be injected. Secrets go
//! through `env:` and are read as shell variables.

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at, with_workflows};
use crate::context::Context;
use crate::expr;
use crate::workflow;

pub(super) const CONTROL: Control = Control {
    id: "WF-007",
    title: "Secrets are not expanded inside run scripts",
    severity: Severity::High,
    run,
};

fn run(cx: &Context) -> Outcome {
    with_workflows(cx, |workflows| {
        let mut findings = Vec::new();
        for s in workflow::steps(workflows) {
            let (wf, job, step) = (s.workflow, s.job, s.step);
            let Some(run) = &step.run else { continue };
            for e in expr::expressions(&run.text) {
                let names = expr::secret_refs(e.body);
                let whole = expr::dumps_all_secrets(&format!("${{{{{}}}}}", e.body));
                if names.is_empty() && !whole {
                    continue;
                }
                let what = if whole {
                    "toJSON(secrets)".to_owned()
                } else {
                    format!("secrets.{}", names.join(", secrets."))
                };
                let line = expr::line_at(&run.text, run.line, e.offset);
                findings.push(at(
                    &wf.path,
                    Some(line),
                    format!(
                        "job `{}` expands {what} inside `run:`; pass it through `env:`",
                        job.id
                    ),
                ));
            }
        }
        Outcome::from_findings(findings, "no secret is expanded inside a run script")
    })
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass, line_of};

    const CI: &str = ".github/workflows/ci.yml";

    #[test]
    fn passes_when_secrets_go_through_env() {
        assert_pass(&Repo::compliant().run("WF-007"));
    }

    #[test]
    fn fails_on_a_secret_in_a_script() {
        let repo = Repo::compliant();
        repo.edit(
            CI,
            "          umask 077\n",
            "          umask 077\n          echo \"${{ secrets.SOPS_AGE_KEY }}\" > /dev/null\n",
        );
        let outcome = repo.run("WF-007");
        assert_fail_at(
            &outcome,
            CI,
            line_of(&repo, CI, "echo \"${{ secrets.SOPS_AGE_KEY"),
        );
        assert_eq!(
            outcome.message,
            "job `smoke` expands secrets.SOPS_AGE_KEY inside `run:`; pass it through `env:`"
        );
    }
}
