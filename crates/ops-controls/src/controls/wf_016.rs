//! WF-016: no cache is restored in a job that builds or publishes a release.
//!
//! The GitHub Actions cache of a repository is shared: any workflow run whose code an
//! attacker controls (an injection, a compromised dependency of a test job) holds a token
//! that can write cache entries, and entries written on the default branch are readable by
//! every run, tag runs included. A release job that restores a cache therefore builds from
//! files an attacker may have left, and publishes the result under the project's name. No
//! cache key helps: a key is chosen by whoever writes the entry, and an entry for a key the
//! release will ask for next can be written before it does.
//!
//! A job is judged when its workflow runs for releases (the `release` event, or `push` with a
//! `tags:`/`tags-ignore:` filter that admits a tag; a filter of `!` patterns only admits
//! none), or when one of its steps publishes (a known publishing action, `docker/build-push-action`
//! with `push` not `false`, or a `run:` with `cargo publish`, `npm publish`, `twine upload`, `gh
//! release create`, `docker push`, ...). In such a job each step that restores a cache is
//! reported at its `uses:` line: `actions/cache` and `actions/cache/restore` (unless
//! `lookup-only: true`; `actions/cache/save` only writes), the setup actions whose cache input
//! is on (by default where the action's version turns it on), `Swatinem/rust-cache`, and
//! `docker/build-push-action` reading `cache-from: type=gha`. A switch given by an expression
//! is judged for tag runs when it is one of the usual tag tests (`startsWith(github.ref,
//! 'refs/tags/')`, `github.ref_type == 'tag'`, their negations), and so is an `if:` that keeps
//! the step or the job out of tag runs; any other expression may turn the cache on and is
//! reported as such. The steps of the local composite actions a job calls (`uses: ./path`,
//! and the local actions those call) run in that job: they count for publishing, and a cache
//! they restore is reported at the action file's line; a called action file that cannot be
//! read is reported, since its steps went unseen. What must stay true: every cache
//! restore a release run can perform is reported, at the line of the step that performs it.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::LazyLock;

use bundle_core::ops::report::Severity;
use regex::Regex;

use super::{Control, Outcome, at, unaudited_actions, with_workflows};
use crate::context::Context;
use crate::workflow::{self, Located, RunStep, Step, Workflow};
use crate::yaml::Node;

pub(super) const CONTROL: Control = Control {
    id: "WF-016",
    title: "No cache restored in release or publishing jobs",
    severity: Severity::High,
    run,
};

