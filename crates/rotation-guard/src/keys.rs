//! Where the keys come from: `--identity` files, or the usual sops sources.
//!
//! An identity file is read into a zeroizing buffer and parsed by bundle-core; its text never
//! reaches a message. Several files are combined into one set of identities.

use std::path::PathBuf;

use bundle_core::keys::{Identities, KeyEnv};

use crate::error::Error;

/// How to find the age identities.
#[derive(Debug, Clone, Default)]
pub enum KeySource {
    /// No key: rules that need one are skipped.
    #[default]
    None,
    /// These identity files (`--identity`).
    Files(Vec<PathBuf>),
    /// The sops sources: `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`, `keys.txt`.
    Env(KeyEnv),
}

impl KeySource {
    /// `--identity` files when given; else the environment when `require_env_var` is false
    /// or one of the `SOPS_AGE_KEY*` variables is set; else no key.
    pub fn choose(files: Vec<PathBuf>, env: KeyEnv, require_env_var: bool) -> Self {
        if !files.is_empty() {
            return Self::Files(files);
        }
        let has_var = env.sops_age_key.is_some()
            || env.sops_age_key_file.is_some()
            || env.sops_age_key_cmd.is_some();
        if has_var || !require_env_var {
            Self::Env(env)
        } else {
            Self::None
        }
    }

    /// Loads the identities; `None` for [`KeySource::None`].
    pub fn load(&self) -> Result<Option<Identities>, Error> {
        match self {
            Self::None => Ok(None),
            Self::Env(env) => Ok(Some(Identities::discover(env)?)),
            Self::Files(files) => load_files(files).map(Some),
        }
    }
}

/// Reads identity files into one set of identities (bundle-core's one key-file loader).
pub fn load_files(files: &[PathBuf]) -> Result<Identities, Error> {
    Identities::from_files(files).map_err(|e| match e {
        bundle_core::Error::IdentityFile { path, source } => Error::IdentityFile { path, source },
        other => Error::Bundle(other),
    })
}
