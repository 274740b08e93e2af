//! rotation-guard: refuse a bad rotation of the MCP secrets bundle, and prove that no secret
//! value leaked into the tree or the git history.
//!
//! Three commands, each a library function that the binary wraps:
//!
//! - [`check::check`]: compares the bundle of the working tree with its base (a git revision
//!   or a file) and applies the runbook's rotation rules, each with a stable id
//!   ([`rules::all`]): version + 1, a new data key, new recipients matching `.sops.yaml`, the
//!   header and the evidence complete, no key file or decrypted copy in the tree; with keys,
//!   the MAC verifies and the replaced key is dead.
//! - [`scan::scan_leaks`]: decrypts the bundle in memory and searches every file (and every
//!   git blob) for its values in their common encodings.
//! - [`gitleaks::run_gitleaks`]: runs gitleaks as the runbook does and maps its outcome.
//!
//! ```no_run
//! use rotation_guard::check::{CheckOptions, check, exit_status};
//! let report = check(&CheckOptions::new(".".into(), "origin/main")).unwrap();
//! assert!(exit_status(&report).is_success(), "rotation rejected");
//! ```
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod check;
pub mod cli;
pub mod error;
pub mod gitleaks;
pub mod keys;
pub mod report;
pub mod rules;
pub mod scan;

#[cfg(test)]
mod testkit;

pub use error::Error;
