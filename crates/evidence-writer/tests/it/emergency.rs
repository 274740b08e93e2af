//! The emergency record of issue 12 through the library: recorded and rendered as stated
//! (isolation, each secret, communication or "pending"), and the comms update that a
//! pending emergency asked for is not reported as a late one.
#![allow(clippy::unwrap_used)]

use bundle_core::ops::evidence::{
    Acknowledgment, Decisions, EmergencyRecord, EvidenceLog, ISOLATION_NOT_STATED, Kind,
    SecretDisposition,
};
use bundle_core::time::Timestamp;
use evidence_writer::{Now, RecordRequest, record};

use crate::common::{EMERGENCY_AT, Repo, decide_all};

fn at(s: &str) -> Now {
    Now::fixed(Timestamp::parse_rfc3339(s).unwrap())
}

fn emergency(isolation: Option<&str>) -> RecordRequest {
    let mut request = RecordRequest::new(Kind::Emergency);
    request.reason = Some("incidente INC-9".into());
    request.responsible = vec!["Carla".into(), "Diego".into()];
    request.incident = Some("INC-9".into());
    request.version_from = Some(1);
    request.version_to = Some(2);
    request.emergency = Some(EmergencyRecord {
        isolation: isolation.map(str::to_owned),
        secrets: vec![
            SecretDisposition {
                path: "github.token".into(),
                replaced: true,
                acknowledged: None,
            },
            SecretDisposition {
                path: "database.password".into(),
                replaced: false,
                acknowledged: Some(Acknowledgment::Revoked),
            },
            SecretDisposition {
                path: "slack.webhook".into(),
                replaced: true,
                acknowledged: Some(Acknowledgment::NotAffected),
            },
        ],
        comms: None,
    });
    request
}

#[test]
fn an_emergency_record_is_rendered_as_stated_and_pending_comms_is_named() {
    let repo = Repo::initialized();
    record(&repo.evidence(), &emergency(None), at(EMERGENCY_AT), None).unwrap();
    let history = repo.evidence_file("runbooks-activation.md");
    for line in [
        "- **Isolamento:** não declarado\n",
        "- **Segredos:**\n  - github.token: valor novo\n  - database.password: revogado no provedor (declarado)\n  - slack.webhook: valor novo; não afetado (declarado)\n",
        "- **Comunicação:** pendente (`evidence-writer comms --incident INC-9 --message \"<texto publicado>\"`)\n",
    ] {
        assert!(history.contains(line), "missing {line:?} in:\n{history}");
    }
    let log = EvidenceLog::load(&repo.evidence()).unwrap();
    assert_eq!(
        log.get("emergency-v2").unwrap().execution.emergency,
        emergency(None).emergency
    );
    assert_eq!(
        repo.run(&["--at", "2025-03-05T15:41:00Z", "verify"]).code,
        0
    );
    // The update the emergency asked for is not "late"; one after it is.
    let first = repo.comms("2025-03-05T15:45:00Z", "INC-9", "rotação concluída");
    assert!(!first.stderr.contains("already closed"), "{}", first.stderr);
    let second = repo.comms("2025-03-05T15:50:00Z", "INC-9", "mais uma");
    assert!(
        second
            .stderr
            .contains("incident INC-9 was already closed by `emergency-v2`"),
        "{}",
        second.stderr
    );
}

#[test]
fn a_stated_isolation_and_recorded_comms_are_rendered() {
    let repo = Repo::initialized();
    let mut comms = RecordRequest::new(Kind::Comms);
    comms.incident = Some("INC-9".into());
    comms.message = Some("bundle rotacionado".into());
    let now = at(EMERGENCY_AT);
    record(&repo.evidence(), &comms, now, None).unwrap();
    let mut request = emergency(Some("tokens revogados; deploy suspenso"));
    // A communication the log does not hold is refused, nothing written.
    request.emergency.as_mut().unwrap().comms = Some("comms-INC-9-20250305T150000Z".into());
    let before = repo.picture();
    let err = record(&repo.evidence(), &request, now, None).unwrap_err();
    assert!(
        matches!(&err, evidence_writer::Error::UnknownComms { id, .. } if id == "comms-INC-9-20250305T150000Z"),
        "{err}"
    );
    assert_eq!(repo.picture(), before);
    request.emergency.as_mut().unwrap().comms = Some("comms-INC-9-20250305T154000Z".into());
    record(&repo.evidence(), &request, now, None).unwrap();
    let history = repo.evidence_file("runbooks-activation.md");
    assert!(
        history.contains("- **Isolamento:** tokens revogados; deploy suspenso\n"),
        "{history}"
    );
    assert!(
        history.contains(
            "- **Comunicação:** [comms-INC-9-20250305T154000Z](<#comms-INC-9-20250305T154000Z>)\n"
        ),
        "{history}"
    );
    // A comms after a closing that did not leave it pending is late, as before.
    let late = repo.comms("2025-03-05T15:45:00Z", "INC-9", "tarde");
    assert!(late.stderr.contains("already closed"), "{}", late.stderr);
}

