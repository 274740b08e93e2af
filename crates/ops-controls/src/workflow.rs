//! The GitHub Actions workflow model the checks read: triggers, `permissions:` blocks, env,
//! jobs and steps, each with its line; the steps of composite actions; and the one walk over
//! them ([`jobs`], [`steps`]) that every workflow check uses instead of nesting its own loops.
//!
//! It is built from [`crate::yaml::Node`] and keeps the node of every job and step, so a
//! check can still look at a field this model does not name. Nothing here judges a workflow;
//! that is the checks' job.

use std::collections::BTreeSet;

use bundle_core::ops::report::Access;

use crate::expr;
use crate::yaml::{self, Node};

/// A text value with the line where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Located {
    pub(crate) text: String,
    pub(crate) line: usize,
}

/// A `NAME: value` pair of an `env:` or `with:` block.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Var {
    pub(crate) name: String,
    pub(crate) value: String,
    pub(crate) line: usize,
}

/// A `permissions:` block.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PermBlock {
    pub(crate) line: usize,
    pub(crate) spec: PermSpec,
}

/// What a `permissions:` block says.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PermSpec {
    /// `read-all`.
    ReadAll,
    /// `write-all`.
    WriteAll,
    /// A mapping (possibly `{}`): the listed scopes, all others `none`.
    Scopes(Vec<ScopeEntry>),
    /// Anything else; GitHub rejects it.
    Invalid(String),
}

/// One `scope: access` line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ScopeEntry {
    pub(crate) scope: String,
    pub(crate) access: Access,
    pub(crate) line: usize,
}

/// A step of a job.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Step {
    pub(crate) line: usize,
    pub(crate) uses: Option<Located>,
    pub(crate) run: Option<Located>,
    pub(crate) if_cond: Option<Located>,
    pub(crate) env: Vec<Var>,
    pub(crate) with: Vec<Var>,
    pub(crate) node: Node,
}

/// A job.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Job {
    pub(crate) id: String,
    pub(crate) line: usize,
    pub(crate) permissions: Option<PermBlock>,
    pub(crate) if_cond: Option<Located>,
    pub(crate) env: Vec<Var>,
    pub(crate) steps: Vec<Step>,
    /// `uses:` of a job that calls a reusable workflow.
    pub(crate) uses: Option<Located>,
    pub(crate) node: Node,
}

/// A parsed workflow file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Workflow {
    pub(crate) path: String,
    /// Computed once at parse time (see [`Workflow::compute_uses_secrets`]).
    uses_secrets: bool,
    pub(crate) triggers: Vec<Located>,
    /// The `on:` value as written, for checks that read a trigger's filters.
    pub(crate) on: Node,
    /// Inputs of `workflow_dispatch`/`workflow_call` whose every declaration is typed
    /// `boolean` or `number` (lowercase names, since contexts are case-insensitive): their
    /// values cannot carry text.
    pub(crate) typed_inputs: BTreeSet<String>,
    pub(crate) permissions: Option<PermBlock>,
    pub(crate) env: Vec<Var>,
    pub(crate) jobs: Vec<Job>,
    /// The file's text, to place a finding inside a folded scalar (`>`), whose parsed value
    /// no longer has the source's line breaks.
    pub(crate) source: String,
}

/// A workflow file that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    pub(crate) path: String,
    pub(crate) line: usize,
    pub(crate) message: String,
}

