//! Crash tests of `cargo xtask rotate` (issue 11): SIGKILL and SIGTERM at random moments
//! across the steps, then (when a journal was left) `rotate --recover`, and each time the
//! work tree is byte-identical to before the rotation or the rotation completed entirely.
//! Also: a journal refuses every other run, SIGTERM rolls back at the next step boundary,
//! and the new private key never reaches a temporary file.
//!
//! A slow `gitleaks` stand-in on `PATH` widens the window of step 4. `XTASK_KILL_LONG=1`
//! runs the long form (120 kills instead of 10); `XTASK_KILL_SEED=N` replays a sequence.
// The kill loop prints its seed and counts for the person reading the test log.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use bundle_core::ops::evidence::DEFAULT_DIR;
use test_support::git;

use crate::rotate_cli::{head_branch, sandbox, tree};

/// A gitleaks that finds nothing, slowly; it can also look for a private key under
/// `$TMPDIR` and send a signal (once or twice) to the rotation that runs it.
const GITLEAKS: &str = r#"#!/bin/sh
out=""
while [ $# -gt 0 ]; do
  if [ "$1" = "--report-path" ]; then out="$2"; fi
  shift
done
if [ -n "$STANDIN_SCAN" ]; then
  grep -rlE "AGE-SECRET-KEY-1[0-9A-Z]{58}" "$TMPDIR" >> "$STANDIN_SCAN" 2>/dev/null
  echo scanned >> "$STANDIN_SCAN.done"
fi
if [ -n "$STANDIN_SIGNAL" ]; then kill -"$STANDIN_SIGNAL" "$PPID"; fi
if [ -n "$STANDIN_TWICE" ]; then sleep 0.2; kill -"$STANDIN_SIGNAL" "$PPID"; fi
sleep "${STANDIN_SLEEP:-0}"
echo '[]' > "$out"
"#;

/// The sandbox plus the stand-in's directory and a private `TMPDIR`.
struct Lab {
    tmp: tempfile::TempDir,
    repo: PathBuf,
    keys: PathBuf,
    bin: PathBuf,
    tmpdir: PathBuf,
    branch: String,
    base: String,
}

impl Lab {
    fn new() -> Self {
        let (tmp, repo, keys) = sandbox();
        let bin = tmp.path().join("bin");
        let tmpdir = tmp.path().join("tmp");
        fs_err::create_dir_all(&bin).unwrap();
        fs_err::create_dir_all(&tmpdir).unwrap();
        let gitleaks = bin.join("gitleaks");
        fs_err::write(&gitleaks, GITLEAKS).unwrap();
        fs_err::set_permissions(&gitleaks, std::fs::Permissions::from_mode(0o755)).unwrap();
        let branch = head_branch(&repo);
        let base = rev(&repo, "HEAD");
        Self {
            tmp,
            repo,
            keys,
            bin,
            tmpdir,
            branch,
            base,
        }
    }

    /// The binary in a scrubbed environment, the stand-in first on `PATH`.
    fn xtask(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![self.bin.clone()];
        dirs.extend(std::env::split_paths(&path));
        cmd.current_dir(self.tmp.path())
            .env_clear()
            .env("PATH", std::env::join_paths(dirs).unwrap())
            .env("HOME", self.tmp.path())
            .env("TMPDIR", &self.tmpdir)
            .stdin(Stdio::null());
        cmd
    }

    /// A scheduled rotation delivering its key to `key_out`.
    fn rotate(&self, key_out: &Path, commit: bool) -> Command {
        let mut cmd = self.xtask();
        cmd.env("SOPS_AGE_KEY_FILE", self.keys.join("equipe-v3.txt"))
            .arg("rotate")
            .arg("--repo")
            .arg(&self.repo)
            .args(["--reason", "rotação de teste", "--responsible", "Ana Souza"])
            .arg("--no-window-check")
            .arg("--key-out")
            .arg(key_out);
        if commit {
            cmd.arg("--commit");
        }
        cmd
    }

    fn recover(&self) -> Output {
        self.xtask()
            .args(["rotate", "--recover", "--repo"])
            .arg(&self.repo)
            .output()
            .unwrap()
    }

    fn journal(&self) -> PathBuf {
        self.repo.join(".git/mcp-rotation.journal")
    }

    /// Back to the sandbox as built, after a rotation that completed.
    fn reset(&self) {
        git(&self.repo, &["reset", "-q", "--hard", &self.base]);
        git(&self.repo, &["switch", "-q", "-f", &self.branch]);
        git(&self.repo, &["reset", "-q", "--hard", &self.base]);
        git(&self.repo, &["clean", "-q", "-fd"]);
        let _ = Command::new("git")
            .arg("-C")
            .arg(&self.repo)
            .args(["branch", "-q", "-D", "rotation/v4"])
            .output();
    }

    /// The rotation's temporary directories left in `TMPDIR`.
    fn work_dirs(&self) -> Vec<String> {
        fs_err::read_dir(&self.tmpdir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("xtask-rotate-"))
            .collect()
    }
}

fn rev(repo: &Path, what: &str) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["rev-parse", what])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The files issue 11 names, each exactly as before.
const WATCHED: [&str; 5] = [
    "config/secrets.enc.yaml",
    ".sops.yaml",
    "executions.jsonl",
    "README.md",
    "runbooks-activation.md",
];

