//! `cargo xtask demo` (and `mcp-secrets demo`): the whole runbook in a sandbox, with no key
//! and no network. It starts where a team starts: a git repository with one application file.
//! `init` brings it to the runbook's layout (bundle v1, policy, runbooks, evidence, CI), the
//! `TODO`s the controls flag are filled as a team would, and then a plan, a scheduled
//! rotation, an emergency rotation and an audit run, through the same code as `init`,
//! `rotate` and `audit`.
//!
//! What must stay true: the demo reads nothing of this workspace (every file comes from the
//! templates `init` embeds), so an installed binary runs it anywhere; it says in its output
//! each thing it does in the team's place (the filled matrix, the toolkit source left `TODO`
//! when the binary does not know it, the gitleaks waiver).
//!
//! Layout: `<dir>/repo` (the repository) and `<dir>/keys` (the demo's private keys, 0600,
//! outside the repository as the runbook requires).

use bundle_core::ExitStatus;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use bundle_core::fsio::{self, WriteOptions};
use bundle_core::keys::{KeyEnv, KeyPair};
use bundle_core::ops::evidence::{DEFAULT_DIR, EvidenceLog, Kind};
use bundle_core::time::Timestamp;
use clap::Args;
use zeroize::Zeroizing;

use crate::audit::{AuditOutcome, audit};
use crate::init::{self, ToolkitSource};
use crate::rotate::{
    BUNDLE, CommsSource, Emergency, KeySink, Outcome, Request, SetSource, git, rotate,
};
use crate::{Failure, TaskResult};

/// The contact matrix `init` writes with `TODO` cells (DOC-002 names them).
const MATRIX: &str = "docs/ops/incident-response.md";

