//! `cargo xtask rotate`: the runbook's "Rotação programada" and "Rotação emergencial", step by
//! step, in one process, calling the tools' libraries. All or nothing: every file the rotation
//! may touch is snapshotted first and restored byte for byte when a step fails.
//!
//! Layout: [`request`] turns the command line into a [`Request`] and checks it; [`steps`]
//! holds the [`Step`](steps::Step) list (names, numbers, order), the progress printer and the
//! loop that calls one function per step: [`preflight`] (step 1), [`rekey`] (steps 2 and 3),
//! [`validate`] (step 4), [`record`] (step 5), [`guard`] (step 6) and [`pr`] (step 7);
//! [`snapshot`] is the rollback, [`journal`] its copy on disk and [`recover`] the `--recover`
//! that uses it after a kill. This module orders them: checks, snapshot and journal, steps,
//! then restore (a step failed, or SIGINT/SIGTERM arrived and the rotation stopped before
//! its next step) or discard (all passed).
//!
//! What must stay true, on top of each module's rules: while a journal exists nothing else
//! runs but `--recover`; the new private key reaches disk only at `--key-out`; the
//! rotation's temporary directory (0700, `xtask-rotate-<pid>-…`) is removed on every exit
//! path, and the leftovers of a killed rotation (a dead pid, the same owner) at the next
//! start; a signal is acted on between steps only, and a second one ends the process at
//! once (exit 130, the journal left for `--recover`).

use bundle_core::ExitStatus;
use std::io::Write;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use bundle_core::config::CONFIG_FILE_NAME;
use bundle_core::ops::evidence::{DEFAULT_DIR, Kind};
use bundle_core::time::Timestamp;

use crate::{Failure, TaskResult};

mod emergency;
mod guard;
mod journal;
mod pr;
mod preflight;
mod record;
mod recover;
mod rekey;
mod request;
mod snapshot;
mod steps;
mod validate;

pub(crate) use emergency::CommsSource;
pub(crate) use journal::refuse_if_interrupted;
pub(crate) use rekey::deliver_to_command;
pub(crate) use request::{
    Emergency, KeySink, Request, RotateArgs, SetSource, now_from_env, parse_set, refuse_key_out,
    tree_path,
};
use snapshot::Snapshot;
use steps::{Inputs, Progress, Step};

/// The bundle, relative to the repository: bundle-core's one constant, under the short name
/// xtask uses.
pub(crate) use bundle_core::ops::mcp::BUNDLE_PATH as BUNDLE;
/// The name of the ops-controls report attached to the evidence, and of the latest one kept
/// at the top of the evidence directory (the path the runbooks' `--compare` and `--attach`
/// use).
pub(crate) const REPORT_NAME: &str = "ops-controls-report.json";
/// The name of gitleaks' redacted report, attached and kept at the top of the evidence
/// directory (runbook, Validação pós-rotação 2).
pub(crate) const GITLEAKS_REPORT: &str = "gitleaks-post-rotation.json";
/// The name of the scan-leaks report attached to a rotation.
pub(crate) const SCAN_REPORT: &str = "scan-leaks.json";

/// What a successful rotation produced.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) version_to: u64,
    pub(crate) recipient: String,
    pub(crate) evidence_id: String,
}

/// What every step reads: the request, its runbook section and where the files are.
struct Rotation<'a> {
    request: &'a Request,
    kind: Kind,
    /// The repository, canonical.
    repo: &'a Path,
    bundle: PathBuf,
    config: PathBuf,
    evidence: PathBuf,
}

impl<'a> Rotation<'a> {
    fn new(request: &'a Request, repo: &'a Path) -> Self {
        Self {
            request,
            kind: request.kind(),
            repo,
            bundle: repo.join(BUNDLE),
            config: repo.join(CONFIG_FILE_NAME),
            evidence: repo.join(DEFAULT_DIR),
        }
    }

    /// The files the snapshot records one by one, and the directories it records whole.
    fn snapshot_scope(&self) -> (Vec<PathBuf>, Vec<PathBuf>) {
        let files = vec![self.bundle.clone(), self.config.clone()];
        let mut roots = vec![self.evidence.clone()];
        roots.extend(self.request.sync_to.clone());
        (files, roots)
    }
}

/// Runs `cargo xtask rotate`.
pub(crate) fn run(args: RotateArgs, stderr: &mut dyn Write) -> TaskResult {
    if args.recover {
        return recover::recover(&args.repo, stderr);
    }
    let (now, explicit) = now_from_env()?;
    let request = Request::from_args(args, now, explicit)?;
    let outcome = rotate(&request, stderr)?;
    if let Some(outcome) = outcome {
        writeln!(
            stderr,
            "rotação concluída: MCP_SECRETS_VERSION={}, destinatário {}, evidência {}",
            outcome.version_to, outcome.recipient, outcome.evidence_id
        )?;
    }
    Ok(ExitStatus::Success)
}

