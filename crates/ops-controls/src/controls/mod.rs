//! The controls: one module per check, each with a stable id (`DOC-001`, `WF-007`, ...).
//!
//! A check is a pure function of the [`Context`]: it reads what it needs and returns an
//! [`Outcome`]. Ids never change meaning once published (reports are compared over time);
//! a retired check keeps its id reserved. The registry below is sorted by id.

use bundle_core::ops::report::{Location, Severity, Status};

use crate::context::Context;
use crate::policy::Profile;

mod bundle_001;
mod bundle_002;
mod bundle_003;
mod bundle_004;
mod bundle_005;
mod bundle_006;
mod bundle_007;
mod doc_001;
mod doc_002;
mod doc_003;
mod doc_004;
mod hyg_001;
mod hyg_002;
mod hyg_003;
mod scan_001;
mod scan_002;
mod scan_003;
mod scan_004;
mod wf_001;
mod wf_002;
mod wf_003;
mod wf_004;
mod wf_005;
mod wf_006;
mod wf_007;
mod wf_008;
mod wf_009;
mod wf_010;
mod wf_011;
mod wf_012;
mod wf_013;
mod wf_014;
mod wf_015;
mod wf_016;
mod wf_017;

#[cfg(test)]
pub(crate) mod testkit;

pub(crate) use doc_004::{log_path as activation_log_path, versions as activation_versions};

/// A check's definition.
#[derive(Debug, Clone, Copy)]
pub struct Control {
    /// Stable id.
    pub id: &'static str,
    /// Short title.
    pub title: &'static str,
    /// Default severity (the policy may override it).
    pub severity: Severity,
    pub(crate) run: fn(&Context) -> Outcome,
}

/// Checks that only the MCP secrets runbook asks for. They run under `profile: mcp` and
/// report `skip` under `general`, so a general audit of a foreign repository raises nothing
/// that only the runbook's conventions would explain (issue 14). The reasons, per check, are
/// in the crate README ("Profiles").
const MCP_ONLY: [&str; 2] = [
    // The `SOPS_AGE_KEY` presence gate is the runbook's convention, not a GitHub one.
    "WF-011",
    // The five named jobs (`security`, `ops_compliance`, ...) are the runbook's CI layout.
    "WF-014",
];

impl Control {
    /// The least profile under which the check runs.
    pub fn profile(&self) -> Profile {
        if MCP_ONLY.contains(&self.id) {
            Profile::Mcp
        } else {
            Profile::General
        }
    }
}

/// Runs one check as the policy says: `skip` when the policy disables it or its profile does
/// not include it, else the check itself.
pub(crate) fn evaluate(control: &Control, cx: &Context) -> Outcome {
    if cx.policy.is_disabled(control.id) {
        return Outcome::skip("disabled by policy");
    }
    if control.profile() == Profile::Mcp && cx.policy.profile != Profile::Mcp {
        return Outcome::skip(format!(
            "only under `profile: mcp` (the MCP runbook's own check); this policy's profile is `{}`",
            cx.policy.profile.name()
        ));
    }
    (control.run)(cx)
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) status: Status,
    pub(crate) message: String,
    pub(crate) locations: Vec<Location>,
}

impl Outcome {
    pub(crate) fn pass(message: impl Into<String>) -> Outcome {
        Outcome {
            status: Status::Pass,
            message: message.into(),
            locations: Vec::new(),
        }
    }

    pub(crate) fn skip(message: impl Into<String>) -> Outcome {
        Outcome {
            status: Status::Skip,
            message: message.into(),
            locations: Vec::new(),
        }
    }

    pub(crate) fn fail(message: impl Into<String>, locations: Vec<Location>) -> Outcome {
        Outcome {
            status: Status::Fail,
            message: message.into(),
            locations,
        }
    }

    pub(crate) fn warn(message: impl Into<String>, locations: Vec<Location>) -> Outcome {
        Outcome {
            status: Status::Warn,
            message: message.into(),
            locations,
        }
    }

    /// Pass with `ok` when there are no findings, else fail summarizing them.
    pub(crate) fn from_findings(mut findings: Vec<Location>, ok: impl Into<String>) -> Outcome {
        if findings.is_empty() {
            return Outcome::pass(ok);
        }
        findings.sort();
        findings.dedup();
        let first = findings[0].note.clone().unwrap_or_default();
        let message = if findings.len() == 1 {
            first
        } else {
            format!("{} findings; first: {first}", findings.len())
        };
        Outcome::fail(message, findings)
    }
}

/// A location with a note.
pub(crate) fn at(file: &str, line: Option<usize>, note: impl Into<String>) -> Location {
    Location {
        file: file.to_owned(),
        line: line.filter(|l| *l > 0),
        note: Some(note.into()),
    }
}

