//! The output directory: its modes, its lock, and publishing `.env` and
//! `console-secrets.json` as a pair that survives a crash at any point.
//!
//! A rename replaces one file atomically, but two files cannot be replaced in one step, so a
//! reader may see a new `.env` with an old `console-secrets.json` for the instant between
//! the two renames, and a process killed in that instant would leave them so. The protocol
//! below makes that state detectable and repairable:
//!
//! 1. both new files are written to temp files in the output directory (0600, fsync);
//! 2. each existing output gets a second name, `.secrets-sync.prev.<name>` (a hard link, or a
//!    private copy on file systems without links), so the old pair can be put back;
//! 3. the journal `.secrets-sync.journal` is written atomically: a publish is in progress;
//! 4. the two temp files are renamed onto `.env` and `console-secrets.json` (fsync dir);
//! 5. the journal is removed (fsync dir): this is the commit point;
//! 6. the `prev` names are removed.
//!
//! Every run first takes the lock `.secrets-sync.lock` (`flock`, exclusive), then calls
//! [`recover`]: a journal left by a killed run means steps 4–5 did not finish, so the `prev`
//! files are renamed back (the complete old pair returns) and the journal removed; `prev`
//! files without a journal and our temp files are deleted. Recovery is idempotent, so a kill
//! during recovery is repaired by the next run too.
//!
//! What this guarantees: whenever no run is in progress and no journal exists, the two files
//! come from the same decryption (the complete old pair or the complete new pair). While a
//! journal exists (only after a kill between steps 3 and 5, until the next run) the pair may
//! be mixed; `secrets-sync --check` reports it and the next run repairs it. Plaintext is only
//! ever at the two outputs and at our temp/`prev` names in the same 0700 directory, all 0600
//! (or the old file's own mode for a `prev` link), and the next run removes the latter.
//!
//! This file is longer than our ~600-line guide on purpose: the protocol, its recovery and
//! the lock are one argument, and reading them apart would hide how each step is undone.

use std::io::Read as _;
use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use bundle_core::fsio::{self, Staged, WriteOptions};
use fs_err::os::unix::fs::OpenOptionsExt as _;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The dotenv output's file name.
pub const ENV_FILE: &str = ".env";
/// The JSON output's file name.
pub const JSON_FILE: &str = "console-secrets.json";
/// The lock that serializes runs on one output directory (never holds data).
pub const LOCK_FILE: &str = ".secrets-sync.lock";
/// Present only while a publish is between its backups and its commit.
pub const JOURNAL_FILE: &str = ".secrets-sync.journal";
/// Prefix of the second names kept for the old pair during a publish.
pub const BACKUP_PREFIX: &str = ".secrets-sync.prev.";
/// The two outputs, in the order they are renamed.
pub const OUTPUTS: [&str; 2] = [ENV_FILE, JSON_FILE];

/// The mode of the output directory.
pub const DIR_MODE: u32 = 0o700;
/// The mode of the output files.
pub const FILE_MODE: u32 = 0o600;

/// A point of the protocol, for crash tests (debug builds of the binary can halt there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Both temp files written and synced.
    Staged,
    /// The old outputs have their `prev` names.
    BackedUp,
    /// The journal is written.
    Journaled,
    /// `.env` is the new file.
    EnvPublished,
    /// `console-secrets.json` is the new file.
    JsonPublished,
    /// The journal is removed: the new pair is committed.
    Committed,
    /// The `prev` names are removed.
    Cleaned,
    /// Recovery put the old `.env` back.
    RolledBackEnv,
    /// Recovery put the old `console-secrets.json` back.
    RolledBackJson,
}

impl Step {
    /// Every step, in protocol order.
    pub const ALL: [Step; 9] = [
        Step::Staged,
        Step::BackedUp,
        Step::Journaled,
        Step::EnvPublished,
        Step::JsonPublished,
        Step::Committed,
        Step::Cleaned,
        Step::RolledBackEnv,
        Step::RolledBackJson,
    ];

    /// The step's stable name.
    pub fn name(self) -> &'static str {
        match self {
            Step::Staged => "staged",
            Step::BackedUp => "backed-up",
            Step::Journaled => "journaled",
            Step::EnvPublished => "env-published",
            Step::JsonPublished => "json-published",
            Step::Committed => "committed",
            Step::Cleaned => "cleaned",
            Step::RolledBackEnv => "rolled-back-env",
            Step::RolledBackJson => "rolled-back-json",
        }
    }
}

