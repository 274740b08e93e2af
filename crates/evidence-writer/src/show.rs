//! `show`: the executions as data — a plain table, or one JSON document with `--json`.
//!
//! The JSON structs here are the output format (`schema_version` 2), separate from the log's
//! types, so that a change inside bundle-core does not silently change what scripts read.
//! Schema 2 (issue 12) adds to each execution when it was written, its checklist (each item
//! done with its proof or skipped with its reason) and an emergency's record (isolation as
//! stated, every secret's decision, the comms entry or pending); the text output shows them
//! under the execution's line. Nothing is shown as done that the entry does not hold.

use std::io::Write;

use bundle_core::ops::evidence::{
    Acknowledgment, CheckItem, EmergencyRecord, Entry, EvidenceLog, Proof,
};
use serde::Serialize;

use crate::render::versions;

/// The version of `show --json`'s format.
pub const SHOW_SCHEMA_VERSION: u32 = 2;

#[derive(Serialize)]
struct ShowJson<'a> {
    schema_version: u32,
    entries: usize,
    head: &'a str,
    executions: Vec<ExecutionJson<'a>>,
}

#[derive(Serialize)]
struct ExecutionJson<'a> {
    seq: u64,
    id: &'a str,
    kind: &'a str,
    recorded_at: String,
    reason: Option<&'a str>,
    responsible: &'a [String],
    incident: Option<&'a str>,
    version_from: Option<u64>,
    version_to: Option<u64>,
    window_start: Option<String>,
    message: Option<&'a str>,
    links: Vec<LinkJson<'a>>,
    artifacts: Vec<ArtifactJson<'a>>,
    written_at: Option<String>,
    checklist: Vec<ItemJson<'a>>,
    emergency: Option<EmergencyJson<'a>>,
    prev: &'a str,
    hash: &'a str,
}

#[derive(Serialize)]
struct ItemJson<'a> {
    id: &'a str,
    label: &'a str,
    status: &'static str,
    proof: Option<ProofJson<'a>>,
    reason: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum ProofJson<'a> {
    Artifact { path: &'a str, sha256: &'a str },
    Link { label: &'a str, url: &'a str },
    Entry { id: &'a str },
    Recipient { recipient: &'a str },
    Bundle { sha256: &'a str },
    Statement { field: &'a str },
}

#[derive(Serialize)]
struct EmergencyJson<'a> {
    isolation: Option<&'a str>,
    secrets: Vec<SecretJson<'a>>,
    comms: Option<&'a str>,
}

#[derive(Serialize)]
struct SecretJson<'a> {
    path: &'a str,
    replaced: bool,
    acknowledged: Option<&'static str>,
}

fn item_json(item: &CheckItem) -> ItemJson<'_> {
    ItemJson {
        id: &item.id,
        label: item.label(true),
        status: if item.is_done() { "done" } else { "skipped" },
        proof: item.proof.as_ref().map(|p| match p {
            Proof::Artifact { path, sha256 } => ProofJson::Artifact { path, sha256 },
            Proof::Link { label, url } => ProofJson::Link { label, url },
            Proof::Entry { id } => ProofJson::Entry { id },
            Proof::Recipient { recipient } => ProofJson::Recipient { recipient },
            Proof::Bundle { sha256 } => ProofJson::Bundle { sha256 },
            Proof::Statement { field } => ProofJson::Statement { field },
        }),
        reason: item.reason.as_deref(),
    }
}

fn emergency_json(record: &EmergencyRecord) -> EmergencyJson<'_> {
    EmergencyJson {
        isolation: record.isolation.as_deref(),
        secrets: record
            .secrets
            .iter()
            .map(|s| SecretJson {
                path: &s.path,
                replaced: s.replaced,
                acknowledged: s.acknowledged.map(Acknowledgment::as_str),
            })
            .collect(),
        comms: record.comms.as_deref(),
    }
}

#[derive(Serialize)]
struct LinkJson<'a> {
    label: &'a str,
    url: &'a str,
}

#[derive(Serialize)]
struct ArtifactJson<'a> {
    path: &'a str,
    sha256: &'a str,
}

