//! rotation-guard's integration tests, one binary (linking is most of a test build): `check`,
//! `scan-leaks`, `gitleaks`, the command line, and interop with the real sops.

mod check;
mod cli;
mod common;
mod gitleaks;
mod interop;
mod scan;
