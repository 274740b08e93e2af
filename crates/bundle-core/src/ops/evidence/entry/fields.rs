//! The rules of an execution's fields: what each kind requires, and what a valid value is.
//!
//! [`Execution::check_fields`] and the values it checks ([`Link`], [`Artifact`]), with the
//! error naming the rule broken ([`FieldError`]). `evidence-writer` applies them before it
//! appends an entry and the chain check applies them to every line it reads, so a rule
//! changes here for every tool at once. Messages never quote a URL (it may carry a token).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Execution, Kind, Timestamp};

/// The fewest distinct responsible people an emergency rotation needs (runbook: dupla revisão).
pub const MIN_EMERGENCY_RESPONSIBLE: usize = 2;

pub(super) const MAX_TEXT_CHARS: usize = 1000;
const MAX_NAME_CHARS: usize = 100;
const MAX_INCIDENT_CHARS: usize = 64;

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
            .any(|c| is_hidden_control(c) || matches!(c, '[' | ']' | '<' | '>' | '|'))
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

/// Characters evidence text may not hold: controls (line breaks included), the Unicode line
/// and paragraph separators (a line break to many readers), and the bidirectional overrides
/// and isolates, which make rendered markdown read differently from its bytes.
fn is_hidden_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn is_safe_relative_path(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|c| {
            !c.is_empty()
                && c != "."
                && c != ".."
                && !c.chars().any(|ch| is_hidden_control(ch) || ch == '\\')
        })
}

pub(super) fn is_sha256_hex(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Execution {
    /// Checks the fields against the rules of the kind (first failing rule wins):
    /// reason (all but comms), responsible (≥ 1, distinct; emergency ≥ 2), incident
    /// (emergency, comms), versions (scheduled and emergency require them; plan may have
    /// them; `to = from + 1`), window start (plan only, after the announcement), message
    /// (comms only), the emergency record (emergency only, optional), links, artifacts, and
    /// the id.
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
        match (&self.emergency, kind) {
            (Some(_), k) if k != Kind::Emergency => {
                return Err(FieldError::EmergencyRecordNotAllowed { kind });
            }
            (Some(record), _) => record.check()?,
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
        self.check_checklist()?;
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
}

pub(super) fn check_text(field: &'static str, value: &str, max: usize) -> Result<(), FieldError> {
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
    if value.chars().any(is_hidden_control) {
        return Err(FieldError::InvalidText {
            field,
            reason: "it contains a line break, a bidirectional override or another control character",
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
    /// A checklist item breaks a rule (id, proof or reason).
    #[error("checklist item `{id}`: {reason}")]
    InvalidItem {
        /// The item id.
        id: String,
        /// The rule broken.
        reason: &'static str,
    },
    /// A checklist on a kind that has none (plan, comms).
    #[error("{kind} executions have no checklist")]
    ChecklistNotAllowed {
        /// The kind.
        kind: Kind,
    },
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
    /// An emergency record on a kind other than emergency.
    #[error("{kind} executions do not take an emergency record (only emergency does)")]
    EmergencyRecordNotAllowed {
        /// The kind.
        kind: Kind,
    },
    /// An emergency record that lists no secret: nothing was replaced or acknowledged.
    #[error("an emergency record must list the bundle's secrets; it lists none")]
    EmergencyWithoutSecrets,
    /// A secret listed twice in an emergency record.
    #[error("secret `{path}` is listed twice in the emergency record")]
    DuplicateSecret {
        /// The secret's dotted path.
        path: String,
    },
    /// A secret of an emergency neither replaced nor acknowledged.
    #[error("secret `{path}` was neither replaced nor acknowledged (revoked or not affected)")]
    UnhandledSecret {
        /// The secret's dotted path.
        path: String,
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
