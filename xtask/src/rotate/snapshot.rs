//! The rotation's rollback snapshot: the exact prior bytes (and mode) of every file a rotation
//! may touch, recorded before its first change, put back when a step fails, and written to
//! the rotation journal ([`super::journal`]) so that a killed rotation can be undone too.
//!
//! What must stay true: a snapshot is recorded and journaled before the first file is
//! changed, and then ends exactly one way, [`Snapshot::restore`] (a step failed or a signal
//! stopped the rotation: every recorded file gets its old bytes and mode back, files created
//! under the roots since are removed, and so are the new empty directories) or
//! [`Snapshot::discard`] (the rotation succeeded: its changes stand). Both remove the
//! journal. Files that did not exist are recorded as absent, so restoring removes them. The
//! bytes of the `--sync` directory (plaintext) stay in memory only: the journal names those
//! files, never their content.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use bundle_core::fsio::{self, WriteOptions};

use super::journal::{self, Doc, FileDoc, GitStart, Journal};
use super::steps::Step;
use crate::Failure;
use crate::walk::{dirs_under, files_under};

/// A file's prior bytes and mode, `None` when it did not exist.
type Prior = Option<(Vec<u8>, u32)>;

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
    /// The journal on disk, once written.
    journal: Option<Journal>,
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
            journal: None,
        })
    }

    /// Writes the snapshot to the journal at `path` (see [`super::journal`]): the files
    /// under `private` (the `--sync` directory) by path and mode only.
    pub(crate) fn journal(
        &mut self,
        path: PathBuf,
        repo: &Path,
        start: GitStart,
        key_sink: String,
        private: Option<&Path>,
    ) -> Result<(), Box<Failure>> {
        let is_private = |p: &Path| private.is_some_and(|root| p.starts_with(root));
        let mut doc = Doc::new(repo, start, key_sink);
        for (path, before) in &self.files {
            if is_private(path) {
                if let Some(saved) = before {
                    doc.private_files.push((path.clone(), saved.mode));
                }
            } else {
                doc.files.push(FileDoc::new(
                    path.clone(),
                    before.as_ref().map(|s| (s.bytes.as_slice(), s.mode)),
                ));
            }
        }
        doc.roots = self
            .roots
            .iter()
            .filter(|r| !is_private(r))
            .cloned()
            .collect();
        doc.dirs = self
            .dirs
            .iter()
            .filter(|d| !is_private(d))
            .cloned()
            .collect();
        doc.private_root = private.map(Path::to_owned);
        self.journal = Some(Journal::begin(path, doc)?);
        Ok(())
    }

    /// Journals that `step` is about to run, and where the new key went once it did.
    pub(crate) fn enter(
        &mut self,
        step: Step,
        delivered: Option<&str>,
    ) -> Result<(), Box<Failure>> {
        match &mut self.journal {
            Some(j) => j.enter(step, delivered),
            None => Ok(()),
        }
    }

    /// Journals the branch and PR body step 7 is about to create.
    pub(crate) fn will_create(&mut self, branch: &str, body: &Path) -> Result<(), Box<Failure>> {
        match &mut self.journal {
            Some(j) => j.will_create(branch, body),
            None => Ok(()),
        }
    }

    /// Puts every recorded file back and removes files (then empty directories) created under
    /// the roots since; then removes the journal.
    pub(crate) fn restore(self) -> Result<(), Box<Failure>> {
        let files: Vec<(PathBuf, Prior)> = self
            .files
            .into_iter()
            .map(|(p, s)| (p, s.map(|s| (s.bytes, s.mode))))
            .collect();
        put_back(&files, &self.roots, &self.dirs)?;
        match self.journal {
            Some(j) => j.remove(),
            None => Ok(()),
        }
    }

    /// The rotation succeeded: its changes stand and the recorded bytes are dropped.
    pub(crate) fn discard(self) -> Result<(), Box<Failure>> {
        match self.journal {
            Some(j) => j.remove(),
            None => Ok(()),
        }
    }
}

/// Recovery after a kill: every file the journal `doc` recorded put back, files created
/// under its roots since removed, then the journal at `path` removed. Idempotent.
pub(crate) fn restore_journaled(doc: &Doc, path: &Path) -> Result<(), Box<Failure>> {
    let mut files = Vec::with_capacity(doc.files.len());
    for file in &doc.files {
        files.push((file.path.clone(), file.prior()?));
    }
    put_back(&files, &doc.roots, &doc.dirs)?;
    // A kill while the journal itself was being rewritten left its temp file beside it.
    if let Some(dir) = path.parent() {
        fsio::sweep_temp_files(dir)?;
    }
    journal::remove(path)
}

