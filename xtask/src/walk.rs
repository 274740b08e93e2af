//! Listing a directory tree the way the rotation snapshot and the demo's tour need it: symbolic
//! links are listed as entries and never followed, so a link inside the evidence directory or
//! `~/.mcp` can never lead a snapshot (or its restore) outside the tree it was given.

use std::path::{Path, PathBuf};

use crate::Failure;

/// Every regular file below `dir` (symbolic links are listed, never followed); nothing
/// when `dir` does not exist.
pub(crate) fn files_under(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Box<Failure>> {
    let Ok(entries) = fs_err::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        if fs_err::symlink_metadata(&path)?.is_dir() {
            files_under(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// `dir` and every directory below it; nothing when `dir` is not a directory. Unreadable
/// entries are skipped: the result only decides which empty directories to prune.
pub(crate) fn dirs_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if fs_err::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) {
        out.push(dir.to_owned());
        if let Ok(entries) = fs_err::read_dir(dir) {
            for entry in entries.flatten() {
                out.extend(dirs_under(&entry.path()));
            }
        }
    }
    out
}
