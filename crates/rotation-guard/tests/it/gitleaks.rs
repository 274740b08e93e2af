//! `rotation-guard gitleaks`: the outcome mapping, tested with a stand-in `gitleaks` script
//! on PATH that records its arguments and answers as `FAKE_GITLEAKS` says (every exit status
//! and report shape, including the broken ones), and then against the real gitleaks 8.30.1
//! (`.ci/run` installs it; missing under `CI=true` fails): our `config/gitleaks.toml` finds a
//! planted token without printing it, and this repository itself scans clean.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::common::*;

const FAKE: &str = r#"#!/bin/sh
printf '%s\n' "$@" > "$FAKE_GITLEAKS_ARGS"
report=""
prev=""
for a in "$@"; do
    if [ "$prev" = "--report-path" ]; then report="$a"; fi
    prev="$a"
done
case "$FAKE_GITLEAKS" in
    clean) echo '[]' > "$report"; exit 0 ;;
    leaks) printf '[{"RuleID":"aws-access-token","File":"%s/app.env","StartLine":3,"Secret":"REDACTED","Match":"REDACTED"}]' "$FAKE_REPO" > "$report"; exit 2 ;;
    error) echo 'fatal: cannot load config' >&2; exit 1 ;;
    leaks-exit-1) printf '[{"RuleID":"x","File":"y","StartLine":1}]' > "$report"; exit 1 ;;
    noreport) exit 0 ;;
    garbage) echo 'not json' > "$report"; exit 0 ;;
esac
exit 99
"#;

struct Fixture {
    repo: tempfile::TempDir,
    bin: tempfile::TempDir,
    home: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let f = Fixture {
        repo: tempfile::tempdir().unwrap(),
        bin: tempfile::tempdir().unwrap(),
        home: tempfile::tempdir().unwrap(),
    };
    fs_err::create_dir_all(f.repo.path().join("config")).unwrap();
    fs_err::write(
        f.repo.path().join("config/gitleaks.toml"),
        "[extend]\nuseDefault = true\n",
    )
    .unwrap();
    let script = f.bin.path().join("gitleaks");
    fs_err::write(&script, FAKE).unwrap();
    fs_err::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    // Another test thread may fork while the script is open for writing; its child holds the
    // write end until it execs, and running the script meanwhile fails with ETXTBSY. Wait
    // until the script runs once.
    for _ in 0..200 {
        match std::process::Command::new(&script)
            .env("FAKE_GITLEAKS_ARGS", "/dev/null")
            .output()
        {
            Err(e) if e.raw_os_error() == Some(26) => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            _ => break,
        }
    }
    f
}

