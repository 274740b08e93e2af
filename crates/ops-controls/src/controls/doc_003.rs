//! DOC-003: the latest execution of each kind earned the checklist items its kind requires.
//!
//! The OPS-302 checklist is not a list people tick by hand any more (issue 12): every
//! scheduled rotation, emergency rotation and audit carries its own checklist in the
//! execution log, each item written by the step that did it, with its proof. This check
//! takes the latest execution of each of those kinds and requires every item the policy
//! names (`documents.checklist_required`, defaults in bundle-core) to be earned, by
//! bundle-core's one rule (`EvidenceLog::unearned`): present, `done`, and its proof holding
//! now (an attached file exists with the recorded sha256, a named entry is in the log before
//! it). A skipped item fails with its reason; a missing one fails as not done.
//!
//! What does not fail: a kind with no execution yet (a fresh repository is not blocked from
//! its first `rotate --dry-run`), and an entry written before checklists existed (schema 1)
//! while no schema 2 entry precedes it: the log is then from before the upgrade, and the
//! message says so. A schema 1 entry after a schema 2 one fails (a checklist cannot be
//! dodged by writing the old format). With a pending execution ([`crate::Options::pending`])
//! its `ops-controls` item counts as earned by the report being produced.

use bundle_core::ops::evidence::{CHECKLIST_KINDS, LOG_FILE, OPS_CONTROLS_ITEM};
use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at};
use crate::context::Context;

pub(super) const CONTROL: Control = Control {
    id: "DOC-003",
    title: "Latest executions earned their OPS-302 checklist items",
    severity: Severity::Medium,
    run,
};

