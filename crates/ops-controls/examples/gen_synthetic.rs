//! Generates a synthetic repository for the ops-controls benchmark
//! (`scripts/bench-ops-controls.sh`): the compliant fixture's documents and configuration,
//! `--workflows N` workflow files of five jobs each, and the plaintext of an `--keys N`
//! bundle written OUTSIDE the repository, for the real sops to encrypt into
//! `config/secrets.enc.yaml`.
//!
//! Usage: `gen_synthetic <repo-dir> <plaintext-out> [--workflows 200] [--keys 10000]`
#![allow(clippy::print_stderr, clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn workflow(i: usize) -> String {
    let pin = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683";
    let mut text = format!(
        "name: synthetic-{i}\non:\n  push:\n    branches: [main]\n  pull_request:\npermissions:\n  contents: read\njobs:\n"
    );
    for job in 0..4 {
        write!(
            text,
            "  job_{i}_{job}:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: {pin}\n        with:\n          persist-credentials: false\n      - run: |\n          cargo build -p crate-{job}\n          cargo test -p crate-{job}\n"
        )
        .unwrap();
    }
    write!(
        text,
        "  secret_{i}:\n    runs-on: ubuntu-latest\n    env:\n      HAS_SOPS_AGE_KEY: ${{{{ secrets.SOPS_AGE_KEY != '' }}}}\n    steps:\n      - uses: {pin}\n        with:\n          persist-credentials: false\n      - if: env.HAS_SOPS_AGE_KEY == 'true'\n        env:\n          SOPS_AGE_KEY: ${{{{ secrets.SOPS_AGE_KEY }}}}\n        run: |\n          umask 077\n          mkdir -p \"$RUNNER_TEMP/age-{i}\"\n          printf '%s\\n' \"$SOPS_AGE_KEY\" > \"$RUNNER_TEMP/age-{i}/keys.txt\"\n      - if: always()\n        run: rm -rf \"$RUNNER_TEMP/age-{i}\"\n"
    )
    .unwrap();
    text
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str, default: usize| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map_or(default, |v| v.parse().unwrap())
    };
    let (Some(repo), Some(plain)) = (args.first(), args.get(1)) else {
        eprintln!("usage: gen_synthetic <repo-dir> <plaintext-out> [--workflows N] [--keys N]");
        return std::process::ExitCode::from(2);
    };
    let (repo, plain) = (PathBuf::from(repo), PathBuf::from(plain));
    let workflows = value("--workflows", 200);
    let keys = value("--keys", 10_000);
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/repos/compliant");
    test_support::fixture::copy_tree(&fixture, &repo);
    fs_err::remove_file(repo.join("config/secrets.enc.yaml")).unwrap();
    for i in 1..workflows {
        fs_err::write(
            repo.join(format!(".github/workflows/synthetic-{i:04}.yml")),
            workflow(i),
        )
        .unwrap();
    }
    let mut text = String::from(
        "MCP_SECRETS_VERSION: 3\nMCP_ROTATION_REASON: benchmark\nMCP_ROTATED_AT: \"2026-11-29T00:00:00Z\"\nMCP_ROTATION_INCIDENT: none\n",
    );
    for k in 0..keys {
        // Synthetic, obviously fake values: the point is their number, not their content.
        writeln!(
            text,
            "SERVICE_{k:05}_TOKEN: synthetic-value-{k:05}-not-a-secret"
        )
        .unwrap();
    }
    fs_err::write(&plain, text).unwrap();
    eprintln!(
        "synthetic repository {} ({workflows} workflows); plaintext bundle {} ({keys} keys)",
        repo.display(),
        plain.display()
    );
    std::process::ExitCode::SUCCESS
}
