//! RG-006: `lastmodified` advanced.
//!
//! sops stamps `lastmodified` on every encryption and binds the MAC to it; a rotation that
//! kept the old stamp was not produced by an encryption (or the clock was wrong). The stamp
//! has one-second resolution, so an equal stamp passes when every encrypted value is new (a
//! new data key: a second rotation within the same second, issue 11).

use super::{Outcome, Rule, unless_rotation};
use crate::check::Context;

pub(super) const RULE: Rule = Rule {
    id: "RG-006",
    title: "lastmodified advanced",
    needs_keys: false,
    integrity: false,
    run,
};

fn run(cx: &Context) -> Outcome {
    if let Some(skip) = unless_rotation(cx) {
        return skip;
    }
    let (base, new) = (
        &cx.base.metadata().lastmodified,
        &cx.new.metadata().lastmodified,
    );
    let parse = bundle_core::time::parse_rfc3339;
    match (parse(base), parse(new)) {
        (Some(b), Some(n)) if n > b => Outcome::pass(format!("lastmodified {base} → {new}")),
        (Some(b), Some(n)) if n == b && cx.reencrypted_everything() => Outcome::pass(format!(
            "lastmodified {new} is the base's second, and every value was encrypted anew"
        )),
        (Some(_), Some(_)) => {
            Outcome::fail(format!("lastmodified did not advance: {base} → {new}"))
        }
        _ => Outcome::fail(format!(
            "lastmodified is not an RFC 3339 time: {base} → {new}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testutil::*;

    #[test]
    fn passes_after_a_rotation() {
        assert_eq!(
            pass(&outcome(&rotated(&Rotation::scheduled()), "RG-006")),
            "lastmodified 2026-01-01T00:00:00Z → 2026-01-31T00:00:00Z"
        );
    }

    #[test]
    fn a_second_rotation_in_the_same_second_passes_with_a_new_data_key() {
        let same_second = Rotation {
            same_second: true,
            ..Rotation::scheduled()
        };
        assert_eq!(
            pass(&outcome(&rotated(&same_second), "RG-006")),
            "lastmodified 2026-01-01T00:00:00Z is the base's second, and every value was encrypted anew"
        );
        let same_data_key = Rotation {
            rotate_data_key: false,
            ..same_second
        };
        assert_eq!(
            fail(&outcome(&rotated(&same_data_key), "RG-006")),
            "lastmodified did not advance: 2026-01-01T00:00:00Z → 2026-01-01T00:00:00Z"
        );
    }

    #[test]
    fn fails_when_only_the_header_was_edited() {
        let repo = Repo::new();
        repo.write(
            BUNDLE,
            &repo
                .read(BUNDLE)
                .replace("MCP_SECRETS_VERSION: 4", "MCP_SECRETS_VERSION: 5"),
        );
        assert_eq!(
            fail(&outcome(&repo, "RG-006")),
            "lastmodified did not advance: 2026-01-01T00:00:00Z → 2026-01-01T00:00:00Z"
        );
    }
}
