//! BUNDLE-005: the bundle's recipients equal those of its `.sops.yaml` creation rule.
//!
//! `.sops.yaml` is the reviewed statement of who can read the secrets; a bundle encrypted to
//! an extra recipient (an old key never removed, a stranger's key) or missing one (a rotation
//! that did not run `updatekeys`) disagrees with it. Compared as sets over all key groups;
//! the rule is the one sops would use (the first match).

use std::collections::BTreeSet;

use bundle_core::config::SopsConfig;
use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at, with_bundle};
use crate::context::Context;

pub(super) const CONTROL: Control = Control {
    id: "BUNDLE-005",
    title: "Recipients equal the .sops.yaml creation rule",
    severity: Severity::High,
    run,
};

/// Loads the repository's `.sops.yaml`, or a failing outcome saying why it cannot be used.
pub(super) fn load_config(cx: &Context) -> Result<SopsConfig, Outcome> {
    let rel = &cx.policy.bundle.sops_config;
    if !cx.exists(rel) {
        let note = format!("{rel} is missing: the bundle has no reviewed recipient list");
        return Err(Outcome::fail(note.clone(), vec![at(rel, None, note)]));
    }
    SopsConfig::load(&cx.path(rel)).map_err(|e| {
        let note = format!(
            "{rel} cannot be used: {}",
            e.to_string().lines().next().unwrap_or_default()
        );
        Outcome::fail(note.clone(), vec![at(rel, None, note)])
    })
}

fn line_containing(text: &str, needle: &str) -> Option<usize> {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1)
}

fn run(cx: &Context) -> Outcome {
    with_bundle(cx, |view| {
        let config = match load_config(cx) {
            Ok(config) => config,
            Err(outcome) => return outcome,
        };
        let rel = &cx.policy.bundle.sops_config;
        let rule = match config.rule_for(&cx.path(&view.path)) {
            Ok(rule) => rule,
            Err(e) => {
                let note = format!(
                    "{rel}: {}",
                    e.to_string().lines().next().unwrap_or_default()
                );
                return Outcome::fail(note.clone(), vec![at(rel, None, note)]);
            }
        };
        let expected: BTreeSet<&str> = rule.recipients().collect();
        let actual: BTreeSet<&str> = view.recipients.iter().map(String::as_str).collect();
        let config_text = cx.read(rel).ok().flatten().unwrap_or_default();
        let mut findings = Vec::new();
        for extra in actual.difference(&expected) {
            findings.push(at(
                &view.path,
                line_containing(&view.text, extra),
                format!("bundle is encrypted to {extra}, which the creation rule does not list"),
            ));
        }
        for missing in expected.difference(&actual) {
            findings.push(at(rel, line_containing(&config_text, missing), format!("creation rule lists {missing}, but the bundle is not encrypted to it (run updatekeys)")));
        }
        Outcome::from_findings(
            findings,
            format!(
                "bundle recipients equal the creation rule ({} recipient(s))",
                expected.len()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass, line_of};

    const BOB: &str = "age1lwfgmzxy5f6kr8gqtga0q82rpfvzzvjp43ee0lwyyv6ec8k8gfcszdlxuy";

    #[test]
    fn passes_when_recipients_match() {
        assert_eq!(
            assert_pass(&Repo::compliant().run("BUNDLE-005")),
            "bundle recipients equal the creation rule (1 recipient(s))"
        );
    }

    #[test]
    fn fails_on_an_extra_recipient_in_the_bundle() {
        let repo = Repo::compliant();
        repo.use_bundle("two-recipients.enc.yaml");
        let outcome = repo.run("BUNDLE-005");
        assert_fail_at(
            &outcome,
            "config/secrets.enc.yaml",
            line_of(&repo, "config/secrets.enc.yaml", BOB),
        );
        assert_eq!(
            outcome.message,
            format!("bundle is encrypted to {BOB}, which the creation rule does not list")
        );
    }

    #[test]
    fn fails_on_a_recipient_missing_from_the_bundle() {
        let repo = Repo::compliant();
        repo.edit(
            ".sops.yaml",
            "    age: age1ps335",
            &format!("    age: {BOB},age1ps335"),
        );
        let outcome = repo.run("BUNDLE-005");
        assert_fail_at(&outcome, ".sops.yaml", Some(4));
    }

    #[test]
    fn fails_without_a_sops_config() {
        let repo = Repo::compliant();
        repo.remove(".sops.yaml");
        assert_fail_at(&repo.run("BUNDLE-005"), ".sops.yaml", None);
    }
}
