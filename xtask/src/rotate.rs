//! `cargo xtask rotate`: the runbook's "Rotação programada" and "Rotação emergencial", step by
//! step, in one process, calling the tools' libraries. All or nothing: every file the rotation
//! may touch is snapshotted first and restored byte for byte when a step fails.

use std::io::{Read as _, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, ExitCode, Stdio};
use std::time::Instant;

use bundle_core::config::{CONFIG_FILE_NAME, SopsConfig, replace_rule_recipients};
use bundle_core::fsio::{self, WriteOptions};
use bundle_core::keys::{Identities, KeyEnv, KeyPair};
use bundle_core::ops::evidence::{DEFAULT_DIR, EvidenceLog, Kind, Link, Timestamp};
use bundle_core::ops::mcp::{HEADER_KEYS, Header};
use bundle_core::sops::SopsFile;
use bundle_core::store::EmitOptions;
use bundle_core::treepath::TreePath;
use bundle_core::{Scalar, Text, Value};
use clap::Args;
use zeroize::Zeroizing;

use crate::{Failure, TaskResult};

/// The bundle, relative to the repository.
pub(crate) const BUNDLE: &str = "config/secrets.enc.yaml";
/// The name of the ops-controls report attached to the evidence.
pub(crate) const REPORT_NAME: &str = "ops-controls-report.json";

/// Arguments of `cargo xtask rotate`.
// Flags of a command line: each bool is one independent switch.
#[allow(clippy::struct_excessive_bools)]
#[derive(Args, Debug)]
pub(crate) struct RotateArgs {
    /// Why (scheduled): audit, expiry, legal requirement...
    #[arg(long, value_name = "TEXT", required_unless_present = "emergency")]
    reason: Option<String>,
    /// A person responsible (repeat; an emergency needs two).
    #[arg(long, value_name = "NAME", required = true)]
    responsible: Vec<String>,
    /// Replace a value: `KEY=@FILE` reads it from a file, `KEY=-` from stdin (never from argv).
    #[arg(long = "set", value_name = "KEY=@FILE|KEY=-")]
    sets: Vec<String>,
    /// Write the new private key here (mode 0600, outside the repository, never overwritten).
    #[arg(long, value_name = "PATH", conflicts_with = "key_cmd", required_unless_present_any = ["key_cmd", "dry_run"])]
    key_out: Option<PathBuf>,
    /// Run this shell command with the new private key on stdin (e.g. a password-manager CLI).
    #[arg(long, value_name = "CMD")]
    key_cmd: Option<String>,
    /// A link for the evidence (CI run, PR, alert), `LABEL=URL` (repeatable).
    #[arg(long, value_name = "LABEL=URL")]
    link: Vec<String>,
    /// After the guard passes: a branch `rotation/v<N>`, one commit, and a PR body file.
    #[arg(long)]
    commit: bool,
    /// Print the plan and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Validate by syncing into the real `$MCP_HOME` (else `~/.mcp`) instead of a temporary
    /// directory; its files are restored too if the rotation fails.
    #[arg(long)]
    sync: bool,
    /// The repository.
    #[arg(long, value_name = "DIR", default_value = ".")]
    repo: PathBuf,
    /// Tests only: skip the 24 h plan rule (recorded in the evidence).
    #[arg(long, hide = true)]
    no_window_check: bool,
    /// Rotação emergencial: needs --incident and two --responsible.
    #[arg(long, requires = "incident")]
    emergency: bool,
    /// The incident or alert id (emergency).
    #[arg(long, value_name = "ID")]
    incident: Option<String>,
    /// A compromised recipient to remove (emergency; default: all current ones).
    #[arg(long, value_name = "RECIPIENT", requires = "emergency")]
    compromised: Vec<String>,
    /// An identity file of the replaced key: proves it no longer decrypts the new bundle
    /// (default: the current key, when every recipient is replaced).
    #[arg(long, value_name = "FILE")]
    old_identity: Vec<PathBuf>,
}

/// Where the new private key goes.
#[derive(Debug, Clone)]
pub(crate) enum KeySink {
    /// A new 0600 file outside the repository.
    File(PathBuf),
    /// A shell command reading the key on stdin.
    Command(String),
}

/// A value replacement: the path and where its value comes from.
#[derive(Debug, Clone)]
pub(crate) enum SetSource {
    /// Read from this file.
    File(PathBuf),
    /// Read from stdin.
    Stdin,
}

/// Everything one rotation needs, independent of the process (the demo builds it directly).
#[allow(clippy::struct_excessive_bools)]
pub(crate) struct Request {
    pub(crate) repo: PathBuf,
    pub(crate) reason: Option<String>,
    pub(crate) responsible: Vec<String>,
    pub(crate) emergency: Option<Emergency>,
    pub(crate) sets: Vec<(String, SetSource)>,
    pub(crate) key_sink: Option<KeySink>,
    pub(crate) links: Vec<String>,
    pub(crate) commit: bool,
    pub(crate) dry_run: bool,
    /// Sync into the real `~/.mcp` (`Some(dir)`) instead of a temporary directory.
    pub(crate) sync_to: Option<PathBuf>,
    pub(crate) window_check: bool,
    /// The current key(s).
    pub(crate) keys: KeyEnv,
    /// Identity files of the replaced key, for the proof that it no longer decrypts.
    pub(crate) old_identities: Vec<PathBuf>,
    /// The time of the rotation; `explicit` when fixed by the caller.
    pub(crate) now: Timestamp,
    pub(crate) now_explicit: bool,
}

