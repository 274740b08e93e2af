//! `cargo xtask demo`: the whole runbook in a sandbox, with no key and no network. A git
//! repository with a sample bundle and fresh keys, then a plan, a scheduled rotation, an
//! emergency rotation and an audit, through the same code as `rotate` and `audit`.
//!
//! Layout: `<dir>/repo` (the repository) and `<dir>/keys` (the demo's private keys, 0600,
//! outside the repository as the runbook requires).

use bundle_core::ExitStatus;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use bundle_core::Format;
use bundle_core::config::{CONFIG_FILE_NAME, SopsConfig};
use bundle_core::fsio::{self, WriteOptions};
use bundle_core::keys::{KeyEnv, KeyPair};
use bundle_core::ops::evidence::{DEFAULT_DIR, EvidenceLog, Kind};
use bundle_core::ops::mcp::HEADER_UNENCRYPTED_REGEX;
use bundle_core::sops::{EncryptSettings, encrypt_plaintext};
use bundle_core::store::EmitOptions;
use bundle_core::time::Timestamp;
use clap::Args;

use crate::audit::{AuditOutcome, audit};
use crate::rotate::{
    BUNDLE, CommsSource, Emergency, KeySink, Outcome, Request, SetSource, git, rotate,
};
use crate::{Failure, TaskResult};

/// The files copied from this repository into the sandbox (runbooks, policy, CI, hygiene).
const COPIED: [&str; 6] = [
    ".gitignore",
    ".github/CODEOWNERS",
    ".github/workflows/ci.yml",
    "config/gitleaks.toml",
    "config/ops-controls.yaml",
    "docs/ops",
];

const HOUR: i64 = 3600;

