//! `--remove-key-file`: deleting the key files that key discovery reads, so that a CI runner
//! keeps no private key after the step (runbook: "Remove diretórios temporários e o arquivo
//! de chave ao término").
//!
//! The candidates are the file `SOPS_AGE_KEY_FILE` names and the default `keys.txt`
//! (`$XDG_CONFIG_HOME/sops/age/keys.txt` or `~/.config/sops/age/keys.txt`): sops and
//! bundle-core read both when both exist. A candidate is removed only when (issue 11):
//! - the run published the pair successfully (not `--check`, not a failed or refused run);
//! - and the file holds an age identity that decrypts this bundle's data key.
//!
//! Anything else is kept and said so: a file with no identity, or a `keys.txt` whose keys are
//! for other bundles, is somebody's, not this step's. A symbolic link is removed as a link;
//! its target is not touched. Keys given in `SOPS_AGE_KEY` or by `SOPS_AGE_KEY_CMD` live in
//! no file of ours.

use std::path::{Path, PathBuf};

use bundle_core::keys::{Identities, KeyEnv, default_keys_path};
use bundle_core::sops::SopsFile;

use crate::error::{Error, Result};

/// The key files that exist now, in discovery order, without duplicates.
pub fn key_files(env: &KeyEnv) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = Vec::new();
    for path in env
        .sops_age_key_file
        .iter()
        .cloned()
        .chain(default_keys_path(env))
    {
        if fs_err::symlink_metadata(&path).is_ok() && !found.contains(&path) {
            found.push(path);
        }
    }
    found
}

/// What `--remove-key-file` does with each candidate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Files to remove: they hold an identity that decrypted the bundle.
    pub remove: Vec<PathBuf>,
    /// Files left in place, with the reason.
    pub keep: Vec<(PathBuf, &'static str)>,
}

/// Decides for each of `files`: removed only when `published` names the bundle the run
/// published, and the file holds an identity that decrypts its data key.
pub fn plan(files: Vec<PathBuf>, published: Option<&Path>) -> Plan {
    let mut plan = Plan::default();
    let Some(bundle) = published else {
        plan.keep = files
            .into_iter()
            .map(|f| (f, "the sync did not publish; nothing is removed"))
            .collect();
        return plan;
    };
    let bundle = SopsFile::read(bundle).ok();
    for file in files {
        let verdict = match (&bundle, Identities::from_files(std::slice::from_ref(&file))) {
            (_, Err(_)) => Err("it holds no age identity that could be read"),
            (None, _) => Err("the bundle could not be read again"),
            (Some(bundle), Ok(ids)) => {
                if bundle.data_key(&ids).is_ok() {
                    Ok(())
                } else {
                    Err("none of its identities decrypts this bundle")
                }
            }
        };
        match verdict {
            Ok(()) => plan.remove.push(file),
            Err(reason) => plan.keep.push((file, reason)),
        }
    }
    plan
}

/// Removes the given files; stops at the first failure.
pub fn remove(paths: &[PathBuf]) -> Result<()> {
    for path in paths {
        match fs_err::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(Error::KeyFileRemoval {
                    path: path.clone(),
                    source,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_named_file_and_the_default_one() {
        let tmp = tempfile::tempdir().unwrap();
        let named = tmp.path().join("ci.agekey");
        let default = tmp.path().join(".config/sops/age/keys.txt");
        let env = KeyEnv {
            sops_age_key_file: Some(named.clone()),
            home: Some(tmp.path().to_owned()),
            ..KeyEnv::default()
        };
        assert!(key_files(&env).is_empty());
        fs_err::write(&named, b"k").unwrap();
        assert_eq!(key_files(&env), std::slice::from_ref(&named));
        fs_err::create_dir_all(default.parent().unwrap()).unwrap();
        fs_err::write(&default, b"k").unwrap();
        assert_eq!(key_files(&env), [named.clone(), default.clone()]);
        remove(&key_files(&env)).unwrap();
        assert!(!named.exists() && !default.exists());
    }

    #[test]
    fn the_same_file_is_listed_once() {
        let tmp = tempfile::tempdir().unwrap();
        let default = tmp.path().join(".config/sops/age/keys.txt");
        fs_err::create_dir_all(default.parent().unwrap()).unwrap();
        fs_err::write(&default, b"k").unwrap();
        let env = KeyEnv {
            sops_age_key_file: Some(default.clone()),
            home: Some(tmp.path().to_owned()),
            ..KeyEnv::default()
        };
        assert_eq!(key_files(&env), [default]);
    }

    #[test]
    fn a_failed_removal_names_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        // A directory cannot be removed with remove_file.
        let err = remove(&[tmp.path().to_owned()]).unwrap_err();
        assert!(
            matches!(&err, Error::KeyFileRemoval { path, .. } if path == tmp.path()),
            "{err:?}"
        );
    }
}
