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

/// Reads a file the tools were pointed at, refusing what would hang or flood them: anything
/// but a regular file (a FIFO, a device such as `/dev/zero`), a symbolic link whose target is
/// outside `root` (when given), and more than `limit` bytes. `Ok(None)` when it does not
/// exist. The error names the path and the reason, never the content.
pub fn read_regular(
    path: &Path,
    root: Option<&Path>,
    limit: u64,
) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read as _;
    let refuse = |why: String| std::io::Error::other(format!("{}: {why}", path.display()));
    let link = match fs_err::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    // The whole path is resolved, so a linked directory on the way (`docs -> /`) counts as
    // much as a linked file.
    if let Some(root) = root {
        let target = fs_err::canonicalize(path)?;
        if !target.starts_with(fs_err::canonicalize(root)?) {
            let what = if link.file_type().is_symlink() {
                "a symbolic link to outside the repository (not followed)"
            } else {
                "reached through a symbolic link to outside the repository (not followed)"
            };
            return Err(refuse(what.to_owned()));
        }
    }
    let meta = fs_err::metadata(path)?;
    if !meta.is_file() {
        return Err(refuse("not a regular file".to_owned()));
    }
    if meta.len() > limit {
        return Err(refuse(format!("larger than {limit} bytes")));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // Bounded even if the file grows while it is read.
    fs_err::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(refuse(format!("larger than {limit} bytes")));
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_regular_refuses_what_would_hang_or_flood() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs_err::write(root.join("a.md"), "text").unwrap();
        assert_eq!(
            read_regular(&root.join("a.md"), Some(root), 10)
                .unwrap()
                .unwrap(),
            b"text"
        );
        assert!(
            read_regular(&root.join("missing"), Some(root), 10)
                .unwrap()
                .is_none()
        );
        let err = read_regular(&root.join("a.md"), Some(root), 3).unwrap_err();
        assert!(
            err.to_string().ends_with("a.md: larger than 3 bytes"),
            "{err}"
        );
        std::os::unix::fs::symlink("/dev/zero", root.join("zero.md")).unwrap();
        let err = read_regular(&root.join("zero.md"), Some(root), 10).unwrap_err();
        assert!(err.to_string().contains("outside the repository"), "{err}");
        let err = read_regular(&root.join("zero.md"), None, 10).unwrap_err();
        assert!(err.to_string().ends_with("not a regular file"), "{err}");
        let outside = tempfile::tempdir().unwrap();
        fs_err::write(outside.path().join("f.md"), "outside").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("linked-dir")).unwrap();
        let err = read_regular(&root.join("linked-dir/f.md"), Some(root), 10).unwrap_err();
        assert!(
            err.to_string().contains("reached through a symbolic link"),
            "{err}"
        );
        std::os::unix::fs::symlink(root.join("a.md"), root.join("inside.md")).unwrap();
        assert!(
            read_regular(&root.join("inside.md"), Some(root), 10)
                .unwrap()
                .is_some()
        );
    }

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
