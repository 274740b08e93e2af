//! Which files of a repository the tools look at: the one file listing every tool uses.
//!
//! In a git work tree these are git's tracked and untracked-but-not-ignored files (what is or
//! would be committed); elsewhere, every file not ignored by the `.gitignore` files below the
//! root. `.git/` is never listed and symbolic links are never followed. Paths are relative,
//! `/`-separated and sorted, so reports built from them are deterministic.

use std::path::Path;

use super::git::{self, GitError};

/// Files under `root` found by walking the directory (no git), skipping `.git/`; honouring
/// `.gitignore` and `.ignore` files unless `include_ignored`.
pub fn walk_files(root: &Path, include_ignored: bool) -> std::io::Result<Vec<String>> {
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        .hidden(false)
        .parents(false)
        .git_global(false)
        .git_exclude(false)
        .require_git(false)
        .follow_links(false);
    if include_ignored {
        builder.ignore(false).git_ignore(false);
    }
    builder.filter_entry(|e| e.file_name() != ".git");
    let mut out = Vec::new();
    for entry in builder.build() {
        let entry = entry.map_err(|e| std::io::Error::other(e.to_string()))?;
        if entry.file_type().is_some_and(|t| t.is_file()) {
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    out.sort();
    Ok(out)
}

/// Why the files of a repository could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// git is there but failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// Walking the directory failed.
    #[error(transparent)]
    Walk(#[from] std::io::Error),
}

/// The repository's files: [`git::list_files`] in a git work tree, else [`walk_files`].
pub fn repo_files(root: &Path, include_ignored: bool) -> Result<Vec<String>, ListError> {
    if git::is_work_tree(root) {
        Ok(git::list_files(root, include_ignored)?)
    } else {
        Ok(walk_files(root, include_ignored)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_without_git_honouring_gitignore() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs_err::create_dir_all(root.join("sub")).unwrap();
        fs_err::create_dir_all(root.join(".git")).unwrap();
        fs_err::write(root.join(".git/config"), "x").unwrap();
        fs_err::write(root.join("sub/b.txt"), "b").unwrap();
        fs_err::write(root.join("a.txt"), "a").unwrap();
        fs_err::write(root.join(".gitignore"), "skip.txt\n").unwrap();
        fs_err::write(root.join("skip.txt"), "s").unwrap();
        assert_eq!(
            walk_files(root, false).unwrap(),
            [".gitignore", "a.txt", "sub/b.txt"]
        );
        assert_eq!(
            repo_files(root, true).unwrap(),
            [".gitignore", "a.txt", "skip.txt", "sub/b.txt"]
        );
    }
}
