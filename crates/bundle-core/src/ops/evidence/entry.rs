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
//! The rules of which fields each kind requires live here ([`Execution::check_fields`]), so
//! the tool that writes the log and the tools that read it apply the same ones.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::time::Timestamp;

/// The version of the log line format written by this code.
pub const SCHEMA_VERSION: u32 = 1;

/// The `prev` value of the first entry: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fewest distinct responsible people an emergency rotation needs (runbook: dupla revisão).
pub const MIN_EMERGENCY_RESPONSIBLE: usize = 2;

const MAX_TEXT_CHARS: usize = 1000;
const MAX_NAME_CHARS: usize = 100;
const MAX_INCIDENT_CHARS: usize = 64;

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

/// A labelled link to a CI run, report, PR or alert (`LABEL=URL` on the command line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// Short label shown in the markdown (`CI`, `PR #12`).
    pub label: String,
    /// An `http`/`https` URL without credentials.
    pub url: String,
}

impl Link {
    /// Parses `LABEL=URL` and validates both parts.
    pub fn parse(spec: &str) -> Result<Self, FieldError> {
        let Some((label, url)) = spec.split_once('=') else {
            // Without `=` there is no URL to hide: the whole text is the label.
            return Err(FieldError::InvalidLink {
                label: spec.trim().to_owned(),
                reason: "expected LABEL=URL",
            });
        };
        let link = Self {
            label: label.trim().to_owned(),
            url: url.trim().to_owned(),
        };
        link.check()?;
        Ok(link)
    }

    /// Checks the label (non-empty, no markdown link syntax) and the URL.
    pub fn check(&self) -> Result<(), FieldError> {
        let invalid = |reason| FieldError::InvalidLink {
            label: self.label.clone(),
            reason,
        };
        if self.label.is_empty() {
            return Err(invalid("the label is empty"));
        }
        if self.label.chars().count() > MAX_NAME_CHARS {
            return Err(invalid("the label is longer than 100 characters"));
        }
        if self
            .label
            .chars()
            .any(|c| c.is_control() || matches!(c, '[' | ']' | '<' | '>' | '|'))
        {
            return Err(invalid(
                "the label contains a control character or one of [ ] < > |",
            ));
        }
        check_url(&self.url).map_err(invalid)
    }
}

fn check_url(url: &str) -> Result<(), &'static str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("the URL must start with https:// or http://")?;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    if authority.contains('@') {
        return Err("the URL carries credentials (user@ or user:password@); remove them");
    }
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => {
            if !port.is_empty() && !port.bytes().all(|b| b.is_ascii_digit()) {
                return Err("the URL has an invalid port");
            }
            host
        }
        _ => authority,
    };
    let host_ok = if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        !inner.is_empty()
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
    } else {
        !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            && !host.starts_with(['.', '-'])
    };
    if !host_ok {
        return Err("the URL has no valid host name");
    }
    let bytes = tail.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit));
            if hex.is_none() {
                return Err("the URL has a `%` not followed by two hex digits");
            }
            i += 3;
            continue;
        }
        let allowed = b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&b);
        if !allowed {
            return Err(
                "the URL contains a space, a non-ASCII character or one of < > \" { } | \\ ^ `; percent-encode it",
            );
        }
        i += 1;
    }
    Ok(())
}

/// A file attached to an execution: where it is inside the evidence directory, and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Artifact {
    /// Path relative to the evidence directory, `/`-separated, no `.`/`..` components
    /// (e.g. `artifacts/scheduled-v4/ops-controls-report.json`).
    pub path: String,
    /// Lowercase hex sha256 of the file's bytes.
    pub sha256: String,
}

impl Artifact {
    /// The file's location under `dir`, or `None` when the stored path is not a safe
    /// relative path (it could otherwise point outside the evidence directory).
    pub fn resolve(&self, dir: &Path) -> Option<PathBuf> {
        is_safe_relative_path(&self.path)
            .then(|| self.path.split('/').fold(dir.to_owned(), |p, c| p.join(c)))
    }

