//! The execution log (`executions.jsonl`): reading it and appending to it.
//!
//! One [`Entry`] per line. Each entry stores the hash of the entry before it, so editing,
//! removing, reordering or inserting a line after the fact breaks the chain at that line
//! ([`EvidenceLog::verify_chain`]). What the chain alone cannot show is the loss of the *last*
//! entries, or a log rewritten from scratch: the markdown rendered from the log (which lists
//! every entry with its hash) and the git history are the anchors for that.
//!
//! [`EvidenceLog`] is one type with three concerns, each an `impl` block in its own file:
//! reading and appending (here), proving the log was not rewritten (`log/verify.rs`: the
//! chain and the attached files), and the runbook's rules the evidence of a rotation must
//! meet (`log/rules.rs`: the 24-hour plan notice, what a rotation to a version needs).
//! [`Problem`], what the last two report, is in `log/problem.rs`. Queries that only one tool
//! needs live in that tool, not here (the incidents and their communication cadence are
//! `evidence-writer`'s).

use std::path::Path;

use super::entry::{Entry, Execution, GENESIS_HASH, Kind, LineError};
use super::{EvidenceError, LOG_FILE};

mod earned;
mod problem;
mod rules;
#[cfg(test)]
mod testkit;
mod verify;

pub use earned::Unearned;
pub use problem::Problem;
pub use rules::MIN_PLAN_NOTICE_SECS;
pub use verify::sha256_file;

/// The whole log, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvidenceLog {
    entries: Vec<Entry>,
}

impl EvidenceLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `<dir>/executions.jsonl`; a missing file is an empty log. Fails on a line that is
    /// not a valid entry (malformed JSON, unknown field, other schema version); chain and
    /// artifact problems are not errors here, they are what [`EvidenceLog::verify`] reports.
    ///
    /// ```no_run
    /// use bundle_core::ops::evidence::{EvidenceLog, DEFAULT_DIR};
    /// let dir = std::path::Path::new(DEFAULT_DIR);
    /// let log = EvidenceLog::load(dir)?;
    /// if let Some(entry) = log.entry_for_version(4) {
    ///     println!("v4 rotated by {:?}", entry.execution.responsible);
    /// }
    /// assert!(log.verify(dir).is_empty(), "evidence was tampered with");
    /// # Ok::<(), bundle_core::ops::evidence::EvidenceError>(())
    /// ```
    pub fn load(dir: &Path) -> Result<Self, EvidenceError> {
        let path = dir.join(LOG_FILE);
        match fs_err::read_to_string(&path) {
            Ok(text) => Self::parse_at(&text, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::new()),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                Err(EvidenceError::Malformed {
                    path,
                    line: 0,
                    message: "the file is not UTF-8".into(),
                })
            }
            Err(e) => Err(EvidenceError::Io(e)),
        }
    }

    /// Parses the text of a log (one JSON entry per line, blank lines not allowed).
    pub fn parse(text: &str) -> Result<Self, EvidenceError> {
        Self::parse_at(text, Path::new(LOG_FILE))
    }

    fn parse_at(text: &str, path: &Path) -> Result<Self, EvidenceError> {
        let mut entries = Vec::new();
        let body = text.strip_suffix('\n').unwrap_or(text);
        if body.is_empty() {
            return Ok(Self::new());
        }
        for (i, line) in body.split('\n').enumerate() {
            let line_no = i + 1;
            let entry = Entry::from_line(line).map_err(|e| match e {
                LineError::Json(e) => EvidenceError::Malformed {
                    path: path.to_owned(),
                    line: line_no,
                    message: if line.trim().is_empty() {
                        "blank line".to_owned()
                    } else {
                        e.to_string()
                    },
                },
                LineError::Shape(message) => EvidenceError::Malformed {
                    path: path.to_owned(),
                    line: line_no,
                    message: message.to_owned(),
                },
                LineError::Schema(found) => EvidenceError::UnsupportedSchema {
                    path: path.to_owned(),
                    line: line_no,
                    found,
                },
            })?;
            entries.push(entry);
        }
        Ok(Self { entries })
    }

    /// The log as file text: one canonical line per entry, each ending with `\n`.
    pub fn to_jsonl(&self) -> String {
        self.entries.iter().map(|e| e.to_line() + "\n").collect()
    }

    /// The entries in file order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry with this stable id (the first one, should the log hold duplicates).
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.execution.id == id)
    }

    /// The hash a new entry must store as `prev`: the last entry's hash, or [`GENESIS_HASH`].
    pub fn head(&self) -> &str {
        self.entries
            .last()
            .map_or(GENESIS_HASH, |e| e.hash.as_str())
    }

    /// The rotation (scheduled or emergency) that produced bundle version `version`.
    pub fn entry_for_version(&self, version: u64) -> Option<&Entry> {
        self.rotations()
            .find(|e| e.execution.version_to == Some(version))
    }

    /// Rotation entries (scheduled and emergency), in file order.
    pub fn rotations(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|e| e.execution.kind.is_rotation())
    }

    /// The highest `version_to` among the rotations.
    pub fn latest_version(&self) -> Option<u64> {
        self.rotations()
            .filter_map(|e| e.execution.version_to)
            .max()
    }

    /// The `plan` entry announcing the window of `rotation`: the last plan recorded before it
    /// in the log that names the same `version_to`, or that names no version.
    pub fn plan_for(&self, rotation: &Entry) -> Option<&Entry> {
        let position = self
            .entries
            .iter()
            .position(|e| std::ptr::eq(e, rotation))
            .unwrap_or(self.entries.len());
        self.entries[..position].iter().rev().find(|e| {
            e.execution.kind == Kind::Plan
                && (e.execution.version_to.is_none()
                    || e.execution.version_to == rotation.execution.version_to)
        })
    }

    /// Appends `execution` after the head, numbering and hashing it. The caller checks the
    /// fields first ([`Execution::check_fields`]) and sets `written_at` (evidence-writer sets
    /// it from the clock or `SOURCE_DATE_EPOCH`); when it did not, the claimed time is stored
    /// there too, which gives a plan no more notice than it claims.
    pub fn append(&mut self, mut execution: Execution) -> &Entry {
        if execution.written_at.is_none() {
            execution.written_at = Some(execution.recorded_at);
        }
        let seq = self.entries.last().map_or(1, |e| e.seq + 1);
        let entry = Entry::seal(seq, execution, self.head());
        self.entries.push(entry);
        self.entries.last().expect("an entry was just pushed")
    }
}

