//! The command line: arguments, and `run`, which the binary calls and tests call directly.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use bundle_core::keys::KeyEnv;
use clap::{Parser, Subcommand, ValueEnum};

use bundle_core::ExitStatus;

use crate::check::{CheckOptions, check, exit_status};
use crate::error::Error;
use crate::gitleaks::{GitleaksOptions, Verdict, run_gitleaks};
use crate::keys::KeySource;
use crate::scan::{Files, ScanOptions, scan_leaks};

/// The exit-code table printed at the end of `--help`.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  all rules hold / no leak found / gitleaks clean
  1  a rule failed (rotation rejected) / a secret value leaked / gitleaks found leaks
  2  usage or input error: bad arguments, missing bundle or base, git or gitleaks failed or missing
  3  key or integrity error: no key decrypts the bundle, MAC mismatch, tampered ciphertext";

/// Refuses a bad rotation of the MCP secrets bundle and proves no secret value leaked.
#[derive(Debug, Clone, Parser)]
#[command(name = "rotation-guard", version, about, after_help = EXIT_CODES)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Compare the bundle with its base and apply the rotation rules (keyless by default).
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// Decrypt the bundle in memory and search the tree (and git history) for its values.
    #[command(after_help = EXIT_CODES)]
    ScanLeaks(ScanArgs),
    /// Run the installed gitleaks as the runbook does and map its outcome.
    #[command(after_help = EXIT_CODES)]
    Gitleaks(GitleaksArgs),
}

/// `check` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// The bundle before the change: a file, or a git revision (e.g. origin/main).
    #[arg(long, value_name = "REF|FILE")]
    pub base: String,
    /// The repository.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// The bundle, relative to the repository [default: config/secrets.enc.yaml].
    #[arg(long, value_name = "PATH")]
    pub bundle: Option<PathBuf>,
    /// The evidence directory, relative to the repository [default: docs/evidence/TASK-OPS-302].
    #[arg(long, value_name = "DIR")]
    pub evidence: Option<PathBuf>,
    /// Identity file of the new key; enables the RG-1xx rules (so do the `SOPS_AGE_KEY*` variables).
    #[arg(long, value_name = "FILE")]
    pub identity: Vec<PathBuf>,
    /// Identity file of the replaced key: proves it can no longer decrypt (RG-102).
    #[arg(long, value_name = "FILE")]
    pub old_identity: Vec<PathBuf>,
    /// Paths (gitignore syntax) exempt from RG-015 and RG-016, e.g. test fixtures.
    #[arg(long, value_name = "PATTERN")]
    pub allow: Vec<String>,
    /// Print the JSON report (`schema_version` 1) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// When to show progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Progress {
    /// On a terminal, outside CI.
    Auto,
    /// Always, on stderr.
    Always,
    /// Never.
    Never,
}

/// `scan-leaks` arguments.
#[derive(Debug, Clone, clap::Args)]
#[allow(clippy::struct_excessive_bools)] // independent command-line switches
pub struct ScanArgs {
    /// The repository (or directory) to scan.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// The bundle, relative to the repository [default: config/secrets.enc.yaml].
    #[arg(long, value_name = "PATH")]
    pub bundle: Option<PathBuf>,
    /// Identity file [default: the sops key sources: `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`, keys.txt].
    #[arg(long, value_name = "FILE")]
    pub identity: Vec<PathBuf>,
    /// Also scan every blob, commit and tag message and file name of the git object
    /// database, reachable or not; refused on a shallow or partial clone.
    #[arg(long)]
    pub history: bool,
    /// Also scan files ignored by .gitignore.
    #[arg(long)]
    pub include_ignored: bool,
    /// Scan only the staged changes, as git's index holds them (a pre-commit hook): not the
    /// working tree, not untracked files.
    #[arg(long, conflicts_with_all = ["history", "include_ignored"])]
    pub staged: bool,
    /// Do not search this value (dotted key path, e.g. db.host); repeatable.
    #[arg(long, value_name = "KEY")]
    pub exclude_key: Vec<String>,
    /// Worker threads [default: one per CPU].
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Progress on stderr.
    #[arg(long, value_enum, default_value = "auto")]
    pub progress: Progress,
    /// Print the JSON report (`schema_version` 1) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `gitleaks` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct GitleaksArgs {
    /// The directory to scan.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// gitleaks configuration [default: <repo>/config/gitleaks.toml].
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Keep gitleaks' JSON report here (written atomically, mode 0600).
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,
    /// The gitleaks binary [default: gitleaks on PATH].
    #[arg(long, value_name = "PATH")]
    pub gitleaks: Option<PathBuf>,
    /// Print the outcome as JSON (`schema_version` 1) instead of text.
    #[arg(long)]
    pub json: bool,
}

fn emit(result: io::Result<()>) -> Result<(), Error> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(Error::Output),
    }
}

fn show_progress(choice: Progress) -> bool {
    match choice {
        Progress::Always => true,
        Progress::Never => false,
        Progress::Auto => io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
    }
}

/// Runs a subcommand: the result on `stdout`, progress and notes on `stderr`.
pub fn run(
    args: Args,
    stdout: &mut impl Write,
    stderr: &mut impl Write,
) -> Result<ExitStatus, Error> {
    match args.command {
        Command::Check(a) => {
            let options = CheckOptions {
                repo: a.repo,
                bundle: a.bundle,
                base: a.base,
                evidence: a.evidence,
                keys: KeySource::choose(a.identity, KeyEnv::from_process(), true),
                old_identities: a.old_identity,
                allow: a.allow,
            };
            let report = check(&options)?;
            if a.json {
                emit(stdout.write_all(report.to_json().as_bytes()))?;
            } else {
                emit(report.write_text(stdout))?;
            }
            emit(stdout.flush())?;
            Ok(exit_status(&report))
        }
        Command::ScanLeaks(a) => {
            let options = ScanOptions {
                repo: a.repo,
                bundle: a.bundle,
                keys: KeySource::choose(a.identity, KeyEnv::from_process(), false),
                history: a.history,
                include_ignored: a.include_ignored,
                files: if a.staged {
                    Files::Staged
                } else {
                    Files::WorkTree
                },
                exclude_keys: a.exclude_key,
                threads: a.threads,
                progress: show_progress(a.progress),
            };
            let report = scan_leaks(&options, stderr)?;
            if a.json {
                emit(stdout.write_all(report.to_json().as_bytes()))?;
            } else {
                emit(report.write_text(stdout))?;
            }
            emit(stdout.flush())?;
            Ok(ExitStatus::problem_if(!report.findings.is_empty()))
        }
        Command::Gitleaks(a) => {
            let outcome = run_gitleaks(&GitleaksOptions {
                repo: a.repo,
                config: a.config,
                report: a.report,
                binary: a.gitleaks,
            })?;
            if a.json {
                emit(stdout.write_all(outcome.to_json().as_bytes()))?;
            } else {
                emit(outcome.write_text(stdout))?;
            }
            emit(stdout.flush())?;
            Ok(ExitStatus::problem_if(outcome.outcome == Verdict::Leaks))
        }
    }
}