/// How an input of a caching action turns its cache on or off.
#[derive(Debug, Clone, Copy)]
enum Switch {
    /// The action restores whenever it runs.
    Always,
    /// Restores unless the input is `true` (`lookup-only`, `no-cache`, ...).
    OffWhenTrue(&'static str),
    /// Restores when the input is true; when absent, from major version `since` up to (not
    /// including) `until`. A version that cannot be read counts as on.
    OnWhenTrue {
        input: &'static str,
        since: u32,
        until: u32,
    },
    /// Restores when the input names something to cache (any non-empty value).
    OnWhenNamed(&'static str),
    /// Restores when the input is one of these values.
    OnWhenOneOf(&'static str, &'static [&'static str]),
}

const NEVER: (u32, u32) = (0, 0);
const ALWAYS: (u32, u32) = (0, u32::MAX);

const fn on_when_true(input: &'static str, (since, until): (u32, u32)) -> Switch {
    Switch::OnWhenTrue {
        input,
        since,
        until,
    }
}

/// Actions that restore a cache, and the switches that decide it (any one on is enough).
/// Names are compared case-insensitively; a name matches the action and no sub-action unless
/// the sub-action is listed.
const CACHING_ACTIONS: [(&str, &[Switch]); 23] = [
    ("actions/cache", &[Switch::OffWhenTrue("lookup-only")]),
    (
        "actions/cache/restore",
        &[Switch::OffWhenTrue("lookup-only")],
    ),
    // Caches npm/yarn/pnpm with `cache:`; from v5 npm projects are cached unless
    // `package-manager-cache: false`.
    (
        "actions/setup-node",
        &[
            Switch::OnWhenNamed("cache"),
            on_when_true("package-manager-cache", (5, u32::MAX)),
        ],
    ),
    // `cache` defaults to true from v4.
    ("actions/setup-go", &[on_when_true("cache", (4, u32::MAX))]),
    ("actions/setup-python", &[Switch::OnWhenNamed("cache")]),
    ("actions/setup-java", &[Switch::OnWhenNamed("cache")]),
    ("actions/setup-dotnet", &[on_when_true("cache", NEVER)]),
    // `enable-cache` (`auto`, on for GitHub-hosted runners) is on by default before v10.
    (
        "astral-sh/setup-uv",
        &[on_when_true("enable-cache", (0, 10))],
    ),
    ("Swatinem/rust-cache", &[Switch::OffWhenTrue("lookup-only")]),
    ("ruby/setup-ruby", &[on_when_true("bundler-cache", NEVER)]),
    ("PyO3/maturin-action", &[on_when_true("sccache", NEVER)]),
    ("mlugg/setup-zig", &[on_when_true("use-cache", ALWAYS)]),
    ("oven-sh/setup-bun", &[Switch::OffWhenTrue("no-cache")]),
    (
        "DeterminateSystems/magic-nix-cache-action",
        &[on_when_true("use-gha-cache", ALWAYS)],
    ),
    ("graalvm/setup-graalvm", &[Switch::OnWhenNamed("cache")]),
    (
        "gradle/actions/setup-gradle",
        &[Switch::OffWhenTrue("cache-disabled")],
    ),
    (
        "gradle/gradle-build-action",
        &[Switch::OffWhenTrue("cache-disabled")],
    ),
    (
        "actions-rust-lang/setup-rust-toolchain",
        &[on_when_true("cache", ALWAYS)],
    ),
    ("Mozilla-Actions/sccache-action", &[Switch::Always]),
    ("nix-community/cache-nix-action", &[Switch::Always]),
    ("jdx/mise-action", &[on_when_true("cache", ALWAYS)]),
    (
        "ramsey/composer-install",
        &[Switch::OnWhenOneOf(
            "ignore-cache",
            &["", "no", "false", "0"],
        )],
    ),
    ("awalsh128/cache-apt-pkgs-action", &[Switch::Always]),
];

/// Actions that publish what the job built: packages, releases, images, deployments.
const PUBLISHING_ACTIONS: [&str; 20] = [
    "pypa/gh-action-pypi-publish",
    "rubygems/release-gem",
    "jreleaser/release-action",
    "goreleaser/goreleaser-action",
    "softprops/action-gh-release",
    "ncipollo/release-action",
    "JS-DevTools/npm-publish",
    "redhat-actions/push-to-registry",
    "aws-actions/amazon-ecs-deploy-task-definition",
    "aws-actions/aws-cloudformation-github-deploy",
    "Azure/aci-deploy",
    "Azure/container-apps-deploy-action",
    "Azure/functions-action",
    "Azure/webapps-deploy",
    "Azure/sql-action",
    "cloudflare/wrangler-action",
    "google-github-actions/deploy-appengine",
    "google-github-actions/deploy-cloudrun",
    "google-github-actions/deploy-cloud-functions",
    "peaceiris/actions-gh-pages",
];

/// Commands of a `run:` script that publish (a `--dry-run` on the same line does not).
static PUBLISHING_COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?m)(?:^|[\s;&|(])(",
        r"(?:cargo|npm|pnpm|yarn(?:\s+npm)?|poetry|uv|flit|hatch|twine|gem|dotnet\s+nuget|nuget)\s+(?:publish|upload|push)",
        r"|npx\s+(?:-y\s+)?(?:semantic-release|changeset\s+publish|lerna\s+publish)",
        r"|goreleaser\s+release|goreleaser(?:\s+--[a-z-]+)*\s*$",
        r"|gh\s+release\s+(?:create|upload)",
        r"|docker\s+(?:image\s+)?push|docker\s+buildx\s+build\b[^\n]*--push",
        r"|mvn\b[^\n]*\sdeploy\b|\./gradlew\b[^\n]*\spublish",
        r")"
    ))
    .expect("static regex")
});

/// Why a job is judged: its workflow runs for releases, or one of its steps publishes.
enum Release {
    Trigger(String, usize),
    Publisher(String, usize),
}

impl Release {
    fn describe(&self) -> String {
        match self {
            Release::Trigger(what, line) => format!("in a release run ({what}, line {line})"),
            Release::Publisher(what, line) => {
                format!("in a job that publishes ({what}, line {line})")
            }
        }
    }
}

/// Whether a list of tag patterns admits some tag: `!pattern`s only exclude.
fn admits_a_tag(patterns: &Node, ignore: bool) -> bool {
    let listed: Vec<&str> = match patterns.as_str() {
        Some(one) => vec![one],
        None => patterns.items().iter().filter_map(Node::as_str).collect(),
    };
    if ignore {
        // `tags-ignore: ['**']` ignores every tag.
        !listed.iter().any(|p| p.trim() == "**")
    } else {
        listed.iter().any(|p| !p.trim().starts_with('!'))
    }
}

/// The trigger that makes the workflow run for releases, if one does.
fn release_trigger(wf: &Workflow) -> Option<Release> {
    if let Some(t) = wf.triggers.iter().find(|t| t.text == "release") {
        return Some(Release::Trigger("`on: release`".to_owned(), t.line));
    }
    let push = wf.on.get("push")?;
    for (key, ignore) in [("tags", false), ("tags-ignore", true)] {
        if let Some(entry) = push.entry(key)
            && admits_a_tag(&entry.value, ignore)
        {
            return Some(Release::Trigger(
                format!("`on: push` with `{key}:`"),
                entry.key_line,
            ));
        }
    }
    None
}

/// The name of an action without its ref, as written.
fn action_name(step: &Step) -> Option<&str> {
    step.action().map(|(name, _, _)| name)
}

/// The first step the job runs that publishes (its own, or one of a composite action it
/// calls), described.
fn publisher(steps: &[RunStep<'_>]) -> Option<Release> {
    for rs in steps {
        let step = rs.step;
        let within = rs
            .action
            .map(|path| format!(" in `{path}`"))
            .unwrap_or_default();
        if let Some((name, _, line)) = step.action() {
            if PUBLISHING_ACTIONS
                .iter()
                .any(|p| p.eq_ignore_ascii_case(name))
            {
                return Some(Release::Publisher(format!("`{name}`{within}"), line));
            }
            if step.is_action("docker/build-push-action")
                && step
                    .input("push")
                    .is_some_and(|v| !matches!(truth(&v.value, false), Some(false)))
            {
                return Some(Release::Publisher(
                    format!("`{name}` with `push`{within}"),
                    line,
                ));
            }
        }
        if let Some(run) = &step.run {
            for (i, text) in run.text.lines().enumerate() {
                if text.contains("--dry-run") || text.trim_start().starts_with('#') {
                    continue;
                }
                if let Some(found) = PUBLISHING_COMMAND.captures(text) {
                    let command = found[1].split_whitespace().collect::<Vec<_>>().join(" ");
                    return Some(Release::Publisher(
                        format!("`{command}`{within}"),
                        run.line + i,
                    ));
                }
            }
        }
    }
    None
}

/// What an expression (`${{ }}` or an `if:` body) evaluates to on a tag run, when it is one
/// of the usual tag tests, `true`/`false`, their negations, or a conjunction holding a false
/// one.
fn on_tag_run(text: &str) -> Option<bool> {
    let trimmed = text.trim();
    let body = trimmed
        .strip_prefix("${{")
        .and_then(|b| b.strip_suffix("}}"))
        .unwrap_or(trimmed);
    let norm: String = body
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
        .replace('"', "'");
    if norm.contains("&&") && !norm.contains("||") {
        let parts: Vec<Option<bool>> = norm.split("&&").map(atom_on_tag_run).collect();
        if parts.contains(&Some(false)) {
            return Some(false);
        }
        return parts.iter().all(|p| *p == Some(true)).then_some(true);
    }
    atom_on_tag_run(&norm)
}

/// Normalized tests (lowercase, no spaces) that hold on a tag run.
const ON_TAG_RUN: [&str; 7] = [
    "true",
    "startswith(github.ref,'refs/tags/')",
    "startswith(github.ref,'refs/tags')",
    "contains(github.ref,'refs/tags/')",
    "contains(github.ref,'refs/tags')",
    "github.ref_type=='tag'",
    "'tag'==github.ref_type",
];
/// Normalized tests that fail on a tag run.
const OFF_TAG_RUN: [&str; 3] = ["false", "github.ref_type!='tag'", "'tag'!=github.ref_type"];

fn atom_on_tag_run(mut atom: &str) -> Option<bool> {
    let mut negated = false;
    loop {
        if let Some(rest) = atom.strip_prefix('!') {
            negated = !negated;
            atom = rest;
        } else if let Some(inner) = atom.strip_prefix('(').and_then(|a| a.strip_suffix(')'))
            && !inner.contains(['(', ')'])
        {
            atom = inner;
        } else {
            break;
        }
    }
    let value = if ON_TAG_RUN.contains(&atom) {
        true
    } else if OFF_TAG_RUN.contains(&atom) {
        false
    } else {
        return None;
    };
    Some(value != negated)
}

/// A boolean input's value: `Some` when known (an expression only on a tag run, when
/// `tag_run` and it is a tag test), `None` when an expression decides it. Text other than
/// `false` counts as true, as the actions read it.
fn truth(value: &str, tag_run: bool) -> Option<bool> {
    let v = value.trim();
    if v.contains("${{") {
        return if tag_run { on_tag_run(v) } else { None };
    }
    Some(!v.eq_ignore_ascii_case("false"))
}

/// Why a step restores (or may restore) a cache, and the input that turns it off.
struct Restore {
    why: String,
    fix: String,
}

/// The major version of the action as the step names it: its ref (`v4`, `v4.1.0`), or the
/// version comment after a commit pin (`@<sha> # v4.1.0`).
fn major_version(step: &Step, source: &str) -> Option<u32> {
    let (_, reference, line) = step.action()?;
    let parse = |text: &str| -> Option<u32> {
        let text = text.trim();
        let text = text.strip_prefix('v').unwrap_or(text);
        let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    if !(reference.len() == 40 && reference.bytes().all(|b| b.is_ascii_hexdigit())) {
        return parse(reference);
    }
    let text = source.lines().nth(line.checked_sub(1)?)?;
    let comment = text.split_once(" #")?.1.trim_start_matches('#');
    parse(comment.split_whitespace().next()?)
}

/// Whether (and why) a step restores a cache; `tag_run` when only tag runs are judged.
fn restores(step: &Step, source: &str, tag_run: bool) -> Option<Restore> {
    let name = action_name(step)?;
    if step.is_action("docker/build-push-action") {
        let input = step.input("cache-from")?;
        return input.value.contains("type=gha").then(|| Restore {
            why: "reads the Actions cache (`cache-from: type=gha`)".to_owned(),
            fix: "drop `type=gha` from `cache-from`".to_owned(),
        });
    }
    let (_, switches) = CACHING_ACTIONS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))?;
    let mut maybe = None;
    for switch in *switches {
        let (on, why, fix) = match *switch {
            Switch::Always => (
                Some(true),
                "always restores its cache".to_owned(),
                "remove the step from this job".to_owned(),
            ),
            Switch::OffWhenTrue(input) => match step.input(input) {
                None => (
                    Some(true),
                    format!("restores its cache (no `{input}: true`)"),
                    format!("set `{input}: true`"),
                ),
                Some(v) => (
                    truth(&v.value, tag_run).map(|t| !t),
                    format!("restores its cache (`{input}: {}`)", v.value.trim()),
                    format!("set `{input}: true`"),
                ),
            },
            Switch::OnWhenTrue {
                input,
                since,
                until,
            } => match step.input(input) {
                None => {
                    let on = major_version(step, source).is_none_or(|m| m >= since && m < until);
                    let version = if since == 0 && until == u32::MAX {
                        String::new()
                    } else {
                        " for this version".to_owned()
                    };
                    (
                        Some(on && since < until),
                        format!("restores its cache (`{input}` is on by default{version})"),
                        format!("set `{input}: false`"),
                    )
                }
                Some(v) => (
                    truth(&v.value, tag_run),
                    format!("restores its cache (`{input}: {}`)", v.value.trim()),
                    format!("set `{input}: false`"),
                ),
            },
            Switch::OnWhenNamed(input) => match step.input(input) {
                None => (Some(false), String::new(), String::new()),
                Some(v) => (
                    if v.value.contains("${{") {
                        None
                    } else {
                        Some(!v.value.trim().is_empty())
                    },
                    format!("restores its cache (`{input}: {}`)", v.value.trim()),
                    format!("remove `{input}:`"),
                ),
            },
            Switch::OnWhenOneOf(input, values) => {
                let value = step.input(input).map_or("", |v| v.value.trim());
                (
                    if value.contains("${{") {
                        None
                    } else {
                        Some(values.iter().any(|x| x.eq_ignore_ascii_case(value)))
                    },
                    format!("restores its cache (no `{input}: true`)"),
                    format!("set `{input}: true`"),
                )
            }
        };
        match on {
            Some(true) => {
                return Some(Restore { why, fix });
            }
            None => {
                maybe.get_or_insert(Restore {
                    why: why.replace("restores its cache", "may restore its cache"),
                    fix,
                });
            }
            Some(false) => {}
        }
    }
    maybe
}

fn run(cx: &Context) -> Outcome {
    let all_actions = cx.actions();
    let actions = &all_actions.parsed;
    with_workflows(cx, |workflows| {
        let mut findings = Vec::new();
        // Directories the judged jobs call by local path: an action file there that cannot
        // be read hides steps this check did not see.
        let mut called = BTreeSet::new();
        let mut judged = 0;
        for j in workflow::jobs(workflows) {
            let (wf, job) = (j.workflow, j.job);
            let trigger = release_trigger(wf);
            // Release runs are tag runs (`release` events run on the release's tag), so an
            // `if:` or a switch written as a tag test is decided for them.
            let tag_run = trigger.is_some();
            let kept_out = |cond: Option<&Located>| {
                tag_run && cond.is_some_and(|c| on_tag_run(&c.text) == Some(false))
            };
            let keep = |s: &Step| !kept_out(s.if_cond.as_ref());
            let steps = workflow::run_steps(&job.steps, &wf.path, &wf.source, actions, &keep);
            let published = if tag_run { None } else { publisher(&steps) };
            let Some(reason) = trigger.as_ref().or(published.as_ref()) else {
                continue;
            };
            judged += 1;
            if kept_out(job.if_cond.as_ref()) {
                continue;
            }
            called.extend(
                steps
                    .iter()
                    .filter_map(|rs| rs.step.uses.as_ref())
                    .filter_map(|u| workflow::local_dir(&u.text)),
            );
            for rs in &steps {
                let (Some((name, _, line)), Some(restore)) =
                    (rs.step.action(), restores(rs.step, rs.source, tag_run))
                else {
                    continue;
                };
                let through = rs
                    .action
                    .map(|path| format!(" (through the composite action `{path}`)"))
                    .unwrap_or_default();
                findings.push(at(
                    rs.path,
                    Some(line),
                    format!(
                        "job `{}`{through}: `{name}` {} {}; any run of this repository's workflows can write cache entries, so the release may be built from files an attacker left: {}, or restore no cache in this job",
                        job.id,
                        restore.why,
                        reason.describe(),
                        restore.fix,
                    ),
                ));
            }
        }
        if !called.is_empty() {
            findings.extend(unaudited_actions(all_actions, |path| {
                called.contains(workflow::action_dir(path))
            }));
        }
        let mut ok = if judged == 0 {
            "no job runs for a release or publishes".to_owned()
        } else {
            format!("{judged} release or publishing job(s) restore no cache")
        };
        // Local actions with no action file in the repository (checked out or made at run
        // time) were not read: the pass says so instead of vouching for their steps.
        let files = cx.files().unwrap_or_default();
        let unread: BTreeSet<&String> = called
            .iter()
            .filter(|dir| {
                !files
                    .iter()
                    .any(|f| workflow::is_action_file(f) && workflow::action_dir(f) == dir.as_str())
            })
            .collect();
        if !unread.is_empty() {
            let list: Vec<String> = unread.iter().map(|d| format!("`./{d}`")).collect();
            let _ = write!(
                ok,
                "; not read: {} (no action file in the repository)",
                list.join(", ")
            );
        }
        Outcome::from_findings(findings, ok)
    })
}

#[cfg(test)]
mod tests {
    use super::{admits_a_tag, on_tag_run};
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass, composite_action};
    use crate::yaml;