/// Reads one workflow from its text; `path` is relative to the repository root.
pub(crate) fn parse(path: &str, text: &str) -> Result<Workflow, Invalid> {
    let invalid = |line: usize, message: String| Invalid {
        path: path.to_owned(),
        line,
        message,
    };
    let root = yaml::parse(text).map_err(|e| invalid(e.line, e.message))?;
    if !matches!(root, Node::Map { .. }) {
        return Err(invalid(
            root.line(),
            "a workflow must be a mapping".to_owned(),
        ));
    }
    let Some(on) = root.entry("on") else {
        return Err(invalid(1, "no `on:` (triggers)".to_owned()));
    };
    let Some(jobs_entry) = root.entry("jobs") else {
        return Err(invalid(1, "no `jobs:`".to_owned()));
    };
    if !matches!(jobs_entry.value, Node::Map { .. }) {
        return Err(invalid(
            jobs_entry.key_line,
            "`jobs:` must be a mapping of job ids".to_owned(),
        ));
    }
    let triggers = match &on.value {
        Node::Scalar { value, line, .. } => vec![Located {
            text: value.clone(),
            line: *line,
        }],
        Node::Seq { items, .. } => items
            .iter()
            .filter_map(|n| {
                n.as_str().map(|s| Located {
                    text: s.to_owned(),
                    line: n.line(),
                })
            })
            .collect(),
        Node::Map { entries, .. } => entries
            .iter()
            .map(|e| Located {
                text: e.key.clone(),
                line: e.key_line,
            })
            .collect(),
    };
    let typed_inputs = typed_inputs(&on.value);
    let on = on.value.clone();
    let permissions = root
        .entry("permissions")
        .map(|e| perm_block(e.key_line, &e.value));
    let env = vars(root.get("env"));
    // Move the job subtrees out of the root rather than cloning them.
    let Node::Map { entries, .. } = root else {
        unreachable!("checked to be a mapping above")
    };
    let jobs = entries
        .into_iter()
        .find(|e| e.key == "jobs")
        .map(|e| match e.value {
            Node::Map { entries, .. } => entries
                .into_iter()
                .map(|e| job(e.key, e.key_line, e.value))
                .collect(),
            _ => Vec::new(),
        })
        .unwrap_or_default();
    let mut wf = Workflow {
        path: path.to_owned(),
        uses_secrets: false,
        triggers,
        on,
        typed_inputs,
        permissions,
        env,
        jobs,
        source: text.to_owned(),
    };
    wf.uses_secrets = wf.compute_uses_secrets();
    Ok(wf)
}

/// A composite action (`action.yml` or `action.yaml` whose `runs.using` is `composite`):
/// its steps run inside the calling job, with the caller's `with:` values as `inputs`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Action {
    pub(crate) path: String,
    pub(crate) steps: Vec<Step>,
    /// The file's text, as [`Workflow::source`].
    pub(crate) source: String,
}

/// Whether a repository path names action metadata (`action.yml`, `action.yaml`).
pub(crate) fn is_action_file(path: &str) -> bool {
    matches!(path.rsplit('/').next(), Some("action.yml" | "action.yaml"))
}

/// The directory of an action file (`a/b/action.yml` → `a/b`; the root's is empty).
pub(crate) fn action_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// The repository directory a local `uses: ./path` names (`./a/b/` → `a/b`, `./` → empty).
pub(crate) fn local_dir(uses: &str) -> Option<String> {
    let rest = uses.trim().strip_prefix("./")?;
    let rest = rest.split('@').next().unwrap_or(rest);
    Some(rest.trim_end_matches('/').to_owned())
}

/// A step as a job runs it: one of its own, or one of a local composite action it calls
/// (`uses: ./path`, followed into the actions that action calls, each once per path).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RunStep<'a> {
    pub(crate) step: &'a Step,
    /// The file the step is written in, and its text.
    pub(crate) path: &'a str,
    pub(crate) source: &'a str,
    /// The composite action the step belongs to, when it is not the job's own.
    pub(crate) action: Option<&'a str>,
}

/// The steps `steps` (of the file `path`) run, in order, with those of the local composite
/// actions among `actions` that they call; `keep` drops a step (and what it calls).
pub(crate) fn run_steps<'a>(
    steps: &'a [Step],
    path: &'a str,
    source: &'a str,
    actions: &'a [Action],
    keep: &dyn Fn(&Step) -> bool,
) -> Vec<RunStep<'a>> {
    fn walk<'a>(
        steps: &'a [Step],
        file: (&'a str, &'a str, Option<&'a str>),
        actions: &'a [Action],
        keep: &dyn Fn(&Step) -> bool,
        open: &mut Vec<&'a str>,
        out: &mut Vec<RunStep<'a>>,
    ) {
        let (path, source, action) = file;
        for step in steps.iter().filter(|s| keep(s)) {
            out.push(RunStep {
                step,
                path,
                source,
                action,
            });
            let called = step.uses.as_ref().and_then(|u| local_dir(&u.text));
            let Some(called) =
                called.and_then(|dir| actions.iter().find(|a| action_dir(&a.path) == dir))
            else {
                continue;
            };
            if open.contains(&called.path.as_str()) {
                continue;
            }
            open.push(&called.path);
            let file = (
                called.path.as_str(),
                called.source.as_str(),
                Some(called.path.as_str()),
            );
            walk(&called.steps, file, actions, keep, open, out);
            open.pop();
        }
    }
    let mut out = Vec::new();
    walk(
        steps,
        (path, source, None),
        actions,
        keep,
        &mut Vec::new(),
        &mut out,
    );
    out
}

