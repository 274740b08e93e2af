//! ops-controls: the compliance report of an MCP secrets repository.
//!
//! It checks, without any key, that a repository is in the state the secrets runbook
//! requires: runbooks and evidence present, the SOPS bundle encrypted as agreed, CI
//! workflows least-privileged and careful with the age key, the gitleaks configuration able
//! to catch what matters, and the tree free of decrypted files. The result is a
//! deterministic JSON report ([`bundle_core::ops::report::Report`]) with stable check ids, the
//! secret inventory and the workflow permission matrix; `--compare` lists regressions
//! against a previous report.
//!
//! ```no_run
//! use ops_controls::{Options, generate};
//! let now = bundle_core::time::Now::from_env().unwrap().at;
//! let report = generate(&Options::new(".".into(), now)).unwrap();
//! assert!(report.summary.total > 0);
//! ```
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod cli;
pub mod compare;
pub mod controls;
pub mod error;
pub mod policy;
pub mod render;

mod bundle;
mod context;
mod expr;
mod keyfile;
mod markdown;
mod permissions;
mod scanning;
mod util;
mod workflow;
mod yaml;

use std::path::{Path, PathBuf};

use bundle_core::time::Timestamp;

use bundle_core::ops::report::{
    BundleInventory, CheckResult, Inventory, PolicyInfo, Report, RepositoryInfo, SCHEMA_VERSION,
    Status, Summary, ToolInfo, WorkflowSecrets,
};

pub use error::Error;
pub use policy::Policy;

use crate::context::Context;
use crate::policy::PolicySource;

/// The default policy location inside a repository.
pub const DEFAULT_POLICY: &str = "config/ops-controls.yaml";

/// What to check and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// The repository root.
    pub repo: PathBuf,
    /// The policy file; `None` means `<repo>/config/ops-controls.yaml` or the built-in policy.
    pub policy: Option<PathBuf>,
    /// Check ids or families (`WF`) to run; empty means all.
    pub only: Vec<String>,
    /// "Now", for the bundle's age and `generated_at` (the binary takes it from
    /// [`bundle_core::time::Now::from_env`]).
    pub now: Timestamp,
    /// An execution about to be recorded whose `ops-controls` item this report will prove
    /// (`xtask rotate`/`audit`): the evidence checks (DOC-001, DOC-003, DOC-004) read the log
    /// as if it were appended, and count its `ops-controls` item as earned by this report.
    /// So the report attached to an execution judges the log *with* that execution in it
    /// (issue 12: no DOC-004 failure for a rotation that is being recorded).
    pub pending: Option<bundle_core::ops::evidence::Execution>,
}

impl Options {
    /// All checks on `repo` with the default policy lookup, at `now`.
    pub fn new(repo: PathBuf, now: Timestamp) -> Options {
        Options {
            repo,
            policy: None,
            only: Vec::new(),
            now,
            pending: None,
        }
    }
}

fn select(only: &[String]) -> Result<Vec<&'static controls::Control>, Error> {
    let all = controls::all();
    if only.is_empty() {
        return Ok(all.iter().collect());
    }
    for id in only {
        let known = all
            .iter()
            .any(|c| c.id == id || c.id.split('-').next() == Some(id.as_str()));
        if !known {
            let known = all.iter().map(|c| c.id).collect::<Vec<_>>().join(", ");
            return Err(Error::UnknownCheck {
                id: id.clone(),
                known,
            });
        }
    }
    Ok(all
        .iter()
        .filter(|c| {
            only.iter()
                .any(|id| c.id == id || c.id.split('-').next() == Some(id.as_str()))
        })
        .collect())
}

fn policy_for(root: &Path, given: Option<&Path>) -> Result<(Policy, PolicySource), Error> {
    let (path, explicit) = match given {
        Some(p) => (p.to_owned(), true),
        None => (root.join(DEFAULT_POLICY), false),
    };
    let policy = Policy::load(&path, explicit)?;
    let source = if !explicit && !path.exists() {
        PolicySource::BuiltIn
    } else {
        let shown = fs_err::canonicalize(&path)
            .ok()
            .and_then(|p| {
                p.strip_prefix(root)
                    .ok()
                    .map(|r| r.to_string_lossy().replace('\\', "/"))
            })
            .unwrap_or_else(|| path.display().to_string());
        PolicySource::File(shown)
    };
    Ok((policy, source))
}

/// Runs the checks and builds the report (without a comparison).
pub fn generate(options: &Options) -> Result<Report, Error> {
    let root = fs_err::canonicalize(&options.repo)
        .ok()
        .filter(|p| p.is_dir())
        .ok_or_else(|| Error::RepoNotFound {
            path: options.repo.clone(),
        })?;
    let selected = select(&options.only)?;
    let (policy, source) = policy_for(&root, options.policy.as_deref())?;
    let mut cx = Context::new(root.clone(), policy, options.now);
    cx.pending.clone_from(&options.pending);
    cx.preload(selected.iter().any(|c| c.id == "HYG-002"));

    let checks: Vec<CheckResult> = selected
        .iter()
        .map(|control| {
            let severity = cx.policy.severity(control.id, control.severity);
            let outcome = controls::evaluate(control, &cx);
            CheckResult {
                id: control.id.to_owned(),
                title: control.title.to_owned(),
                severity,
                status: outcome.status,
                message: outcome.message,
                locations: if outcome.status == Status::Pass {
                    Vec::new()
                } else {
                    outcome.locations
                },
            }
        })
        .collect();
    let threshold = cx.policy.severity_threshold;
    let mut permissions: Vec<_> = cx
        .workflows()
        .parsed
        .iter()
        .map(|wf| permissions::matrix(wf, cx.policy.workflows.default_permissions))
        .collect();
    permissions.sort_by(|a, b| a.workflow.cmp(&b.workflow));
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo {
            name: "ops-controls".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        },
        generated_at: options.now.to_string(),
        repository: RepositoryInfo {
            commit: bundle_core::ops::git::head_commit(&root),
        },
        policy: PolicyInfo {
            source: source.describe().to_owned(),
            severity_threshold: threshold,
        },
        summary: Summary::of(&checks, threshold),
        checks,
        inventory: inventory(&cx),
        permissions,
        comparison: None,
    })
}

fn inventory(cx: &Context) -> Inventory {
    let bundle = cx.bundle().view().map(|view| BundleInventory {
        path: view.path.clone(),
        version: view.version.as_int(),
        keys: view.leaves.iter().map(bundle::Leaf::display).collect(),
        recipients: view.recipients.clone(),
        lastmodified: view.lastmodified.clone(),
    });
    let log = controls::activation_log_path(cx);
    let activation_versions = cx
        .read(&log)
        .ok()
        .flatten()
        .map(|text| {
            controls::activation_versions(&text, &cx.policy.documents.activation_entry_pattern)
        })
        .unwrap_or_default();
    let mut workflow_secrets = Vec::new();
    for wf in &cx.workflows().parsed {
        let global: Vec<String> = wf
            .env
            .iter()
            .flat_map(|v| expr::secrets_in(&v.value))
            .collect();
        for job in &wf.jobs {
            let mut names = job.secret_names();
            names.extend(global.iter().cloned());
            if !names.is_empty() {
                workflow_secrets.push(WorkflowSecrets {
                    workflow: wf.path.clone(),
                    job: job.id.clone(),
                    secrets: names.into_iter().collect(),
                });
            }
        }
    }
    workflow_secrets.sort_by(|a, b| (&a.workflow, &a.job).cmp(&(&b.workflow, &b.job)));
    Inventory {
        bundle,
        activation_versions,
        workflow_secrets,
    }
}
