//! How `init` writes: every planned file created new (never over an existing one), atomically
//! and with its mode, each created file and directory remembered so a later failure removes
//! them all ([`Created::undo`]); then the new private key delivered to its sink.
//!
//! What must stay true: all or nothing (the caller undoes on any error, key delivery
//! included, and the key is delivered only after every repository file is in place); the
//! key goes only to `--key-out` (0600, new) or `--key-cmd`'s standard input.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use bundle_core::fsio::{self, WriteOptions};
use bundle_core::keys::KeyPair;
use bundle_core::time::Timestamp;
use zeroize::Zeroizing;

use super::{Planned, exists};
use crate::Failure;
use crate::rotate::{KeySink, deliver_to_command};

/// What a run created, to be removed when a later write fails.
#[derive(Default)]
pub(super) struct Created {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

impl Created {
    /// Removes what was created, newest first.
    pub(super) fn undo(self) {
        for f in self.files.iter().rev() {
            let _ = fs_err::remove_file(f);
        }
        for d in self.dirs.iter().rev() {
            let _ = fs_err::remove_dir(d);
        }
    }
}

/// Writes each planned file (create-new, atomic, its mode), creating missing directories.
pub(super) fn write_all(
    repo: &Path,
    files: &[&Planned],
    created: &mut Created,
) -> Result<(), Box<Failure>> {
    for p in files {
        let target = repo.join(&p.path);
        let parent = target
            .parent()
            .ok_or_else(|| Failure::usage("internal: a planned file has no directory"))?;
        create_dirs(repo, parent, created)?;
        fsio::write_atomic(
            &target,
            &p.bytes,
            WriteOptions {
                private: false,
                overwrite: false,
            },
        )?;
        created.files.push(target.clone());
        fs_err::set_permissions(&target, std::fs::Permissions::from_mode(p.mode))?;
    }
    Ok(())
}

/// Creates `dir` and its missing parents below `repo`, remembering each one.
fn create_dirs(repo: &Path, dir: &Path, created: &mut Created) -> Result<(), Box<Failure>> {
    let mut missing = Vec::new();
    let mut at = dir;
    while at != repo && !exists(at) {
        missing.push(at.to_owned());
        at = at
            .parent()
            .ok_or_else(|| Failure::usage("internal: directory outside the repository"))?;
    }
    for d in missing.into_iter().rev() {
        fs_err::create_dir(&d)?;
        created.dirs.push(d);
    }
    Ok(())
}

/// Delivers the new private key to the sink, once every repository file is in place.
pub(super) fn deliver_key(
    sink: &KeySink,
    pair: &KeyPair,
    now: Timestamp,
) -> Result<(), Box<Failure>> {
    let text = Zeroizing::new(format!(
        "# created: {now}\n# public key: {}\n{}\n",
        pair.recipient(),
        pair.expose_identity()
    ));
    match sink {
        KeySink::File(path) => {
            fsio::write_atomic(path, text.as_bytes(), WriteOptions::PRIVATE_NEW)?;
        }
        KeySink::Command(cmd, timeout) => deliver_to_command(cmd, text.as_bytes(), *timeout)?,
    }
    Ok(())
}
