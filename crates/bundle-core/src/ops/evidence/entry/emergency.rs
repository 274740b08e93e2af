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
//!
//! The decisions are turned into a record by one function, [`EmergencyRecord::decide`], for
//! `xtask rotate --emergency` and `evidence-writer record --kind emergency` alike, and the
//! record earns the checklist items it proves by one function, [`EmergencyRecord::items`]:
//! `isolation` is done only when the isolation was stated (its proof names that statement),
//! skipped with the reason otherwise; `revocation` is done because every secret is decided.

use serde::{Deserialize, Serialize};

use super::checklist::{CheckItem, ISOLATION_ITEM, Proof, REVOCATION_ITEM};
use super::fields::{FieldError, check_text};
use crate::ops::mcp::HEADER_KEYS;
use crate::sops::SopsFile;

/// The field of the record that states the isolation (a [`Proof::Statement`]).
pub const ISOLATION_FIELD: &str = "isolation";

/// The field of the record that lists every secret's decision (a [`Proof::Statement`]).
pub const SECRETS_FIELD: &str = "secrets";

/// The reason an emergency's `isolation` item is skipped when nobody stated it.
pub const ISOLATION_NOT_STATED: &str =
    "isolamento não declarado pelos responsáveis: nada foi registrado";

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

/// The decisions given for an emergency, as dotted paths of the bundle's secrets.
#[derive(Debug, Clone, Copy, Default)]
pub struct Decisions<'a> {
    /// Secrets given a new value.
    pub replaced: &'a [String],
    /// Secrets already revoked at their provider.
    pub revoked: &'a [String],
    /// Secrets not exposed by the incident.
    pub not_affected: &'a [String],
    /// What the responsible people did to isolate the incident, as they stated it.
    pub isolation: Option<&'a str>,
}

/// Why the decisions of an emergency do not make a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecisionError {
    /// An acknowledgment names something that is not a secret of the bundle.
    #[error("--{} {name}: not a secret of the bundle", ack.as_str())]
    NotASecret {
        /// Which acknowledgment.
        ack: Acknowledgment,
        /// The name given.
        name: String,
    },
    /// A secret both revoked and not affected.
    #[error("{path}: given to both --revoked and --not-affected")]
    Conflicting {
        /// The secret's dotted path.
        path: String,
    },
    /// Secrets with no decision, in bundle order.
    #[error("no decision for {} secret(s) of the bundle: {}", paths.len(), paths.join(", "))]
    Undecided {
        /// Their dotted paths.
        paths: Vec<String>,
    },
    /// The bundle holds no secret and no value was set.
    #[error(
        "the bundle holds no secret: an emergency rotation would replace and acknowledge nothing"
    )]
    NoSecrets,
    /// The record breaks a rule of the log (a text, a path).
    #[error("emergency record: {0}")]
    Invalid(#[from] FieldError),
}

/// The secrets of `bundle`: its encrypted leaves other than the MCP header, as dotted paths,
/// in bundle order.
pub fn bundle_secrets(bundle: &SopsFile) -> Vec<String> {
    bundle
        .leaves()
        .into_iter()
        .filter(|l| l.encrypted)
        .map(|l| l.path.dotted())
        .filter(|p| !HEADER_KEYS.contains(&p.as_str()))
        .collect()
}

impl EmergencyRecord {
    /// The record of an emergency whose bundle holds `secrets` (dotted paths, bundle order),
    /// given `decisions`: every secret replaced or acknowledged, every acknowledged name a
    /// secret, no secret both revoked and not affected. A value set at a new path is a new
    /// secret, recorded as replaced. `comms` is left pending (`None`): the caller names the
    /// comms entry once it is recorded.
    pub fn decide(secrets: &[String], decisions: &Decisions<'_>) -> Result<Self, DecisionError> {
        let mut acknowledged: Vec<(&str, Acknowledgment)> = Vec::new();
        for (names, ack) in [
            (decisions.revoked, Acknowledgment::Revoked),
            (decisions.not_affected, Acknowledgment::NotAffected),
        ] {
            for name in names {
                if !secrets.contains(name) {
                    return Err(DecisionError::NotASecret {
                        ack,
                        name: name.clone(),
                    });
                }
                match acknowledged.iter().find(|(p, _)| p == name) {
                    Some((_, other)) if *other != ack => {
                        return Err(DecisionError::Conflicting { path: name.clone() });
                    }
                    Some(_) => {}
                    None => acknowledged.push((name, ack)),
                }
            }
        }
        let mut dispositions: Vec<SecretDisposition> = secrets
            .iter()
            .map(|path| SecretDisposition {
                path: path.clone(),
                replaced: decisions.replaced.contains(path),
                acknowledged: acknowledged
                    .iter()
                    .find(|(p, _)| p == path)
                    .map(|(_, a)| *a),
            })
            .collect();
        let undecided: Vec<String> = dispositions
            .iter()
            .filter(|d| d.is_unhandled())
            .map(|d| d.path.clone())
            .collect();
        if !undecided.is_empty() {
            return Err(DecisionError::Undecided { paths: undecided });
        }
        for path in decisions.replaced {
            if !dispositions.iter().any(|d| &d.path == path) {
                dispositions.push(SecretDisposition {
                    path: path.clone(),
                    replaced: true,
                    acknowledged: None,
                });
            }
        }
        if dispositions.is_empty() {
            return Err(DecisionError::NoSecrets);
        }
        let record = Self {
            isolation: decisions.isolation.map(|t| t.trim().to_owned()),
            secrets: dispositions,
            comms: None,
        };
        record.check()?;
        Ok(record)
    }

