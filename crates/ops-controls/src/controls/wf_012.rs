//! WF-012: actions are pinned to a full commit SHA.
//!
//! A tag or branch can be moved to other code after review; a 40-hex commit cannot. Applies
//! to every workflow (`pin_actions: all`, the default since issue #14; `secret-workflows`
//! limits it to workflows that use secrets). Covered: step actions, reusable workflow calls
//! (`org/repo/.github/workflows/x.yml@<sha>`), and the images of `container:` and
//! `services:`, which need an `@sha256:` digest like Docker actions (a tag can be re-pushed).
//! Owners listed in `trusted_action_owners` are exempt (none by default: a tag of any owner
//! can move), local actions and local reusable workflows always are: `./path` and the
//! same-repository form `$/path` run the calling repository's own code at the running commit.
//! An image given by an expression is judged through the job's matrix when it names a
//! `matrix.*` value listed there; any other expression cannot be shown pinned and is reported.
//!
//! The steps of composite actions (`action.yml`/`action.yaml` with `runs.using: composite`)
//! run inside the calling job, so their `uses:` are judged the same way: every composite
//! action of the repository under `pin_actions: all`; under `secret-workflows`, those a
//! judged workflow calls by local path (`uses: ./path`), directly or through other local
//! actions. An action file that cannot be read, or a repository whose files cannot be
//! listed, is reported: its pins cannot be shown.

use std::collections::BTreeSet;

use bundle_core::ops::report::{Location, Severity};

use super::{Control, Outcome, at, unaudited_actions, with_workflows};
use crate::context::Context;
use crate::policy::PinScope;
use crate::workflow::{self, Action, Job, Located, Workflow};
use crate::yaml::Node;

pub(super) const CONTROL: Control = Control {
    id: "WF-012",
    title: "Actions pinned to full commit SHAs",
    severity: Severity::Medium,
    run,
};

