//! The report of `scan-leaks`: where a finding is ([`Place`]), the [`Finding`] itself, the
//! volumes scanned and the [`LeakReport`] with its JSON and text forms. Apart from the scan
//! itself so the shape a person or a machine reads is in one place; the parent module
//! re-exports every item, so the paths `rotation_guard::scan::LeakReport` etc. are unchanged.
//!
//! What must stay true: nothing here holds a secret value, only key paths, encodings,
//! fingerprints and names already redacted by the scan; the JSON field names and
//! [`SCHEMA_VERSION`] change together.

use std::io::Write;

use serde::Serialize;

use super::secrets::Encoding;

/// The version of the JSON report format.
pub const SCHEMA_VERSION: u32 = 1;

/// Where a finding is. Every path, file or tag name in it has the secrets it contains
/// replaced by `[REDACTED:<key path>]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "source", rename_all = "kebab-case")]
pub enum Place {
    /// The content of a file of the working tree.
    Tree {
        /// Path relative to the repository.
        file: String,
    },
    /// A blob of the git object database.
    History {
        /// The blob id.
        blob: String,
        /// A commit containing it: the earliest reachable one, else the earliest at all;
        /// `None` for a blob no commit contains (staged then dropped, stashed, ...).
        commit: Option<String>,
        /// Its path in that commit.
        path: Option<String>,
        /// How many commits contain the blob.
        commits: usize,
        /// Whether a ref or reflog reaches one of those commits.
        reachable: bool,
    },
    /// The staged content of a file (with `--staged`): its blob in git's index.
    Staged {
        /// Path relative to the repository, redacted.
        file: String,
        /// The blob id in the index.
        blob: String,
    },
    /// The path name of a file of the working tree.
    Path {
        /// Path relative to the repository, redacted.
        file: String,
    },
    /// A file or directory name in a tree of the git history (with `--history`).
    HistoryPath {
        /// A commit whose tree holds the name: the earliest reachable one, else the earliest.
        commit: Option<String>,
        /// The path in that commit, redacted.
        path: String,
        /// How many commits hold that version of the directory.
        commits: usize,
        /// Whether a ref or reflog reaches one of those commits.
        reachable: bool,
    },
    /// A commit object: its message, author or committer (with `--history`).
    Commit {
        /// The commit id.
        commit: String,
        /// Whether a ref or reflog reaches it.
        reachable: bool,
    },
    /// An annotated tag object: its message or name (with `--history`).
    Tag {
        /// The tag object id.
        object: String,
        /// The tag's name, redacted.
        name: String,
    },
}

/// One leaked value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    /// Where.
    #[serde(flatten)]
    pub place: Place,
    /// 1-based line (of the file, blob, or object as `git cat-file -p` prints it); `None`
    /// for a path name.
    pub line: Option<usize>,
    /// The secret's key path in the bundle.
    pub key: String,
    /// How it was written there.
    pub encoding: Encoding,
    /// Keyed hash prefix of the value (same value, same fingerprint, within one bundle version).
    pub fingerprint: String,
}

/// What was scanned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Scanned {
    /// Files of the working tree.
    pub files: u64,
    /// Their bytes.
    pub file_bytes: u64,
    /// Blobs of the object database (with `--history`).
    pub blobs: u64,
    /// Their bytes.
    pub blob_bytes: u64,
}

/// The result of `scan-leaks`.
#[derive(Debug, Clone, Serialize)]
pub struct LeakReport {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The bundle, relative to the repository.
    pub bundle: String,
    /// Values searched.
    pub secrets: usize,
    /// Needles (values times encodings).
    pub needles: usize,
    /// Key paths of encrypted values shorter than 8 bytes, not searched.
    pub not_searched: Vec<String>,
    /// Whether the git history was scanned.
    pub history: bool,
    /// Volumes.
    pub scanned: Scanned,
    /// The findings, sorted.
    pub findings: Vec<Finding>,
}

impl LeakReport {
    /// The JSON document with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a report always serializes");
        text.push('\n');
        text
    }

    /// The text form: one line per finding, then a summary line.
    pub fn write_text(&self, out: &mut impl Write) -> std::io::Result<()> {
        for f in &self.findings {
            let line = f.line.unwrap_or(0);
            let unreachable = |reachable: bool| if reachable { "" } else { ", unreachable" };
            let at = match &f.place {
                Place::Tree { file } => format!("{file}:{line}"),
                Place::Staged { file, blob } => {
                    format!("staged {file}:{line} (blob {})", short(blob))
                }
                Place::History {
                    blob,
                    commit: Some(commit),
                    path: Some(path),
                    commits,
                    reachable,
                } => format!(
                    "history {}:{path}:{line} (blob {}, in {commits} commit(s){})",
                    short(commit),
                    short(blob),
                    unreachable(*reachable)
                ),
                Place::History { blob, .. } => {
                    format!("history blob {}:{line} (in no commit)", short(blob))
                }
                Place::Path { file } => format!("path name {file}"),
                Place::HistoryPath {
                    commit,
                    path,
                    commits,
                    reachable,
                } => format!(
                    "history path name {}:{path} (in {commits} commit(s){})",
                    commit.as_deref().map_or("(no commit)", short),
                    unreachable(*reachable)
                ),
                Place::Commit { commit, reachable } => format!(
                    "commit {} message, line {line}{}",
                    short(commit),
                    unreachable(*reachable)
                ),
                Place::Tag { object, name } => {
                    format!("tag {name} (object {}), line {line}", short(object))
                }
            };
            writeln!(
                out,
                "LEAK {at}: {} ({}) fingerprint {}",
                f.key,
                f.encoding.as_str(),
                f.fingerprint
            )?;
        }
        let mut scanned = format!(
            "{} file(s), {}",
            self.scanned.files,
            human_bytes(self.scanned.file_bytes)
        );
        if self.history {
            scanned.push_str("; ");
            scanned.push_str(&self.scanned.blobs.to_string());
            scanned.push_str(" blob(s), ");
            scanned.push_str(&human_bytes(self.scanned.blob_bytes));
        }
        writeln!(
            out,
            "result: {} — {} value(s) of {} searched ({} needles) in {scanned}",
            if self.findings.is_empty() {
                "no leak".to_owned()
            } else {
                format!("{} leak(s)", self.findings.len())
            },
            self.secrets,
            self.bundle,
            self.needles
        )?;
        if !self.not_searched.is_empty() {
            writeln!(
                out,
                "note: shorter than 8 bytes, not searched: {}",
                self.not_searched.join(", ")
            )?;
        }
        Ok(())
    }
}

fn short(oid: &str) -> &str {
    &oid[..oid.len().min(12)]
}

/// `12.3 MiB`-style sizes.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    #[allow(clippy::cast_precision_loss)] // a size shown to one decimal
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