/// Called after each [`Step`].
pub type StepHook<'h> = &'h dyn Fn(Step);

/// The output directory and the names inside it.
#[derive(Debug, Clone)]
pub struct OutDir {
    path: PathBuf,
}

impl OutDir {
    /// The directory at `path`.
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A file inside the directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    fn backup(&self, name: &str) -> PathBuf {
        self.path.join(format!("{BACKUP_PREFIX}{name}"))
    }
}

/// What [`prepare_dir`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DirState {
    /// The directory did not exist and was created.
    pub created: bool,
    /// The mode it had when it was changed to 0700.
    pub previous_mode: Option<u32>,
}

/// The permission bits of the directory at `path`; `None` when it does not exist. A symbolic
/// link or a non-directory is an error.
pub fn dir_mode(path: &Path) -> Result<Option<u32>> {
    match fs_err::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(Error::Symlink {
            path: path.to_owned(),
        }),
        Ok(meta) if !meta.is_dir() => Err(Error::NotADirectory {
            path: path.to_owned(),
        }),
        Ok(meta) => Ok(Some(meta.permissions().mode() & 0o7777)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Creates the directory with mode 0700 (parents too), or sets an existing one to 0700.
pub fn prepare_dir(path: &Path) -> Result<DirState> {
    match dir_mode(path)? {
        Some(DIR_MODE) => Ok(DirState::default()),
        Some(mode) => {
            fs_err::set_permissions(path, std::fs::Permissions::from_mode(DIR_MODE))?;
            Ok(DirState {
                created: false,
                previous_mode: Some(mode),
            })
        }
        None => {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(DIR_MODE)
                .create(path)
                .map_err(|e| {
                    std::io::Error::new(
                        e.kind(),
                        format!("cannot create the directory {}: {e}", path.display()),
                    )
                })?;
            // The umask may have removed bits from the mode asked for: set it exactly.
            fs_err::set_permissions(path, std::fs::Permissions::from_mode(DIR_MODE))?;
            Ok(DirState {
                created: true,
                previous_mode: None,
            })
        }
    }
}

/// A held lock on the output directory, released on drop.
#[derive(Debug)]
pub struct Lock {
    _file: fs_err::File,
}

/// Takes the exclusive lock; `on_wait` is called once if another run holds it.
pub fn lock_exclusive(dir: &OutDir, on_wait: &mut dyn FnMut(&Path)) -> Result<Lock> {
    let path = dir.file(LOCK_FILE);
    refuse_link(&path)?;
    let file = fs_err::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .mode(FILE_MODE)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            on_wait(&path);
            file.lock()?;
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
    }
    Ok(Lock { _file: file })
}

/// Takes the shared lock (for `--check`) when the lock file exists; creates nothing.
pub fn lock_shared(dir: &OutDir) -> Result<Option<Lock>> {
    let path = dir.file(LOCK_FILE);
    refuse_link(&path)?;
    let file = match fs_err::File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    file.lock_shared()?;
    Ok(Some(Lock { _file: file }))
}

/// What [`recover`] repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// A journal was found: the old pair was put back.
    pub rolled_back: bool,
    /// Leftover files removed (temp files and `prev` names of a killed run).
    pub removed: Vec<PathBuf>,
}

/// The journal: which outputs existed before the publish in progress.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
struct Journal {
    schema_version: u32,
    env_existed: bool,
    json_existed: bool,
}

impl Journal {
    fn existed(self, name: &str) -> bool {
        if name == ENV_FILE {
            self.env_existed
        } else {
            self.json_existed
        }
    }
}

