//! RG-008: the bundle's header states the rotation: reason and time, in the clear.
//!
//! The runbook asks to "documentar o motivo no cabeçalho do arquivo"; with the MCP
//! conventions that is `MCP_ROTATION_REASON` (non-empty) and `MCP_ROTATED_AT` (RFC 3339,
//! later than the base's), both kept in the clear and covered by the MAC.

use super::{Outcome, Rule, unless_rotation};
use crate::check::{Context, REASON_KEY, ROTATED_AT_KEY, printable};

pub(super) const RULE: Rule = Rule {
    id: "RG-008",
    title: "the header states the rotation reason and time",
    needs_keys: false,
    integrity: false,
    run,
};

fn run(cx: &Context) -> Outcome {
    if let Some(skip) = unless_rotation(cx) {
        return skip;
    }
    let mut problems = Vec::new();
    let reason = Context::header_text(&cx.new, REASON_KEY).filter(|r| !r.trim().is_empty());
    if reason.is_none() {
        problems.push(format!("{REASON_KEY} is missing, empty or encrypted"));
    }
    let parse = |file| {
        Context::header_text(file, ROTATED_AT_KEY)
            .and_then(|t| bundle_core::time::parse_rfc3339(&t))
    };
    match (parse(&cx.base), parse(&cx.new)) {
        (_, None) => problems.push(format!(
            "{ROTATED_AT_KEY} is missing, encrypted or not an RFC 3339 time"
        )),
        // Equal within the second is a rotation too when the data key changed (RG-006).
        (Some(before), Some(after))
            if after < before || (after == before && !cx.reencrypted_everything()) =>
        {
            problems.push(format!("{ROTATED_AT_KEY} did not advance since the base"));
        }
        _ => {}
    }
    match (problems.is_empty(), reason) {
        (true, Some(reason)) => Outcome::pass(format!(
            "reason \"{}\", rotated at {}",
            printable(&reason),
            Context::header_text(&cx.new, ROTATED_AT_KEY).unwrap_or_default()
        )),
        _ => Outcome::fail_with("the bundle's header does not state this rotation", problems),
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testutil::*;

    #[test]
    fn passes_with_reason_and_time() {
        assert_eq!(
            pass(&outcome(&rotated(&Rotation::scheduled()), "RG-008")),
            "reason \"quarterly rotation\", rotated at 2026-01-31T00:00:00Z"
        );
    }

    #[test]
    fn fails_without_a_reason() {
        let repo = rotated(&Rotation {
            reason: None,
            ..Rotation::scheduled()
        });
        let outcome = outcome(&repo, "RG-008");
        fail(&outcome);
        assert_eq!(
            outcome.details,
            ["MCP_ROTATION_REASON is missing, empty or encrypted"]
        );
    }
}