fn to_json(entry: &Entry) -> ExecutionJson<'_> {
    let e = &entry.execution;
    ExecutionJson {
        seq: entry.seq,
        id: &e.id,
        kind: e.kind.as_str(),
        recorded_at: e.recorded_at.to_string(),
        reason: e.reason.as_deref(),
        responsible: &e.responsible,
        incident: e.incident.as_deref(),
        version_from: e.version_from,
        version_to: e.version_to,
        window_start: e.window_start.map(|t| t.to_string()),
        message: e.message.as_deref(),
        links: e
            .links
            .iter()
            .map(|l| LinkJson {
                label: &l.label,
                url: &l.url,
            })
            .collect(),
        artifacts: e
            .artifacts
            .iter()
            .map(|a| ArtifactJson {
                path: &a.path,
                sha256: &a.sha256,
            })
            .collect(),
        written_at: e.written_at.map(|t| t.to_string()),
        checklist: e.checklist.iter().map(item_json).collect(),
        emergency: e.emergency.as_ref().map(emergency_json),
        prev: &entry.prev,
        hash: &entry.hash,
    }
}

/// Writes the log as one pretty-printed JSON document.
pub fn write_json(log: &EvidenceLog, out: &mut dyn Write) -> std::io::Result<()> {
    let doc = ShowJson {
        schema_version: SHOW_SCHEMA_VERSION,
        entries: log.len(),
        head: log.head(),
        executions: log.entries().iter().map(to_json).collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// Writes the log as a plain table, one line per entry.
pub fn write_text(log: &EvidenceLog, out: &mut dyn Write) -> std::io::Result<()> {
    if log.is_empty() {
        return writeln!(out, "no executions recorded");
    }
    for entry in log.entries() {
        let e = &entry.execution;
        let who = if e.responsible.is_empty() {
            "-".to_owned()
        } else {
            e.responsible.join(", ")
        };
        writeln!(
            out,
            "#{:<3} {}  {:<9}  {:<34}  {:<9}  {:<10}  {}",
            entry.seq,
            e.recorded_at,
            e.kind.as_str(),
            e.id,
            versions(entry)
                .unwrap_or_else(|| "-".to_owned())
                .replace('→', "->"),
            e.incident.as_deref().unwrap_or("-"),
            who
        )?;
        if let Some(record) = &e.emergency {
            write_record(record, out)?;
        }
        for item in &e.checklist {
            write_item(item, out)?;
        }
    }
    writeln!(out, "head {}", log.head())
}

/// An emergency's record under its line: isolation, each secret's decision, communication.
fn write_record(record: &EmergencyRecord, out: &mut dyn Write) -> std::io::Result<()> {
    match &record.isolation {
        Some(text) => writeln!(out, "     isolation: stated: {text}")?,
        None => writeln!(out, "     isolation: not stated")?,
    }
    for secret in &record.secrets {
        let mut what = Vec::new();
        if secret.replaced {
            what.push("replaced");
        }
        if let Some(ack) = secret.acknowledged {
            what.push(ack.as_str());
        }
        writeln!(out, "     secret {}: {}", secret.path, what.join(", "))?;
    }
    match &record.comms {
        Some(id) => writeln!(out, "     comms: {id}"),
        None => writeln!(out, "     comms: pending"),
    }
}

/// One checklist item under its execution's line: done with its proof, or skipped with why.
fn write_item(item: &CheckItem, out: &mut dyn Write) -> std::io::Result<()> {
    match (&item.proof, &item.reason) {
        (Some(proof), _) if item.is_done() => {
            let proof = match proof {
                Proof::Artifact { path, sha256 } => {
                    format!(
                        "file {path} (sha256 {})",
                        sha256.get(..12).unwrap_or(sha256)
                    )
                }
                Proof::Link { label, url } => format!("link {label} {url}"),
                Proof::Entry { id } => format!("entry {id}"),
                Proof::Recipient { recipient } => format!("recipient {recipient}"),
                Proof::Bundle { sha256 } => {
                    format!("bundle sha256 {}", sha256.get(..12).unwrap_or(sha256))
                }
                Proof::Statement { field } => format!("statement `{field}` of the record"),
            };
            writeln!(out, "     [x] {}: {proof}", item.id)
        }
        (_, reason) => writeln!(
            out,
            "     [ ] {}: skipped: {}",
            item.id,
            reason.as_deref().unwrap_or_default()
        ),
    }
}
