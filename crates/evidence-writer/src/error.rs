//! The one error type of evidence-writer. Every variant but [`Error::Busy`] (exit 1: rerun it)
//! is a usage or input error (exit 2): problems *found* in the evidence are not errors but
//! `verify`'s result (exit 1).

use std::path::PathBuf;

use bundle_core::ops::evidence::{EvidenceError, FieldError, Kind};
use bundle_core::ops::report::SCHEMA_VERSION;
use bundle_core::time::InvalidTime;

/// Everything that stops a command before it can do its work. Nothing is written when one
/// of these is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Another writer holds the evidence directory longer than the lock timeout.
    #[error("another evidence-writer is writing {} (waited {waited_ms} ms); nothing was written\nhint: run the command again when the other one is done", dir.display())]
    Busy {
        /// The evidence directory.
        dir: PathBuf,
        /// How long this one waited.
        waited_ms: u128,
    },

    /// An I/O error (fs-err messages name the path).
    #[error(transparent)]
    Io(#[from] std::io::Error),

    /// Writing a file failed in bundle-core's atomic writer.
    #[error(transparent)]
    Core(#[from] bundle_core::Error),

    /// The log could not be read.
    #[error(transparent)]
    Evidence(#[from] EvidenceError),

    /// A markdown file has a malformed managed block or checklist.
    #[error("{}: {error}\nhint: fix the marker lines by hand (`<!-- evidence-writer:begin NAME -->` … `<!-- evidence-writer:end NAME -->`)", path.display())]
    Markdown {
        /// The markdown file.
        path: PathBuf,
        /// What is wrong (part of the message, not a separate cause).
        error: EvidenceError,
    },

    /// A time given with `--at`, `--window-start`, `--since` or `SOURCE_DATE_EPOCH`.
    #[error(transparent)]
    Time(#[from] InvalidTime),

    /// A field breaks a rule of its kind.
    #[error("{error}{}", field_hint(error))]
    Invalid {
        /// The rule broken.
        error: FieldError,
    },

    /// An attachment does not exist.
    #[error("attachment {} does not exist\nhint: pass the path of the report to attach, e.g. --attach docs/evidence/TASK-OPS-302/ops-controls-report.json", path.display())]
    AttachmentNotFound {
        /// The path given.
        path: PathBuf,
    },

    /// An attachment is a directory or another non-file.
    #[error("attachment {} is not a regular file", path.display())]
    AttachmentNotAFile {
        /// The path given.
        path: PathBuf,
    },

    /// An attachment's name cannot be kept as is in the evidence directory.
    #[error("attachment {} has a name evidence-writer does not keep\nhint: rename it using letters, digits, spaces and . _ - + ( ), not starting with a dot", path.display())]
    AttachmentName {
        /// The path given.
        path: PathBuf,
    },

    /// The same stable id is already recorded with different content.
    #[error(
        "execution `{id}` is already recorded with different content\nhint: an execution is recorded once; recording it again with the same fields is a no-op"
    )]
    Conflict {
        /// The stable id.
        id: String,
    },

    /// The execution claims a time before the last entry's.
    #[error(
        "the execution's time {at} is before the last entry's (`{last_id}` at {last_at})\nhint: the log only moves forward: record with the real time (drop --at or SOURCE_DATE_EPOCH)"
    )]
    OutOfOrder {
        /// The time claimed.
        at: bundle_core::time::Timestamp,
        /// The last entry's id.
        last_id: String,
        /// The last entry's time.
        last_at: bundle_core::time::Timestamp,
    },

    /// A rotation to a version that is not newer than the last recorded one.
    #[error(
        "version {version} is already covered by `{id}` in the evidence\nhint: a rotation produces the next version; check --version-from/--version-to"
    )]
    VersionAlreadyRecorded {
        /// The version asked for.
        version: u64,
        /// The entry that already reached it.
        id: String,
    },

    /// An emergency record naming a comms entry that the log does not hold for its incident.
    #[error(
        "the emergency record names communication `{id}`, which is not a comms entry of incident {incident} in the log\nhint: record the update first (evidence-writer comms), or leave the communication pending"
    )]
    UnknownComms {
        /// The comms id named.
        id: String,
        /// The emergency's incident.
        incident: String,
    },

    /// A rotation that does not continue from the last recorded version.
    #[error(
        "version-from {from} does not continue the last recorded rotation (to version {last})\nhint: record the missing rotation first, or pass --version-from {last}"
    )]
    VersionGap {
        /// The version-from given.
        from: u64,
        /// The last recorded version-to.
        last: u64,
    },

    /// The log is damaged; appending would hide it.
    #[error(
        "the evidence log is damaged: {first}\nhint: run `evidence-writer verify` and restore executions.jsonl from git before recording"
    )]
    BrokenChain {
        /// The first problem found.
        first: String,
    },

    /// The evidence directory does not exist.
    #[error("evidence directory {} does not exist\nhint: run `evidence-writer init`, or pass --repo/--dir", path.display())]
    NoEvidenceDir {
        /// The directory.
        path: PathBuf,
    },

    /// A path that must be a directory is something else.
    #[error("{} is not a directory", path.display())]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },

    /// A `--done`/`--skipped` item that cannot be read.
    #[error(
        "invalid checklist item `{spec}`: {reason}\nhint: --done ITEM=attach:NAME (a file given with --attach), ITEM=link:LABEL (a --link) or ITEM=entry:ID; --skipped ITEM=REASON"
    )]
    BadItem {
        /// What was given.
        spec: String,
        /// What is wrong.
        reason: &'static str,
    },

    /// An emergency's decisions do not make a record (a secret undecided, a name unknown).
    #[error(
        "{error}; nothing was written\nhint: give every secret of the bundle one of --replaced NAME (a new value), --revoked NAME (revoked at its provider) or --not-affected NAME (not exposed), as dotted paths (database.password)"
    )]
    Decision {
        /// What is wrong.
        error: bundle_core::ops::evidence::DecisionError,
    },

    /// An emergency recorded without any decision.
    #[error(
        "an emergency rotation records what became of every secret of the bundle; none was given, nothing was written\nhint: give every secret one of --replaced NAME, --revoked NAME or --not-affected NAME, and --isolated TEXT (what was done to isolate the incident) and --comms ID (the comms entry of the update posted) when they happened"
    )]
    MissingDecisions,

    /// Emergency flags on another kind.
    #[error("--{flag} is for --kind emergency only, not {kind}")]
    EmergencyFlag {
        /// The flag given.
        flag: &'static str,
        /// The kind recorded.
        kind: Kind,
    },

    /// The latest attached ops-controls report is written in another version of the format.
    #[error(
        "{path} (attached to `{entry}`) has report schema_version {found}, this build reads version {SCHEMA_VERSION}\nhint: attach a report written by this version of ops-controls, or use the evidence-writer of the same release"
    )]
    ReportVersion {
        /// The artifact's path inside the evidence directory.
        path: String,
        /// The entry it is attached to.
        entry: String,
        /// The version found.
        found: u32,
    },
}

