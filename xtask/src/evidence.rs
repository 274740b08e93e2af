//! The ops-controls report an execution attaches, taken with that execution in the log
//! (issue 12), shared by `rotate` and `audit`.
//!
//! A report attached to an execution must judge the repository as it is once that execution
//! is recorded: DOC-004 must see the rotation's version recorded, DOC-003 its checklist. The
//! report is part of the entry (its sha256 is in the hash chain), so it cannot be taken after
//! the line is written; instead ops-controls runs with the execution *pending*: it reads the
//! log with it appended, the attachments already in their place, and counts the entry's
//! `ops-controls` item as proven by the report it is making.
//!
//! What must stay true: the execution given to ops-controls is the one `evidence-writer
//! record` then writes (same kind, id, versions, links, artifacts and their sha256, checklist
//! with the same proofs; `record` fills the artifact paths the same way), and the files
//! placed in the evidence directory for the run are removed again when they were not there
//! before (`record` writes them for good).

use std::path::{Path, PathBuf};

use bundle_core::fsio::{self, WriteOptions};
use bundle_core::ops::evidence::{ARTIFACTS_DIR, Artifact, Execution, Proof, sha256_hex};
use bundle_core::time::Timestamp;

use crate::Failure;
use crate::rotate::{REPORT_NAME, pending_report};

/// The report written for an execution, and its counts.
pub(crate) struct ReportFile {
    /// In the command's temporary directory, to attach.
    pub(crate) path: PathBuf,
    /// Checks that passed.
    pub(crate) pass: usize,
    /// Checks run.
    pub(crate) total: usize,
    /// The blocking checks' ids.
    pub(crate) blocking: Vec<String>,
}

/// Runs ops-controls on `repo` with `record` pending (at `now`) and writes its report to
/// `work/ops-controls-report.json`.
pub(crate) fn report_for(
    repo: &Path,
    evidence: &Path,
    record: &evidence_writer::RecordRequest,
    now: Timestamp,
    work: &Path,
) -> Result<ReportFile, Box<Failure>> {
    let mut pending = Execution::new(record.kind, now);
    pending.written_at = Some(record.written_at.unwrap_or(now));
    pending.reason.clone_from(&record.reason);
    pending.responsible.clone_from(&record.responsible);
    pending.incident.clone_from(&record.incident);
    pending.version_from = record.version_from;
    pending.version_to = record.version_to;
    pending.window_start = record.window_start;
    pending.links.clone_from(&record.links);
    // The emergency's record too: its statements prove the isolation and revocation items.
    pending.emergency.clone_from(&record.emergency);
    pending.id = pending.stable_id();
    let mut placed = Vec::new();
    let result = place_and_run(repo, evidence, record, &mut pending, &mut placed, now);
    for path in placed {
        let _ = fs_err::remove_file(&path);
        if let Some(parent) = path.parent() {
            let _ = fs_err::remove_dir(parent);
        }
    }
    let report = result?;
    let path = work.join(REPORT_NAME);
    fsio::write_atomic(&path, report.to_json().as_bytes(), WriteOptions::PUBLIC)?;
    Ok(ReportFile {
        path,
        pass: report.summary.pass,
        total: report.summary.total,
        blocking: report.blocking_checks().map(|c| c.id.clone()).collect(),
    })
}

fn place_and_run(
    repo: &Path,
    evidence: &Path,
    record: &evidence_writer::RecordRequest,
    pending: &mut Execution,
    placed: &mut Vec<PathBuf>,
    now: Timestamp,
) -> Result<bundle_core::ops::report::Report, Box<Failure>> {
    for source in &record.attachments {
        let bytes = fs_err::read(source)?;
        let name = source
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Failure::usage(format!("{}: no file name", source.display())))?;
        let artifact = Artifact {
            path: format!("{ARTIFACTS_DIR}/{}/{name}", pending.id),
            sha256: sha256_hex(&bytes),
        };
        let target = artifact
            .resolve(evidence)
            .ok_or_else(|| Failure::usage(format!("{name}: not a name evidence-writer keeps")))?;
        if !target.exists() {
            if let Some(parent) = target.parent() {
                fs_err::create_dir_all(parent)?;
            }
            fsio::write_atomic(&target, &bytes, WriteOptions::PUBLIC)?;
            placed.push(target);
        }
        pending.artifacts.push(artifact);
    }
    pending.checklist = record
        .checklist
        .iter()
        .cloned()
        .map(|mut item| {
            if let Some(Proof::Artifact { path, sha256 }) = &mut item.proof
                && let Some(a) = pending.artifacts.iter().find(|a| a.file_name() == path)
            {
                path.clone_from(&a.path);
                sha256.clone_from(&a.sha256);
            }
            item
        })
        .collect();
    pending
        .check_fields()
        .map_err(|e| Failure::usage(format!("the execution to record breaks a rule: {e}")))?;
    pending_report(repo, now, pending)
}
