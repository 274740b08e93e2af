//! The execution log (`executions.jsonl`): reading, appending, and proving it was not rewritten.
//!
//! One [`Entry`] per line. Each entry stores the hash of the entry before it, so editing,
//! removing, reordering or inserting a line after the fact breaks the chain at that line
//! ([`EvidenceLog::verify_chain`]). What the chain alone cannot show is the loss of the *last*
//! entries, or a log rewritten from scratch: the markdown rendered from the log (which lists
//! every entry with its hash) and the git history are the anchors for that.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use super::entry::{Entry, Execution, FieldError, GENESIS_HASH, Kind, LineError, sha256_hex};
use super::{EvidenceError, LOG_FILE};
use crate::time::Timestamp;

/// The least notice a scheduled window needs (runbook: pelo menos 24 h de antecedência).
pub const MIN_PLAN_NOTICE_SECS: i64 = 24 * 3600;

/// The longest silence allowed between updates of an open incident (a cada 30 minutos).
pub const COMMS_MAX_GAP_SECS: i64 = 30 * 60;

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
    /// fields first ([`Execution::check_fields`]).
    pub fn append(&mut self, execution: Execution) -> &Entry {
        let seq = self.entries.last().map_or(1, |e| e.seq + 1);
        let entry = Entry::seal(seq, execution, self.head());
        self.entries.push(entry);
        self.entries.last().expect("an entry was just pushed")
    }

    /// The problems of the chain itself, in file order: an entry whose hash does not match
    /// its content (edited), a sequence number that does not follow the line before it
    /// (removed, reordered or inserted), a `prev` that is not the hash of the line before it,
    /// a repeated id, an entry whose fields break the rules of its kind.
    pub fn verify_chain(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut first_line_of: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, entry) in self.entries.iter().enumerate() {
            let line = i + 1;
            let id = entry.execution.id.clone();
            let expected_seq = if i == 0 {
                1
            } else {
                self.entries[i - 1].seq + 1
            };
            let expected_prev = if i == 0 {
                GENESIS_HASH
            } else {
                self.entries[i - 1].hash.as_str()
            };
            if entry.compute_hash() != entry.hash {
                problems.push(Problem::HashMismatch {
                    line,
                    id: id.clone(),
                });
            } else if entry.seq > expected_seq
                && !self
                    .entries
                    .iter()
                    .any(|e| (expected_seq..entry.seq).contains(&e.seq))
            {
                problems.push(Problem::Removed {
                    line,
                    id: id.clone(),
                    expected: expected_seq,
                    found: entry.seq,
                });
            } else if entry.seq != expected_seq {
                problems.push(Problem::OutOfOrder {
                    line,
                    id: id.clone(),
                    expected: expected_seq,
                    found: entry.seq,
                });
            } else if entry.prev != expected_prev {
                problems.push(Problem::BrokenLink {
                    line,
                    id: id.clone(),
                });
            }
            if let Some(&first_line) = first_line_of.get(entry.execution.id.as_str()) {
                problems.push(Problem::DuplicateId {
                    line,
                    id: id.clone(),
                    first_line,
                });
            } else {
                first_line_of.insert(&entry.execution.id, line);
            }
            if let Err(error) = entry.execution.check_fields() {
                problems.push(Problem::InvalidEntry { line, id, error });
            }
        }
        problems
    }

    /// The problems of the attached files: a path that leaves `dir`, a missing file, or a
    /// file whose sha256 differs from the one recorded (replaced after the fact).
    pub fn verify_artifacts(&self, dir: &Path) -> Vec<Problem> {
        self.entries
            .iter()
            .flat_map(|e| artifact_problems(e, dir))
            .collect()
    }

    /// Everything [`EvidenceLog::verify_chain`] and [`EvidenceLog::verify_artifacts`] find:
    /// the chain's problems by line, then the artifacts' by entry. Empty means intact.
    pub fn verify(&self, dir: &Path) -> Vec<Problem> {
        let mut problems = self.verify_chain();
        problems.extend(self.verify_artifacts(dir));
        problems.sort_by_key(Problem::line_order);
        problems
    }

    /// What the evidence must show for a rotation to bundle `version`: a scheduled or
    /// emergency entry with valid fields (emergency: incident and ≥ 2 people), its artifacts
    /// present with matching hashes, and for a scheduled one a `plan` entry announced at least
    /// [`MIN_PLAN_NOTICE_SECS`] before its window start. Empty means the evidence is complete.
    pub fn check_rotation(&self, dir: &Path, version: u64) -> Vec<Problem> {
        let Some(entry) = self.entry_for_version(version) else {
            return vec![Problem::NoEntryForVersion { version }];
        };
        let mut problems = Vec::new();
        let line = self.line_of(entry);
        if let Err(error) = entry.execution.check_fields() {
            problems.push(Problem::InvalidEntry {
                line,
                id: entry.execution.id.clone(),
                error,
            });
        }
        problems.extend(artifact_problems(entry, dir));
        if entry.execution.kind == Kind::Scheduled
            && let Err(problem) =
                self.plan_notice(line.saturating_sub(1), &entry.execution.id, version)
        {
            problems.push(problem);
        }
        problems
    }

    /// The plan that covers a scheduled rotation to `version` that is not recorded yet (the
    /// preflight of a rotation), under the same rule as [`EvidenceLog::check_rotation`]: the
    /// latest `plan` entry for that version (or for any) with at least
    /// [`MIN_PLAN_NOTICE_SECS`] between its recording and its window start.
    pub fn plan_for_next_rotation(&self, version: u64) -> Result<&Entry, Problem> {
        self.plan_notice(self.entries.len(), &format!("upcoming v{version}"), version)
    }

    /// The notice rule, for a rotation recorded after the first `before` entries.
    fn plan_notice(
        &self,
        before: usize,
        rotation_id: &str,
        version: u64,
    ) -> Result<&Entry, Problem> {
        let plan = self.entries[..before.min(self.entries.len())]
            .iter()
            .rev()
            .find(|e| {
                e.execution.kind == Kind::Plan
                    && e.execution.version_to.is_none_or(|v| v == version)
            });
        let Some(plan) = plan else {
            return Err(Problem::MissingPlan {
                id: rotation_id.to_owned(),
                version,
            });
        };
        let notice = plan.execution.notice_seconds().unwrap_or(i64::MIN);
        if notice < MIN_PLAN_NOTICE_SECS {
            return Err(Problem::ShortNotice {
                id: rotation_id.to_owned(),
                plan_id: plan.execution.id.clone(),
                notice_secs: notice,
            });
        }
        Ok(plan)
    }

    fn line_of(&self, entry: &Entry) -> usize {
        self.entries
            .iter()
            .position(|e| std::ptr::eq(e, entry))
            .map_or(0, |i| i + 1)
    }

    /// The incidents named by `comms` and `emergency` entries, in order of first mention.
    /// An incident is closed by the first emergency entry that names it.
    pub fn incidents(&self) -> Vec<Incident> {
        let mut incidents: Vec<Incident> = Vec::new();
        for entry in &self.entries {
            let e = &entry.execution;
            let Some(id) = e.incident.as_deref() else {
                continue;
            };
            if !matches!(e.kind, Kind::Comms | Kind::Emergency) {
                continue;
            }
            let index = incidents
                .iter()
                .position(|i| i.id == id)
                .unwrap_or_else(|| {
                    incidents.push(Incident {
                        id: id.to_owned(),
                        updates: Vec::new(),
                        closed: None,
                    });
                    incidents.len() - 1
                });
            let incident = &mut incidents[index];
            match e.kind {
                Kind::Comms => incident.updates.push(e.recorded_at),
                _ if incident.closed.is_none() => {
                    incident.closed = Some((e.recorded_at, e.id.clone()));
                }
                _ => {}
            }
        }
        for incident in &mut incidents {
            incident.updates.sort_unstable();
        }
        incidents
    }

    /// Silences longer than [`COMMS_MAX_GAP_SECS`]: between consecutive updates of each
    /// incident, and from the last update to its closing (closed) or to `now` (open).
    pub fn comms_gaps(&self, now: Timestamp) -> Vec<CommsGap> {
        let mut gaps = Vec::new();
        for incident in self.incidents() {
            let Some(&first) = incident.updates.first() else {
                continue;
            };
            let end = incident.closed.as_ref().map_or(now, |(at, _)| *at);
            let mut points: Vec<Timestamp> = incident
                .updates
                .iter()
                .copied()
                .filter(|t| *t <= end)
                .collect();
            if points.is_empty() {
                points.push(first);
            }
            points.push(end);
            for pair in points.windows(2) {
                if pair[1].seconds_since(pair[0]) > COMMS_MAX_GAP_SECS {
                    gaps.push(CommsGap {
                        incident: incident.id.clone(),
                        from: pair[0],
                        to: pair[1],
                        open: incident.closed.is_none(),
                    });
                }
            }
        }
        gaps
    }
}

