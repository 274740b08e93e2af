//! The `GITHUB_TOKEN` permission matrix: workflow → job → scope → none/read/write.
//!
//! A job's permissions come from its own `permissions:`, else the workflow's, else the
//! repository default (which the policy states, since it lives in the repository settings).
//! `read-all` is read on every scope that has a read level (`id-token` has none), `write-all`
//! is write everywhere, and a mapping sets the listed scopes and `none` for the rest.

use std::collections::BTreeMap;

use bundle_core::ops::report::{Access, JobPermissions, PermissionSource, WorkflowPermissions};

use crate::policy::DefaultPermissions;
use crate::workflow::{PermBlock, PermSpec, Workflow};

/// The token scopes GitHub documents (`metadata` is always read and not settable).
pub(crate) const SCOPES: [&str; 15] = [
    "actions",
    "attestations",
    "checks",
    "contents",
    "deployments",
    "discussions",
    "id-token",
    "issues",
    "models",
    "packages",
    "pages",
    "pull-requests",
    "repository-projects",
    "security-events",
    "statuses",
];

fn all(access: Access) -> BTreeMap<String, Access> {
    SCOPES.iter().map(|s| ((*s).to_owned(), access)).collect()
}

/// The scopes a block grants, expanded over every known scope.
pub(crate) fn expand(spec: &PermSpec) -> BTreeMap<String, Access> {
    match spec {
        PermSpec::ReadAll => {
            let mut map = all(Access::Read);
            map.insert("id-token".to_owned(), Access::None);
            map
        }
        PermSpec::WriteAll => all(Access::Write),
        PermSpec::Scopes(entries) => {
            let mut map = all(Access::None);
            for e in entries {
                map.insert(e.scope.clone(), e.access);
            }
            map
        }
        // GitHub refuses such a workflow; nothing is granted.
        PermSpec::Invalid(_) => all(Access::None),
    }
}

/// The repository default for jobs without any block.
pub(crate) fn default_scopes(default: DefaultPermissions) -> BTreeMap<String, Access> {
    match default {
        DefaultPermissions::Restricted => {
            let mut map = all(Access::None);
            map.insert("contents".to_owned(), Access::Read);
            map.insert("packages".to_owned(), Access::Read);
            map
        }
        DefaultPermissions::Permissive => {
            let mut map = all(Access::Write);
            map.insert("id-token".to_owned(), Access::None);
            map
        }
    }
}

/// The scopes a job's effective block grants (see [`effective`]); the repository default
/// when there is none.
pub(crate) fn granted(
    block: Option<&PermBlock>,
    default: DefaultPermissions,
) -> BTreeMap<String, Access> {
    block.map_or_else(|| default_scopes(default), |b| expand(&b.spec))
}

/// Where a job's effective permissions are declared, and the line that grants `scope`.
pub(crate) fn grant_line(block: &PermBlock, scope: &str) -> usize {
    match &block.spec {
        PermSpec::Scopes(entries) => entries
            .iter()
            .find(|e| e.scope == scope)
            .map_or(block.line, |e| e.line),
        _ => block.line,
    }
}

/// The effective block of a job: its own, else the workflow's, else none (the default).
pub(crate) fn effective<'a>(
    workflow: &'a Workflow,
    job: &'a crate::workflow::Job,
) -> (PermissionSource, Option<&'a PermBlock>) {
    match (&job.permissions, &workflow.permissions) {
        (Some(block), _) => (PermissionSource::Job, Some(block)),
        (None, Some(block)) => (PermissionSource::Workflow, Some(block)),
        (None, None) => (PermissionSource::Default, None),
    }
}

/// The matrix entry of one workflow.
pub(crate) fn matrix(workflow: &Workflow, default: DefaultPermissions) -> WorkflowPermissions {
    let mut jobs: Vec<JobPermissions> = workflow
        .jobs
        .iter()
        .map(|job| {
            let (source, block) = effective(workflow, job);
            JobPermissions {
                job: job.id.clone(),
                source,
                scopes: granted(block, default),
            }
        })
        .collect();
    jobs.sort_by(|a, b| a.job.cmp(&b.job));
    let mut triggers: Vec<String> = workflow.triggers.iter().map(|t| t.text.clone()).collect();
    triggers.sort();
    triggers.dedup();
    WorkflowPermissions {
        workflow: workflow.path.clone(),
        triggers,
        uses_secrets: workflow.uses_secrets(),
        top_level: workflow.permissions.as_ref().map(|b| expand(&b.spec)),
        jobs,
    }
}

