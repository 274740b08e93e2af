//! `scan-leaks --staged`: the files of the next commit as git's index holds them, for a
//! pre-commit hook. The changed paths come from `git diff --cached` (added, copied,
//! modified, renamed, type-changed: not deleted), their blob ids from `git ls-files --stage`,
//! and their bytes from one `git cat-file --batch`: the working tree is never read, so an
//! unstaged edit can neither hide a staged leak nor report one that is not being committed,
//! and untracked files are out of scope.
//!
//! What must stay true: only regular files' blobs are read (a symbolic link's target and a
//! submodule's commit are not content); on an unborn branch every staged file counts.

use std::collections::BTreeSet;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::Stdio;

use bundle_core::ops::git::{self, GitError};

use crate::error::Error;

/// A file of the index about to be committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedFile {
    /// Path relative to the repository.
    pub path: String,
    /// The blob id in the index.
    pub blob: String,
}

fn split_nul(bytes: &[u8]) -> impl Iterator<Item = String> + '_ {
    bytes
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
}

/// The regular files whose staged content differs from `HEAD` (all staged files on an unborn
/// branch), sorted by path.
pub fn list(repo: &Path) -> Result<Vec<StagedFile>, Error> {
    let changed: BTreeSet<String> = split_nul(&git::run(
        repo,
        &[
            "diff",
            "--cached",
            "--name-only",
            "-z",
            "--no-renames",
            "--diff-filter=d",
        ],
    )?)
    .collect();
    if changed.is_empty() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    for entry in split_nul(&git::run(repo, &["ls-files", "--stage", "-z"])?) {
        // `<mode> <blob> <stage>\t<path>`
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let mut meta = meta.split(' ');
        let (Some(mode), Some(blob)) = (meta.next(), meta.next()) else {
            continue;
        };
        if matches!(mode, "100644" | "100755") && changed.contains(path) {
            files.push(StagedFile {
                path: path.to_owned(),
                blob: blob.to_owned(),
            });
        }
    }
    files.dedup_by(|a, b| a.path == b.path && a.blob == b.blob);
    Ok(files)
}

/// The bytes of each file's blob, in order, by one `git cat-file --batch`.
pub fn read(repo: &Path, files: &[StagedFile]) -> Result<Vec<Vec<u8>>, Error> {
    let mut child = git::command(repo)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| Error::Git(GitError::Missing { source }))?;
    let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(Error::Io(io::Error::other("git cat-file: no pipes")));
    };
    let ids: Vec<String> = files.iter().map(|f| f.blob.clone()).collect();
    // Written from a thread: git answers while it reads, and a full output pipe would
    // otherwise block both sides.
    let feeder = std::thread::spawn(move || {
        let mut input = io::BufWriter::new(stdin);
        for id in ids {
            if writeln!(input, "{id}").is_err() {
                break;
            }
        }
        let _ = input.flush();
    });
    let mut reader = BufReader::new(stdout);
    let mut blobs = Vec::with_capacity(files.len());
    let mut line = Vec::new();
    for file in files {
        line.clear();
        reader.read_until(b'\n', &mut line)?;
        let header = String::from_utf8_lossy(&line).trim().to_owned();
        let mut parts = header.split(' ');
        let size = match (parts.next(), parts.next(), parts.next()) {
            (Some(oid), Some("blob"), Some(size)) if oid == file.blob => size.parse::<u64>().ok(),
            _ => None,
        }
        .ok_or_else(|| {
            Error::Io(io::Error::other(format!(
                "git cat-file: unexpected answer for {} ({}): {header}",
                file.path, file.blob
            )))
        })?;
        let mut body = Vec::new();
        (&mut reader).take(size).read_to_end(&mut body)?;
        let mut newline = [0u8; 1];
        reader.read_exact(&mut newline)?;
        if u64::try_from(body.len()).ok() != Some(size) {
            return Err(Error::Io(io::ErrorKind::UnexpectedEof.into()));
        }
        blobs.push(body);
    }
    drop(reader);
    let _ = feeder.join();
    let output = child.wait_with_output()?;
    if !output.status.success() {
        return Err(Error::Git(GitError::Failed {
            command: "cat-file --batch".to_owned(),
            message: format!("{}: {}", output.status, git::stderr_summary(&output.stderr)),
        }));
    }
    Ok(blobs)
}
