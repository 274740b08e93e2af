//! The emergency record of issue 12 through the library: recorded and rendered as stated
//! (isolation, each secret, communication or "pending"), and the comms update that a
//! pending emergency asked for is not reported as a late one.
#![allow(clippy::unwrap_used)]

use bundle_core::ops::evidence::{
    Acknowledgment, EmergencyRecord, EvidenceLog, Kind, SecretDisposition,
};
use bundle_core::time::Timestamp;
use evidence_writer::{Now, RecordRequest, record};

use crate::common::Repo;

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
    let repo = Repo::new();
    repo.ok(&["init"]);
    record(
        &repo.evidence(),
        &emergency(None),
        at("2025-03-05T15:40:00Z"),
        None,
    )
    .unwrap();
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
    let first = repo.ok(&[
        "--at",
        "2025-03-05T15:45:00Z",
        "comms",
        "--incident",
        "INC-9",
        "--message",
        "rotação concluída",
    ]);
    assert!(!first.stderr.contains("already closed"), "{}", first.stderr);
    let second = repo.ok(&[
        "--at",
        "2025-03-05T15:50:00Z",
        "comms",
        "--incident",
        "INC-9",
        "--message",
        "mais uma",
    ]);
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
    let repo = Repo::new();
    repo.ok(&["init"]);
    let mut comms = RecordRequest::new(Kind::Comms);
    comms.incident = Some("INC-9".into());
    comms.message = Some("bundle rotacionado".into());
    let now = at("2025-03-05T15:40:00Z");
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
    let late = repo.ok(&[
        "--at",
        "2025-03-05T15:45:00Z",
        "comms",
        "--incident",
        "INC-9",
        "--message",
        "tarde",
    ]);
    assert!(late.stderr.contains("already closed"), "{}", late.stderr);
}