fn run(f: &Fixture, mode: &str, extra: &[&str]) -> std::process::Output {
    let path = format!(
        "{}:{}",
        f.bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    rotation_guard(f.home.path())
        .env("PATH", path)
        .env("FAKE_GITLEAKS", mode)
        .env("FAKE_GITLEAKS_ARGS", f.home.path().join("args.txt"))
        .env("FAKE_REPO", fs_err::canonicalize(f.repo.path()).unwrap())
        .args(["gitleaks", "--repo"])
        .arg(f.repo.path())
        .args(extra)
        .output()
        .unwrap()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn clean_passes_and_passes_the_runbook_arguments() {
    let f = fixture();
    let out = run(&f, "clean", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert_eq!(stdout(&out), "result: gitleaks clean\n");
    let args = fs_err::read_to_string(f.home.path().join("args.txt")).unwrap();
    let args: Vec<&str> = args.lines().collect();
    let repo = fs_err::canonicalize(f.repo.path()).unwrap();
    assert_eq!(args[0], "dir");
    assert_eq!(args[1], repo.to_str().unwrap());
    assert_eq!(
        args[2..4],
        [
            "--config",
            repo.join("config/gitleaks.toml").to_str().unwrap()
        ]
    );
    assert_eq!(args[4..7], ["--redact", "--exit-code", "2"]);
    assert!(
        args.contains(&"--report-format")
            && args.contains(&"json")
            && args.contains(&"--report-path")
    );
}

#[test]
fn leaks_exit_1_and_the_report_is_kept_private() {
    let f = fixture();
    let report: PathBuf = f.home.path().join("gitleaks-post-rotation.json");
    let out = run(&f, "leaks", &["--report", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "LEAK app.env:3: gitleaks rule aws-access-token\nresult: gitleaks 1 leak(s); report written to {}\n",
            report.display()
        )
    );
    let mode = fs_err::metadata(&report).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(
        fs_err::read_to_string(&report)
            .unwrap()
            .contains("aws-access-token")
    );
    let json = run(&f, "leaks", &["--json"]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        (value["schema_version"].as_u64(), value["outcome"].as_str()),
        (Some(1), Some("leaks"))
    );
}

#[test]
fn errors_are_never_taken_for_a_verdict() {
    let f = fixture();
    for (mode, message) in [
        (
            "error",
            "error: gitleaks failed: exit status 1: a gitleaks error (leaks are signalled with exit status 2) (last log line: fatal: cannot load config)",
        ),
        (
            "leaks-exit-1",
            "error: gitleaks failed: exit status 1: a gitleaks error (leaks are signalled with exit status 2)",
        ),
        ("noreport", "error: gitleaks failed: it wrote no report"),
        (
            "garbage",
            "error: gitleaks failed: its report is not the expected JSON",
        ),
        (
            "unknown",
            "error: gitleaks failed: unexpected exit status 99",
        ),
    ] {
        let report = f.home.path().join(format!("{mode}.json"));
        let out = run(&f, mode, &["--report", report.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{mode}: {}", transcript(&out));
        assert!(
            stderr(&out).starts_with(message),
            "{mode}: {}",
            stderr(&out)
        );
        assert_eq!(stdout(&out), "", "{mode}");
        assert!(
            !Path::new(&report).exists(),
            "{mode}: no report is kept without a verdict"
        );
    }
}

#[test]
fn a_missing_gitleaks_or_config_is_a_clear_error() {
    let f = fixture();
    let out = rotation_guard(f.home.path())
        .env("PATH", "/nonexistent")
        .args(["gitleaks", "--repo"])
        .arg(f.repo.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: gitleaks not found: no `gitleaks` on PATH\nhint: install gitleaks (a release binary from the gitleaks project) and put it on PATH, or pass --gitleaks PATH\n"
    );
    fs_err::remove_file(f.repo.path().join("config/gitleaks.toml")).unwrap();
    let out = run(&f, "clean", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: gitleaks configuration "),
        "{}",
        stderr(&out)
    );
    let _ = CANARIES;
}

/// The real gitleaks (8.30.1 in CI), with the gitleaks binary's directory put first on PATH.
fn run_real(gitleaks: &Path, repo: &Path, home: &Path, extra: &[&str]) -> std::process::Output {
    let dir = gitleaks.parent().unwrap();
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    rotation_guard(home)
        .env("PATH", path)
        .args(["gitleaks", "--repo"])
        .arg(repo)
        .args(extra)
        .output()
        .unwrap()
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_real_gitleaks_finds_a_planted_token_with_our_config_and_prints_no_secret() {
    let Some(gitleaks) = test_support::gitleaks() else {
        return;
    };
    let repo = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    fs_err::create_dir_all(repo.path().join("config")).unwrap();
    fs_err::copy(
        workspace_root().join("config/gitleaks.toml"),
        repo.path().join("config/gitleaks.toml"),
    )
    .unwrap();
    // An AWS access key id shape (AKIA + 16), made up for this test.
    let token = ["AKIA", "QYLPMN5HHHFPZAM2"].concat();
    fs_err::write(
        repo.path().join("app.env"),
        format!("A=1\nAWS_KEY={token}\n"),
    )
    .unwrap();
    let report = home.path().join("gitleaks-post-rotation.json");
    let out = run_real(
        &gitleaks,
        repo.path(),
        home.path(),
        &["--report", report.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert!(
        stdout(&out).starts_with("LEAK app.env:2: gitleaks rule aws-access-token\n"),
        "{}",
        transcript(&out)
    );
    for text in [stdout(&out), stderr(&out)] {
        assert!(!text.contains(&token), "the token was printed:\n{text}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json[0]["RuleID"], "aws-access-token");

    fs_err::remove_file(repo.path().join("app.env")).unwrap();
    let out = run_real(&gitleaks, repo.path(), home.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert_eq!(stdout(&out), "result: gitleaks clean\n");
}

/// The runbook's `security` job runs gitleaks with `config/gitleaks.toml` on this very
/// repository; it must pass here too (test keys carry `gitleaks:allow` where they stand).
#[test]
fn this_repository_is_clean_under_the_real_gitleaks() {
    let Some(gitleaks) = test_support::gitleaks() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let out = run_real(&gitleaks, &workspace_root(), home.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
}