#[cfg(test)]
mod tests {
    use super::testkit::{lines, sample};
    use super::*;

    #[test]
    fn intact_log_round_trips_and_verifies() {
        let log = sample();
        let again = EvidenceLog::parse(&log.to_jsonl()).unwrap();
        assert_eq!(again, log);
        assert_eq!(again.verify_chain(), vec![]);
        assert_eq!(again.entries()[1].prev, again.entries()[0].hash);
        assert_eq!(again.entries()[0].prev, GENESIS_HASH);
        assert_eq!(again.head(), again.entries()[3].hash);
        assert_eq!(again.latest_version(), Some(4));
        assert_eq!(
            again.entry_for_version(3).unwrap().execution.id,
            "emergency-v3"
        );
        assert!(again.entry_for_version(9).is_none());
    }

    #[test]
    fn malformed_lines_and_other_schemas_fail_to_load() {
        let l = lines(&sample());
        let text = format!("{}\n{{not json\n", l[0]);
        match EvidenceLog::parse(&text).unwrap_err() {
            EvidenceError::Malformed { line, .. } => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
        let text = l[0].replace("\"schema_version\":2", "\"schema_version\":3");
        assert!(matches!(
            EvidenceLog::parse(&text).unwrap_err(),
            EvidenceError::UnsupportedSchema {
                line: 1,
                found: 3,
                ..
            }
        ));
        let text = format!("{}\n\n{}\n", l[0], l[1]);
        assert!(matches!(
            EvidenceLog::parse(&text).unwrap_err(),
            EvidenceError::Malformed { line: 2, .. }
        ));
        assert_eq!(EvidenceLog::parse("").unwrap().len(), 0);
    }
}
