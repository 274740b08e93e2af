//! RG-002: a rotation increments `MCP_SECRETS_VERSION` by exactly one.
//!
//! The evidence, the synced `.env` and the audit trail all key on the version; a jump (+2) or
//! a step back leaves a version that no evidence entry describes.

use super::{Outcome, Rule, unless_rotation};
use crate::check::Context;

pub(super) const RULE: Rule = Rule {
    id: "RG-002",
    title: "a rotation increments the version by exactly 1",
    needs_keys: false,
    integrity: false,
    run,
};

fn run(cx: &Context) -> Outcome {
    if let Some(skip) = unless_rotation(cx) {
        return skip;
    }
    let base = match cx.base_version() {
        Ok(v) => v,
        Err(message) => return Outcome::fail(format!("the base bundle: {message}")),
    };
    let Ok(new) = cx.new_version() else {
        return Outcome::fail(format!("version {base} → not an integer (see RG-001)"));
    };
    if base.checked_add(1) == Some(new) {
        Outcome::pass(format!("version {base} → {new}"))
    } else {
        Outcome::fail(format!(
            "version {base} → {new}: a rotation sets MCP_SECRETS_VERSION to exactly {}",
            base + 1
        ))
    }
}

#[cfg(test)]
mod tests {
    use bundle_core::{Scalar, Value};

    use crate::rules::testutil::*;

    #[test]
    fn passes_on_plus_one() {
        assert_eq!(
            pass(&outcome(&rotated(&Rotation::scheduled()), "RG-002")),
            "version 4 → 5"
        );
    }

    #[test]
    fn fails_on_plus_two_and_on_a_step_back() {
        let repo = rotated(&Rotation {
            version: Value::Scalar(Scalar::Int(6)),
            ..Rotation::scheduled()
        });
        assert_eq!(
            fail(&outcome(&repo, "RG-002")),
            "version 4 → 6: a rotation sets MCP_SECRETS_VERSION to exactly 5"
        );
        let repo = rotated(&Rotation {
            version: Value::Scalar(Scalar::Int(3)),
            ..Rotation::scheduled()
        });
        assert_eq!(
            fail(&outcome(&repo, "RG-002")),
            "version 4 → 3: a rotation sets MCP_SECRETS_VERSION to exactly 5"
        );
    }

    #[test]
    fn skips_when_not_a_rotation() {
        assert_eq!(
            skip(&outcome(&Repo::new(), "RG-002")),
            "not a rotation: MCP_SECRETS_VERSION is unchanged (4)"
        );
    }
}
