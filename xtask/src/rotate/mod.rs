//! `cargo xtask rotate`: the runbook's "Rotação programada" and "Rotação emergencial", step by
//! step, in one process, calling the tools' libraries. All or nothing: every file the rotation
//! may touch is snapshotted first and restored byte for byte when a step fails.
//!
//! Layout: [`request`] turns the command line into a [`Request`] and checks it; [`steps`]
//! holds the [`Step`](steps::Step) list (names, numbers, order), the progress printer and one
//! function per step, the larger ones in [`preflight`] (step 1), [`validate`] (step 4) and
//! [`pr`] (step 7); [`snapshot`] is the rollback. This module orders them: checks, snapshot,
//! steps, then restore (a step failed) or discard (all passed).

use bundle_core::ExitStatus;
use std::io::Write;
use std::path::{Path, PathBuf};

use bundle_core::config::CONFIG_FILE_NAME;
use bundle_core::ops::evidence::{DEFAULT_DIR, Kind};
use bundle_core::time::Timestamp;

use crate::{Failure, TaskResult};

mod pr;
mod preflight;
mod request;
mod snapshot;
mod steps;
mod validate;

pub(crate) use request::{Emergency, KeySink, Request, RotateArgs, now_from_env};
use snapshot::Snapshot;
use steps::{Inputs, Progress, Step};

/// The bundle, relative to the repository.
pub(crate) const BUNDLE: &str = "config/secrets.enc.yaml";
/// The name of the ops-controls report attached to the evidence.
pub(crate) const REPORT_NAME: &str = "ops-controls-report.json";

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
    let rotation = Rotation::new(request, &repo);
    request.check_emergency()?;
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

    let (files, roots) = rotation.snapshot_scope();
    let snapshot = Snapshot::record(&files, &roots)?;
    let work = tempfile::Builder::new()
        .prefix("xtask-rotate-")
        .tempdir()
        .map_err(|e| Failure::usage(format!("temporary directory: {e}")))?;
    let inputs = Inputs {
        sink: &sink,
        values: &values,
        work: work.path(),
    };
    let mut delivered: Option<String> = None;
    let mut progress = Progress::new(rotation.kind, planned, stderr);
    match steps::run_all(&rotation, &inputs, &mut progress, &mut delivered) {
        Ok(outcome) => {
            snapshot.discard();
            Ok(Some(outcome))
        }
        Err((step, err)) => {
            let label = progress.label(step);
            roll_back(snapshot, request, &label, delivered, progress.out())?;
            Err(err)
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
        Err(e) => writeln!(out, "ATENÇÃO: falha ao restaurar os arquivos: {e}")?,
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

/// The ids of the report's blocking checks.
fn blocking_ids(report: &bundle_core::ops::report::Report) -> Vec<String> {
    report.blocking_checks().map(|c| c.id.clone()).collect()
}

/// The stable id of a recorded (or already present) execution.
pub(crate) fn outcome_id(outcome: &evidence_writer::RecordOutcome) -> String {
    match outcome {
        evidence_writer::RecordOutcome::Recorded { id, .. }
        | evidence_writer::RecordOutcome::Unchanged { id } => id.clone(),
    }
}
