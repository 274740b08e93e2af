//! The policy: what the controls require of a repository (`config/ops-controls.yaml`).
//!
//! Every field has a default, so a policy file states only what differs from the built-in
//! policy, and an absent file means the built-in policy. Unknown fields are refused (a typo
//! must not silently weaken a control). Paths are relative to the repository root, with `/`.

use std::collections::BTreeMap;
use std::path::Path;

use bundle_core::ops::report::Severity;
use serde::Deserialize;

use crate::error::Error;

/// The whole policy.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Which set of checks applies: the general auditor, or that plus the MCP runbook's own.
    pub profile: Profile,
    /// Failing checks at or above this severity make the run fail (exit 1).
    pub severity_threshold: Severity,
    /// Per-check overrides, by check id.
    pub checks: BTreeMap<String, CheckOverride>,
    /// Runbooks and evidence.
    pub documents: Documents,
    /// The SOPS bundle.
    pub bundle: Bundle,
    /// GitHub Actions workflows.
    pub workflows: Workflows,
    /// The gitleaks configuration.
    pub scanning: Scanning,
    /// `.gitignore`, tracked files, CODEOWNERS.
    pub hygiene: Hygiene,
}

/// A named set of checks. `general` audits any repository; `mcp` (which `init` writes) adds
/// the checks only the MCP secrets runbook asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Checks that hold for any repository.
    #[default]
    General,
    /// The general checks plus the MCP runbook's.
    Mcp,
}

impl Profile {
    /// The name the policy file uses.
    pub fn name(self) -> &'static str {
        match self {
            Profile::General => "general",
            Profile::Mcp => "mcp",
        }
    }
}

/// Changes to one check.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckOverride {
    /// A different severity.
    pub severity: Option<Severity>,
    /// `false` turns the check into `skip` ("disabled by policy").
    pub enabled: Option<bool>,
}

/// A document that must exist with some headings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredDocument {
    /// Path of the markdown file.
    pub path: String,
    /// Headings (any level) whose text must contain these, case-insensitively.
    #[serde(default)]
    pub headings: Vec<String>,
}

/// Runbooks and evidence.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Documents {
    /// Documents that must exist, be non-empty and have their headings.
    pub required: Vec<RequiredDocument>,
    /// The document holding the on-call contact matrix.
    pub contact_matrix: String,
    /// The heading above the contact matrix table.
    pub contact_matrix_heading: String,
    /// The evidence directory (holds `README.md` and `runbooks-activation.md`).
    pub evidence_dir: String,
    /// Regex that finds a version in an activation entry; `(?P<v>…)` captures the number.
    pub activation_entry_pattern: String,
    /// The checklist items the latest execution of each kind must have earned (DOC-003).
    pub checklist_required: ChecklistRequired,
}

/// The checklist items each kind of execution requires (DOC-003). Ids are those of
/// `bundle_core::ops::evidence::CATALOG` or a team's own; a kind not listed keeps its
/// default (`bundle_core::ops::evidence::default_required`); an empty list requires nothing.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChecklistRequired {
    /// Items of a scheduled rotation.
    pub scheduled: Vec<String>,
    /// Items of an emergency rotation.
    pub emergency: Vec<String>,
    /// Items of an audit.
    pub audit: Vec<String>,
}

impl Default for ChecklistRequired {
    fn default() -> Self {
        use bundle_core::ops::evidence::{Kind, default_required};
        ChecklistRequired {
            scheduled: strings(default_required(Kind::Scheduled)),
            emergency: strings(default_required(Kind::Emergency)),
            audit: strings(default_required(Kind::Audit)),
        }
    }
}

impl ChecklistRequired {
    /// The items `kind` requires (none for plan and comms).
    pub fn for_kind(&self, kind: bundle_core::ops::evidence::Kind) -> &[String] {
        use bundle_core::ops::evidence::Kind;
        match kind {
            Kind::Scheduled => &self.scheduled,
            Kind::Emergency => &self.emergency,
            Kind::Audit => &self.audit,
            Kind::Plan | Kind::Comms => &[],
        }
    }
}

