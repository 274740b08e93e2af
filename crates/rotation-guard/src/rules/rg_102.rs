//! RG-102: the replaced key can no longer decrypt the bundle.
//!
//! After an emergency this is the proof that the compromised key is dead: the identity given
//! with `--old-identity` must open the base bundle (else it proves nothing: it is not the
//! replaced key) and must not unwrap the new bundle's data key. Without `--old-identity`
//! the rule is skipped, with a reminder when the evidence says emergency.

use bundle_core::Error as BundleError;
use bundle_core::ops::evidence::Kind;

use super::{Outcome, Rule, unless_rotation};
use crate::check::Context;

pub(super) const RULE: Rule = Rule {
    id: "RG-102",
    title: "the old key can no longer decrypt the bundle",
    needs_keys: false,
    integrity: false,
    run,
};

fn run(cx: &Context) -> Outcome {
    let Some(old) = &cx.old_identities else {
        if cx
            .entry()
            .is_some_and(|e| e.execution.kind == Kind::Emergency)
        {
            return Outcome::skip(
                "emergency rotation: pass --old-identity with the compromised key to prove it can no longer decrypt",
            );
        }
        return Outcome::skip("no --old-identity given");
    };
    if let Some(skip) = unless_rotation(cx) {
        return skip;
    }
    if cx.base.data_key(old).is_err() {
        return Outcome::fail(
            "the --old-identity key cannot decrypt the base bundle either: it is not the replaced key, so this proves nothing",
        );
    }
    match cx.new.data_key(old) {
        Ok(_) => {
            let mine = old.recipients();
            let still: Vec<String> = cx
                .new
                .recipients()
                .into_iter()
                .filter(|r| mine.contains(r))
                .collect();
            Outcome::fail_with(
                "the old key can still decrypt the new bundle",
                still
                    .into_iter()
                    .map(|r| format!("still a recipient: {r}"))
                    .collect(),
            )
        }
        Err(BundleError::NoMatchingIdentity { .. } | BundleError::NoIdentities { .. }) => {
            Outcome::pass("the old key opens the base bundle but not the new one")
        }
        Err(e) => Outcome::fail(e.to_string().lines().next().unwrap_or_default().to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testutil::*;

    #[test]
    fn passes_when_the_old_key_is_gone() {
        let repo = rotated(&Rotation::emergency());
        let outcome = outcome_with(&repo, "RG-102", |o| {
            o.old_identities = vec![repo.old_identity()];
        });
        assert_eq!(
            pass(&outcome),
            "the old key opens the base bundle but not the new one"
        );
    }

    #[test]
    fn fails_when_the_old_key_is_still_a_recipient() {
        let repo = rotated(&Rotation {
            keep_old_recipient: true,
            ..Rotation::emergency()
        });
        let outcome = outcome_with(&repo, "RG-102", |o| {
            o.old_identities = vec![repo.old_identity()];
        });
        assert_eq!(
            fail(&outcome),
            "the old key can still decrypt the new bundle"
        );
        assert_eq!(
            outcome.details,
            [format!("still a recipient: {}", repo.old_key.recipient())]
        );
    }

    #[test]
    fn fails_with_a_key_that_never_opened_the_base_and_reminds_in_an_emergency() {
        let repo = rotated(&Rotation::emergency());
        let wrong = outcome_with(&repo, "RG-102", |o| {
            o.old_identities = vec![repo.new_identity()];
        });
        assert!(
            fail(&wrong)
                .starts_with("the --old-identity key cannot decrypt the base bundle either")
        );
        assert!(
            skip(&outcome(&repo, "RG-102")).starts_with("emergency rotation: pass --old-identity")
        );
    }
}
