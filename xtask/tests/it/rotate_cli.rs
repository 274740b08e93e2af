//! End-to-end tests of `cargo xtask demo | rotate | audit` in temporary git repositories:
//! the demo runs, a rotation yields a bundle the real sops opens with the new key only, and a
//! rotation failing at any step leaves every file byte-identical.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use bundle_core::ops::evidence::DEFAULT_DIR;
use test_support::{git, sops};

use crate::common::xtask;

/// A sandbox built by the demo (bundle v3), its audit committed.
pub(crate) fn sandbox() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("sandbox");
    xtask(tmp.path())
        .args(["demo", "--dir"])
        .arg(&root)
        .assert()
        .success();
    let repo = root.join("repo");
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "audit"]);
    let keys = root.join("keys");
    (tmp, repo, keys)
}

/// Every file of the repository but `.git`, with its bytes.
pub(crate) fn tree(repo: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, base: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in fs_err::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap() == ".git" {
                continue;
            }
            if path.is_dir() {
                walk(&path, base, out);
            } else {
                out.insert(
                    path.strip_prefix(base).unwrap().to_owned(),
                    fs_err::read(&path).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(repo, repo, &mut out);
    out
}

/// `rotate` on the sandbox with the current (v3) key, without the window check (the demo's
/// log ends with an audit at "now", after which no plan can be dated 24 h back).
pub(crate) fn rotate_cmd(tmp: &Path, repo: &Path, keys: &Path) -> Command {
    let mut cmd = xtask(tmp);
    cmd.env("SOPS_AGE_KEY_FILE", keys.join("equipe-v3.txt"))
        .arg("rotate")
        .arg("--repo")
        .arg(repo)
        .args(["--reason", "rotação de teste", "--responsible", "Ana Souza"])
        .arg("--no-window-check");
    cmd
}

fn sops_decrypts(sops: &Path, file: &Path, key: &Path) -> bool {
    std::process::Command::new(sops)
        .env_clear()
        .env("SOPS_AGE_KEY_FILE", key)
        .env("HOME", key.parent().unwrap())
        .args(["decrypt"])
        .arg(file)
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn demo_runs_in_a_sandbox_and_tours_the_result() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("d");
    let out = xtask(tmp.path())
        .args(["demo", "--dir"])
        .arg(&root)
        .assert()
        .success();
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    for needle in [
        "== Rotação programada",
        "[6/7] Validação pós-rotação",
        "== Rotação emergencial",
        "Checklist do provedor",
        "evidence-writer verify: 6 entradas, 7 anexos, 0 problema(s)",
        "rotation/v3",
        "emergency-v3",
    ] {
        assert!(stderr.contains(needle), "missing {needle:?} in:\n{stderr}");
    }
    let repo = root.join("repo");
    let bundle = fs_err::read_to_string(repo.join("config/secrets.enc.yaml")).unwrap();
    assert!(bundle.contains("MCP_SECRETS_VERSION: 3"));
    assert!(bundle.contains("MCP_ROTATION_INCIDENT: INC-DEMO-001"));
    let key = root.join("keys/equipe-v3.txt");
    assert_eq!(
        fs_err::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // Nothing secret in the repository: the keys live next to it.
    let all = tree(&repo);
    for name in ["equipe-v1.txt", "equipe-v2.txt", "equipe-v3.txt"] {
        let text = fs_err::read_to_string(root.join("keys").join(name)).unwrap();
        let identity = text.lines().last().unwrap();
        assert!(identity.starts_with("AGE-SECRET-KEY-1"));
        assert!(!stderr.contains(identity));
        assert!(
            all.values()
                .all(|b| !String::from_utf8_lossy(b).contains(identity))
        );
    }
    // An existing, non-empty --dir is refused.
    xtask(tmp.path())
        .args(["demo", "--dir"])
        .arg(&root)
        .assert()
        .code(2);
}

#[test]
fn scheduled_rotation_gives_a_bundle_only_the_new_key_opens() {
    let (tmp, repo, keys) = sandbox();
    let new_key = keys.join("v4.txt");
    let value = tmp.path().join("token.txt");
    fs_err::write(&value, "novo-token-de-teste-123456\n").unwrap();
    let out = rotate_cmd(tmp.path(), &repo, &keys)
        .arg("--key-out")
        .arg(&new_key)
        .arg("--set")
        .arg(format!("github.token=@{}", value.display()))
        .assert()
        .success();
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("[1/6] Planejar janela"), "{stderr}");
    assert!(stderr.contains("[6/6] Validação pós-rotação"), "{stderr}");
    assert!(
        !stderr.contains("novo-token-de-teste"),
        "a value was printed"
    );
    assert_eq!(
        fs_err::metadata(&new_key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let bundle = repo.join("config/secrets.enc.yaml");
    let text = fs_err::read_to_string(&bundle).unwrap();
    assert!(text.contains("MCP_SECRETS_VERSION: 4"));
    assert!(text.contains("[--no-window-check]"));
    let log = fs_err::read_to_string(repo.join(DEFAULT_DIR).join("executions.jsonl")).unwrap();
    assert!(log.contains("scheduled-v4"));
    if let Some(sops) = sops() {
        assert!(
            sops_decrypts(&sops, &bundle, &new_key),
            "sops with the new key"
        );
        assert!(
            !sops_decrypts(&sops, &bundle, &keys.join("equipe-v3.txt")),
            "sops with the old key"
        );
        let plain = std::process::Command::new(&sops)
            .env_clear()
            .env("SOPS_AGE_KEY_FILE", &new_key)
            .args(["decrypt", "--extract", "[\"github\"][\"token\"]"])
            .arg(&bundle)
            .output()
            .unwrap();
        assert_eq!(plain.stdout, b"novo-token-de-teste-123456");
    }
}

#[test]
fn a_failing_key_command_leaves_every_file_as_it_was() {
    let (tmp, repo, keys) = sandbox();
    let before = tree(&repo);
    let out = rotate_cmd(tmp.path(), &repo, &keys)
        .args(["--key-cmd", "cat >/dev/null; exit 7"])
        .assert()
        .code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("[2/6] Gerar chave"), "{stderr}");
    assert!(
        stderr.contains("a rotação parou em [2/6] Gerar chave"),
        "{stderr}"
    );
    assert_eq!(tree(&repo), before);
}

#[test]
fn a_guard_failure_after_the_evidence_restores_every_byte() {
    let (tmp, repo, keys) = sandbox();
    let before = tree(&repo);
    let value = tmp.path().join("v.txt");
    fs_err::write(&value, "valor-novo-nao-declarado-42").unwrap();
    let new_key = keys.join("v4.txt");
    // A new secret name not named in the reason: rotation-guard RG-017 refuses it at step 6,
    // after the bundle, .sops.yaml and the evidence (with an artifact) were written.
    let out = rotate_cmd(tmp.path(), &repo, &keys)
        .arg("--key-out")
        .arg(&new_key)
        .arg("--set")
        .arg(format!("extra.novo=@{}", value.display()))
        .assert()
        .code(1);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("a rotação parou em [6/6] Validação pós-rotação"),
        "{stderr}"
    );
    assert!(stderr.contains("RG-017"), "{stderr}");
    assert!(stderr.contains("NÃO foi usada"), "{stderr}");
    assert_eq!(tree(&repo), before);
    assert!(
        !repo
            .join(DEFAULT_DIR)
            .join("artifacts/scheduled-v4")
            .exists()
    );
}

#[test]
fn an_invalid_link_at_the_evidence_step_restores_the_bundle_and_config() {
    let (tmp, repo, keys) = sandbox();
    let before = tree(&repo);
    rotate_cmd(tmp.path(), &repo, &keys)
        .arg("--key-out")
        .arg(keys.join("v4.txt"))
        .args(["--link", "CI=https://user:pass@ci.example.com/1"])
        .assert()
        .code(2);
    assert_eq!(tree(&repo), before);
}

#[test]
fn a_broken_sops_yaml_stops_the_rotation_with_nothing_changed() {
    let (tmp, repo, keys) = sandbox();
    fs_err::write(repo.join(".sops.yaml"), "creation_rules: [\n").unwrap();
    git(&repo, &["commit", "-q", "-am", "broken"]);
    let before = tree(&repo);
    let out = rotate_cmd(tmp.path(), &repo, &keys)
        .arg("--key-out")
        .arg(keys.join("v4.txt"))
        .assert()
        .code(1);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("a rotação parou em [1/6] Planejar janela"),
        "{stderr}"
    );
    assert_eq!(tree(&repo), before);
    assert!(!keys.join("v4.txt").exists());
}

#[test]
fn the_window_check_refuses_a_rotation_without_a_plan() {
    let (tmp, repo, keys) = sandbox();
    let before = tree(&repo);
    let mut cmd = xtask(tmp.path());
    let out = cmd
        .env("SOPS_AGE_KEY_FILE", keys.join("equipe-v3.txt"))
        .args(["rotate", "--repo"])
        .arg(&repo)
        .args(["--reason", "r", "--responsible", "A", "--key-out"])
        .arg(keys.join("v4.txt"))
        .assert()
        .code(1);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("RG-014"), "{stderr}");
    assert_eq!(tree(&repo), before);
}

