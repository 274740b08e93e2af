//! `cargo xtask`: the human interface to the toolkit's libraries, and the repository's
//! maintenance tasks (benchmarks). Everything is in the library (`xtask::cli`); the installed
//! twin is `mcp-secrets` (crates/mcp-secrets).

fn main() -> std::process::ExitCode {
    xtask::cli::xtask_main()
}
