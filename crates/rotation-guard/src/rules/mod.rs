//! The rules of `check`: one module per rule, each with a stable id (`RG-001`, ...).
//!
//! A rule is a pure function of the [`Context`] returning an [`Outcome`]. Ids never change
//! meaning once published (CI logs and reports refer to them); a retired rule keeps its id
//! reserved. `RG-0xx` rules need no key; `RG-1xx` rules need one. The registry below is
//! sorted by id and the README's rule table lists the same rules.

use crate::check::Context;

mod rg_001;
mod rg_002;
mod rg_003;
mod rg_004;

pub(crate) use rg_004::enc_strings;
mod rg_005;
mod rg_006;
mod rg_007;
mod rg_008;
mod rg_009;
mod rg_010;
mod rg_011;
mod rg_012;
mod rg_013;
mod rg_014;
mod rg_015;
mod rg_016;
mod rg_017;
mod rg_018;
mod rg_101;
mod rg_102;

/// The result of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The rule holds.
    Pass,
    /// The rule is broken: the rotation is rejected.
    Fail,
    /// The rule does not apply (not a rotation, no key given, ...).
    Skip,
}

impl Status {
    /// Upper-case label for text output.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Fail => "FAIL",
            Self::Skip => "SKIP",
        }
    }
}

/// A rule's definition.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Stable id.
    pub id: &'static str,
    /// What must hold, in a few words.
    pub title: &'static str,
    /// Needs the key of the new bundle (`--identity` or the key environment).
    pub needs_keys: bool,
    /// A failure is a key or integrity error (exit code 3) rather than a rejected rotation (1).
    pub integrity: bool,
    pub(crate) run: fn(&Context) -> Outcome,
}

/// What a rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Pass, fail or skip.
    pub status: Status,
    /// One line saying why.
    pub message: String,
    /// One line per offending item (key paths, files, recipients), never a secret value.
    pub details: Vec<String>,
}

impl Outcome {
    pub(crate) fn pass(message: impl Into<String>) -> Self {
        Self {
            status: Status::Pass,
            message: message.into(),
            details: Vec::new(),
        }
    }

    pub(crate) fn skip(message: impl Into<String>) -> Self {
        Self {
            status: Status::Skip,
            message: message.into(),
            details: Vec::new(),
        }
    }

    pub(crate) fn fail(message: impl Into<String>) -> Self {
        Self {
            status: Status::Fail,
            message: message.into(),
            details: Vec::new(),
        }
    }

    pub(crate) fn fail_with(message: impl Into<String>, details: Vec<String>) -> Self {
        Self {
            status: Status::Fail,
            message: message.into(),
            details,
        }
    }
}

/// The skip outcome of rules that only apply to a rotation, or `None` when this is one.
pub(crate) fn unless_rotation(cx: &Context) -> Option<Outcome> {
    if cx.is_rotation() {
        return None;
    }
    let version = cx
        .new_version()
        .map_or_else(|_| "unreadable".to_owned(), |v| v.to_string());
    Some(Outcome::skip(format!(
        "not a rotation: MCP_SECRETS_VERSION is unchanged ({version})"
    )))
}

/// Every rule, sorted by id.
pub fn all() -> &'static [Rule] {
    static ALL: [Rule; 20] = [
        rg_001::RULE,
        rg_002::RULE,
        rg_003::RULE,
        rg_004::RULE,
        rg_005::RULE,
        rg_006::RULE,
        rg_007::RULE,
        rg_008::RULE,
        rg_009::RULE,
        rg_010::RULE,
        rg_011::RULE,
        rg_012::RULE,
        rg_013::RULE,
        rg_014::RULE,
        rg_015::RULE,
        rg_016::RULE,
        rg_017::RULE,
        rg_018::RULE,
        rg_101::RULE,
        rg_102::RULE,
    ];
    &ALL
}

/// The rule with this id.
pub fn by_id(id: &str) -> Option<&'static Rule> {
    all().iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sorted_unique_and_keyed_by_family() {
        let ids: Vec<&str> = all().iter().map(|r| r.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted);
        for rule in all() {
            assert_eq!(
                rule.needs_keys,
                rule.id.starts_with("RG-1") && rule.id != "RG-102",
                "{}",
                rule.id
            );
        }
    }

    #[test]
    fn readme_lists_every_rule() {
        let readme =
            fs_err::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        for rule in all() {
            let row = format!("| {} | {} |", rule.id, rule.title);
            assert!(readme.contains(&row), "README.md has no row `{row}`");
        }
    }
}

/// Helpers for the rules' unit tests.
#[cfg(test)]
pub(crate) mod testutil {
    pub(crate) use crate::testkit::*;

    use super::{Outcome, Status, by_id};
    use crate::check::{CheckOptions, context};

    /// Runs one rule on the repository against `HEAD`.
    pub(crate) fn outcome(repo: &Repo, id: &str) -> Outcome {
        outcome_with(repo, id, |_| {})
    }

    /// Runs one rule with adjusted options.
    pub(crate) fn outcome_with(
        repo: &Repo,
        id: &str,
        adjust: impl FnOnce(&mut CheckOptions),
    ) -> Outcome {
        let mut options = CheckOptions::new(repo.root().to_owned(), "HEAD");
        adjust(&mut options);
        let cx = context(&options).unwrap();
        let outcome = (by_id(id).unwrap().run)(&cx);
        let text = format!("{outcome:?}");
        for canary in CANARIES {
            assert!(!text.contains(canary), "{id} printed a secret value");
        }
        outcome
    }

    /// A repository after the rotation `spec`.
    pub(crate) fn rotated(spec: &Rotation) -> Repo {
        let repo = Repo::new();
        repo.rotate(spec);
        repo
    }

    /// Asserts a pass and returns the message.
    pub(crate) fn pass(outcome: &Outcome) -> &str {
        assert_eq!(outcome.status, Status::Pass, "{outcome:?}");
        &outcome.message
    }

    /// Asserts a failure and returns the message.
    pub(crate) fn fail(outcome: &Outcome) -> &str {
        assert_eq!(outcome.status, Status::Fail, "{outcome:?}");
        &outcome.message
    }

    /// Asserts a skip and returns the message.
    pub(crate) fn skip(outcome: &Outcome) -> &str {
        assert_eq!(outcome.status, Status::Skip, "{outcome:?}");
        &outcome.message
    }
}