/// The emergency part of a request.
pub(crate) struct Emergency {
    pub(crate) incident: String,
    pub(crate) compromised: Vec<String>,
}

/// What a successful rotation produced.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) version_to: u64,
    pub(crate) recipient: String,
    pub(crate) evidence_id: String,
}

/// `SOURCE_DATE_EPOCH` when set, else the clock.
pub(crate) fn now_from_env() -> Result<(Timestamp, bool), Box<Failure>> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if !v.is_empty() => Ok((
            Timestamp::from_source_date_epoch(&v).map_err(Failure::wrap(2))?,
            true,
        )),
        _ => Ok((Timestamp::now(), false)),
    }
}

/// Where secrets-sync publishes: `$MCP_HOME`, else `~/.mcp`.
fn mcp_home() -> Result<PathBuf, Box<Failure>> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("MCP_HOME") {
        return Ok(PathBuf::from(dir));
    }
    var("HOME")
        .map(|h| PathBuf::from(h).join(".mcp"))
        .ok_or_else(|| Failure::new(2, "--sync: neither MCP_HOME nor HOME is set"))
}

/// Runs `cargo xtask rotate`.
pub(crate) fn run(args: RotateArgs, stderr: &mut dyn Write) -> TaskResult {
    let (now, explicit) = now_from_env()?;
    let mut sets = Vec::new();
    for spec in &args.sets {
        sets.push(parse_set(spec)?);
    }
    let key_sink = match (args.key_out, args.key_cmd) {
        (Some(path), _) => Some(KeySink::File(path)),
        (None, Some(cmd)) => Some(KeySink::Command(cmd)),
        (None, None) => None,
    };
    let request = Request {
        repo: args.repo,
        reason: args.reason,
        responsible: args.responsible,
        emergency: args.emergency.then(|| Emergency {
            incident: args.incident.unwrap_or_default(),
            compromised: args.compromised,
        }),
        sets,
        key_sink,
        links: args.link,
        commit: args.commit,
        dry_run: args.dry_run,
        sync_to: if args.sync { Some(mcp_home()?) } else { None },
        window_check: !args.no_window_check,
        keys: KeyEnv::from_process(),
        old_identities: args.old_identity,
        now,
        now_explicit: explicit,
    };
    let outcome = rotate(&request, stderr)?;
    if let Some(outcome) = outcome {
        writeln!(
            stderr,
            "rotação concluída: MCP_SECRETS_VERSION={}, destinatário {}, evidência {}",
            outcome.version_to, outcome.recipient, outcome.evidence_id
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_set(spec: &str) -> Result<(String, SetSource), Box<Failure>> {
    let Some((key, source)) = spec.split_once('=') else {
        return Err(Failure::new(
            2,
            format!("--set {spec:?}: expected KEY=@FILE or KEY=-"),
        ));
    };
    if key.is_empty() {
        return Err(Failure::new(2, "--set: the key is empty"));
    }
    let source = if source == "-" {
        SetSource::Stdin
    } else if let Some(file) = source.strip_prefix('@') {
        SetSource::File(PathBuf::from(file))
    } else {
        return Err(Failure::new(
            2,
            format!(
                "--set {key}=...: values are never taken from the command line\nhint: use {key}=@FILE or {key}=- (stdin)"
            ),
        ));
    };
    Ok((key.to_owned(), source))
}

fn tree_path(key: &str) -> Result<TreePath, Box<Failure>> {
    if key.starts_with('[') {
        TreePath::parse(key).map_err(|e| Failure::new(2, format!("--set {key}: {e}")))
    } else {
        Ok(TreePath::keys(key.split('.')))
    }
}

/// The step printer: `[n/N] name ... ok (0.01 s)`.
struct Steps<'a> {
    total: usize,
    current: usize,
    out: &'a mut dyn Write,
}

impl Steps<'_> {
    fn run<T>(
        &mut self,
        name: &str,
        body: impl FnOnce(&mut dyn Write) -> Result<(T, String), Box<Failure>>,
    ) -> Result<T, (String, Box<Failure>)> {
        self.current += 1;
        let label = format!("[{}/{}] {name}", self.current, self.total);
        let _ = writeln!(self.out, "{label}");
        let started = Instant::now();
        let mut notes = Vec::new();
        let result = body(&mut notes);
        let elapsed = started.elapsed().as_secs_f64();
        let _ = self.out.write_all(&notes);
        match result {
            Ok((value, summary)) => {
                let _ = writeln!(self.out, "      ok: {summary} ({elapsed:.2} s)");
                Ok(value)
            }
            Err(e) => {
                let first = e.to_string();
                let first = first.lines().next().unwrap_or_default();
                let _ = writeln!(self.out, "      FALHOU ({elapsed:.2} s): {first}");
                Err((label, e))
            }
        }
    }
}

/// A file's bytes and mode.
type Saved = (Vec<u8>, u32);

/// The exact bytes of every file a rotation may touch, to put back on failure.
pub(crate) struct Snapshot {
    /// Each file with its bytes and mode, `None` when it did not exist.
    files: Vec<(PathBuf, Option<Saved>)>,
    roots: Vec<PathBuf>,
    /// The directories under the roots at snapshot time (kept even when empty).
    dirs: Vec<PathBuf>,
}

impl Snapshot {
    /// Records `files` and every file under `roots` (present or not).
    pub(crate) fn take(files: &[PathBuf], roots: &[PathBuf]) -> Result<Self, Box<Failure>> {
        let mut all: Vec<PathBuf> = files.to_vec();
        for root in roots {
            crate::files_under(root, &mut all)?;
        }
        let mut saved = Vec::new();
        for path in all {
            let bytes = match fs_err::read(&path) {
                Ok(b) => {
                    let mode = fs_err::metadata(&path)?.permissions().mode();
                    Some((b, mode))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(e.into()),
            };
            saved.push((path, bytes));
        }
        Ok(Self {
            files: saved,
            roots: roots.to_vec(),
            dirs: roots.iter().flat_map(|r| dirs_under(r)).collect(),
        })
    }

    /// Puts every recorded file back and removes files created under the roots since.
    pub(crate) fn restore(&self) -> Result<(), Box<Failure>> {
        let mut now = Vec::new();
        for root in &self.roots {
            crate::files_under(root, &mut now)?;
        }
        for path in now {
            if !self.files.iter().any(|(p, _)| *p == path) {
                fs_err::remove_file(&path)?;
            }
        }
        for (path, bytes) in &self.files {
            match bytes {
                Some((b, mode)) => {
                    if fs_err::read(path).ok().as_deref() != Some(b.as_slice()) {
                        fs_err::write(path, b)?;
                    }
                    fs_err::set_permissions(path, std::fs::Permissions::from_mode(*mode))?;
                }
                None => {
                    if path.exists() {
                        fs_err::remove_file(path)?;
                    }
                }
            }
        }
        for root in &self.roots {
            prune_new_dirs(root, &self.dirs);
        }
        Ok(())
    }
}

/// `dir` and every directory below it.
fn dirs_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if fs_err::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) {
        out.push(dir.to_owned());
        if let Ok(entries) = fs_err::read_dir(dir) {
            for entry in entries.flatten() {
                out.extend(dirs_under(&entry.path()));
            }
        }
    }
    out
}

