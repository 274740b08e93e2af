//! HYG-003: CODEOWNERS assigns owners to the bundle, `.sops.yaml`, the workflows, the
//! gitleaks config and the evidence directory.
//!
//! Anyone holding the public key can write a whole new bundle; required review by the owners
//! of these paths is what stops it. The file is looked for where GitHub looks
//! (`.github/`, root, `docs/`); the last matching pattern wins and a pattern without owners
//! removes ownership, as on GitHub.

use bundle_core::ops::report::Severity;
use ignore::gitignore::GitignoreBuilder;

use super::{Control, Outcome, at};
use crate::context::Context;

pub(super) const CONTROL: Control = Control {
    id: "HYG-003",
    title: "CODEOWNERS covers the sensitive paths",
    severity: Severity::Medium,
    run,
};

const LOCATIONS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

/// The owners of `path`: those of the last matching line.
fn owners<'a>(
    cx: &Context,
    lines: &'a [(usize, String, Vec<String>)],
    path: &str,
) -> Option<&'a (usize, String, Vec<String>)> {
    lines.iter().rev().find(|(_, pattern, _)| {
        let mut builder = GitignoreBuilder::new(&cx.root);
        builder.add_line(None, pattern).is_ok()
            && builder
                .build()
                .is_ok_and(|g| g.matched_path_or_any_parents(path, false).is_ignore())
    })
}

fn run(cx: &Context) -> Outcome {
    let Some((file, text)) = LOCATIONS
        .iter()
        .find_map(|f| cx.read(f).ok().flatten().map(|t| (*f, t)))
    else {
        return Outcome::fail(
            "no CODEOWNERS file",
            vec![at(".github/CODEOWNERS", None, "no CODEOWNERS file")],
        );
    };
    let lines: Vec<(usize, String, Vec<String>)> = text
        .lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let l = l.split('#').next().unwrap_or_default().trim();
            let mut parts = l.split_whitespace();
            let pattern = parts.next()?.to_owned();
            Some((i + 1, pattern, parts.map(str::to_owned).collect()))
        })
        .collect();
    let must = &cx.policy.hygiene.codeowners_must_cover;
    let findings = must
        .iter()
        .filter_map(|path| match owners(cx, &lines, path) {
            Some((_, _, o)) if !o.is_empty() => None,
            Some((line, pattern, _)) => Some(at(
                file,
                Some(*line),
                format!("`{path}` is left without owners by `{pattern}`"),
            )),
            None => Some(at(
                file,
                None,
                format!("no CODEOWNERS pattern covers `{path}`"),
            )),
        })
        .collect();
    Outcome::from_findings(
        findings,
        format!("{file} assigns owners to {} sensitive path(s)", must.len()),
    )
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass, line_of};

    const FILE: &str = ".github/CODEOWNERS";

    #[test]
    fn passes_when_every_path_has_owners() {
        assert_eq!(
            assert_pass(&Repo::compliant().run("HYG-003")),
            format!("{FILE} assigns owners to 5 sensitive path(s)")
        );
    }

    #[test]
    fn fails_on_an_uncovered_or_unowned_path() {
        let repo = Repo::compliant();
        repo.edit(FILE, "*                        @exemplo/engenharia\n", "");
        repo.edit(FILE, "/.sops.yaml              @exemplo/secops\n", "");
        let outcome = repo.run("HYG-003");
        assert_fail_at(&outcome, FILE, None);
        assert_eq!(outcome.message, "no CODEOWNERS pattern covers `.sops.yaml`");
        repo.write(
            FILE,
            &format!("{}/docs/evidence/TASK-OPS-302/README.md\n", repo.read(FILE)),
        );
        let outcome = repo.run("HYG-003");
        assert_fail_at(
            &outcome,
            FILE,
            line_of(&repo, FILE, "/docs/evidence/TASK-OPS-302/README.md"),
        );
    }
}
