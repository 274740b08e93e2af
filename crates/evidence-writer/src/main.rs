//! The `evidence-writer` binary: parses the arguments, runs the library, prints errors.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = evidence_writer::Cli::parse();
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    match evidence_writer::run(cli, &mut stdout, &mut stderr) {
        Ok(code) => code,
        // A closed pipe on stdout (`| head`) ends the program quietly (as ripgrep does).
        Err(evidence_writer::Error::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(error) => {
            drop(stdout);
            bundle_core::ops::cli::write_error_chain(&mut stderr, &error);
            ExitCode::from(error.exit_code())
        }
    }
}
