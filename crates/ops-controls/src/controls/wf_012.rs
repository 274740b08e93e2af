//! WF-012: actions are pinned to a full commit SHA.
//!
//! A tag or branch can be moved to other code after review; a 40-hex commit cannot. Applies
//! to workflows that use secrets (or to all, with `pin_actions: all`); owners listed in
//! `trusted_action_owners` are exempt, local actions (`./...`) always are, and Docker actions
//! need an `@sha256:` digest.

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at, with_workflows};
use crate::context::Context;
use crate::policy::PinScope;

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
    if uses.starts_with("./") {
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

fn run(cx: &Context) -> Outcome {
    with_workflows(cx, |workflows| {
        let policy = &cx.policy.workflows;
        let mut findings = Vec::new();
        let mut count = 0;
        for wf in workflows
            .iter()
            .filter(|wf| policy.pin_actions == PinScope::All || wf.uses_secrets())
        {
            for job in &wf.jobs {
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
            }
        }
        Outcome::from_findings(
            findings,
            format!("{count} action reference(s) pinned or trusted"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::pin_problem;
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass, line_of};
    use crate::policy::PinScope;

    const CI: &str = ".github/workflows/ci.yml";

    #[test]
    fn passes_with_sha_pins() {
        let mut repo = Repo::compliant();
        repo.policy.workflows.trusted_action_owners.clear();
        repo.policy.workflows.pin_actions = PinScope::All;
        assert_eq!(
            assert_pass(&repo.run("WF-012")),
            "5 action reference(s) pinned or trusted"
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
}
