//! BUNDLE-006: exactly one `.sops.yaml` creation rule matches the bundle.
//!
//! sops uses the first matching rule; when several match, reordering the file silently
//! changes who can read the next version of the bundle, and reviewers reading a later rule
//! are misled. None matching means sops cannot re-encrypt the bundle at all.

use bundle_core::ops::report::Severity;

use super::bundle_005::load_config;
use super::{Control, Outcome, at, with_bundle};
use crate::context::Context;

pub(super) const CONTROL: Control = Control {
    id: "BUNDLE-006",
    title: "Exactly one creation rule matches the bundle",
    severity: Severity::Medium,
    run,
};

fn run(cx: &Context) -> Outcome {
    with_bundle(cx, |view| {
        let config = match load_config(cx) {
            Ok(config) => config,
            Err(outcome) => return outcome,
        };
        let rel = &cx.policy.bundle.sops_config;
        let matching = config.matching_rules(&cx.path(&view.path));
        match matching.as_slice() {
            [one] => Outcome::pass(format!(
                "creation rule #{one} of {rel} is the only one matching {}",
                view.path
            )),
            [] => {
                let note = format!("no creation rule of {rel} matches {}", view.path);
                Outcome::fail(note.clone(), vec![at(rel, None, note)])
            }
            many => {
                let list = many
                    .iter()
                    .map(|i| format!("#{i}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let note = format!(
                    "{} creation rules of {rel} match {} ({list}); sops uses the first",
                    many.len(),
                    view.path
                );
                Outcome::fail(note.clone(), vec![at(rel, None, note)])
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use bundle_core::ops::report::Status;

    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass};

    #[test]
    fn passes_with_one_matching_rule() {
        assert_eq!(
            assert_pass(&Repo::compliant().run("BUNDLE-006")),
            "creation rule #0 of .sops.yaml is the only one matching config/secrets.enc.yaml"
        );
    }

    #[test]
    fn fails_with_two_or_zero_matching_rules() {
        let repo = Repo::compliant();
        let text = repo.read(".sops.yaml");
        repo.write(
            ".sops.yaml",
            &format!(
                "{text}  - age: age1ps335dvugrdjvdk7p6kzlhkzeze77p07w9exxz9em8mpkheehuwqs76e5w\n"
            ),
        );
        let outcome = repo.run("BUNDLE-006");
        assert_fail_at(&outcome, ".sops.yaml", None);
        assert_eq!(
            outcome.message,
            "2 creation rules of .sops.yaml match config/secrets.enc.yaml (#0, #1); sops uses the first"
        );
        repo.write(
            ".sops.yaml",
            &text.replace("config/secrets", "other/secrets"),
        );
        assert_eq!(repo.run("BUNDLE-006").status, Status::Fail);
    }
}
