//! SCAN-003: a gitleaks rule catches age plugin identities (`AGE-PLUGIN-…`).
//!
//! Plugin identities (hardware tokens and the like) are secret too and unknown to the
//! default rules. Proven by running the configured rules on a synthetic identity.

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at};
use crate::context::Context;
use crate::scanning;

pub(super) const CONTROL: Control = Control {
    id: "SCAN-003",
    title: "gitleaks catches age plugin identities",
    severity: Severity::High,
    run,
};

/// Passes when some rule reports `sample` in an ordinary source file.
pub(super) fn run_sample(cx: &Context, sample: &str, what: &str) -> Outcome {
    let path = &cx.policy.scanning.gitleaks_config;
    let Ok(g) = cx.gitleaks() else {
        return Outcome::skip(format!("{path} cannot be used (see SCAN-001)"));
    };
    let line = format!("identity = \"{sample}\"");
    if let Some(rule) = g.rules_catching_content(&line, "src/config.txt").first() {
        Outcome::pass(format!("rule `{}` catches {what}", rule.id))
    } else {
        let note = format!("no rule of {path} catches {what}");
        Outcome::fail(note.clone(), vec![at(path, None, note)])
    }
}

fn run(cx: &Context) -> Outcome {
    run_sample(
        cx,
        &scanning::sample_plugin_identity(),
        "an age plugin identity (AGE-PLUGIN-...)",
    )
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass};

    const CFG: &str = "config/gitleaks.toml";

    #[test]
    fn passes_with_a_plugin_rule() {
        assert_eq!(
            assert_pass(&Repo::compliant().run("SCAN-003")),
            "rule `age-plugin-identity` catches an age plugin identity (AGE-PLUGIN-...)"
        );
    }

    #[test]
    fn fails_when_the_keyword_filter_excludes_it() {
        let repo = Repo::compliant();
        repo.edit(
            CFG,
            "keywords = [\"age-plugin-\"]",
            "keywords = [\"age-plugin-x-\"]",
        );
        let outcome = repo.run("SCAN-003");
        assert_fail_at(&outcome, CFG, None);
        assert_eq!(
            outcome.message,
            format!("no rule of {CFG} catches an age plugin identity (AGE-PLUGIN-...)")
        );
    }
}
