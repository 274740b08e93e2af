//! secrets-sync's end-to-end tests, one binary (linking is most of a test build): publishing,
//! `--check`, `--remove-key-file`, and interop with the real sops. The crash tests are a
//! binary of their own (`tests/crash.rs`): their random kills are timed against the runtime
//! they measure, so they run alone rather than beside these.

mod check;
mod common;
mod interop;
mod keyfile;
mod script;
mod sync;
