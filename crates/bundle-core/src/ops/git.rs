//! The git command line, run through `std::process` (no git library), the one way every tool
//! and xtask call git.
//!
//! Every call runs `git -C <repo>` with a fixed locale (`LC_ALL=C`, so messages are stable
//! and parseable), no terminal prompt (a credential helper can never wait for input), stdin
//! closed, and `GIT_DIR`/`GIT_WORK_TREE` removed (a hook or an outer git process must not
//! redirect a tool to another repository). Paths given to revisions are written
//! `REV:./path`, which git resolves relative to `-C`, so a repository argument may be a
//! subdirectory of a work tree.

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// A git command that could not run or failed.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// git ran and exited non-zero.
    #[error("`git {command}` failed: {message}")]
    Failed {
        /// The arguments, joined.
        command: String,
        /// git's stderr, first lines.
        message: String,
    },

    /// git could not be started.
    #[error("cannot run git: {source}\nhint: install git and put it on PATH")]
    Missing {
        /// Why it could not be spawned.
        #[source]
        source: std::io::Error,
    },
}

/// A `git` command for `repo`, with the stable environment described above. Callers add
/// arguments and choose how to collect the output.
pub fn command(repo: &Path) -> Command {
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

/// Runs git and returns its whole output, whatever its exit status.
pub fn output(repo: &Path, args: &[&str]) -> Result<Output, GitError> {
    command(repo)
        .args(args)
        .output()
        .map_err(|source| GitError::Missing { source })
}

/// The first lines of git's stderr, for a message.
pub fn stderr_summary(stderr: &[u8]) -> String {
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

/// Runs git and returns stdout, or [`GitError::Failed`] with the first lines of its stderr.
pub fn run(repo: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
    let out = output(repo, args)?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(GitError::Failed {
            command: args.join(" "),
            message: stderr_summary(&out.stderr),
        })
    }
}

/// Like [`run`], stdout as text (lossy UTF-8).
pub fn run_text(repo: &Path, args: &[&str]) -> Result<String, GitError> {
    run(repo, args).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Whether `repo` is inside a git work tree.
pub fn is_work_tree(repo: &Path) -> bool {
    output(repo, &["rev-parse", "--is-inside-work-tree"])
        .is_ok_and(|o| o.status.success() && o.stdout.starts_with(b"true"))
}

/// The commit a revision names, or `None` when it names none.
pub fn resolve_commit(repo: &Path, rev: &str) -> Result<Option<String>, GitError> {
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

/// The HEAD commit, when `repo` is in a git work tree with a commit (`None` otherwise, also
/// when git is missing).
pub fn head_commit(repo: &Path) -> Option<String> {
    resolve_commit(repo, "HEAD")
        .ok()
        .flatten()
        .filter(|s| !s.is_empty())
}

/// The bytes of `path` (relative to `repo`, `/`-separated) at `commit`; `None` when the
/// path does not exist there.
pub fn show_file(repo: &Path, commit: &str, path: &str) -> Result<Option<Vec<u8>>, GitError> {
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

/// Files of the work tree, relative to `repo`, sorted: tracked plus untracked, without the
/// ignored ones unless `include_ignored`.
pub fn list_files(repo: &Path, include_ignored: bool) -> Result<Vec<String>, GitError> {
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
pub fn ignored_files(repo: &Path) -> Result<Vec<String>, GitError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        assert!(
            command(dir).args(args).status().unwrap().success(),
            "{args:?}"
        );
    }

    #[test]
    fn lists_resolves_and_shows_in_a_fresh_repository() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path();
        assert!(!is_work_tree(repo));
        assert_eq!(head_commit(repo), None);
        git(repo, &["init", "-q"]);
        assert!(is_work_tree(repo));
        fs_err::write(repo.join("a.txt"), "one").unwrap();
        fs_err::write(repo.join(".gitignore"), "ignored.txt\n").unwrap();
        fs_err::write(repo.join("ignored.txt"), "x").unwrap();
        assert_eq!(list_files(repo, false).unwrap(), [".gitignore", "a.txt"]);
        assert_eq!(
            list_files(repo, true).unwrap(),
            [".gitignore", "a.txt", "ignored.txt"]
        );
        assert_eq!(ignored_files(repo).unwrap(), ["ignored.txt"]);
        git(repo, &["add", "a.txt"]);
        git(
            repo,
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.invalid",
                "commit",
                "-qm",
                "one",
            ],
        );
        let head = head_commit(repo).unwrap();
        assert_eq!(
            resolve_commit(repo, "HEAD").unwrap().as_deref(),
            Some(&*head)
        );
        assert_eq!(resolve_commit(repo, "no-such-branch").unwrap(), None);
        assert_eq!(show_file(repo, &head, "a.txt").unwrap().unwrap(), b"one");
        assert_eq!(show_file(repo, &head, "missing.txt").unwrap(), None);
        let err = run(repo, &["no-such-command"]).unwrap_err();
        assert!(matches!(err, GitError::Failed { .. }), "{err}");
    }

    #[test]
    fn an_outer_git_dir_does_not_redirect_the_command() {
        let dir = tempfile::tempdir().unwrap();
        let cmd = command(dir.path());
        let removed: Vec<_> = cmd
            .get_envs()
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| k.to_owned())
            .collect();
        assert!(removed.iter().any(|k| k == "GIT_DIR"));
        assert!(removed.iter().any(|k| k == "GIT_WORK_TREE"));
    }
}
