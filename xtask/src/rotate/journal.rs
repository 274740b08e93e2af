//! The rotation journal, `<git dir>/mcp-rotation.journal`: what a rotation needs to undo
//! itself when the process dies between its first change and its end (SIGKILL, power loss),
//! and the refusal that keeps every other run away until `cargo xtask rotate --recover`.
//!
//! The protocol, in the order a rotation runs it (see `super::run` and `super::recover`):
//!
//! 1. Before anything else, `rotate` (any kind, `--dry-run` too) and `audit` look for the
//!    journal and refuse (exit 2) while it exists, naming `cargo xtask rotate --recover`.
//! 2. The snapshot is recorded in memory, then written here in one atomic step (temp file in
//!    the git dir, 0600, fsync, rename that refuses an existing journal, fsync of the git
//!    dir), before the first change: the exact prior bytes and mode of every repository file
//!    the rotation may touch (bundle, `.sops.yaml`, every file of the evidence directory),
//!    the directories that existed, the branch and commit it started on. The rename that
//!    refuses an existing journal is also the lock: a second rotation started meanwhile
//!    stops there with nothing changed.
//! 3. Before each step the journal is rewritten the same atomic way with the step about to
//!    run and, once step 2 delivered it, where the new private key went. Step 7 records the
//!    branch `rotation/v<N>` and the PR body path before it creates them.
//! 4. A rotation that ends (success, a failing step and its in-memory restore, a signal and
//!    its rollback) removes the journal and syncs the git dir: that removal is the commit
//!    point of a success. A kill before it leaves the journal, and recovery undoes a
//!    rotation whose steps had all passed: both ends are whole.
//! 5. `--recover` reads the journal and, each part idempotent so a kill during recovery is
//!    repaired by running it again: unstages, switches back to the recorded branch (or
//!    commit), deletes the branch step 7 created and its PR body, writes back every recorded
//!    file whose bytes differ, removes files created under the evidence directory since and
//!    the new empty directories, then removes the journal (fsync).
//!
//! Plaintext never reaches the journal. With `--sync` the snapshot also holds `~/.mcp`
//! (decrypted secrets): those files are restored from memory on the normal failure path,
//! but the journal records only their path, whether they existed and their mode. After a
//! kill, `--recover` leaves `~/.mcp` as it is and says so: its files may hold the new
//! version's values, and running secrets-sync with the old key (which repairs an
//! interrupted publish of its own first) puts the restored bundle's values back.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bundle_core::ExitStatus;
use bundle_core::fsio::{self, WriteOptions};
use serde::{Deserialize, Serialize};

use super::git;
use super::steps::Step;
use crate::Failure;

/// The journal's file name, in the repository's git dir.
pub(crate) const JOURNAL_FILE: &str = "mcp-rotation.journal";
const SCHEMA_VERSION: u32 = 1;

/// The journal as stored (JSON). No `Debug`: it holds file contents.
#[derive(Serialize, Deserialize)]
pub(super) struct Doc {
    schema_version: u32,
    /// The repository, canonical.
    pub(super) repo: PathBuf,
    /// `git rev-parse --abbrev-ref HEAD` at the start (`HEAD` when detached).
    pub(super) branch: String,
    /// The commit HEAD named at the start.
    pub(super) head: String,
    /// The step about to run or running, by [`Step::id`]; `recorded` before the first.
    pub(super) step: String,
    /// Where the new private key is to go (`--key-out PATH` or `--key-cmd`).
    pub(super) key_sink: String,
    /// Where the new private key went, once it did.
    pub(super) key_delivered_to: Option<String>,
    /// The branch step 7 creates, recorded before it does.
    pub(super) created_branch: Option<String>,
    /// The PR body step 7 writes, recorded before it does.
    pub(super) pr_body: Option<PathBuf>,
    /// Directories whose whole content is covered (files created under them are removed).
    pub(super) roots: Vec<PathBuf>,
    /// Directories under the roots at the start (kept even when empty).
    pub(super) dirs: Vec<PathBuf>,
    /// Every recorded file.
    pub(super) files: Vec<FileDoc>,
    /// The `--sync` directory, left alone by recovery (its bytes are never written here).
    pub(super) private_root: Option<PathBuf>,
    /// Its files at the start: path, mode; never their bytes.
    pub(super) private_files: Vec<(PathBuf, u32)>,
}

/// One recorded repository file.
#[derive(Serialize, Deserialize)]
pub(super) struct FileDoc {
    pub(super) path: PathBuf,
    /// The mode, `None` when the file did not exist.
    pub(super) mode: Option<u32>,
    /// The bytes in base64, `None` when the file did not exist.
    pub(super) base64: Option<String>,
}

impl FileDoc {
    pub(super) fn new(path: PathBuf, prior: Option<(&[u8], u32)>) -> Self {
        Self {
            path,
            mode: prior.map(|(_, m)| m),
            base64: prior.map(|(b, _)| BASE64.encode(b)),
        }
    }

    /// The prior bytes and mode, `None` when the file did not exist.
    pub(super) fn prior(&self) -> Result<Option<(Vec<u8>, u32)>, Box<Failure>> {
        match (&self.base64, self.mode) {
            (Some(text), Some(mode)) => {
                let bytes = BASE64.decode(text).map_err(|e| {
                    Failure::usage(format!(
                        "{JOURNAL_FILE}: {}: bad content: {e}",
                        self.path.display()
                    ))
                })?;
                Ok(Some((bytes, mode)))
            }
            _ => Ok(None),
        }
    }
}

