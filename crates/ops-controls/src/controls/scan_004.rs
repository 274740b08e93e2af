//! SCAN-004: gitleaks flags a plaintext bundle, `console-secrets.json` or `.env` left in the
//! tree, and does not flag the encrypted bundle.
//!
//! A decrypted copy holds every secret in the clear, and secrets-sync writes exactly these
//! files; gitleaks' defaults look at contents, not names, and miss values without a known
//! pattern. Path-only rules close that gap. Each policy sample path must be flagged by some
//! path rule (and not be hidden by the global allowlist); the encrypted bundle must not be
//! flagged, or the `security` job could never pass.

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at};
use crate::context::Context;

pub(super) const CONTROL: Control = Control {
    id: "SCAN-004",
    title: "gitleaks flags decrypted bundles and secrets-sync outputs",
    severity: Severity::High,
    run,
};

fn run(cx: &Context) -> Outcome {
    let path = &cx.policy.scanning.gitleaks_config;
    let Ok(g) = cx.gitleaks() else {
        return Outcome::skip(format!("{path} cannot be used (see SCAN-001)"));
    };
    let scanning = &cx.policy.scanning;
    let mut findings = Vec::new();
    for sample in &scanning.flagged_paths {
        let flagged = !g.allowlisted(sample) && g.rules.iter().any(|r| r.catches_path(sample));
        if !flagged {
            findings.push(at(path, None, format!("no path rule flags `{sample}`")));
        }
    }
    for sample in &scanning.unflagged_paths {
        if let Some(rule) = g.rules.iter().find(|r| r.catches_path(sample)) {
            findings.push(at(
                path,
                Some(rule.line),
                format!(
                    "rule `{}` flags `{sample}`, which is expected in the tree",
                    rule.id
                ),
            ));
        }
    }
    Outcome::from_findings(
        findings,
        format!(
            "{} plaintext path(s) flagged, encrypted bundle not flagged",
            scanning.flagged_paths.len()
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass, line_of};

    const CFG: &str = "config/gitleaks.toml";

    #[test]
    fn passes_with_path_rules() {
        assert_eq!(
            assert_pass(&Repo::compliant().run("SCAN-004")),
            "6 plaintext path(s) flagged, encrypted bundle not flagged"
        );
    }

    #[test]
    fn fails_without_a_console_secrets_rule() {
        let repo = Repo::compliant();
        repo.edit(
            CFG,
            r"path = '''(^|/)console-secrets\.json$'''",
            r"path = '''(^|/)console\.json$'''",
        );
        repo.edit(
            CFG,
            r"path = '''(^|/)[^/]*secrets(\.dec)?\.(ya?ml|json)$'''",
            r"path = '''(^|/)[^/]*secrets(\.dec)?\.ya?ml$'''",
        );
        let outcome = repo.run("SCAN-004");
        assert_eq!(
            outcome.message,
            "2 findings; first: no path rule flags `.mcp/console-secrets.json`"
        );
    }

    #[test]
    fn fails_when_the_encrypted_bundle_is_flagged() {
        let repo = Repo::compliant();
        repo.edit(
            CFG,
            r"path = '''(^|/)\.env$'''",
            r"path = '''(^|/)(\.env|secrets\.enc\.yaml)$'''",
        );
        let outcome = repo.run("SCAN-004");
        assert_fail_at(&outcome, CFG, line_of(&repo, CFG, "id = \"dotenv-file\""));
    }
}
