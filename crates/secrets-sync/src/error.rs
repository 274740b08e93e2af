//! The one error type of secrets-sync.
//!
//! What must stay true: no variant holds a secret value. Key paths inside the bundle
//! (`["db"]["password"]`), file paths and variable names are fine (SOPS keeps keys in the
//! clear); decrypted values and key material are not.

use std::path::PathBuf;

/// Everything that can stop a run of secrets-sync.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The engine failed: parse, keys, integrity, atomic writes.
    #[error(transparent)]
    Core(#[from] bundle_core::Error),

    /// A file operation failed (fs-err messages name the path).
    #[error(transparent)]
    Io(#[from] std::io::Error),

    /// The bundle does not exist.
    #[error("the bundle {} does not exist\nhint: pass --bundle PATH, or --repo DIR for a repository with config/secrets.enc.yaml", path.display())]
    BundleMissing {
        /// The path looked at.
        path: PathBuf,
    },

    /// No output directory could be chosen.
    #[error(
        "cannot choose the output directory: neither MCP_HOME nor HOME is set\nhint: pass --out-dir DIR"
    )]
    NoOutDir,

    /// The bundle holds more than one YAML document.
    #[error("{} holds {documents} YAML documents; secrets-sync publishes a bundle of exactly one", path.display())]
    DocumentCount {
        /// The bundle.
        path: PathBuf,
        /// How many documents it has.
        documents: usize,
    },

    /// Two key paths flatten to the same variable name.
    #[error(
        "cannot write .env: `{first}` and `{second}` both become the variable {name}\nhint: rename one of the two keys in the bundle; nothing was written"
    )]
    NameCollision {
        /// The variable name both paths produce.
        name: String,
        /// The first path, in document order.
        first: String,
        /// The second path.
        second: String,
    },

    /// A key path cannot be turned into a valid variable name.
    #[error(
        "cannot write .env: the key path `{path}` cannot be made a variable name: {reason}\nhint: keys may use ASCII letters, digits, `_`, `-` and `.`, and the first key must not start with a digit; nothing was written"
    )]
    InvalidName {
        /// The key path.
        path: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A value cannot be represented in a `.env` file or in JSON.
    #[error("cannot publish the value at `{path}`: {reason}; nothing was written")]
    Unrepresentable {
        /// The key path.
        path: String,
        /// Why (never quoting the value).
        reason: &'static str,
    },

    /// A symbolic link at the output directory or at an output file.
    #[error("refusing the symbolic link {}: secrets-sync never follows links at its outputs\nhint: remove the link and run again", path.display())]
    Symlink {
        /// The link.
        path: PathBuf,
    },

    /// The output directory path exists and is not a directory.
    #[error("{} exists and is not a directory\nhint: pass another --out-dir, or move the file away", path.display())]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },

    /// An output path exists and is not a regular file.
    #[error("{} exists and is not a regular file\nhint: move it away and run again", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
    },

    /// The journal of an interrupted run cannot be read.
    #[error("cannot read the journal {} of an interrupted run: {reason}\nhint: check that .env and console-secrets.json belong together, then remove the journal and run again", path.display())]
    Journal {
        /// The journal file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },

    /// `--remove-key-file` could not delete a key file.
    #[error("cannot remove the key file {}\nhint: delete it by hand: it holds a private key", path.display())]
    KeyFileRemoval {
        /// The key file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl bundle_core::ops::cli::ToolError for Error {
    /// DESIGN.md: 3 for key or integrity errors, 2 for everything else.
    fn exit_status(&self) -> bundle_core::ExitStatus {
        match self {
            Error::Core(e) => e.exit_status(),
            _ => bundle_core::ExitStatus::Usage,
        }
    }
}

/// The result type of secrets-sync.
pub type Result<T, E = Error> = std::result::Result<T, E>;