/// Why a workflow is privileged, if it is: it reads a secret other than `GITHUB_TOKEN` (App
/// private keys and deploy keys are secrets like any other), passes every secret on, or one of
/// its jobs holds a write scope (`id-token: write` included). `secrets.GITHUB_TOKEN` alone is
/// judged by what the job's permissions grant, not as a secret (issue #14).
pub(crate) fn privilege(workflow: &Workflow, default: DefaultPermissions) -> Option<String> {
    if let Some(name) = workflow
        .secret_names()
        .into_iter()
        .find(|n| !n.eq_ignore_ascii_case("GITHUB_TOKEN"))
    {
        return Some(format!("it reads secrets.{name}"));
    }
    let passes_all = workflow
        .env
        .iter()
        .any(|v| crate::expr::dumps_all_secrets(&v.value))
        || workflow
            .jobs
            .iter()
            .any(|j| j.dumps_all_secrets() || j.inherits_secrets().is_some());
    if passes_all {
        return Some("it passes every secret on".to_owned());
    }
    matrix(workflow, default).jobs.iter().find_map(|job| {
        job.scopes
            .iter()
            .find(|(_, access)| **access == Access::Write)
            .map(|(scope, _)| format!("job `{}` holds `{scope}: write`", job.job))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow;

    #[test]
    fn expands_shorthands_defaults_and_inheritance() {
        let text = "on: push\npermissions: read-all\njobs:\n  a:\n    runs-on: x\n  b:\n    permissions:\n      contents: write\n";
        let wf = workflow::parse(".github/workflows/w.yml", text).unwrap();
        let m = matrix(&wf, DefaultPermissions::Restricted);
        assert_eq!(m.jobs[0].source, PermissionSource::Workflow);
        assert_eq!(m.jobs[0].scopes["issues"], Access::Read);
        assert_eq!(m.jobs[0].scopes["id-token"], Access::None);
        assert_eq!(m.jobs[1].source, PermissionSource::Job);
        assert_eq!(m.jobs[1].scopes["contents"], Access::Write);
        assert_eq!(m.jobs[1].scopes["issues"], Access::None);

        let bare = workflow::parse("w.yml", "on: push\njobs:\n  a:\n    runs-on: x\n").unwrap();
        let restricted = matrix(&bare, DefaultPermissions::Restricted);
        assert_eq!(restricted.jobs[0].source, PermissionSource::Default);
        assert_eq!(restricted.jobs[0].scopes["contents"], Access::Read);
        assert_eq!(restricted.jobs[0].scopes["issues"], Access::None);
        let permissive = matrix(&bare, DefaultPermissions::Permissive);
        assert_eq!(permissive.jobs[0].scopes["issues"], Access::Write);
        assert!(permissive.top_level.is_none());
    }

    #[test]
    fn privilege_comes_from_secrets_and_write_scopes_not_the_github_token() {
        let privileged = |text: &str| {
            let wf = workflow::parse("w.yml", text).unwrap();
            privilege(&wf, DefaultPermissions::Restricted)
        };
        let token = "on: pull_request_target\npermissions:\n  contents: read\njobs:\n  a:\n    steps:\n      - with:\n          repo-token: ${{ secrets.GITHUB_TOKEN }}\n";
        assert_eq!(privileged(token), None);
        assert_eq!(
            privileged(&token.replace("contents: read", "pull-requests: write")).as_deref(),
            Some("job `a` holds `pull-requests: write`")
        );
        assert_eq!(
            privileged(&token.replace("contents: read", "id-token: write")).as_deref(),
            Some("job `a` holds `id-token: write`")
        );
        assert_eq!(
            privileged(&token.replace("GITHUB_TOKEN", "APP_PRIVATE_KEY")).as_deref(),
            Some("it reads secrets.APP_PRIVATE_KEY")
        );
        assert_eq!(
            privileged("on: push\njobs:\n  a:\n    uses: o/r/.github/workflows/x.yml@v1\n    secrets: inherit\n").as_deref(),
            Some("it passes every secret on")
        );
    }
}
