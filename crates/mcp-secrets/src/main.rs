//! `mcp-secrets`: the toolkit's orchestrator for repositories that install it instead of
//! vendoring this workspace (`cargo install --locked --path crates/mcp-secrets`). It runs the
//! same library code as `cargo xtask` (`init`, `rotate`, `audit`, `demo`, `bundle`), with the
//! same flags, output and exit codes; only the program name differs.

fn main() -> std::process::ExitCode {
    xtask::cli::mcp_secrets_main()
}