    /// The last path component (the attached file's name).
    pub fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

fn is_safe_relative_path(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|c| {
            !c.is_empty()
                && c != "."
                && c != ".."
                && !c.chars().any(|ch| ch.is_control() || ch == '\\')
        })
}

fn is_sha256_hex(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
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
    /// When it happened (UTC, to the second).
    pub recorded_at: Timestamp,
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
}

impl Execution {
    /// A blank execution of `kind` at `recorded_at`; fill the fields, then set `id` from
    /// [`Execution::stable_id`] and call [`Execution::check_fields`].
    pub fn new(kind: Kind, recorded_at: Timestamp) -> Self {
        Self {
            id: String::new(),
            kind,
            recorded_at,
            reason: None,
            responsible: Vec::new(),
            incident: None,
            version_from: None,
            version_to: None,
            window_start: None,
            message: None,
            links: Vec::new(),
            artifacts: Vec::new(),
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

    /// Checks the fields against the rules of the kind (first failing rule wins):
    /// reason (all but comms), responsible (≥ 1, distinct; emergency ≥ 2), incident
    /// (emergency, comms), versions (scheduled and emergency require them; plan may have
    /// them; `to = from + 1`), window start (plan only, after the announcement), message
    /// (comms only), links, artifacts, and the id.
    pub fn check_fields(&self) -> Result<(), FieldError> {
        let kind = self.kind;
        match (&self.reason, kind) {
            (None, Kind::Comms) => {}
            (None, _) => return Err(FieldError::MissingReason { kind }),
            (Some(reason), _) => check_text("reason", reason, MAX_TEXT_CHARS)?,
        }
        self.check_responsible()?;
        match &self.incident {
            Some(incident) => check_incident(incident)?,
            None if matches!(kind, Kind::Emergency | Kind::Comms) => {
                return Err(FieldError::MissingIncident { kind });
            }
            None => {}
        }
        self.check_versions()?;
        match (self.window_start, kind) {
            (None, Kind::Plan) => return Err(FieldError::MissingWindowStart),
            (Some(_), k) if k != Kind::Plan => {
                return Err(FieldError::WindowStartNotAllowed { kind });
            }
            (Some(window), _) if window <= self.recorded_at => {
                return Err(FieldError::WindowNotAfterAnnouncement {
                    window_start: window,
                    recorded_at: self.recorded_at,
                });
            }
            _ => {}
        }
        match (&self.message, kind) {
            (None, Kind::Comms) => return Err(FieldError::MissingMessage),
            (Some(_), k) if k != Kind::Comms => return Err(FieldError::MessageNotAllowed { kind }),
            (Some(message), _) => check_text("message", message, MAX_TEXT_CHARS)?,
            _ => {}
        }
        for link in &self.links {
            link.check()?;
        }
        for (i, artifact) in self.artifacts.iter().enumerate() {
            if !is_safe_relative_path(&artifact.path) {
                return Err(FieldError::InvalidArtifactPath {
                    path: artifact.path.clone(),
                });
            }
            if !is_sha256_hex(&artifact.sha256) {
                return Err(FieldError::InvalidSha256 {
                    path: artifact.path.clone(),
                });
            }
            if self.artifacts[..i]
                .iter()
                .any(|a| a.file_name() == artifact.file_name())
            {
                return Err(FieldError::DuplicateArtifact {
                    name: artifact.file_name().to_owned(),
                });
            }
        }
        let expected = self.stable_id();
        if self.id != expected {
            return Err(FieldError::IdMismatch {
                id: self.id.clone(),
                expected,
            });
        }
        Ok(())
    }

    fn check_responsible(&self) -> Result<(), FieldError> {
        let kind = self.kind;
        for (i, name) in self.responsible.iter().enumerate() {
            check_text("responsible", name, MAX_NAME_CHARS)?;
            if name.contains(',') {
                return Err(FieldError::InvalidText {
                    field: "responsible",
                    reason: "a name cannot contain a comma",
                });
            }
            if self.responsible[..i]
                .iter()
                .any(|other| other.to_lowercase() == name.to_lowercase())
            {
                return Err(FieldError::DuplicateResponsible { name: name.clone() });
            }
        }
        let needed = match kind {
            Kind::Comms => 0,
            Kind::Emergency => MIN_EMERGENCY_RESPONSIBLE,
            _ => 1,
        };
        if self.responsible.len() < needed {
            return Err(FieldError::TooFewResponsible {
                kind,
                needed,
                got: self.responsible.len(),
            });
        }
        Ok(())
    }

    fn check_versions(&self) -> Result<(), FieldError> {
        let kind = self.kind;
        match (self.version_from, self.version_to) {
            (None, None) if kind.is_rotation() => Err(FieldError::MissingVersions { kind }),
            (None, None) => Ok(()),
            (Some(_), _) | (_, Some(_)) if matches!(kind, Kind::Audit | Kind::Comms) => {
                Err(FieldError::VersionsNotAllowed { kind })
            }
            (Some(from), Some(to)) if from.checked_add(1) == Some(to) => Ok(()),
            (Some(from), Some(to)) => Err(FieldError::VersionNotIncrement { from, to }),
            _ => Err(FieldError::MissingVersions { kind }),
        }
    }

    /// Seconds between the announcement (`recorded_at`) and the window start of a `plan`.
    pub fn notice_seconds(&self) -> Option<i64> {
        self.window_start.map(|w| w.seconds_since(self.recorded_at))
    }
}

fn check_text(field: &'static str, value: &str, max: usize) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        return Err(FieldError::InvalidText {
            field,
            reason: "it is empty",
        });
    }
    if value.trim() != value {
        return Err(FieldError::InvalidText {
            field,
            reason: "it starts or ends with white space",
        });
    }
    if value.chars().any(char::is_control) {
        return Err(FieldError::InvalidText {
            field,
            reason: "it contains a line break or another control character",
        });
    }
    if value.chars().count() > max {
        return Err(FieldError::InvalidText {
            field,
            reason: "it is too long",
        });
    }
    Ok(())
}

