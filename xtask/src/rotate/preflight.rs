//! Step 1 of a rotation ("Planejar janela", "Acionamento"), the read-only preflight: the git
//! tree is clean, ops-controls passes, the current key decrypts the bundle, its
//! `MCP_SECRETS_VERSION` is a plaintext integer, and (scheduled) a plan announced the window
//! at least 24 h ahead and the window has started.
//!
//! What must stay true: it changes nothing, so `--dry-run` runs it too, and its
//! `--no-window-check` waiver is printed as a warning, never silent.

use bundle_core::ExitStatus;
use std::io::Write;

use bundle_core::keys::Identities;
use bundle_core::ops::evidence::{EvidenceLog, Kind};
use bundle_core::ops::mcp::Header;
use bundle_core::sops::SopsFile;
use bundle_core::time::Timestamp;

use super::steps::StepBody;
use super::{BUNDLE, Rotation, git, ops_report, require_controls};
use crate::Failure;

/// The bundle as the preflight found it.
pub(super) struct Current {
    pub(super) bundle: SopsFile,
    pub(super) identities: Identities,
    pub(super) version: u64,
    /// The plan that announced this scheduled window (its id proves the `plan` item).
    pub(super) plan: Option<String>,
}

/// Step 1, read-only: clean tree, ops-controls, the bundle decrypts, the plan (scheduled).
pub(super) fn preflight(rotation: &Rotation<'_>, notes: &mut dyn Write) -> StepBody<Current> {
    let Rotation { request, repo, .. } = *rotation;
    let now = request.now;
    let status = git(repo, &["status", "--porcelain"])?;
    if !status.trim().is_empty() {
        return Err(Failure::problem(format!(
            "the git tree is not clean:\n{status}hint: commit or stash the changes first"
        )));
    }
    let report = ops_report(repo, now)?;
    // DOC-003 judges the previous executions' checklists: a rotation is how an unearned one
    // gets replaced, so it cannot wait for it (issue 12); it is shown, not blocking.
    require_controls(&report, &["DOC-003"])?;
    if let Some(doc003) = report
        .checks
        .iter()
        .find(|c| c.id == "DOC-003" && c.status == bundle_core::ops::report::Status::Fail)
    {
        writeln!(
            notes,
            "      aviso: DOC-003 ({}); esta execução registra um checklist novo",
            doc003.message
        )?;
    }
    super::validate::require_tools(rotation)?;
    let bundle = SopsFile::read(&rotation.bundle)?;
    let identities = Identities::discover(&request.keys)?;
    bundle.decrypt(&identities)?;
    let version = Header::read(&bundle).version.as_int().ok_or_else(|| {
        Failure::problem(format!(
            "{BUNDLE}: MCP_SECRETS_VERSION is not a plaintext integer"
        ))
    })?;
    let version =
        u64::try_from(version).map_err(|_| Failure::problem("MCP_SECRETS_VERSION is negative"))?;
    let mut plan = None;
    if rotation.kind == Kind::Scheduled {
        let log =
            EvidenceLog::load(&rotation.evidence).map_err(Failure::wrap(ExitStatus::Usage))?;
        match plan_check(&log, version + 1, now) {
            Ok(id) => plan = Some(id),
            Err(message) if !request.window_check => {
                writeln!(notes, "      aviso: {message} (--no-window-check)")?;
            }
            Err(message) => {
                return Err(Failure::problem(format!(
                    "RG-014: {message}\nhint: record the window first: evidence-writer record --kind plan --window-start ... at least 24 h ahead"
                )));
            }
        }
    }
    Ok((
        Current {
            bundle,
            identities,
            version,
            plan,
        },
        format!("árvore limpa, ops-controls ok, bundle v{version} decifra"),
    ))
}

/// The scheduled rotation to `version_to` must have a plan announced ≥ 24 h before its window
/// (bundle-core's evidence rule, the one rotation-guard's RG-014 checks afterwards), and the
/// window must have started.
fn plan_check(log: &EvidenceLog, version_to: u64, now: Timestamp) -> Result<String, String> {
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
    Ok(plan.execution.id.clone())
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
            Ok("plan-v5".to_owned())
        );
        assert!(plan_check(&log_with_plan(0, 48, None), 5, at(49)).is_ok());
        let short = plan_check(&log_with_plan(30, 48, Some(5)), 5, at(49)).unwrap_err();
        assert!(short.contains("only 18 h 0 min"), "{short}");
        let early = plan_check(&log_with_plan(0, 48, Some(5)), 5, at(47)).unwrap_err();
        assert!(early.contains("starts at"), "{early}");
        let other = plan_check(&log_with_plan(0, 48, Some(4)), 5, at(49)).unwrap_err();
        assert!(other.contains("to version 5 has no plan entry"), "{other}");
        let none = plan_check(&EvidenceLog::new(), 5, at(49)).unwrap_err();
        assert!(none.contains("no plan entry"), "{none}");
    }
}
