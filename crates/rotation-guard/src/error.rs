//! The one error type of rotation-guard.
//!
//! Errors are what stops the tool before it can judge anything: bad arguments, a missing
//! bundle, a base that names nothing, git failing, no key that decrypts the bundle, gitleaks
//! missing or failing. Problems *in* the repository (a rule that fails, a leaked value, a
//! gitleaks finding) are never errors: they are results with exit code 1. No variant holds a
//! secret value.

use std::path::PathBuf;

/// Everything that can stop rotation-guard.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `--repo` is not a directory.
    #[error("repository {} is not a directory\nhint: pass --repo with the repository's root", path.display())]
    RepoNotFound {
        /// The path given.
        path: PathBuf,
    },

    /// The bundle is missing from the working tree.
    #[error("bundle {} not found\nhint: pass --bundle with the bundle's path inside the repository", path.display())]
    BundleMissing {
        /// The path looked at.
        path: PathBuf,
    },

    /// `--base` is neither a file nor a git revision of the repository.
    #[error("base `{base}` is neither a file nor a git revision of {}: {message}\nhint: pass a file, or a revision such as origin/main (in CI, fetch it first)", repo.display())]
    BaseNotFound {
        /// What was given.
        base: String,
        /// The repository.
        repo: PathBuf,
        /// What git said.
        message: String,
    },

    /// The bundle does not exist at the base revision.
    #[error(
        "{path} does not exist at {base}\nhint: a bundle that is being added has no base to compare with; pass --base with a file to compare against"
    )]
    BundleMissingAtBase {
        /// The revision.
        base: String,
        /// The bundle path inside the repository.
        path: String,
    },

    /// The repository is not a git work tree where one is needed (`--history`, a revision base).
    #[error("{} is not a git work tree: {what} needs git\nhint: run inside a clone, or pass --base with a file", path.display())]
    NotGit {
        /// The directory.
        path: PathBuf,
        /// The option that needs git.
        what: &'static str,
    },

    /// `--history` on a clone that lacks part of the history (shallow or partial): a clean
    /// result would prove nothing (issue 12).
    #[error("history incomplete ({kind}): fetch full history or drop --history\nhint: {hint}")]
    HistoryIncomplete {
        /// `shallow clone` or `partial clone`.
        kind: &'static str,
        /// How to get the full history.
        hint: &'static str,
    },

    /// A git command failed, or git could not be started.
    #[error(transparent)]
    Git(#[from] bundle_core::ops::git::GitError),

    /// A bundle, a `.sops.yaml` or a key could not be read or used. Its exit code is the one
    /// bundle-core gives (2 input, 3 key or integrity).
    #[error(transparent)]
    Bundle(#[from] bundle_core::Error),

    /// An `--identity` / `--old-identity` file could not be read.
    #[error("cannot read identity file {}", path.display())]
    IdentityFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },

    /// A `--allow` pattern is not valid gitignore syntax.
    #[error("invalid --allow pattern `{pattern}`: {message}")]
    AllowPattern {
        /// The pattern.
        pattern: String,
        /// What is wrong.
        message: String,
    },

    /// `--exclude-key` names no secret of the bundle.
    #[error(
        "--exclude-key `{key}` names no value of the bundle\nhint: use the dotted key path shown in findings, e.g. db.password"
    )]
    UnknownKey {
        /// The key path given.
        key: String,
    },

    /// gitleaks is not installed.
    #[error(
        "gitleaks not found: {searched}\nhint: install gitleaks (a release binary from the gitleaks project) and put it on PATH, or pass --gitleaks PATH"
    )]
    GitleaksMissing {
        /// Where it was looked for.
        searched: String,
    },

    /// gitleaks ran but its outcome is an error, not a verdict.
    #[error(
        "gitleaks failed: {message}\nhint: run it by hand with the same arguments to see its log; no verdict was reached"
    )]
    GitleaksFailed {
        /// Exit status and what is wrong.
        message: String,
    },

    /// The gitleaks configuration is missing.
    #[error("gitleaks configuration {} not found\nhint: the runbook's scans use config/gitleaks.toml; pass --config to use another", path.display())]
    GitleaksConfigMissing {
        /// The path looked at.
        path: PathBuf,
    },

    /// Writing a report file failed.
    #[error("cannot write the report to {}", path.display())]
    ReportWrite {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: bundle_core::Error,
    },

    /// Reading a file or a git stream failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),

    /// Writing to stdout or stderr failed (other than a closed pipe).
    #[error("cannot write output")]
    Output(#[source] std::io::Error),
}

impl bundle_core::ops::cli::ToolError for Error {
    /// 3 for key and integrity errors of the bundle, 2 otherwise.
    fn exit_status(&self) -> bundle_core::ExitStatus {
        match self {
            Error::Bundle(e) => e.exit_status(),
            _ => bundle_core::ExitStatus::Usage,
        }
    }
}
