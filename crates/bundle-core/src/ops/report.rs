//! The ops-controls report: the one compliance document several tools read.
//!
//! `ops-controls` writes it (`ops-controls-report.json` in the evidence directory), its own
//! `--compare` reads the previous one, and the evidence summary and the rotation tooling read
//! the checks from it. The format is owned here so none of them imports another tool's crate.
//!
//! What must stay true:
//! - The document is versioned by [`SCHEMA_VERSION`]; a reader refuses any other version.
//! - It is deterministic: for the same repository state the bytes are the same, except the
//!   single [`Report::generated_at`] field. Every list is sorted (checks by id, workflows by
//!   path, jobs by id) and every map is a `BTreeMap`.
//! - It never holds a secret value: key *names*, recipients (public keys) and versions only.
//!
//! One file for the whole schema (types, reading, invariants), since a reader needs all of it
//! at once; its tests are in `report/tests.rs`.
//!
//! ```
//! use bundle_core::ops::report::{Report, SCHEMA_VERSION};
//! let text = r#"{"schema_version":1,"tool":{"name":"ops-controls","version":"0.1.0"},
//!   "generated_at":"2025-01-01T00:00:00Z","repository":{"commit":null},
//!   "policy":{"source":"built-in","severity_threshold":"medium"},
//!   "summary":{"total":0,"pass":0,"fail":0,"warn":0,"skip":0,"blocking":0,"passed":true},
//!   "checks":[],"inventory":{"bundle":null,"activation_versions":[],"workflow_secrets":[]},
//!   "permissions":[]}"#;
//! let report = Report::from_json(text).unwrap();
//! assert_eq!(report.schema_version, SCHEMA_VERSION);
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The version of the report format this crate writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// A whole ops-controls report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`SCHEMA_VERSION`] for reports this crate writes.
    pub schema_version: u32,
    /// The tool that wrote the report.
    pub tool: ToolInfo,
    /// When the report was generated (UTC RFC 3339); the only field that varies between two
    /// runs over the same repository state.
    pub generated_at: String,
    /// The repository the report describes.
    pub repository: RepositoryInfo,
    /// The policy the checks ran under.
    pub policy: PolicyInfo,
    /// Counts over [`Report::checks`].
    pub summary: Summary,
    /// Every check, sorted by id.
    pub checks: Vec<CheckResult>,
    /// What the repository holds: bundle key names, recipients, version, workflow secrets.
    pub inventory: Inventory,
    /// The effective `GITHUB_TOKEN` permissions of every workflow job, sorted by workflow path.
    pub permissions: Vec<WorkflowPermissions>,
    /// Present when the report was compared with a previous one (`--compare`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
}

/// Name and version of the writing tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolInfo {
    /// `ops-controls`.
    pub name: String,
    /// The tool's crate version.
    pub version: String,
}

/// Where the report comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositoryInfo {
    /// The `HEAD` commit, when the repository is a git work tree with at least one commit.
    pub commit: Option<String>,
}

/// The policy in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyInfo {
    /// The policy file relative to the repository, or `built-in`.
    pub source: String,
    /// Failing checks at or above this severity make the run fail (exit 1).
    pub severity_threshold: Severity,
}

/// Counts of check statuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of checks.
    pub total: usize,
    /// Checks that passed.
    pub pass: usize,
    /// Checks that failed, blocking or not.
    pub fail: usize,
    /// Checks that warned.
    pub warn: usize,
    /// Checks that were skipped (not applicable, or disabled by the policy).
    pub skip: usize,
    /// Failing checks whose severity is at or above the threshold.
    pub blocking: usize,
    /// Whether no check is blocking.
    pub passed: bool,
}

/// How much a failing check matters; ordered from `Info` to `Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational only.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// All severities, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lowercase name used in JSON and policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The control holds.
    Pass,
    /// The control does not hold.
    Fail,
    /// The control holds for now but needs attention soon.
    Warn,
    /// Not applicable here (e.g. no bundle), or disabled by the policy.
    Skip,
}

