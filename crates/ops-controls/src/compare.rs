//! `--compare`: what got worse since the previous report.
//!
//! The audit step compares the current report with the previous one "to confirm no
//! regression in workflow permissions or secret inventory". A regression is a change in the
//! unsafe direction only: a scope raised, a new write scope, a top-level block removed, a
//! new workflow without one, a new dangerous trigger, a check from pass to fail, secret names
//! or recipients changed without a new activation entry, the version going down. Improvements
//! are not listed. Any regression makes the run exit 1.

use std::collections::{BTreeMap, BTreeSet};

use bundle_core::ops::report::{
    Access, Comparison, Regression, RegressionKind, Report, Status, WorkflowPermissions,
};

/// The triggers whose appearance counts as a regression: the policy's default
/// `dangerous_triggers` (issue #14).
pub const DANGEROUS_TRIGGERS: [&str; 7] = [
    "pull_request_target",
    "workflow_run",
    "issue_comment",
    "pull_request_review",
    "pull_request_review_comment",
    "discussion",
    "discussion_comment",
];

fn regression(
    kind: RegressionKind,
    subject: impl Into<String>,
    message: impl Into<String>,
) -> Regression {
    Regression {
        kind,
        subject: subject.into(),
        message: message.into(),
    }
}

fn by_workflow(report: &Report) -> BTreeMap<&str, &WorkflowPermissions> {
    report
        .permissions
        .iter()
        .map(|w| (w.workflow.as_str(), w))
        .collect()
}

fn permissions(previous: &Report, current: &Report, out: &mut Vec<Regression>) {
    let before = by_workflow(previous);
    for wf in &current.permissions {
        let name = wf.workflow.as_str();
        let Some(old) = before.get(name) else {
            if wf.top_level.is_none() {
                out.push(regression(
                    RegressionKind::NewWorkflowWithoutPermissions,
                    name,
                    format!("new workflow {name} has no top-level permissions block"),
                ));
            }
            for job in &wf.jobs {
                for (scope, access) in &job.scopes {
                    if *access == Access::Write {
                        out.push(regression(
                            RegressionKind::NewWriteScope,
                            format!("{name}#{}:{scope}", job.job),
                            format!(
                                "new job `{}` in new workflow {name} has `{scope}: write`",
                                job.job
                            ),
                        ));
                    }
                }
            }
            for t in wf
                .triggers
                .iter()
                .filter(|t| DANGEROUS_TRIGGERS.contains(&t.as_str()))
            {
                out.push(regression(
                    RegressionKind::NewDangerousTrigger,
                    format!("{name}:{t}"),
                    format!("new workflow {name} is triggered by `{t}`"),
                ));
            }
            continue;
        };
        if old.top_level.is_some() && wf.top_level.is_none() {
            out.push(regression(
                RegressionKind::TopLevelPermissionsRemoved,
                name,
                format!("{name} lost its top-level permissions block"),
            ));
        }
        for t in wf
            .triggers
            .iter()
            .filter(|t| DANGEROUS_TRIGGERS.contains(&t.as_str()) && !old.triggers.contains(t))
        {
            out.push(regression(
                RegressionKind::NewDangerousTrigger,
                format!("{name}:{t}"),
                format!("{name} is now triggered by `{t}`"),
            ));
        }
        let old_jobs: BTreeMap<&str, _> = old.jobs.iter().map(|j| (j.job.as_str(), j)).collect();
        for job in &wf.jobs {
            let old_job = old_jobs.get(job.job.as_str());
            for (scope, access) in &job.scopes {
                let subject = format!("{name}#{}:{scope}", job.job);
                match old_job {
                    Some(old_job) => {
                        let was = old_job.scopes.get(scope).copied().unwrap_or(Access::None);
                        if *access > was {
                            out.push(regression(
                                RegressionKind::PermissionRaised,
                                subject,
                                format!(
                                    "job `{}` in {name}: `{scope}` raised from {was} to {access}",
                                    job.job
                                ),
                            ));
                        }
                    }
                    None if *access == Access::Write => out.push(regression(
                        RegressionKind::NewWriteScope,
                        subject,
                        format!("new job `{}` in {name} has `{scope}: write`", job.job),
                    )),
                    None => {}
                }
            }
        }
    }
}

fn checks(previous: &Report, current: &Report, out: &mut Vec<Regression>) {
    for check in &current.checks {
        if check.status == Status::Fail
            && previous
                .check(&check.id)
                .is_some_and(|c| c.status == Status::Pass)
        {
            out.push(regression(
                RegressionKind::CheckRegressed,
                &check.id,
                format!("{} went from pass to fail: {}", check.id, check.message),
            ));
        }
    }
}

fn inventory(previous: &Report, current: &Report, out: &mut Vec<Regression>) {
    let (Some(old), Some(new)) = (&previous.inventory.bundle, &current.inventory.bundle) else {
        return;
    };
    if let (Some(was), Some(now)) = (old.version, new.version)
        && now < was
    {
        out.push(regression(
            RegressionKind::VersionDecreased,
            &new.path,
            format!("MCP_SECRETS_VERSION went down from {was} to {now}"),
        ));
    }
    // A change of names or recipients is expected with a rotation, which records a new
    // activation entry for the new version.
    let recorded = new.version.is_some_and(|v| {
        current.inventory.activation_versions.contains(&v)
            && !previous.inventory.activation_versions.contains(&v)
    });
    if recorded {
        return;
    }
    let old_keys: BTreeSet<&str> = old.keys.iter().map(String::as_str).collect();
    let new_keys: BTreeSet<&str> = new.keys.iter().map(String::as_str).collect();
    for added in new_keys.difference(&old_keys) {
        out.push(regression(
            RegressionKind::SecretAdded,
            *added,
            format!(
                "secret `{added}` was added to {} without a new entry in runbooks-activation.md",
                new.path
            ),
        ));
    }
    for removed in old_keys.difference(&new_keys) {
        out.push(regression(
            RegressionKind::SecretRemoved,
            *removed,
            format!("secret `{removed}` was removed from {} without a new entry in runbooks-activation.md", new.path),
        ));
    }
    if old.recipients != new.recipients {
        let added: Vec<&String> = new
            .recipients
            .iter()
            .filter(|r| !old.recipients.contains(r))
            .collect();
        let removed: Vec<&String> = old
            .recipients
            .iter()
            .filter(|r| !new.recipients.contains(r))
            .collect();
        out.push(regression(
            RegressionKind::RecipientsChanged,
            &new.path,
            format!(
                "recipients changed without a new entry in runbooks-activation.md (added: {}; removed: {})",
                list(&added),
                list(&removed)
            ),
        ));
    }
}

fn list(items: &[&String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Every regression from `previous` to `current`, sorted.
pub fn compare(previous: &Report, current: &Report) -> Comparison {
    let mut regressions = Vec::new();
    permissions(previous, current, &mut regressions);
    checks(previous, current, &mut regressions);
    inventory(previous, current, &mut regressions);
    regressions.sort();
    regressions.dedup();
    Comparison {
        previous_generated_at: previous.generated_at.clone(),
        previous_commit: previous.repository.commit.clone(),
        regressions,
    }
}
