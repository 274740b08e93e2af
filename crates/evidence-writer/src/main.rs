//! The `evidence-writer` binary: parses the arguments, runs the library, prints errors.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = evidence_writer::Cli::parse();
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    let result = evidence_writer::run(cli, &mut stdout, &mut stderr);
    drop(stdout);
    bundle_core::ops::cli::finish(result, &mut stderr)
}
