//! WF-004: a job holds a write scope (including `id-token: write`) only where the policy
//! allows it.
//!
//! Evaluated on the expanded permission matrix, so a write granted at the top level, by
//! `write-all`, or by a permissive repository default counts for every job it reaches.

use bundle_core::ops::report::{Access, Severity};

use super::{Control, Outcome, at, with_workflows};
use crate::context::Context;
use crate::permissions;
use crate::util::wildcard;
use crate::workflow;

pub(super) const CONTROL: Control = Control {
    id: "WF-004",
    title: "Write scopes only where the policy allows",
    severity: Severity::High,
    run,
};

fn run(cx: &Context) -> Outcome {
    with_workflows(cx, |workflows| {
        let policy = &cx.policy.workflows;
        let mut findings = Vec::new();
        let mut writes = 0;
        for j in workflow::jobs(workflows) {
            let (wf, job) = (j.workflow, j.job);
            let (_, block) = permissions::effective(wf, job);
            let scopes = permissions::granted(block, policy.default_permissions);
            // One finding per granting line, listing its scopes (write-all grants them all).
            let mut denied: std::collections::BTreeMap<usize, Vec<&str>> =
                std::collections::BTreeMap::new();
            for (scope, access) in &scopes {
                if *access != Access::Write {
                    continue;
                }
                writes += 1;
                let allowed = policy.allowed_writes.iter().any(|a| {
                    wildcard(&a.workflow, wf.file_name())
                        && wildcard(&a.job, &job.id)
                        && a.scopes.iter().any(|s| s == scope)
                });
                if !allowed {
                    let line = block.map_or(job.line, |b| permissions::grant_line(b, scope));
                    denied.entry(line).or_default().push(scope);
                }
            }
            for (line, scopes) in denied {
                let list = scopes
                    .iter()
                    .map(|s| format!("`{s}: write`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                findings.push(at(
                    &wf.path,
                    Some(line),
                    format!("job `{}` has {list}, not allowed by the policy", job.id),
                ));
            }
        }
        Outcome::from_findings(
            findings,
            format!("{writes} write scope(s), all allowed by the policy"),
        )
    })
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass, line_of};
    use crate::policy::{AllowedWrite, DefaultPermissions};

    const CI: &str = ".github/workflows/ci.yml";

    fn with_id_token(repo: &Repo) {
        repo.edit(CI, "  lint:\n    runs-on: ubuntu-latest\n", "  lint:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n      id-token: write\n");
    }

    #[test]
    fn passes_with_read_only_jobs_and_allowed_writes() {
        assert_eq!(
            assert_pass(&Repo::compliant().run("WF-004")),
            "0 write scope(s), all allowed by the policy"
        );
        let mut repo = Repo::compliant();
        with_id_token(&repo);
        repo.policy.workflows.allowed_writes = vec![AllowedWrite {
            workflow: "ci.yml".into(),
            job: "lint".into(),
            scopes: vec!["id-token".into()],
        }];
        assert_pass(&repo.run("WF-004"));
    }

    #[test]
    fn fails_on_an_unallowed_write() {
        let repo = Repo::compliant();
        with_id_token(&repo);
        let outcome = repo.run("WF-004");
        assert_fail_at(&outcome, CI, line_of(&repo, CI, "id-token: write"));
        assert_eq!(
            outcome.message,
            "job `lint` has `id-token: write`, not allowed by the policy"
        );
    }

    #[test]
    fn counts_a_permissive_default_for_jobs_without_blocks() {
        let mut repo = Repo::compliant();
        repo.edit(CI, "permissions:\n  contents: read\njobs:", "jobs:");
        repo.policy.workflows.default_permissions = DefaultPermissions::Permissive;
        let outcome = repo.run("WF-004");
        assert_fail_at(&outcome, CI, line_of(&repo, CI, "  security:"));
    }
}
