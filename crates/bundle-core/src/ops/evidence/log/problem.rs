//! What a check of the execution log finds: a [`Problem`], with a stable code.
//!
//! Codes (`chain.hash-mismatch`, `rotation.short-notice`, ...) are what reports and
//! rotation-guard's rules match on; they never change meaning. Messages name the entry and
//! its line, never a field's value other than ids and versions.

use std::fmt;

use super::super::entry::FieldError;

/// Something the log or its artifacts show was changed after the fact, or is incomplete.
/// Each has a stable [`Problem::code`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// The entry's content does not match its stored hash: it was edited.
    HashMismatch {
        /// 1-based line in the log.
        line: usize,
        /// The entry id.
        id: String,
    },
    /// The sequence number skips numbers that no line of the log holds: entries were removed.
    Removed {
        /// 1-based line in the log.
        line: usize,
        /// The entry id.
        id: String,
        /// The seq that should be here (the first one missing).
        expected: u64,
        /// The seq found.
        found: u64,
    },
    /// The sequence number does not follow the line before, and the numbers in between are
    /// elsewhere in the log: entries were reordered, or one was inserted.
    OutOfOrder {
        /// 1-based line in the log.
        line: usize,
        /// The entry id.
        id: String,
        /// The seq that should be here.
        expected: u64,
        /// The seq found.
        found: u64,
    },
    /// `prev` is not the hash of the line before: that line was edited and rehashed, or a
    /// line was inserted or removed in between.
    BrokenLink {
        /// 1-based line in the log.
        line: usize,
        /// The entry id.
        id: String,
    },
    /// The id was already used on an earlier line.
    DuplicateId {
        /// 1-based line in the log.
        line: usize,
        /// The entry id.
        id: String,
        /// Line of its first use.
        first_line: usize,
    },
    /// The entry's fields break a rule of its kind.
    InvalidEntry {
        /// 1-based line in the log.
        line: usize,
        /// The entry id.
        id: String,
        /// The rule broken.
        error: FieldError,
    },
    /// An artifact path is absolute or has `..`.
    ArtifactPathInvalid {
        /// The entry id.
        id: String,
        /// The stored path.
        path: String,
    },
    /// An attached file is missing.
    ArtifactMissing {
        /// The entry id.
        id: String,
        /// Path relative to the evidence directory.
        path: String,
    },
    /// An attached file's sha256 differs from the one recorded: it was replaced.
    ArtifactMismatch {
        /// The entry id.
        id: String,
        /// Path relative to the evidence directory.
        path: String,
        /// The recorded sha256.
        expected: String,
        /// The file's sha256 now.
        actual: String,
    },
    /// No scheduled or emergency entry produced this version.
    NoEntryForVersion {
        /// The bundle version.
        version: u64,
    },
    /// A scheduled rotation with no `plan` entry before it.
    MissingPlan {
        /// The rotation entry id.
        id: String,
        /// The version it produced.
        version: u64,
    },
    /// The plan announced the window less than 24 h before its start.
    ShortNotice {
        /// The rotation entry id.
        id: String,
        /// The plan entry id.
        plan_id: String,
        /// Seconds between announcement and window start.
        notice_secs: i64,
    },
}

