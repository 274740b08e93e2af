//! HYG-001: the root `.gitignore` ignores decrypted outputs and key files.
//!
//! secrets-sync, `sops -d` and `age-keygen` write files that must never be committed; the
//! ignore rules are the first guard. Each policy sample path must be ignored, using git's
//! own matching rules (negations and anchoring included).

use bundle_core::ops::report::Severity;
use ignore::gitignore::GitignoreBuilder;

use super::{Control, Outcome, at};
use crate::context::Context;

pub(super) const CONTROL: Control = Control {
    id: "HYG-001",
    title: ".gitignore covers decrypted outputs and key files",
    severity: Severity::High,
    run,
};

fn run(cx: &Context) -> Outcome {
    let text = match cx.read(".gitignore") {
        Ok(Some(text)) => text,
        Ok(None) => {
            return Outcome::fail(
                ".gitignore is missing",
                vec![at(".gitignore", None, ".gitignore is missing")],
            );
        }
        Err(e) => return Outcome::fail(format!("cannot read .gitignore: {}", e.0), vec![]),
    };
    let mut builder = GitignoreBuilder::new(&cx.root);
    for line in text.lines() {
        // A malformed line is ignored by git as well.
        let _ = builder.add_line(None, line);
    }
    let Ok(gitignore) = builder.build() else {
        return Outcome::fail("cannot evaluate .gitignore", vec![]);
    };
    let findings = cx
        .policy
        .hygiene
        .must_ignore
        .iter()
        .filter(|sample| {
            !gitignore
                .matched_path_or_any_parents(sample.as_str(), false)
                .is_ignore()
        })
        .map(|sample| {
            at(
                ".gitignore",
                None,
                format!(".gitignore does not ignore `{sample}`"),
            )
        })
        .collect();
    Outcome::from_findings(
        findings,
        format!(
            "{} sample path(s) ignored",
            cx.policy.hygiene.must_ignore.len()
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass};

    #[test]
    fn passes_when_samples_are_ignored() {
        assert_eq!(
            assert_pass(&Repo::compliant().run("HYG-001")),
            "7 sample path(s) ignored"
        );
    }

    #[test]
    fn fails_when_a_sample_is_not_ignored() {
        let repo = Repo::compliant();
        repo.edit(".gitignore", "keys.txt\n", "");
        let outcome = repo.run("HYG-001");
        assert_fail_at(&outcome, ".gitignore", None);
        assert_eq!(outcome.message, ".gitignore does not ignore `keys.txt`");
        repo.edit(".gitignore", ".env\n", ".env\n!.env\nkeys.txt\n");
        assert_eq!(
            repo.run("HYG-001").message,
            ".gitignore does not ignore `.env`"
        );
    }
}