/// Writes back every file whose bytes differ, removes the absent ones and the files created
/// under `roots` since, then the new empty directories.
fn put_back(
    files: &[(PathBuf, Prior)],
    roots: &[PathBuf],
    dirs: &[PathBuf],
) -> Result<(), Box<Failure>> {
    let mut now = Vec::new();
    for root in roots {
        files_under(root, &mut now)?;
    }
    for path in now {
        if !files.iter().any(|(p, _)| *p == path) {
            fs_err::remove_file(&path)?;
        }
    }
    for (path, before) in files {
        match before {
            Some((bytes, mode)) => {
                if fs_err::read(path).ok().as_deref() != Some(bytes.as_slice()) {
                    if let Some(parent) = path.parent() {
                        fs_err::create_dir_all(parent)?;
                    }
                    // 0600 until the recorded mode is set: the file may be plaintext of `~/.mcp`.
                    fsio::write_atomic(path, bytes, WriteOptions::PRIVATE)?;
                }
                fs_err::set_permissions(path, std::fs::Permissions::from_mode(*mode))?;
            }
            None => {
                if fs_err::symlink_metadata(path).is_ok() {
                    fs_err::remove_file(path)?;
                }
            }
        }
    }
    // A writer killed between its temp file and the rename leaves the temp file beside the
    // target (under a root it was removed above as new; beside the bundle or `.sops.yaml`
    // it is not a recorded file): remove ours, by prefix.
    let mut parents: Vec<&Path> = files.iter().filter_map(|(p, _)| p.parent()).collect();
    parents.sort();
    parents.dedup();
    for parent in parents {
        fsio::sweep_temp_files(parent)?;
    }
    for root in roots {
        prune_new_dirs(root, dirs);
    }
    Ok(())
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
        snapshot.discard().unwrap();
        assert_eq!(fs_err::read(&file).unwrap(), b"after");
        assert_eq!(fs_err::read(evidence.join("log.jsonl")).unwrap(), b"one\n");
    }

    #[test]
    fn a_journal_restores_after_a_kill_and_never_holds_the_sync_plaintext() {
        let dir = tempfile::tempdir().unwrap();
        let bundle = dir.path().join("bundle.yaml");
        let evidence = dir.path().join("evidence");
        let mcp = dir.path().join("mcp");
        let journal = dir.path().join("mcp-rotation.journal");
        fs_err::create_dir_all(&evidence).unwrap();
        fs_err::create_dir_all(&mcp).unwrap();
        fs_err::write(&bundle, b"old bundle").unwrap();
        fs_err::write(evidence.join("log.jsonl"), b"one\n").unwrap();
        fs_err::write(mcp.join(".env"), b"TOKEN=plaintext-never-on-disk\n").unwrap();
        let mut snapshot = Snapshot::record(
            std::slice::from_ref(&bundle),
            &[evidence.clone(), mcp.clone()],
        )
        .unwrap();
        let start = GitStart {
            branch: "main".to_owned(),
            head: "0".repeat(40),
        };
        snapshot
            .journal(
                journal.clone(),
                dir.path(),
                start,
                "--key-cmd".to_owned(),
                Some(&mcp),
            )
            .unwrap();
        snapshot
            .enter(Step::UpdateBundle, Some("--key-cmd"))
            .unwrap();
        let text = fs_err::read_to_string(&journal).unwrap();
        assert_eq!(
            fs_err::metadata(&journal).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(text.contains("update-bundle"), "{text}");
        assert!(!text.contains("plaintext-never-on-disk"));
        let encoded = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            b"TOKEN=plaintext-never-on-disk\n",
        );
        assert!(!text.contains(&encoded));
        // A second rotation cannot begin while the journal exists.
        let mut second = Snapshot::record(std::slice::from_ref(&bundle), &[]).unwrap();
        let start = GitStart {
            branch: "main".to_owned(),
            head: "0".repeat(40),
        };
        let refused = second.journal(journal.clone(), dir.path(), start, String::new(), None);
        assert!(
            refused
                .unwrap_err()
                .to_string()
                .contains("another rotation")
        );

        // The changes, then a "kill": the in-memory snapshot is gone, the journal stays. The
        // kill came while the bundle's next temp file was written, before its rename.
        fs_err::write(&bundle, b"new bundle").unwrap();
        let temp = dir
            .path()
            .join(format!("{}bundle.yaml.k1LL3d", fsio::TEMP_PREFIX));
        fs_err::write(&temp, b"half a bundle").unwrap();
        fs_err::write(evidence.join("log.jsonl"), b"one\ntwo\n").unwrap();
        fs_err::create_dir_all(evidence.join("artifacts/v2")).unwrap();
        fs_err::write(evidence.join("artifacts/v2/r.json"), b"{}").unwrap();
        fs_err::write(mcp.join(".env"), b"TOKEN=new\n").unwrap();
        drop(snapshot);
        let doc = Journal::load(&journal).unwrap().unwrap();
        assert_eq!(doc.key_delivered_to.as_deref(), Some("--key-cmd"));
        restore_journaled(&doc, &journal).unwrap();
        assert_eq!(fs_err::read(&bundle).unwrap(), b"old bundle");
        assert!(!temp.exists(), "a killed writer's temp file is left");
        assert_eq!(fs_err::read(evidence.join("log.jsonl")).unwrap(), b"one\n");
        assert!(!evidence.join("artifacts").exists());
        assert_eq!(fs_err::read(mcp.join(".env")).unwrap(), b"TOKEN=new\n");
        assert!(!journal.exists());
        // Idempotent: running it again (a kill during recovery) changes nothing.
        restore_journaled(&doc, &journal).unwrap();
        assert_eq!(fs_err::read(&bundle).unwrap(), b"old bundle");
    }
}
