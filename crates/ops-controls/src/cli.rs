//! The command line: arguments, and `run`, which the binary calls and tests call directly.

use std::io::{self, Write};
use std::path::PathBuf;

use bundle_core::ExitStatus;
use bundle_core::fsio::{WriteOptions, write_atomic};
use bundle_core::ops::report::Report;
use clap::{Parser, ValueEnum};

use crate::error::Error;
use crate::{Options, compare, generate, render};

/// The exit-code table printed at the end of `--help`.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  every check at or above the policy's severity threshold passed (and no regression)
  1  a check at or above the threshold failed, or --compare found a regression
  2  usage or input error: bad arguments, unreadable policy or previous report, output not writable";

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The human summary.
    Text,
    /// The JSON report (`schema_version` 1).
    Json,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// GitHub Actions `::error`/`::warning` annotations.
    Github,
}

/// Checks that a repository follows the MCP secrets runbook, without any key.
#[derive(Debug, Clone, Parser)]
#[command(name = "ops-controls", version, about, after_help = EXIT_CODES)]
pub struct Args {
    /// The repository to check.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// The policy file [default: <repo>/config/ops-controls.yaml, else the built-in policy].
    #[arg(long, value_name = "PATH")]
    pub policy: Option<PathBuf>,
    /// Write the report to this file (atomically) instead of stdout.
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Compare with a previous JSON report and fail on regressions.
    #[arg(long, value_name = "PREVIOUS.json")]
    pub compare: Option<PathBuf>,
    /// Report format [default: json].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Run only these checks (ids like WF-007, or families like WF); repeat or comma-separate.
    #[arg(long, value_name = "ID", num_args = 1.., value_delimiter = ',')]
    pub only: Vec<String>,
}

/// Renders the report in `format`.
pub fn render(report: &Report, format: Format) -> Vec<u8> {
    match format {
        Format::Json => report.to_json().into_bytes(),
        Format::Sarif => render::sarif(report).into_bytes(),
        Format::Text => {
            let mut out = Vec::new();
            render::text(report, &mut out).expect("writing to a Vec cannot fail");
            out
        }
        Format::Github => {
            let mut out = Vec::new();
            render::github(report, &mut out).expect("writing to a Vec cannot fail");
            out
        }
    }
}

fn ignore_broken_pipe(result: io::Result<()>) -> Result<(), Error> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(Error::Output),
    }
}

/// Runs ops-controls: the report on stdout or `--output`, the summary on stderr.
pub fn run(
    args: Args,
    stdout: &mut impl Write,
    stderr: &mut impl Write,
) -> Result<ExitStatus, Error> {
    let options = Options {
        repo: args.repo,
        policy: args.policy,
        only: args.only,
        now: bundle_core::time::Now::from_env()?.at,
        pending: None,
    };
    let mut report = generate(&options)?;
    if let Some(previous) = &args.compare {
        let previous = Report::read(previous).map_err(Error::PreviousReport)?;
        report.comparison = Some(compare::compare(&previous, &report));
    }
    let format = args.format.unwrap_or(Format::Json);
    let bytes = render(&report, format);
    let summary_on_stdout = args.output.is_none() && format == Format::Text;
    match &args.output {
        Some(path) => {
            write_atomic(path, &bytes, WriteOptions::PUBLIC).map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
        }
        None => ignore_broken_pipe(stdout.write_all(&bytes).and_then(|()| stdout.flush()))?,
    }
    if !summary_on_stdout {
        ignore_broken_pipe(render::text(&report, stderr))?;
    }
    let regressions = report
        .comparison
        .as_ref()
        .is_some_and(|c| !c.regressions.is_empty());
    Ok(ExitStatus::problem_if(
        !report.summary.passed || regressions,
    ))
}
