//! WF-014: the CI jobs the runbook names exist and really run what it says.
//!
//! The runbook integrates five jobs: `security` runs gitleaks with the repository's
//! configuration, `ops_compliance` runs the controls, and `lint`, `test`, `smoke`. The policy
//! maps each required job id to words its steps must contain (`uses:`, `run:`, or a step's
//! `with:`/`env:` value, where an action takes its configuration).
//!
//! A word counts only where it runs (issue 12): not inside `echo`/`printf` text or a comment,
//! and not when its failure is thrown away: `|| true`, `|| :`, `|| exit 0`, an `exit 0`
//! earlier in the same script, or `continue-on-error: true` on the step or the job. So
//! `echo "gitleaks skipped"; exit 0` and `ops-controls || true` do not pass for the jobs.

use std::collections::BTreeMap;

use bundle_core::ops::report::{Location, Severity};

use super::{Control, Outcome, at};
use crate::context::Context;
use crate::workflow::{Job, Step, Workflow};
use crate::yaml::Node;

pub(super) const CONTROL: Control = Control {
    id: "WF-014",
    title: "Required CI jobs exist and run their commands",
    severity: Severity::Medium,
    run,
};

/// How a step holds a word.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    /// Runs it, and a failure fails the job.
    Runs,
    /// Names it but throws its failure away (the reason), or only prints it.
    Neutralised(&'static str),
}