fn check_incident(incident: &str) -> Result<(), FieldError> {
    let ok = !incident.is_empty()
        && incident.len() <= MAX_INCIDENT_CHARS
        && incident
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && incident
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(FieldError::InvalidIncident {
            value: incident.to_owned(),
        })
    }
}

/// A field of an execution breaks a rule of its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldError {
    /// The kind is not one of scheduled, emergency, audit, plan, comms.
    #[error("unknown kind `{value}`: expected scheduled, emergency, audit, plan or comms")]
    UnknownKind {
        /// The text given.
        value: String,
    },
    /// No reason was given.
    #[error("{kind} executions need a reason (audit, incident, legal requirement, ...)")]
    MissingReason {
        /// The kind.
        kind: Kind,
    },
    /// Fewer responsible people than the kind needs.
    #[error("{kind} executions need at least {needed} responsible {}, got {got}", if *needed == 1 { "person" } else { "people" })]
    TooFewResponsible {
        /// The kind.
        kind: Kind,
        /// How many are needed.
        needed: usize,
        /// How many were given.
        got: usize,
    },
    /// The same person listed twice (compared without case).
    #[error("responsible person `{name}` is listed twice")]
    DuplicateResponsible {
        /// The repeated name.
        name: String,
    },
    /// No incident id where the kind requires one.
    #[error("{kind} executions need an incident or alert id")]
    MissingIncident {
        /// The kind.
        kind: Kind,
    },
    /// The incident id has characters other than letters, digits, `-`, `_`, `.`.
    #[error(
        "invalid incident id `{value}`: use 1 to 64 letters, digits, `-`, `_` or `.`, starting with a letter or digit"
    )]
    InvalidIncident {
        /// The id given.
        value: String,
    },
    /// A rotation without both versions.
    #[error("{kind} executions need both version-from and version-to")]
    MissingVersions {
        /// The kind.
        kind: Kind,
    },
    /// `version_to` is not `version_from + 1`.
    #[error("version-to must be version-from + 1: got {from} -> {to}")]
    VersionNotIncrement {
        /// Version before.
        from: u64,
        /// Version after.
        to: u64,
    },
    /// Versions given to a kind that does not change the bundle.
    #[error("{kind} executions do not take versions")]
    VersionsNotAllowed {
        /// The kind.
        kind: Kind,
    },
    /// A plan without its window start.
    #[error("plan executions need the window start")]
    MissingWindowStart,
    /// A window start on a kind other than plan.
    #[error("{kind} executions do not take a window start (only plan does)")]
    WindowStartNotAllowed {
        /// The kind.
        kind: Kind,
    },
    /// The window starts before (or when) it was announced.
    #[error("the window start {window_start} is not after the announcement time {recorded_at}")]
    WindowNotAfterAnnouncement {
        /// Start of the window.
        window_start: Timestamp,
        /// Announcement time.
        recorded_at: Timestamp,
    },
    /// A comms update without text.
    #[error("a comms update needs a message")]
    MissingMessage,
    /// A message on a kind other than comms.
    #[error("{kind} executions do not take a message (only comms does)")]
    MessageNotAllowed {
        /// The kind.
        kind: Kind,
    },
    /// A free-text field is empty, too long or has control characters.
    #[error("invalid {field}: {reason}")]
    InvalidText {
        /// Which field.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// A link's label or URL is not acceptable (the URL itself is not repeated: it may
    /// carry a token).
    #[error("invalid link `{label}`: {reason}")]
    InvalidLink {
        /// The label (the whole text when the `=` was missing).
        label: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// An artifact path that is absolute, has `.`/`..` or is empty.
    #[error(
        "invalid artifact path `{path}`: it must be relative to the evidence directory, without `.` or `..`"
    )]
    InvalidArtifactPath {
        /// The path.
        path: String,
    },
    /// An artifact hash that is not 64 lowercase hex digits.
    #[error("invalid sha256 for artifact `{path}`")]
    InvalidSha256 {
        /// The artifact path.
        path: String,
    },
    /// Two artifacts with the same file name.
    #[error("two attachments are named `{name}`")]
    DuplicateArtifact {
        /// The file name.
        name: String,
    },
    /// The id is not the one derived from the fields.
    #[error("entry id `{id}` does not match its fields (expected `{expected}`)")]
    IdMismatch {
        /// The id stored.
        id: String,
        /// The id the fields give.
        expected: String,
    },
}