impl From<FieldError> for Error {
    fn from(error: FieldError) -> Self {
        Self::Invalid { error }
    }
}

impl bundle_core::ops::cli::ToolError for Error {
    /// 1 when another writer kept the evidence busy (the command can simply be rerun), 2
    /// (usage or input error) for everything else.
    fn exit_status(&self) -> bundle_core::ExitStatus {
        match self {
            Error::Busy { .. } => bundle_core::ExitStatus::Problem,
            _ => bundle_core::ExitStatus::Usage,
        }
    }

    fn is_closed_stdout(&self) -> bool {
        matches!(self, Error::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

fn field_hint(error: &FieldError) -> &'static str {
    match error {
        FieldError::MissingReason { .. } => "\nhint: pass --reason TEXT",
        FieldError::TooFewResponsible {
            kind: Kind::Emergency,
            ..
        } => {
            "\nhint: pass --responsible NAME once per person; an emergency rotation needs two distinct people"
        }
        FieldError::TooFewResponsible { .. } => "\nhint: pass --responsible NAME",
        FieldError::DuplicateResponsible { .. } => "\nhint: list each person once",
        FieldError::MissingIncident { .. } => {
            "\nhint: pass --incident ID (the alert or incident id)"
        }
        FieldError::MissingVersions { .. } | FieldError::VersionNotIncrement { .. } => {
            "\nhint: pass --version-from N --version-to N+1 (the bundle's MCP_SECRETS_VERSION before and after)"
        }
        FieldError::VersionsNotAllowed { .. } => "\nhint: drop --version-from/--version-to",
        FieldError::MissingWindowStart => {
            "\nhint: pass --window-start 2025-01-10T12:00:00Z (at least 24 h after --at)"
        }
        FieldError::WindowStartNotAllowed { .. } => {
            "\nhint: drop --window-start (it belongs to --kind plan)"
        }
        FieldError::InvalidLink { .. } => "\nhint: write --link LABEL=https://host/path",
        _ => "",
    }
}