#[test]
fn key_out_inside_the_repository_and_values_in_argv_are_refused() {
    let (tmp, repo, keys) = sandbox();
    let before = tree(&repo);
    let out = rotate_cmd(tmp.path(), &repo, &keys)
        .arg("--key-out")
        .arg(repo.join("new-key.txt"))
        .assert()
        .code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("inside the repository"), "{stderr}");
    let out = rotate_cmd(tmp.path(), &repo, &keys)
        .arg("--key-out")
        .arg(keys.join("v4.txt"))
        .args(["--set", "github.token=plaintext-in-argv"])
        .assert()
        .code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("never taken from the command line"),
        "{stderr}"
    );
    assert!(!stderr.contains("plaintext-in-argv"), "{stderr}");
    assert_eq!(tree(&repo), before);
}

#[test]
fn audit_records_and_verifies() {
    let (tmp, repo, _keys) = sandbox();
    let out = xtask(tmp.path())
        .args(["audit", "--responsible", "Eva", "--repo"])
        .arg(&repo)
        .assert()
        .success();
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("0 problema(s)"), "{stderr}");
    // A tampered log makes the audit fail.
    let log = repo.join(DEFAULT_DIR).join("executions.jsonl");
    let text = fs_err::read_to_string(&log).unwrap();
    fs_err::write(&log, text.replacen("Ana Souza", "Ana Sousa", 1)).unwrap();
    xtask(tmp.path())
        .args(["audit", "--responsible", "Eva", "--repo"])
        .arg(&repo)
        .assert()
        .failure();
}