/// Issue 12: an emergency recorded by hand states the same decisions as `xtask rotate
/// --emergency`, checked by the same rule, or nothing is written.
#[test]
fn by_hand_an_emergency_needs_a_decision_for_every_secret_of_the_bundle() {
    let repo = Repo::initialized();
    let secrets = repo.with_bundle();
    let log_before = repo.evidence_file("executions.jsonl");
    let none = repo.record_emergency(&[]);
    assert_eq!(none.code, 2, "{}", none.stderr);
    assert!(
        none.stderr.contains("none was given, nothing was written"),
        "{}",
        none.stderr
    );
    let partial = repo.record_emergency(&["--replaced", &secrets[0]]);
    assert_eq!(partial.code, 2);
    assert!(
        partial.stderr.contains(&format!(
            "error: no decision for {} secret(s) of the bundle: {}; nothing was written\nhint: give every secret",
            secrets.len() - 1,
            secrets[1..].join(", ")
        )),
        "{}",
        partial.stderr
    );
    let unknown = repo.record_emergency(&["--replaced", &secrets[0], "--revoked", "github.tokn"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("--revoked github.tokn: not a secret of the bundle"),
        "{}",
        unknown.stderr
    );
    // The comms entry named must be one of this incident's, already in the log.
    let mut all = decide_all(&secrets);
    all.extend(["--comms", "comms-INC-9-20250305T150000Z"]);
    let comms = repo.record_emergency(&all);
    assert_eq!(comms.code, 2, "{}", comms.stderr);
    assert!(
        comms.stderr.contains("comms-INC-9-20250305T150000Z"),
        "{}",
        comms.stderr
    );
    // Decisions on another kind are refused, not ignored.
    let scheduled = repo.run(&[
        "record",
        "--kind",
        "audit",
        "--reason",
        "x",
        "--responsible",
        "A",
        "--isolated",
        "nada",
    ]);
    assert_eq!(scheduled.code, 2);
    assert!(
        scheduled
            .stderr
            .contains("--isolated is for --kind emergency only, not audit"),
        "{}",
        scheduled.stderr
    );
    assert_eq!(repo.evidence_file("executions.jsonl"), log_before);
}

#[test]
fn by_hand_the_record_and_its_items_are_the_ones_xtask_records() {
    let repo = Repo::initialized();
    let secrets = repo.with_bundle();
    repo.comms("2025-03-05T15:30:00Z", "INC-9", "tokens revogados");
    let mut all = decide_all(&secrets);
    all.extend(["--comms", "comms-INC-9-20250305T153000Z"]);
    let out = repo.record_emergency(&all);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    let log = EvidenceLog::load(&repo.evidence()).unwrap();
    let e = &log.get("emergency-v2").unwrap().execution;
    let record = e.emergency.clone().unwrap();
    let expected = EmergencyRecord::decide(
        &secrets,
        &Decisions {
            replaced: &secrets[..1],
            revoked: &secrets[1..2],
            not_affected: &secrets[2..],
            isolation: None,
        },
    )
    .unwrap();
    assert_eq!(record.secrets, expected.secrets);
    assert_eq!(record.isolation, None);
    assert_eq!(
        record.comms.as_deref(),
        Some("comms-INC-9-20250305T153000Z")
    );
    // Isolation not stated: skipped with the reason, never done.
    let isolation = e.item("isolation").unwrap();
    assert!(!isolation.is_done());
    assert_eq!(isolation.reason.as_deref(), Some(ISOLATION_NOT_STATED));
    assert!(e.item("revocation").unwrap().is_done());
    assert!(e.item("comms").unwrap().is_done());
    assert_eq!(
        repo.checklist_line("emergency-v2.isolation"),
        "- [ ] `emergency-v2.isolation` Isolamento: tokens revogados nos provedores e dependentes suspensos — **ignorado**: isolamento não declarado pelos responsáveis: nada foi registrado"
    );
    assert_eq!(
        repo.checklist_line("emergency-v2.revocation"),
        format!(
            "- [x] `emergency-v2.revocation` Cada segredo com valor novo ou revogação/não afetado confirmado — prova: decisão registrada para {} segredo(s): 1 substituído(s), 1 revogado(s), {} não afetado(s)",
            secrets.len(),
            secrets.len() - 2
        )
    );
    assert_eq!(
        repo.run(&["--at", "2025-03-05T15:41:00Z", "verify"]).code,
        0
    );
}

#[test]
fn by_hand_a_stated_isolation_is_the_isolation_items_proof() {
    let repo = Repo::initialized();
    // No bundle in this repository: the names given are recorded, with a warning.
    let out = repo.record_emergency(&[
        "--revoked",
        "github.token",
        "--isolated",
        "token revogado; deploys suspensos",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("not checked against the bundle's secrets"),
        "{}",
        out.stderr
    );
    assert_eq!(
        repo.checklist_line("emergency-v2.isolation"),
        "- [x] `emergency-v2.isolation` Isolamento: tokens revogados nos provedores e dependentes suspensos — prova: declaração dos responsáveis «token revogado; deploys suspensos»"
    );
    assert_eq!(
        repo.checklist_line("emergency-v2.comms"),
        "- [ ] `emergency-v2.comms` Comunicação do incidente registrada (`comms`) — **ignorado**: comunicação pendente: nenhuma entrada comms informada (--comms ID)"
    );
}