impl Status {
    /// The lowercase name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Warn => "warn",
            Status::Skip => "skip",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Stable id such as `WF-007`: uppercase family, dash, three digits.
    pub id: String,
    /// Short, fixed title of the control.
    pub title: String,
    /// Severity after the policy's overrides.
    pub severity: Severity,
    /// The outcome.
    pub status: Status,
    /// One-line explanation of the outcome.
    pub message: String,
    /// Where the problems are (empty when the check passed or was skipped).
    #[serde(default)]
    pub locations: Vec<Location>,
}

/// A place in the repository.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Location {
    /// Path relative to the repository root, with `/` separators.
    pub file: String,
    /// 1-based line, when the problem has one.
    pub line: Option<usize>,
    /// What is wrong at this place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What the repository holds, recorded so audits can compare it over time.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Inventory {
    /// The bundle, when there is one and it could be read without a key.
    pub bundle: Option<BundleInventory>,
    /// Every `MCP_SECRETS_VERSION` that has an entry in `runbooks-activation.md`, ascending.
    pub activation_versions: Vec<i64>,
    /// The `secrets.*` names each workflow job references, sorted by workflow then job.
    pub workflow_secrets: Vec<WorkflowSecrets>,
}

/// The bundle as seen without a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleInventory {
    /// Path relative to the repository root.
    pub path: String,
    /// `MCP_SECRETS_VERSION`, when present as a plaintext integer.
    pub version: Option<i64>,
    /// Leaf key paths in file order (`a.b`, `list[0]`); names only, never values.
    pub keys: Vec<String>,
    /// All age recipients of all key groups, sorted and deduplicated.
    pub recipients: Vec<String>,
    /// The metadata's `lastmodified`.
    pub lastmodified: String,
}

/// The secrets one job references.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowSecrets {
    /// Workflow file, relative to the repository root.
    pub workflow: String,
    /// Job id.
    pub job: String,
    /// Secret names (`SOPS_AGE_KEY`, `GITHUB_TOKEN`, ...), sorted.
    pub secrets: Vec<String>,
}

/// Access level of a token scope; ordered `None < Read < Write`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// No access.
    None,
    /// Read access.
    Read,
    /// Read and write access.
    Write,
}

impl Access {
    /// The lowercase name used in workflows and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::None => "none",
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The permission matrix of one workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowPermissions {
    /// Workflow file, relative to the repository root.
    pub workflow: String,
    /// Event names that trigger it, sorted.
    pub triggers: Vec<String>,
    /// Whether it references any secret (`secrets.*`, `toJSON(secrets)`, `secrets: inherit`).
    pub uses_secrets: bool,
    /// The expanded top-level `permissions:` block; `None` when the workflow has none.
    pub top_level: Option<BTreeMap<String, Access>>,
    /// Each job's effective permissions, sorted by job id.
    pub jobs: Vec<JobPermissions>,
}

/// Where a job's permissions come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PermissionSource {
    /// The job's own `permissions:`.
    Job,
    /// The workflow's top-level `permissions:`.
    Workflow,
    /// Neither: the repository's default token permissions (as the policy assumes them).
    Default,
}

/// One job's effective token permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobPermissions {
    /// Job id.
    pub job: String,
    /// Which block decided the permissions.
    pub source: PermissionSource,
    /// Every known scope with its access, after expanding `read-all`/`write-all`/`{}` and
    /// setting unspecified scopes to `none`.
    pub scopes: BTreeMap<String, Access>,
}

/// The result of comparing with a previous report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    /// `generated_at` of the previous report.
    pub previous_generated_at: String,
    /// `repository.commit` of the previous report.
    pub previous_commit: Option<String>,
    /// Every regression found, sorted by kind then subject.
    pub regressions: Vec<Regression>,
}

