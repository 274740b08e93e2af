//! xtask's end-to-end tests, one binary (linking is most of a test build): `bundle …`, and
//! `demo | rotate | audit` in temporary git repositories.

mod bundle_cli;
mod common;
mod identities_interop;
mod init_cli;
mod issue_12;
mod issue_12_emergency;
mod issue_15;
mod rotate_cli;
mod rotate_crash;