/// Reads action metadata; `Ok(None)` when the action is not composite (a JavaScript or
/// Docker action runs no step of its own).
pub(crate) fn parse_action(path: &str, text: &str) -> Result<Option<Action>, Invalid> {
    let invalid = |line: usize, message: String| Invalid {
        path: path.to_owned(),
        line,
        message,
    };
    let root = yaml::parse(text).map_err(|e| invalid(e.line, e.message))?;
    let Some(runs) = root.get("runs") else {
        return Ok(None);
    };
    let composite = runs
        .get("using")
        .and_then(Node::as_str)
        .is_some_and(|u| u.trim().eq_ignore_ascii_case("composite"));
    if !composite {
        return Ok(None);
    }
    let steps = match runs.get("steps") {
        Some(Node::Seq { items, .. }) => items.iter().cloned().map(step).collect(),
        Some(other) => {
            return Err(invalid(
                other.line(),
                "`runs.steps` of a composite action must be a list of steps".to_owned(),
            ));
        }
        None => Vec::new(),
    };
    Ok(Some(Action {
        path: path.to_owned(),
        steps,
        source: text.to_owned(),
    }))
}

fn typed_inputs(on: &Node) -> BTreeSet<String> {
    let mut typed = BTreeSet::new();
    let mut text = BTreeSet::new();
    for trigger in ["workflow_dispatch", "workflow_call"] {
        let inputs = on.get(trigger).and_then(|t| t.get("inputs"));
        for input in inputs.map(Node::entries).unwrap_or_default() {
            let kind = input.value.get("type").and_then(Node::as_str);
            let name = input.key.to_ascii_lowercase();
            if matches!(kind, Some("boolean" | "number")) {
                typed.insert(name);
            } else {
                text.insert(name);
            }
        }
    }
    typed.difference(&text).cloned().collect()
}

fn job(id: String, line: usize, mut node: Node) -> Job {
    // The steps move into their `Step`s; the job's node keeps every other field.
    let steps = match &mut node {
        Node::Map { entries, .. } => entries
            .iter()
            .position(|e| e.key == "steps")
            .map(|i| entries.remove(i).value)
            .map(|s| match s {
                Node::Seq { items, .. } => items.into_iter().map(step).collect(),
                _ => Vec::new(),
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    Job {
        id,
        line,
        permissions: node
            .entry("permissions")
            .map(|e| perm_block(e.key_line, &e.value)),
        if_cond: located(node.get("if")),
        env: vars(node.get("env")),
        steps,
        uses: located(node.get("uses")),
        node,
    }
}

fn step(node: Node) -> Step {
    Step {
        line: node.line(),
        uses: located(node.get("uses")),
        run: located(node.get("run")),
        if_cond: located(node.get("if")),
        env: vars(node.get("env")),
        with: vars(node.get("with")),
        node,
    }
}

fn located(node: Option<&Node>) -> Option<Located> {
    let node = node?;
    // `if: true` and friends are scalars too; keep their text.
    node.as_str().map(|s| Located {
        text: s.to_owned(),
        line: node.line(),
    })
}

fn vars(node: Option<&Node>) -> Vec<Var> {
    node.map(|n| {
        n.entries()
            .iter()
            .map(|e| Var {
                name: e.key.clone(),
                value: e.value.as_str().unwrap_or_default().to_owned(),
                line: e.value.line(),
            })
            .collect()
    })
    .unwrap_or_default()
}

fn perm_block(line: usize, node: &Node) -> PermBlock {
    let spec = match node {
        Node::Scalar { value, .. } if value == "read-all" => PermSpec::ReadAll,
        Node::Scalar { value, .. } if value == "write-all" => PermSpec::WriteAll,
        Node::Map { entries, .. } => {
            let mut scopes = Vec::new();
            let mut bad = None;
            for e in entries {
                let access = match e.value.as_str() {
                    Some("read") => Access::Read,
                    Some("write") => Access::Write,
                    Some("none") => Access::None,
                    _ => {
                        bad.get_or_insert_with(|| format!("scope `{}` has no valid access", e.key));
                        continue;
                    }
                };
                scopes.push(ScopeEntry {
                    scope: e.key.clone(),
                    access,
                    line: e.key_line,
                });
            }
            match bad {
                Some(message) => PermSpec::Invalid(message),
                None => PermSpec::Scopes(scopes),
            }
        }
        other => PermSpec::Invalid(format!(
            "`permissions:` must be read-all, write-all or a mapping, not `{}`",
            other.as_str().unwrap_or("<null>")
        )),
    };
    PermBlock { line, spec }
}

/// A job together with the workflow it belongs to: what a check needs to name a finding
/// (`wf.path`, `job.id`) and to read what the job inherits (workflow `env:`, `permissions:`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct JobRef<'a> {
    pub(crate) workflow: &'a Workflow,
    pub(crate) job: &'a Job,
}

/// A step together with its workflow, its job and its position among the job's steps.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StepRef<'a> {
    pub(crate) workflow: &'a Workflow,
    pub(crate) job: &'a Job,
    /// The step's index in `job.steps`.
    pub(crate) index: usize,
    pub(crate) step: &'a Step,
}

/// Every job of these workflows, in file order then job order.
pub(crate) fn jobs<'a>(
    workflows: impl IntoIterator<Item = &'a Workflow>,
) -> impl Iterator<Item = JobRef<'a>> {
    workflows.into_iter().flat_map(|workflow| {
        workflow
            .jobs
            .iter()
            .map(move |job| JobRef { workflow, job })
    })
}