/// The kinds of regression `--compare` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegressionKind {
    /// A job scope went up (none → read, read → write).
    PermissionRaised,
    /// A write scope appeared on a job that did not exist before.
    NewWriteScope,
    /// A workflow lost its top-level `permissions:` block.
    TopLevelPermissionsRemoved,
    /// A new workflow has no top-level `permissions:` block.
    NewWorkflowWithoutPermissions,
    /// A workflow gained a dangerous trigger (`pull_request_target`, `workflow_run`).
    NewDangerousTrigger,
    /// A check went from pass to fail.
    CheckRegressed,
    /// A secret name was added to the bundle without a new activation entry.
    SecretAdded,
    /// A secret name was removed from the bundle without a new activation entry.
    SecretRemoved,
    /// The bundle's recipients changed without a new activation entry.
    RecipientsChanged,
    /// `MCP_SECRETS_VERSION` went down.
    VersionDecreased,
}

impl RegressionKind {
    /// The `snake_case` name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            RegressionKind::PermissionRaised => "permission_raised",
            RegressionKind::NewWriteScope => "new_write_scope",
            RegressionKind::TopLevelPermissionsRemoved => "top_level_permissions_removed",
            RegressionKind::NewWorkflowWithoutPermissions => "new_workflow_without_permissions",
            RegressionKind::NewDangerousTrigger => "new_dangerous_trigger",
            RegressionKind::CheckRegressed => "check_regressed",
            RegressionKind::SecretAdded => "secret_added",
            RegressionKind::SecretRemoved => "secret_removed",
            RegressionKind::RecipientsChanged => "recipients_changed",
            RegressionKind::VersionDecreased => "version_decreased",
        }
    }
}

impl fmt::Display for RegressionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One regression.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Regression {
    /// What kind of change.
    pub kind: RegressionKind,
    /// What changed: `workflow.yml#job:scope`, a check id, a secret name, the bundle path.
    pub subject: String,
    /// What changed, from what to what.
    pub message: String,
}

/// Why a report could not be read or is not valid.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The file could not be read (fs-err names the path).
    #[error(transparent)]
    Io(#[from] std::io::Error),

    /// The text is not a report in JSON.
    #[error("cannot parse {} as an ops-controls report: {source}", display_path(path.as_deref()))]
    Json {
        /// The file, when read from one.
        path: Option<PathBuf>,
        /// What `serde_json` said.
        #[source]
        source: serde_json::Error,
    },

    /// The report was written by another version of the format.
    #[error("{} has report schema_version {found}, this tool reads version {SCHEMA_VERSION}\nhint: regenerate the previous report with this version of ops-controls", display_path(path.as_deref()))]
    UnsupportedVersion {
        /// The file, when read from one.
        path: Option<PathBuf>,
        /// The version found.
        found: u32,
    },

    /// The report parses but breaks one of the format's invariants.
    #[error("invalid ops-controls report {}: {message}", display_path(path.as_deref()))]
    Invalid {
        /// The file, when read from one.
        path: Option<PathBuf>,
        /// Which invariant.
        message: String,
    },
}

fn display_path(path: Option<&Path>) -> String {
    path.map_or_else(|| "<input>".to_owned(), |p| p.display().to_string())
}

impl ReportError {
    fn with_path(self, path: &Path) -> Self {
        let path = Some(path.to_owned());
        match self {
            ReportError::Json { source, .. } => ReportError::Json { path, source },
            ReportError::UnsupportedVersion { found, .. } => {
                ReportError::UnsupportedVersion { path, found }
            }
            ReportError::Invalid { message, .. } => ReportError::Invalid { path, message },
            other @ ReportError::Io(_) => other,
        }
    }
}

impl Report {
    /// Parses and validates a report from JSON text.
    pub fn from_json(text: &str) -> Result<Report, ReportError> {
        // Look at the version first so a future format gets the right error, not a field error.
        let probe: serde_json::Value = serde_json::from_str(text)
            .map_err(|source| ReportError::Json { path: None, source })?;
        let found = probe
            .get("schema_version")
            .and_then(serde_json::Value::as_u64);
        match found {
            Some(v) if v == u64::from(SCHEMA_VERSION) => {}
            Some(v) => {
                return Err(ReportError::UnsupportedVersion {
                    path: None,
                    found: u32::try_from(v).unwrap_or(u32::MAX),
                });
            }
            None => {
                return Err(ReportError::Invalid {
                    path: None,
                    message: "missing integer field `schema_version`".to_owned(),
                });
            }
        }
        let report: Report = serde_json::from_value(probe)
            .map_err(|source| ReportError::Json { path: None, source })?;
        report.validate()?;
        Ok(report)
    }