pub(crate) fn head_branch(repo: &Path) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["rev-parse", "--abbrev-ref", "HEAD"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn dry_run_checks_and_prints_the_plan_without_changing_anything() {
    let (tmp, repo, keys) = sandbox();
    let before = tree(&repo);
    let out = rotate_cmd(tmp.path(), &repo, &keys)
        .arg("--dry-run")
        .assert()
        .success();
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("--dry-run: nada será alterado"), "{stderr}");
    assert!(stderr.contains("[1/6] Planejar janela"), "{stderr}");
    assert!(stderr.contains("[3/6] Atualizar bundle: "), "{stderr}");
    assert!(stderr.contains("(não executado)"), "{stderr}");
    assert_eq!(tree(&repo), before);
    // The demo's three keys and its emergency's new token value; no new key.
    assert_eq!(fs_err::read_dir(&keys).unwrap().count(), 4);
}

#[test]
fn commit_makes_a_branch_and_a_failing_commit_restores_files_and_branch() {
    let (tmp, repo, keys) = sandbox();
    let before = tree(&repo);
    let hook = repo.join(".git/hooks/pre-commit");
    fs_err::create_dir_all(hook.parent().unwrap()).unwrap();
    fs_err::write(&hook, "#!/bin/sh\nexit 1\n").unwrap();
    fs_err::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = rotate_cmd(tmp.path(), &repo, &keys)
        .arg("--key-out")
        .arg(keys.join("v4.txt"))
        .arg("--commit")
        .assert()
        .code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("a rotação parou em [7/7] Abrir PR"),
        "{stderr}"
    );
    assert_eq!(tree(&repo), before);
    assert_eq!(head_branch(&repo), "rotation/v3");
    fs_err::remove_file(&hook).unwrap();
    rotate_cmd(tmp.path(), &repo, &keys)
        .arg("--key-out")
        .arg(keys.join("v4b.txt"))
        .arg("--commit")
        .assert()
        .success();
    assert_eq!(head_branch(&repo), "rotation/v4");
    let body = fs_err::read_to_string(repo.join(".git/rotation-v4-PR.md")).unwrap();
    assert!(body.contains("scheduled-v4"), "{body}");
    let status = std::process::Command::new("git")
        .arg("-C")
        .arg(&repo)
        .args(["status", "--porcelain"])
        .output()
        .unwrap();
    assert!(
        status.stdout.is_empty(),
        "the rotation left uncommitted files"
    );
}