/// Removes the directories created since the snapshot (deepest first; only empty ones).
fn prune_new_dirs(root: &Path, keep: &[PathBuf]) {
    let mut found = dirs_under(root);
    found.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for dir in found {
        if !keep.contains(&dir) {
            let _ = fs_err::remove_dir(&dir);
        }
    }
}

/// Runs git in `repo`, returning stdout.
pub(crate) fn git(repo: &Path, args: &[&str]) -> Result<String, Box<Failure>> {
    let output = Process::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Failure::new(2, format!("git {}: {e}", args.join(" "))))?;
    if !output.status.success() {
        return Err(Failure::new(
            2,
            format!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Runs ops-controls on `repo` at `now`.
pub(crate) fn ops_report(
    repo: &Path,
    now: Timestamp,
) -> Result<bundle_core::ops::report::Report, Box<Failure>> {
    let mut options = ops_controls::Options::new(repo.to_owned());
    options.now = now.unix();
    ops_controls::generate(&options).map_err(|e| {
        let code = e.exit_code();
        Failure::wrap(code)(e)
    })
}

fn blocking_ids(report: &bundle_core::ops::report::Report) -> Vec<String> {
    report.blocking_checks().map(|c| c.id.clone()).collect()
}

fn gitleaks_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("gitleaks"))
        .find(|p| p.is_file())
}

/// The steps, named as in the runbook's section for `kind`.
fn step_names(kind: Kind) -> [&'static str; 7] {
    if kind == Kind::Emergency {
        [
            "Acionamento (pré-verificação)",
            "Reconstrução do bundle: gerar chave",
            "Reconstrução do bundle",
            "Validação cruzada",
            "Comunicação e handoff (evidências)",
            "Validação pós-rotação (rotation-guard)",
            "Abrir PR",
        ]
    } else {
        [
            "Planejar janela (pré-verificação)",
            "Gerar chave",
            "Atualizar bundle",
            "Validar pipelines",
            "Sincronizar auditoria (evidências)",
            "Validação pós-rotação (rotation-guard)",
            "Abrir PR",
        ]
    }
}

/// Runs one rotation. `Ok(None)` for a dry run.
#[allow(clippy::too_many_lines)]
pub(crate) fn rotate(
    request: &Request,
    stderr: &mut dyn Write,
) -> Result<Option<Outcome>, Box<Failure>> {
    let repo = fs_err::canonicalize(&request.repo)?;
    let bundle_path = repo.join(BUNDLE);
    let config_path = repo.join(CONFIG_FILE_NAME);
    let evidence_dir = repo.join(DEFAULT_DIR);
    let kind = if request.emergency.is_some() {
        Kind::Emergency
    } else {
        Kind::Scheduled
    };
    let title = if request.emergency.is_some() {
        "Rotação emergencial"
    } else {
        "Rotação programada"
    };
    if let Some(e) = &request.emergency
        && e.incident.trim().is_empty()
    {
        return Err(Failure::new(2, "an emergency rotation needs --incident ID"));
    }
    if request.emergency.is_some() {
        let mut people: Vec<&str> = request.responsible.iter().map(|r| r.trim()).collect();
        people.sort_unstable();
        people.dedup();
        if people.len() < 2 {
            return Err(Failure::new(
                2,
                "an emergency rotation needs two different people\nhint: pass --responsible A --responsible B",
            ));
        }
    }
    let total = 6 + usize::from(request.commit);
    writeln!(stderr, "{title} em {}", repo.display())?;
    let names = step_names(kind);
    if request.dry_run {
        writeln!(stderr, "--dry-run: nada será alterado")?;
        let mut steps = Steps {
            total,
            current: 0,
            out: stderr,
        };
        steps
            .run(names[0], |notes| preflight(request, &repo, kind, notes))
            .map_err(|(_, e)| e)?;
        let details = [
            "",
            "age, em memória; a privada só para --key-out/--key-cmd",
            "novo destinatário no .sops.yaml, nova chave de dados, MCP_SECRETS_VERSION + 1",
            "secrets-sync com a chave nova, ops-controls, gitleaks, scan-leaks",
            "evidence-writer record com o relatório anexado",
            "rotation-guard check --base HEAD",
            "branch rotation/v<N>, um commit, corpo do PR",
        ];
        for i in 1..total {
            writeln!(
                stderr,
                "[{}/{total}] {}: {} (não executado)",
                i + 1,
                names[i],
                details[i]
            )?;
        }
        return Ok(None);
    }
    let Some(sink) = request.key_sink.clone() else {
        return Err(Failure::new(
            2,
            "the new private key needs a destination\nhint: pass --key-out PATH (outside the repository) or --key-cmd CMD",
        ));
    };
    if let KeySink::File(path) = &sink {
        refuse_inside(&repo, path)?;
    }
    // Read every --set value before touching anything.
    let mut values: Vec<(TreePath, Zeroizing<String>)> = Vec::new();
    let mut stdin_used = false;
    for (key, source) in &request.sets {
        let text = match source {
            SetSource::File(path) => Zeroizing::new(fs_err::read_to_string(path)?),
            SetSource::Stdin => {
                if stdin_used {
                    return Err(Failure::new(2, "--set: only one value can come from stdin"));
                }
                stdin_used = true;
                let mut s = Zeroizing::new(String::new());
                std::io::stdin().read_to_string(&mut s)?;
                s
            }
        };
        let trimmed = Zeroizing::new(text.strip_suffix('\n').unwrap_or(&text).to_owned());
        values.push((tree_path(key)?, trimmed));
    }

    let mut roots = vec![evidence_dir.clone()];
    roots.extend(request.sync_to.clone());
    let snapshot = Snapshot::take(&[bundle_path.clone(), config_path.clone()], &roots)?;
    let work = tempfile::Builder::new()
        .prefix("xtask-rotate-")
        .tempdir()
        .map_err(|e| Failure::new(2, format!("temporary directory: {e}")))?;
    let mut delivered: Option<String> = None;
    let mut steps = Steps {
        total,
        current: 0,
        out: stderr,
    };
    let result = run_steps(
        request,
        &repo,
        kind,
        &sink,
        &values,
        work.path(),
        &mut steps,
        &mut delivered,
    );
    match result {
        Ok(outcome) => Ok(Some(outcome)),
        Err((step, err)) => {
            let restored = snapshot.restore();
            let out = steps.out;
            writeln!(out, "a rotação parou em {step}")?;
            match restored {
                Ok(()) => writeln!(
                    out,
                    "todos os arquivos (bundle, {CONFIG_FILE_NAME}, evidências{}) voltaram aos bytes anteriores",
                    if request.sync_to.is_some() {
                        ", ~/.mcp"
                    } else {
                        ""
                    }
                )?,
                Err(e) => writeln!(out, "ATENÇÃO: falha ao restaurar os arquivos: {e}")?,
            }
            if let Some(to) = delivered {
                writeln!(
                    out,
                    "a chave entregue a {to} NÃO foi usada: descarte-a (o bundle continua com as chaves anteriores)"
                )?;
            }
            Err(err)
        }
    }
}

fn refuse_inside(repo: &Path, path: &Path) -> Result<(), Box<Failure>> {
    let absolute = std::path::absolute(path)?;
    let parent = absolute.parent().unwrap_or(Path::new("/"));
    let parent = fs_err::canonicalize(parent).map_err(|e| {
        Failure::new(
            2,
            format!(
                "--key-out {}: the directory must exist ({e})",
                path.display()
            ),
        )
    })?;
    if parent.starts_with(repo) {
        return Err(Failure::new(
            2,
            format!(
                "--key-out {}: refusing to write a private key inside the repository\nhint: choose a path outside {}",
                path.display(),
                repo.display()
            ),
        ));
    }
    if fs_err::symlink_metadata(path).is_ok() {
        return Err(Failure::new(
            2,
            format!(
                "--key-out {}: the file exists; refusing to overwrite it",
                path.display()
            ),
        ));
    }
    Ok(())
}

type Preflight = (SopsFile, Identities, u64);

/// Step 1, read-only: clean tree, ops-controls, the bundle decrypts, the plan (scheduled).
fn preflight(
    request: &Request,
    repo: &Path,
    kind: Kind,
    notes: &mut dyn Write,
) -> Result<(Preflight, String), Box<Failure>> {
    let bundle_path = repo.join(BUNDLE);
    let evidence_dir = repo.join(DEFAULT_DIR);
    let now = request.now;
    let status = git(repo, &["status", "--porcelain"])?;
    if !status.trim().is_empty() {
        return Err(Failure::new(
            1,
            format!("the git tree is not clean:\n{status}hint: commit or stash the changes first"),
        ));
    }
    let report = ops_report(repo, now)?;
    if !report.summary.passed {
        return Err(Failure::new(
            1,
            format!("ops-controls fails: {}", blocking_ids(&report).join(", ")),
        ));
    }
    let current = SopsFile::read(&bundle_path)?;
    let old_ids = Identities::discover(&request.keys)?;
    current.decrypt(&old_ids)?;
    let version = Header::read(&current).version.ok_or_else(|| {
        Failure::new(
            1,
            format!("{BUNDLE}: MCP_SECRETS_VERSION is not a plaintext integer"),
        )
    })?;
    let version =
        u64::try_from(version).map_err(|_| Failure::new(1, "MCP_SECRETS_VERSION is negative"))?;
    if kind == Kind::Scheduled {
        let log = EvidenceLog::load(&evidence_dir).map_err(Failure::wrap(2))?;
        match plan_check(&log, version + 1, now) {
            Ok(()) => {}
            Err(message) if !request.window_check => {
                writeln!(notes, "      aviso: {message} (--no-window-check)")?;
            }
            Err(message) => {
                return Err(Failure::new(
                    1,
                    format!(
                        "RG-014: {message}\nhint: record the window first: evidence-writer record --kind plan --window-start ... at least 24 h ahead"
                    ),
                ));
            }
        }
    }
    Ok((
        (current, old_ids, version),
        format!("árvore limpa, ops-controls ok, bundle v{version} decifra"),
    ))
}

type StepResult<T> = Result<T, (String, Box<Failure>)>;

#[allow(clippy::too_many_arguments, clippy::too_many_lines)]
fn run_steps(
    request: &Request,
    repo: &Path,
    kind: Kind,
    sink: &KeySink,
    values: &[(TreePath, Zeroizing<String>)],
    work: &Path,
    steps: &mut Steps<'_>,
    delivered: &mut Option<String>,
) -> StepResult<Outcome> {
    let bundle_path = repo.join(BUNDLE);
    let config_path = repo.join(CONFIG_FILE_NAME);
    let evidence_dir = repo.join(DEFAULT_DIR);
    let now = request.now;
    let names = step_names(kind);

    // 1. Preflight.
    let (current, old_ids, version) =
        steps.run(names[0], |notes| preflight(request, repo, kind, notes))?;
    let version_to = version + 1;

    // 2. New key.
    let pair = steps.run(names[1], |_| {
        let pair = KeyPair::generate();
        let text = Zeroizing::new(format!(
            "# created: {}\n# public key: {}\n{}\n",
            now,
            pair.recipient(),
            pair.expose_identity()
        ));
        let to = match sink {
            KeySink::File(path) => {
                fsio::write_atomic(path, text.as_bytes(), WriteOptions::PRIVATE_NEW)?;
                format!("{} (0600)", path.display())
            }
            KeySink::Command(cmd) => {
                deliver_to_command(cmd, text.as_bytes())?;
                "--key-cmd".to_owned()
            }
        };
        *delivered = Some(to.clone());
        let summary = format!("novo destinatário {} -> {to}", pair.recipient());
        Ok((pair, summary))
    })?;
    let recipient = pair.recipient();
    let key_file = work.join("new-key.txt");

    // 3. Update the bundle.
    let updated = steps.run(names[2], |_| {
        let config_text = fs_err::read_to_string(&config_path)?;
        let config = SopsConfig::parse(&config_path, &config_text)?;
        let index = config.rule_index_for(&bundle_path)?;
        let mut kept: Vec<String> = Vec::new();
        if let Some(emergency) = &request.emergency
            && !emergency.compromised.is_empty()
        {
            let current: Vec<&str> = config.creation_rules[index].recipients().collect();
            if let Some(unknown) = emergency
                .compromised
                .iter()
                .find(|c| !current.contains(&c.trim()))
            {
                return Err(Failure::new(
                    2,
                    format!("--compromised {unknown}: not a recipient of the {CONFIG_FILE_NAME} rule"),
                ));
            }
            for r in config.creation_rules[index].recipients() {
                if !emergency.compromised.iter().any(|c| c.trim() == r) {
                    kept.push(r.to_owned());
                }
            }
        }
        kept.push(recipient.clone());
        let new_config = replace_rule_recipients(&config_text, index, &kept)?;
        let mut decrypted = current.decrypt(&old_ids)?;
        decrypted.set_recipients(std::slice::from_ref(&kept), None)?;
        decrypted.rotate_data_key()?;
        for (path, value) in values {
            decrypted.set(path, Value::Scalar(Scalar::Str(Text::new(value.to_string()))))?;
        }
        let header = Header {
            version: Some(i64::try_from(version_to).map_err(|_| Failure::new(2, "version overflow"))?),
            reason: Some(rotation_reason(request)),
            rotated_at: Some(now.to_string()),
            incident: request.emergency.as_ref().map(|e| e.incident.clone()),
        };
        header.apply(&mut decrypted);
        let encrypted = decrypted.encrypt(now.unix())?;
        encrypted.write(&bundle_path, EmitOptions::default())?;
        fsio::write_atomic(&config_path, new_config.as_bytes(), WriteOptions::PUBLIC)?;
        Ok((
            encrypted,
            format!(
                "v{version} -> v{version_to}, {} destinatário(s), nova chave de dados, {} valor(es) substituído(s)",
                kept.len(),
                values.len()
            ),
        ))
    })?;

    // 4. Validate.
    let report_path = work.join(REPORT_NAME);
    steps.run(names[3], |notes| {
        fsio::write_atomic(
            &key_file,
            format!("{}\n", pair.expose_identity()).as_bytes(),
            WriteOptions::PRIVATE,
        )?;
        let new_ids = pair.to_identities();
        updated.decrypt(&new_ids)?;
        let every_recipient_replaced = request
            .emergency
            .as_ref()
            .is_none_or(|e| e.compromised.is_empty());
        let proven = if !request.old_identities.is_empty() {
            let mut text = Zeroizing::new(String::new());
            for file in &request.old_identities {
                text.push_str(&fs_err::read_to_string(file)?);
                text.push('\n');
            }
            let replaced = Identities::from_text("--old-identity", &text)?;
            Some(updated.decrypt(&replaced).is_err())
        } else if every_recipient_replaced {
            Some(updated.decrypt(&old_ids).is_err())
        } else {
            None
        };
        match proven {
            Some(true) => writeln!(notes, "      a chave substituída não decifra mais o bundle")?,
            Some(false) => {
                return Err(Failure::new(3, "the replaced key still decrypts the new bundle"));
            }
            None => writeln!(
                notes,
                "      aviso: sem --old-identity, a prova de que a chave comprometida não decifra não foi feita"
            )?,
        }
        // secrets-sync into a private temporary directory, with the new key only.
        let out_dir = request.sync_to.clone().unwrap_or_else(|| work.join("mcp"));
        let sync_args = secrets_sync::Args {
            repo: repo.to_owned(),
            bundle: None,
            out_dir: Some(out_dir.clone()),
            remove_key_file: false,
            check: false,
            dry_run: false,
            json: false,
        };
        let ctx = secrets_sync::Context {
            keys: KeyEnv {
                sops_age_key_file: Some(key_file.clone()),
                ..KeyEnv::default()
            },
            mcp_home: None,
            home: None,
            step_hook: None,
        };
        let mut sink_out = Vec::new();
        let mut sink_err = Vec::new();
        let code = secrets_sync::run_with(&sync_args, &ctx, &mut sink_out, &mut sink_err).map_err(
            |e| {
                let code = e.exit_code();
                Failure::wrap(code)(e)
            },
        )?;
        if code != ExitCode::SUCCESS {
            return Err(Failure::new(1, "secrets-sync with the new key did not succeed"));
        }
        writeln!(
            notes,
            "      secrets-sync com a chave nova: ok ({})",
            out_dir.display()
        )?;
        let report = ops_report(repo, now)?;
        // DOC-004 (activation entry for the new version) is satisfied by the next step.
        let blocking: Vec<String> = blocking_ids(&report)
            .into_iter()
            .filter(|id| id != "DOC-004")
            .collect();
        if !blocking.is_empty() {
            return Err(Failure::new(
                1,
                format!("ops-controls fails: {}", blocking.join(", ")),
            ));
        }
        fsio::write_atomic(
            &report_path,
            report.to_json().as_bytes(),
            WriteOptions::PUBLIC,
        )?;
        writeln!(
            notes,
            "      ops-controls: {} ok de {}",
            report.summary.pass, report.summary.total
        )?;
        if let Some(binary) = gitleaks_binary() {
            let outcome = rotation_guard::gitleaks::run_gitleaks(
                &rotation_guard::gitleaks::GitleaksOptions {
                    repo: repo.to_owned(),
                    config: None,
                    report: None,
                    binary: Some(binary),
                },
            )
            .map_err(Failure::wrap(2))?;
            if outcome.outcome != rotation_guard::gitleaks::Verdict::Clean {
                return Err(Failure::new(
                    1,
                    format!("gitleaks: {} finding(s)", outcome.findings.len()),
                ));
            }
            writeln!(notes, "      gitleaks: limpo")?;
        } else {
            writeln!(notes, "      gitleaks: ignorado (não instalado)")?;
        }
        let scan = rotation_guard::scan::scan_leaks(
            &rotation_guard::scan::ScanOptions::new(
                repo.to_owned(),
                rotation_guard::keys::KeySource::Files(vec![key_file.clone()]),
            ),
            &mut Vec::new(),
        )
        .map_err(Failure::wrap(2))?;
        if !scan.findings.is_empty() {
            return Err(Failure::new(
                1,
                format!(
                    "scan-leaks: {} secret value(s) found in the tree",
                    scan.findings.len()
                ),
            ));
        }
        writeln!(
            notes,
            "      scan-leaks: {} valor(es) procurados, nenhum encontrado",
            scan.secrets
        )?;
        Ok(((), "bundle validado com a chave nova".to_owned()))
    })?;

    // 5. Evidence.
    let evidence_id = steps.run(names[4], |_| {
        let at = evidence_writer::Now {
            at: now,
            explicit: request.now_explicit,
        };
        if let Some(emergency) = &request.emergency {
            let mut comms = evidence_writer::RecordRequest::new(Kind::Comms);
            comms.incident = Some(emergency.incident.clone());
            comms.message = Some(format!(
                "Bundle rotacionado para v{version_to}; destinatários comprometidos removidos"
            ));
            evidence_writer::record(&evidence_dir, &comms, at, None).map_err(Failure::wrap(2))?;
        }
        let mut record = evidence_writer::RecordRequest::new(kind);
        record.reason = Some(rotation_reason(request));
        record.responsible.clone_from(&request.responsible);
        record.incident = request.emergency.as_ref().map(|e| e.incident.clone());
        record.version_from = Some(version);
        record.version_to = Some(version_to);
        for link in &request.links {
            record
                .links
                .push(Link::parse(link).map_err(Failure::wrap(2))?);
        }
        record.attachments.push(report_path.clone());
        let outcome =
            evidence_writer::record(&evidence_dir, &record, at, None).map_err(Failure::wrap(2))?;
        let id = outcome_id(&outcome);
        Ok((id.clone(), format!("{id} em {DEFAULT_DIR}")))
    })?;

    // 6. Guard.
    steps.run(names[5], |_| {
        let mut options = rotation_guard::check::CheckOptions::new(repo.to_owned(), "HEAD");
        options.keys = rotation_guard::keys::KeySource::Files(vec![key_file.clone()]);
        let report = rotation_guard::check::check(&options).map_err(Failure::wrap(2))?;
        let failed: Vec<String> = report
            .rules
            .iter()
            .filter(|r| r.status == rotation_guard::rules::Status::Fail)
            .filter(|r| request.window_check || r.id != "RG-014")
            .map(|r| format!("{} ({})", r.id, r.message))
            .collect();
        if !failed.is_empty() {
            return Err(Failure::new(
                1,
                format!("rotation-guard check: {}", failed.join("; ")),
            ));
        }
        let controls = ops_report(repo, now)?;
        if !controls.summary.passed {
            return Err(Failure::new(
                1,
                format!("ops-controls fails: {}", blocking_ids(&controls).join(", ")),
            ));
        }
        Ok((
            (),
            format!(
                "{} regras, nenhuma falha; ops-controls ok",
                report.rules.len()
            ),
        ))
    })?;

    // 7. Commit.
    if request.commit {
        steps.run(names[6], |_| {
            let branch = format!("rotation/v{version_to}");
            if git(
                repo,
                &[
                    "rev-parse",
                    "--verify",
                    "--quiet",
                    &format!("refs/heads/{branch}"),
                ],
            )
            .is_ok()
            {
                return Err(Failure::new(
                    1,
                    format!("the branch {branch} already exists"),
                ));
            }
            let previous = git(repo, &["rev-parse", "--abbrev-ref", "HEAD"])?;
            git(repo, &["switch", "-q", "-c", &branch])?;
            let message = format!(
                "{}: MCP_SECRETS_VERSION {version} -> {version_to}",
                kind_title(kind)
            );
            let committed = git(repo, &["add", "--", BUNDLE, CONFIG_FILE_NAME, DEFAULT_DIR])
                .and_then(|_| git(repo, &["commit", "-q", "-m", &message]));
            if let Err(e) = committed {
                // Back to where we were: the files themselves are restored by the snapshot.
                let _ = git(repo, &["reset", "-q"]);
                let _ = git(repo, &["switch", "-q", previous.trim()]);
                let _ = git(repo, &["branch", "-q", "-D", &branch]);
                return Err(e);
            }
            let body = pr_body(request, kind, version, version_to, &evidence_id);
            let git_dir = git(repo, &["rev-parse", "--absolute-git-dir"])?;
            let body_path =
                PathBuf::from(git_dir.trim()).join(format!("rotation-v{version_to}-PR.md"));
            fsio::write_atomic(&body_path, body.as_bytes(), WriteOptions::PUBLIC)?;
            Ok((
                (),
                format!("branch {branch}, corpo do PR em {}", body_path.display()),
            ))
        })?;
    }

    let provider_checklist = if request.emergency.is_some() {
        updated
            .leaves()
            .into_iter()
            .filter(|l| l.encrypted)
            .map(|l| l.path.join("."))
            .filter(|p| !HEADER_KEYS.contains(&p.as_str()))
            .collect()
    } else {
        Vec::new()
    };
    if !provider_checklist.is_empty() {
        let out = &mut *steps.out;
        let _ = writeln!(
            out,
            "Checklist do provedor: revogue/rotacione na origem cada valor abaixo (o histórico git ainda os guarda cifrados com a chave antiga):"
        );
        for name in &provider_checklist {
            let _ = writeln!(out, "  - [ ] {name}");
        }
    }
    Ok(Outcome {
        version_to,
        recipient,
        evidence_id,
    })
}

/// The stable id of a recorded (or already present) execution.
pub(crate) fn outcome_id(outcome: &evidence_writer::RecordOutcome) -> String {
    match outcome {
        evidence_writer::RecordOutcome::Recorded { id, .. }
        | evidence_writer::RecordOutcome::Unchanged { id } => id.clone(),
    }
}

fn kind_title(kind: Kind) -> &'static str {
    if kind == Kind::Emergency {
        "Rotação emergencial"
    } else {
        "Rotação programada"
    }
}