/// An execution placed in the hash-chained log.
///
/// Serialized as one JSON line with the fields, in this order: `schema_version`, `seq`,
/// `id`, `kind`, `recorded_at`, `reason`, `responsible`, `incident`, `version_from`,
/// `version_to`, `window_start`, `message`, `links`, `artifacts`, `prev`, `hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
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
    reason: Option<&'a str>,
    responsible: &'a [String],
    incident: Option<&'a str>,
    version_from: Option<u64>,
    version_to: Option<u64>,
    window_start: Option<Timestamp>,
    message: Option<&'a str>,
    links: &'a [Link],
    artifacts: &'a [Artifact],
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
    reason: Option<String>,
    responsible: Vec<String>,
    incident: Option<String>,
    version_from: Option<u64>,
    version_to: Option<u64>,
    window_start: Option<Timestamp>,
    message: Option<String>,
    links: Vec<Link>,
    artifacts: Vec<Artifact>,
    prev: String,
    hash: String,
}

/// Why one log line could not be read.
#[derive(Debug)]
pub(crate) enum LineError {
    Json(serde_json::Error),
    Schema(u32),
}

impl Entry {
    /// Places `execution` after an entry whose hash is `prev`, at position `seq`, and
    /// computes its hash.
    pub fn seal(seq: u64, execution: Execution, prev: &str) -> Self {
        let mut entry = Self {
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
        WireOut {
            schema_version: SCHEMA_VERSION,
            seq: self.seq,
            id: &e.id,
            kind: e.kind,
            recorded_at: e.recorded_at,
            reason: e.reason.as_deref(),
            responsible: &e.responsible,
            incident: e.incident.as_deref(),
            version_from: e.version_from,
            version_to: e.version_to,
            window_start: e.window_start,
            message: e.message.as_deref(),
            links: &e.links,
            artifacts: &e.artifacts,
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
        if wire.schema_version != SCHEMA_VERSION {
            return Err(LineError::Schema(wire.schema_version));
        }
        Ok(Self {
            seq: wire.seq,
            execution: Execution {
                id: wire.id,
                kind: wire.kind,
                recorded_at: wire.recorded_at,
                reason: wire.reason,
                responsible: wire.responsible,
                incident: wire.incident,
                version_from: wire.version_from,
                version_to: wire.version_to,
                window_start: wire.window_start,
                message: wire.message,
                links: wire.links,
                artifacts: wire.artifacts,
            },
            prev: wire.prev,
            hash: wire.hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn scheduled() -> Execution {
        let mut e = Execution::new(Kind::Scheduled, at("2025-01-10T12:00:00Z"));
        e.reason = Some("rotação trimestral".into());
        e.responsible = vec!["Ana".into()];
        e.version_from = Some(3);
        e.version_to = Some(4);
        e.id = e.stable_id();
        e
    }

    #[test]
    fn canonical_bytes_are_pinned() {
        let entry = Entry::seal(1, scheduled(), GENESIS_HASH);
        let text = String::from_utf8(entry.canonical_bytes()).unwrap();
        assert_eq!(
            text,
            format!(
                "{{\"schema_version\":1,\"seq\":1,\"id\":\"scheduled-v4\",\"kind\":\"scheduled\",\
                 \"recorded_at\":\"2025-01-10T12:00:00Z\",\"reason\":\"rotação trimestral\",\
                 \"responsible\":[\"Ana\"],\"incident\":null,\"version_from\":3,\"version_to\":4,\
                 \"window_start\":null,\"message\":null,\"links\":[],\"artifacts\":[],\"prev\":\"{GENESIS_HASH}\"}}"
            )
        );
        assert_eq!(entry.hash, sha256_hex(text.as_bytes()));
        let back = Entry::from_line(&entry.to_line()).unwrap();
        assert_eq!(back, entry);
    }

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn stable_ids_by_kind() {
        assert_eq!(scheduled().stable_id(), "scheduled-v4");
        let mut plan = Execution::new(Kind::Plan, at("2025-01-08T12:00:00Z"));
        plan.window_start = Some(at("2025-01-10T12:00:00Z"));
        assert_eq!(plan.stable_id(), "plan-20250110T120000Z");
        plan.version_to = Some(4);
        assert_eq!(plan.stable_id(), "plan-v4");
        let mut comms = Execution::new(Kind::Comms, at("2025-01-10T12:30:00Z"));
        comms.incident = Some("INC-7".into());
        assert_eq!(comms.stable_id(), "comms-INC-7-20250110T123000Z");
        assert_eq!(
            Execution::new(Kind::Audit, at("2025-01-10T12:30:00Z")).stable_id(),
            "audit-20250110T123000Z"
        );
    }

    #[test]
    fn rules_by_kind() {
        assert_eq!(scheduled().check_fields(), Ok(()));

        let mut e = scheduled();
        e.version_to = Some(5);
        e.id = e.stable_id();
        assert_eq!(
            e.check_fields(),
            Err(FieldError::VersionNotIncrement { from: 3, to: 5 })
        );

        let mut e = scheduled();
        e.kind = Kind::Emergency;
        e.id = e.stable_id();
        assert_eq!(
            e.check_fields(),
            Err(FieldError::TooFewResponsible {
                kind: Kind::Emergency,
                needed: 2,
                got: 1
            })
        );
        e.responsible.push("ana".into());
        assert_eq!(
            e.check_fields(),
            Err(FieldError::DuplicateResponsible { name: "ana".into() })
        );
        e.responsible[1] = "Bruno".into();
        assert_eq!(
            e.check_fields(),
            Err(FieldError::MissingIncident {
                kind: Kind::Emergency
            })
        );
        e.incident = Some("INC 7".into());
        assert_eq!(
            e.check_fields(),
            Err(FieldError::InvalidIncident {
                value: "INC 7".into()
            })
        );
        e.incident = Some("INC-7".into());
        assert_eq!(e.check_fields(), Ok(()));

        let mut e = scheduled();
        e.reason = None;
        assert_eq!(
            e.check_fields(),
            Err(FieldError::MissingReason {
                kind: Kind::Scheduled
            })
        );

        let mut e = scheduled();
        e.id = "scheduled-v9".into();
        assert!(matches!(
            e.check_fields(),
            Err(FieldError::IdMismatch { .. })
        ));

        let mut plan = Execution::new(Kind::Plan, at("2025-01-10T12:00:00Z"));
        plan.reason = Some("janela".into());
        plan.responsible = vec!["Ana".into()];
        plan.id = plan.stable_id();
        assert_eq!(plan.check_fields(), Err(FieldError::MissingWindowStart));
        plan.window_start = Some(at("2025-01-10T11:00:00Z"));
        plan.id = plan.stable_id();
        assert!(matches!(
            plan.check_fields(),
            Err(FieldError::WindowNotAfterAnnouncement { .. })
        ));
        plan.window_start = Some(at("2025-01-11T12:00:00Z"));
        plan.id = plan.stable_id();
        assert_eq!(plan.check_fields(), Ok(()));
        assert_eq!(plan.notice_seconds(), Some(86_400));

        let mut audit = Execution::new(Kind::Audit, at("2025-01-10T12:00:00Z"));
        audit.reason = Some("semanal".into());
        audit.responsible = vec!["Ana".into()];
        audit.version_to = Some(2);
        audit.id = audit.stable_id();
        assert_eq!(
            audit.check_fields(),
            Err(FieldError::VersionsNotAllowed { kind: Kind::Audit })
        );

        let mut comms = Execution::new(Kind::Comms, at("2025-01-10T12:00:00Z"));
        comms.incident = Some("INC-7".into());
        comms.id = comms.stable_id();
        assert_eq!(comms.check_fields(), Err(FieldError::MissingMessage));
        comms.message = Some("linha 1\nlinha 2".into());
        assert!(matches!(
            comms.check_fields(),
            Err(FieldError::InvalidText {
                field: "message",
                ..
            })
        ));
    }

    #[test]
    fn links_are_validated() {
        let ok = Link::parse("CI run=https://ci.example.com/runs/12?attempt=1#log").unwrap();
        assert_eq!(ok.label, "CI run");
        assert_eq!(
            Link::parse("PR=http://[::1]:8080/pr/3").unwrap().url,
            "http://[::1]:8080/pr/3"
        );
        for (spec, reason) in [
            ("no-equals", "expected LABEL=URL"),
            ("=https://x.example", "the label is empty"),
            (
                "CI=ftp://x.example",
                "the URL must start with https:// or http://",
            ),
            (
                "CI=https://user:pw@x.example/",
                "the URL carries credentials (user@ or user:password@); remove them",
            ),
            ("CI=https:///path", "the URL has no valid host name"),
            (
                "CI=https://x.example/a b",
                "the URL contains a space, a non-ASCII character or one of < > \" { } | \\ ^ `; percent-encode it",
            ),
            (
                "CI=https://x.example/%zz",
                "the URL has a `%` not followed by two hex digits",
            ),
            (
                "C]I=https://x.example/",
                "the label contains a control character or one of [ ] < > |",
            ),
        ] {
            match Link::parse(spec) {
                Err(FieldError::InvalidLink { reason: got, .. }) => {
                    assert_eq!(got, reason, "{spec}");
                }
                other => panic!("{spec}: {other:?}"),
            }
        }
    }

    #[test]
    fn artifact_paths_stay_inside_the_directory() {
        let dir = Path::new("/evidence");
        let art = |p: &str| Artifact {
            path: p.into(),
            sha256: sha256_hex(b""),
        };
        assert_eq!(
            art("artifacts/x/r.json").resolve(dir),
            Some(PathBuf::from("/evidence/artifacts/x/r.json"))
        );
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "./a",
            "a\\b",
        ] {
            assert_eq!(art(bad).resolve(dir), None, "{bad}");
        }
    }
}