/// Arguments of `cargo xtask demo`.
#[derive(Args, Debug)]
pub(crate) struct DemoArgs {
    /// Build the sandbox here and keep it (must not exist, or be empty).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Runs `cargo xtask demo`.
pub(crate) fn run(args: &DemoArgs, stderr: &mut dyn Write) -> TaskResult {
    let temp;
    let root = if let Some(dir) = &args.dir {
        if dir.exists() && fs_err::read_dir(dir)?.next().is_some() {
            return Err(Failure::usage(format!(
                "--dir {}: the directory is not empty\nhint: give a new or empty directory",
                dir.display()
            )));
        }
        fs_err::create_dir_all(dir)?;
        fs_err::canonicalize(dir)?
    } else {
        temp = tempfile::Builder::new()
            .prefix("mcp-secrets-demo-")
            .tempdir()
            .map_err(|e| Failure::usage(format!("temporary directory: {e}")))?;
        fs_err::canonicalize(temp.path())?
    };
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or_else(|| Failure::usage("xtask is not inside the workspace"))?;
    demo(source, &root, Timestamp::now(), stderr)?;
    if args.dir.is_none() {
        writeln!(
            stderr,
            "\n(sandbox temporário removido; use --dir DIR para guardá-lo)"
        )?;
    }
    Ok(ExitStatus::Success)
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), Box<Failure>> {
    if fs_err::metadata(from)?.is_dir() {
        fs_err::create_dir_all(to)?;
        for entry in fs_err::read_dir(from)? {
            let entry = entry?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
    } else {
        if let Some(parent) = to.parent() {
            fs_err::create_dir_all(parent)?;
        }
        fs_err::copy(from, to)?;
    }
    Ok(())
}

fn write_key(path: &Path, pair: &KeyPair) -> Result<(), Box<Failure>> {
    let text = zeroize::Zeroizing::new(format!(
        "# public key: {}\n{}\n",
        pair.recipient(),
        pair.expose_identity()
    ));
    fsio::write_atomic(path, text.as_bytes(), WriteOptions::PRIVATE_NEW)?;
    Ok(())
}

fn key_env(file: &Path) -> KeyEnv {
    KeyEnv {
        sops_age_key_file: Some(file.to_owned()),
        ..KeyEnv::default()
    }
}

/// Records `request` at the demo's simulated time `at`: claimed and written then, as a run
/// with `SOURCE_DATE_EPOCH` at `at` would (the demo replays three days in seconds).
fn record(
    dir: &Path,
    request: &evidence_writer::RecordRequest,
    at: Timestamp,
) -> Result<(), Box<Failure>> {
    let mut request = request.clone();
    request.written_at = Some(at);
    evidence_writer::record(dir, &request, evidence_writer::Now::fixed(at), None)
        .map_err(Failure::wrap(ExitStatus::Usage))?;
    Ok(())
}

fn plan(dir: &Path, at: Timestamp, window: Timestamp, to: u64) -> Result<(), Box<Failure>> {
    let mut request = evidence_writer::RecordRequest::new(Kind::Plan);
    request.reason = Some("rotação trimestral (demonstração)".to_owned());
    request.responsible = vec!["Ana Souza".to_owned()];
    request.version_from = Some(to - 1);
    request.version_to = Some(to);
    request.window_start = Some(window);
    record(dir, &request, at)
}

/// The sandbox's two directories: the repository, and the private keys next to it.
struct Sandbox {
    repo: PathBuf,
    keys: PathBuf,
}

impl Sandbox {
    fn key(&self, name: &str) -> PathBuf {
        self.keys.join(name)
    }

    fn evidence(&self) -> PathBuf {
        self.repo.join(DEFAULT_DIR)
    }
}

/// Builds the sandbox under `root` from the files of `source` and runs the runbook, with
/// `now` as the time of the audit.
pub(crate) fn demo(
    source: &Path,
    root: &Path,
    now: Timestamp,
    stderr: &mut dyn Write,
) -> Result<(), Box<Failure>> {
    let sandbox = Sandbox {
        repo: root.join("repo"),
        keys: root.join("keys"),
    };
    fs_err::create_dir_all(&sandbox.repo)?;
    fs_err::create_dir_all(&sandbox.keys)?;
    std::fs::set_permissions(
        &sandbox.keys,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )?;
    let created = now.plus_seconds(-72 * HOUR);
    writeln!(stderr, "== Sandbox: {}", root.display())?;
    init_repository(source, &sandbox.repo)?;
    waive_gitleaks_if_absent(&sandbox.repo, stderr)?;
    let first_key = create_bundle(&sandbox, created)?;
    seed_evidence(&sandbox, created)?;
    plan_window(&sandbox, now, stderr)?;
    let scheduled = scheduled_rotation(&sandbox, &first_key, now, stderr)?;
    let emergency = emergency_rotation(&sandbox, now, stderr)?;

    writeln!(stderr, "\n== Auditoria (cargo xtask audit)")?;
    let audited = audit(
        &sandbox.repo,
        &["Eva Martins".to_owned()],
        now,
        true,
        stderr,
    )?;
    if !audited.ok() {
        return Err(Failure::problem("the demo's audit found a problem"));
    }
    tour(&sandbox, &scheduled, &emergency, &audited, stderr)
}

/// The repository: runbooks, policy, CI and hygiene files of this toolkit, in a new git
/// repository.
fn init_repository(source: &Path, repo: &Path) -> Result<(), Box<Failure>> {
    for rel in COPIED {
        copy_tree(&source.join(rel), &repo.join(rel))?;
    }
    git(repo, &["init", "-q", "-b", "main"])?;
    for (k, v) in [
        ("user.name", "Demo"),
        ("user.email", "demo@example.invalid"),
        ("commit.gpgsign", "false"),
    ] {
        git(repo, &["config", k, v])?;
    }
    Ok(())
}

/// Without gitleaks on `PATH` the rotations cannot earn their `gitleaks` item, and a policy
/// requiring it refuses them before they start: the sandbox's policy then drops `gitleaks`
/// from the required items, says so, and the rotations record it as skipped with the reason
/// (shown unticked in the evidence and the PR body), as a team without gitleaks would.
fn waive_gitleaks_if_absent(repo: &Path, stderr: &mut dyn Write) -> Result<(), Box<Failure>> {
    if crate::rotate::gitleaks_installed() {
        return Ok(());
    }
    let path = repo.join(ops_controls::DEFAULT_POLICY);
    let mut text = fs_err::read_to_string(&path)?;
    if text.lines().any(|l| l.starts_with("documents:")) {
        return Err(Failure::usage(format!(
            "{}: gitleaks is not installed and the policy already has a `documents` section\nhint: install gitleaks to run the demo",
            path.display()
        )));
    }
    let without = |kind| {
        bundle_core::ops::evidence::default_required(kind)
            .iter()
            .filter(|i| **i != "gitleaks")
            .copied()
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = write!(
        text,
        "\n# Demo sandbox: gitleaks is not installed here, so the rotations record its item as\n# skipped and this policy does not require it.\ndocuments:\n  checklist_required:\n    scheduled: [{}]\n    emergency: [{}]\n",
        without(Kind::Scheduled),
        without(Kind::Emergency)
    );
    fsio::write_atomic(&path, text.as_bytes(), WriteOptions::PUBLIC)?;
    writeln!(
        stderr,
        "gitleaks não está no PATH: a política do sandbox não exige o item `gitleaks`; as rotações o registram como ignorado"
    )?;
    Ok(())
}

/// The bundle, version 1, for the team's first key; returns that key's file.
fn create_bundle(sandbox: &Sandbox, created: Timestamp) -> Result<PathBuf, Box<Failure>> {
    let repo = &sandbox.repo;
    let first = KeyPair::generate();
    let first_key = sandbox.key("equipe-v1.txt");
    write_key(&first_key, &first)?;
    let sops_yaml = format!(
        "creation_rules:\n  - path_regex: 'config/secrets\\.enc\\.yaml$'\n    unencrypted_regex: '{HEADER_UNENCRYPTED_REGEX}'\n    age:\n      - {}\n",
        first.recipient()
    );
    fsio::write_atomic(
        &repo.join(CONFIG_FILE_NAME),
        sops_yaml.as_bytes(),
        WriteOptions::PUBLIC,
    )?;
    let config = SopsConfig::load(&repo.join(CONFIG_FILE_NAME))?;
    let bundle = repo.join(BUNDLE);
    let rule = config.rule_for(&bundle)?;
    let plaintext = format!(
        "MCP_SECRETS_VERSION: 1\nMCP_ROTATION_REASON: bundle de demonstração\nMCP_ROTATED_AT: '{created}'\ngithub:\n  token: demo-token-{a}\ndatabase:\n  user: mcp\n  password: demo-senha-{b}\nslack:\n  webhook: https://hooks.example.invalid/demo/{c}\n",
        a = &first.recipient()[10..30],
        b = &first.recipient()[30..46],
        c = &first.recipient()[46..58],
    );
    let encrypted = encrypt_plaintext(
        &bundle,
        Format::Yaml,
        plaintext.as_bytes(),
        &EncryptSettings::from_rule(rule),
        created.unix(),
    )?;
    encrypted.write(&bundle, EmitOptions::default())?;
    Ok(first_key)
}

/// The evidence skeleton and the history of version 1; committed with the bundle. Nothing
/// is ticked here (issue 12): the checklist of each execution is earned by the steps of
/// `rotate` and `audit` that run next, and the creation of v1, made by hand before the
/// toolkit, is recorded without a checklist item it did not run.
fn seed_evidence(sandbox: &Sandbox, created: Timestamp) -> Result<(), Box<Failure>> {
    let evidence = sandbox.evidence();
    evidence_writer::init(&evidence, evidence_writer::Lang::Pt).map_err(Failure::tool)?;
    plan(&evidence, created.plus_seconds(-26 * HOUR), created, 1)?;
    let mut first_entry = evidence_writer::RecordRequest::new(Kind::Scheduled);
    first_entry.reason = Some("criação do bundle (demonstração)".to_owned());
    first_entry.responsible = vec!["Ana Souza".to_owned()];
    first_entry.version_from = Some(0);
    first_entry.version_to = Some(1);
    record(&evidence, &first_entry, created)?;
    git(&sandbox.repo, &["add", "-A"])?;
    git(
        &sandbox.repo,
        &["commit", "-q", "-m", "bundle v1 e evidências"],
    )?;
    Ok(())
}

/// Plan of the scheduled window, announced 48 h ahead; committed.
fn plan_window(
    sandbox: &Sandbox,
    now: Timestamp,
    stderr: &mut dyn Write,
) -> Result<(), Box<Failure>> {
    let window = now.plus_seconds(-2 * HOUR);
    writeln!(
        stderr,
        "\n== Plano: janela de v2 às {window}, anunciada 48 h antes"
    )?;
    plan(
        &sandbox.evidence(),
        window.plus_seconds(-48 * HOUR),
        window,
        2,
    )?;
    git(&sandbox.repo, &["add", "-A"])?;
    git(
        &sandbox.repo,
        &["commit", "-q", "-m", "plano da janela de v2"],
    )?;
    Ok(())
}

/// Version 2, in the planned window, with the first key.
fn scheduled_rotation(
    sandbox: &Sandbox,
    first_key: &Path,
    now: Timestamp,
    stderr: &mut dyn Write,
) -> Result<Outcome, Box<Failure>> {
    writeln!(stderr, "\n== Rotação programada (cargo xtask rotate)")?;
    let request = Request {
        repo: sandbox.repo.clone(),
        reason: Some("rotação trimestral (demonstração)".to_owned()),
        responsible: vec!["Ana Souza".to_owned(), "Bruno Lima".to_owned()],
        emergency: None,
        sets: Vec::new(),
        key_sink: Some(KeySink::File(sandbox.key("equipe-v2.txt"))),
        links: vec!["CI=https://ci.example.invalid/runs/1".to_owned()],
        commit: true,
        dry_run: false,
        sync_to: None,
        window_check: true,
        keys: key_env(first_key),
        old_identities: Vec::new(),
        now: now.plus_seconds(-2 * HOUR),
        now_explicit: true,
    };
    rotate(&request, stderr)?.ok_or_else(|| Failure::usage("the scheduled rotation did not run"))
}

/// Version 3, an hour ago, replacing (and proving revoked) the key of version 2.
fn emergency_rotation(
    sandbox: &Sandbox,
    now: Timestamp,
    stderr: &mut dyn Write,
) -> Result<Outcome, Box<Failure>> {
    writeln!(
        stderr,
        "\n== Rotação emergencial (cargo xtask rotate --emergency)"
    )?;
    // The leaked GitHub token gets a new value (read from a 0600 file outside the
    // repository, as `--set github.token=@FILE`); the other secrets are acknowledged.
    let new_token = sandbox.key("github-token-v3.txt");
    let fresh = KeyPair::generate();
    fsio::write_atomic(
        &new_token,
        format!("demo-token-{}\n", &fresh.recipient()[10..30]).as_bytes(),
        WriteOptions::PRIVATE_NEW,
    )?;
    let request = Request {
        repo: sandbox.repo.clone(),
        reason: None,
        responsible: vec!["Carla Dias".to_owned(), "Diego Reis".to_owned()],
        emergency: Some(Emergency {
            incident: "INC-DEMO-001".to_owned(),
            compromised: Vec::new(),
            revoked: vec!["database.password".to_owned()],
            not_affected: vec!["database.user".to_owned(), "slack.webhook".to_owned()],
            isolation: Some(
                "deploys e workflows que usam o bundle suspensos (demonstração)".to_owned(),
            ),
            comms_message: Some(CommsSource::Text(
                "Rotação emergencial em andamento: bundle v3, chave v2 removida (demonstração)"
                    .to_owned(),
            )),
        }),
        sets: vec![("github.token".to_owned(), SetSource::File(new_token))],
        key_sink: Some(KeySink::File(sandbox.key("equipe-v3.txt"))),
        links: Vec::new(),
        commit: true,
        dry_run: false,
        sync_to: None,
        window_check: true,
        keys: key_env(&sandbox.key("equipe-v2.txt")),
        old_identities: vec![sandbox.key("equipe-v2.txt")],
        now: now.plus_seconds(-HOUR),
        now_explicit: true,
    };
    rotate(&request, stderr)?.ok_or_else(|| Failure::usage("the emergency rotation did not run"))
}

/// The tour: what was produced, where.
fn tour(
    sandbox: &Sandbox,
    scheduled: &Outcome,
    emergency: &Outcome,
    audited: &AuditOutcome,
    stderr: &mut dyn Write,
) -> Result<(), Box<Failure>> {
    let repo = &sandbox.repo;
    let evidence = sandbox.evidence();
    writeln!(stderr, "\n== O que foi produzido")?;
    writeln!(stderr, "repositório: {}", repo.display())?;
    writeln!(
        stderr,
        "chaves (0600, fora do repositório): {}",
        sandbox.keys.display()
    )?;
    writeln!(
        stderr,
        "bundle: {BUNDLE} (v{} após a emergência; v{} após a programada)",
        emergency.version_to, scheduled.version_to
    )?;
    let log = EvidenceLog::load(&evidence).map_err(Failure::wrap(ExitStatus::Usage))?;
    writeln!(stderr, "evidências: {DEFAULT_DIR}/")?;
    let mut files = Vec::new();
    crate::walk::files_under(&evidence, &mut files)?;
    files.sort();
    for f in files {
        writeln!(
            stderr,
            "  {}",
            f.strip_prefix(&evidence).unwrap_or(&f).display()
        )?;
    }
    writeln!(stderr, "execuções registradas:")?;
    for e in log.entries() {
        writeln!(
            stderr,
            "  {:>2} {:<32} {}",
            e.seq, e.execution.id, e.execution.recorded_at
        )?;
    }
    writeln!(
        stderr,
        "auditoria: {} ({} regressões, {} problemas de verificação)",
        audited.evidence_id, audited.regressions, audited.verify_problems
    )?;
    writeln!(stderr, "histórico de versões (git log):")?;
    for line in git(repo, &["log", "--oneline", "--decorate=short"])?.lines() {
        writeln!(stderr, "  {line}")?;
    }
    Ok(())
}
