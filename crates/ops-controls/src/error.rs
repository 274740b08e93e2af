//! The one error type of ops-controls.
//!
//! Errors are for what stops the tool from producing a report (exit 2): bad arguments, an
//! unreadable policy or previous report, an output that cannot be written. Problems *in* the
//! repository are never errors: they are failing checks in the report (exit 1).

use std::path::PathBuf;

/// Everything that can stop ops-controls.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `--repo` is not a directory.
    #[error("repository {} is not a directory\nhint: pass --repo with the repository's root", path.display())]
    RepoNotFound {
        /// The path given.
        path: PathBuf,
    },

    /// `--only` names no known check.
    #[error("unknown check id `{id}` in --only\nhint: known ids: {known}")]
    UnknownCheck {
        /// The id given.
        id: String,
        /// The known ids, comma-separated.
        known: String,
    },

    /// The policy file could not be read.
    #[error("cannot read policy {}", path.display())]
    PolicyRead {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },

    /// The policy file is not a valid policy.
    #[error("invalid policy {}: {message}\nhint: see the ops-controls README for the policy fields", path.display())]
    Policy {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },

    /// The `--compare` report could not be read.
    #[error("cannot use the previous report for --compare")]
    PreviousReport(#[source] bundle_core::ops::report::ReportError),

    /// Writing the report failed.
    #[error("cannot write the report to {}", path.display())]
    Write {
        /// The output file.
        path: PathBuf,
        /// Why.
        #[source]
        source: bundle_core::Error,
    },

    /// `SOURCE_DATE_EPOCH` is set but is not a time.
    #[error(transparent)]
    Clock(#[from] bundle_core::time::InvalidTime),

    /// Writing to stdout or stderr failed (other than a closed pipe).
    #[error("cannot write output")]
    Output(#[source] std::io::Error),
}

impl bundle_core::ops::cli::ToolError for Error {
    /// Every error here is a usage or input error.
    fn exit_status(&self) -> bundle_core::ExitStatus {
        bundle_core::ExitStatus::Usage
    }
}