impl Problem {
    /// A stable identifier of the kind of problem (for reports and for mapping to rules).
    pub fn code(&self) -> &'static str {
        match self {
            Self::HashMismatch { .. } => "chain.hash-mismatch",
            Self::Removed { .. } => "chain.entry-removed",
            Self::OutOfOrder { .. } => "chain.out-of-order",
            Self::BrokenLink { .. } => "chain.broken-link",
            Self::DuplicateId { .. } => "chain.duplicate-id",
            Self::InvalidEntry { .. } => "entry.invalid",
            Self::ArtifactPathInvalid { .. } => "artifact.path-invalid",
            Self::ArtifactMissing { .. } => "artifact.missing",
            Self::ArtifactMismatch { .. } => "artifact.mismatch",
            Self::NoEntryForVersion { .. } => "rotation.no-entry",
            Self::MissingPlan { .. } => "rotation.missing-plan",
            Self::ShortNotice { .. } => "rotation.short-notice",
        }
    }

    /// The entry id the problem is about, when there is one.
    pub fn entry_id(&self) -> Option<&str> {
        match self {
            Self::HashMismatch { id, .. }
            | Self::Removed { id, .. }
            | Self::OutOfOrder { id, .. }
            | Self::BrokenLink { id, .. }
            | Self::DuplicateId { id, .. }
            | Self::InvalidEntry { id, .. }
            | Self::ArtifactPathInvalid { id, .. }
            | Self::ArtifactMissing { id, .. }
            | Self::ArtifactMismatch { id, .. }
            | Self::MissingPlan { id, .. }
            | Self::ShortNotice { id, .. } => Some(id),
            Self::NoEntryForVersion { .. } => None,
        }
    }

    pub(super) fn line_order(&self) -> (usize, u8) {
        match self {
            Self::HashMismatch { line, .. }
            | Self::Removed { line, .. }
            | Self::OutOfOrder { line, .. }
            | Self::BrokenLink { line, .. }
            | Self::DuplicateId { line, .. }
            | Self::InvalidEntry { line, .. } => (*line, 0),
            _ => (usize::MAX, 1),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HashMismatch { line, id } => {
                write!(
                    f,
                    "entry `{id}` (line {line}) does not match its hash: it was edited after it was recorded"
                )
            }
            Self::Removed {
                line,
                id,
                expected,
                found,
            } => write!(
                f,
                "entry `{id}` (line {line}) is #{found} but #{expected} was expected: {} removed before it",
                if found - expected == 1 {
                    format!("entry #{expected} was")
                } else {
                    format!("entries #{expected}..#{} were", found - 1)
                }
            ),
            Self::OutOfOrder {
                line,
                id,
                expected,
                found,
            } => write!(
                f,
                "entry `{id}` (line {line}) is #{found} but #{expected} was expected: entries were reordered or one was inserted"
            ),
            Self::BrokenLink { line, id } => write!(
                f,
                "entry `{id}` (line {line}) does not chain to the line before it: that line was rewritten, or an entry was inserted or removed there"
            ),
            Self::DuplicateId {
                line,
                id,
                first_line,
            } => {
                write!(
                    f,
                    "entry `{id}` (line {line}) repeats the id of line {first_line}"
                )
            }
            Self::InvalidEntry { line, id, error } => {
                write!(f, "entry `{id}` (line {line}) is invalid: {error}")
            }
            Self::ArtifactPathInvalid { id, path } => {
                write!(
                    f,
                    "artifact `{path}` of entry `{id}` is not a path inside the evidence directory"
                )
            }
            Self::ArtifactMissing { id, path } => {
                write!(f, "artifact `{path}` of entry `{id}` is missing")
            }
            Self::ArtifactMismatch {
                id,
                path,
                expected,
                actual,
            } => write!(
                f,
                "artifact `{path}` of entry `{id}` was replaced: sha256 {} recorded, {} now",
                &expected[..expected.len().min(12)],
                &actual[..actual.len().min(12)]
            ),
            Self::NoEntryForVersion { version } => {
                write!(
                    f,
                    "no scheduled or emergency rotation to version {version} is recorded in the evidence"
                )
            }
            Self::MissingPlan { id, version } => write!(
                f,
                "scheduled rotation `{id}` to version {version} has no plan entry announcing its window"
            ),
            Self::ShortNotice {
                id,
                plan_id,
                notice_secs,
            } => write!(
                f,
                "scheduled rotation `{id}` was announced by `{plan_id}` only {} h {} min before its window (at least 24 h are required)",
                notice_secs / 3600,
                notice_secs.rem_euclid(3600) / 60
            ),
        }
    }
}
