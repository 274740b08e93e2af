//! Proving the execution log was not rewritten: the hash chain, and the attached files.
//!
//! [`EvidenceLog::verify`] is what every reader runs before trusting the log: an edited,
//! removed, reordered or inserted line is named by its line, a replaced artifact by its path.
//! What must stay true: the checks only read (the log and the files), and an intact log
//! gives an empty list.

use std::collections::BTreeMap;
use std::path::Path;

use super::super::EvidenceError;
use super::super::entry::{Entry, GENESIS_HASH, sha256_hex};
use super::{EvidenceLog, Problem};

impl EvidenceLog {
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
}

pub(super) fn artifact_problems(entry: &Entry, dir: &Path) -> Vec<Problem> {
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

#[cfg(test)]
mod tests {
    use super::super::super::entry::{Artifact, FieldError, Kind, Link};
    use super::super::testkit::{execution, lines, reparse, rotation, sample};
    use super::*;

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
}
