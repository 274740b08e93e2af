//! WF-017: GitHub App tokens are scoped to the permissions and repositories a job needs.
//!
//! `actions/create-github-app-token` mints an installation token of a GitHub App. Without a
//! `permission-<name>` input the token holds every permission the installation was granted
//! (often `contents: write`, `administration`, workflows ...), not what the job uses; with
//! `owner:` and no `repositories:` it reaches every repository the installation covers; and
//! `skip-token-revoke: true` leaves it valid after the job (until it expires, up to an hour).
//! Whoever runs code in the job (a compromised dependency, an injection) holds that token, so
//! its reach is the blast radius. `tibdex/github-app-token` without `permissions:` is the same
//! blanket token.
//!
//! Reported, at the line that decides it: a token action with no permission input (at its
//! `uses:`), `owner:` without `repositories:` unless every requested permission is an
//! organization one (`permission-organization-*`, `permission-members`,
//! `...-for-organizations`), which concern no repository, and `skip-token-revoke` set to
//! true or to an expression. What must stay true: every App token a workflow mints with more
//! reach than it names is reported.

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at, with_workflows};
use crate::context::Context;
use crate::workflow::{self, Step};

pub(super) const CONTROL: Control = Control {
    id: "WF-017",
    title: "GitHub App tokens are scoped",
    severity: Severity::High,
    run,
};

/// Whether a permission input concerns only organization resources, not repositories.
fn organization_only(input: &str) -> bool {
    input.starts_with("permission-organization-")
        || input == "permission-members"
        || input.ends_with("-for-organizations")
}

/// The problems of one `actions/create-github-app-token` step, each with its line.
fn create_token_problems(step: &Step, uses_line: usize) -> Vec<(usize, String)> {
    let mut problems = Vec::new();
    let permissions: Vec<&str> = step
        .with
        .iter()
        .map(|v| v.name.as_str())
        .filter(|n| n.starts_with("permission-"))
        .collect();
    if permissions.is_empty() {
        problems.push((
            uses_line,
            "mints a token with every permission of the App's installation (no `permission-<name>` input); name the ones the job needs (`permission-contents: read`, ...)".to_owned(),
        ));
    }
    if let Some(owner) = step.input("owner")
        && step.input("repositories").is_none()
        // A token of organization permissions only reaches no repository.
        && (permissions.is_empty() || !permissions.iter().all(|p| organization_only(p)))
    {
        problems.push((
            owner.line,
            format!(
                "mints a token for every repository of `{}` the App is installed on (`owner:` without `repositories:`); list the repositories the job works on",
                owner.value.trim()
            ),
        ));
    }
    if let Some(skip) = step.input("skip-token-revoke") {
        let value = skip.value.trim();
        if value.contains("${{") || value.eq_ignore_ascii_case("true") {
            let how = if value.contains("${{") {
                "may keep"
            } else {
                "keeps"
            };
            problems.push((
                skip.line,
                format!(
                    "{how} the token valid after the job (`skip-token-revoke: {value}`); let the action revoke it"
                ),
            ));
        }
    }
    problems
}

fn run(cx: &Context) -> Outcome {
    with_workflows(cx, |workflows| {
        let mut findings = Vec::new();
        let mut count = 0;
        for s in workflow::steps(workflows) {
            let (wf, job, step) = (s.workflow, s.job, s.step);
            let Some((name, _, line)) = step.action() else {
                continue;
            };
            let problems = if step.is_action("actions/create-github-app-token") {
                create_token_problems(step, line)
            } else if step.is_action("tibdex/github-app-token") {
                if step.input("permissions").is_some() {
                    Vec::new()
                } else {
                    vec![(
                        line,
                        "mints a token with every permission of the App's installation (no `permissions:` input); name the ones the job needs".to_owned(),
                    )]
                }
            } else {
                continue;
            };
            count += 1;
            for (at_line, problem) in problems {
                findings.push(at(
                    &wf.path,
                    Some(at_line),
                    format!("job `{}`: `{name}` {problem}", job.id),
                ));
            }
        }
        let ok = if count == 0 {
            "no GitHub App token is minted".to_owned()
        } else {
            format!("{count} GitHub App token(s) scoped to named permissions and repositories")
        };
        Outcome::from_findings(findings, ok)
    })
}

#[cfg(test)]
mod tests {
    use super::organization_only;
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass};

    const WF: &str = ".github/workflows/bot.yml";

    fn token(with: &str) -> String {
        format!(
            "on: push\npermissions: {{}}\njobs:\n  bot:\n    runs-on: x\n    steps:\n      - uses: actions/create-github-app-token@v2\n        with:\n          app-id: ${{{{ vars.APP_ID }}}}\n          private-key: ${{{{ secrets.APP_KEY }}}}\n{with}"
        )
    }

    #[test]
    fn passes_with_named_permissions() {
        let repo = Repo::compliant();
        repo.write(WF, &token("          permission-contents: read\n"));
        assert_eq!(
            assert_pass(&repo.run("WF-017")),
            "1 GitHub App token(s) scoped to named permissions and repositories"
        );
    }

    #[test]
    fn fails_on_a_blanket_token() {
        let repo = Repo::compliant();
        repo.write(WF, &token(""));
        let outcome = repo.run("WF-017");
        assert_fail_at(&outcome, WF, Some(7));
        assert_eq!(
            outcome.message,
            "job `bot`: `actions/create-github-app-token` mints a token with every permission of the App's installation (no `permission-<name>` input); name the ones the job needs (`permission-contents: read`, ...)"
        );
    }

    #[test]
    fn knows_organization_permissions() {
        assert!(organization_only("permission-organization-projects"));
        assert!(organization_only("permission-members"));
        assert!(organization_only(
            "permission-custom-properties-for-organizations"
        ));
        assert!(!organization_only("permission-contents"));
    }
}
