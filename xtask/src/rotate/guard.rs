//! Step 6 of a rotation, "Validação pós-rotação": rotation-guard's rules on the result,
//! ops-controls once more with the execution recorded, and the policy's required items.
//! Kept apart from [`steps`](super::steps) so each step with real logic has its own file,
//! as steps 1, 4 and 7 do ([`preflight`](super::preflight), [`validate`](super::validate),
//! [`pr`](super::pr)).
//!
//! What must stay true: the guard reads the bundle with the new key from memory only
//! ([`new_key_env`]); only RG-014 (with `--no-window-check`) and DOC-003 (judged here through
//! the required items instead) are set aside; the ops-controls report is written as the
//! latest only once rotation-guard's rules and ops-controls' blocking controls passed.

use bundle_core::fsio::{self, WriteOptions};
use bundle_core::keys::KeyPair;

use super::steps::{StepBody, new_key_env};
use super::{Rotation, ops_report, require_controls};
use crate::Failure;

/// Step 6: rotation-guard's rules against `HEAD` (RG-014 waived by `--no-window-check`),
/// then ops-controls once more, now that the execution is recorded: that report is kept as
/// the latest at the top of the evidence directory. Last, the execution must have earned
/// every item the policy requires of its kind (the rule DOC-003 applies), or the rotation
/// is rolled back.
pub(super) fn guard(rotation: &Rotation<'_>, pair: &KeyPair, evidence_id: &str) -> StepBody<()> {
    let request = rotation.request;
    let mut options = rotation_guard::check::CheckOptions::new(rotation.repo.to_owned(), "HEAD");
    options.keys = rotation_guard::keys::KeySource::Env(new_key_env(pair));
    let report = rotation_guard::check::check(&options).map_err(Failure::tool)?;
    let failed: Vec<String> = report
        .rules
        .iter()
        .filter(|r| r.status == rotation_guard::rules::Status::Fail)
        .filter(|r| request.window_check || r.id != "RG-014")
        .map(|r| format!("{} ({})", r.id, r.message))
        .collect();
    if !failed.is_empty() {
        return Err(Failure::problem(format!(
            "rotation-guard check: {}",
            failed.join("; ")
        )));
    }
    let controls = ops_report(rotation.repo, request.now)?;
    require_controls(&controls, &["DOC-003"])?;
    fsio::write_atomic(
        &rotation.evidence.join(super::REPORT_NAME),
        controls.to_json().as_bytes(),
        WriteOptions::PUBLIC,
    )?;
    // The items the user waived on the command line stay recorded as skipped (DOC-003 reports
    // them afterwards) but do not undo the rotation: `--no-window-check` waives the plan.
    let required: Vec<String> = super::required_items(rotation.repo, rotation.kind)?
        .into_iter()
        .filter(|item| request.window_check || item != "plan")
        .collect();
    let unearned = super::unearned(&rotation.evidence, evidence_id, &required)?;
    if !unearned.is_empty() {
        return Err(Failure::problem(format!(
            "{evidence_id} did not earn what {} requires: {}",
            ops_controls::DEFAULT_POLICY,
            unearned.join("; ")
        )));
    }
    Ok((
        (),
        format!(
            "{} regras, nenhuma falha; ops-controls ok",
            report.rules.len()
        ),
    ))
}
