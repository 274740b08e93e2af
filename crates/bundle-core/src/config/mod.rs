//! `.sops.yaml`: finding it, its creation rules, and editing a rule's age recipients.
//!
//! Follows sops 3.11 (spec §10): the file is looked up from a directory upward (100 levels),
//! the first creation rule whose unanchored `path_regex` matches the file path relative to
//! the config's directory wins, and a rule without `path_regex` matches everything. Only age
//! recipients are supported by this toolkit: a rule using another key type (pgp, kms, …) is
//! loaded, so that other rules of the same file still work, but choosing it is an error.
//!
//! The parts: `model` is the parsed file ([`SopsConfig`], [`CreationRule`], [`KeyGroup`])
//! and how sops reads it; `recipients` is [`replace_rule_recipients`], which edits one
//! rule's `age:` entry in the text of the file and leaves every other byte alone (comments,
//! order, other rules), then re-parses the result to prove the edit did what it should.
//! Every public item is re-exported here: callers name `bundle_core::config::X`.

use std::path::{Component, Path, PathBuf};

mod model;
mod recipients;
#[cfg(test)]
mod tests;

pub use model::{CreationRule, KeyGroup, SopsConfig};
pub use recipients::replace_rule_recipients;

/// The file name sops looks for (`.sops.yml` is never used).
pub const CONFIG_FILE_NAME: &str = ".sops.yaml";

/// How many directories [`find_config`] climbs, as sops.
const MAX_DEPTH: usize = 100;
/// Looks for `.sops.yaml` in `start_dir`, then its parents, up to 100 levels, as sops does
/// from its working directory. The returned path is absolute (`start_dir` made absolute and
/// `..` resolved lexically).
pub fn find_config(start_dir: &Path) -> Option<PathBuf> {
    let mut dir = absolute_clean(start_dir);
    for _ in 0..MAX_DEPTH {
        let candidate = dir.join(CONFIG_FILE_NAME);
        if fs_err::metadata(&candidate).is_ok() {
            return Some(candidate);
        }
        if !dir.pop() {
            break;
        }
    }
    None
}
/// `path` made absolute against the working directory, `.` and `..` resolved lexically
/// (as Go's `filepath.Abs`), symbolic links left alone.
fn absolute_clean(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut clean = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !clean.pop() {
                    clean.push(component);
                }
            }
            other => clean.push(other),
        }
    }
    clean
}
