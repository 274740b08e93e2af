//! Test support: a compliant repository in a temp dir that each test breaks in one place.

use std::path::{Path, PathBuf};

use bundle_core::ops::report::{Location, Status};
use test_support::fixture;

use crate::context::Context;
use crate::controls::{Outcome, all};
use crate::policy::{Policy, Profile};

/// The fixture repository every control passes on.
pub(crate) fn compliant_source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/repos/compliant")
}

/// A bundle fixture made by the real sops 3.11.
pub(crate) fn bundle_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bundles")
        .join(name)
}

/// `lastmodified` of the bundle fixtures is 2026-11-29; "now" in tests is a day later.
pub(crate) const NOW: i64 = 1_796_017_271;

/// [`NOW`] as a time.
pub(crate) fn now() -> bundle_core::time::Timestamp {
    bundle_core::time::Timestamp::from_unix(NOW).expect("NOW is within 0000-9999")
}

pub(crate) struct Repo {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) policy: Policy,
}

impl Repo {
    /// A fresh copy of the compliant fixture with the built-in policy under `profile: mcp`
    /// (the fixture follows the MCP runbook, so every check applies).
    pub(crate) fn compliant() -> Repo {
        Repo {
            dir: fixture::temp_copy(&compliant_source()),
            policy: Policy {
                profile: Profile::Mcp,
                ..Policy::default()
            },
        }
    }

    pub(crate) fn root(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn write(&self, rel: &str, text: &str) -> &Self {
        fixture::write(self.root(), rel, text);
        self
    }

    pub(crate) fn read(&self, rel: &str) -> String {
        fixture::read(self.root(), rel)
    }

    /// Replaces `from` by `to` in a file, failing the test if `from` is absent.
    pub(crate) fn edit(&self, rel: &str, from: &str, to: &str) -> &Self {
        let text = self.read(rel);
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        self.write(rel, &text.replacen(from, to, 1))
    }

    pub(crate) fn remove(&self, rel: &str) -> &Self {
        let path = self.root().join(rel);
        if path.is_dir() {
            fs_err::remove_dir_all(path).unwrap();
        } else {
            fs_err::remove_file(path).unwrap();
        }
        self
    }

    pub(crate) fn use_bundle(&self, fixture: &str) -> &Self {
        fs_err::copy(
            bundle_fixture(fixture),
            self.root().join("config/secrets.enc.yaml"),
        )
        .unwrap();
        self
    }

    pub(crate) fn context(&self) -> Context {
        Context::new(self.root().to_owned(), self.policy.clone(), now())
    }

    /// Runs one control as `generate` does (policy overrides and profile applied).
    pub(crate) fn run(&self, id: &str) -> Outcome {
        let control = all().iter().find(|c| c.id == id).expect("known id");
        crate::controls::evaluate(control, &self.context())
    }
}

/// Asserts a pass and returns the message.
pub(crate) fn assert_pass(outcome: &Outcome) -> &str {
    assert_eq!(outcome.status, Status::Pass, "expected pass: {outcome:#?}");
    &outcome.message
}

/// Asserts a failure with a location in `file` at `line` and returns the locations.
pub(crate) fn assert_fail_at<'a>(
    outcome: &'a Outcome,
    file: &str,
    line: Option<usize>,
) -> &'a [Location] {
    assert_eq!(outcome.status, Status::Fail, "expected fail: {outcome:#?}");
    assert!(
        outcome
            .locations
            .iter()
            .any(|l| l.file == file && l.line == line),
        "expected a location {file}:{line:?} in {outcome:#?}"
    );
    &outcome.locations
}

/// The line of the first occurrence of `needle` in a fixture file.
pub(crate) fn line_of(repo: &Repo, rel: &str, needle: &str) -> Option<usize> {
    repo.read(rel)
        .lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
}

#[test]
fn every_control_passes_or_skips_on_the_compliant_fixture() {
    let repo = Repo::compliant();
    let cx = repo.context();
    for control in all() {
        let outcome = (control.run)(&cx);
        assert_eq!(
            outcome.status,
            Status::Pass,
            "{} on the compliant fixture: {outcome:#?}",
            control.id
        );
    }
}

/// The text of a composite action (`runs.using: composite`) with these steps (indented four
/// spaces, the first on line 5).
pub(crate) fn composite_action(steps: &str) -> String {
    format!("name: local\nruns:\n  using: composite\n  steps:\n{steps}")
}
