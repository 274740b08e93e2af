//! One execution of the runbook, as recorded in the evidence log, and its canonical bytes.
//!
//! An [`Execution`] is what a person recorded (kind, time, people, reason, versions, links,
//! artifacts). An [`Entry`] is an execution placed in the log: its sequence number, the hash
//! of the entry before it, and its own hash. The hash covers the *canonical serialization*:
//! compact JSON (no spaces), fields in the order of [`Entry`]'s documentation, every field
//! present (`null` for an absent optional), strings escaped as `serde_json` escapes them,
//! UTF-8, without the `hash` field itself. What must stay true: the canonical bytes of an
//! entry depend only on its values, so rewriting a line in any other spelling is still seen
//! as the same entry, and changing any value changes the hash.
//!
//! Schema 2 (issue 12) adds two fields: `written_at`, when the line was written (the clock
//! or `SOURCE_DATE_EPOCH`, never the claimed `recorded_at`), and `checklist`, the items the
//! execution's steps earned ([`checklist`]). Schema 1 lines (written before) are still read
//! and verified: their canonical bytes are the schema 1 fields only, so their hashes hold;
//! they have no `written_at` and no checklist, and a reader must not treat a missing
//! checklist as earned once the log holds schema 2 entries (ops-controls' DOC-003 fails a
//! schema 1 entry that follows a schema 2 one). New entries are always schema 2.
//!
//! The rules of which fields each kind requires live in this module too (in [`fields`]:
//! [`Execution::check_fields`], the checks of [`Link`] and [`Artifact`], [`FieldError`]), so
//! the tool that writes the log and the tools that read it apply the same ones. The
//! entry's tests are in `entry/tests.rs`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::time::Timestamp;

mod checklist;
mod emergency;
mod fields;

pub use checklist::{
    CATALOG, CHECKLIST_KINDS, CatalogItem, CheckItem, ISOLATION_ITEM, ItemStatus,
    OPS_CONTROLS_ITEM, Proof, REVOCATION_ITEM, catalog_item, default_required,
};
pub use emergency::{
    Acknowledgment, DecisionError, Decisions, EmergencyRecord, ISOLATION_FIELD,
    ISOLATION_NOT_STATED, SECRETS_FIELD, SecretDisposition, bundle_secrets,
};
pub use fields::{Artifact, FieldError, Link, MIN_EMERGENCY_RESPONSIBLE};

/// The version of the log line format written by this code.
pub const SCHEMA_VERSION: u32 = 2;

/// The oldest line format this code still reads (and verifies).
pub const MIN_SCHEMA_VERSION: u32 = 1;

/// The `prev` value of the first entry: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What kind of execution an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A scheduled rotation (Rotação programada): version from → from + 1.
    Scheduled,
    /// An emergency rotation (Rotação emergencial): needs an incident and two people; closes
    /// the incident.
    Emergency,
    /// A completed audit (Auditoria contínua).
    Audit,
    /// The announcement of a scheduled window (`window_start`), at least 24 h ahead.
    Plan,
    /// A communication update of an incident (every 30 minutes while it is open).
    Comms,
}

impl Kind {
    /// Every kind, in the order they are documented.
    pub const ALL: [Self; 5] = [
        Self::Scheduled,
        Self::Emergency,
        Self::Audit,
        Self::Plan,
        Self::Comms,
    ];

    /// The lowercase name used in the log and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Emergency => "emergency",
            Self::Audit => "audit",
            Self::Plan => "plan",
            Self::Comms => "comms",
        }
    }

    /// True for the kinds that change the bundle version (scheduled, emergency).
    pub fn is_rotation(self) -> bool {
        matches!(self, Self::Scheduled | Self::Emergency)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| FieldError::UnknownKind {
                value: s.to_owned(),
            })
    }
}

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(byte & 0xf)]));
    }
    out
}