    const WF: &str = ".github/workflows/release.yml";

    fn release(steps: &str) -> String {
        format!(
            "on:\n  push:\n    tags: ['v*']\npermissions: {{}}\njobs:\n  build:\n    runs-on: x\n    steps:\n{steps}"
        )
    }

    #[test]
    fn passes_when_release_jobs_restore_no_cache() {
        let repo = Repo::compliant();
        repo.write(
            WF,
            &release(
                "      - uses: actions/cache@v4\n        with:\n          lookup-only: true\n",
            ),
        );
        assert_eq!(
            assert_pass(&repo.run("WF-016")),
            "1 release or publishing job(s) restore no cache"
        );
    }

    #[test]
    fn fails_on_a_cache_restored_in_a_tag_run() {
        let repo = Repo::compliant();
        repo.write(WF, &release("      - uses: actions/cache@v4\n"));
        let outcome = repo.run("WF-016");
        assert_fail_at(&outcome, WF, Some(9));
        assert_eq!(
            outcome.message,
            "job `build`: `actions/cache` restores its cache (no `lookup-only: true`) in a release run (`on: push` with `tags:`, line 3); any run of this repository's workflows can write cache entries, so the release may be built from files an attacker left: set `lookup-only: true`, or restore no cache in this job"
        );
    }

