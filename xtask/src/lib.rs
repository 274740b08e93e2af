//! The MCP secrets toolkit's orchestrator as a library: `rotate`, `audit`, `init`, `demo` and
//! `bundle` (plus this workspace's `bench`), each composing the tools' libraries in the
//! runbook's order. Two thin binaries parse the same commands: `cargo xtask` (this workspace
//! drives itself with it) and `mcp-secrets` (`crates/mcp-secrets`, installed by adopters), so
//! both run exactly this code with the same flags, output and exit codes.
//!
//! What must stay true: the only difference between the two front ends is the program name
//! in messages and `--help`, and `bench` (a maintenance task of this workspace, not offered by
//! `mcp-secrets`). Only [`cli`] prints.

mod audit;
mod bench;
mod bundle;
pub mod cli;
mod demo;
mod evidence;
mod init;
mod rotate;
mod walk;

use std::sync::OnceLock;

use bundle_core::ExitStatus;
use bundle_core::ops::cli::ToolError;

/// The program name the front end set (`cargo xtask` or `mcp-secrets`), for hints that name
/// a command to run.
static PROGRAM: OnceLock<&'static str> = OnceLock::new();

/// How the user runs the orchestrator: `cargo xtask` in this workspace, `mcp-secrets` when
/// installed (the default outside a front end, e.g. in unit tests, is `cargo xtask`).
pub(crate) fn program_name() -> &'static str {
    PROGRAM.get().copied().unwrap_or("cargo xtask")
}

/// An error with the exit status it maps to.
#[derive(Debug)]
pub struct Failure {
    status: ExitStatus,
    inner: Box<dyn std::error::Error + Send + Sync>,
}

// Boxed because every caller returns it through `TaskResult`'s `Box<Failure>`.
#[allow(clippy::unnecessary_box_returns)]
impl Failure {
    pub(crate) fn new(status: ExitStatus, message: impl Into<String>) -> Box<Self> {
        Box::new(Self {
            status,
            inner: message.into().into(),
        })
    }

    /// A usage or input error (exit 2).
    pub(crate) fn usage(message: impl Into<String>) -> Box<Self> {
        Self::new(ExitStatus::Usage, message)
    }

    /// The task ran and found a problem (exit 1).
    pub(crate) fn problem(message: impl Into<String>) -> Box<Self> {
        Self::new(ExitStatus::Problem, message)
    }

    /// A `map_err` adapter for an error that has no exit status of its own: reported with
    /// `status`.
    pub(crate) fn wrap<E: std::error::Error + Send + Sync + 'static>(
        status: ExitStatus,
    ) -> impl Fn(E) -> Box<Self> {
        move |e| {
            Box::new(Self {
                status,
                inner: Box::new(e),
            })
        }
    }

    /// A `map_err` adapter for a tool's error: it keeps the status the tool gives it (a key
    /// or integrity error stays 3).
    pub(crate) fn tool<E: ToolError + Send + Sync + 'static>(e: E) -> Box<Self> {
        Box::new(Self {
            status: e.exit_status(),
            inner: Box::new(e),
        })
    }
}

impl ToolError for Failure {
    fn exit_status(&self) -> ExitStatus {
        self.status
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.source()
    }
}

impl From<bundle_core::Error> for Box<Failure> {
    fn from(e: bundle_core::Error) -> Self {
        Failure::tool(e)
    }
}

impl From<std::io::Error> for Box<Failure> {
    fn from(e: std::io::Error) -> Self {
        Failure::wrap(ExitStatus::Usage)(e)
    }
}

pub(crate) type TaskResult = Result<ExitStatus, Box<Failure>>;