fn is_true(node: Option<&Node>) -> bool {
    node.and_then(Node::as_str)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// Whether one line of a `run:` script runs `word` with its failure kept.
fn line_verdict(line: &str, word: &str) -> Option<Found> {
    let lower = line.to_lowercase();
    if !lower.contains(word) {
        return None;
    }
    let trimmed = lower.trim_start();
    if trimmed.starts_with('#') || trimmed.starts_with("echo ") || trimmed.starts_with("printf ") {
        return Some(Found::Neutralised("only printed"));
    }
    let squeezed: String = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    for ignore in [
        "|| true",
        "|| :",
        "|| exit 0",
        "; exit 0",
        "&& exit 0",
        "|| echo",
    ] {
        if squeezed.contains(ignore) {
            return Some(Found::Neutralised("its failure is ignored"));
        }
    }
    Some(Found::Runs)
}

fn step_verdict(step: &Step, word: &str) -> Option<Found> {
    let mut found = None;
    if step
        .uses
        .as_ref()
        .is_some_and(|u| u.text.to_lowercase().contains(word))
        || step
            .with
            .iter()
            .chain(&step.env)
            .any(|v| v.value.to_lowercase().contains(word))
    {
        found = Some(Found::Runs);
    }
    if let Some(run) = &step.run {
        let mut exited = false;
        for line in run.text.lines() {
            if line.trim() == "exit 0" {
                exited = true;
                continue;
            }
            match line_verdict(line, word) {
                Some(Found::Runs) if exited => {
                    found.get_or_insert(Found::Neutralised("the script exits 0 before it"));
                }
                Some(Found::Runs) => found = Some(Found::Runs),
                Some(other) => {
                    found.get_or_insert(other);
                }
                None => {}
            }
        }
    }
    match found {
        Some(Found::Runs) if is_true(step.node.get("continue-on-error")) => {
            Some(Found::Neutralised("the step has continue-on-error"))
        }
        other => other,
    }
}

/// The best a job does with `word`: runs it somewhere, or only neutralised occurrences (the
/// first reason), or nothing.
fn job_verdict(job: &Job, word: &str) -> Option<Found> {
    let mut neutralised = None;
    for step in &job.steps {
        match step_verdict(step, word) {
            Some(Found::Runs) if is_true(job.node.get("continue-on-error")) => {
                return Some(Found::Neutralised("the job has continue-on-error"));
            }
            Some(Found::Runs) => return Some(Found::Runs),
            Some(Found::Neutralised(why)) => {
                neutralised.get_or_insert(why);
            }
            None => {}
        }
    }
    neutralised.map(Found::Neutralised)
}

/// Where a missing job belongs, as a file and a line (never a directory, so SARIF and
/// GitHub annotations can show it): the workflow holding the most of the other required jobs
/// (the first such file by path), at its first job; with no workflow at all, the runbook's
/// `ci.yml` in the workflows directory.
fn home_of_missing(
    workflows: &[Workflow],
    required: &BTreeMap<String, Vec<String>>,
    dir: &str,
    id: &str,
) -> Location {
    let held = |wf: &Workflow| {
        wf.jobs
            .iter()
            .filter(|j| required.contains_key(&j.id))
            .count()
    };
    let home = workflows
        .iter()
        .filter(|wf| !wf.jobs.is_empty())
        .min_by(|a, b| held(b).cmp(&held(a)).then_with(|| a.path.cmp(&b.path)));
    match home {
        Some(wf) => at(
            &wf.path,
            wf.jobs.first().map(|j| j.line),
            format!("no workflow has a job `{id}`"),
        ),
        None => at(
            &format!("{}/ci.yml", dir.trim_end_matches('/')),
            None,
            format!("no workflow has a job `{id}` (there is no workflow file)"),
        ),
    }
}

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
            findings.push(home_of_missing(workflows, required, dir, id));
            continue;
        };
        for word in words {
            let message = match job_verdict(job, &word.to_lowercase()) {
                Some(Found::Runs) => continue,
                Some(Found::Neutralised(why)) => {
                    format!("job `{id}` names `{word}` but does not really run it: {why}")
                }
                None => format!("job `{id}` does not run `{word}`"),
            };
            findings.push(at(&wf.path, Some(job.line), message));
        }
    }
    Outcome::from_findings(
        findings,
        format!(
            "required jobs present and running their commands: {}",
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
            "required jobs present and running their commands: lint, ops_compliance, security, smoke, test"
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
        // The missing `lint` belongs in ci.yml, which holds the other required jobs: the
        // finding points at its first job, not at the directory (issue 14).
        let first_job = repo
            .read(CI)
            .lines()
            .skip_while(|l| *l != "jobs:")
            .nth(1)
            .expect("a job after `jobs:`")
            .to_owned();
        let missing = assert_fail_at(&outcome, CI, line_of(&repo, CI, &first_job));
        assert!(
            missing
                .iter()
                .any(|l| l.note.as_deref() == Some("no workflow has a job `lint`")),
            "{missing:?}"
        );
        assert_fail_at(&outcome, CI, line_of(&repo, CI, "  security:"));
        // No lint job; security runs neither gitleaks nor with the repository's config.
        assert_eq!(outcome.locations.len(), 3);
        assert!(outcome.locations.iter().all(|l| l.line.is_some()));
    }

    #[test]
    fn a_missing_job_points_at_the_workflow_holding_the_others() {
        let repo = Repo::compliant();
        repo.write(
            ".github/workflows/aaa.yml",
            "on: push\npermissions: {}\njobs:\n  other:\n    runs-on: x\n    steps:\n      - run: make\n",
        );
        repo.edit(CI, "  smoke:\n", "  smoke_test:\n");
        let outcome = repo.run("WF-014");
        assert_eq!(outcome.message, "no workflow has a job `smoke`");
        assert_eq!(outcome.locations.len(), 1);
        assert_eq!(outcome.locations[0].file, CI);
        assert!(outcome.locations[0].line.is_some());
    }

    #[test]
    fn without_any_workflow_a_missing_job_points_at_ci_yml() {
        let repo = Repo::compliant();
        repo.remove(".github/workflows");
        let outcome = repo.run("WF-014");
        assert_fail_at(&outcome, ".github/workflows/ci.yml", None);
        assert_eq!(outcome.locations.len(), 5);
    }

    #[test]
    fn words_that_only_print_or_ignore_failure_do_not_count() {
        let gitleaks = "run: gitleaks detect --no-git --config config/gitleaks.toml --redact";
        for (replacement, why) in [
            ("run: echo \"gitleaks skipped\"; exit 0", "only printed"),
            (
                "run: gitleaks detect --no-git --config config/gitleaks.toml || true",
                "its failure is ignored",
            ),
            (
                "run: |\n          exit 0\n          gitleaks detect --config config/gitleaks.toml",
                "the script exits 0 before it",
            ),
            (
                "continue-on-error: true\n        run: gitleaks detect --config config/gitleaks.toml",
                "the step has continue-on-error",
            ),
        ] {
            let repo = Repo::compliant();
            repo.edit(CI, gitleaks, replacement);
            let outcome = repo.run("WF-014");
            assert_fail_at(&outcome, CI, line_of(&repo, CI, "  security:"));
            let expected =
                format!("job `security` names `gitleaks` but does not really run it: {why}");
            assert!(
                outcome
                    .locations
                    .iter()
                    .any(|l| l.note.as_deref() == Some(expected.as_str())),
                "{replacement}: {:?}",
                outcome.locations
            );
        }
    }

    #[test]
    fn a_job_with_continue_on_error_does_not_count() {
        let repo = Repo::compliant();
        repo.edit(
            CI,
            "  ops_compliance:\n",
            "  ops_compliance:\n    continue-on-error: true\n",
        );
        let outcome = repo.run("WF-014");
        assert_eq!(
            outcome.message,
            "job `ops_compliance` names `ops-controls` but does not really run it: the job has continue-on-error"
        );
    }
}