/// Runs one rotation. `Ok(None)` for a dry run.
pub(crate) fn rotate(
    request: &Request,
    stderr: &mut dyn Write,
) -> Result<Option<Outcome>, Box<Failure>> {
    let repo = fs_err::canonicalize(&request.repo)?;
    refuse_if_interrupted(&repo)?;
    let rotation = Rotation::new(request, &repo);
    request.check_emergency()?;
    // Issue 12: every secret decided before anything changes (a dry run checks it too).
    let record = match &request.emergency {
        Some(e) => Some(emergency::record_for(
            request,
            e,
            &rotation.bundle,
            &required_items(&repo, Kind::Emergency)?,
        )?),
        None => None,
    };
    let planned = Step::planned(request.commit);
    writeln!(
        stderr,
        "{} em {}",
        kind_title(rotation.kind),
        repo.display()
    )?;
    if request.dry_run {
        writeln!(stderr, "--dry-run: nada será alterado")?;
        let mut progress = Progress::new(rotation.kind, planned, stderr);
        steps::dry_run(&rotation, planned, &mut progress)?;
        return Ok(None);
    }
    let sink = request.key_sink_outside(&repo)?;
    // Read every --set value before touching anything.
    let values = request.read_values()?;
    let comms_message = match &request.emergency {
        Some(e) => emergency::read_comms_message(request, e, request.now)?,
        None => None,
    };

    let interrupted = stop_flag()?;
    let work = work_dir()?;

    let (files, roots) = rotation.snapshot_scope();
    let mut snapshot = Snapshot::record(&files, &roots)?;
    snapshot.journal(
        journal::journal_path(&repo)?,
        &repo,
        journal::GitStart::read(&repo)?,
        Request::describe(&sink),
        request.sync_to.as_deref(),
    )?;
    let inputs = Inputs {
        sink: &sink,
        values: &values,
        emergency: record.as_ref(),
        comms_message: comms_message.as_deref(),
        work: work.path(),
        stop: &interrupted,
    };
    let mut delivered: Option<String> = None;
    let mut progress = Progress::new(rotation.kind, planned, stderr);
    match steps::run_all(
        &rotation,
        &inputs,
        &mut progress,
        &mut snapshot,
        &mut delivered,
    ) {
        Ok(outcome) => {
            snapshot.discard()?;
            Ok(Some(outcome))
        }
        Err((step, failure)) => {
            let label = progress.label(step);
            roll_back(snapshot, request, &label, delivered, progress.out())?;
            Err(failure)
        }
    }
}

/// The flag SIGINT and SIGTERM set (registered once per process): the rotation stops before
/// its next step. While it is set a second signal ends the process at once, with exit 130.
fn stop_flag() -> Result<Arc<AtomicBool>, Box<Failure>> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    if let Some(flag) = FLAG.get() {
        return Ok(Arc::clone(flag));
    }
    let flag = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // The shutdown is registered first so that it sees the flag before this signal sets it.
        signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&flag))?;
        signal_hook::flag::register(signal, Arc::clone(&flag))?;
    }
    Ok(Arc::clone(FLAG.get_or_init(|| flag)))
}

/// The prefix of the rotation's temporary directories; the pid follows.
const WORK_PREFIX: &str = "xtask-rotate-";

/// The rotation's private temporary directory (0700), after removing the ones earlier
/// rotations left when they were killed.
fn work_dir() -> Result<tempfile::TempDir, Box<Failure>> {
    let work = tempfile::Builder::new()
        .prefix(&format!("{WORK_PREFIX}{}-", std::process::id()))
        .tempdir()
        .map_err(|e| Failure::usage(format!("temporary directory: {e}")))?;
    fs_err::set_permissions(work.path(), std::fs::Permissions::from_mode(0o700))?;
    let owner = fs_err::metadata(work.path())?.uid();
    if let Some(parent) = work.path().parent() {
        sweep_work_dirs(parent, owner, Some(work.path()));
    }
    Ok(work)
}

/// `--recover`: removes the temporary directories of killed rotations at once (they may
/// hold the validation's plaintext), rather than at the next rotation's start.
pub(super) fn sweep_killed_work_dirs() {
    // The owner of `/proc/self` is this process's user; without `/proc` nothing is removed.
    if let Ok(meta) = fs_err::metadata("/proc/self") {
        sweep_work_dirs(&std::env::temp_dir(), meta.uid(), None);
    }
}

/// Removes `xtask-rotate-<pid>-…` directories under `tmp` owned by `owner` whose process is
/// gone. Without `/proc` nothing is removed (a live rotation's directory must never be).
fn sweep_work_dirs(tmp: &Path, owner: u32, ours: Option<&Path>) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = fs_err::read_dir(tmp) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(WORK_PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let mine = fs_err::symlink_metadata(&path).is_ok_and(|m| m.is_dir() && m.uid() == owner);
        if mine
            && Some(path.as_path()) != ours
            && !Path::new("/proc").join(pid.to_string()).exists()
        {
            let _ = fs_err::remove_dir_all(&path);
        }
    }
}