fn watched(path: &Path) -> PathBuf {
    if WATCHED[..2].contains(&path.to_str().unwrap()) {
        path.to_owned()
    } else {
        Path::new(DEFAULT_DIR).join(path)
    }
}

/// The tree is the one before, byte for byte, or the rotation to v4 is all there: the
/// bundle at v4, `.sops.yaml` and every evidence file changed, the report attached.
#[track_caller]
fn assert_before_or_complete(
    repo: &Path,
    before: &BTreeMap<PathBuf, Vec<u8>>,
    now: &BTreeMap<PathBuf, Vec<u8>>,
    context: &str,
) -> bool {
    if now == before {
        return false;
    }
    let text = |p: &str| String::from_utf8_lossy(&now[&watched(Path::new(p))]).into_owned();
    assert!(
        text("config/secrets.enc.yaml").contains("MCP_SECRETS_VERSION: 4"),
        "{context}: changed but the bundle is not v4; differences: {:?}",
        differences(before, now)
    );
    for name in WATCHED {
        let path = watched(Path::new(name));
        assert_ne!(
            before.get(&path),
            now.get(&path),
            "{context}: {name} unchanged in a changed tree"
        );
    }
    assert!(
        text("executions.jsonl").contains("scheduled-v4"),
        "{context}"
    );
    let report = Path::new(DEFAULT_DIR).join("artifacts/scheduled-v4/ops-controls-report.json");
    assert!(now.contains_key(&report), "{context}: no attached report");
    let verified =
        evidence_writer::verify(&repo.join(DEFAULT_DIR), bundle_core::time::Timestamp::now())
            .unwrap();
    assert!(
        verified.is_ok(),
        "{context}: evidence-writer verify: {:?}",
        verified.problems
    );
    for path in differences(before, now) {
        // The latest reports are kept at the top of the evidence directory (issue 12).
        let kept = ["ops-controls-report.json", "gitleaks-post-rotation.json"]
            .iter()
            .any(|k| *path == Path::new(DEFAULT_DIR).join(k));
        let allowed = WATCHED.iter().any(|w| watched(Path::new(w)) == *path)
            || kept
            || path.starts_with(Path::new(DEFAULT_DIR).join("artifacts/scheduled-v4"));
        assert!(
            allowed,
            "{context}: unexpected change to {}",
            path.display()
        );
    }
    true
}

/// The paths whose bytes differ between two trees (a readable failure, not two byte dumps).
fn differences(
    before: &BTreeMap<PathBuf, Vec<u8>>,
    now: &BTreeMap<PathBuf, Vec<u8>>,
) -> Vec<PathBuf> {
    now.keys()
        .chain(before.keys())
        .filter(|p| before.get(*p) != now.get(*p))
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The files under `dir` holding an age identity or one of the sandbox's secret values
/// (the demo bundle's values all start with one of these).
fn secrets_under(dir: &Path) -> Vec<PathBuf> {
    const MARKS: [&[u8]; 3] = [b"AGE-SECRET-KEY-1", b"demo-token-", b"demo-senha-"];
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in fs_err::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = fs_err::read(&path)
                && MARKS
                    .iter()
                    .any(|m| bytes.windows(m.len()).any(|w| w == *m))
            {
                found.push(path);
            }
        }
    }
    found
}