    /// The checklist items this record proves: `isolation` done with the statement as its
    /// proof, or skipped ([`ISOLATION_NOT_STATED`]) when nobody stated it; `revocation` done,
    /// every secret being replaced or acknowledged (the record's rule). Never an item done
    /// for something the record does not hold.
    pub fn items(&self) -> [CheckItem; 2] {
        let isolation = if self.isolation.is_some() {
            CheckItem::done(
                ISOLATION_ITEM,
                Proof::Statement {
                    field: ISOLATION_FIELD.to_owned(),
                },
            )
        } else {
            CheckItem::skipped(ISOLATION_ITEM, ISOLATION_NOT_STATED)
        };
        let revocation = CheckItem::done(
            REVOCATION_ITEM,
            Proof::Statement {
                field: SECRETS_FIELD.to_owned(),
            },
        );
        [isolation, revocation]
    }

    /// True when the record holds the statement `field` names ([`ISOLATION_FIELD`],
    /// [`SECRETS_FIELD`]).
    pub fn states(&self, field: &str) -> bool {
        match field {
            ISOLATION_FIELD => self.isolation.is_some(),
            SECRETS_FIELD => {
                !self.secrets.is_empty() && self.secrets.iter().all(|s| !s.is_unhandled())
            }
            _ => false,
        }
    }

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
    use crate::ops::evidence::CheckItem;
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

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn decide_records_every_secret_or_names_what_is_missing() {
        let secrets = names(&["github.token", "database.password", "slack.webhook"]);
        let replaced = names(&["github.token", "extra.new"]);
        let revoked = names(&["database.password", "github.token"]);
        let not_affected = names(&["slack.webhook"]);
        let decisions = Decisions {
            replaced: &replaced,
            revoked: &revoked,
            not_affected: &not_affected,
            isolation: Some("  deploys suspensos "),
        };
        let record = EmergencyRecord::decide(&secrets, &decisions).unwrap();
        assert_eq!(record.isolation.as_deref(), Some("deploys suspensos"));
        assert_eq!(record.comms, None);
        assert_eq!(
            record.secrets,
            [
                secret("github.token", true, Some(Acknowledgment::Revoked)),
                secret("database.password", false, Some(Acknowledgment::Revoked)),
                secret("slack.webhook", false, Some(Acknowledgment::NotAffected)),
                secret("extra.new", true, None),
            ]
        );
        let partial = Decisions {
            revoked: &revoked,
            ..Decisions::default()
        };
        assert_eq!(
            EmergencyRecord::decide(&secrets, &partial),
            Err(DecisionError::Undecided {
                paths: names(&["slack.webhook"])
            })
        );
        let unknown = names(&["github.tokn"]);
        assert_eq!(
            EmergencyRecord::decide(
                &secrets,
                &Decisions {
                    not_affected: &unknown,
                    ..Decisions::default()
                }
            ),
            Err(DecisionError::NotASecret {
                ack: Acknowledgment::NotAffected,
                name: "github.tokn".into()
            })
        );
        let both = names(&["slack.webhook"]);
        let err = EmergencyRecord::decide(
            &secrets,
            &Decisions {
                revoked: &both,
                not_affected: &both,
                ..Decisions::default()
            },
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "slack.webhook: given to both --revoked and --not-affected"
        );
        assert_eq!(
            EmergencyRecord::decide(&[], &Decisions::default()),
            Err(DecisionError::NoSecrets)
        );
        let bad = Decisions {
            replaced: &replaced,
            revoked: &revoked,
            not_affected: &not_affected,
            isolation: Some("a\u{202E}b"),
        };
        assert!(matches!(
            EmergencyRecord::decide(&secrets, &bad),
            Err(DecisionError::Invalid(FieldError::InvalidText {
                field: "isolation",
                ..
            }))
        ));
    }

    /// Issue 12: "Isolamento" is a step of the checklist, done only with the statement.
    #[test]
    fn isolation_is_done_only_when_stated_and_its_proof_must_hold() {
        let stated = record();
        let [isolation, revocation] = stated.items();
        assert!(isolation.is_done());
        assert_eq!(
            isolation.proof,
            Some(Proof::Statement {
                field: "isolation".into()
            })
        );
        assert!(revocation.is_done());
        let mut e = emergency(Some(stated.clone()));
        e.checklist = stated.items().to_vec();
        e.check_fields().unwrap();

        let mut silent = record();
        silent.isolation = None;
        let [isolation, _] = silent.items();
        assert!(!isolation.is_done());
        assert_eq!(isolation.reason.as_deref(), Some(ISOLATION_NOT_STATED));
        // Claiming the statement the record does not hold is refused.
        let mut e = emergency(Some(silent));
        e.checklist = vec![CheckItem::done(
            "isolation",
            Proof::Statement {
                field: "isolation".into(),
            },
        )];
        assert_eq!(
            e.check_fields(),
            Err(FieldError::InvalidItem {
                id: "isolation".into(),
                reason: "the entry's emergency record does not hold that statement"
            })
        );
        let mut e = emergency(None);
        e.checklist = vec![CheckItem::done(
            "revocation",
            Proof::Statement {
                field: "secrets".into(),
            },
        )];
        assert_eq!(
            e.check_fields(),
            Err(FieldError::InvalidItem {
                id: "revocation".into(),
                reason: "a statement proof needs the entry's emergency record"
            })
        );
        assert!(!record().states("comms"));
    }
}
