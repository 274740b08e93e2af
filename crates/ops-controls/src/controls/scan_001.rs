//! SCAN-001: the gitleaks configuration parses and extends gitleaks' default rules.
//!
//! A custom `--config` replaces the built-in rules unless it says `[extend] useDefault =
//! true`; without it the `security` job would only look for the few custom patterns.

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at};
use crate::context::Context;

pub(super) const CONTROL: Control = Control {
    id: "SCAN-001",
    title: "gitleaks config parses and extends the default rules",
    severity: Severity::High,
    run,
};

fn run(cx: &Context) -> Outcome {
    let path = &cx.policy.scanning.gitleaks_config;
    match cx.gitleaks() {
        Err((line, message)) => {
            let note = format!("{path}: {message}");
            Outcome::fail(note.clone(), vec![at(path, Some(*line), note)])
        }
        Ok(g) if !g.use_default => {
            let note =
                format!("{path} does not extend the default rules (`[extend] useDefault = true`)");
            Outcome::fail(
                note.clone(),
                vec![at(path, g.extend_line.or(Some(1)), note)],
            )
        }
        Ok(g) => {
            let broken: Vec<_> = g
                .rules
                .iter()
                .filter(|r| {
                    matches!(r.regex, Some(Err(_)))
                        || matches!(r.path, Some(Err(_)))
                        || (r.regex.is_none() && r.path.is_none())
                })
                .map(|r| {
                    at(
                        path,
                        Some(r.line),
                        format!("rule `{}` has an invalid or missing regex/path", r.id),
                    )
                })
                .collect();
            Outcome::from_findings(
                broken,
                format!(
                    "{path} extends the defaults and adds {} rule(s)",
                    g.rules.len()
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass};

    const CFG: &str = "config/gitleaks.toml";

    #[test]
    fn passes_on_the_fixture_config() {
        assert_eq!(
            assert_pass(&Repo::compliant().run("SCAN-001")),
            format!("{CFG} extends the defaults and adds 5 rule(s)")
        );
    }

    #[test]
    fn fails_without_use_default() {
        let repo = Repo::compliant();
        repo.edit(CFG, "useDefault = true", "useDefault = false");
        assert_fail_at(&repo.run("SCAN-001"), CFG, Some(3));
    }

    #[test]
    fn fails_on_a_syntax_error_or_missing_file() {
        let repo = Repo::compliant();
        repo.edit(CFG, "[extend]\n", "[extend\n");
        assert_fail_at(&repo.run("SCAN-001"), CFG, Some(3));
        repo.remove(CFG);
        assert_eq!(
            repo.run("SCAN-001").message,
            format!("{CFG}: {CFG} does not exist")
        );
    }
}
