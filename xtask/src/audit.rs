//! `cargo xtask audit`: the runbook's "Auditoria contínua". The evidence verified, the
//! ops-controls report compared with the previous one attached to the evidence, recorded as
//! an `audit` execution with the checklist those steps earned, the evidence verified again.
//! Exit 1 on a failing control, a regression or a verify problem.
//!
//! The checklist (issue 12): `verify` is done when the log verified before the audit was
//! recorded (proof: the last entry verified), `compare` when a previous report was compared
//! with no regression (proof: the entry that attached it), `ops-controls` by the report
//! attached, taken with the audit in the log; each is skipped with its reason otherwise. The
//! report is also kept as the latest at the top of the evidence directory, the path the
//! runbooks' `ops-controls --compare` and `evidence-writer record --attach` name.

use bundle_core::ExitStatus;
use std::io::Write;
use std::path::{Path, PathBuf};

use bundle_core::fsio::{self, WriteOptions};
use bundle_core::ops::evidence::{
    CheckItem, DEFAULT_DIR, EvidenceLog, Kind, OPS_CONTROLS_ITEM, Proof,
};
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

/// The latest ops-controls report attached to the evidence, if any, and the entry that
/// attached it.
fn previous_report(dir: &Path, log: &EvidenceLog) -> Option<(PathBuf, String)> {
    log.entries().iter().rev().find_map(|e| {
        e.execution
            .artifacts
            .iter()
            .find(|a| a.file_name() == REPORT_NAME)
            .and_then(|a| a.resolve(dir))
            .map(|p| (p, e.execution.id.clone()))
    })
}

/// The `verify` item: the log verified before the audit is recorded (proof: its last entry).
fn verify_item(dir: &Path, log: &EvidenceLog, now: Timestamp) -> Result<CheckItem, Box<Failure>> {
    let before = evidence_writer::verify(dir, now).map_err(Failure::tool)?;
    Ok(match (before.problems.len(), log.entries().last()) {
        (0, Some(last)) => CheckItem::done(
            "verify",
            Proof::Entry {
                id: last.execution.id.clone(),
            },
        ),
        (0, None) => CheckItem::skipped("verify", "nenhuma entrada para verificar"),
        (n, _) => CheckItem::skipped("verify", format!("{n} problema(s) de verificação")),
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
    let mut items = vec![verify_item(&dir, &log, now)?];
    let previous = previous_report(&dir, &log);
    match &previous {
        Some((path, _)) => {
            let previous = Report::read(path).map_err(Failure::wrap(ExitStatus::Usage))?;
            report.comparison = Some(ops_controls::compare::compare(&previous, &report));
            writeln!(
                stderr,
                "[1/3] ops-controls: {} de {} ok, comparado com {}",
                report.summary.pass,
                report.summary.total,
                path.strip_prefix(&repo).unwrap_or(path).display()
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
    items.push(match (&previous, regressions) {
        (Some((_, id)), 0) => CheckItem::done("compare", Proof::Entry { id: id.clone() }),
        (Some(_), n) => CheckItem::skipped("compare", format!("{n} regressão(ões)")),
        (None, _) => CheckItem::skipped("compare", "nenhum relatório anterior nas evidências"),
    });
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
    let mut request = evidence_writer::RecordRequest::new(Kind::Audit);
    request.reason = Some(format!(
        "auditoria contínua: {} de {} controles ok, {regressions} regressão(ões)",
        report.summary.pass, report.summary.total
    ));
    request.responsible = responsible.to_vec();
    request.written_at = Some(now);
    request.checklist = items;
    // The report attached is taken with this audit in the log (crate::evidence), compared
    // with the previous one like the first run.
    let attached = crate::evidence::report_for(&repo, &dir, &request, now, work.path())?;
    let mut with_audit = Report::read(&attached.path).map_err(Failure::wrap(ExitStatus::Usage))?;
    with_audit.comparison.clone_from(&report.comparison);
    let passed = with_audit.summary.passed;
    fsio::write_atomic(
        &attached.path,
        with_audit.to_json().as_bytes(),
        WriteOptions::PUBLIC,
    )?;
    request.attachments.push(attached.path.clone());
    request.checklist.push(CheckItem::done(
        OPS_CONTROLS_ITEM,
        Proof::Artifact {
            path: REPORT_NAME.to_owned(),
            sha256: String::new(),
        },
    ));
    let at = evidence_writer::Now { at: now, explicit };
    let recorded = evidence_writer::record(&dir, &request, at, None).map_err(Failure::tool)?;
    let evidence_id = outcome_id(&recorded);
    // The latest report, kept where the runbooks' commands look for it.
    fs_err::copy(&attached.path, dir.join(REPORT_NAME))?;
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
        passed,
        regressions,
        verify_problems: verified.problems.len(),
    })
}
