//! age keys: finding identities as sops does, and wrapping / unwrapping the data key.
//!
//! Identities are collected from every source sops 3.11 reads (spec §9): `SOPS_AGE_KEY`,
//! `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD` and the default `keys.txt`. The sources are
//! combined, not alternatives; a source that fails is skipped and its failure kept, to be
//! reported only when no loaded key can decrypt. SSH identities (`~/.ssh/id_ed25519`,
//! `SOPS_AGE_SSH_PRIVATE_KEY_FILE`) are not read by this toolkit.
//!
//! What must stay true here:
//! - no key material ever reaches a message, an error or a `Debug` string: identity lines
//!   are reported by line number only, and the types holding keys redact themselves;
//! - the library never writes a private key to disk ([`KeyPair`] lives in memory);
//! - every `enc` we produce is an age v1 file in strict ASCII armor (64 columns, final
//!   newline, LF line endings), as sops requires (spec §7.2).
//!
//! The `age` crate 0.12 implements X25519 recipients (`age1…`) but not the post-quantum
//! hybrid ones (`age1pq1…` / `AGE-SECRET-KEY-PQ-1…`) that sops 3.11 snapshots accept, so those
//! are rejected with a message saying so.
//!
//! The parts: `discovery` is where identities come from (the environment, `SOPS_AGE_KEY_CMD`
//! with its redaction, key files named by a person) and `identities` is what they are
//! ([`Identities`], [`KeyPair`]) and how a data key is wrapped and unwrapped. Every public
//! item is re-exported here: callers name `bundle_core::keys::X`.

mod discovery;
mod identities;
#[cfg(test)]
mod tests;

pub use discovery::{DEFAULT_KEY_CMD_TIMEOUT_SECS, KeyEnv, default_keys_path, read_key_files};
pub use identities::{Identities, KeyPair, parse_recipient, wrap_data_key};
