//! What an emergency rotation states about the runbook's steps it cannot do itself
//! ("Rotação emergencial": Isolamento, Comunicação), and what became of each secret of the
//! bundle (issue 12: evidence that is earned).
//!
//! An [`EmergencyRecord`] is part of the emergency entry, so its statements carry that
//! entry's responsible people and time, and the hash chain. What must stay true: nothing
//! here is a default that reads as done. Isolation is `None` unless the responsible
//! described it; communication is `None` (pending) unless a comms entry with the
//! responsible's own message was recorded with the rotation; every secret is either
//! replaced or explicitly acknowledged (revoked at its provider, or not affected), and a
//! record with no secret at all is refused. The field is optional in the log, so entries
//! written before it existed still verify.

use serde::{Deserialize, Serialize};

use super::fields::{FieldError, check_text};

/// The longest dotted path of a secret kept in the record.
const MAX_PATH_CHARS: usize = 500;

/// An emergency rotation's statements, recorded in its entry (field `emergency`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencyRecord {
    /// What the responsible people said they did to isolate the incident (tokens revoked,
    /// deploys or workflows suspended); `None` when they stated nothing.
    pub isolation: Option<String>,
    /// Every secret of the bundle (dotted path) and what became of it, in bundle order.
    pub secrets: Vec<SecretDisposition>,
    /// The id of the comms entry recorded with the rotation from the responsible's own
    /// message; `None` when communication is still pending.
    pub comms: Option<String>,
}

/// One secret of the bundle in an emergency: replaced by a new value, acknowledged, or both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretDisposition {
    /// The secret's dotted path in the bundle (`database.password`), never its value.
    pub path: String,
    /// A new value was written by the rotation (`--set`).
    pub replaced: bool,
    /// What the responsible people stated about the old value.
    pub acknowledged: Option<Acknowledgment>,
}

/// A statement about a secret's old value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Acknowledgment {
    /// Already revoked at its provider (`--revoked`).
    Revoked,
    /// Not exposed by the incident (`--not-affected`).
    NotAffected,
}

impl Acknowledgment {
    /// The name used in the log and on the command line (`revoked`, `not-affected`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revoked => "revoked",
            Self::NotAffected => "not-affected",
        }
    }
}

impl SecretDisposition {
    /// True when the secret was neither replaced nor acknowledged.
    pub fn is_unhandled(&self) -> bool {
        !self.replaced && self.acknowledged.is_none()
    }
}

