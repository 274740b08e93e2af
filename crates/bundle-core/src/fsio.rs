//! Atomic, private file writes.
//!
//! Every file that may hold plaintext is written through a temp file in the target's own
//! directory (same filesystem), synced, renamed over the target, and the directory synced,
//! so a reader sees either the old bytes or the new bytes and never a partial file. Temp
//! files are created with mode 0600 and carry a recognizable prefix so that a later run can
//! sweep leftovers of a killed process ([`sweep_temp_files`]). Symbolic links at the target
//! are refused, never followed.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Prefix of every temp file this module creates (`.<prefix><target name>.<random>`).
pub const TEMP_PREFIX: &str = ".bundle-core-tmp.";

/// How the target may be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// Mode 0600 (plaintext, keys, reports). When false the mode is 0644 less the umask.
    pub private: bool,
    /// Replace an existing file. When false an existing target is an [`Error::Exists`].
    pub overwrite: bool,
}

impl WriteOptions {
    /// Private (0600), overwriting an existing file.
    pub const PRIVATE: Self = Self {
        private: true,
        overwrite: true,
    };
    /// Private (0600), refusing to overwrite.
    pub const PRIVATE_NEW: Self = Self {
        private: true,
        overwrite: false,
    };
    /// Public (umask), overwriting: encrypted files, evidence.
    pub const PUBLIC: Self = Self {
        private: false,
        overwrite: true,
    };
}

/// Refuses a path that is a symbolic link (a dangling one too).
pub fn refuse_symlink(path: &Path) -> Result<()> {
    match fs_err::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(Error::Symlink {
            path: path.to_owned(),
        }),
        _ => Ok(()),
    }
}

/// Writes `bytes` to `path` atomically (temp file in the same directory, fsync, rename,
/// fsync of the directory). On any error the target is untouched and no temp file remains.
pub fn write_atomic(path: &Path, bytes: &[u8], options: WriteOptions) -> Result<()> {
    let temp = stage(path, bytes, options)?;
    commit(temp, path, options)
}

/// A written, synced temp file not yet renamed onto its target; dropping it removes it.
///
/// Staging several files first and committing them afterwards keeps the window in which only
/// some are new as small as two renames.
#[derive(Debug)]
pub struct Staged {
    file: tempfile::NamedTempFile,
    target: PathBuf,
}

impl Staged {
    /// The target this temp file will replace.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Renames the temp file onto its target and syncs the directory.
    pub fn commit(self, options: WriteOptions) -> Result<()> {
        let target = self.target.clone();
        commit(self, &target, options)
    }
}

/// Writes `bytes` to a synced temp file beside `path` without replacing `path` yet.
pub fn stage(path: &Path, bytes: &[u8], options: WriteOptions) -> Result<Staged> {
    refuse_symlink(path)?;
    if !options.overwrite && fs_err::symlink_metadata(path).is_ok() {
        return Err(Error::Exists {
            path: path.to_owned(),
        });
    }
    let dir = parent_dir(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut file = tempfile::Builder::new()
        .prefix(&format!("{TEMP_PREFIX}{name}."))
        .tempfile_in(&dir)
        .map_err(|e| {
            io_context(
                &e,
                &format!("cannot create a temp file in {}", dir.display()),
            )
        })?;
    set_mode(file.as_file(), options.private)?;
    file.write_all(bytes)
        .and_then(|()| file.as_file().sync_all())
        .map_err(|e| io_context(&e, &format!("cannot write {}", file.path().display())))?;
    Ok(Staged {
        file,
        target: path.to_owned(),
    })
}

fn commit(staged: Staged, path: &Path, options: WriteOptions) -> Result<()> {
    // Check again just before the rename: the target may have become a link meanwhile.
    refuse_symlink(path)?;
    if options.overwrite {
        staged
            .file
            .persist(path)
            .map_err(|e| io_context(&e.error, &format!("cannot replace {}", path.display())))?;
    } else {
        staged.file.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                Error::Exists {
                    path: path.to_owned(),
                }
            } else {
                io_context(&e.error, &format!("cannot create {}", path.display()))
            }
        })?;
    }
    sync_dir(&parent_dir(path))
}

/// Removes temp files left by a killed writer in `dir` (ours only: by prefix). Returns
/// the paths removed.
pub fn sweep_temp_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    let entries = match fs_err::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(removed),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let entry = entry?;
        let is_ours = entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX);
        if is_ours && entry.file_type()?.is_file() {
            fs_err::remove_file(entry.path())?;
            removed.push(entry.path());
        }
    }
    if !removed.is_empty() {
        sync_dir(dir)?;
    }
    Ok(removed)
}

/// Syncs a directory so a rename in it is durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let handle = fs_err::File::open(dir)?;
        handle.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

#[cfg(unix)]
fn set_mode(file: &std::fs::File, private: bool) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    // tempfile creates 0600; a public file gets 0644 less the process umask applied at
    // creation, which a temp file does not get, so compute it here.
    let mode = if private {
        0o600
    } else {
        0o644 & !current_umask()
    };
    file.set_permissions(std::fs::Permissions::from_mode(mode))?;
    Ok(())
}

#[cfg(not(unix))]
fn set_mode(_file: &std::fs::File, _private: bool) -> Result<()> {
    Ok(())
}

/// The process umask, read without changing it (Linux `/proc/self/status`); 0o022 elsewhere.
#[cfg(unix)]
pub fn current_umask() -> u32 {
    fs_err::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

fn io_context(error: &std::io::Error, what: &str) -> Error {
    Error::Io(std::io::Error::new(
        error.kind(),
        format!("{what}: {error}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn writes_private_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        write_atomic(&target, b"hello", WriteOptions::PRIVATE).unwrap();
        assert_eq!(fs_err::read(&target).unwrap(), b"hello");
        let mode = fs_err::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(fs_err::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn refuses_to_overwrite_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        fs_err::write(&target, b"old").unwrap();
        let err = write_atomic(&target, b"new", WriteOptions::PRIVATE_NEW).unwrap_err();
        assert!(matches!(err, Error::Exists { .. }), "{err:?}");
        assert_eq!(fs_err::read(&target).unwrap(), b"old");
        assert_eq!(fs_err::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn refuses_symlink_target() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        fs_err::write(&real, b"keep").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let err = write_atomic(&link, b"new", WriteOptions::PRIVATE).unwrap_err();
        assert!(matches!(err, Error::Symlink { .. }), "{err:?}");
        assert_eq!(fs_err::read(&real).unwrap(), b"keep");
    }

    #[test]
    fn sweep_removes_only_our_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let ours = dir.path().join(format!("{TEMP_PREFIX}x.abc"));
        fs_err::write(&ours, b"plain").unwrap();
        fs_err::write(dir.path().join("keep.txt"), b"k").unwrap();
        let removed = sweep_temp_files(dir.path()).unwrap();
        assert_eq!(removed, vec![ours]);
        assert!(dir.path().join("keep.txt").exists());
    }
}
