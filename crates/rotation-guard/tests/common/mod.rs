//! Shared helpers of the integration tests: the fixture builder of the unit tests (included
//! by path, it only uses public APIs) and a scrubbed command for the binary.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

#[path = "../../src/testkit.rs"]
mod testkit;

use std::path::Path;

pub use testkit::*;

/// The binary with a scrubbed environment: no sops key variables, no colour or CI
/// settings, and a HOME without a keys.txt.
pub fn rotation_guard(home: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("rotation-guard");
    for var in [
        "SOPS_AGE_KEY",
        "SOPS_AGE_KEY_FILE",
        "SOPS_AGE_KEY_CMD",
        "SOPS_AGE_RECIPIENTS",
        "NO_COLOR",
        "CI",
        "XDG_CONFIG_HOME",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home);
    cmd
}

/// Panics when any canary value (or its base64) appears in the output.
pub fn assert_no_canary(output: &std::process::Output) {
    use base64::Engine as _;
    for bytes in [&output.stdout, &output.stderr] {
        let text = String::from_utf8_lossy(bytes);
        for canary in CANARIES {
            assert!(
                !text.contains(canary),
                "a secret value was printed:\n{text}"
            );
            let b64 = base64::engine::general_purpose::STANDARD.encode(canary);
            assert!(
                !text.contains(&b64[..12]),
                "a secret value was printed in base64:\n{text}"
            );
        }
    }
}

/// Exit code, stdout and stderr in one block for snapshots.
pub fn transcript(output: &std::process::Output) -> String {
    format!(
        "exit: {}\n----- stdout -----\n{}----- stderr -----\n{}",
        output
            .status
            .code()
            .map_or_else(|| "signal".to_owned(), |c| c.to_string()),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
