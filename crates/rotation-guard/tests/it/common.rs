//! Shared helpers of the integration tests: the rotation fixture (from test-support, shared
//! with the unit tests) and a scrubbed command for the binary.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::path::Path;

use test_support::ScrubEnv as _;

pub use test_support::rotation::*;

/// The binary with a scrubbed environment: no sops key variables, no colour or CI
/// settings, and a HOME without a keys.txt.
pub fn rotation_guard(home: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("rotation-guard");
    cmd.scrub_env();
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

/// The status of rule `id` in a `--json` report of `check`.
pub fn rule_status<'a>(json: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    &json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap()["status"]
}

/// Exit status, stdout and stderr in one block (the workspace's snapshot shape).
pub fn transcript(output: &std::process::Output) -> String {
    test_support::Transcript::of(output).to_string()
}