/// The SOPS bundle.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Bundle {
    /// Path of the encrypted bundle.
    pub path: String,
    /// Whether a repository without the bundle fails (`BUNDLE-001`) or skips the bundle checks.
    pub required: bool,
    /// Top-level keys that may be stored in the clear.
    pub plaintext_allowlist: Vec<String>,
    /// The plaintext integer version key.
    pub version_key: String,
    /// The bundle must have been rewritten (rotated) within this many days.
    pub max_age_days: u32,
    /// Warn when the bundle is older than this many days.
    pub warn_age_days: u32,
    /// The SOPS configuration file.
    pub sops_config: String,
}

/// Which workflows need their actions pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PinScope {
    /// Only workflows that use secrets (the runbook's rule).
    SecretWorkflows,
    /// Every workflow.
    All,
}

/// The repository's default `GITHUB_TOKEN` permissions, as set in its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DefaultPermissions {
    /// `contents: read`, `packages: read` (GitHub's default for new repositories).
    Restricted,
    /// Read and write on every scope.
    Permissive,
}

/// Write scopes a job may hold.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowedWrite {
    /// Workflow file name pattern (`release.yml`, `*`).
    pub workflow: String,
    /// Job id pattern (`publish`, `*`).
    pub job: String,
    /// Scopes that may be `write` (`contents`, `id-token`, ...).
    pub scopes: Vec<String>,
}

/// GitHub Actions workflows.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Workflows {
    /// The workflows directory.
    pub dir: String,
    /// The default token permissions assumed for jobs without any `permissions:`.
    pub default_permissions: DefaultPermissions,
    /// The only places where a write scope is allowed.
    pub allowed_writes: Vec<AllowedWrite>,
    /// Triggers an outside contributor can cause that run with the base repository's
    /// privileges; they must not be combined with secrets or write scopes (WF-005, WF-006).
    pub dangerous_triggers: Vec<String>,
    /// The secret whose presence gates every secret-consuming step.
    pub secret_gate: String,
    /// Action owners trusted without a SHA pin. None by default: a tag of any owner,
    /// `actions/*` included, can be moved to other code.
    pub trusted_action_owners: Vec<String>,
    /// Which workflows must pin actions to full commit SHAs.
    pub pin_actions: PinScope,
    /// Jobs that must exist (by id, in some workflow), each with words its steps must contain.
    pub required_jobs: BTreeMap<String, Vec<String>>,
}

/// The gitleaks configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scanning {
    /// Path of the gitleaks configuration.
    pub gitleaks_config: String,
    /// Paths that some path rule must flag (decrypted copies left in the tree).
    pub flagged_paths: Vec<String>,
    /// Paths that no path-only rule may flag (the encrypted bundle itself).
    pub unflagged_paths: Vec<String>,
}

/// `.gitignore`, tracked files, CODEOWNERS.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Hygiene {
    /// Sample paths the root `.gitignore` must ignore.
    pub must_ignore: Vec<String>,
    /// `.gitignore`-style patterns of files that must not be in the repository.
    pub forbidden: Vec<String>,
    /// `.gitignore`-style patterns exempt from `forbidden` (test fixtures).
    pub allow: Vec<String>,
    /// Paths CODEOWNERS must assign to at least one owner.
    pub codeowners_must_cover: Vec<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            profile: Profile::default(),
            severity_threshold: Severity::Medium,
            checks: BTreeMap::new(),
            documents: Documents::default(),
            bundle: Bundle::default(),
            workflows: Workflows::default(),
            scanning: Scanning::default(),
            hygiene: Hygiene::default(),
        }
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

impl Default for Documents {
    fn default() -> Self {
        let doc = |path: &str, headings: &[&str]| RequiredDocument {
            path: path.to_owned(),
            headings: strings(headings),
        };
        Documents {
            required: vec![
                doc(
                    "docs/ops/runbooks/gestao-de-segredos-mcp.md",
                    &[
                        "Objetivo e escopo",
                        "Inventário crítico",
                        "Preparação",
                        "Rotação programada",
                        "Rotação emergencial",
                        "Validação pós-rotação",
                        "Auditoria contínua",
                        "Comunicação e evidências",
                        "Integração com CI/CD",
                    ],
                ),
                doc(
                    "docs/ops/runbooks/secrets-incident-playbook.md",
                    &[
                        "Severidade",
                        "Contenção",
                        "Comunicação",
                        "Lições aprendidas",
                    ],
                ),
                doc(
                    "docs/ops/runbooks/auditoria-operacional.md",
                    &["Checklist", "Registro"],
                ),
                doc("docs/ops/incident-response.md", &["Matriz de contato"]),
            ],
            contact_matrix: "docs/ops/incident-response.md".to_owned(),
            contact_matrix_heading: "Matriz de contato".to_owned(),
            evidence_dir: "docs/evidence/TASK-OPS-302".to_owned(),
            activation_entry_pattern: DEFAULT_ACTIVATION_PATTERN.to_owned(),
            checklist_required: ChecklistRequired::default(),
        }
    }
}

