//! The one error type of bundle-core.
//!
//! Every variant names what failed and, where a person can act, carries a hint. No variant
//! ever holds a secret value: paths inside the tree (`db:password:`), file paths, recipients
//! and MAC digests are fine; plaintext, keys and identities are not.

use std::path::PathBuf;

use crate::exit::ExitStatus;
use crate::format::Format;

/// A parse error of one store, before the file path is known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct StoreError {
    /// 1-based line of the problem, when known.
    pub line: Option<usize>,
    /// What is wrong, never quoting a value.
    pub message: String,
}

impl StoreError {
    /// An error at a known line.
    pub fn at(line: usize, message: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            message: message.into(),
        }
    }

    /// An error without a line.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            line: None,
            message: message.into(),
        }
    }
}

/// Everything that can go wrong in bundle-core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed (fs-err messages name the path).
    #[error(transparent)]
    Io(#[from] std::io::Error),

    /// A file is not valid in its format.
    #[error("cannot parse {} as {format}: {source}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The store used.
        format: Format,
        /// What the store said.
        #[source]
        source: StoreError,
    },

    /// The file has no `sops` metadata.
    #[error("{} is not a SOPS file: sops metadata not found\nhint: encrypt it first, or check --input-type", path.display())]
    MetadataNotFound {
        /// The file.
        path: PathBuf,
    },

    /// The metadata is present but unusable.
    #[error("invalid sops metadata in {}: {message}", path.display())]
    InvalidMetadata {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },

    /// Encrypting a file that is already a SOPS file.
    #[error("{} is already encrypted: it has a top-level `sops` entry (or `sops_` keys)\nhint: use `bundle set`, `rotate` or `updatekeys` to change an encrypted file", path.display())]
    AlreadyEncrypted {
        /// The file.
        path: PathBuf,
    },

    /// The tree cannot be encrypted as it is (e.g. an integer beyond int64).
    #[error("cannot encrypt {}: {message}", path.display())]
    Unencryptable {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the tree path.
        message: String,
    },

    /// No identity could be loaded from any source.
    #[error("cannot decrypt {}: no age identity found{}\nhint: set SOPS_AGE_KEY, SOPS_AGE_KEY_FILE or SOPS_AGE_KEY_CMD, or put a key in {}", path.display(), skipped_lines(failures), default_keys.display())]
    NoIdentities {
        /// The file.
        path: PathBuf,
        /// The default keys.txt location that was looked at.
        default_keys: PathBuf,
        /// Sources that existed but failed to load, with why.
        failures: Vec<String>,
    },

    /// Identities were found but none matches a recipient of the file.
    #[error("cannot decrypt {}: no identity matches any recipient of the file ({})\nhint: the file is encrypted to {}; load the matching key", path.display(), sources.join(", "), recipients.join(", "))]
    NoMatchingIdentity {
        /// The file.
        path: PathBuf,
        /// The file's recipients.
        recipients: Vec<String>,
        /// Where identities came from.
        sources: Vec<String>,
    },

    /// Key groups: fewer shares than the threshold were recovered.
    #[error("cannot decrypt {}: the data key needs {threshold} key groups but only {recovered} could be unlocked", path.display())]
    ShamirQuorum {
        /// The file.
        path: PathBuf,
        /// Required groups.
        threshold: usize,
        /// Groups unlocked.
        recovered: usize,
    },

    /// A stored value could not be decrypted (tampered ciphertext or wrong data key).
    #[error("integrity error in {} at `{tree_path}`: the value does not authenticate (tampered ciphertext or wrong data key)", path.display())]
    ValueDecrypt {
        /// The file.
        path: PathBuf,
        /// The AAD path of the value.
        tree_path: String,
    },

    /// A value that should be `ENC[...]` is not well formed.
    #[error("integrity error in {} at `{tree_path}`: malformed ENC[...] value: {reason}", path.display())]
    MalformedEnc {
        /// The file.
        path: PathBuf,
        /// The AAD path.
        tree_path: String,
        /// Which part is wrong.
        reason: String,
    },

    /// An `ENC[...]` value has invalid base64 in one of its fields.
    #[error("integrity error in {} at `{tree_path}`: illegal base64 data in the `{field}` field", path.display())]
    BadBase64 {
        /// The file.
        path: PathBuf,
        /// The AAD path.
        tree_path: String,
        /// `data`, `iv` or `tag`.
        field: &'static str,
    },

    /// An `ENC[...]` value has an unknown or unsupported `type:`.
    #[error("integrity error in {} at `{tree_path}`: unsupported value type `{value_type}`", path.display())]
    BadType {
        /// The file.
        path: PathBuf,
        /// The AAD path.
        tree_path: String,
        /// The type found.
        value_type: String,
    },

    /// A decrypted plaintext does not parse as its declared type.
    #[error("integrity error in {} at `{tree_path}`: decrypted value is not a valid {value_type}", path.display())]
    BadPlaintext {
        /// The file.
        path: PathBuf,
        /// The AAD path.
        tree_path: String,
        /// The declared type.
        value_type: &'static str,
    },

    /// The stored MAC cannot be decrypted (e.g. `lastmodified` was edited).
    #[error("integrity error in {}: the MAC cannot be decrypted (was `lastmodified` or `mac` edited?)", path.display())]
    MacUndecryptable {
        /// The file.
        path: PathBuf,
    },

    /// The stored MAC is not of type `str` (its type tag was edited; sops exits 51).
    #[error("integrity error in {}: the MAC is stored as type `{value_type}`, not `str` (was `mac` edited?)", path.display())]
    MacBadType {
        /// The file.
        path: PathBuf,
        /// The type found.
        value_type: String,
    },

    /// The MAC over the values does not match the stored one.
    #[error("integrity error in {}: MAC mismatch (file has {stored}, computed {computed})\nhint: a value was changed, added, removed or reordered outside sops", path.display(), stored = if stored.is_empty() { "no MAC" } else { stored.as_str() })]
    MacMismatch {
        /// The file.
        path: PathBuf,
        /// The stored MAC (empty if none).
        stored: String,
        /// The computed MAC.
        computed: String,
    },

    /// No `.sops.yaml` was found and no recipients were given.
    #[error("no .sops.yaml found from {} upward, and no recipients given\nhint: create a .sops.yaml with creation_rules, or pass --config", start.display())]
    ConfigNotFound {
        /// Where the search started.
        start: PathBuf,
    },

    /// `.sops.yaml` is malformed.
    #[error("invalid {}: {message}", path.display())]
    Config {
        /// The config file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },

    /// No creation rule of `.sops.yaml` matches the file.
    #[error("no creation rule in {} matches {file}\nhint: add a creation rule whose path_regex matches this path", config.display())]
    NoCreationRule {
        /// The config file.
        config: PathBuf,
        /// The path that was matched (relative to the config directory).
        file: String,
    },

    /// A recipient string is not a valid age recipient.
    #[error("invalid age recipient `{recipient}`{}", if context.is_empty() { String::new() } else { format!(" in {context}") })]
    InvalidRecipient {
        /// The recipient text (public, safe to print).
        recipient: String,
        /// Where it came from.
        context: String,
    },

    /// A recipient of a kind this toolkit cannot encrypt to (post-quantum hybrid keys).
    #[error(
        "unsupported age recipient `{recipient}`: {reason}\nhint: use an X25519 (age1…) or SSH recipient"
    )]
    UnsupportedRecipient {
        /// The recipient text, cut short when long (public, safe to print).
        recipient: String,
        /// Why, and what would be needed.
        reason: String,
    },

    /// An age plugin recipient or identity needs a plugin binary that is not on `PATH`.
    #[error(
        "the age plugin binary `{binary}` is not on PATH\nhint: install {binary} (the plugin named in the recipient or identity) and put it on PATH, as sops needs it too"
    )]
    AgePluginMissing {
        /// The binary's name, `age-plugin-<name>`.
        binary: String,
    },

    /// An identity source could not be parsed. The key material is never quoted.
    #[error("invalid age identity in {source_name}: {message}")]
    InvalidIdentity {
        /// `SOPS_AGE_KEY`, a file path, `SOPS_AGE_KEY_CMD`.
        source_name: String,
        /// What is wrong (line number, never the line).
        message: String,
    },

    /// An identity file the caller named (`--identity`, `--old-identity`) could not be read.
    #[error("cannot read identity file {}", path.display())]
    IdentityFile {
        /// The file.
        path: PathBuf,
        /// Why (fs-err's error, which names the path too).
        #[source]
        source: std::io::Error,
    },

    /// `SOPS_AGE_KEY_CMD_TIMEOUT` is not a positive whole number of seconds.
    #[error(
        "SOPS_AGE_KEY_CMD_TIMEOUT `{value}` is not a number of seconds\nhint: set it to whole seconds (e.g. 120), or unset it for the default of 60"
    )]
    KeyCommandTimeoutSetting {
        /// The value given.
        value: String,
    },

    /// `SOPS_AGE_KEY_CMD` failed.
    #[error("SOPS_AGE_KEY_CMD `{command}` failed: {message}")]
    KeyCommand {
        /// The command line.
        command: String,
        /// What went wrong.
        message: String,
    },

    /// age failed while wrapping or unwrapping a data key.
    #[error("age error: {0}")]
    Age(String),

    /// A tree path (`["a"]["b"][0]`) is malformed or names nothing.
    #[error("{message}")]
    TreePath {
        /// What is wrong.
        message: String,
    },

    /// A target path is a symbolic link; it is never followed.
    #[error("refusing to write through the symbolic link {}", path.display())]
    Symlink {
        /// The link.
        path: PathBuf,
    },

    /// A file exists and the caller did not ask to overwrite it.
    #[error("{} already exists\nhint: choose another path, or remove it first", path.display())]
    Exists {
        /// The file.
        path: PathBuf,
    },

    /// A file has no format sops can read or write here.
    #[error("unsupported format for {}: {message}", path.display())]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
        /// What is unsupported.
        message: String,
    },
}

impl Error {
    /// The exit status this error maps to (DESIGN.md: 2 input, 3 key or integrity).
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Error::NoIdentities { .. }
            | Error::NoMatchingIdentity { .. }
            | Error::ShamirQuorum { .. }
            | Error::ValueDecrypt { .. }
            | Error::MalformedEnc { .. }
            | Error::BadBase64 { .. }
            | Error::BadType { .. }
            | Error::BadPlaintext { .. }
            | Error::MacUndecryptable { .. }
            | Error::MacBadType { .. }
            | Error::MacMismatch { .. }
            | Error::KeyCommand { .. }
            | Error::AgePluginMissing { .. }
            | Error::Age(_) => ExitStatus::Integrity,
            _ => ExitStatus::Usage,
        }
    }

    /// Whether this is a key or integrity failure (exit code 3).
    pub fn is_integrity(&self) -> bool {
        self.exit_status() == ExitStatus::Integrity
    }
}

/// The sources that failed to load, one `skipped: …` line each (nothing when none did).
fn skipped_lines(failures: &[String]) -> String {
    failures.iter().fold(String::new(), |mut out, f| {
        out.push_str("\nskipped: ");
        out.push_str(f);
        out
    })
}

/// The result type of bundle-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