#[test]
fn emergency_rotation_records_the_incident_and_lists_provider_secrets() {
    let (tmp, repo, keys) = sandbox();
    let new_key = keys.join("v4.txt");
    let emergency = || {
        let mut cmd = xtask(tmp.path());
        cmd.env("SOPS_AGE_KEY_FILE", keys.join("equipe-v3.txt"))
            .args(["rotate", "--emergency", "--incident", "INC-42", "--repo"])
            .arg(&repo)
            .args(["--responsible", "Carla", "--responsible", "Diego"])
            .args(["--revoked", "github.token"])
            .args(["--revoked", "database.password"])
            .args(["--not-affected", "database.user"])
            .args(["--comms-message", "bundle v4 publicado"])
            .args(["--isolated", "token revogado no GitHub"])
            .arg("--old-identity")
            .arg(keys.join("equipe-v3.txt"))
            .arg("--key-out")
            .arg(&new_key);
        cmd
    };
    // Every secret needs a decision before anything changes (issue 12).
    let out = emergency().assert().code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("no decision for 1 secret(s)"), "{stderr}");
    assert!(stderr.contains("  - slack.webhook\n"), "{stderr}");
    let webhook = tmp.path().join("webhook.txt");
    fs_err::write(&webhook, "https://hooks.example.invalid/novo\n").unwrap();
    let out = emergency()
        .arg("--set")
        .arg(format!("slack.webhook=@{}", webhook.display()))
        .assert()
        .success();
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("[4/6] Validação cruzada"), "{stderr}");
    assert!(
        stderr.contains("a chave substituída não decifra mais o bundle"),
        "{stderr}"
    );
    assert!(stderr.contains("  - [ ] slack.webhook"), "{stderr}");
    assert!(
        stderr.contains("  - database.password: revogado no provedor (declarado)"),
        "{stderr}"
    );
    assert!(!stderr.contains("MCP_SECRETS_VERSION\n"), "{stderr}");
    let bundle = fs_err::read_to_string(repo.join("config/secrets.enc.yaml")).unwrap();
    assert!(bundle.contains("MCP_ROTATION_INCIDENT: INC-42"));
    let log = fs_err::read_to_string(repo.join(DEFAULT_DIR).join("executions.jsonl")).unwrap();
    assert!(log.contains("\"emergency-v4\""), "{log}");
    assert!(log.contains("comms-INC-42-"), "{log}");
    assert!(log.contains("\"message\":\"bundle v4 publicado\""), "{log}");
    assert!(
        !log.contains("destinatários comprometidos removidos"),
        "{log}"
    );
    if let Some(sops) = sops() {
        let bundle = repo.join("config/secrets.enc.yaml");
        assert!(sops_decrypts(&sops, &bundle, &new_key));
        assert!(!sops_decrypts(&sops, &bundle, &keys.join("equipe-v3.txt")));
    }
}

#[test]
fn an_emergency_with_one_person_is_refused_before_anything_happens() {
    let (tmp, repo, keys) = sandbox();
    let before = tree(&repo);
    let out = xtask(tmp.path())
        .env("SOPS_AGE_KEY_FILE", keys.join("equipe-v3.txt"))
        .args(["rotate", "--emergency", "--incident", "INC-42", "--repo"])
        .arg(&repo)
        .args(["--responsible", "Carla", "--responsible", "Carla"])
        .arg("--key-out")
        .arg(keys.join("v4.txt"))
        .assert()
        .code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("two different people"), "{stderr}");
    assert_eq!(tree(&repo), before);
    assert!(!keys.join("v4.txt").exists());
}

#[test]
fn key_cmd_gets_the_key_on_stdin_and_set_reads_stdin() {
    let (tmp, repo, keys) = sandbox();
    let stored = tmp.path().join("vault.txt");
    let out = rotate_cmd(tmp.path(), &repo, &keys)
        .arg("--key-cmd")
        .arg(format!("umask 077; cat > '{}'", stored.display()))
        .args(["--set", "database.password=-"])
        .write_stdin("senha-vinda-do-stdin-987\n")
        .assert()
        .success();
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(!stderr.contains("senha-vinda-do-stdin"), "{stderr}");
    let key = fs_err::read_to_string(&stored).unwrap();
    assert!(key.lines().last().unwrap().starts_with("AGE-SECRET-KEY-1"));
    assert!(!stderr.contains(key.lines().last().unwrap()));
    if let Some(sops) = sops() {
        let plain = std::process::Command::new(&sops)
            .env_clear()
            .env("SOPS_AGE_KEY_FILE", &stored)
            .args(["decrypt", "--extract", "[\"database\"][\"password\"]"])
            .arg(repo.join("config/secrets.enc.yaml"))
            .output()
            .unwrap();
        assert_eq!(plain.stdout, b"senha-vinda-do-stdin-987");
    }
}