    /// Reads, parses and validates a report file.
    pub fn read(path: &Path) -> Result<Report, ReportError> {
        let text = fs_err::read_to_string(path)?;
        Report::from_json(&text).map_err(|e| e.with_path(path))
    }

    /// The canonical JSON text: pretty-printed, two-space indent, trailing newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a report always serializes");
        text.push('\n');
        text
    }

    /// Checks the invariants of the format: the version, ids well formed, sorted and unique,
    /// summary counts matching the checks, workflows and jobs sorted.
    pub fn validate(&self) -> Result<(), ReportError> {
        let invalid = |message: String| {
            Err(ReportError::Invalid {
                path: None,
                message,
            })
        };
        if self.schema_version != SCHEMA_VERSION {
            return Err(ReportError::UnsupportedVersion {
                path: None,
                found: self.schema_version,
            });
        }
        for check in &self.checks {
            if !is_check_id(&check.id) {
                return invalid(format!(
                    "check id `{}` is not of the form ABC-123",
                    check.id
                ));
            }
        }
        for pair in self.checks.windows(2) {
            if pair[0].id >= pair[1].id {
                return invalid(format!(
                    "checks are not sorted by unique id (`{}` before `{}`)",
                    pair[0].id, pair[1].id
                ));
            }
        }
        let expected = Summary::of(&self.checks, self.policy.severity_threshold);
        if expected != self.summary {
            return invalid("summary counts do not match the checks".to_owned());
        }
        for pair in self.permissions.windows(2) {
            if pair[0].workflow >= pair[1].workflow {
                return invalid(format!(
                    "permissions are not sorted by workflow (`{}` before `{}`)",
                    pair[0].workflow, pair[1].workflow
                ));
            }
        }
        for workflow in &self.permissions {
            for pair in workflow.jobs.windows(2) {
                if pair[0].job >= pair[1].job {
                    return invalid(format!(
                        "jobs of {} are not sorted by unique id",
                        workflow.workflow
                    ));
                }
            }
        }
        Ok(())
    }

    /// The check with this id.
    pub fn check(&self, id: &str) -> Option<&CheckResult> {
        self.checks
            .binary_search_by(|c| c.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.checks[i])
    }

    /// The failing checks whose severity is at or above the policy's threshold.
    pub fn blocking_checks(&self) -> impl Iterator<Item = &CheckResult> {
        let threshold = self.policy.severity_threshold;
        self.checks.iter().filter(move |c| c.is_blocking(threshold))
    }
}

impl CheckResult {
    /// Whether this check fails at or above `threshold`.
    pub fn is_blocking(&self, threshold: Severity) -> bool {
        self.status == Status::Fail && self.severity >= threshold
    }
}

impl Summary {
    /// Counts the statuses of `checks` under `threshold`.
    pub fn of(checks: &[CheckResult], threshold: Severity) -> Summary {
        let count = |s: Status| checks.iter().filter(|c| c.status == s).count();
        let blocking = checks.iter().filter(|c| c.is_blocking(threshold)).count();
        Summary {
            total: checks.len(),
            pass: count(Status::Pass),
            fail: count(Status::Fail),
            warn: count(Status::Warn),
            skip: count(Status::Skip),
            blocking,
            passed: blocking == 0,
        }
    }
}

/// Whether `id` has the form of a check id: `[A-Z]+-[0-9]{3}`.
pub fn is_check_id(id: &str) -> bool {
    let Some((family, number)) = id.split_once('-') else {
        return false;
    };
    !family.is_empty()
        && family.bytes().all(|b| b.is_ascii_uppercase())
        && number.len() == 3
        && number.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests;