/// A small xorshift, seeded from the clock unless `XTASK_KILL_SEED` is set.
struct Rng(u64);

impl Rng {
    fn new() -> Self {
        let seed = std::env::var("XTASK_KILL_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("kill loop seed: XTASK_KILL_SEED={seed}");
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Waits until no live process is left in the process group `group` (zombies do not count:
/// the reaper of orphans here may never collect them).
fn wait_for_group(group: u32) {
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        let alive = fs_err::read_dir("/proc").unwrap().flatten().any(|entry| {
            let Ok(stat) = fs_err::read_to_string(entry.path().join("stat")) else {
                return false;
            };
            // After the command name in parentheses: state, ppid, pgrp, ...
            let Some((_, rest)) = stat.rsplit_once(')') else {
                return false;
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            fields.len() > 2 && fields[2] == group.to_string() && fields[0] != "Z"
        });
        if !alive {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "process group {group} never ended"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `kill -SIGNAL target`; the process may have ended in the meantime.
fn send(target: &str, signal: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), "--", target])
        .status()
        .unwrap();
}

/// What the kill loop saw.
#[derive(Default)]
struct Tally {
    killed: u64,
    terminated: u64,
    recovered: u64,
    completed: u64,
    untouched: u64,
}

impl Tally {
    /// One rotation signalled after a random delay up to `window`, then checked (and
    /// recovered when it left a journal) and the sandbox put back for the next one.
    fn one_run(
        &mut self,
        lab: &Lab,
        before: &BTreeMap<PathBuf, Vec<u8>>,
        rng: &mut Rng,
        k: u64,
        window: Duration,
    ) {
        let commit = k % 3 == 2;
        let mut child = lab
            .rotate(&lab.keys.join(format!("k{k}.txt")), commit)
            .env("STANDIN_SLEEP", STANDIN_SLEEP)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap();
        let group = child.id();
        let permille = u32::try_from(rng.next() % 1000).unwrap();
        let delay = window.mul_f64(f64::from(permille) / 1000.0);
        std::thread::sleep(delay);
        let term = rng.next().is_multiple_of(2);
        let alive = child.try_wait().unwrap().is_none();
        if alive {
            if term {
                send(&child.id().to_string(), "TERM");
                self.terminated += 1;
            } else {
                child.kill().unwrap();
                self.killed += 1;
            }
        }
        let out = child.wait_with_output().unwrap();
        // A child the rotation started (git commit, the stand-in) outlives a SIGKILL of the
        // rotation alone: wait until it ended, as a person would before `--recover`.
        wait_for_group(group);
        let how = match (alive, term) {
            (false, _) => "finished",
            (true, true) => "SIGTERM",
            (true, false) => "SIGKILL",
        };
        let context = format!(
            "iteration {k} ({how}, {delay:?}, commit {commit}, status {:?})",
            out.status
        );
        if alive && term && out.status.code() != Some(0) {
            // SIGTERM: rolled back at the next step boundary, the journal removed.
            assert!(
                !lab.journal().exists(),
                "{context}: SIGTERM left a journal\n{}",
                stderr(&out)
            );
            assert_eq!(
                differences(before, &tree(&lab.repo)),
                Vec::<PathBuf>::new(),
                "{context}: {}",
                stderr(&out)
            );
        }
        if lab.journal().exists() {
            let rec = lab.recover();
            assert_eq!(rec.status.code(), Some(0), "{context}: {}", stderr(&rec));
            assert!(stderr(&rec).contains("voltaram aos bytes anteriores"));
            assert!(!lab.journal().exists(), "{context}");
            self.recovered += 1;
        }
        assert_eq!(lab.recover().status.code(), Some(0), "{context}");
        if assert_before_or_complete(&lab.repo, before, &tree(&lab.repo), &context) {
            self.completed += 1;
            if commit {
                assert_eq!(head_branch(&lab.repo), "rotation/v4", "{context}");
            }
            lab.reset();
        } else {
            self.untouched += 1;
            assert_eq!(head_branch(&lab.repo), lab.branch, "{context}");
            let exists = Command::new("git")
                .arg("-C")
                .arg(&lab.repo)
                .args(["rev-parse", "--verify", "--quiet", "refs/heads/rotation/v4"])
                .output()
                .unwrap()
                .status
                .success();
            assert!(!exists, "{context}: the rotation's branch is left");
        }
        assert_eq!(rev(&lab.repo, "HEAD"), lab.base, "{context}");
        // No journal temp file of a kill while the journal was written is left in `.git`.
        let git_temps: Vec<String> = fs_err::read_dir(lab.repo.join(".git"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(bundle_core::fsio::TEMP_PREFIX))
            .collect();
        assert!(git_temps.is_empty(), "{context}: {git_temps:?}");
        // `--recover` removed the directory of the run just killed, and with it the
        // validation's plaintext; the new key never was under TMPDIR.
        assert_eq!(lab.work_dirs(), Vec::<String>::new(), "{context}");
        assert_eq!(
            secrets_under(&lab.tmpdir),
            Vec::<PathBuf>::new(),
            "{context}"
        );
    }
}

/// How long the stand-in gitleaks takes, in seconds: it widens step 4.
const STANDIN_SLEEP: &str = "0.4";

#[test]
fn issue_11_kill_loop_leaves_the_tree_as_before_or_the_rotation_complete() {
    let lab = Lab::new();
    let before = tree(&lab.repo);
    let long = std::env::var_os("XTASK_KILL_LONG").is_some();
    let iterations: u64 = if long { 120 } else { 10 };

    // One full run, timed; its key is the only private key written.
    let start = Instant::now();
    let out = lab
        .rotate(&lab.keys.join("timed.txt"), false)
        .env("STANDIN_SLEEP", STANDIN_SLEEP)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let runtime = start.elapsed();
    assert!(assert_before_or_complete(
        &lab.repo,
        &before,
        &tree(&lab.repo),
        "timed run"
    ));
    lab.reset();

    let mut rng = Rng::new();
    let mut tally = Tally::default();
    for k in 0..iterations {
        tally.one_run(&lab, &before, &mut rng, k, runtime.mul_f64(1.1));
    }
    let Tally {
        killed,
        terminated,
        recovered,
        completed,
        untouched,
    } = tally;
    eprintln!(
        "kill loop: {iterations} runs, {killed} SIGKILL, {terminated} SIGTERM, {recovered} recovered, {completed} completed, {untouched} left as before (runtime {runtime:?})"
    );
    assert!(
        killed + terminated >= iterations / 4,
        "only {} of {iterations} runs were signalled: the timing is off",
        killed + terminated
    );
    // A last run completes and sweeps what the killed ones left in TMPDIR.
    let out = lab
        .rotate(&lab.keys.join("last.txt"), false)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(lab.work_dirs(), Vec::<String>::new());
}

#[test]
fn issue_11_sigterm_and_sigint_roll_back_at_the_next_step_and_the_key_stays_in_memory() {
    for signal in ["TERM", "INT"] {
        let lab = Lab::new();
        let before = tree(&lab.repo);
        let scan = lab.tmp.path().join("scan.txt");
        let key_out = lab.keys.join("v4.txt");
        // The stand-in runs in step 4: it looks for a private key under TMPDIR, then sends
        // the signal; the rotation stops before step 5.
        let out = lab
            .rotate(&key_out, false)
            .env("STANDIN_SCAN", &scan)
            .env("STANDIN_SIGNAL", signal)
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "SIG{signal}: {err}");
        assert!(
            err.contains("a rotação parou em [5/6] Sincronizar auditoria"),
            "{err}"
        );
        assert!(err.contains("interrupted by a signal"), "{err}");
        assert!(err.contains("NÃO foi usada"), "{err}");
        assert_eq!(
            differences(&before, &tree(&lab.repo)),
            Vec::<PathBuf>::new()
        );
        assert!(!lab.journal().exists());
        assert!(key_out.exists(), "the key was delivered before the signal");
        assert!(
            lab.tmp.path().join("scan.txt.done").exists(),
            "the stand-in did not run"
        );
        assert_eq!(
            fs_err::read_to_string(&scan).unwrap_or_default(),
            "",
            "a private key was written under TMPDIR"
        );
        assert_eq!(lab.work_dirs(), Vec::<String>::new());
    }
}

#[test]
fn issue_11_a_second_signal_exits_130_at_once_and_leaves_the_journal_for_recover() {
    let lab = Lab::new();
    let before = tree(&lab.repo);
    let out = lab
        .rotate(&lab.keys.join("v4.txt"), false)
        .env("STANDIN_SIGNAL", "INT")
        .env("STANDIN_TWICE", "1")
        .env("STANDIN_SLEEP", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(lab.journal().exists());
    let out = lab.recover();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        differences(&before, &tree(&lab.repo)),
        Vec::<PathBuf>::new()
    );
}

#[test]
fn issue_11_a_journal_refuses_rotate_and_audit_until_recover() {
    let lab = Lab::new();
    let before = tree(&lab.repo);
    // Nothing to recover: exit 0, said so.
    let out = lab.recover();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("nada a recuperar"),
        "{}",
        stderr(&out)
    );

    // A rotation killed in step 4 (the stand-in sleeps; the bundle is already v4).
    let key_out = lab.keys.join("v4.txt");
    let mut child = lab
        .rotate(&key_out, false)
        .env("STANDIN_SLEEP", "30")
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_mins(2);
    while !fs_err::read_to_string(lab.journal()).is_ok_and(|j| j.contains("\"validate\"")) {
        assert!(Instant::now() < deadline, "step 4 never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The whole group, as a terminal or a service manager does: the stand-in dies too.
    send(&format!("-{}", child.id()), "KILL");
    child.wait().unwrap();
    assert!(
        !differences(&before, &tree(&lab.repo)).is_empty(),
        "the kill left the bundle changed"
    );
    let mode = fs_err::metadata(lab.journal())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    assert!(
        !fs_err::read_to_string(lab.journal())
            .unwrap()
            .contains("AGE-SECRET-KEY-"),
        "the journal holds a private key"
    );

    for args in [
        vec!["rotate", "--dry-run", "--reason", "r", "--responsible", "A"],
        vec!["audit", "--responsible", "A"],
    ] {
        let out = lab
            .xtask()
            .env("SOPS_AGE_KEY_FILE", lab.keys.join("equipe-v3.txt"))
            .args(&args)
            .arg("--repo")
            .arg(&lab.repo)
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("cargo xtask rotate --recover"), "{err}");
    }
    let out = lab
        .rotate(&lab.keys.join("other.txt"), false)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!lab.keys.join("other.txt").exists());

    let out = lab.recover();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("no passo 4 (validate)"), "{err}");
    assert!(err.contains("NÃO foi usada"), "{err}");
    assert!(err.contains(&key_out.display().to_string()), "{err}");
    assert_eq!(
        differences(&before, &tree(&lab.repo)),
        Vec::<PathBuf>::new()
    );
    assert!(!lab.journal().exists());
    // `--recover` removed the killed run's temporary directory. A leftover of a killed
    // run (its pid gone) is also removed by the next rotation's start.
    assert_eq!(lab.work_dirs(), Vec::<String>::new());
    let mut gone = Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    let leftover = lab.tmpdir.join(format!("xtask-rotate-{dead}-k1LL3d"));
    fs_err::create_dir_all(leftover.join("mcp")).unwrap();
    fs_err::write(leftover.join("mcp/.env"), "TOKEN=demo-token-left\n").unwrap();
    assert_eq!(lab.work_dirs().len(), 1);
    let out = lab
        .rotate(&lab.keys.join("v4b.txt"), false)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(lab.work_dirs(), Vec::<String>::new());
}

#[test]
fn issue_11_with_sync_the_journal_has_no_plaintext_and_recover_leaves_mcp_home_alone() {
    let lab = Lab::new();
    let before = tree(&lab.repo);
    let mcp = lab.tmp.path().join(".mcp");
    fs_err::create_dir_all(&mcp).unwrap();
    fs_err::set_permissions(&mcp, std::fs::Permissions::from_mode(0o700)).unwrap();
    fs_err::write(mcp.join(".env"), "OLD=plaintext-before\n").unwrap();
    fs_err::set_permissions(mcp.join(".env"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut child = lab
        .rotate(&lab.keys.join("v4.txt"), false)
        .arg("--sync")
        .env("STANDIN_SLEEP", "30")
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    // Killed once step 4 published into ~/.mcp (the stand-in then sleeps).
    let deadline = Instant::now() + Duration::from_mins(2);
    while fs_err::read_to_string(mcp.join(".env")).is_ok_and(|e| e.starts_with("OLD=")) {
        assert!(Instant::now() < deadline, "step 4 never synced");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(200));
    send(&format!("-{}", child.id()), "KILL");
    child.wait().unwrap();
    let synced = fs_err::read_to_string(mcp.join(".env")).unwrap();
    assert!(synced.contains("MCP_SECRETS_VERSION=4"), "{synced}");
    let journal = fs_err::read_to_string(lab.journal()).unwrap();
    assert!(journal.contains(".mcp/.env"), "the journal names the file");
    for plaintext in ["OLD=plaintext-before", "T0xEPXBsYWludGV4dC1iZWZvcmUK"] {
        assert!(
            !journal.contains(plaintext),
            "the journal holds ~/.mcp content"
        );
    }
    let out = lab.recover();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("não foi restaurado"), "{err}");
    assert!(err.contains("secrets-sync"), "{err}");
    assert_eq!(
        differences(&before, &tree(&lab.repo)),
        Vec::<PathBuf>::new()
    );
    assert_eq!(fs_err::read_to_string(mcp.join(".env")).unwrap(), synced);
}

/// Whether `refs/heads/<branch>` exists in `repo`.
fn has_branch(repo: &Path, branch: &str) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(repo)
        .args([
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/heads/{branch}"),
        ])
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn issue_11_killed_during_the_commit_recover_restores_branch_and_files() {
    // The pre-commit hook is slow; the rotation is killed while it runs. Then the commit
    // either lands on rotation/v4 (hook exit 0) or not, leaving a staged index (exit 1).
    for hook_exit in [0, 1] {
        let lab = Lab::new();
        let before = tree(&lab.repo);
        let hook = lab.repo.join(".git/hooks/pre-commit");
        fs_err::create_dir_all(hook.parent().unwrap()).unwrap();
        fs_err::write(&hook, format!("#!/bin/sh\nsleep 1\nexit {hook_exit}\n")).unwrap();
        fs_err::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut child = lab
            .rotate(&lab.keys.join("v4.txt"), true)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_mins(2);
        while !has_branch(&lab.repo, "rotation/v4") {
            assert!(Instant::now() < deadline, "step 7 never started");
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        // Let the orphaned `git commit` finish (or fail) on its own.
        let lock = lab.repo.join(".git/index.lock");
        std::thread::sleep(Duration::from_millis(1500));
        while lock.exists() {
            assert!(Instant::now() < deadline, "git commit never ended");
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(
            head_branch(&lab.repo),
            "rotation/v4",
            "hook exit {hook_exit}"
        );
        assert!(lab.journal().exists());

        let out = lab.recover();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "hook exit {hook_exit}: {err}");
        assert!(err.contains("branch rotation/v4 removido"), "{err}");
        assert_eq!(head_branch(&lab.repo), lab.branch);
        assert!(!has_branch(&lab.repo, "rotation/v4"));
        assert_eq!(rev(&lab.repo, "HEAD"), lab.base);
        assert_eq!(
            differences(&before, &tree(&lab.repo)),
            Vec::<PathBuf>::new(),
            "hook exit {hook_exit}"
        );
        assert!(!lab.repo.join(".git/rotation-v4-PR.md").exists());
        let status = Command::new("git")
            .arg("-C")
            .arg(&lab.repo)
            .args(["status", "--porcelain"])
            .output()
            .unwrap();
        assert!(
            status.stdout.is_empty(),
            "hook exit {hook_exit}: index or tree left dirty"
        );
        assert!(!lab.journal().exists());
    }
}

#[test]
fn issue_11_a_killed_recover_is_finished_by_the_next_one() {
    let lab = Lab::new();
    let before = tree(&lab.repo);
    let mut rng = Rng::new();
    // How long one whole recovery takes, measured on the first interrupted rotation.
    let mut window: Option<Duration> = None;
    let iterations = if std::env::var_os("XTASK_KILL_LONG").is_some() {
        60
    } else {
        12
    };
    let mut killed = 0;
    for k in 0..iterations {
        // The stand-in SIGKILLs the rotation in step 4: bundle and `.sops.yaml` are new,
        // the journal holds the old bytes.
        let out = lab
            .rotate(&lab.keys.join(format!("v4-{k}.txt")), false)
            .env("STANDIN_SIGNAL", "KILL")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), None, "iteration {k}: {}", stderr(&out));
        assert!(lab.journal().exists(), "iteration {k}");
        assert_ne!(
            differences(&before, &tree(&lab.repo)),
            Vec::<PathBuf>::new()
        );
        let Some(full) = window else {
            let start = Instant::now();
            assert_eq!(lab.recover().status.code(), Some(0));
            window = Some(start.elapsed().mul_f64(1.2));
            assert_eq!(
                differences(&before, &tree(&lab.repo)),
                Vec::<PathBuf>::new()
            );
            continue;
        };
        let delay = full.mul_f64(f64::from(u32::try_from(rng.next() % 1000).unwrap()) / 1000.0);
        let mut child = lab
            .xtask()
            .args(["rotate", "--recover", "--repo"])
            .arg(&lab.repo)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        child.wait().unwrap();
        let out = lab.recover();
        let context = format!("iteration {k} (recover killed after {delay:?})");
        assert_eq!(out.status.code(), Some(0), "{context}: {}", stderr(&out));
        assert!(!lab.journal().exists(), "{context}");
        assert_eq!(
            differences(&before, &tree(&lab.repo)),
            Vec::<PathBuf>::new(),
            "{context}"
        );
        assert_eq!(
            secrets_under(&lab.tmpdir),
            Vec::<PathBuf>::new(),
            "{context}"
        );
    }
    eprintln!("recover kill loop: {iterations} runs, {killed} recoveries killed");
    assert!(
        killed >= iterations / 4,
        "only {killed} recoveries were killed"
    );
}

#[test]
fn issue_11_a_stale_git_lock_stops_recover_with_what_to_do_and_changes_nothing() {
    let lab = Lab::new();
    let before = tree(&lab.repo);
    // Killed in step 7, while a slow pre-commit hook runs: the journal names the branch.
    let hook = lab.repo.join(".git/hooks/pre-commit");
    fs_err::create_dir_all(hook.parent().unwrap()).unwrap();
    fs_err::write(&hook, "#!/bin/sh\nsleep 1\nexit 1\n").unwrap();
    fs_err::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut child = lab
        .rotate(&lab.keys.join("v4.txt"), true)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_mins(2);
    while !has_branch(&lab.repo, "rotation/v4") {
        assert!(Instant::now() < deadline, "step 7 never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let lock = lab.repo.join(".git/index.lock");
    std::thread::sleep(Duration::from_millis(1500));
    while lock.exists() {
        assert!(Instant::now() < deadline, "git commit never ended");
        std::thread::sleep(Duration::from_millis(50));
    }
    // As if the git command had been killed with the rotation.
    fs_err::write(&lock, "").unwrap();
    let during = tree(&lab.repo);
    let out = lab.recover();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("index.lock exists"), "{err}");
    assert!(
        err.contains("remove that file and run `cargo xtask rotate --recover` again"),
        "{err}"
    );
    assert!(lab.journal().exists());
    assert_eq!(
        differences(&during, &tree(&lab.repo)),
        Vec::<PathBuf>::new()
    );

    fs_err::remove_file(&lock).unwrap();
    let out = lab.recover();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(head_branch(&lab.repo), lab.branch);
    assert_eq!(
        differences(&before, &tree(&lab.repo)),
        Vec::<PathBuf>::new()
    );
    assert!(!lab.journal().exists());
}
