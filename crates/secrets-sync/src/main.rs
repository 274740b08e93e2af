//! The `secrets-sync` binary: parses arguments and hands over to [`secrets_sync::run`].
//!
//! Debug builds only: `SECRETS_SYNC_TEST_HALT_AT=<step>` stops the process after that
//! publish step (it prints `halted at <step>` on stderr and sleeps until killed), and
//! `SECRETS_SYNC_TEST_PAUSE_MS=<n>` sleeps after every step. The crash tests use them to
//! SIGKILL the process at each point of the protocol; release builds ignore both.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::Parser;
use secrets_sync::{Args, Context};

fn main() -> ExitCode {
    let args = Args::parse();
    #[allow(unused_mut)]
    let mut ctx = Context::from_process();
    #[cfg(debug_assertions)]
    {
        ctx.step_hook = test_hook();
    }
    let result = secrets_sync::run_with(
        &args,
        &ctx,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    bundle_core::ops::cli::finish(result, &mut std::io::stderr().lock())
}

#[cfg(debug_assertions)]
fn test_hook() -> Option<Box<dyn Fn(secrets_sync::publish::Step)>> {
    let halt_at = std::env::var("SECRETS_SYNC_TEST_HALT_AT").ok();
    let pause = std::env::var("SECRETS_SYNC_TEST_PAUSE_MS")
        .ok()
        .and_then(|ms| ms.parse::<u64>().ok());
    if halt_at.is_none() && pause.is_none() {
        return None;
    }
    Some(Box::new(move |step| {
        if let Some(ms) = pause {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
        if halt_at.as_deref() == Some(step.name()) {
            eprintln!("halted at {}", step.name());
            loop {
                std::thread::sleep(std::time::Duration::from_mins(1));
            }
        }
    }))
}
