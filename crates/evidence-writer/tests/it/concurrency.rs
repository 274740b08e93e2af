//! Issue 11: one writer at a time, and a rerun repairs. Concurrent writers all land (none is
//! lost while `verify` says ok), a writer that cannot get the lock in time says so and writes
//! nothing, markdown left behind by a killed run is repaired by the rerun or by `render`, and
//! `summary` refuses a damaged log instead of reporting "0 executions".
#![allow(clippy::unwrap_used)]

use std::process::{Child, Command, Stdio};

use crate::common::{DIR, Repo};

fn ew(repo: &Repo) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("evidence-writer"));
    cmd.env_clear().current_dir(repo.root());
    cmd
}

/// A comms update of incident `INC-<minute>-<n>` at 10:`<minute>` (writers racing in one
/// minute each record their own incident, so none is a rerun of another).
fn comms(repo: &Repo, minute: usize, n: usize) -> Child {
    ew(repo)
        .args(["--at", &format!("2025-03-03T10:{minute:02}:00Z"), "comms"])
        .args(["--incident", &format!("INC-{minute}-{n}")])
        .args(["--message", &format!("update {n}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn lines_of_log(repo: &Repo) -> usize {
    repo.evidence_file("executions.jsonl").lines().count()
}

#[test]
fn concurrent_writers_all_land_one_after_the_other() {
    let repo = Repo::new();
    repo.ok(&["init"]);
    for burst in 0..3 {
        let children: Vec<Child> = (0..6).map(|i| comms(&repo, burst, i)).collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{out:?}");
        }
    }
    assert_eq!(
        lines_of_log(&repo),
        18,
        "every writer's entry is in the log"
    );
    repo.ok(&["--at", "2025-03-03T10:05:00Z", "verify"]);
}

#[test]
fn a_writer_that_cannot_get_the_lock_writes_nothing_and_exits_1() {
    let repo = Repo::new();
    repo.ok(&["init"]);
    let before = repo.picture();
    // Another writer, as far as flock is concerned.
    let held = fs_err::File::open(repo.evidence()).unwrap();
    held.file().lock().unwrap();
    let out = ew(&repo)
        .env("EVIDENCE_WRITER_LOCK_TIMEOUT_MS", "150")
        .args(["--at", "2025-03-03T10:00:00Z", "comms"])
        .args(["--incident", "INC-7", "--message", "update"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: another evidence-writer is writing ")
            && stderr.contains("nothing was written\nhint: run the command again"),
        "{stderr}"
    );
    assert_eq!(repo.picture(), before);
    drop(held);
    assert_eq!(comms(&repo, 0, 0).wait().unwrap().code(), Some(0));
}

#[test]
fn a_rerun_repairs_markdown_left_behind_by_a_killed_record() {
    let repo = Repo::new();
    repo.ok(&["init"]);
    let old_readme = repo.evidence_file("README.md");
    let old_activation = repo.evidence_file("runbooks-activation.md");
    let args = [
        "--at",
        "2025-03-03T10:00:00Z",
        "comms",
        "--incident",
        "INC-7",
        "--message",
        "update",
    ];
    repo.ok(&args);
    // A run killed after the log's rename and before the markdown's.
    repo.write(&format!("{DIR}/README.md"), &old_readme);
    repo.write(&format!("{DIR}/runbooks-activation.md"), &old_activation);
    let verify = ["--at", "2025-03-03T10:05:00Z", "verify"];
    assert_eq!(repo.run(&verify).code, 1, "the drift is visible");
    let rerun = repo.ok(&args);
    assert!(
        rerun.stdout.contains("already recorded"),
        "{}",
        rerun.stdout
    );
    repo.ok(&verify);
    assert_eq!(lines_of_log(&repo), 1);
}

#[test]
fn render_rebuilds_the_markdown_from_the_log_and_is_idempotent() {
    let repo = Repo::new();
    repo.record_sequence();
    let readme = repo.evidence_file("README.md");
    let activation = repo.evidence_file("runbooks-activation.md");
    repo.write(
        &format!("{DIR}/runbooks-activation.md"),
        "# hand-edited away\n",
    );
    assert_eq!(repo.run(&["verify"]).code, 1);
    let out = repo.ok(&["render"]);
    assert!(
        out.stdout.starts_with("rendered ") && out.stdout.contains("runbooks-activation.md"),
        "{}",
        out.stdout
    );
    repo.ok(&["verify"]);
    assert_eq!(repo.evidence_file("README.md"), readme);
    assert!(
        repo.evidence_file("runbooks-activation.md").contains(
            activation
                .lines()
                .find(|l| l.contains("evidence-writer:begin"))
                .unwrap()
        )
    );
    let again = repo.ok(&["render"]);
    assert_eq!(again.stdout, "the markdown already matches the log\n");
}

#[test]
fn summary_of_a_damaged_log_is_an_error_not_zero_executions() {
    let repo = Repo::new();
    repo.record_sequence();
    let log = repo.evidence_file("executions.jsonl");
    let damaged = log.replacen("\"kind\":", "\"kind\"", 1);
    repo.write(&format!("{DIR}/executions.jsonl"), &damaged);
    let out = repo.run(&["summary", "--since", "2025-01-01"]);
    assert_eq!(out.code, 1, "{}", out.display(repo.root()));
    assert!(!out.stdout.contains("0 executions"), "{}", out.stdout);
}

/// Issue 12: the log only moves forward; a back-dated execution is refused, nothing written.
#[test]
fn an_execution_before_the_last_entry_is_refused() {
    let repo = Repo::new();
    repo.ok(&["init"]);
    repo.ok(&[
        "--at",
        "2025-03-03T10:00:00Z",
        "comms",
        "--incident",
        "INC-7",
        "--message",
        "update",
    ]);
    let before = repo.picture();
    let out = repo.run(&[
        "--at",
        "2025-03-01T09:00:00Z",
        "record",
        "--kind",
        "plan",
        "--reason",
        "rotação trimestral",
        "--responsible",
        "Ana Souza",
        "--version-from",
        "4",
        "--version-to",
        "5",
        "--window-start",
        "2025-03-03T10:01:00Z",
    ]);
    assert_eq!(out.code, 2, "{}", out.display(repo.root()));
    assert!(
        out.stderr
            .contains("is before the last entry's (`comms-INC-7-20250303T100000Z`"),
        "{}",
        out.stderr
    );
    assert_eq!(repo.picture(), before);
}