    const ACTION: &str = ".github/actions/build/action.yml";

    /// A composite action's steps run in the calling job: a cache it restores in a release
    /// run is reported at the action file's line.
    #[test]
    fn follows_local_composite_actions() {
        let repo = Repo::compliant();
        repo.write(WF, &release("      - uses: ./.github/actions/build\n"));
        repo.write(
            ACTION,
            &composite_action("    - uses: actions/checkout@v4\n    - uses: actions/cache@v4\n"),
        );
        let outcome = repo.run("WF-016");
        assert_fail_at(&outcome, ACTION, Some(6));
        assert!(
            outcome.message.starts_with(
                "job `build` (through the composite action `.github/actions/build/action.yml`): `actions/cache` restores its cache"
            ),
            "{}",
            outcome.message
        );
        // Kept out of tag runs by the calling step's `if:`: nothing runs.
        repo.write(
            WF,
            &release(
                "      - uses: ./.github/actions/build\n        if: ${{ !startsWith(github.ref, 'refs/tags/') }}\n",
            ),
        );
        assert_pass(&repo.run("WF-016"));
    }

    /// A job whose composite action publishes is a publishing job; an action calling itself
    /// is followed once.
    #[test]
    fn a_composite_action_that_publishes_makes_a_publishing_job() {
        let repo = Repo::compliant();
        repo.write(
            ".github/workflows/ci.yml",
            "on: push\npermissions: {}\njobs:\n  ship:\n    runs-on: x\n    steps:\n      - uses: Swatinem/rust-cache@v2\n      - uses: ./.github/actions/build\n",
        );
        repo.write(
            ACTION,
            &composite_action(
                "    - shell: bash\n      run: cargo publish\n    - uses: ./.github/actions/build\n",
            ),
        );
        let outcome = repo.run("WF-016");
        assert_fail_at(&outcome, ".github/workflows/ci.yml", Some(7));
        assert!(
            outcome
                .message
                .contains("in a job that publishes (`cargo publish` in `.github/actions/build/action.yml`, line 6)"),
            "{}",
            outcome.message
        );
        assert_eq!(outcome.locations.len(), 1, "{outcome:?}");
    }