/// Findings for the composite actions a check could not audit: the action files among
/// `actions.invalid` that `judged` selects (by path), and every action when the repository's
/// files could not be listed. A check that passes without them would claim steps it never
/// read.
pub(crate) fn unaudited_actions(
    actions: &crate::workflow::Actions,
    judged: impl Fn(&str) -> bool,
) -> Vec<Location> {
    let mut findings = Vec::new();
    if let Some(e) = &actions.unlisted {
        findings.push(at(
            ".",
            None,
            format!("cannot list the repository's files to find its composite actions: {e}"),
        ));
    }
    for invalid in actions.invalid.iter().filter(|i| judged(&i.path)) {
        findings.push(at(
            &invalid.path,
            Some(invalid.line),
            format!(
                "{} cannot be read as an action ({}), so its steps were not audited",
                invalid.path, invalid.message
            ),
        ));
    }
    findings
}

/// Every check, sorted by id.
pub fn all() -> &'static [Control] {
    static ALL: [Control; 35] = [
        bundle_001::CONTROL,
        bundle_002::CONTROL,
        bundle_003::CONTROL,
        bundle_004::CONTROL,
        bundle_005::CONTROL,
        bundle_006::CONTROL,
        bundle_007::CONTROL,
        doc_001::CONTROL,
        doc_002::CONTROL,
        doc_003::CONTROL,
        doc_004::CONTROL,
        hyg_001::CONTROL,
        hyg_002::CONTROL,
        hyg_003::CONTROL,
        scan_001::CONTROL,
        scan_002::CONTROL,
        scan_003::CONTROL,
        scan_004::CONTROL,
        wf_001::CONTROL,
        wf_002::CONTROL,
        wf_003::CONTROL,
        wf_004::CONTROL,
        wf_005::CONTROL,
        wf_006::CONTROL,
        wf_007::CONTROL,
        wf_008::CONTROL,
        wf_009::CONTROL,
        wf_010::CONTROL,
        wf_011::CONTROL,
        wf_012::CONTROL,
        wf_013::CONTROL,
        wf_014::CONTROL,
        wf_015::CONTROL,
        wf_016::CONTROL,
        wf_017::CONTROL,
    ];
    &ALL
}

/// Skips a bundle-dependent check when the bundle is absent or unreadable (`BUNDLE-001`
/// reports why), else hands the bundle over.
pub(crate) fn with_bundle(
    cx: &Context,
    f: impl FnOnce(&crate::bundle::BundleView) -> Outcome,
) -> Outcome {
    match cx.bundle().view() {
        Some(view) => f(view),
        None => Outcome::skip(format!(
            "no readable SOPS bundle at {} (see BUNDLE-001)",
            cx.policy.bundle.path
        )),
    }
}

/// Skips a workflow check when there is no parsed workflow.
pub(crate) fn with_workflows(
    cx: &Context,
    f: impl FnOnce(&[crate::workflow::Workflow]) -> Outcome,
) -> Outcome {
    let parsed = &cx.workflows().parsed;
    if parsed.is_empty() {
        no_workflows(cx)
    } else {
        f(parsed)
    }
}

/// The skip of a workflow check that finds nothing to judge.
pub(crate) fn no_workflows(cx: &Context) -> Outcome {
    Outcome::skip(format!("no workflow files in {}", cx.policy.workflows.dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each MCP-only check, broken in the compliant fixture: it fails under `profile: mcp`
    /// and skips, naming the profile, under `general` (issue 14).
    #[test]
    fn mcp_only_checks_skip_under_general_and_run_under_mcp() {
        use crate::controls::testkit::Repo;
        const CI: &str = ".github/workflows/ci.yml";
        type Breaker = (&'static str, fn(&Repo));
        let breakers: [Breaker; 2] = [
            ("WF-011", |repo| {
                repo.edit(
                    CI,
                    "      - name: write age key\n        if: env.HAS_SOPS_AGE_KEY == 'true'\n",
                    "      - name: write age key\n",
                );
            }),
            ("WF-014", |repo| {
                repo.edit(CI, "  lint:\n", "  style:\n");
            }),
        ];
        let mcp_only: Vec<&str> = all()
            .iter()
            .filter(|c| c.profile() == Profile::Mcp)
            .map(|c| c.id)
            .collect();
        assert_eq!(mcp_only, breakers.map(|(id, _)| id));
        for (id, break_it) in breakers {
            let mut repo = Repo::compliant();
            break_it(&repo);
            assert_eq!(repo.run(id).status, Status::Fail, "{id} under mcp");
            repo.policy.profile = Profile::General;
            let outcome = repo.run(id);
            assert_eq!(outcome.status, Status::Skip, "{id} under general");
            assert_eq!(
                outcome.message,
                "only under `profile: mcp` (the MCP runbook's own check); this policy's profile is `general`"
            );
        }
    }

    /// Every other check runs under the general profile.
    #[test]
    fn general_checks_run_under_general() {
        use crate::controls::testkit::Repo;
        let mut repo = Repo::compliant();
        repo.policy.profile = Profile::General;
        for control in all().iter().filter(|c| c.profile() == Profile::General) {
            assert_ne!(repo.run(control.id).status, Status::Skip, "{}", control.id);
        }
    }

    #[test]
    fn ids_are_sorted_unique_and_well_formed() {
        let ids: Vec<&str> = all().iter().map(|c| c.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted);
        assert!(
            ids.iter()
                .all(|id| bundle_core::ops::report::is_check_id(id))
        );
    }
}