/// After a failed step: the snapshot restored, and the user told what stopped, what was put
/// back and which delivered key to throw away.
fn roll_back(
    snapshot: Snapshot,
    request: &Request,
    label: &str,
    delivered: Option<String>,
    out: &mut dyn Write,
) -> Result<(), Box<Failure>> {
    let restored = snapshot.restore();
    writeln!(out, "a rotação parou em {label}")?;
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
        Err(e) => writeln!(
            out,
            "ATENÇÃO: falha ao restaurar os arquivos: {e}\nhint: o diário ficou; rode `{} rotate --recover`",
            crate::program_name()
        )?,
    }
    if let Some(to) = delivered {
        writeln!(
            out,
            "a chave entregue a {to} NÃO foi usada: descarte-a (o bundle continua com as chaves anteriores)"
        )?;
    }
    Ok(())
}

/// The title of the runbook section a rotation of `kind` follows.
fn kind_title(kind: Kind) -> &'static str {
    if kind == Kind::Emergency {
        "Rotação emergencial"
    } else {
        "Rotação programada"
    }
}

/// Runs git in `repo`, returning stdout.
pub(crate) fn git(repo: &Path, args: &[&str]) -> Result<String, Box<Failure>> {
    bundle_core::ops::git::run_text(repo, args).map_err(Failure::wrap(ExitStatus::Usage))
}

/// Runs ops-controls on `repo` at `now`.
pub(crate) fn ops_report(
    repo: &Path,
    now: Timestamp,
) -> Result<bundle_core::ops::report::Report, Box<Failure>> {
    ops_controls::generate(&ops_controls::Options::new(repo.to_owned(), now)).map_err(Failure::tool)
}

/// ops-controls on `repo` at `now` for `pending`, an execution about to be recorded: the
/// evidence checks read the log with it appended (ops-controls' `Options::pending`).
pub(crate) fn pending_report(
    repo: &Path,
    now: Timestamp,
    pending: &bundle_core::ops::evidence::Execution,
) -> Result<bundle_core::ops::report::Report, Box<Failure>> {
    let mut options = ops_controls::Options::new(repo.to_owned(), now);
    options.pending = Some(pending.clone());
    ops_controls::generate(&options).map_err(Failure::tool)
}

/// The checklist items the repository's policy requires of an execution of `kind`.
pub(crate) fn required_items(repo: &Path, kind: Kind) -> Result<Vec<String>, Box<Failure>> {
    let policy = ops_controls::Policy::load(&repo.join(ops_controls::DEFAULT_POLICY), false)
        .map_err(Failure::tool)?;
    Ok(policy.documents.checklist_required.for_kind(kind).to_vec())
}

/// The execution `id` of the evidence in `dir`, checked to have earned every item `required`
/// names (bundle-core's one rule, the one DOC-003 applies); the problems, one per line.
pub(crate) fn unearned(
    dir: &Path,
    id: &str,
    required: &[String],
) -> Result<Vec<String>, Box<Failure>> {
    let log = bundle_core::ops::evidence::EvidenceLog::load(dir)
        .map_err(Failure::wrap(ExitStatus::Usage))?;
    let entry = log
        .get(id)
        .ok_or_else(|| Failure::problem(format!("the execution {id} is not in the evidence")))?;
    Ok(log
        .unearned(entry, dir, required, &[])
        .into_iter()
        .map(|u| u.to_string())
        .collect())
}

/// Whether gitleaks is on `PATH` (the rotation's `gitleaks` item can be earned).
pub(crate) fn gitleaks_installed() -> bool {
    validate::gitleaks_binary().is_some()
}

/// ops-controls as a gate: fails (exit 1) naming every blocking check except those in
/// `judged_elsewhere`, which the caller shows or judges at another step.
fn require_controls(
    report: &bundle_core::ops::report::Report,
    judged_elsewhere: &[&str],
) -> Result<(), Box<Failure>> {
    let blocking: Vec<&str> = report
        .blocking_checks()
        .map(|c| c.id.as_str())
        .filter(|id| !judged_elsewhere.contains(id))
        .collect();
    if blocking.is_empty() {
        Ok(())
    } else {
        Err(Failure::problem(format!(
            "ops-controls fails: {}",
            blocking.join(", ")
        )))
    }
}

/// The stable id of a recorded (or already present) execution.
pub(crate) fn outcome_id(outcome: &evidence_writer::RecordOutcome) -> String {
    match outcome {
        evidence_writer::RecordOutcome::Recorded { id, .. }
        | evidence_writer::RecordOutcome::Unchanged { id } => id.clone(),
    }
}