/// Every step of every job of these workflows, in file, job and step order.
pub(crate) fn steps<'a>(
    workflows: impl IntoIterator<Item = &'a Workflow>,
) -> impl Iterator<Item = StepRef<'a>> {
    jobs(workflows).flat_map(JobRef::steps)
}

impl<'a> JobRef<'a> {
    /// The job's steps, in order.
    pub(crate) fn steps(self) -> impl Iterator<Item = StepRef<'a>> {
        self.job
            .steps
            .iter()
            .enumerate()
            .map(move |(index, step)| StepRef {
                workflow: self.workflow,
                job: self.job,
                index,
                step,
            })
    }
}

impl<'a> StepRef<'a> {
    /// The `env:` blocks visible to the step, innermost first: the step's, the job's, the
    /// workflow's (a name set in an inner block hides the same name outside).
    pub(crate) fn env_blocks(self) -> [&'a [Var]; 3] {
        [&self.step.env, &self.job.env, &self.workflow.env]
    }
}

/// What the parsed workflow files of a repository look like.
#[derive(Debug, Default)]
pub(crate) struct Workflows {
    pub(crate) parsed: Vec<Workflow>,
    pub(crate) invalid: Vec<Invalid>,
}

/// The composite actions of a repository: every `action.yml`/`action.yaml` it holds (or
/// would commit), parsed; the other kinds of action are left out.
#[derive(Debug, Default)]
pub(crate) struct Actions {
    pub(crate) parsed: Vec<Action>,
    /// Action files that could not be read or parsed.
    pub(crate) invalid: Vec<Invalid>,
    /// Why the repository's files could not be listed, when they could not.
    pub(crate) unlisted: Option<String>,
}

impl Workflow {
    /// The file name (`ci.yml`), for policy patterns.
    pub(crate) fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }

    /// Whether any trigger has one of these names.
    pub(crate) fn trigger<'a>(&'a self, names: &[String]) -> Option<&'a Located> {
        self.triggers
            .iter()
            .find(|t| names.iter().any(|n| n == &t.text))
    }

    /// Every secret name referenced anywhere in the workflow (workflow env and every job).
    pub(crate) fn secret_names(&self) -> BTreeSet<String> {
        let mut names: BTreeSet<String> = self
            .env
            .iter()
            .flat_map(|v| expr::secrets_in(&v.value))
            .collect();
        for job in &self.jobs {
            names.extend(job.secret_names());
        }
        names
    }

    /// Whether the workflow reads secrets at all: a `secrets.*` reference, `toJSON(secrets)`,
    /// or `secrets: inherit` to a reusable workflow.
    pub(crate) fn uses_secrets(&self) -> bool {
        self.uses_secrets
    }

    fn compute_uses_secrets(&self) -> bool {
        !self.secret_names().is_empty()
            || self.env.iter().any(|v| expr::dumps_all_secrets(&v.value))
            || self
                .jobs
                .iter()
                .any(|j| j.dumps_all_secrets() || j.inherits_secrets().is_some())
    }
}