/// Repairs what a killed run left (see the module docs). Call with the exclusive lock held.
pub fn recover(dir: &OutDir, hook: StepHook<'_>) -> Result<Recovery> {
    let mut recovery = Recovery::default();
    let journal_path = dir.file(JOURNAL_FILE);
    refuse_link(&journal_path)?;
    if exists(&journal_path)? {
        let journal = read_journal(&journal_path)?;
        for (name, step) in [
            (ENV_FILE, Step::RolledBackEnv),
            (JSON_FILE, Step::RolledBackJson),
        ] {
            let target = dir.file(name);
            let backup = dir.backup(name);
            refuse_link(&target)?;
            if journal.existed(name) {
                // Missing backup: an earlier recovery already renamed it back. A backup that
                // is still the target's own inode (the kill came before that rename) must be
                // unlinked: rename(2) between two links of one file does nothing.
                if exists(&backup)? {
                    if same_file(&backup, &target)? {
                        fs_err::remove_file(&backup)?;
                    } else {
                        fs_err::rename(&backup, &target)?;
                    }
                }
            } else if exists(&target)? {
                fs_err::remove_file(&target)?;
            }
            fsio::sync_dir(dir.path())?;
            hook(step);
        }
        fs_err::remove_file(&journal_path)?;
        fsio::sync_dir(dir.path())?;
        recovery.rolled_back = true;
    }
    for name in OUTPUTS {
        let backup = dir.backup(name);
        if exists(&backup)? {
            fs_err::remove_file(&backup)?;
            recovery.removed.push(backup);
        }
    }
    recovery.removed.extend(fsio::sweep_temp_files(dir.path())?);
    Ok(recovery)
}

fn read_journal(path: &Path) -> Result<Journal> {
    let bytes = fs_err::read(path)?;
    let journal: Journal = serde_json::from_slice(&bytes).map_err(|e| Error::Journal {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    if journal.schema_version != 1 {
        return Err(Error::Journal {
            path: path.to_owned(),
            reason: format!("unknown schema_version {}", journal.schema_version),
        });
    }
    Ok(journal)
}

/// Publishes the pair (see the module docs). Call with the exclusive lock held, after
/// [`recover`]. On an error the old pair is put back before returning.
pub fn publish(dir: &OutDir, env: &[u8], json: &[u8], hook: StepHook<'_>) -> Result<()> {
    let staged = [
        fsio::stage(&dir.file(ENV_FILE), env, WriteOptions::PRIVATE)?,
        fsio::stage(&dir.file(JSON_FILE), json, WriteOptions::PRIVATE)?,
    ];
    hook(Step::Staged);
    let result = commit_pair(dir, staged, hook);
    if result.is_err() {
        // Best effort: the error being reported matters more than a second one here, and
        // whatever this leaves, the next run's recovery repairs.
        let _ = recover(dir, &|_| {});
    }
    result
}

fn commit_pair(dir: &OutDir, staged: [Staged; 2], hook: StepHook<'_>) -> Result<()> {
    let mut journal = Journal {
        schema_version: 1,
        ..Journal::default()
    };
    for name in OUTPUTS {
        let target = dir.file(name);
        let existed = matches!(existing_kind(&target)?, Kind::File);
        if existed {
            keep_second_name(&target, &dir.backup(name))?;
        }
        if name == ENV_FILE {
            journal.env_existed = existed;
        } else {
            journal.json_existed = existed;
        }
    }
    hook(Step::BackedUp);
    let journal_bytes =
        serde_json::to_vec(&journal).expect("a struct of integers and booleans always serializes");
    // write_atomic syncs the directory after its rename, which also makes the links durable.
    fsio::write_atomic(
        &dir.file(JOURNAL_FILE),
        &journal_bytes,
        WriteOptions::PRIVATE,
    )?;
    hook(Step::Journaled);
    let [env, json] = staged;
    env.commit(WriteOptions::PRIVATE)?;
    hook(Step::EnvPublished);
    json.commit(WriteOptions::PRIVATE)?;
    hook(Step::JsonPublished);
    fs_err::remove_file(dir.file(JOURNAL_FILE))?;
    fsio::sync_dir(dir.path())?;
    hook(Step::Committed);
    for name in OUTPUTS {
        let backup = dir.backup(name);
        if exists(&backup)? {
            fs_err::remove_file(&backup)?;
        }
    }
    fsio::sync_dir(dir.path())?;
    hook(Step::Cleaned);
    Ok(())
}

/// Gives `target` the second name `backup`: a hard link, or a private copy where the file
/// system has no hard links.
fn keep_second_name(target: &Path, backup: &Path) -> Result<()> {
    if exists(backup)? {
        fs_err::remove_file(backup)?;
    }
    match fs_err::hard_link(target, backup) {
        Ok(()) => Ok(()),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::Unsupported
            ) =>
        {
            let old = read_file(target)?;
            fsio::write_atomic(backup, &old, WriteOptions::PRIVATE_NEW)?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// What is at an output path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Nothing.
    Missing,
    /// A regular file.
    File,
}

/// What is at `path`: a symbolic link is [`Error::Symlink`], anything but a regular file
/// [`Error::NotAFile`].
pub fn existing_kind(path: &Path) -> Result<Kind> {
    match fs_err::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(Error::Symlink {
            path: path.to_owned(),
        }),
        Ok(meta) if !meta.is_file() => Err(Error::NotAFile {
            path: path.to_owned(),
        }),
        Ok(_) => Ok(Kind::File),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Kind::Missing),
        Err(e) => Err(e.into()),
    }
}

/// A published output as found on disk.
pub struct Existing {
    /// Its permission bits.
    pub mode: u32,
    /// Its bytes (plaintext).
    pub content: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Existing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Existing")
            .field("mode", &format_args!("{:04o}", self.mode))
            .finish_non_exhaustive()
    }
}

