//! RG-014: a scheduled rotation was announced at least 24 h before its window.
//!
//! Rotação programada, step 1: "comunicar ... com pelo menos 24 h de antecedência". The
//! evidence must hold a `plan` entry before the rotation whose window starts at least
//! [`bundle_core::ops::evidence::MIN_PLAN_NOTICE_SECS`] after it was recorded. Emergencies are exempt.

use bundle_core::ops::evidence::Kind;

use super::{Outcome, Rule, unless_rotation};
use crate::check::Context;

pub(super) const RULE: Rule = Rule {
    id: "RG-014",
    title: "a scheduled rotation was announced 24 h ahead",
    needs_keys: false,
    integrity: false,
    run,
};

fn run(cx: &Context) -> Outcome {
    if let Some(skip) = unless_rotation(cx) {
        return skip;
    }
    let (Some(entry), Ok(log), Ok(version)) = (cx.entry(), &cx.evidence, cx.new_version()) else {
        return Outcome::skip("no evidence entry for the new version (see RG-010)");
    };
    if entry.execution.kind == Kind::Emergency {
        return Outcome::skip("an emergency rotation needs no notice");
    }
    let problems: Vec<String> = log
        .check_rotation(&cx.evidence_dir, version)
        .iter()
        .filter(|p| matches!(p.code(), "rotation.missing-plan" | "rotation.short-notice"))
        .map(ToString::to_string)
        .collect();
    if let Some(first) = problems.first() {
        return Outcome::fail(first.clone());
    }
    let plan = log.plan_for(entry).expect("check_rotation found a plan");
    let notice = plan.execution.notice_seconds().unwrap_or_default();
    Outcome::pass(format!(
        "announced by `{}` {} h before the window",
        plan.execution.id,
        notice / 3600
    ))
}

#[cfg(test)]
mod tests {
    use crate::rules::testutil::*;

    #[test]
    fn passes_with_48_hours_notice() {
        assert_eq!(
            pass(&outcome(&rotated(&Rotation::scheduled()), "RG-014")),
            "announced by `plan-v5` 48 h before the window"
        );
    }

    #[test]
    fn fails_with_12_hours_notice() {
        let repo = rotated(&Rotation {
            plan_notice_hours: Some(12),
            ..Rotation::scheduled()
        });
        assert_eq!(
            fail(&outcome(&repo, "RG-014")),
            "scheduled rotation `scheduled-v5` was announced by `plan-v5` only 12 h 0 min before its window (at least 24 h are required)"
        );
    }

    #[test]
    fn fails_without_a_plan_and_skips_an_emergency() {
        let repo = rotated(&Rotation {
            plan_notice_hours: None,
            ..Rotation::scheduled()
        });
        assert_eq!(
            fail(&outcome(&repo, "RG-014")),
            "scheduled rotation `scheduled-v5` to version 5 has no plan entry announcing its window"
        );
        assert_eq!(
            skip(&outcome(&rotated(&Rotation::emergency()), "RG-014")),
            "an emergency rotation needs no notice"
        );
    }
}
