//! Reading and decrypting the bundle, and rendering both outputs in memory.
//!
//! What must stay true: both outputs come from one decryption (one [`Loaded`]), every check
//! that can refuse the bundle runs here, before any file is touched, and plaintext lives only
//! in zeroizing buffers that `Debug` does not print.

use std::path::{Path, PathBuf};

use bundle_core::cipher::is_enc;
use bundle_core::keys::{Identities, KeyEnv};
use bundle_core::ops::files::read_regular;
use bundle_core::ops::mcp::Version;
use bundle_core::sops::SopsFile;
use bundle_core::store::EmitOptions;
use bundle_core::{Format, Map, Scalar, SeqItem, Value};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::flatten::{EnvFile, render_env};

/// The header key holding the bundle's version (kept in the clear by convention).
pub use bundle_core::ops::mcp::VERSION_KEY;

/// A decrypted bundle rendered as the two outputs, with the facts the summary reports.
pub struct Loaded {
    /// The bundle's path.
    pub path: PathBuf,
    /// `MCP_SECRETS_VERSION`, when it is an integer.
    pub version: Option<i64>,
    /// Non-null leaves of the bundle.
    pub values: usize,
    /// Of those, the ones stored encrypted.
    pub encrypted: usize,
    /// Where the identities came from (names and paths, never keys).
    pub key_sources: Vec<String>,
    /// The `.env` text and its variable names.
    pub env: EnvFile,
    /// The `console-secrets.json` bytes.
    pub json: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaded")
            .field("path", &self.path)
            .field("version", &self.version)
            .field("values", &self.values)
            .field("encrypted", &self.encrypted)
            .field("key_sources", &self.key_sources)
            .finish_non_exhaustive()
    }
}

/// The most a bundle may weigh (a 100,000-value bundle is about 20 MiB).
const MAX_BUNDLE_BYTES: u64 = 256 << 20;

/// Reads, decrypts (MAC verified) and renders the bundle at `path`.
pub fn load(path: &Path, keys: &KeyEnv) -> Result<Loaded> {
    // A regular file only: `--bundle` naming a FIFO or a device must fail, not wait forever.
    let Some(bytes) = read_regular(path, None, MAX_BUNDLE_BYTES)? else {
        return Err(Error::BundleMissing {
            path: path.to_owned(),
        });
    };
    let file = SopsFile::parse(path, Format::from_path(path), &bytes)?;
    if file.branches().len() != 1 {
        return Err(Error::DocumentCount {
            path: path.to_owned(),
            documents: file.branches().len(),
        });
    }
    let mut counts = (0, 0);
    for branch in file.branches() {
        count_map(branch, &mut counts);
    }
    let identities = Identities::discover(keys)?;
    let decrypted = file.decrypt(&identities)?;
    let branch = &decrypted.branches()[0];
    // Read without the key first, as every tool does; a version someone encrypted by
    // mistake is still reported, from the decrypted tree.
    let version = match Version::read(&file, VERSION_KEY) {
        Version::Int(v) => Some(v),
        Version::Encrypted => match branch.get(VERSION_KEY) {
            Some(Value::Scalar(Scalar::Int(v))) => Some(*v),
            _ => None,
        },
        Version::Missing | Version::NotInteger(_) => None,
    };
    let env = render_env(branch)?;
    let json = decrypted.to_plaintext(Format::Json, EmitOptions::default())?;
    Ok(Loaded {
        path: path.to_owned(),
        version,
        values: counts.0,
        encrypted: counts.1,
        key_sources: identities.sources().to_vec(),
        env,
        json,
    })
}

/// Counts (leaves, encrypted leaves) of an encrypted tree without decrypting it.
fn count_map(map: &Map, counts: &mut (usize, usize)) {
    for (_, value) in map.entries() {
        count_value(value, counts);
    }
}

fn count_value(value: &Value, counts: &mut (usize, usize)) {
    match value {
        Value::Null => {}
        Value::Map(map) => count_map(map, counts),
        Value::Seq(items) => {
            for item in items {
                if let SeqItem::Value(v) = item {
                    count_value(v, counts);
                }
            }
        }
        Value::Scalar(scalar) => {
            // An encrypted comment inside a sequence is stored as an ENC value of type comment.
            if let Scalar::Str(text) = scalar
                && is_enc(text.as_str())
            {
                if text.as_str().ends_with(",type:comment]") {
                    return;
                }
                counts.1 += 1;
            }
            counts.0 += 1;
        }
    }
}
