//! `cargo xtask`: the human interface to the toolkit's libraries, and the repository's
//! maintenance tasks (benchmarks).
//!
//! This binary owns the terminal: it is the only module here that prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use bundle_core::ExitStatus;
use bundle_core::ops::cli::ToolError;
use clap::{Parser, Subcommand};

mod audit;
mod bench;
mod bundle;
mod demo;
mod evidence;
mod rotate;
mod walk;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  the command ran and found a problem
  2  usage or input error (bad arguments, malformed or missing file)
  3  key or integrity error (no key can decrypt, MAC mismatch, tampered ciphertext)";

#[derive(Parser)]
#[command(name = "cargo xtask", about = "The MCP secrets toolkit's tasks", after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Work with SOPS files: decrypt, encrypt, set, unset, rotate, updatekeys, status, keygen.
    #[command(subcommand, after_help = EXIT_CODES)]
    Bundle(bundle::BundleCommand),
    /// Benchmarks, side by side with the peer tool.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Rotate the bundle as the runbook says (scheduled, or --emergency), all or nothing.
    #[command(after_help = EXIT_CODES)]
    Rotate(rotate::RotateArgs),
    /// Auditoria contínua: ops-controls compared with the last report, recorded, evidence verified.
    #[command(after_help = EXIT_CODES)]
    Audit(audit::AuditArgs),
    /// The whole runbook in a sandbox (no key, no network): plan, rotations, audit.
    #[command(after_help = EXIT_CODES)]
    Demo(demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let result = match cli.command {
        Command::Bundle(cmd) => bundle::run(cmd, &mut stdout.lock(), &mut stderr.lock()),
        Command::Bench(cmd) => bench::run(&cmd, &mut stdout.lock(), &mut stderr.lock()),
        Command::Rotate(args) => rotate::run(args, &mut stderr.lock()),
        Command::Audit(args) => audit::run(&args, &mut stderr.lock()),
        Command::Demo(args) => demo::run(&args, &mut stderr.lock()),
    };
    bundle_core::ops::cli::finish(result.map_err(|e| *e), &mut stderr.lock())
}

/// An error with the exit status it maps to.
#[derive(Debug)]
pub(crate) struct Failure {
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
