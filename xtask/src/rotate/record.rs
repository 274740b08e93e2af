//! Step 5 of a rotation: the execution written to the evidence log with the checklist the
//! earlier steps earned, the files that prove it and, for an emergency, the communication
//! entry. Kept apart from [`steps`](super::steps) because it is the one step that records
//! through evidence-writer, and it judges the evidence through ops-controls before writing.
//!
//! What must stay true: every checklist item is earned by the step that did it or recorded
//! as skipped with its reason (issue 12); the ops-controls report attached judges the log
//! with this execution in it, and a blocking control other than DOC-003 stops the step
//! before the execution is recorded (the snapshot, which covers the evidence directory,
//! then removes a communication entry already written); a communication is recorded only
//! from the responsible's own `--comms-message`, never one the tool made up.

use bundle_core::ExitStatus;
use std::io::Write;
use std::path::PathBuf;

use bundle_core::ops::evidence::{
    CheckItem, DEFAULT_DIR, EmergencyRecord, Kind, Link, OPS_CONTROLS_ITEM, Proof,
};

use super::steps::{Inputs, StepBody, Versions};
use super::{Rotation, outcome_id};
use crate::Failure;

/// Step 5: the execution recorded with the checklist the steps earned and the files that
/// prove it. The ops-controls report attached is taken with this execution in the log
/// (ops-controls' pending execution), so it judges the rotation as recorded: no DOC-004
/// failure for the version being recorded (issue 12). The gitleaks report is also kept at
/// the top of the evidence directory. An emergency records first the communication the
/// responsible gave (`--comms-message`, exactly as given), and its record names that entry,
/// or says the communication is pending: a message nobody posted is never written.
pub(super) fn record_evidence(
    rotation: &Rotation<'_>,
    inputs: &Inputs<'_>,
    versions: Versions,
    mut items: Vec<CheckItem>,
    attachments: &[PathBuf],
    notes: &mut dyn Write,
) -> StepBody<(String, Option<EmergencyRecord>)> {
    let request = rotation.request;
    let at = evidence_writer::Now {
        at: request.now,
        explicit: request.now_explicit,
    };
    let mut emergency_record = inputs.emergency.cloned();
    if let Some(item) = record_comms(rotation, inputs, at, emergency_record.as_mut())? {
        items.push(item);
    }
    let mut record = evidence_writer::RecordRequest::new(rotation.kind);
    record.reason = Some(request.rotation_reason());
    record.responsible.clone_from(&request.responsible);
    record.incident = request.emergency.as_ref().map(|e| e.incident.clone());
    record.version_from = Some(versions.from);
    record.version_to = Some(versions.to);
    record.written_at = Some(request.now);
    for link in &request.links {
        record
            .links
            .push(Link::parse(link).map_err(Failure::wrap(ExitStatus::Usage))?);
    }
    items.push(match record.links.iter().find(|l| l.label == "CI") {
        Some(ci) => CheckItem::done(
            "ci",
            Proof::Link {
                label: ci.label.clone(),
                url: ci.url.clone(),
            },
        ),
        None => CheckItem::skipped("ci", "nenhum link de CI informado (--link CI=URL)"),
    });
    record.attachments = attachments.to_vec();
    record.checklist = items;
    record.emergency.clone_from(&emergency_record);
    let report = crate::evidence::report_for(
        rotation.repo,
        &rotation.evidence,
        &record,
        request.now,
        inputs.work,
    )?;
    // DOC-003 judges the evidence: this execution's own items are judged by the guard step
    // (with the user's waivers), the earlier executions' do not stop a rotation.
    let blocking: Vec<&String> = report
        .blocking
        .iter()
        .filter(|id| *id != "DOC-003")
        .collect();
    if !blocking.is_empty() {
        return Err(Failure::problem(format!(
            "ops-controls fails with this execution recorded: {}",
            blocking
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    record.attachments.push(report.path);
    record.checklist.push(CheckItem::done(
        OPS_CONTROLS_ITEM,
        super::validate::attached(super::REPORT_NAME),
    ));
    let outcome =
        evidence_writer::record(&rotation.evidence, &record, at, None).map_err(Failure::tool)?;
    let id = outcome_id(&outcome);
    if let Some(gitleaks) = attachments
        .iter()
        .find(|p| p.file_name().is_some_and(|n| n == super::GITLEAKS_REPORT))
    {
        fs_err::copy(gitleaks, rotation.evidence.join(super::GITLEAKS_REPORT))?;
    }
    writeln!(
        notes,
        "      ops-controls com a execução registrada: {} ok de {}",
        report.pass, report.total
    )?;
    let comms = match emergency_record.as_ref().map(|r| r.comms.as_deref()) {
        Some(Some(comms)) => format!("; comunicação {comms}"),
        Some(None) => "; comunicação pendente".to_owned(),
        None => String::new(),
    };
    Ok((
        (id.clone(), emergency_record),
        format!("{id} em {DEFAULT_DIR}{comms}"),
    ))
}

/// An emergency's communication item: done with the comms entry recorded from the
/// responsible's own message (`--comms-message`, exactly as given, named in the record), or
/// skipped as pending. `None` for a scheduled rotation.
fn record_comms(
    rotation: &Rotation<'_>,
    inputs: &Inputs<'_>,
    at: evidence_writer::Now,
    record: Option<&mut EmergencyRecord>,
) -> Result<Option<CheckItem>, Box<Failure>> {
    let request = rotation.request;
    let Some(emergency) = &request.emergency else {
        return Ok(None);
    };
    let (Some(message), Some(record)) = (inputs.comms_message, record) else {
        return Ok(Some(CheckItem::skipped(
            "comms",
            "comunicação pendente: nenhuma mensagem publicada foi dada (--comms-message)",
        )));
    };
    let mut comms = evidence_writer::RecordRequest::new(Kind::Comms);
    comms.incident = Some(emergency.incident.clone());
    comms.message = Some(message.to_owned());
    comms.written_at = Some(request.now);
    let outcome =
        evidence_writer::record(&rotation.evidence, &comms, at, None).map_err(Failure::tool)?;
    let comms_id = outcome_id(&outcome);
    record.comms = Some(comms_id.clone());
    Ok(Some(CheckItem::done(
        "comms",
        Proof::Entry { id: comms_id },
    )))
}
