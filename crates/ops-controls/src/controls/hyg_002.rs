//! HYG-002: no decrypted output or key file is in the repository.
//!
//! Looks at what is (or would be) committed: tracked plus untracked-not-ignored files in a
//! git work tree, else every file the `.gitignore` files do not exclude. Forbidden names
//! come from the policy (`.gitignore` syntax); `allow` exempts test fixtures.

use bundle_core::ops::report::Severity;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use super::{Control, Outcome, at};
use crate::context::Context;

pub(super) const CONTROL: Control = Control {
    id: "HYG-002",
    title: "No decrypted output or key file in the repository",
    severity: Severity::Critical,
    run,
};

fn matcher(cx: &Context, patterns: &[String]) -> Option<Gitignore> {
    let mut builder = GitignoreBuilder::new(&cx.root);
    for p in patterns {
        builder.add_line(None, p).ok()?;
    }
    builder.build().ok()
}

fn run(cx: &Context) -> Outcome {
    let hygiene = &cx.policy.hygiene;
    let (Some(forbidden), Some(allow)) =
        (matcher(cx, &hygiene.forbidden), matcher(cx, &hygiene.allow))
    else {
        return Outcome::fail(
            "invalid pattern in hygiene.forbidden or hygiene.allow",
            vec![],
        );
    };
    let files = match cx.files() {
        Ok(files) => files,
        Err(e) => return Outcome::fail(format!("cannot list the repository's files: {e}"), vec![]),
    };
    let findings = files
        .iter()
        .filter(|f| {
            forbidden
                .matched_path_or_any_parents(f.as_str(), false)
                .is_ignore()
        })
        .filter(|f| {
            !allow
                .matched_path_or_any_parents(f.as_str(), false)
                .is_ignore()
        })
        .map(|f| {
            at(
                f,
                None,
                format!(
                    "`{f}` is a decrypted output or key file and must not be in the repository"
                ),
            )
        })
        .collect();
    Outcome::from_findings(
        findings,
        format!(
            "none of {} file(s) is a decrypted output or key file",
            files.len()
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass};

    #[test]
    fn passes_on_a_clean_tree() {
        assert_eq!(
            assert_pass(&Repo::compliant().run("HYG-002")),
            "none of 14 file(s) is a decrypted output or key file"
        );
    }

    #[test]
    fn fails_on_a_key_file_that_is_not_ignored() {
        let repo = Repo::compliant();
        repo.edit(".gitignore", "*.agekey\n", "");
        repo.write("ops/identity.agekey", "placeholder\n");
        assert_fail_at(&repo.run("HYG-002"), "ops/identity.agekey", None);
    }

    #[test]
    fn allow_exempts_fixtures() {
        let mut repo = Repo::compliant();
        repo.edit(".gitignore", "console-secrets.json\n", "");
        repo.write("tests/fixtures/console-secrets.json", "{}\n");
        assert_eq!(repo.run("HYG-002").locations.len(), 1);
        repo.policy.hygiene.allow = vec!["tests/fixtures/**".to_owned()];
        assert_pass(&repo.run("HYG-002"));
    }
}
