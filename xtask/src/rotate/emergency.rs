//! The emergency's preconditions and statements (issue 12): before the bundle changes, every
//! secret of the bundle has a decision (a new value with `--set`, or `--revoked` /
//! `--not-affected`), the isolation is whatever `--isolated` says, and the communication is
//! the responsible's own `--comms-message`; all of it becomes the entry's
//! [`EmergencyRecord`], and what is still to do is printed at the end.
//!
//! What must stay true: a missing decision stops the rotation before anything is written
//! (exit 2), listing every undecided secret by path (never a value) and the three ways to
//! decide; a name that is not a secret of the bundle is refused, never ignored; nothing is
//! claimed that was not given (no isolation without `--isolated`, no comms entry without a
//! message: the record says "pending" and the output gives the command to record it). The
//! record's `isolation` and `revocation` checklist items come from the record itself
//! ([`EmergencyRecord::items`]); when the policy requires `isolation` (the default), an
//! emergency without `--isolated` is refused before anything changes.

use std::io::{Read as _, Write};

use bundle_core::ops::evidence::{
    Acknowledgment, DecisionError, Decisions, EmergencyRecord, Execution, ISOLATION_ITEM, Kind,
    bundle_secrets,
};
use bundle_core::sops::SopsFile;
use bundle_core::time::Timestamp;

use super::request::{Emergency, Request, tree_path};
use super::{BUNDLE, DEFAULT_DIR};
use crate::Failure;

/// Where `--comms-message` comes from.
#[derive(Debug, Clone)]
pub(crate) enum CommsSource {
    /// The text given on the command line.
    Text(String),
    /// Read from stdin (`--comms-message -`).
    Stdin,
}

impl CommsSource {
    /// `-` reads stdin; any other text is the message.
    pub(crate) fn parse(value: String) -> Self {
        if value == "-" {
            Self::Stdin
        } else {
            Self::Text(value)
        }
    }
}

/// The dotted form of a name given to `flag` (the same syntax as `--set`).
fn dotted(flag: &str, name: &str) -> Result<String, Box<Failure>> {
    tree_path(flag, name).map(|p| p.dotted())
}