/// Where the git repository at `repo` was when the rotation started.
pub(super) struct GitStart {
    pub(super) branch: String,
    pub(super) head: String,
}

impl GitStart {
    pub(super) fn read(repo: &Path) -> Result<Self, Box<Failure>> {
        Ok(Self {
            branch: git(repo, &["rev-parse", "--abbrev-ref", "HEAD"])?
                .trim()
                .to_owned(),
            head: git(repo, &["rev-parse", "HEAD"])?.trim().to_owned(),
        })
    }
}

impl Doc {
    pub(super) fn new(repo: &Path, start: GitStart, key_sink: String) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            repo: repo.to_owned(),
            branch: start.branch,
            head: start.head,
            step: "recorded".to_owned(),
            key_sink,
            key_delivered_to: None,
            created_branch: None,
            pr_body: None,
            roots: Vec::new(),
            dirs: Vec::new(),
            files: Vec::new(),
            private_root: None,
            private_files: Vec::new(),
        }
    }
}

/// The journal of a running rotation: written at [`Journal::begin`], updated per step,
/// removed when the rotation ends.
pub(super) struct Journal {
    path: PathBuf,
    doc: Doc,
}

/// The journal's path for the repository `repo`.
pub(crate) fn journal_path(repo: &Path) -> Result<PathBuf, Box<Failure>> {
    let git_dir = git(repo, &["rev-parse", "--absolute-git-dir"])?;
    Ok(PathBuf::from(git_dir.trim()).join(JOURNAL_FILE))
}

/// Refuses (exit 2) while an interrupted rotation's journal exists in `repo`. A directory
/// that is not a git repository has no journal.
pub(crate) fn refuse_if_interrupted(repo: &Path) -> Result<(), Box<Failure>> {
    let Ok(path) = journal_path(repo) else {
        return Ok(());
    };
    if fs_err::symlink_metadata(&path).is_ok() {
        return Err(Failure::usage(format!(
            "an interrupted rotation left its journal at {}\nhint: run `{} rotate --recover --repo {}` to put the files and the branch back first",
            path.display(),
            crate::program_name(),
            repo.display()
        )));
    }
    Ok(())
}

impl Journal {
    /// Writes the journal for the first time; an existing journal (another rotation, or an
    /// interrupted one) stops the rotation here, before any change.
    pub(super) fn begin(path: PathBuf, doc: Doc) -> Result<Self, Box<Failure>> {
        let bytes = to_bytes(&doc)?;
        match fsio::write_atomic(&path, &bytes, WriteOptions::PRIVATE_NEW) {
            Ok(()) => {
                // This rotation holds the journal now; a journal temp file beside it is what
                // a rotation killed while writing its own left (the only writer there).
                if let Some(dir) = path.parent() {
                    fsio::sweep_temp_files(dir)?;
                }
                Ok(Self { path, doc })
            }
            Err(bundle_core::Error::Exists { .. }) => Err(Failure::usage(format!(
                "another rotation is running or was interrupted: {} exists\nhint: if none is running, run `{} rotate --recover`",
                path.display(),
                crate::program_name()
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// Reads the journal at `path`; `None` when there is none.
    pub(super) fn load(path: &Path) -> Result<Option<Doc>, Box<Failure>> {
        let bytes = match fs_err::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let doc: Doc = serde_json::from_slice(&bytes).map_err(|e| {
            Failure::usage(format!("{}: not a rotation journal: {e}", path.display()))
        })?;
        if doc.schema_version != SCHEMA_VERSION {
            return Err(Failure::usage(format!(
                "{}: schema_version {} is not {SCHEMA_VERSION}",
                path.display(),
                doc.schema_version
            )));
        }
        Ok(Some(doc))
    }

    /// Records that `step` is about to run (and where the key went, once known).
    pub(super) fn enter(
        &mut self,
        step: Step,
        delivered: Option<&str>,
    ) -> Result<(), Box<Failure>> {
        step.id().clone_into(&mut self.doc.step);
        self.doc.key_delivered_to = delivered.map(str::to_owned);
        self.save()
    }

    /// Records the branch and PR body step 7 is about to create.
    pub(super) fn will_create(&mut self, branch: &str, body: &Path) -> Result<(), Box<Failure>> {
        self.doc.created_branch = Some(branch.to_owned());
        self.doc.pr_body = Some(body.to_owned());
        self.save()
    }

    fn save(&self) -> Result<(), Box<Failure>> {
        fsio::write_atomic(&self.path, &to_bytes(&self.doc)?, WriteOptions::PRIVATE)?;
        Ok(())
    }

    /// Removes the journal: the rotation ended (done or undone).
    pub(super) fn remove(self) -> Result<(), Box<Failure>> {
        remove(&self.path)
    }
}

/// Removes the journal at `path` and syncs its directory.
pub(super) fn remove(path: &Path) -> Result<(), Box<Failure>> {
    match fs_err::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    if let Some(dir) = path.parent() {
        fsio::sync_dir(dir)?;
    }
    Ok(())
}

fn to_bytes(doc: &Doc) -> Result<Vec<u8>, Box<Failure>> {
    serde_json::to_vec(doc).map_err(|e| {
        Failure::new(
            ExitStatus::Usage,
            format!("the rotation journal cannot be written: {e}"),
        )
    })
}
