//! RG-011: an emergency rotation names its incident and has two responsible people.
//!
//! The runbook's emergency flow is driven by an incident (acionamento) and needs double
//! review; the bundle's header (`MCP_ROTATION_INCIDENT`) and the evidence entry must name
//! the same incident. A header naming a new incident while the evidence says "scheduled" is
//! a contradiction too.

use bundle_core::ops::evidence::{FieldError, Kind, MIN_EMERGENCY_RESPONSIBLE};

use super::{Outcome, Rule, unless_rotation};
use crate::check::{Context, INCIDENT_KEY, printable};

pub(super) const RULE: Rule = Rule {
    id: "RG-011",
    title: "an emergency names its incident and two responsible people",
    needs_keys: false,
    integrity: false,
    run,
};

fn run(cx: &Context) -> Outcome {
    if let Some(skip) = unless_rotation(cx) {
        return skip;
    }
    let Some(entry) = cx.entry() else {
        return Outcome::skip("no evidence entry for the new version (see RG-010)");
    };
    let e = &entry.execution;
    let header = Context::header_text(&cx.new, INCIDENT_KEY).filter(|t| !t.trim().is_empty());
    let base_header = Context::header_text(&cx.base, INCIDENT_KEY).filter(|t| !t.trim().is_empty());
    if e.kind != Kind::Emergency {
        return match header {
            Some(incident) if header != base_header => Outcome::fail(format!(
                "the bundle's header names incident `{}` but the evidence records a {} rotation",
                printable(&incident),
                e.kind
            )),
            _ => Outcome::skip(format!("a {} rotation", e.kind)),
        };
    }
    let mut problems = Vec::new();
    match &e.incident {
        None => problems.push("the emergency entry names no incident".to_owned()),
        Some(_) if matches!(e.check_fields(), Err(FieldError::InvalidIncident { .. })) => {
            problems.push("the emergency entry's incident id is not valid".to_owned());
        }
        Some(_) => {}
    }
    let mut people: Vec<String> = e.responsible.iter().map(|p| p.to_lowercase()).collect();
    people.sort();
    people.dedup();
    if people.len() < MIN_EMERGENCY_RESPONSIBLE {
        problems.push(format!(
            "the emergency entry has {} responsible person(s); double review needs {MIN_EMERGENCY_RESPONSIBLE}",
            people.len()
        ));
    }
    match (&header, &e.incident) {
        (None, _) => problems.push(format!("the bundle's header has no {INCIDENT_KEY}")),
        (Some(h), Some(i)) if h != i => problems.push(format!(
            "the bundle's header names incident `{}`, the evidence `{}`",
            printable(h),
            printable(i)
        )),
        _ => {}
    }
    if problems.is_empty() {
        Outcome::pass(format!(
            "incident `{}`, responsible: {}",
            e.incident.as_deref().unwrap_or_default(),
            e.responsible.join(", ")
        ))
    } else {
        Outcome::fail_with(
            format!(
                "emergency rotation `{}` is not documented as the runbook requires",
                e.id
            ),
            problems,
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testutil::*;

    #[test]
    fn passes_on_a_documented_emergency() {
        assert_eq!(
            pass(&outcome(&rotated(&Rotation::emergency()), "RG-011")),
            "incident `INC-42`, responsible: ana, bruno"
        );
    }

    #[test]
    fn fails_on_an_emergency_without_incident() {
        let repo = rotated(&Rotation {
            incident: None,
            responsible: vec!["ana"],
            ..Rotation::emergency()
        });
        let outcome = outcome(&repo, "RG-011");
        assert_eq!(
            fail(&outcome),
            "emergency rotation `emergency-v5` is not documented as the runbook requires"
        );
        assert_eq!(
            outcome.details,
            [
                "the emergency entry names no incident",
                "the emergency entry has 1 responsible person(s); double review needs 2",
                "the bundle's header has no MCP_ROTATION_INCIDENT",
            ]
        );
    }

    #[test]
    fn fails_when_the_header_names_an_incident_of_a_scheduled_rotation() {
        let repo = Repo::new();
        repo.rotate(&Rotation {
            record: false,
            ..Rotation::emergency()
        });
        repo.record(&Rotation::scheduled());
        assert_eq!(
            fail(&outcome(&repo, "RG-011")),
            "the bundle's header names incident `INC-42` but the evidence records a scheduled rotation"
        );
    }

    #[test]
    fn skips_a_scheduled_rotation() {
        assert_eq!(
            skip(&outcome(&rotated(&Rotation::scheduled()), "RG-011")),
            "a scheduled rotation"
        );
    }
}