impl EmergencyRecord {
    /// The rules of the record: at least one secret, each path valid and listed once, each
    /// secret replaced or acknowledged, the isolation and comms texts valid when present.
    pub fn check(&self) -> Result<(), FieldError> {
        if self.secrets.is_empty() {
            return Err(FieldError::EmergencyWithoutSecrets);
        }
        for (i, secret) in self.secrets.iter().enumerate() {
            check_text("secret path", &secret.path, MAX_PATH_CHARS)?;
            if self.secrets[..i].iter().any(|s| s.path == secret.path) {
                return Err(FieldError::DuplicateSecret {
                    path: secret.path.clone(),
                });
            }
            if secret.is_unhandled() {
                return Err(FieldError::UnhandledSecret {
                    path: secret.path.clone(),
                });
            }
        }
        if let Some(isolation) = &self.isolation {
            check_text("isolation", isolation, super::fields::MAX_TEXT_CHARS)?;
        }
        if let Some(comms) = &self.comms {
            check_text("comms", comms, super::fields::MAX_TEXT_CHARS)?;
            if !comms.starts_with("comms-") {
                return Err(FieldError::InvalidText {
                    field: "comms",
                    reason: "it is not the id of a comms entry",
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::{Entry, Execution, GENESIS_HASH, Kind};
    use super::*;
    use crate::time::Timestamp;

    fn emergency(record: Option<EmergencyRecord>) -> Execution {
        let mut e = Execution::new(
            Kind::Emergency,
            Timestamp::parse_rfc3339("2025-01-10T12:00:00Z").unwrap(),
        );
        e.reason = Some("incidente INC-7".into());
        e.responsible = vec!["Carla".into(), "Diego".into()];
        e.incident = Some("INC-7".into());
        e.version_from = Some(3);
        e.version_to = Some(4);
        e.written_at = Some(e.recorded_at);
        e.emergency = record;
        e.id = e.stable_id();
        e
    }

    fn secret(
        path: &str,
        replaced: bool,
        acknowledged: Option<Acknowledgment>,
    ) -> SecretDisposition {
        SecretDisposition {
            path: path.into(),
            replaced,
            acknowledged,
        }
    }

    fn record() -> EmergencyRecord {
        EmergencyRecord {
            isolation: Some("tokens revogados; deploys suspensos".into()),
            secrets: vec![
                secret("github.token", true, None),
                secret("database.password", false, Some(Acknowledgment::Revoked)),
                secret("slack.webhook", false, Some(Acknowledgment::NotAffected)),
            ],
            comms: None,
        }
    }

    #[test]
    fn an_entry_without_the_record_keeps_the_bytes_it_always_had() {
        let entry = Entry::seal(1, emergency(None), GENESIS_HASH);
        let line = entry.to_line();
        assert!(!line.contains("\"emergency\":"), "{line}");
        // A line written before the field existed reads back to the same entry and hash.
        let back = Entry::from_line(&line).unwrap();
        assert_eq!(back, entry);
        assert_eq!(back.compute_hash(), entry.hash);
        emergency(None).check_fields().unwrap();
    }

    #[test]
    fn the_record_is_hashed_and_round_trips() {
        let entry = Entry::seal(1, emergency(Some(record())), GENESIS_HASH);
        let line = entry.to_line();
        assert!(
            line.contains(
                "\"artifacts\":[],\"checklist\":[],\"emergency\":{\"isolation\":\"tokens revogados; deploys suspensos\",\
                 \"secrets\":[{\"path\":\"github.token\",\"replaced\":true,\"acknowledged\":null},\
                 {\"path\":\"database.password\",\"replaced\":false,\"acknowledged\":\"revoked\"},\
                 {\"path\":\"slack.webhook\",\"replaced\":false,\"acknowledged\":\"not-affected\"}],\
                 \"comms\":null},\"prev\""
            ),
            "{line}"
        );
        let back = Entry::from_line(&line).unwrap();
        assert_eq!(back, entry);
        assert_ne!(
            entry.hash,
            Entry::seal(1, emergency(None), GENESIS_HASH).hash
        );
        entry.execution.check_fields().unwrap();
    }

    #[test]
    fn the_record_refuses_what_did_not_happen() {
        let check = |r: EmergencyRecord| emergency(Some(r)).check_fields();
        let mut empty = record();
        empty.secrets.clear();
        assert_eq!(check(empty), Err(FieldError::EmergencyWithoutSecrets));
        let mut unhandled = record();
        unhandled.secrets.push(secret("api.key", false, None));
        assert_eq!(
            check(unhandled),
            Err(FieldError::UnhandledSecret {
                path: "api.key".into()
            })
        );
        let mut twice = record();
        twice
            .secrets
            .push(secret("github.token", false, Some(Acknowledgment::Revoked)));
        assert_eq!(
            check(twice),
            Err(FieldError::DuplicateSecret {
                path: "github.token".into()
            })
        );
        let mut blank = record();
        blank.isolation = Some("  ".into());
        assert!(matches!(
            check(blank),
            Err(FieldError::InvalidText {
                field: "isolation",
                ..
            })
        ));
        let mut comms = record();
        comms.comms = Some("audit-20250110T120000Z".into());
        assert!(matches!(
            check(comms),
            Err(FieldError::InvalidText { field: "comms", .. })
        ));
        let mut comms = record();
        comms.comms = Some("comms-INC-7-20250110T120000Z".into());
        assert_eq!(check(comms), Ok(()));
        let mut scheduled = emergency(Some(record()));
        scheduled.kind = Kind::Scheduled;
        scheduled.id = scheduled.stable_id();
        assert_eq!(
            scheduled.check_fields(),
            Err(FieldError::EmergencyRecordNotAllowed {
                kind: Kind::Scheduled
            })
        );
    }
}
