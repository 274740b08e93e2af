//! age keys: finding identities as sops does, and wrapping / unwrapping the data key.
//!
//! Identities are collected from every source sops 3.11 reads (spec §9): the SSH keys
//! (`SOPS_AGE_SSH_PRIVATE_KEY_FILE`, `~/.ssh/id_ed25519`, `~/.ssh/id_rsa`), `SOPS_AGE_KEY`,
//! `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD` and the default `keys.txt`. The sources are
//! combined, not alternatives; a source that fails is skipped and its failure kept, to be
//! reported only when no loaded key can decrypt. A passphrase-protected SSH key is such a
//! failure: nothing here prompts.
//!
//! What must stay true here:
//! - no key material ever reaches a message, an error or a `Debug` string: identity lines
//!   are reported by line number only, and the types holding keys redact themselves;
//! - the library never writes a private key to disk ([`KeyPair`] lives in memory);
//! - every `enc` we produce is an age v1 file in strict ASCII armor (64 columns, final
//!   newline, LF line endings), as sops requires (spec §7.2).
//!
//! Recipients and identities are X25519 (`age1…`), SSH (`ssh-ed25519`, `ssh-rsa`) and age
//! plugins (`age1<name>1…`, `AGE-PLUGIN-<NAME>-1…`, run as `age-plugin-<name>` from `PATH`
//! without prompts). The `age` crate 0.12.1 has no post-quantum hybrid keys (`age1pq1…` /
//! `AGE-SECRET-KEY-PQ-1…`, age v1.3, sops 3.12+), so those are refused with a message
//! saying so.
//!
//! The parts: `discovery` is where identities come from (the environment, `SOPS_AGE_KEY_CMD`
//! with its redaction, key files named by a person) and `identities` is what they are
//! ([`Identities`], [`KeyPair`]) and how a data key is wrapped and unwrapped. Every public
//! item is re-exported here: callers name `bundle_core::keys::X`.

mod discovery;
mod identities;
#[cfg(test)]
mod tests;

pub use discovery::{
    DEFAULT_KEY_CMD_TIMEOUT_SECS, KeyEnv, default_keys_path, read_key_files, ssh_key_paths,
};
pub use identities::{Identities, KeyPair, Recipient, parse_recipient, wrap_data_key};
