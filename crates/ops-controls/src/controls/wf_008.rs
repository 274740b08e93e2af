//! WF-008: a step that writes an age key file is followed, in the same job, by an
//! `if: always()` step that removes it.
//!
//! The runbook's post-rotation validation confirms that workflows do not keep
//! `~/.config/sops/age/keys.txt` after the sync step. A removal without `always()` is skipped
//! exactly when a step fails, which is when the key is most likely to be left behind (and a
//! self-hosted runner keeps its disk between jobs).

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at, with_workflows};
use crate::context::Context;
use crate::keyfile;
use crate::workflow;

pub(super) const CONTROL: Control = Control {
    id: "WF-008",
    title: "Age key files are removed by a later always() step",
    severity: Severity::High,
    run,
};

fn run(cx: &Context) -> Outcome {
    with_workflows(cx, |workflows| {
        let mut findings = Vec::new();
        let mut count = 0;
        for job in workflow::jobs(workflows) {
            for writer in keyfile::writers(job) {
                count += 1;
                let removed = job
                    .steps()
                    .skip(writer.step_index + 1)
                    .any(|s| keyfile::removes(s, &writer));
                if !removed {
                    findings.push(at(
                        &job.workflow.path,
                        Some(writer.line),
                        format!("job `{}` writes the age key file {} but no later `if: always()` step removes it", job.job.id, writer.target),
                    ));
                }
            }
        }
        Outcome::from_findings(
            findings,
            format!("{count} age key file write(s), each removed by a later always() step"),
        )
    })
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass, line_of};

    const CI: &str = ".github/workflows/ci.yml";

    #[test]
    fn passes_when_an_always_step_removes_the_key() {
        assert_eq!(
            assert_pass(&Repo::compliant().run("WF-008")),
            "1 age key file write(s), each removed by a later always() step"
        );
    }

    #[test]
    fn fails_when_the_removal_is_not_always() {
        let repo = Repo::compliant();
        repo.edit(CI, "        if: always()\n", "");
        let outcome = repo.run("WF-008");
        assert_fail_at(
            &outcome,
            CI,
            line_of(&repo, CI, "printf '%s\\n' \"$SOPS_AGE_KEY\""),
        );
    }

    #[test]
    fn fails_when_nothing_removes_the_key() {
        let repo = Repo::compliant();
        repo.edit(
            CI,
            "        run: rm -rf \"$RUNNER_TEMP/sops-age\"\n",
            "        run: echo done\n",
        );
        let outcome = repo.run("WF-008");
        assert!(
            outcome
                .message
                .contains("writes the age key file $RUNNER_TEMP/sops-age/keys.txt"),
            "{}",
            outcome.message
        );
    }
}