impl Job {
    /// Visits every scalar of the job, its steps included (the job's own node holds every
    /// field but `steps`).
    pub(crate) fn for_each_scalar<'a>(&'a self, f: &mut impl FnMut(&'a str, usize)) {
        self.node.for_each_scalar(f);
        for step in &self.steps {
            step.node.for_each_scalar(f);
        }
    }

    /// Secret names referenced anywhere in the job.
    pub(crate) fn secret_names(&self) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        self.for_each_scalar(&mut |text, _| {
            if text.contains("secrets") {
                names.extend(expr::secrets_in(text));
            }
        });
        // `if:` values are expressions even without `${{ }}`.
        let conditions = self
            .if_cond
            .iter()
            .chain(self.steps.iter().filter_map(|s| s.if_cond.as_ref()));
        for cond in conditions {
            let exprs = expr::condition_expressions(&cond.text);
            names.extend(exprs.iter().flat_map(|e| expr::secret_refs(e.body)));
        }
        names
    }

    /// Whether some expression of the job is `toJSON(secrets)`.
    pub(crate) fn dumps_all_secrets(&self) -> bool {
        let mut found = false;
        self.for_each_scalar(&mut |text, _| found |= expr::dumps_all_secrets(text));
        found
    }

    /// The line of `secrets: inherit`, when the job passes every secret to a reusable workflow.
    pub(crate) fn inherits_secrets(&self) -> Option<usize> {
        self.node
            .get("secrets")
            .filter(|n| n.as_str() == Some("inherit"))
            .map(Node::line)
    }
}

impl Job {
    /// The values `matrix.<path>` can take in this job (`path` lowercase, `*` for any key):
    /// literal scalars, or the text of a computed one (a `${{ }}` value or a whole matrix
    /// computed by an expression). `None` when the job has no matrix.
    pub(crate) fn matrix_values(&self, path: &[&str]) -> Option<Vec<String>> {
        let matrix = self.node.get("strategy")?.get("matrix")?;
        let mut values = Vec::new();
        collect_matrix(matrix, path, &mut values);
        Some(values)
    }
}

/// Appends the values (scalars, or texts of computed ones) the matrix gives `path`.
fn collect_matrix(matrix: &Node, path: &[&str], values: &mut Vec<String>) {
    if let Some(text) = matrix.as_str() {
        // The whole matrix is computed (`${{ fromJSON(...) }}`).
        values.push(text.to_owned());
        return;
    }
    let Some((key, rest)) = path.split_first() else {
        // `toJSON(matrix)`: every value.
        for entry in matrix.entries() {
            collect_all(&entry.value, values);
        }
        return;
    };
    for entry in matrix.entries() {
        if entry.key.eq_ignore_ascii_case(key) {
            collect_path(&entry.value, rest, values);
        } else if entry.key == "include" {
            for row in entry.value.items() {
                if let Some(value) = row
                    .entries()
                    .iter()
                    .find(|e| e.key.eq_ignore_ascii_case(key))
                {
                    collect_path(&value.value, rest, values);
                }
            }
        }
    }
}

fn collect_path(node: &Node, rest: &[&str], values: &mut Vec<String>) {
    match node {
        Node::Seq { items, .. } => items.iter().for_each(|i| collect_path(i, rest, values)),
        Node::Map { .. } => match rest.split_first() {
            Some((key, rest)) if *key != "*" => {
                if let Some(e) = node
                    .entries()
                    .iter()
                    .find(|e| e.key.eq_ignore_ascii_case(key))
                {
                    collect_path(&e.value, rest, values);
                }
            }
            _ => collect_all(node, values),
        },
        scalar @ Node::Scalar { .. } => collect_all(scalar, values),
    }
}

