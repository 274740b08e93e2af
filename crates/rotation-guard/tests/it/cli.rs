//! The command line itself: `--help` texts (each ends with the exit-code table) and usage errors.
#![allow(clippy::unwrap_used)]

use crate::common::*;

#[test]
fn help_texts() {
    let home = tempfile::tempdir().unwrap();
    for sub in [None, Some("check"), Some("scan-leaks"), Some("gitleaks")] {
        let mut cmd = rotation_guard(home.path());
        if let Some(sub) = sub {
            cmd.arg(sub);
        }
        let out = cmd.arg("--help").output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.trim_end()
                .ends_with(rotation_guard::cli::EXIT_CODES.lines().last().unwrap()),
            "{text}"
        );
        insta::assert_snapshot!(format!("help-{}", sub.unwrap_or("main")), text);
    }
}

#[test]
fn usage_errors_exit_2() {
    let home = tempfile::tempdir().unwrap();
    let out = rotation_guard(home.path()).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--base <REF|FILE>"));
    let out = rotation_guard(home.path())
        .arg("frobnicate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
