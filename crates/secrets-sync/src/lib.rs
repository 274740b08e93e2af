//! secrets-sync: decrypt the MCP secrets bundle into `~/.mcp/.env` and
//! `~/.mcp/console-secrets.json`, the runbook's "Automação de sincronização local".
//!
//! The bundle is decrypted in memory (bundle-core, MAC verified) and rendered as both
//! outputs before anything is written; the pair is then published atomically with a journal
//! that lets the next run repair a crash between the two renames ([`publish`]). Files are
//! 0600 in a 0700 directory whatever the umask; symbolic links are refused. `--check`
//! compares the published pair with the bundle, `--dry-run` says what would be written.
//!
//! What must stay true: no secret value in any message, report or `Debug` output, and
//! plaintext on disk only at the two outputs and at our 0600 temp names beside them.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod bundle;
pub mod check;
pub mod cli;
pub mod error;
pub mod flatten;
pub mod keyfile;
pub mod publish;
pub mod report;

pub use cli::{Args, Context, EXIT_CODES, run, run_with};
pub use error::{Error, Result};