/// How the demo fills each row of the matrix, as a team would (functions, not people).
const CONTACTS: [(&str, &str); 6] = [
    (
        "Incident Commander",
        "Gerente de Plataforma | Líder técnico de SRE | `#mcp-incident` | SEV-1 e SEV-2",
    ),
    (
        "SecOps",
        "Plantão de SecOps | Líder de SecOps | `#mcp-incident` | todo vazamento suspeito",
    ),
    (
        "Plataforma",
        "Plantão de Plataforma | Engenheiro sênior de Plataforma | `#mcp-plataforma` | rotação emergencial",
    ),
    (
        "Squad Ops",
        "Líder do Squad Ops | Engenheiro do Squad Ops | `#mcp-ops` | janela de rotação",
    ),
    (
        "Auditoria Operacional",
        "Analista de Auditoria | Coordenador de Auditoria | `#mcp-auditoria` | handoff pós-incidente",
    ),
    (
        "Comunicação",
        "Gerente de Comunicação | Analista de Comunicação | `#mcp-status` | SEV-1",
    ),
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
    demo(&root, Timestamp::now(), stderr)?;
    if args.dir.is_none() {
        writeln!(
            stderr,
            "\n(sandbox temporário removido; use --dir DIR para guardá-lo)"
        )?;
    }
    Ok(ExitStatus::Success)
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

/// Builds the sandbox under `root` and runs the runbook in it, with `now` as the time of
/// the audit.
pub(crate) fn demo(
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
    app_repository(&sandbox.repo, stderr)?;
    let first_key = run_init(&sandbox, created, stderr)?;
    waive_gitleaks_if_absent(&sandbox.repo, stderr)?;
    git(&sandbox.repo, &["add", "-A"])?;
    git(&sandbox.repo, &["commit", "-q", "-m", "mcp-secrets init"])?;
    fill_todos(&sandbox, created, stderr)?;
    plan_window(&sandbox, now, stderr)?;
    let scheduled = scheduled_rotation(&sandbox, &first_key, now, stderr)?;
    let emergency = emergency_rotation(&sandbox, now, stderr)?;

    writeln!(stderr, "\n== Auditoria ({} audit)", crate::program_name())?;
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

/// Where a team starts: a new git repository with one application file, committed.
fn app_repository(repo: &Path, stderr: &mut dyn Write) -> Result<(), Box<Failure>> {
    git(repo, &["init", "-q", "-b", "main"])?;
    for (k, v) in [
        ("user.name", "Demo"),
        ("user.email", "demo@example.invalid"),
        ("commit.gpgsign", "false"),
    ] {
        git(repo, &["config", k, v])?;
    }
    fsio::write_atomic(
        &repo.join("app.py"),
        b"# O servidor MCP da equipe (demonstracao): le os segredos do ambiente.\nimport os\n\nTOKEN = os.environ.get(\"GITHUB_TOKEN\", \"\")\n",
        WriteOptions::PUBLIC,
    )?;
    git(repo, &["add", "-A"])?;
    git(repo, &["commit", "-q", "-m", "aplicação"])?;
    writeln!(
        stderr,
        "repositório git novo com um arquivo de aplicação (app.py), sem nada do runbook"
    )?;
    Ok(())
}

/// `init` at `created`: bundle v1 with the demo's secrets, encrypted to a new key delivered
/// to `keys/equipe-v1.txt`; returns that key's file.
fn run_init(
    sandbox: &Sandbox,
    created: Timestamp,
    stderr: &mut dyn Write,
) -> Result<PathBuf, Box<Failure>> {
    writeln!(
        stderr,
        "\n== Inicialização ({} init): bundle v1, política, runbooks, evidências, CI",
        crate::program_name()
    )?;
    let first_key = sandbox.key("equipe-v1.txt");
    // Values that look like secrets and differ on every run (read, as `--set KEY=@FILE`
    // would, never from the command line).
    let noise = KeyPair::generate().recipient();
    let mut values = Vec::new();
    for (key, value) in [
        ("github.token", format!("demo-token-{}", &noise[10..30])),
        ("database.user", "mcp".to_owned()),
        (
            "database.password",
            format!("demo-senha-{}", &noise[30..46]),
        ),
        (
            "slack.webhook",
            format!("https://hooks.example.invalid/demo/{}", &noise[46..58]),
        ),
    ] {
        values.push((crate::rotate::tree_path("set", key)?, Zeroizing::new(value)));
    }
    let toolkit = ToolkitSource::built();
    let options = init::Options {
        responsible: vec!["Ana Souza".to_owned()],
        key_sink: KeySink::File(first_key.clone()),
        recipients: Vec::new(),
        values,
        toolkit,
        gitleaks_sha256: init::GITLEAKS_SHA256.to_owned(),
        owner: "@secops".to_owned(),
        dry_run: false,
    };
    let outcome = init::init(&sandbox.repo, &options, created, stderr)?;
    let mut plan = Vec::new();
    init::print_plan(&outcome, &options, &mut plan)?;
    writeln!(stderr, "entre eles:")?;
    for line in String::from_utf8_lossy(&plan).lines() {
        let shown = [
            ".sops.yaml",
            BUNDLE,
            MATRIX,
            init::WORKFLOW,
            "executions.jsonl",
            "nova chave",
            "TODO",
        ];
        if shown.iter().any(|s| line.contains(s)) {
            writeln!(stderr, "  {line}")?;
        }
    }
    if options.toolkit.is_none() {
        writeln!(
            stderr,
            "  (este binário não registra de onde veio: o sandbox não roda CI, então a fonte fica TODO aqui; uma equipe passa --toolkit-git URL --toolkit-rev COMMIT ao init)"
        )?;
    }
    Ok(first_key)
}

/// The controls after init fail on the matrix's `TODO` cells only; the demo fills them (as
/// the team would, with its functions and channels), shows the controls passing, and
/// commits.
fn fill_todos(
    sandbox: &Sandbox,
    at: Timestamp,
    stderr: &mut dyn Write,
) -> Result<(), Box<Failure>> {
    let repo = &sandbox.repo;
    writeln!(stderr, "\n== Controles depois do init (ops-controls)")?;
    let report = crate::rotate::ops_report(repo, at)?;
    let blocking: Vec<_> = report.blocking_checks().collect();
    for check in &blocking {
        // Per file, the lines named: `docs/ops/incident-response.md, linhas 10, 11`.
        let mut places: std::collections::BTreeMap<&str, Vec<String>> =
            std::collections::BTreeMap::new();
        for l in &check.locations {
            places
                .entry(l.file.as_str())
                .or_default()
                .extend(l.line.map(|n| n.to_string()));
        }
        let places: Vec<String> = places
            .into_iter()
            .map(|(file, lines)| match lines.as_slice() {
                [] => file.to_owned(),
                [one] => format!("{file}, linha {one}"),
                many => format!("{file}, linhas {}", many.join(", ")),
            })
            .collect();
        writeln!(
            stderr,
            "  FALHA {}: {} ({})",
            check.id,
            check.title,
            places.join("; ")
        )?;
    }
    if blocking.iter().any(|c| c.id != "DOC-002") || blocking.is_empty() {
        return Err(Failure::problem(format!(
            "the demo expected init to leave only DOC-002 (the matrix's TODO cells) failing; failing: {}",
            blocking
                .iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let path = repo.join(MATRIX);
    let mut text = fs_err::read_to_string(&path)?;
    for (role, cells) in CONTACTS {
        let todo = format!("| {role} | TODO | TODO | TODO | TODO |");
        if !text.contains(&todo) {
            return Err(Failure::usage(format!(
                "{MATRIX}: the row of {role} is not init's TODO row"
            )));
        }
        text = text.replace(&todo, &format!("| {role} | {cells} |"));
    }
    fsio::write_atomic(&path, text.as_bytes(), WriteOptions::PUBLIC)?;
    writeln!(
        stderr,
        "a equipe preenche a matriz de contato ({MATRIX}): funções e canais de cada papel (a demonstração o faz por ela)"
    )?;
    let report = crate::rotate::ops_report(repo, at)?;
    if let Some(check) = report.blocking_checks().next() {
        return Err(Failure::problem(format!(
            "the filled repository still fails {}: {}",
            check.id, check.message
        )));
    }
    writeln!(stderr, "ops-controls: todos os controles passam")?;
    git(repo, &["add", "-A"])?;
    git(
        repo,
        &["commit", "-q", "-m", "matriz de contato preenchida"],
    )?;
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
    writeln!(
        stderr,
        "\n== Rotação programada ({} rotate)",
        crate::program_name()
    )?;
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
        "\n== Rotação emergencial ({} rotate --emergency)",
        crate::program_name()
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
