//! The environment a test controls: whether it runs in CI, and which inherited variables are
//! removed before a binary runs, so a developer's own settings never change an outcome.

/// Variables that change what the tools do and must not leak in from the developer's shell
/// or the CI machine: sops key discovery, colour, CI detection and annotation formats. A test
/// that needs one sets it explicitly after scrubbing.
pub const SCRUBBED_ENV: &[&str] = &[
    "SOPS_AGE_KEY",
    "SOPS_AGE_KEY_FILE",
    "SOPS_AGE_KEY_CMD",
    "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
    "SOPS_AGE_RECIPIENTS",
    "NO_COLOR",
    "CI",
    "GITHUB_ACTIONS",
    "XDG_CONFIG_HOME",
];

/// Whether the tests run in CI: `CI` is set to `true` (as `.ci/run` and GitHub Actions set it).
/// There, a missing tool is a failure rather than a skipped test.
pub fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Removes [`SCRUBBED_ENV`] from a command's environment.
pub trait ScrubEnv {
    /// Removes every variable of [`SCRUBBED_ENV`]; returns the command for chaining.
    fn scrub_env(&mut self) -> &mut Self;
}

impl ScrubEnv for std::process::Command {
    fn scrub_env(&mut self) -> &mut Self {
        for var in SCRUBBED_ENV {
            self.env_remove(var);
        }
        self
    }
}

impl ScrubEnv for assert_cmd::Command {
    fn scrub_env(&mut self) -> &mut Self {
        for var in SCRUBBED_ENV {
            self.env_remove(var);
        }
        self
    }
}