fn collect_all(node: &Node, values: &mut Vec<String>) {
    node.for_each_scalar(&mut |text, _| values.push(text.to_owned()));
}

impl Step {
    /// The action reference of a `uses:` step, split into name and ref (`actions/checkout`, `v4`).
    pub(crate) fn action(&self) -> Option<(&str, &str, usize)> {
        let uses = self.uses.as_ref()?;
        let (name, reference) = uses
            .text
            .split_once('@')
            .unwrap_or((uses.text.as_str(), ""));
        Some((name, reference, uses.line))
    }

    /// Whether the step runs the named action (`actions/checkout`, any ref).
    pub(crate) fn is_action(&self, name: &str) -> bool {
        self.action()
            .is_some_and(|(n, _, _)| n.eq_ignore_ascii_case(name))
    }

    /// The value of a `with:` input.
    pub(crate) fn input(&self, name: &str) -> Option<&Var> {
        self.with.iter().find(|v| v.name == name)
    }

    /// Whether the step's `if:` makes it run after failures (`always()`).
    pub(crate) fn runs_always(&self) -> bool {
        self.if_cond
            .as_ref()
            .is_some_and(|c| c.text.contains("always()"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CI: &str = "\
name: ci
on:
  push:
  pull_request_target:
permissions:
  contents: read
env:
  GLOBAL: ${{ secrets.GLOBAL_TOKEN }}
jobs:
  build:
    permissions: write-all
    if: github.ref == 'refs/heads/main'
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - run: echo ${{ secrets.API }}
  call:
    uses: org/repo/.github/workflows/x.yml@main
    secrets: inherit
";

    #[test]
    fn reads_triggers_permissions_jobs_and_steps() {
        let wf = parse(".github/workflows/ci.yml", CI).unwrap();
        assert_eq!(
            wf.triggers
                .iter()
                .map(|t| t.text.as_str())
                .collect::<Vec<_>>(),
            ["push", "pull_request_target"]
        );
        let perms = wf.permissions.as_ref().unwrap();
        assert_eq!(perms.line, 5);
        assert_eq!(
            perms.spec,
            PermSpec::Scopes(vec![ScopeEntry {
                scope: "contents".into(),
                access: Access::Read,
                line: 6
            }])
        );
        let build = &wf.jobs[0];
        assert_eq!(build.permissions.as_ref().unwrap().spec, PermSpec::WriteAll);
        assert_eq!(
            build.steps[0].action(),
            Some(("actions/checkout", "v4", 14))
        );
        assert_eq!(
            build.steps[0].input("persist-credentials").unwrap().value,
            "false"
        );
        assert_eq!(
            build.secret_names().into_iter().collect::<Vec<_>>(),
            ["API"]
        );
        assert_eq!(wf.jobs[1].inherits_secrets(), Some(20));
        assert!(wf.uses_secrets());
        assert_eq!(
            wf.secret_names().into_iter().collect::<Vec<_>>(),
            ["API", "GLOBAL_TOKEN"]
        );
    }

    #[test]
    fn knows_which_inputs_cannot_carry_text() {
        let wf = parse(
            "w.yml",
            "on:\n  workflow_dispatch:\n    inputs:\n      Dry_Run: {type: boolean}\n      count: {type: number}\n      name: {type: string}\n      env: {type: choice, options: [a]}\n  workflow_call:\n    inputs:\n      count: {type: string}\n      loud: {type: boolean}\njobs: {}\n",
        )
        .unwrap();
        assert_eq!(
            wf.typed_inputs.iter().collect::<Vec<_>>(),
            ["dry_run", "loud"]
        );
    }

    #[test]
    fn rejects_files_that_are_not_workflows() {
        assert_eq!(
            parse("w.yml", "- a\n").unwrap_err().message,
            "a workflow must be a mapping"
        );
        assert_eq!(
            parse("w.yml", "on: push\n").unwrap_err().message,
            "no `jobs:`"
        );
        assert_eq!(parse("w.yml", "on: push\njobs: [a]\n").unwrap_err().line, 2);
        let wf = parse("w.yml", "on: push\npermissions: maybe\njobs: {}\n").unwrap();
        assert!(matches!(wf.permissions.unwrap().spec, PermSpec::Invalid(_)));
    }
}