#[test]
fn a_hanging_key_cmd_is_killed_at_its_deadline_and_the_rotation_rolls_back() {
    let (tmp, repo, keys) = sandbox();
    let before = tree(&repo);
    let pid_file = tmp.path().join("helper.pid");
    // The command reads the key, starts a helper that would wait forever, and waits on it.
    let out = rotate_cmd(tmp.path(), &repo, &keys)
        .arg("--key-cmd")
        .arg(format!(
            "cat > /dev/null; sleep 300 & echo $! > '{}'; wait",
            pid_file.display()
        ))
        .args(["--key-cmd-timeout", "1"])
        .assert()
        .code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("--key-cmd did not finish within 1 s and was killed"),
        "{stderr}"
    );
    assert!(stderr.contains("a rotação parou em [2/"), "{stderr}");
    assert_eq!(tree(&repo), before, "the rotation did not roll back");
    let helper = fs_err::read_to_string(&pid_file).unwrap();
    let stat = fs_err::read_to_string(format!("/proc/{}/stat", helper.trim())).unwrap_or_default();
    let state = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.trim_start().chars().next());
    assert!(
        matches!(state, None | Some(Some('Z' | 'X'))),
        "the key command's child outlived the deadline: {stat}"
    );
}

#[test]
fn sync_publishes_to_mcp_home_and_a_failure_puts_the_old_files_back() {
    let (tmp, repo, keys) = sandbox();
    let mcp = tmp.path().join(".mcp");
    fs_err::create_dir_all(&mcp).unwrap();
    fs_err::set_permissions(&mcp, std::fs::Permissions::from_mode(0o700)).unwrap();
    fs_err::write(mcp.join(".env"), "OLD=1\n").unwrap();
    fs_err::set_permissions(mcp.join(".env"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let value = tmp.path().join("v.txt");
    fs_err::write(&value, "valor-novo-nao-declarado-42").unwrap();
    // RG-017 fails at the last step: ~/.mcp, written at step 4, is restored.
    rotate_cmd(tmp.path(), &repo, &keys)
        .arg("--key-out")
        .arg(keys.join("v4.txt"))
        .arg("--sync")
        .arg("--set")
        .arg(format!("extra.novo=@{}", value.display()))
        .assert()
        .code(1);
    assert_eq!(fs_err::read_to_string(mcp.join(".env")).unwrap(), "OLD=1\n");
    let left: Vec<_> = fs_err::read_dir(&mcp)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from(".env")]);
    rotate_cmd(tmp.path(), &repo, &keys)
        .arg("--key-out")
        .arg(keys.join("v4b.txt"))
        .arg("--sync")
        .assert()
        .success();
    let env = fs_err::read_to_string(mcp.join(".env")).unwrap();
    assert!(env.contains("MCP_SECRETS_VERSION=4"), "{env}");
    assert!(mcp.join("console-secrets.json").is_file());
}

#[test]
fn an_unknown_compromised_recipient_stops_the_emergency_with_nothing_changed() {
    let (tmp, repo, keys) = sandbox();
    let before = tree(&repo);
    let out = xtask(tmp.path())
        .env("SOPS_AGE_KEY_FILE", keys.join("equipe-v3.txt"))
        .args(["rotate", "--emergency", "--incident", "INC-7", "--repo"])
        .arg(&repo)
        .args(["--responsible", "Carla", "--responsible", "Diego"])
        .args([
            "--compromised",
            "age1ps335dvugrdjvdk7p6kzlhkzeze77p07w9exxz9em8mpkheehuwqs76e5w",
        ])
        .args(["--revoked", "github.token", "--revoked", "database.user"])
        .args([
            "--revoked",
            "database.password",
            "--revoked",
            "slack.webhook",
        ])
        .args(["--isolated", "deploys suspensos"])
        .arg("--key-out")
        .arg(keys.join("v4.txt"))
        .assert()
        .code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("a rotação parou em [3/6] Reconstrução do bundle"),
        "{stderr}"
    );
    assert!(stderr.contains("not a recipient"), "{stderr}");
    assert!(stderr.contains("NÃO foi usada"), "{stderr}");
    assert_eq!(tree(&repo), before);
}
