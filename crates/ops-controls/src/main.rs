//! The `ops-controls` binary: parses arguments and hands over to [`ops_controls::cli::run`].
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::Parser;
use ops_controls::cli::{Args, run};

fn main() -> ExitCode {
    let args = Args::parse();
    let result = run(
        args,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    bundle_core::ops::cli::finish(result, &mut std::io::stderr().lock())
}
