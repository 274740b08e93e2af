//! Files of a fixture tree: a crate's `tests/fixtures`, temp copies of it, and files written
//! into a temp repository (parents created).

use std::path::{Path, PathBuf};

/// `<manifest_dir>/tests/fixtures/<rel>`; pass `env!("CARGO_MANIFEST_DIR")` of the crate
/// under test.
pub fn fixtures(manifest_dir: &str, rel: &str) -> PathBuf {
    Path::new(manifest_dir).join("tests/fixtures").join(rel)
}

/// Writes `contents` at `root/rel`, creating the parent directories.
pub fn write(root: &Path, rel: &str, contents: impl AsRef<[u8]>) {
    let path = root.join(rel);
    fs_err::create_dir_all(path.parent().unwrap()).unwrap();
    fs_err::write(path, contents).unwrap();
}

/// The text of `root/rel`.
pub fn read(root: &Path, rel: &str) -> String {
    fs_err::read_to_string(root.join(rel)).unwrap()
}

/// Copies the tree `from` into `to` (created), files byte for byte.
pub fn copy_tree(from: &Path, to: &Path) {
    fs_err::create_dir_all(to).unwrap();
    for entry in fs_err::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs_err::copy(entry.path(), target).unwrap();
        }
    }
}

/// A fresh temp directory holding a copy of the tree `from`.
pub fn temp_copy(from: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(from, dir.path());
    dir
}