fn rotation_reason(request: &Request) -> String {
    let mut reason = request.reason.clone().unwrap_or_else(|| {
        request
            .emergency
            .as_ref()
            .map(|e| format!("incidente {}", e.incident))
            .unwrap_or_default()
    });
    if !request.window_check {
        reason.push_str(" [--no-window-check]");
    }
    reason
}

/// The scheduled rotation to `version_to` must have a plan announced ≥ 24 h before its window
/// (bundle-core's evidence rule, the one rotation-guard's RG-014 checks afterwards), and the
/// window must have started.
fn plan_check(log: &EvidenceLog, version_to: u64, now: Timestamp) -> Result<(), String> {
    let plan = log
        .plan_for_next_rotation(version_to)
        .map_err(|p| p.to_string())?;
    if let Some(start) = plan.execution.window_start
        && start.unix() > now.unix()
    {
        return Err(format!(
            "the window of {} starts at {start}",
            plan.execution.id
        ));
    }
    Ok(())
}

fn deliver_to_command(cmd: &str, key: &[u8]) -> Result<(), Box<Failure>> {
    let mut child = Process::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| Failure::new(2, format!("--key-cmd: cannot start the command: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that exits without reading gives a broken pipe: its status decides.
        let _ = stdin.write_all(key);
    }
    let status = child
        .wait()
        .map_err(|e| Failure::new(2, format!("--key-cmd: {e}")))?;
    if !status.success() {
        return Err(Failure::new(
            2,
            format!("--key-cmd exited with {status}: the key was not stored"),
        ));
    }
    Ok(())
}

fn pr_body(request: &Request, kind: Kind, from: u64, to: u64, evidence_id: &str) -> String {
    use std::fmt::Write as _;
    let mut body = format!(
        "## {}: MCP_SECRETS_VERSION {from} -> {to}\n\n",
        kind_title(kind)
    );
    let _ = write!(body, "Motivo: {}\n\n", rotation_reason(request));
    let _ = write!(body, "Responsáveis: {}\n\n", request.responsible.join(", "));
    if let Some(e) = &request.emergency {
        let _ = write!(body, "Incidente: {}\n\n", e.incident);
    }
    body.push_str("### Checklist\n\n");
    for item in [
        "Pré-verificação (árvore limpa, ops-controls, plano com 24 h)",
        "Nova chave age entregue fora do repositório",
        "Bundle recifrado com nova chave de dados, versão + 1",
        "secrets-sync com a chave nova, ops-controls, gitleaks, scan-leaks",
        "Evidência registrada",
        "rotation-guard check --base HEAD",
    ] {
        let _ = writeln!(body, "- [x] {item}");
    }
    let _ = write!(
        body,
        "\n### Evidências\n\n- `{DEFAULT_DIR}/` entrada `{evidence_id}` (relatório ops-controls anexado)\n"
    );
    for link in &request.links {
        let _ = writeln!(body, "- {link}");
    }
    body
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use bundle_core::ops::evidence::Execution;

    fn at(hours: i64) -> Timestamp {
        Timestamp::from_unix(1_750_000_000 + hours * 3600).unwrap()
    }

    fn log_with_plan(recorded: i64, window: i64, to: Option<u64>) -> EvidenceLog {
        let mut log = EvidenceLog::new();
        let mut plan = Execution::new(Kind::Plan, at(recorded));
        plan.reason = Some("janela".to_owned());
        plan.responsible = vec!["Ana".to_owned()];
        plan.window_start = Some(at(window));
        plan.version_to = to;
        plan.version_from = to.map(|v| v - 1);
        plan.id = plan.stable_id();
        log.append(plan);
        log
    }

    #[test]
    fn plan_check_wants_24_hours_of_notice_and_a_started_window() {
        assert_eq!(
            plan_check(&log_with_plan(0, 48, Some(5)), 5, at(49)),
            Ok(())
        );
        assert_eq!(plan_check(&log_with_plan(0, 48, None), 5, at(49)), Ok(()));
        let short = plan_check(&log_with_plan(30, 48, Some(5)), 5, at(49)).unwrap_err();
        assert!(short.contains("only 18 h 0 min"), "{short}");
        let early = plan_check(&log_with_plan(0, 48, Some(5)), 5, at(47)).unwrap_err();
        assert!(early.contains("starts at"), "{early}");
        let other = plan_check(&log_with_plan(0, 48, Some(4)), 5, at(49)).unwrap_err();
        assert!(other.contains("to version 5 has no plan entry"), "{other}");
        let none = plan_check(&EvidenceLog::new(), 5, at(49)).unwrap_err();
        assert!(none.contains("no plan entry"), "{none}");
    }

    #[test]
    fn set_takes_files_or_stdin_never_a_literal_value() {
        assert!(matches!(
            parse_set("db.password=@/tmp/x").unwrap(),
            (k, SetSource::File(p)) if k == "db.password" && p == Path::new("/tmp/x")
        ));
        assert!(matches!(parse_set("token=-").unwrap(), (k, SetSource::Stdin) if k == "token"));
        let err = parse_set("token=hunter2").unwrap_err().to_string();
        assert!(err.contains("never taken from the command line"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        assert_eq!(parse_set("=@f").unwrap_err().exit_code(), 2);
        assert_eq!(parse_set("novalue").unwrap_err().exit_code(), 2);
    }

    #[test]
    fn snapshot_restores_bytes_modes_and_removes_new_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bundle.yaml");
        let absent = dir.path().join("absent.yaml");
        let evidence = dir.path().join("evidence");
        fs_err::create_dir_all(evidence.join("artifacts")).unwrap();
        fs_err::write(&file, b"before").unwrap();
        fs_err::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        fs_err::write(evidence.join("log.jsonl"), b"one\n").unwrap();
        let snapshot = Snapshot::take(
            &[file.clone(), absent.clone()],
            std::slice::from_ref(&evidence),
        )
        .unwrap();
        fsio::write_atomic(&file, b"after", WriteOptions::PUBLIC).unwrap();
        fs_err::write(&absent, b"new").unwrap();
        fs_err::write(evidence.join("log.jsonl"), b"one\ntwo\n").unwrap();
        fs_err::create_dir_all(evidence.join("artifacts/scheduled-v2")).unwrap();
        fs_err::write(evidence.join("artifacts/scheduled-v2/r.json"), b"{}").unwrap();
        snapshot.restore().unwrap();
        assert_eq!(fs_err::read(&file).unwrap(), b"before");
        assert_eq!(
            fs_err::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o640
        );
        assert!(!absent.exists());
        assert_eq!(fs_err::read(evidence.join("log.jsonl")).unwrap(), b"one\n");
        assert!(!evidence.join("artifacts/scheduled-v2").exists());
        assert!(evidence.join("artifacts").is_dir());
    }
}