/// Reads an output if it exists (refusing links and non-files).
pub fn read_existing(path: &Path) -> Result<Option<Existing>> {
    if existing_kind(path)? == Kind::Missing {
        return Ok(None);
    }
    let mode = fs_err::symlink_metadata(path)?.permissions().mode() & 0o7777;
    Ok(Some(Existing {
        mode,
        content: read_file(path)?,
    }))
}

/// Reads a whole file into a zeroizing buffer sized from its length.
fn read_file(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let mut file = fs_err::File::open(path)?;
    let len = file.metadata()?.len();
    let mut content = Zeroizing::new(Vec::with_capacity(
        usize::try_from(len).unwrap_or(0).saturating_add(1),
    ));
    file.read_to_end(&mut content)?;
    Ok(content)
}

/// Leftovers of a killed run present in the directory: the journal, `prev` names, temp files.
pub fn leftovers(dir: &OutDir) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let entries = match fs_err::read_dir(dir.path()) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(fsio::TEMP_PREFIX) || name.starts_with(BACKUP_PREFIX) {
            found.push(entry.path());
        }
    }
    found.sort();
    Ok(found)
}

fn same_file(a: &Path, b: &Path) -> Result<bool> {
    use std::os::unix::fs::MetadataExt as _;
    let a = fs_err::symlink_metadata(a)?;
    match fs_err::symlink_metadata(b) {
        Ok(b) => Ok(a.dev() == b.dev() && a.ino() == b.ino()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e.into()),
    }
}

fn exists(path: &Path) -> Result<bool> {
    match fs_err::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e.into()),
    }
}

