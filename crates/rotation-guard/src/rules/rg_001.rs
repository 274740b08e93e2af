//! RG-001: `MCP_SECRETS_VERSION` is an integer, in the clear, at the top of the bundle.
//!
//! Reviewers and CI read the version without a key; a string ("5"), a float or an
//! encrypted version breaks every tool that compares versions (DESIGN.md, MCP conventions).

use super::{Outcome, Rule};
use crate::check::Context;

pub(super) const RULE: Rule = Rule {
    id: "RG-001",
    title: "MCP_SECRETS_VERSION is an integer in the clear",
    needs_keys: false,
    integrity: false,
    run,
};

fn run(cx: &Context) -> Outcome {
    match cx.new_version() {
        Ok(v) => Outcome::pass(format!("MCP_SECRETS_VERSION is {v}")),
        Err(message) => Outcome::fail(format!("{message} in {}", cx.bundle_rel)),
    }
}

#[cfg(test)]
mod tests {
    use bundle_core::Value;

    use crate::rules::testutil::*;

    #[test]
    fn passes_on_an_integer() {
        let repo = rotated(&Rotation::scheduled());
        assert_eq!(pass(&outcome(&repo, "RG-001")), "MCP_SECRETS_VERSION is 5");
    }

    #[test]
    fn fails_on_a_string() {
        let repo = rotated(&Rotation {
            version: Value::str("5"),
            ..Rotation::scheduled()
        });
        assert_eq!(
            fail(&outcome(&repo, "RG-001")),
            "MCP_SECRETS_VERSION is a string (\"5\"), not an integer in config/secrets.enc.yaml"
        );
    }
}