fn run(cx: &Context) -> Outcome {
    let dir = cx.policy.documents.evidence_dir.trim_end_matches('/');
    let path = format!("{dir}/{LOG_FILE}");
    let log = match cx.evidence_log() {
        Ok(log) => log,
        Err(e) => {
            let note = format!("cannot read {path}: {}", first_line(&e.to_string()));
            return Outcome::fail(note.clone(), vec![at(&path, None, note)]);
        }
    };
    let evidence = cx.path(dir);
    let pending_id = cx.pending.as_ref().map(|p| p.id.as_str());
    let mut findings = Vec::new();
    let mut notes = Vec::new();
    for kind in CHECKLIST_KINDS {
        let Some((index, entry)) = log
            .entries()
            .iter()
            .enumerate()
            .rev()
            .find(|(_, e)| e.execution.kind == kind)
        else {
            notes.push(format!("{kind}: none yet"));
            continue;
        };
        let id = &entry.execution.id;
        let line = Some(index + 1);
        if entry.schema_version < 2 {
            if log.entries()[..index].iter().any(|e| e.schema_version >= 2) {
                findings.push(at(
                    &path,
                    line,
                    format!(
                        "`{id}` is written in schema {} after entries with checklists: its items cannot be judged",
                        entry.schema_version
                    ),
                ));
            } else {
                notes.push(format!(
                    "{kind}: `{id}` predates per-execution checklists (schema 1)"
                ));
            }
            continue;
        }
        // The bundle's creation (`init`: v0 -> v1) is no rotation: nothing was rotated, so no
        // rotation item can be earned or claimed. Only as the first entry of its kind: a
        // later "v0" would be a way around the checklist.
        let first_of_kind = !log.entries()[..index]
            .iter()
            .any(|e| e.execution.kind == kind);
        if entry.execution.version_from == Some(0) && first_of_kind {
            notes.push(format!(
                "{kind}: `{id}` created the bundle (v0 -> v{}); no rotation yet",
                entry.execution.version_to.unwrap_or(1)
            ));
            continue;
        }
        let required = cx.policy.documents.checklist_required.for_kind(kind);
        let elsewhere: &[&str] = if pending_id == Some(id.as_str()) {
            &[OPS_CONTROLS_ITEM]
        } else {
            &[]
        };
        let unearned = log.unearned(entry, &evidence, required, elsewhere);
        if unearned.is_empty() {
            notes.push(format!("{kind}: `{id}` earned {}", required.len()));
        }
        for u in unearned {
            findings.push(at(&path, line, format!("`{id}` ({kind}): {u}")));
        }
    }
    Outcome::from_findings(findings, notes.join("; "))
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use bundle_core::ops::evidence::{
        Artifact, CheckItem, EvidenceLog, Execution, Kind, LOG_FILE, Proof, sha256_hex,
    };
    use bundle_core::ops::report::Status;

    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass, now};

    const DIR: &str = "docs/evidence/TASK-OPS-302";
    const LOG: &str = "docs/evidence/TASK-OPS-302/executions.jsonl";

    /// An audit with its ops-controls report attached and ticked, appended to the log.
    fn record_audit(repo: &Repo, checklist: impl FnOnce(&mut Execution)) {
        let dir = repo.root().join(DIR);
        let mut log = EvidenceLog::load(&dir).unwrap();
        let mut e = Execution::new(Kind::Audit, now().plus_seconds(-60));
        e.written_at = Some(now().plus_seconds(-60));
        e.reason = Some("auditoria semanal".into());
        e.responsible = vec!["Eva".into()];
        e.id = e.stable_id();
        let bytes = b"{\"report\":true}\n";
        let path = format!("artifacts/{}/ops-controls-report.json", e.id);
        repo.write(
            &format!("{DIR}/{path}"),
            std::str::from_utf8(bytes).unwrap(),
        );
        e.artifacts.push(Artifact {
            path: path.clone(),
            sha256: sha256_hex(bytes),
        });
        e.checklist.push(CheckItem::done(
            "ops-controls",
            Proof::Artifact {
                path,
                sha256: sha256_hex(bytes),
            },
        ));
        checklist(&mut e);
        e.check_fields().unwrap();
        log.append(e);
        fs_err::write(dir.join(LOG_FILE), log.to_jsonl()).unwrap();
    }

    #[test]
    fn passes_on_the_fixture_whose_entries_predate_checklists() {
        assert_eq!(
            assert_pass(&Repo::compliant().run("DOC-003")),
            "scheduled: `scheduled-v3` predates per-execution checklists (schema 1); emergency: none yet; audit: none yet"
        );
    }

    /// Issue 12: a fresh repository with no execution is not blocked by DOC-003.
    #[test]
    fn passes_with_no_execution_at_all() {
        let repo = Repo::compliant();
        repo.remove(LOG);
        assert_eq!(
            assert_pass(&repo.run("DOC-003")),
            "scheduled: none yet; emergency: none yet; audit: none yet"
        );
        repo.write(LOG, "");
        assert_pass(&repo.run("DOC-003"));
    }

    /// A scheduled entry, `from` -> `from + 1`, no checklist item, appended to the log.
    fn record_scheduled(repo: &Repo, from: u64, at: i64) {
        let dir = repo.root().join(DIR);
        let mut log = EvidenceLog::load(&dir).unwrap();
        let mut e = Execution::new(Kind::Scheduled, now().plus_seconds(at));
        e.written_at = Some(now().plus_seconds(at));
        e.reason = Some("criação do bundle".into());
        e.responsible = vec!["Eva".into()];
        e.version_from = Some(from);
        e.version_to = Some(from + 1);
        e.id = e.stable_id();
        e.check_fields().unwrap();
        log.append(e);
        fs_err::write(dir.join(LOG_FILE), log.to_jsonl()).unwrap();
    }

    /// Issue 13: the bundle's creation by `init` (v0 -> v1) claims no rotation item and is
    /// not judged as a rotation, as the first scheduled entry only.
    #[test]
    fn the_bundles_creation_is_not_judged_as_a_rotation() {
        let repo = Repo::compliant();
        repo.remove(LOG);
        repo.write(LOG, "");
        record_scheduled(&repo, 0, -120);
        assert!(
            assert_pass(&repo.run("DOC-003"))
                .contains("created the bundle (v0 -> v1); no rotation yet")
        );
    }

    #[test]
    fn a_later_v0_entry_is_judged_like_any_rotation() {
        let repo = Repo::compliant();
        repo.remove(LOG);
        repo.write(LOG, "");
        record_scheduled(&repo, 0, -120);
        record_scheduled(&repo, 0, -60);
        let outcome = repo.run("DOC-003");
        assert_eq!(outcome.status, Status::Fail, "{outcome:?}");
    }

    #[test]
    fn passes_when_the_latest_audit_earned_its_items() {
        let repo = Repo::compliant();
        record_audit(&repo, |_| {});
        let outcome = repo.run("DOC-003");
        assert!(
            assert_pass(&outcome).contains("audit: `audit-20261130T054011Z` earned 1"),
            "{outcome:?}"
        );
    }

    #[test]
    fn fails_on_a_skipped_required_item() {
        let mut repo = Repo::compliant();
        repo.policy.documents.checklist_required.audit =
            vec!["ops-controls".into(), "verify".into()];
        record_audit(&repo, |e| {
            e.checklist
                .push(CheckItem::skipped("verify", "evidence-writer indisponível"));
        });
        let outcome = repo.run("DOC-003");
        assert_fail_at(&outcome, LOG, Some(2));
        assert_eq!(
            outcome.message,
            "`audit-20261130T054011Z` (audit): item `verify` was skipped: evidence-writer indisponível"
        );
        // Not required: the same entry passes.
        repo.policy.documents.checklist_required.audit = vec!["ops-controls".into()];
        assert_pass(&repo.run("DOC-003"));
    }

    #[test]
    fn fails_on_a_missing_required_item() {
        let mut repo = Repo::compliant();
        repo.policy.documents.checklist_required.audit =
            vec!["ops-controls".into(), "compare".into()];
        record_audit(&repo, |_| {});
        let outcome = repo.run("DOC-003");
        assert_eq!(
            outcome.message,
            "`audit-20261130T054011Z` (audit): item `compare` was not done by any step"
        );
    }

    #[test]
    fn fails_when_the_proof_file_was_replaced_or_removed() {
        let repo = Repo::compliant();
        record_audit(&repo, |_| {});
        let report = format!("{DIR}/artifacts/audit-20261130T054011Z/ops-controls-report.json");
        repo.write(&report, "{\"report\":false}\n");
        let outcome = repo.run("DOC-003");
        assert_eq!(
            outcome.message,
            "`audit-20261130T054011Z` (audit): item `ops-controls`: artifacts/audit-20261130T054011Z/ops-controls-report.json does not have the recorded sha256"
        );
        repo.remove(&report);
        assert!(
            repo.run("DOC-003")
                .message
                .ends_with("ops-controls-report.json is missing")
        );
    }

    #[test]
    fn fails_when_a_named_entry_is_not_in_the_log() {
        let mut repo = Repo::compliant();
        repo.policy.documents.checklist_required.audit =
            vec!["ops-controls".into(), "compare".into()];
        record_audit(&repo, |e| {
            e.checklist.push(CheckItem::done(
                "compare",
                Proof::Entry {
                    id: "audit-19990101T000000Z".into(),
                },
            ));
        });
        assert_eq!(
            repo.run("DOC-003").message,
            "`audit-20261130T054011Z` (audit): item `compare`: the entry `audit-19990101T000000Z` it names is not recorded before it"
        );
    }

    #[test]
    fn fails_on_a_schema_1_entry_after_checklists() {
        let repo = Repo::compliant();
        record_audit(&repo, |_| {});
        // A schema 1 scheduled line appended after the schema 2 audit.
        let text = repo.read(LOG);
        let first = text.lines().next().unwrap();
        let head = EvidenceLog::load(&repo.root().join(DIR))
            .unwrap()
            .head()
            .to_owned();
        let v1 = first.replace("\"seq\":1", "\"seq\":3").replace(
            "\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\"",
            &format!("\"prev\":\"{head}\""),
        );
        repo.write(LOG, &format!("{text}{v1}\n"));
        let outcome = repo.run("DOC-003");
        assert_eq!(outcome.status, Status::Fail);
        assert_eq!(
            outcome.message,
            "`scheduled-v3` is written in schema 1 after entries with checklists: its items cannot be judged"
        );
    }

    #[test]
    fn a_pending_execution_earns_its_ops_controls_item_by_the_report_being_made() {
        let repo = Repo::compliant();
        let mut e = Execution::new(Kind::Audit, now());
        e.written_at = Some(now());
        e.reason = Some("x".into());
        e.responsible = vec!["Eva".into()];
        e.id = e.stable_id();
        let mut cx = repo.context();
        cx.pending = Some(e.clone());
        let control = crate::controls::all()
            .iter()
            .find(|c| c.id == "DOC-003")
            .unwrap();
        let outcome = (control.run)(&cx);
        assert_eq!(outcome.status, Status::Pass, "{outcome:?}");
        // Without being pending, the same execution has not earned it.
        cx.pending = None;
        let dir = repo.root().join(DIR);
        let mut log = EvidenceLog::load(&dir).unwrap();
        log.append(e);
        fs_err::write(dir.join(LOG_FILE), log.to_jsonl()).unwrap();
        assert_eq!((control.run)(&cx).status, Status::Fail);
    }

    /// An emergency whose record states (or not) the isolation, with the items it proves.
    fn record_emergency(repo: &Repo, isolation: Option<&str>) {
        use bundle_core::ops::evidence::{Acknowledgment, EmergencyRecord, SecretDisposition};
        let dir = repo.root().join(DIR);
        let mut log = EvidenceLog::load(&dir).unwrap();
        let mut e = Execution::new(Kind::Emergency, now().plus_seconds(-60));
        e.written_at = Some(now().plus_seconds(-60));
        e.reason = Some("incidente INC-3".into());
        e.responsible = vec!["Carla".into(), "Diego".into()];
        e.incident = Some("INC-3".into());
        e.version_from = Some(3);
        e.version_to = Some(4);
        let record = EmergencyRecord {
            isolation: isolation.map(str::to_owned),
            secrets: vec![SecretDisposition {
                path: "MCP_API_TOKEN".into(),
                replaced: true,
                acknowledged: Some(Acknowledgment::Revoked),
            }],
            comms: None,
        };
        e.checklist = record.items().to_vec();
        e.emergency = Some(record);
        e.id = e.stable_id();
        e.check_fields().unwrap();
        log.append(e);
        fs_err::write(dir.join(LOG_FILE), log.to_jsonl()).unwrap();
    }

    /// Issue 12: "Isolamento" is required of an emergency by default and earned only by the
    /// responsible's statement; an isolation nobody stated is reported with its reason.
    #[test]
    fn an_emergency_without_a_stated_isolation_fails_and_one_with_it_passes() {
        assert!(
            bundle_core::ops::evidence::default_required(Kind::Emergency)
                .starts_with(&["isolation", "revocation"])
        );
        let mut repo = Repo::compliant();
        repo.policy.documents.checklist_required.emergency =
            vec!["isolation".into(), "revocation".into()];
        record_emergency(&repo, None);
        let outcome = repo.run("DOC-003");
        assert_fail_at(&outcome, LOG, Some(2));
        assert_eq!(
            outcome.message,
            "`emergency-v4` (emergency): item `isolation` was skipped: isolamento não declarado pelos responsáveis: nada foi registrado"
        );
        let repo2 = {
            let mut r = Repo::compliant();
            r.policy.documents.checklist_required.emergency =
                vec!["isolation".into(), "revocation".into()];
            r
        };
        record_emergency(&repo2, Some("deploys suspensos"));
        assert!(assert_pass(&repo2.run("DOC-003")).contains("emergency: `emergency-v4` earned 2"));
    }

    #[test]
    fn fails_on_an_unreadable_log() {
        let repo = Repo::compliant();
        repo.write(LOG, "{not json\n");
        assert_fail_at(&repo.run("DOC-003"), LOG, None);
    }
}