/// The record of an emergency, checked against the current bundle before anything changes:
/// every secret decided, every name known, the texts valid (bundle-core's
/// [`EmergencyRecord::decide`], the rule `evidence-writer record --kind emergency` applies
/// too); and, when the policy requires the `isolation` item of an emergency, the isolation
/// stated (`--isolated`): a rotation that could only be rolled back at its last step is
/// refused here instead. `comms` is filled in later, when the comms entry is recorded.
pub(super) fn record_for(
    request: &Request,
    emergency: &Emergency,
    bundle_path: &std::path::Path,
    required: &[String],
) -> Result<EmergencyRecord, Box<Failure>> {
    let bundle = SopsFile::read(bundle_path)?;
    let secrets = bundle_secrets(&bundle);
    let mut replaced = Vec::new();
    for (key, _) in &request.sets {
        replaced.push(dotted("set", key)?);
    }
    let dotted_all = |flag: &str, names: &[String]| -> Result<Vec<String>, Box<Failure>> {
        names.iter().map(|n| dotted(flag, n)).collect()
    };
    let revoked = dotted_all("revoked", &emergency.revoked)?;
    let not_affected = dotted_all("not-affected", &emergency.not_affected)?;
    let decisions = Decisions {
        replaced: &replaced,
        revoked: &revoked,
        not_affected: &not_affected,
        isolation: emergency.isolation.as_deref(),
    };
    let record = EmergencyRecord::decide(&secrets, &decisions).map_err(|e| match e {
        DecisionError::NotASecret { ack, name } => {
            // Name the secret as the user wrote it.
            let given = match ack {
                Acknowledgment::Revoked => &emergency.revoked,
                Acknowledgment::NotAffected => &emergency.not_affected,
            };
            let written = given
                .iter()
                .find(|g| dotted(ack.as_str(), g).ok().as_deref() == Some(name.as_str()))
                .unwrap_or(&name);
            Failure::usage(format!(
                "--{} {written}: not a secret of {BUNDLE}\nhint: name a secret as --set does (dotted path, e.g. database.password); the secrets are: {}",
                ack.as_str(),
                secrets.join(", ")
            ))
        }
        DecisionError::Conflicting { path } => Failure::usage(format!(
            "{path}: given to both --revoked and --not-affected\nhint: a secret is either revoked at its provider or not affected, not both"
        )),
        DecisionError::Undecided { paths } => Failure::usage(format!(
            "the emergency rotation has no decision for {} secret(s) of {BUNDLE}; nothing was changed:\n{}\nhint: before the bundle changes, give each one of:\n  --set PATH=@FILE     a new value (or PATH=- from stdin)\n  --revoked PATH       already revoked at its provider\n  --not-affected PATH  not exposed by this incident",
            paths.len(),
            paths
                .iter()
                .map(|p| format!("  - {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        )),
        DecisionError::NoSecrets => Failure::usage(format!(
            "{BUNDLE} holds no secret: an emergency rotation would replace and acknowledge nothing"
        )),
        other => Failure::usage(other.to_string()),
    })?;
    if record.isolation.is_none() && required.iter().any(|i| i == ISOLATION_ITEM) {
        return Err(Failure::usage(format!(
            "the emergency rotation has no isolation statement and {} requires the `{ISOLATION_ITEM}` item of an emergency; nothing was changed\nhint: say what was done to isolate the incident (runbook, Rotação emergencial: Isolamento), e.g. --isolated \"tokens revogados nos provedores; deploys suspensos\"; a team that does not isolate removes `{ISOLATION_ITEM}` from documents.checklist_required.emergency",
            ops_controls::DEFAULT_POLICY
        )));
    }
    Ok(record)
}

/// Reads `--comms-message` (stdin at most once, shared with `--set KEY=-`) and checks it as
/// a comms entry of `incident` at `now` would be checked.
pub(super) fn read_comms_message(
    request: &Request,
    emergency: &Emergency,
    now: Timestamp,
) -> Result<Option<String>, Box<Failure>> {
    let message = match &emergency.comms_message {
        None => return Ok(None),
        Some(CommsSource::Text(text)) => text.clone(),
        Some(CommsSource::Stdin) => {
            if request
                .sets
                .iter()
                .any(|(_, s)| matches!(s, super::request::SetSource::Stdin))
            {
                return Err(Failure::usage(
                    "--comms-message -: stdin already gives a --set value\nhint: pass the message as text, or the value as KEY=@FILE",
                ));
            }
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text)?;
            text
        }
    };
    let message = message.trim().to_owned();
    let mut comms = Execution::new(Kind::Comms, now);
    comms.incident = Some(emergency.incident.clone());
    comms.message = Some(message.clone());
    comms.id = comms.stable_id();
    comms
        .check_fields()
        .map_err(|e| Failure::usage(format!("--comms-message: {e}")))?;
    Ok(Some(message))
}

/// After an emergency: what the record states and what is still to do (isolation not
/// stated, communication pending, old values to revoke at their providers).
pub(super) fn print_after(
    record: &EmergencyRecord,
    incident: &str,
    repo: &std::path::Path,
    out: &mut dyn Write,
) {
    match &record.isolation {
        Some(text) => {
            let _ = writeln!(out, "Isolamento (declarado): {text}");
        }
        None => {
            let _ = writeln!(
                out,
                "Isolamento: não declarado (nada registrado; use --isolated \"<o que foi feito>\" na próxima vez)"
            );
        }
    }
    match &record.comms {
        Some(id) => {
            let _ = writeln!(out, "Comunicação registrada: {id} em {DEFAULT_DIR}");
        }
        None => {
            let _ = writeln!(
                out,
                "Comunicação pendente: publique a atualização em #mcp-incident e registre-a com\n  evidence-writer --repo {} comms --incident {incident} --message \"<texto publicado>\"",
                repo.display()
            );
        }
    }
    let to_revoke: Vec<&str> = record
        .secrets
        .iter()
        .filter(|s| s.acknowledged.is_none())
        .map(|s| s.path.as_str())
        .collect();
    if !to_revoke.is_empty() {
        let _ = writeln!(
            out,
            "Checklist do provedor: revogue na origem o valor antigo de cada segredo abaixo (o histórico git ainda o guarda cifrado com a chave antiga):"
        );
        for name in to_revoke {
            let _ = writeln!(out, "  - [ ] {name}");
        }
    }
    for secret in &record.secrets {
        let stated = match secret.acknowledged {
            Some(Acknowledgment::Revoked) => "revogado no provedor",
            Some(Acknowledgment::NotAffected) => "não afetado",
            None => continue,
        };
        let _ = writeln!(out, "  - {}: {stated} (declarado)", secret.path);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn comms_source_dash_is_stdin() {
        assert!(matches!(CommsSource::parse("-".into()), CommsSource::Stdin));
        assert!(matches!(CommsSource::parse("ok".into()), CommsSource::Text(t) if t == "ok"));
    }
}