fn artifact_problems(entry: &Entry, dir: &Path) -> Vec<Problem> {
    let mut problems = Vec::new();
    for artifact in &entry.execution.artifacts {
        let id = entry.execution.id.clone();
        let path = artifact.path.clone();
        let Some(file) = artifact.resolve(dir) else {
            problems.push(Problem::ArtifactPathInvalid { id, path });
            continue;
        };
        match fs_err::read(&file) {
            Ok(bytes) => {
                let actual = sha256_hex(&bytes);
                if actual != artifact.sha256 {
                    problems.push(Problem::ArtifactMismatch {
                        id,
                        path,
                        expected: artifact.sha256.clone(),
                        actual,
                    });
                }
            }
            Err(_) => problems.push(Problem::ArtifactMissing { id, path }),
        }
    }
    problems
}

/// The sha256 of a file's bytes, lowercase hex.
pub fn sha256_file(path: &Path) -> Result<String, EvidenceError> {
    Ok(sha256_hex(&fs_err::read(path)?))
}

/// An incident seen in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    /// The incident or alert id.
    pub id: String,
    /// Times of its comms updates, sorted.
    pub updates: Vec<Timestamp>,
    /// When and by which emergency entry (id) it was closed.
    pub closed: Option<(Timestamp, String)>,
}

