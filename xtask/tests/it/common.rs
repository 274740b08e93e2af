//! Helpers of both halves of the tests: the binary, run in a scrubbed environment.

use std::path::Path;

use assert_cmd::Command;

/// The binary with a scrubbed environment: HOME in the temp dir, no SOPS_* variables.
pub(crate) fn xtask(dir: &Path) -> Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("xtask");
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir);
    cmd
}