/// Finds the version an entry activates: `v3 → v4` and `3 -> 4` give 4 (not 3),
/// `MCP_SECRETS_VERSION=4`, `versão 4`, `version: 4` give 4.
pub const DEFAULT_ACTIVATION_PATTERN: &str =
    r"(?i)(?:MCP_SECRETS_VERSION\W{0,4}|\bvers(?:ão|ao|ion)\W{0,4}|(?:→|->)\s*v?)(?P<v>\d+)\b";

impl Default for Bundle {
    fn default() -> Self {
        Bundle {
            path: bundle_core::ops::mcp::BUNDLE_PATH.to_owned(),
            required: true,
            plaintext_allowlist: strings(&bundle_core::ops::mcp::HEADER_KEYS),
            version_key: bundle_core::ops::mcp::VERSION_KEY.to_owned(),
            max_age_days: 90,
            warn_age_days: 75,
            sops_config: ".sops.yaml".to_owned(),
        }
    }
}

impl Default for Workflows {
    fn default() -> Self {
        let jobs: BTreeMap<String, Vec<String>> = [
            ("security", vec!["gitleaks", "config/gitleaks.toml"]),
            ("ops_compliance", vec!["ops-controls"]),
            ("lint", vec![]),
            ("test", vec![]),
            ("smoke", vec![]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), strings(&v)))
        .collect();
        Workflows {
            dir: ".github/workflows".to_owned(),
            default_permissions: DefaultPermissions::Restricted,
            allowed_writes: Vec::new(),
            dangerous_triggers: strings(&[
                "pull_request_target",
                "workflow_run",
                "issue_comment",
                "pull_request_review",
                "pull_request_review_comment",
                "discussion",
                "discussion_comment",
            ]),
            secret_gate: "SOPS_AGE_KEY".to_owned(),
            trusted_action_owners: Vec::new(),
            pin_actions: PinScope::All,
            required_jobs: jobs,
        }
    }
}

impl Default for Scanning {
    fn default() -> Self {
        Scanning {
            gitleaks_config: "config/gitleaks.toml".to_owned(),
            flagged_paths: strings(&[
                "config/secrets.dec.yaml",
                "config/secrets.yaml",
                "console-secrets.json",
                ".mcp/console-secrets.json",
                ".env",
                ".mcp/.env",
            ]),
            unflagged_paths: strings(&["config/secrets.enc.yaml"]),
        }
    }
}

impl Default for Hygiene {
    fn default() -> Self {
        Hygiene {
            must_ignore: strings(&[
                "config/secrets.dec.yaml",
                "config/secrets.dec.json",
                "console-secrets.json",
                ".env",
                "keys.txt",
                "mcp-age-key.txt",
                "identity.agekey",
            ]),
            forbidden: strings(&[
                "*.dec.yaml",
                "*.dec.json",
                "console-secrets.json",
                ".env",
                "keys.txt",
                "*.agekey",
                "mcp-age-key.txt",
            ]),
            allow: Vec::new(),
            codeowners_must_cover: strings(&[
                "config/secrets.enc.yaml",
                ".sops.yaml",
                ".github/workflows/ci.yml",
                "config/gitleaks.toml",
                "docs/evidence/TASK-OPS-302/README.md",
            ]),
        }
    }
}

/// Where the policy came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicySource {
    /// No file: the built-in policy.
    BuiltIn,
    /// A file, shown relative to the repository when it is inside it.
    File(String),
}