/// What a person recorded: one execution of the runbook, before it is placed in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    /// Stable id, derived from the fields by [`Execution::stable_id`] (e.g. `scheduled-v4`).
    pub id: String,
    /// What kind of execution.
    pub kind: Kind,
    /// When it happened (UTC, to the second), as claimed (`--at`).
    pub recorded_at: Timestamp,
    /// When the line was written (the clock or `SOURCE_DATE_EPOCH`); `None` only for
    /// schema 1 entries.
    pub written_at: Option<Timestamp>,
    /// Why (required except for `comms`): audit, incident, legal requirement, ...
    pub reason: Option<String>,
    /// The people responsible, in the order given.
    pub responsible: Vec<String>,
    /// Incident or alert id (required for `emergency` and `comms`).
    pub incident: Option<String>,
    /// Bundle version before the rotation.
    pub version_from: Option<u64>,
    /// Bundle version after the rotation (`version_from + 1`).
    pub version_to: Option<u64>,
    /// Start of the announced window (`plan` only).
    pub window_start: Option<Timestamp>,
    /// The communication text (`comms` only).
    pub message: Option<String>,
    /// Links to CI runs, reports, PRs, alerts.
    pub links: Vec<Link>,
    /// Files copied into the evidence directory, with their hashes.
    pub artifacts: Vec<Artifact>,
    /// The items this execution's steps earned or skipped (scheduled, emergency, audit).
    pub checklist: Vec<CheckItem>,
    /// An emergency's isolation, secrets and communication (`emergency` only; absent in
    /// entries written before issue 12).
    pub emergency: Option<EmergencyRecord>,
}

impl Execution {
    /// A blank execution of `kind` at `recorded_at`; fill the fields, then set `id` from
    /// [`Execution::stable_id`] and call [`Execution::check_fields`].
    pub fn new(kind: Kind, recorded_at: Timestamp) -> Self {
        Self {
            id: String::new(),
            kind,
            recorded_at,
            written_at: None,
            reason: None,
            responsible: Vec::new(),
            incident: None,
            version_from: None,
            version_to: None,
            window_start: None,
            message: None,
            links: Vec::new(),
            artifacts: Vec::new(),
            checklist: Vec::new(),
            emergency: None,
        }
    }

    /// The id this execution must have: `scheduled-v<to>`, `emergency-v<to>`, `plan-v<to>`
    /// (or `plan-<window start>` without a version), `audit-<time>`, `comms-<incident>-<time>`,
    /// times written as [`Timestamp::compact`]. Recording the same execution twice gives the
    /// same id, which is what makes recording idempotent.
    pub fn stable_id(&self) -> String {
        let version = |prefix: &str| match self.version_to {
            Some(to) => format!("{prefix}-v{to}"),
            None => format!("{prefix}-unversioned"),
        };
        match self.kind {
            Kind::Scheduled => version("scheduled"),
            Kind::Emergency => version("emergency"),
            Kind::Plan => match (self.version_to, self.window_start) {
                (None, Some(window)) => format!("plan-{}", window.compact()),
                _ => version("plan"),
            },
            Kind::Audit => format!("audit-{}", self.recorded_at.compact()),
            Kind::Comms => {
                format!(
                    "comms-{}-{}",
                    self.incident.as_deref().unwrap_or("none"),
                    self.recorded_at.compact()
                )
            }
        }
    }

    /// Seconds between the announcement and the window start of a `plan`. The announcement
    /// is when the entry was written (`written_at`), or the claimed time when that is later
    /// or unknown (schema 1): a claimed `--at` cannot buy notice (issue 12).
    pub fn notice_seconds(&self) -> Option<i64> {
        let announced = self
            .written_at
            .map_or(self.recorded_at, |w| w.max(self.recorded_at));
        self.window_start.map(|w| w.seconds_since(announced))
    }
}

/// An execution placed in the hash-chained log.
///
/// Serialized as one JSON line with the fields, in this order: `schema_version`, `seq`,
/// `id`, `kind`, `recorded_at`, `written_at` (schema 2), `reason`, `responsible`, `incident`,
/// `version_from`, `version_to`, `window_start`, `message`, `links`, `artifacts`,
/// `checklist` (schema 2), `emergency`, `prev`, `hash`.
/// `emergency` is written only when present (it came after the first logs, issue 12), so an
/// entry without it has the bytes, and the hash, it always had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The line format: [`SCHEMA_VERSION`] for every entry this code appends; older entries
    /// keep theirs (their hash covers that format).
    pub schema_version: u32,
    /// 1-based position in the log when it was appended.
    pub seq: u64,
    /// What was recorded.
    pub execution: Execution,
    /// `hash` of the entry before it ([`GENESIS_HASH`] for the first).
    pub prev: String,
    /// sha256 of this entry's canonical serialization (everything but `hash`).
    pub hash: String,
}

