//! The rotation's rollback snapshot: the exact prior bytes (and mode) of every file a rotation
//! may touch, recorded before its first change, put back when a step fails.
//!
//! What must stay true: a snapshot is recorded before the first file is changed, and then ends
//! exactly one way, [`Snapshot::restore`] (a step failed: every recorded file gets its old
//! bytes and mode back, files created under the roots since are removed, and so are the new
//! empty directories) or [`Snapshot::discard`] (the rotation succeeded: its changes stand).
//! Files that did not exist are recorded as absent, so restoring removes them. The snapshot
//! lives in memory only; a crash between the first change and the restore loses it.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::Failure;
use crate::walk::{dirs_under, files_under};

/// A file's bytes and mode, as recorded.
struct Saved {
    bytes: Vec<u8>,
    mode: u32,
}

/// The exact bytes of every file a rotation may touch, to put back on failure.
///
/// No `Debug`: it may hold the plaintext files of `~/.mcp`.
#[must_use = "a snapshot ends with restore() or discard()"]
pub(crate) struct Snapshot {
    /// Each file with its bytes and mode, `None` when it did not exist.
    files: Vec<(PathBuf, Option<Saved>)>,
    /// Directories whose whole content is covered, present or not.
    roots: Vec<PathBuf>,
    /// The directories under the roots at snapshot time (kept even when empty).
    dirs: Vec<PathBuf>,
}

impl Snapshot {
    /// Records `files` and every file under `roots` (present or not); call it before the first
    /// change.
    pub(crate) fn record(files: &[PathBuf], roots: &[PathBuf]) -> Result<Self, Box<Failure>> {
        let mut all: Vec<PathBuf> = files.to_vec();
        for root in roots {
            files_under(root, &mut all)?;
        }
        let mut saved = Vec::new();
        for path in all {
            let before = match fs_err::read(&path) {
                Ok(bytes) => {
                    let mode = fs_err::metadata(&path)?.permissions().mode();
                    Some(Saved { bytes, mode })
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(e.into()),
            };
            saved.push((path, before));
        }
        Ok(Self {
            files: saved,
            roots: roots.to_vec(),
            dirs: roots.iter().flat_map(|r| dirs_under(r)).collect(),
        })
    }

    /// Puts every recorded file back and removes files (then empty directories) created under
    /// the roots since.
    pub(crate) fn restore(self) -> Result<(), Box<Failure>> {
        let mut now = Vec::new();
        for root in &self.roots {
            files_under(root, &mut now)?;
        }
        for path in now {
            if !self.files.iter().any(|(p, _)| *p == path) {
                fs_err::remove_file(&path)?;
            }
        }
        for (path, before) in &self.files {
            match before {
                Some(Saved { bytes, mode }) => {
                    if fs_err::read(path).ok().as_deref() != Some(bytes.as_slice()) {
                        fs_err::write(path, bytes)?;
                    }
                    fs_err::set_permissions(path, std::fs::Permissions::from_mode(*mode))?;
                }
                None => {
                    if path.exists() {
                        fs_err::remove_file(path)?;
                    }
                }
            }
        }
        for root in &self.roots {
            prune_new_dirs(root, &self.dirs);
        }
        Ok(())
    }

    /// The rotation succeeded: its changes stand and the recorded bytes are dropped.
    pub(crate) fn discard(self) {
        drop(self);
    }
}

/// Removes the directories created since the snapshot (deepest first; only empty ones).
fn prune_new_dirs(root: &Path, keep: &[PathBuf]) {
    let mut found = dirs_under(root);
    found.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for dir in found {
        if !keep.contains(&dir) {
            let _ = fs_err::remove_dir(&dir);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use bundle_core::fsio::{self, WriteOptions};

    use super::*;

    #[test]
    fn snapshot_restores_bytes_modes_and_removes_new_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bundle.yaml");
        let absent = dir.path().join("absent.yaml");
        let evidence = dir.path().join("evidence");
        fs_err::create_dir_all(evidence.join("artifacts")).unwrap();
        fs_err::write(&file, b"before").unwrap();
        fs_err::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        fs_err::write(evidence.join("log.jsonl"), b"one\n").unwrap();
        let snapshot = Snapshot::record(
            &[file.clone(), absent.clone()],
            std::slice::from_ref(&evidence),
        )
        .unwrap();
        fsio::write_atomic(&file, b"after", WriteOptions::PUBLIC).unwrap();
        fs_err::write(&absent, b"new").unwrap();
        fs_err::write(evidence.join("log.jsonl"), b"one\ntwo\n").unwrap();
        fs_err::create_dir_all(evidence.join("artifacts/scheduled-v2")).unwrap();
        fs_err::write(evidence.join("artifacts/scheduled-v2/r.json"), b"{}").unwrap();
        snapshot.restore().unwrap();
        assert_eq!(fs_err::read(&file).unwrap(), b"before");
        assert_eq!(
            fs_err::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o640
        );
        assert!(!absent.exists());
        assert_eq!(fs_err::read(evidence.join("log.jsonl")).unwrap(), b"one\n");
        assert!(!evidence.join("artifacts/scheduled-v2").exists());
        assert!(evidence.join("artifacts").is_dir());
    }

    #[test]
    fn a_discarded_snapshot_leaves_the_changes_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bundle.yaml");
        let evidence = dir.path().join("evidence");
        fs_err::write(&file, b"before").unwrap();
        let snapshot =
            Snapshot::record(std::slice::from_ref(&file), std::slice::from_ref(&evidence)).unwrap();
        fs_err::write(&file, b"after").unwrap();
        fs_err::create_dir_all(&evidence).unwrap();
        fs_err::write(evidence.join("log.jsonl"), b"one\n").unwrap();
        snapshot.discard();
        assert_eq!(fs_err::read(&file).unwrap(), b"after");
        assert_eq!(fs_err::read(evidence.join("log.jsonl")).unwrap(), b"one\n");
    }
}
