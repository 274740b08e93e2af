//! The command line of both front ends: `cargo xtask` and `mcp-secrets` parse the same
//! [`Task`] subcommands and call the same functions; `cargo xtask` adds `bench`.
//!
//! This module owns the terminal: it is the only one of the library that prints (the tasks
//! write to the sinks they are given).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::{TaskResult, audit, bench, bundle, demo, init, rotate};

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  the command ran and found a problem
  2  usage or input error (bad arguments, malformed or missing file)
  3  key or integrity error (no key can decrypt, MAC mismatch, tampered ciphertext)";

/// The commands `cargo xtask` and `mcp-secrets` share.
#[derive(Subcommand)]
enum Task {
    /// Work with SOPS files: decrypt, encrypt, set, unset, rotate, updatekeys, status, keygen.
    #[command(subcommand, after_help = EXIT_CODES)]
    Bundle(bundle::BundleCommand),
    /// Rotate the bundle as the runbook says (scheduled, or --emergency), all or nothing.
    #[command(after_help = EXIT_CODES)]
    Rotate(rotate::RotateArgs),
    /// Auditoria contínua: ops-controls compared with the last report, recorded, evidence verified.
    #[command(after_help = EXIT_CODES)]
    Audit(audit::AuditArgs),
    /// Bring an existing git repository to the runbook's layout (bundle v1, runbooks, CI...).
    #[command(after_help = init::AFTER_HELP)]
    Init(init::InitArgs),
    /// The whole runbook in a sandbox (no key, no network): plan, rotations, audit.
    #[command(after_help = EXIT_CODES)]
    Demo(demo::DemoArgs),
}

/// `cargo xtask`: the shared tasks and this workspace's benchmarks.
#[derive(Parser)]
#[command(about = "The MCP secrets toolkit's tasks", after_help = EXIT_CODES)]
struct XtaskCli {
    #[command(subcommand)]
    command: XtaskCommand,
}

#[derive(Subcommand)]
enum XtaskCommand {
    #[command(flatten)]
    Task(Box<Task>),
    /// Benchmarks, side by side with the peer tool.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// `mcp-secrets`: the shared tasks, for a repository that installed the toolkit.
#[derive(Parser)]
#[command(
    about = "The MCP secrets runbook as commands: init, rotate, audit, demo, bundle",
    version,
    after_help = EXIT_CODES
)]
struct McpSecretsCli {
    #[command(subcommand)]
    command: Task,
}

/// Parses the process's arguments as `T`, with `program` as the name in usage and help.
fn parse<T: CommandFactory + FromArgMatches>(program: &'static str) -> T {
    let _ = crate::PROGRAM.set(program);
    let command = T::command().name(program);
    let matches = command.get_matches();
    T::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

fn run_task(task: Task) -> TaskResult {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    match task {
        Task::Bundle(cmd) => bundle::run(cmd, &mut stdout.lock(), &mut stderr.lock()),
        Task::Rotate(args) => rotate::run(args, &mut stderr.lock()),
        Task::Audit(args) => audit::run(&args, &mut stderr.lock()),
        Task::Init(args) => init::run(&args, &mut stdout.lock(), &mut stderr.lock()),
        Task::Demo(args) => demo::run(&args, &mut stderr.lock()),
    }
}

fn finish(result: TaskResult) -> ExitCode {
    bundle_core::ops::cli::finish(result.map_err(|e| *e), &mut std::io::stderr().lock())
}

/// The `cargo xtask` binary.
pub fn xtask_main() -> ExitCode {
    let cli: XtaskCli = parse("cargo xtask");
    let result = match cli.command {
        XtaskCommand::Task(task) => run_task(*task),
        XtaskCommand::Bench(cmd) => bench::run(
            &cmd,
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
        ),
    };
    finish(result)
}

/// The `mcp-secrets` binary.
pub fn mcp_secrets_main() -> ExitCode {
    let cli: McpSecretsCli = parse("mcp-secrets");
    finish(run_task(cli.command))
}