#[derive(Serialize)]
struct WireOut<'a> {
    schema_version: u32,
    seq: u64,
    id: &'a str,
    kind: Kind,
    recorded_at: Timestamp,
    // Outer: the field is in the line (schema 2) or not (schema 1); inner: its value.
    #[allow(clippy::option_option)]
    #[serde(skip_serializing_if = "Option::is_none")]
    written_at: Option<Option<Timestamp>>,
    reason: Option<&'a str>,
    responsible: &'a [String],
    incident: Option<&'a str>,
    version_from: Option<u64>,
    version_to: Option<u64>,
    window_start: Option<Timestamp>,
    message: Option<&'a str>,
    links: &'a [Link],
    artifacts: &'a [Artifact],
    #[serde(skip_serializing_if = "Option::is_none")]
    checklist: Option<&'a [CheckItem]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    emergency: Option<&'a EmergencyRecord>,
    prev: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireIn {
    schema_version: u32,
    seq: u64,
    id: String,
    kind: Kind,
    recorded_at: Timestamp,
    #[serde(default)]
    written_at: Option<Timestamp>,
    reason: Option<String>,
    responsible: Vec<String>,
    incident: Option<String>,
    version_from: Option<u64>,
    version_to: Option<u64>,
    window_start: Option<Timestamp>,
    message: Option<String>,
    links: Vec<Link>,
    artifacts: Vec<Artifact>,
    #[serde(default)]
    checklist: Option<Vec<CheckItem>>,
    emergency: Option<EmergencyRecord>,
    prev: String,
    hash: String,
}

/// Why one log line could not be read.
#[derive(Debug)]
pub(crate) enum LineError {
    Json(serde_json::Error),
    Schema(u32),
    /// A field present in the wrong schema (`written_at`/`checklist` on schema 1, or missing
    /// on schema 2).
    Shape(&'static str),
}

impl Entry {
    /// Places `execution` after an entry whose hash is `prev`, at position `seq`, and
    /// computes its hash.
    pub fn seal(seq: u64, execution: Execution, prev: &str) -> Self {
        let mut entry = Self {
            schema_version: SCHEMA_VERSION,
            seq,
            execution,
            prev: prev.to_owned(),
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        entry
    }

    fn wire(&self, with_hash: bool) -> WireOut<'_> {
        let e = &self.execution;
        // Schema 1 lines have neither field: leaving them out keeps their canonical bytes,
        // and so their hashes, what they were when written.
        let v2 = self.schema_version >= 2;
        WireOut {
            schema_version: self.schema_version,
            seq: self.seq,
            id: &e.id,
            kind: e.kind,
            recorded_at: e.recorded_at,
            written_at: v2.then_some(e.written_at),
            reason: e.reason.as_deref(),
            responsible: &e.responsible,
            incident: e.incident.as_deref(),
            version_from: e.version_from,
            version_to: e.version_to,
            window_start: e.window_start,
            message: e.message.as_deref(),
            links: &e.links,
            artifacts: &e.artifacts,
            checklist: v2.then_some(e.checklist.as_slice()),
            emergency: e.emergency.as_ref(),
            prev: &self.prev,
            hash: with_hash.then_some(self.hash.as_str()),
        }
    }

    /// The canonical serialization the hash covers (all fields but `hash`).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.wire(false))
            .expect("serializing strings, numbers and arrays cannot fail")
    }

    /// The sha256 of [`Entry::canonical_bytes`], lowercase hex.
    pub fn compute_hash(&self) -> String {
        sha256_hex(&self.canonical_bytes())
    }

    /// The log line for this entry (canonical serialization with `hash`, no newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(&self.wire(true))
            .expect("serializing strings, numbers and arrays cannot fail")
    }

    pub(crate) fn from_line(line: &str) -> Result<Self, LineError> {
        let wire: WireIn = serde_json::from_str(line).map_err(LineError::Json)?;
        if !(MIN_SCHEMA_VERSION..=SCHEMA_VERSION).contains(&wire.schema_version) {
            return Err(LineError::Schema(wire.schema_version));
        }
        let v2 = wire.schema_version >= 2;
        let checklist = match (v2, wire.checklist, wire.written_at) {
            (true, Some(checklist), Some(_)) => checklist,
            (false, None, None) => Vec::new(),
            (true, ..) => return Err(LineError::Shape("schema 2 needs written_at and checklist")),
            (false, ..) => {
                return Err(LineError::Shape(
                    "schema 1 has no written_at or checklist field",
                ));
            }
        };
        Ok(Self {
            schema_version: wire.schema_version,
            seq: wire.seq,
            execution: Execution {
                id: wire.id,
                kind: wire.kind,
                recorded_at: wire.recorded_at,
                written_at: wire.written_at,
                reason: wire.reason,
                responsible: wire.responsible,
                incident: wire.incident,
                version_from: wire.version_from,
                version_to: wire.version_to,
                window_start: wire.window_start,
                message: wire.message,
                links: wire.links,
                artifacts: wire.artifacts,
                checklist,
                emergency: wire.emergency,
            },
            prev: wire.prev,
            hash: wire.hash,
        })
    }
}

#[cfg(test)]
mod tests;
