//! The git command line, run through `std::process` (no git library).
//!
//! Every call runs `git -C <repo>` with a fixed locale and no terminal prompt, so messages
//! are stable and a credential helper can never wait for input. Paths given to revisions
//! are written `REV:./path`, which git resolves relative to `-C`, so `--repo` may be a
//! subdirectory of a work tree.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::error::Error;

/// A `git` command for `repo`, with a stable environment.
pub(crate) fn command(repo: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(repo)
        .env("LC_ALL", "C")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .stdin(Stdio::null());
    cmd
}

fn output(repo: &Path, args: &[&str]) -> Result<Output, Error> {
    command(repo)
        .args(args)
        .output()
        .map_err(|source| Error::GitMissing { source })
}

/// The first lines of git's stderr, for a message.
pub(crate) fn stderr_summary(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(3)
        .collect();
    if lines.is_empty() {
        "no message".to_owned()
    } else {
        lines.join(" / ")
    }
}

/// Runs git and returns stdout, or [`Error::Git`] with its stderr.
pub(crate) fn run(repo: &Path, args: &[&str]) -> Result<Vec<u8>, Error> {
    let out = output(repo, args)?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(Error::Git {
            command: args.join(" "),
            message: stderr_summary(&out.stderr),
        })
    }
}

/// Whether `repo` is inside a git work tree.
pub(crate) fn is_work_tree(repo: &Path) -> bool {
    output(repo, &["rev-parse", "--is-inside-work-tree"])
        .is_ok_and(|o| o.status.success() && o.stdout.starts_with(b"true"))
}

/// The commit a revision names, or `None` when it names none.
pub(crate) fn resolve_commit(repo: &Path, rev: &str) -> Result<Option<String>, Error> {
    let spec = format!("{rev}^{{commit}}");
    let out = output(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ],
    )?;
    Ok(out
        .status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned()))
}

/// The bytes of `path` (relative to `repo`, `/`-separated) at `commit`; `None` when the
/// path does not exist there.
pub(crate) fn show_file(repo: &Path, commit: &str, path: &str) -> Result<Option<Vec<u8>>, Error> {
    let spec = format!("{commit}:./{path}");
    let exists = output(repo, &["cat-file", "-e", &spec])?;
    if !exists.status.success() {
        return Ok(None);
    }
    run(repo, &["cat-file", "blob", &spec]).map(Some)
}

fn split_nul(bytes: &[u8]) -> Vec<String> {
    let mut out: Vec<String> = bytes
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Files of the work tree, relative to `repo`: tracked plus untracked, without the ignored
/// ones unless `include_ignored`.
pub(crate) fn list_files(repo: &Path, include_ignored: bool) -> Result<Vec<String>, Error> {
    let args: &[&str] = if include_ignored {
        &["ls-files", "-z", "--cached", "--others"]
    } else {
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ]
    };
    run(repo, args).map(|b| split_nul(&b))
}

/// Ignored files that are present, relative to `repo`; wholly ignored directories (such as
/// `target/`) are left out, not descended into.
pub(crate) fn ignored_files(repo: &Path) -> Result<Vec<String>, Error> {
    let bytes = run(
        repo,
        &[
            "ls-files",
            "-z",
            "--others",
            "--ignored",
            "--exclude-standard",
            "--directory",
        ],
    )?;
    Ok(split_nul(&bytes)
        .into_iter()
        .filter(|p| !p.ends_with('/'))
        .collect())
}
