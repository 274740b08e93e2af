//! The OPS-302 evidence: the hash-chained execution log and the markdown conventions around it.
//!
//! This module owns the formats that more than one tool reads (DESIGN.md): `evidence-writer`
//! writes them, `rotation-guard` and `ops-controls` read them, and none of them imports
//! another. On disk, in the evidence directory (default [`DEFAULT_DIR`]):
//!
//! - `executions.jsonl` ([`LOG_FILE`]): one [`Entry`] per line. Each entry stores the sha256
//!   of the one before it (`prev`) and its own (`hash`, over its canonical serialization), so
//!   history cannot be rewritten quietly: [`EvidenceLog::verify`] names the first entry that
//!   was edited, removed, reordered or inserted, and every attached artifact whose bytes no
//!   longer match the sha256 recorded.
//! - `artifacts/<entry id>/<file>`: the files attached to an entry (reports), never
//!   overwritten by a later entry.
//! - `README.md` and `runbooks-activation.md`: markdown for people, with machine-managed
//!   blocks ([`markdown`]) rendered from the log; the OPS-302 checklist lives in a block of
//!   `README.md` with one stable id per item ([`checklist_items`]).
//!
//! Only what more than one tool (xtask included) uses is here; a query only one tool asks
//! lives in that tool (the incidents and their communication cadence are `evidence-writer`'s,
//! issue 10).
//!
//! A reader checking a rotation to version `n` needs only:
//!
//! ```no_run
//! use bundle_core::ops::evidence::{EvidenceLog, Kind, DEFAULT_DIR};
//! let dir = std::path::Path::new(DEFAULT_DIR);
//! let log = EvidenceLog::load(dir)?;
//! for problem in log.verify(dir).iter().chain(&log.check_rotation(dir, 5)) {
//!     eprintln!("{}: {problem}", problem.code());
//! }
//! if let Some(entry) = log.entry_for_version(5) {
//!     assert!(entry.execution.kind == Kind::Emergency || entry.execution.kind == Kind::Scheduled);
//! }
//! # Ok::<(), bundle_core::ops::evidence::EvidenceError>(())
//! ```

use std::path::PathBuf;

mod entry;
mod log;
pub mod markdown;

pub use entry::{
    Acknowledgment, Artifact, CATALOG, CHECKLIST_KINDS, CatalogItem, CheckItem, DecisionError,
    Decisions, EmergencyRecord, Entry, Execution, FieldError, GENESIS_HASH, ISOLATION_FIELD,
    ISOLATION_ITEM, ISOLATION_NOT_STATED, ItemStatus, Kind, Link, MIN_EMERGENCY_RESPONSIBLE,
    MIN_SCHEMA_VERSION, OPS_CONTROLS_ITEM, Proof, REVOCATION_ITEM, SCHEMA_VERSION, SECRETS_FIELD,
    SecretDisposition, bundle_secrets, catalog_item, default_required, sha256_hex,
};
pub use log::{EvidenceLog, MIN_PLAN_NOTICE_SECS, Problem, Unearned, sha256_file};
pub use markdown::{ChecklistItem, checklist_items};

/// The evidence directory of TASK-OPS-302, relative to the repository root.
pub const DEFAULT_DIR: &str = "docs/evidence/TASK-OPS-302";

/// The execution log's file name inside the evidence directory.
pub const LOG_FILE: &str = "executions.jsonl";

/// The markdown file with the checklist and the list of executions.
pub const README_FILE: &str = "README.md";

/// The markdown file with the history of executions.
pub const ACTIVATION_FILE: &str = "runbooks-activation.md";

/// The directory, inside the evidence directory, holding each entry's attached files.
pub const ARTIFACTS_DIR: &str = "artifacts";

/// Reading the evidence failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// Reading a file failed (fs-err messages name the path).
    #[error(transparent)]
    Io(#[from] std::io::Error),

    /// A line of the log is not a valid entry.
    #[error("{}: line {line} is not a valid evidence entry: {message}\nhint: the log is written only by evidence-writer; restore it from git if it was edited by hand", path.display())]
    Malformed {
        /// The log file.
        path: PathBuf,
        /// 1-based line (0 when the whole file is unreadable).
        line: usize,
        /// What is wrong (never a field's value).
        message: String,
    },

    /// A line was written by a newer format version.
    #[error("{}: line {line} has schema_version {found}, this build reads version {SCHEMA_VERSION}\nhint: use a newer build of the toolkit", path.display())]
    UnsupportedSchema {
        /// The log file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The version found.
        found: u32,
    },

    /// A managed block or checklist of a markdown file is malformed.
    #[error("line {line}: {message}")]
    Markdown {
        /// 1-based line of the problem.
        line: usize,
        /// What is wrong.
        message: String,
    },
}
