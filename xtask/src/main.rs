//! `cargo xtask`: the human interface to the toolkit's libraries, and the repository's
//! maintenance tasks (benchmarks).
//!
//! This binary owns the terminal: it is the only module here that prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod audit;
mod bench;
mod bundle;
mod demo;
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
    match result {
        Ok(code) => code,
        Err(err) => {
            bundle_core::ops::cli::write_error_chain(&mut stderr.lock(), &*err);
            ExitCode::from(err.exit_code())
        }
    }
}

/// An error with the exit code it maps to.
#[derive(Debug)]
pub(crate) struct Failure {
    code: u8,
    inner: Box<dyn std::error::Error + Send + Sync>,
}

impl Failure {
    // Boxed because every caller returns it through `TaskResult`'s `Box<Failure>`.
    #[allow(clippy::unnecessary_box_returns)]
    pub(crate) fn new(code: u8, message: impl Into<String>) -> Box<Self> {
        Box::new(Self {
            code,
            inner: message.into().into(),
        })
    }

    /// A `map_err` adapter: any error, reported with `code`.
    pub(crate) fn wrap<E: std::error::Error + Send + Sync + 'static>(
        code: u8,
    ) -> impl Fn(E) -> Box<Self> {
        move |e| {
            Box::new(Self {
                code,
                inner: Box::new(e),
            })
        }
    }

    // Boxed because every caller returns it through `TaskResult`'s `Box<Failure>`.
    #[allow(clippy::unnecessary_box_returns)]
    pub(crate) fn usage(message: impl Into<String>) -> Box<Self> {
        Box::new(Self {
            code: 2,
            inner: message.into().into(),
        })
    }

    pub(crate) fn exit_code(&self) -> u8 {
        self.code
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
        Box::new(Failure {
            code: e.exit_code(),
            inner: Box::new(e),
        })
    }
}

impl From<std::io::Error> for Box<Failure> {
    fn from(e: std::io::Error) -> Self {
        Box::new(Failure {
            code: 2,
            inner: Box::new(e),
        })
    }
}

pub(crate) type TaskResult = Result<ExitCode, Box<Failure>>;
