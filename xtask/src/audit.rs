//! `cargo xtask audit`: the runbook's "Auditoria contínua". The ops-controls report, compared
//! with the previous one attached to the evidence, recorded as an `audit` execution, then the
//! whole evidence verified. Exit 1 on a failing control, a regression or a verify problem.

use bundle_core::ExitStatus;
use std::io::Write;
use std::path::{Path, PathBuf};

use bundle_core::fsio::{self, WriteOptions};
use bundle_core::ops::evidence::{DEFAULT_DIR, EvidenceLog, Kind};
use bundle_core::ops::report::Report;
use bundle_core::time::Timestamp;
use clap::Args;

use crate::rotate::{REPORT_NAME, now_from_env, ops_report, outcome_id};
use crate::{Failure, TaskResult};

/// Arguments of `cargo xtask audit`.
#[derive(Args, Debug)]
pub(crate) struct AuditArgs {
    /// The person running the audit (repeatable).
    #[arg(long, value_name = "NAME", required = true)]
    responsible: Vec<String>,
    /// The repository.
    #[arg(long, value_name = "DIR", default_value = ".")]
    repo: PathBuf,
}

/// What an audit found.
#[derive(Debug)]
pub(crate) struct AuditOutcome {
    pub(crate) evidence_id: String,
    pub(crate) passed: bool,
    pub(crate) regressions: usize,
    pub(crate) verify_problems: usize,
}

impl AuditOutcome {
    pub(crate) fn ok(&self) -> bool {
        self.passed && self.regressions == 0 && self.verify_problems == 0
    }
}

/// Runs `cargo xtask audit`.
pub(crate) fn run(args: &AuditArgs, stderr: &mut dyn Write) -> TaskResult {
    let (now, explicit) = now_from_env()?;
    let outcome = audit(&args.repo, &args.responsible, now, explicit, stderr)?;
    Ok(if outcome.ok() {
        ExitStatus::Success
    } else {
        ExitStatus::Problem
    })
}

/// The latest ops-controls report attached to the evidence, if any.
fn previous_report(dir: &Path, log: &EvidenceLog) -> Option<PathBuf> {
    log.entries().iter().rev().find_map(|e| {
        e.execution
            .artifacts
            .iter()
            .find(|a| a.file_name() == REPORT_NAME)
            .and_then(|a| a.resolve(dir))
    })
}

/// One audit at `now`.
pub(crate) fn audit(
    repo: &Path,
    responsible: &[String],
    now: Timestamp,
    explicit: bool,
    stderr: &mut dyn Write,
) -> Result<AuditOutcome, Box<Failure>> {
    let repo = fs_err::canonicalize(repo)?;
    // An interrupted rotation's files are half-changed: nothing to audit until it is undone.
    crate::rotate::refuse_if_interrupted(&repo)?;
    let dir = repo.join(DEFAULT_DIR);
    writeln!(stderr, "Auditoria contínua em {}", repo.display())?;
    let mut report = ops_report(&repo, now)?;
    let log = EvidenceLog::load(&dir).map_err(Failure::wrap(ExitStatus::Usage))?;
    match previous_report(&dir, &log) {
        Some(path) => {
            let previous = Report::read(&path).map_err(Failure::wrap(ExitStatus::Usage))?;
            report.comparison = Some(ops_controls::compare::compare(&previous, &report));
            writeln!(
                stderr,
                "[1/3] ops-controls: {} de {} ok, comparado com {}",
                report.summary.pass,
                report.summary.total,
                path.strip_prefix(&repo).unwrap_or(&path).display()
            )?;
        }
        None => writeln!(
            stderr,
            "[1/3] ops-controls: {} de {} ok (nenhum relatório anterior nas evidências)",
            report.summary.pass, report.summary.total
        )?,
    }
    let regressions = report
        .comparison
        .as_ref()
        .map_or(0, |c| c.regressions.len());
    for c in report.blocking_checks() {
        writeln!(stderr, "      falha: {} {}", c.id, c.title)?;
    }
    if let Some(comparison) = &report.comparison {
        for r in &comparison.regressions {
            writeln!(stderr, "      regressão: {} {}", r.subject, r.message)?;
        }
    }
    let work = tempfile::Builder::new()
        .prefix("xtask-audit-")
        .tempdir()
        .map_err(|e| Failure::usage(format!("temporary directory: {e}")))?;
    let report_path = work.path().join(REPORT_NAME);
    fsio::write_atomic(
        &report_path,
        report.to_json().as_bytes(),
        WriteOptions::PUBLIC,
    )?;
    let mut request = evidence_writer::RecordRequest::new(Kind::Audit);
    request.reason = Some(format!(
        "auditoria contínua: {} de {} controles ok, {regressions} regressão(ões)",
        report.summary.pass, report.summary.total
    ));
    request.responsible = responsible.to_vec();
    request.attachments.push(report_path);
    let at = evidence_writer::Now { at: now, explicit };
    let recorded = evidence_writer::record(&dir, &request, at, None).map_err(Failure::tool)?;
    let evidence_id = outcome_id(&recorded);
    writeln!(stderr, "[2/3] evidência registrada: {evidence_id}")?;
    let verified = evidence_writer::verify(&dir, now).map_err(Failure::tool)?;
    writeln!(
        stderr,
        "[3/3] evidence-writer verify: {} entradas, {} anexos, {} problema(s)",
        verified.entries,
        verified.artifacts,
        verified.problems.len()
    )?;
    for p in &verified.problems {
        writeln!(stderr, "      {p}")?;
    }
    Ok(AuditOutcome {
        evidence_id,
        passed: report.summary.passed,
        regressions,
        verify_problems: verified.problems.len(),
    })
}