fn refuse_link(path: &Path) -> Result<()> {
    match fs_err::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(Error::Symlink {
            path: path.to_owned(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    fn pair(dir: &OutDir) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
        let read = |name| fs_err::read(dir.file(name)).ok();
        (read(ENV_FILE), read(JSON_FILE))
    }

    fn names(dir: &OutDir) -> Vec<String> {
        let mut names: Vec<String> = fs_err::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn publish_writes_both_and_leaves_only_the_pair() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = OutDir::new(tmp.path().join("mcp"));
        prepare_dir(dir.path()).unwrap();
        let seen = RefCell::new(Vec::new());
        publish(&dir, b"A=1\n", b"{}\n", &|s| seen.borrow_mut().push(s)).unwrap();
        assert_eq!(
            pair(&dir),
            (Some(b"A=1\n".to_vec()), Some(b"{}\n".to_vec()))
        );
        assert_eq!(names(&dir), [".env", "console-secrets.json"]);
        assert_eq!(
            *seen.borrow(),
            [
                Step::Staged,
                Step::BackedUp,
                Step::Journaled,
                Step::EnvPublished,
                Step::JsonPublished,
                Step::Committed,
                Step::Cleaned
            ]
        );
        for name in OUTPUTS {
            let mode = fs_err::metadata(dir.file(name))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o600, "{name}");
        }
    }

    #[test]
    fn recovery_after_a_half_publish_restores_the_old_pair() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = OutDir::new(tmp.path().to_owned());
        publish(&dir, b"old env", b"old json", &|_| {}).unwrap();
        // Simulate a run killed after the first rename: backups and journal present, .env new.
        let journal = Journal {
            schema_version: 1,
            env_existed: true,
            json_existed: true,
        };
        fs_err::hard_link(dir.file(ENV_FILE), dir.backup(ENV_FILE)).unwrap();
        fs_err::hard_link(dir.file(JSON_FILE), dir.backup(JSON_FILE)).unwrap();
        fs_err::write(
            dir.file(JOURNAL_FILE),
            serde_json::to_vec(&journal).unwrap(),
        )
        .unwrap();
        fsio::write_atomic(&dir.file(ENV_FILE), b"new env", WriteOptions::PRIVATE).unwrap();
        fs_err::write(
            dir.path()
                .join(format!("{}console-secrets.json.x", fsio::TEMP_PREFIX)),
            b"new json",
        )
        .unwrap();

        let recovery = recover(&dir, &|_| {}).unwrap();
        assert!(recovery.rolled_back);
        assert_eq!(recovery.removed.len(), 1, "{:?}", recovery.removed);
        assert_eq!(
            pair(&dir),
            (Some(b"old env".to_vec()), Some(b"old json".to_vec()))
        );
        assert_eq!(names(&dir), [".env", "console-secrets.json"]);
        // Idempotent: nothing more to do.
        assert_eq!(recover(&dir, &|_| {}).unwrap(), Recovery::default());
    }

    #[test]
    fn recovery_removes_outputs_that_did_not_exist_before() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = OutDir::new(tmp.path().to_owned());
        let journal = Journal {
            schema_version: 1,
            env_existed: false,
            json_existed: false,
        };
        fs_err::write(
            dir.file(JOURNAL_FILE),
            serde_json::to_vec(&journal).unwrap(),
        )
        .unwrap();
        fs_err::write(dir.file(ENV_FILE), b"new env").unwrap();
        let recovery = recover(&dir, &|_| {}).unwrap();
        assert!(recovery.rolled_back);
        assert_eq!(pair(&dir), (None, None));
        assert!(names(&dir).is_empty());
    }

    #[test]
    fn corrupt_journal_is_an_error_and_changes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = OutDir::new(tmp.path().to_owned());
        fs_err::write(dir.file(JOURNAL_FILE), b"{not json").unwrap();
        fs_err::write(dir.file(ENV_FILE), b"e").unwrap();
        let err = recover(&dir, &|_| {}).unwrap_err();
        assert!(matches!(err, Error::Journal { .. }), "{err:?}");
        assert_eq!(pair(&dir).0, Some(b"e".to_vec()));
    }

    #[test]
    fn stray_backups_without_journal_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = OutDir::new(tmp.path().to_owned());
        publish(&dir, b"e", b"j", &|_| {}).unwrap();
        fs_err::hard_link(dir.file(ENV_FILE), dir.backup(ENV_FILE)).unwrap();
        let recovery = recover(&dir, &|_| {}).unwrap();
        assert!(!recovery.rolled_back);
        assert_eq!(recovery.removed, [dir.backup(ENV_FILE)]);
        assert_eq!(pair(&dir), (Some(b"e".to_vec()), Some(b"j".to_vec())));
    }

    #[test]
    fn prepare_dir_creates_0700_and_tightens() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a/b");
        assert_eq!(
            prepare_dir(&path).unwrap(),
            DirState {
                created: true,
                previous_mode: None
            }
        );
        assert_eq!(dir_mode(&path).unwrap(), Some(0o700));
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(
            prepare_dir(&path).unwrap(),
            DirState {
                created: false,
                previous_mode: Some(0o755)
            }
        );
        assert_eq!(dir_mode(&path).unwrap(), Some(0o700));
        assert_eq!(prepare_dir(&path).unwrap(), DirState::default());
    }

    #[test]
    fn links_and_non_files_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(tmp.path(), &link).unwrap();
        assert!(matches!(dir_mode(&link), Err(Error::Symlink { .. })));
        assert!(matches!(existing_kind(&link), Err(Error::Symlink { .. })));
        assert!(matches!(
            existing_kind(tmp.path()),
            Err(Error::NotAFile { .. })
        ));
        let file = tmp.path().join("file");
        fs_err::write(&file, b"x").unwrap();
        assert!(matches!(dir_mode(&file), Err(Error::NotADirectory { .. })));
    }

    #[test]
    fn step_names_are_unique() {
        let mut names: Vec<&str> = Step::ALL.iter().map(|s| s.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Step::ALL.len());
    }
}