impl PolicySource {
    /// The text recorded in the report.
    pub fn describe(&self) -> &str {
        match self {
            PolicySource::BuiltIn => "built-in",
            PolicySource::File(path) => path,
        }
    }
}

impl Policy {
    /// Parses a policy from YAML text; `path` is only for messages.
    pub fn from_yaml(text: &str, path: &Path) -> Result<Policy, Error> {
        if text.trim().is_empty() {
            return Ok(Policy::default());
        }
        let policy: Policy = yaml_serde::from_str(text).map_err(|e| Error::Policy {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        policy.validate(path)?;
        Ok(policy)
    }

    /// Loads the policy file, or the built-in policy when `path` does not exist and was not
    /// given explicitly.
    pub fn load(path: &Path, explicit: bool) -> Result<Policy, Error> {
        match fs_err::read_to_string(path) {
            Ok(text) => Policy::from_yaml(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
                Ok(Policy::default())
            }
            Err(e) => Err(Error::PolicyRead {
                path: path.to_owned(),
                source: e,
            }),
        }
    }

    fn validate(&self, path: &Path) -> Result<(), Error> {
        let bad = |message: String| {
            Err(Error::Policy {
                path: path.to_owned(),
                message,
            })
        };
        for id in self.checks.keys() {
            if !crate::controls::all().iter().any(|c| c.id == id) {
                return bad(format!("unknown check id `{id}` under `checks`"));
            }
        }
        if let Err(e) = regex::Regex::new(&self.documents.activation_entry_pattern) {
            return bad(format!("invalid documents.activation_entry_pattern: {e}"));
        }
        if self.bundle.warn_age_days > self.bundle.max_age_days {
            return bad("bundle.warn_age_days is greater than bundle.max_age_days".to_owned());
        }
        Ok(())
    }

    /// The severity of a check after overrides.
    pub fn severity(&self, id: &str, default: Severity) -> Severity {
        self.checks
            .get(id)
            .and_then(|o| o.severity)
            .unwrap_or(default)
    }

    /// Whether the policy turned a check off.
    pub fn is_disabled(&self, id: &str) -> bool {
        self.checks.get(id).and_then(|o| o.enabled) == Some(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--compare` flags new dangerous triggers from the same list WF-005 uses by default.
    #[test]
    fn default_dangerous_triggers_are_those_compare_watches() {
        assert_eq!(
            Policy::default().workflows.dangerous_triggers,
            crate::compare::DANGEROUS_TRIGGERS.map(str::to_owned)
        );
        assert_eq!(Policy::default().workflows.pin_actions, PinScope::All);
    }

    #[test]
    fn partial_policy_keeps_defaults() {
        let p = Policy::from_yaml(
            "severity_threshold: high\nbundle:\n  required: false\n",
            Path::new("p.yaml"),
        )
        .unwrap();
        assert_eq!(p.severity_threshold, Severity::High);
        assert!(!p.bundle.required);
        assert_eq!(p.bundle.path, "config/secrets.enc.yaml");
        assert_eq!(p.workflows.secret_gate, "SOPS_AGE_KEY");
    }

    #[test]
    fn refuses_unknown_fields_and_check_ids() {
        let err = Policy::from_yaml("bundel: {}\n", Path::new("p.yaml")).unwrap_err();
        assert!(matches!(err, Error::Policy { .. }), "{err}");
        let err = Policy::from_yaml("checks:\n  XX-999: {enabled: false}\n", Path::new("p.yaml"))
            .unwrap_err();
        assert!(
            err.to_string().contains("unknown check id `XX-999`"),
            "{err}"
        );
    }

    #[test]
    fn default_activation_pattern_finds_versions() {
        let re = regex::Regex::new(DEFAULT_ACTIVATION_PATTERN).unwrap();
        let found = |s: &str| {
            re.captures_iter(s)
                .map(|c| c["v"].parse::<i64>().unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(found("| 2025-01-02 | v3 → v4 | agendada |"), [4]);
        assert_eq!(found("3 -> 4"), [4]);
        assert_eq!(found("MCP_SECRETS_VERSION: 7"), [7]);
        assert_eq!(found("versão 12 ativada"), [12]);
        assert!(found("2025-01-02 12:00").is_empty());
    }
}
