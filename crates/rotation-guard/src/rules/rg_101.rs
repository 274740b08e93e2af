//! RG-101: the new bundle decrypts with the given key and its MAC verifies.
//!
//! Proves the bundle is whole (no value edited, added, removed or reordered outside sops,
//! `lastmodified` untouched) and readable by the key that will be distributed. A failure is
//! a key or integrity error (exit code 3). The message says whether the key that opened it
//! is new in this rotation.

use std::collections::BTreeSet;

use super::{Outcome, Rule};
use crate::check::Context;

pub(super) const RULE: Rule = Rule {
    id: "RG-101",
    title: "the MAC verifies with the new key",
    needs_keys: true,
    integrity: true,
    run,
};

fn run(cx: &Context) -> Outcome {
    let Some(identities) = &cx.identities else {
        return Outcome::skip("no key given");
    };
    match cx.new.decrypt(identities) {
        Ok(_) => {
            let mine: BTreeSet<String> = identities.recipients().into_iter().collect();
            let base: BTreeSet<String> = cx.base.recipients().into_iter().collect();
            let opened: Vec<String> = cx
                .new
                .recipients()
                .into_iter()
                .filter(|r| mine.contains(r))
                .collect();
            let new = opened.iter().any(|r| !base.contains(r));
            Outcome::pass(format!(
                "decrypted and MAC verified with {} key {}",
                if new { "the new" } else { "an existing" },
                opened.first().map_or("", String::as_str)
            ))
        }
        Err(e) => Outcome::fail(e.to_string().lines().next().unwrap_or_default().to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use crate::keys::KeySource;
    use crate::rules::testutil::*;

    #[test]
    fn passes_with_the_new_key() {
        let repo = rotated(&Rotation::scheduled());
        let outcome = outcome_with(&repo, "RG-101", |o| {
            o.keys = KeySource::Files(vec![repo.new_identity()]);
        });
        assert_eq!(
            pass(&outcome),
            format!(
                "decrypted and MAC verified with the new key {}",
                repo.new_key.recipient()
            )
        );
    }

    #[test]
    fn fails_on_a_tampered_value_and_with_a_wrong_key() {
        let repo = rotated(&Rotation::scheduled());
        let text = repo.read(BUNDLE);
        let start = text.find("password: ENC[AES256_GCM,data:").unwrap()
            + "password: ENC[AES256_GCM,data:".len();
        let flipped = if &text[start..=start] == "A" {
            "B"
        } else {
            "A"
        };
        repo.write(
            BUNDLE,
            &format!("{}{flipped}{}", &text[..start], &text[start + 1..]),
        );
        let outcome = outcome_with(&repo, "RG-101", |o| {
            o.keys = KeySource::Files(vec![repo.new_identity()]);
        });
        assert!(fail(&outcome).contains("integrity error"), "{outcome:?}");

        let repo = rotated(&Rotation::scheduled());
        let outcome = outcome_with(&repo, "RG-101", |o| {
            o.keys = KeySource::Files(vec![repo.old_identity()]);
        });
        assert!(
            fail(&outcome).contains("no identity matches any recipient"),
            "{outcome:?}"
        );
    }
}
