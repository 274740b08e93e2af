//! WF-009: no artifact upload or cache path covers an age key file written in the job.
//!
//! `actions/upload-artifact` and `actions/cache` copy whatever their `path` matches off the
//! runner; a path like `~` or `${{ runner.temp }}` quietly includes the key. A path that
//! names a key file is a finding even when no write was seen.

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at, with_workflows};
use crate::context::Context;
use crate::keyfile;
use crate::workflow::{self, Step};

pub(super) const CONTROL: Control = Control {
    id: "WF-009",
    title: "No artifact or cache covers an age key file",
    severity: Severity::Critical,
    run,
};

fn is_uploader(step: &Step) -> bool {
    step.action().is_some_and(|(name, _, _)| {
        let name = name.to_ascii_lowercase();
        name.starts_with("actions/upload-artifact") || name.starts_with("actions/cache")
    })
}

fn run(cx: &Context) -> Outcome {
    with_workflows(cx, |workflows| {
        let mut findings = Vec::new();
        for job in workflow::jobs(workflows) {
            let writers = keyfile::writers(job);
            for step in job.steps().filter(|s| is_uploader(s.step)) {
                let Some(path) = step.step.input("path") else {
                    continue;
                };
                let env = keyfile::visible_env(step);
                for (i, pattern) in path.value.lines().enumerate() {
                    let named = keyfile::names_key_file(pattern);
                    let covered = writers
                        .iter()
                        .find(|w| keyfile::covers(pattern, &w.resolved, &env));
                    if named || covered.is_some() {
                        let what = covered
                            .map_or_else(|| "an age key file".to_owned(), |w| w.target.clone());
                        let line = if path.value.contains('\n') {
                            path.line + i
                        } else {
                            path.line
                        };
                        findings.push(at(
                            &job.workflow.path,
                            Some(line),
                            format!(
                                "job `{}` uploads `{}`, which covers {what}",
                                job.job.id,
                                pattern.trim()
                            ),
                        ));
                    }
                }
            }
        }
        Outcome::from_findings(findings, "no artifact or cache path covers an age key file")
    })
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass, line_of};

    const CI: &str = ".github/workflows/ci.yml";

    fn add_upload(repo: &Repo, path: &str) {
        repo.edit(
            CI,
            "      - name: remove age key\n",
            &format!("      - uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02\n        with:\n          name: logs\n          path: |\n            target/logs\n            {path}\n      - name: remove age key\n"),
        );
    }

    #[test]
    fn passes_when_uploads_avoid_the_key() {
        let repo = Repo::compliant();
        add_upload(&repo, "target/report.json");
        assert_pass(&repo.run("WF-009"));
    }

    #[test]
    fn fails_when_an_upload_covers_the_key_directory() {
        let repo = Repo::compliant();
        add_upload(&repo, "${{ runner.temp }}");
        let outcome = repo.run("WF-009");
        assert_fail_at(
            &outcome,
            CI,
            line_of(&repo, CI, "            ${{ runner.temp }}"),
        );
        assert_eq!(
            outcome.message,
            "job `smoke` uploads `${{ runner.temp }}`, which covers $RUNNER_TEMP/sops-age/keys.txt"
        );
    }
}