fn is_full_sha(reference: &str) -> bool {
    reference.len() == 40 && reference.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Why a `uses:` value is not acceptably pinned, if it is not.
fn pin_problem(uses: &str, trusted: &[String]) -> Option<String> {
    let uses = uses.trim();
    if uses.starts_with("./") || uses.starts_with("$/") {
        return None;
    }
    if let Some(image) = uses.strip_prefix("docker://") {
        return (!image.contains("@sha256:"))
            .then(|| format!("`{uses}` is not pinned to an image digest"));
    }
    let (name, reference) = uses.split_once('@').unwrap_or((uses, ""));
    let owner = name.split('/').next().unwrap_or_default();
    if trusted.iter().any(|t| t.eq_ignore_ascii_case(owner)) || is_full_sha(reference) {
        return None;
    }
    Some(format!("`{uses}` is not pinned to a full commit SHA"))
}

/// The image of a `container:` or service value: the scalar itself or its `image:`.
fn image_of(node: &Node) -> Option<Located> {
    let node = match node {
        Node::Map { .. } => node.get("image")?,
        other => other,
    };
    node.as_str().map(|text| Located {
        text: text.to_owned(),
        line: node.line(),
    })
}

/// The job's container and service images.
fn images(job: &Job) -> Vec<Located> {
    let container = job.node.get("container").and_then(image_of);
    let services = job
        .node
        .get("services")
        .map(|s| {
            s.entries()
                .iter()
                .filter_map(|e| image_of(&e.value))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    container.into_iter().chain(services).collect()
}

/// Why an image is not pinned, if it is not. A digest computed by an expression
/// (`name@${{ ... }}`) counts as a digest; a computed tag (`name:${{ ... }}`) is still a tag.
fn image_problem(image: &str) -> Option<String> {
    (!image.contains("@sha256:") && !image.contains("@${{"))
        .then(|| format!("image `{image}` is not pinned to a digest (`@sha256:`)"))
}

/// The problems of an image given by an expression: each listed matrix value is judged; a
/// value no reader of the workflow can see is reported as such.
fn computed_image_problems(job: &Job, image: &str) -> Vec<String> {
    let body = image
        .trim()
        .strip_prefix("${{")
        .and_then(|rest| rest.strip_suffix("}}"))
        .map(str::trim);
    let path = body.and_then(|b| b.strip_prefix("matrix.")).filter(|k| {
        k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
    });
    if let Some(path) = path {
        let path = path.to_ascii_lowercase();
        let path: Vec<&str> = path.split('.').collect();
        // A job without a matrix cannot run with `matrix.*`; nothing to judge.
        let Some(values) = job.matrix_values(&path) else {
            return Vec::new();
        };
        if values.iter().all(|v| !v.contains("${{")) {
            return values.iter().filter_map(|v| image_problem(v)).collect();
        }
    }
    vec![format!(
        "image `{image}` is computed by an expression; its pin cannot be checked, so it may be unpinned"
    )]
}

/// The `uses:` of the judged composite actions' steps (every one under `pin_actions: all`,
/// else those the judged workflows call by local path, directly or through another local
/// action), and the findings for action files that could not be read or listed.
fn composite_uses(cx: &Context, judged: &[&Workflow], findings: &mut Vec<Location>) -> usize {
    let policy = &cx.policy.workflows;
    let actions = cx.actions();
    // The directories the judged jobs call by local path, through the actions they reach.
    let called: BTreeSet<String> = workflow::jobs(judged.iter().copied())
        .flat_map(|j| {
            let wf = j.workflow;
            workflow::run_steps(&j.job.steps, &wf.path, &wf.source, &actions.parsed, &|_| {
                true
            })
        })
        .filter_map(|rs| {
            rs.step
                .uses
                .as_ref()
                .and_then(|u| workflow::local_dir(&u.text))
        })
        .collect();
    let chosen = |path: &str| {
        policy.pin_actions == PinScope::All || called.contains(workflow::action_dir(path))
    };
    let mut count = 0;
    for Action { path, steps, .. } in actions.parsed.iter().filter(|a| chosen(&a.path)) {
        for u in steps.iter().filter_map(|s| s.uses.as_ref()) {
            count += 1;
            if let Some(problem) = pin_problem(&u.text, &policy.trusted_action_owners) {
                findings.push(at(
                    path,
                    Some(u.line),
                    format!("composite action: {problem}"),
                ));
            }
        }
    }
    findings.extend(unaudited_actions(actions, chosen));
    count
}

fn run(cx: &Context) -> Outcome {
    with_workflows(cx, |workflows| {
        let policy = &cx.policy.workflows;
        let mut findings = Vec::new();
        let pinned: Vec<&Workflow> = workflows
            .iter()
            .filter(|wf| policy.pin_actions == PinScope::All || wf.uses_secrets())
            .collect();
        let mut count = composite_uses(cx, &pinned, &mut findings);
        for j in workflow::jobs(pinned.iter().copied()) {
            let (wf, job) = (j.workflow, j.job);
            let uses = job
                .uses
                .iter()
                .chain(job.steps.iter().filter_map(|s| s.uses.as_ref()));
            for u in uses {
                count += 1;
                if let Some(problem) = pin_problem(&u.text, &policy.trusted_action_owners) {
                    findings.push(at(&wf.path, Some(u.line), problem));
                }
            }
            for image in images(job) {
                count += 1;
                let whole_expression = image.text.trim().starts_with("${{")
                    && image.text.trim().ends_with("}}")
                    && image.text.matches("${{").count() == 1;
                let problems = if whole_expression {
                    computed_image_problems(job, &image.text)
                } else {
                    image_problem(&image.text).into_iter().collect()
                };
                for problem in problems {
                    findings.push(at(
                        &wf.path,
                        Some(image.line),
                        format!("job `{}`: {problem}", job.id),
                    ));
                }
            }
        }
        Outcome::from_findings(
            findings,
            format!("{count} action, workflow and image reference(s) pinned or trusted"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::pin_problem;
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass, composite_action, line_of};
    use crate::policy::PinScope;
    use crate::workflow::local_dir;

    const CI: &str = ".github/workflows/ci.yml";

    #[test]
    fn passes_with_sha_pins() {
        let mut repo = Repo::compliant();
        repo.policy.workflows.trusted_action_owners.clear();
        repo.policy.workflows.pin_actions = PinScope::All;
        assert_eq!(
            assert_pass(&repo.run("WF-012")),
            "5 action, workflow and image reference(s) pinned or trusted"
        );
        assert!(pin_problem("./local", &[]).is_none());
        assert!(pin_problem("docker://alpine@sha256:abc", &[]).is_none());
        assert!(pin_problem("docker://alpine:3", &[]).is_some());
    }

    #[test]
    fn fails_on_a_tag() {
        let repo = Repo::compliant();
        repo.edit(
            CI,
            "      - name: gitleaks\n",
            "      - uses: gitleaks/gitleaks-action@v2\n      - name: gitleaks\n",
        );
        let outcome = repo.run("WF-012");
        assert_fail_at(
            &outcome,
            CI,
            line_of(&repo, CI, "gitleaks/gitleaks-action@v2"),
        );
        assert_eq!(
            outcome.message,
            "`gitleaks/gitleaks-action@v2` is not pinned to a full commit SHA"
        );
    }

    const WF: &str = ".github/workflows/deploy.yml";
    const SHA: &str = "11bd71901bbe5b1630ceea73d27597364c9af683";

    #[test]
    fn covers_workflows_without_secrets() {
        let repo = Repo::compliant();
        repo.write(
            WF,
            "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: someone/tool@v1\n",
        );
        let outcome = repo.run("WF-012");
        assert_fail_at(&outcome, WF, Some(7));
        assert_eq!(
            outcome.message,
            "`someone/tool@v1` is not pinned to a full commit SHA"
        );
    }

    #[test]
    fn judges_reusable_workflow_calls() {
        let repo = Repo::compliant();
        let call =
            |uses: &str| format!("on: push\npermissions: {{}}\njobs:\n  plan:\n    uses: {uses}\n");
        repo.write(WF, &call("./.github/workflows/plan.yml"));
        assert_pass(&repo.run("WF-012"));
        repo.write(
            WF,
            &call(&format!("org/repo/.github/workflows/x.yml@{SHA}")),
        );
        assert_pass(&repo.run("WF-012"));
        repo.write(WF, &call("org/repo/.github/workflows/x.yml@main"));
        let outcome = repo.run("WF-012");
        assert_fail_at(&outcome, WF, Some(5));
        assert_eq!(
            outcome.message,
            "`org/repo/.github/workflows/x.yml@main` is not pinned to a full commit SHA"
        );
    }

    #[test]
    fn judges_container_and_service_images() {
        let repo = Repo::compliant();
        let digest = "sha256:0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";
        let job = |container: &str, service: &str| {
            format!(
                "on: push\npermissions: {{}}\njobs:\n  a:\n    runs-on: x\n    container:\n      image: {container}\n    services:\n      db: {service}\n    steps:\n      - run: echo hi\n"
            )
        };
        repo.write(
            WF,
            &job(&format!("node@{digest}"), &format!("postgres:16@{digest}")),
        );
        assert_pass(&repo.run("WF-012"));
        repo.write(WF, &job("node:20", "postgres:16"));
        let outcome = repo.run("WF-012");
        assert_fail_at(&outcome, WF, Some(7));
        assert_fail_at(&outcome, WF, Some(9));
        assert_eq!(
            outcome.locations[0].note.as_deref(),
            Some("job `a`: image `node:20` is not pinned to a digest (`@sha256:`)")
        );
    }

    const ACTION: &str = ".github/actions/setup/action.yml";

    fn composite(uses: &str) -> String {
        composite_action(&format!(
            "    - uses: {uses}\n    - shell: bash\n      run: echo ok\n"
        ))
    }

    /// The steps of a composite action run in the calling job: a tag there is reported at
    /// the action file's line, a full SHA passes.
    #[test]
    fn judges_the_steps_of_composite_actions() {
        let repo = Repo::compliant();
        repo.write(ACTION, &composite("actions/checkout@v4"));
        let outcome = repo.run("WF-012");
        assert_fail_at(&outcome, ACTION, Some(5));
        assert_eq!(
            outcome.message,
            "composite action: `actions/checkout@v4` is not pinned to a full commit SHA"
        );
        repo.write(ACTION, &composite(&format!("actions/checkout@{SHA}")));
        assert_pass(&repo.run("WF-012"));
        // A JavaScript action runs no step of its own.
        repo.write(
            ACTION,
            "name: x\nruns:\n  using: node20\n  main: index.js\n  steps:\n    - uses: a/b@v1\n",
        );
        assert_pass(&repo.run("WF-012"));
    }

    /// Under `secret-workflows`, a composite action is judged when a workflow that uses
    /// secrets calls it by local path, and only then.
    #[test]
    fn secret_workflows_scope_judges_the_actions_they_call() {
        let mut repo = Repo::compliant();
        repo.policy.workflows.pin_actions = PinScope::SecretWorkflows;
        repo.write(ACTION, &composite("actions/checkout@v4"));
        assert_pass(&repo.run("WF-012"));
        let call = |with_secret: bool| {
            let env = if with_secret {
                "        env:\n          TOKEN: ${{ secrets.TOKEN }}\n"
            } else {
                ""
            };
            format!(
                "on: push\npermissions: {{}}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: ./.github/actions/setup/\n{env}"
            )
        };
        repo.write(WF, &call(false));
        assert_pass(&repo.run("WF-012"));
        repo.write(WF, &call(true));
        let outcome = repo.run("WF-012");
        assert_fail_at(&outcome, ACTION, Some(5));
        assert_eq!(
            local_dir("./.github/actions/setup/").as_deref(),
            Some(".github/actions/setup")
        );
        assert_eq!(local_dir("./").as_deref(), Some(""));
        assert_eq!(local_dir("actions/checkout@v4"), None);
    }

    /// Under `secret-workflows`, an action reached through another local action is judged
    /// too.
    #[test]
    fn secret_workflows_scope_follows_actions_calling_actions() {
        let mut repo = Repo::compliant();
        repo.policy.workflows.pin_actions = PinScope::SecretWorkflows;
        repo.write(ACTION, &composite("./.github/actions/inner"));
        let inner = ".github/actions/inner/action.yml";
        repo.write(inner, &composite("someone/tool@v1"));
        repo.write(
            WF,
            "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: ./.github/actions/setup\n        env:\n          TOKEN: ${{ secrets.TOKEN }}\n",
        );
        let outcome = repo.run("WF-012");
        assert_fail_at(&outcome, inner, Some(5));
        assert_eq!(outcome.locations.len(), 1, "{outcome:?}");
    }

    #[test]
    fn an_action_file_that_cannot_be_parsed_is_reported() {
        let repo = Repo::compliant();
        repo.write(ACTION, "runs:\n  using: composite\n  steps: [\n");
        let outcome = repo.run("WF-012");
        assert_eq!(outcome.locations.len(), 1, "{outcome:?}");
        assert_eq!(outcome.locations[0].file, ACTION);
        assert!(
            outcome.message.contains("so its steps were not audited"),
            "{}",
            outcome.message
        );
    }

    /// The toolkit's own composite action pins what it uses.
    #[test]
    fn the_toolkits_composite_action_passes() {
        let repo = Repo::compliant();
        let action = concat!(env!("CARGO_MANIFEST_DIR"), "/../../action.yml");
        let text = fs_err::read_to_string(action).unwrap();
        assert!(text.contains("using: composite") && text.contains("uses: actions/cache@"));
        repo.write("action.yml", &text);
        assert_pass(&repo.run("WF-012"));
        // The same action with its cache step on a tag is reported.
        let sha = text
            .split("uses: actions/cache@")
            .nth(1)
            .and_then(|rest| rest.get(..40))
            .unwrap();
        repo.write("action.yml", &text.replace(sha, "v4"));
        let outcome = repo.run("WF-012");
        assert_eq!(outcome.locations.len(), 1, "{outcome:?}");
        assert_eq!(outcome.locations[0].file, "action.yml");
    }
}