impl Incident {
    /// True until an emergency rotation names it.
    pub fn is_open(&self) -> bool {
        self.closed.is_none()
    }
}

/// A silence longer than the cadence between two points of an incident's communication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommsGap {
    /// The incident.
    pub incident: String,
    /// The update the silence started after.
    pub from: Timestamp,
    /// The next update, the closing, or "now" for an open incident.
    pub to: Timestamp,
    /// Whether the incident is still open (the gap is then a problem to act on).
    pub open: bool,
}

impl CommsGap {
    /// Length of the silence in whole minutes.
    pub fn minutes(&self) -> i64 {
        self.to.seconds_since(self.from) / 60
    }
}

impl fmt::Display for CommsGap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "incident {}: {} minutes without a communication update between {} and {} (the cadence is 30 minutes)",
            self.incident,
            self.minutes(),
            self.from,
            self.to
        )
    }
}

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

    fn line_order(&self) -> (usize, u8) {
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

#[cfg(test)]
mod tests {
    use super::super::entry::{Artifact, Link};
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn execution(kind: Kind, time: &str) -> Execution {
        let mut e = Execution::new(kind, at(time));
        e.responsible = vec!["Ana".into(), "Bruno".into()];
        if kind != Kind::Comms {
            e.reason = Some("motivo".into());
        }
        e
    }

    fn rotation(kind: Kind, time: &str, to: u64) -> Execution {
        let mut e = execution(kind, time);
        e.version_from = Some(to - 1);
        e.version_to = Some(to);
        if kind == Kind::Emergency {
            e.incident = Some("INC-1".into());
        }
        e.id = e.stable_id();
        e
    }

    fn plan(time: &str, window: &str, to: u64) -> Execution {
        let mut e = execution(Kind::Plan, time);
        e.window_start = Some(at(window));
        e.version_from = Some(to - 1);
        e.version_to = Some(to);
        e.id = e.stable_id();
        e
    }

    fn comms(time: &str, incident: &str) -> Execution {
        let mut e = execution(Kind::Comms, time);
        e.responsible.clear();
        e.incident = Some(incident.into());
        e.message = Some("atualização".into());
        e.id = e.stable_id();
        e
    }

    fn sample() -> EvidenceLog {
        let mut log = EvidenceLog::new();
        log.append(plan("2025-01-01T09:00:00Z", "2025-01-03T09:00:00Z", 2));
        log.append(rotation(Kind::Scheduled, "2025-01-03T10:00:00Z", 2));
        log.append(rotation(Kind::Emergency, "2025-01-05T10:00:00Z", 3));
        log.append(rotation(Kind::Scheduled, "2025-01-08T10:00:00Z", 4));
        log
    }

    #[test]
    fn plan_for_next_rotation_applies_the_notice_rule_before_recording() {
        let mut log = EvidenceLog::new();
        assert_eq!(
            log.plan_for_next_rotation(2).unwrap_err().code(),
            "rotation.missing-plan"
        );
        log.append(plan("2025-01-02T20:00:00Z", "2025-01-03T09:00:00Z", 2));
        let short = log.plan_for_next_rotation(2).unwrap_err();
        assert_eq!(short.code(), "rotation.short-notice");
        assert!(short.to_string().contains("only 13 h 0 min"), "{short}");
        log.append(plan("2025-01-01T09:00:00Z", "2025-01-03T09:00:00Z", 2));
        assert_eq!(
            log.plan_for_next_rotation(2).unwrap().execution.version_to,
            Some(2)
        );
        // A plan for another version does not count.
        assert_eq!(
            log.plan_for_next_rotation(3).unwrap_err().code(),
            "rotation.missing-plan"
        );
        // The rule is the one check_rotation applies after the rotation is recorded.
        log.append(rotation(Kind::Scheduled, "2025-01-03T10:00:00Z", 2));
        assert!(log.check_rotation(Path::new("."), 2).is_empty());
    }

    fn lines(log: &EvidenceLog) -> Vec<String> {
        log.to_jsonl().lines().map(str::to_owned).collect()
    }

    fn reparse(lines: &[String]) -> EvidenceLog {
        EvidenceLog::parse(&(lines.join("\n") + "\n")).unwrap()
    }

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
    fn edited_entry_is_named() {
        let mut l = lines(&sample());
        l[1] = l[1].replace("\"motivo\"", "\"outro motivo\"");
        assert_eq!(
            reparse(&l).verify_chain(),
            vec![Problem::HashMismatch {
                line: 2,
                id: "scheduled-v2".into()
            }]
        );
    }

    #[test]
    fn edited_and_rehashed_entry_breaks_the_next_link() {
        let mut log = sample();
        log.entries[1].execution.reason = Some("reescrito".into());
        log.entries[1].hash = log.entries[1].compute_hash();
        assert_eq!(
            log.verify_chain(),
            vec![Problem::BrokenLink {
                line: 3,
                id: "emergency-v3".into()
            }]
        );
    }

    #[test]
    fn removed_entry_is_named() {
        let mut l = lines(&sample());
        l.remove(1);
        let problems = reparse(&l).verify_chain();
        assert_eq!(
            problems,
            vec![Problem::Removed {
                line: 2,
                id: "emergency-v3".into(),
                expected: 2,
                found: 3
            }]
        );
        assert!(
            problems[0].to_string().contains("entry #2 was removed"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn swapped_entries_are_named() {
        let mut l = lines(&sample());
        l.swap(1, 2);
        let problems = reparse(&l).verify_chain();
        assert_eq!(
            problems,
            vec![
                Problem::OutOfOrder {
                    line: 2,
                    id: "emergency-v3".into(),
                    expected: 2,
                    found: 3
                },
                Problem::OutOfOrder {
                    line: 3,
                    id: "scheduled-v2".into(),
                    expected: 4,
                    found: 2
                },
                Problem::OutOfOrder {
                    line: 4,
                    id: "scheduled-v4".into(),
                    expected: 3,
                    found: 4
                },
            ]
        );
        assert!(
            problems[0].to_string().contains("reordered"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn inserted_entry_is_named() {
        // A forged entry, correctly hashed and chained to line 1, inserted as line 2.
        let log = sample();
        let forged = Entry::seal(
            2,
            rotation(Kind::Scheduled, "2025-01-02T10:00:00Z", 9),
            &log.entries[0].hash,
        );
        let mut l = lines(&log);
        l.insert(1, forged.to_line());
        assert_eq!(
            reparse(&l).verify_chain(),
            vec![Problem::OutOfOrder {
                line: 3,
                id: "scheduled-v2".into(),
                expected: 3,
                found: 2
            }]
        );
    }

    #[test]
    fn duplicate_and_invalid_entries_are_named() {
        let mut log = sample();
        log.append(rotation(Kind::Scheduled, "2025-01-09T10:00:00Z", 4));
        let mut bad = execution(Kind::Emergency, "2025-01-10T10:00:00Z");
        bad.version_from = Some(4);
        bad.version_to = Some(5);
        bad.id = bad.stable_id();
        log.append(bad);
        assert_eq!(
            log.verify_chain(),
            vec![
                Problem::DuplicateId {
                    line: 5,
                    id: "scheduled-v4".into(),
                    first_line: 4
                },
                Problem::InvalidEntry {
                    line: 6,
                    id: "emergency-v5".into(),
                    error: FieldError::MissingIncident {
                        kind: Kind::Emergency
                    }
                },
            ]
        );
    }

    #[test]
    fn malformed_lines_and_other_schemas_fail_to_load() {
        let l = lines(&sample());
        let text = format!("{}\n{{not json\n", l[0]);
        match EvidenceLog::parse(&text).unwrap_err() {
            EvidenceError::Malformed { line, .. } => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
        let text = l[0].replace("\"schema_version\":1", "\"schema_version\":2");
        assert!(matches!(
            EvidenceLog::parse(&text).unwrap_err(),
            EvidenceError::UnsupportedSchema {
                line: 1,
                found: 2,
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

    #[test]
    fn artifacts_missing_or_replaced_are_named() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(dir.path().join("artifacts/audit-x")).unwrap();
        fs_err::write(dir.path().join("artifacts/audit-x/r.json"), b"{}").unwrap();
        let mut e = execution(Kind::Audit, "2025-01-10T10:00:00Z");
        e.artifacts = vec![
            Artifact {
                path: "artifacts/audit-x/r.json".into(),
                sha256: sha256_hex(b"{}"),
            },
            Artifact {
                path: "artifacts/audit-x/gone.json".into(),
                sha256: sha256_hex(b""),
            },
        ];
        e.links = vec![Link::parse("CI=https://ci.example/1").unwrap()];
        e.id = e.stable_id();
        let mut log = EvidenceLog::new();
        log.append(e);
        assert_eq!(
            log.verify(dir.path()),
            vec![Problem::ArtifactMissing {
                id: "audit-20250110T100000Z".into(),
                path: "artifacts/audit-x/gone.json".into()
            }]
        );
        fs_err::write(dir.path().join("artifacts/audit-x/r.json"), b"{\"x\":1}").unwrap();
        let problems = log.verify(dir.path());
        assert_eq!(problems[0].code(), "artifact.mismatch");
        assert_eq!(problems.len(), 2);
    }

    #[test]
    fn rotation_requirements() {
        let dir = tempfile::tempdir().unwrap();
        let log = sample();
        assert_eq!(log.check_rotation(dir.path(), 2), vec![]);
        assert_eq!(log.check_rotation(dir.path(), 3), vec![]);
        assert_eq!(
            log.check_rotation(dir.path(), 4),
            vec![Problem::MissingPlan {
                id: "scheduled-v4".into(),
                version: 4
            }]
        );
        assert_eq!(
            log.check_rotation(dir.path(), 5),
            vec![Problem::NoEntryForVersion { version: 5 }]
        );

        let mut short = EvidenceLog::new();
        short.append(plan("2025-01-02T10:00:00Z", "2025-01-03T09:00:00Z", 2));
        short.append(rotation(Kind::Scheduled, "2025-01-03T10:00:00Z", 2));
        let problems = short.check_rotation(dir.path(), 2);
        assert_eq!(
            problems,
            vec![Problem::ShortNotice {
                id: "scheduled-v2".into(),
                plan_id: "plan-v2".into(),
                notice_secs: 23 * 3600
            }]
        );
        assert!(
            problems[0].to_string().contains("only 23 h 0 min"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn comms_gaps_of_open_and_closed_incidents() {
        let mut log = EvidenceLog::new();
        log.append(comms("2025-01-05T09:00:00Z", "INC-1"));
        log.append(comms("2025-01-05T09:30:00Z", "INC-1"));
        log.append(comms("2025-01-05T10:01:00Z", "INC-1"));
        log.append(comms("2025-01-06T08:00:00Z", "INC-2"));
        log.append(rotation(Kind::Emergency, "2025-01-05T10:20:00Z", 3));
        let now = at("2025-01-06T08:45:00Z");
        let gaps = log.comms_gaps(now);
        assert_eq!(
            gaps,
            vec![
                CommsGap {
                    incident: "INC-1".into(),
                    from: at("2025-01-05T09:30:00Z"),
                    to: at("2025-01-05T10:01:00Z"),
                    open: false
                },
                CommsGap {
                    incident: "INC-2".into(),
                    from: at("2025-01-06T08:00:00Z"),
                    to: now,
                    open: true
                },
            ]
        );
        assert_eq!(gaps[1].minutes(), 45);
        let incidents = log.incidents();
        assert!(!incidents[0].is_open());
        assert!(incidents[1].is_open());
        // Exactly 30 minutes is on cadence.
        assert_eq!(log.comms_gaps(at("2025-01-06T08:30:00Z")).len(), 1);
    }
}