    /// A release job calling a local action whose file cannot be read is reported: its
    /// steps were not audited.
    #[test]
    fn an_unreadable_action_a_release_job_calls_is_reported() {
        let repo = Repo::compliant();
        repo.write(WF, &release("      - uses: ./.github/actions/build\n"));
        repo.write(ACTION, "runs:\n  using: composite\n  steps: [\n");
        let outcome = repo.run("WF-016");
        assert_eq!(outcome.locations.len(), 1, "{outcome:?}");
        assert_eq!(outcome.locations[0].file, ACTION);
        assert!(
            outcome.message.contains("so its steps were not audited"),
            "{}",
            outcome.message
        );
        // Not called by a judged job: nothing claimed about it.
        repo.write(WF, &release("      - run: echo hi\n"));
        assert_pass(&repo.run("WF-016"));
    }

    /// A local action the repository does not hold (made at run time) was not read: the
    /// pass names it.
    #[test]
    fn a_local_action_missing_from_the_repository_is_named() {
        let repo = Repo::compliant();
        repo.write(WF, &release("      - uses: ./src/tools/build\n"));
        assert_eq!(
            assert_pass(&repo.run("WF-016")),
            "1 release or publishing job(s) restore no cache; not read: `./src/tools/build` (no action file in the repository)"
        );
    }

    #[test]
    fn reads_the_usual_tag_tests() {
        assert_eq!(
            on_tag_run("${{ startsWith(github.ref, 'refs/tags/') }}"),
            Some(true)
        );
        assert_eq!(
            on_tag_run("!startsWith(github.ref,'refs/tags/')"),
            Some(false)
        );
        assert_eq!(on_tag_run("${{ github.ref_type != 'tag' }}"), Some(false));
        assert_eq!(
            on_tag_run("github.repository == 'o/r' && github.ref_type != 'tag'"),
            Some(false)
        );
        assert_eq!(on_tag_run("github.repository == 'o/r'"), None);
        assert_eq!(on_tag_run("${{ !(false) }}"), Some(true));
        assert_eq!(on_tag_run("a || github.ref_type != 'tag'"), None);
    }

    #[test]
    fn negative_tag_patterns_admit_no_tag() {
        let node = |text: &str| yaml::parse(text).unwrap();
        assert!(admits_a_tag(&node("['v*']"), false));
        assert!(admits_a_tag(&node("v*"), false));
        assert!(!admits_a_tag(&node("['!**']"), false));
        assert!(admits_a_tag(&node("['*-rc*']"), true));
        assert!(!admits_a_tag(&node("['**']"), true));
    }
}
