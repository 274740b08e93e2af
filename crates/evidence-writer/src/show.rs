//! `show`: the executions as data — a plain table, or one JSON document with `--json`.
//!
//! The JSON structs here are the output format (`schema_version` 1), separate from the log's
//! types, so that a change inside bundle-core does not silently change what scripts read.

use std::io::Write;

use bundle_core::ops::evidence::{Entry, EvidenceLog};
use serde::Serialize;

use crate::render::versions;

/// The version of `show --json`'s format.
pub const SHOW_SCHEMA_VERSION: u32 = 1;

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
    prev: &'a str,
    hash: &'a str,
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
    }
    writeln!(out, "head {}", log.head())
}
