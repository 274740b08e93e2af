//! A fixture repository for rotation tests: a real git repository in a temp dir, a bundle
//! made with bundle-core's own encryption API, `.sops.yaml`, and the OPS-302 evidence log,
//! then a rotation done right or wrong on purpose.
//!
//! It uses public APIs only (bundle-core, std, tempfile), so rotation-guard's unit tests and
//! its integration tests share it (it used to be included into the latter with `#[path]`).
//! The keys are generated per test (never written inside the repository, which the key-file
//! rule would rightly flag). The canary values below must never appear in any output.

use std::path::{Path, PathBuf};

use bundle_core::config::SopsConfig;
use bundle_core::keys::KeyPair;
use bundle_core::ops::evidence::{Artifact, EvidenceLog, Execution, Kind, sha256_hex};
use bundle_core::sops::{EncryptSettings, SopsFile, encrypt_plaintext};
use bundle_core::store::EmitOptions;
use bundle_core::time::Timestamp;
use bundle_core::treepath::TreePath;
use bundle_core::{Format, Scalar, Value};
use tempfile::TempDir;

pub use crate::git::git;

/// 2026-01-01T00:00:00Z: when the base bundle was written.
pub const T0: i64 = 1_767_225_600;
/// 30 days later: when the rotation happens.
pub const T1: i64 = T0 + 30 * 86_400;

/// Canary secret values: long enough to be searched, distinctive enough to grep for.
pub const DB_PASSWORD: &str = "canary-db-Pw7Hq2xZ9pLm";
pub const API_TOKEN: &str = "canary+api/token=K3v8sQ1w\"x";
pub const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYcanaryKEY";
/// Shorter than 8 bytes: not searched by scan-leaks.
pub const SHORT: &str = "abc12";
pub const CANARIES: [&str; 3] = [DB_PASSWORD, API_TOKEN, AWS_SECRET];

pub use bundle_core::ops::mcp::BUNDLE_PATH as BUNDLE;
pub const EVIDENCE: &str = "docs/evidence/TASK-OPS-302";
pub const HEADER_REGEX: &str =
    "^MCP_(SECRETS_VERSION|ROTATION_REASON|ROTATED_AT|ROTATION_INCIDENT)$";

fn plaintext() -> String {
    format!(
        "MCP_SECRETS_VERSION: 4\nMCP_ROTATION_REASON: quarterly rotation\nMCP_ROTATED_AT: \"2026-01-01T00:00:00Z\"\nMCP_ROTATION_INCIDENT: \"\"\n\
         db:\n    host_port: 5432\n    password: {DB_PASSWORD}\napi:\n    token: '{API_TOKEN}'\n    pin: {SHORT}\n\
         aws_secret_access_key: {AWS_SECRET}\n"
    )
}

fn config_text(recipient: &str) -> String {
    format!(
        "creation_rules:\n    - path_regex: config/secrets\\.enc\\.yaml$\n      unencrypted_regex: '{HEADER_REGEX}'\n      age: {recipient}\n"
    )
}

/// What a rotation in the fixture does; the defaults are a correct scheduled rotation.
#[derive(Debug, Clone)]
#[allow(clippy::struct_excessive_bools)] // each flag is one way to get a rotation wrong
pub struct Rotation {
    pub kind: Kind,
    /// The new `MCP_SECRETS_VERSION` value.
    pub version: Value,
    /// A fresh data key (false: `updatekeys` only).
    pub rotate_data_key: bool,
    /// Encrypt to the new key (false: keep the old recipient).
    pub new_recipient: bool,
    /// Keep the old recipient next to the new one.
    pub keep_old_recipient: bool,
    /// Write the new recipient into `.sops.yaml`.
    pub update_config: bool,
    pub reason: Option<&'static str>,
    pub incident: Option<&'static str>,
    pub responsible: Vec<&'static str>,
    /// Hours between the plan's announcement and the window; `None`: no plan entry.
    pub plan_notice_hours: Option<i64>,
    /// Record the rotation in the evidence log.
    pub record: bool,
    /// Attach an ops-controls report to the entry.
    pub attach_report: bool,
    /// Secret values to change (key path, new value).
    pub set: Vec<(&'static str, &'static str)>,
    /// Keys to add (key path, value).
    pub add: Vec<(&'static str, &'static str)>,
    /// Stamp the new bundle in the same second as the base (`lastmodified`, `MCP_ROTATED_AT`
    /// equal to the base's), as a second rotation within one second does.
    pub same_second: bool,
}

impl Rotation {
    pub fn scheduled() -> Self {
        Self {
            kind: Kind::Scheduled,
            version: Value::Scalar(Scalar::Int(5)),
            rotate_data_key: true,
            new_recipient: true,
            keep_old_recipient: false,
            update_config: true,
            reason: Some("quarterly rotation"),
            incident: None,
            responsible: vec!["ana"],
            plan_notice_hours: Some(48),
            record: true,
            attach_report: true,
            set: vec![("api.token", "rotated-api-token-value-01")],
            add: Vec::new(),
            same_second: false,
        }
    }

    pub fn emergency() -> Self {
        Self {
            kind: Kind::Emergency,
            reason: Some("leaked token"),
            incident: Some("INC-42"),
            responsible: vec!["ana", "bruno"],
            plan_notice_hours: None,
            ..Self::scheduled()
        }
    }
}

/// A repository with a committed bundle at version 4 (encrypted to the old key) and a
/// working tree ready for a rotation.
pub struct Repo {
    pub dir: TempDir,
    keys_dir: TempDir,
    pub old_key: KeyPair,
    pub new_key: KeyPair,
}

impl Repo {
    /// The committed base state.
    #[allow(clippy::new_without_default)] // it runs git and encrypts: not a plain default
    pub fn new() -> Self {
        let repo = Self {
            dir: tempfile::tempdir().unwrap(),
            keys_dir: tempfile::tempdir().unwrap(),
            old_key: KeyPair::generate(),
            new_key: KeyPair::generate(),
        };
        git(repo.root(), &["init", "-q", "-b", "main"]);
        repo.write(".gitignore", "keys.txt\n*.agekey\n*.dec.yaml\n.env\n");
        repo.write(".sops.yaml", &config_text(&repo.old_key.recipient()));
        let config = SopsConfig::parse(
            &repo.path(".sops.yaml"),
            &config_text(&repo.old_key.recipient()),
        )
        .unwrap();
        let settings = EncryptSettings::from_rule(config.rule_for(&repo.path(BUNDLE)).unwrap());
        let file = encrypt_plaintext(
            &repo.path(BUNDLE),
            Format::Yaml,
            plaintext().as_bytes(),
            &settings,
            T0,
        )
        .unwrap();
        fs_err::create_dir_all(repo.path("config")).unwrap();
        file.write(&repo.path(BUNDLE), EmitOptions::default())
            .unwrap();
        let mut log = EvidenceLog::new();
        let mut audit = Execution::new(Kind::Audit, Timestamp::from_unix(T0 + 3600).unwrap());
        audit.reason = Some("weekly audit".into());
        audit.responsible = vec!["carla".into()];
        audit.id = audit.stable_id();
        log.append(audit);
        repo.write(&format!("{EVIDENCE}/executions.jsonl"), &log.to_jsonl());
        repo.write("README.md", "# ops repository\n");
        repo.commit("base: bundle v4");
        repo
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) {
        self.write_bytes(rel, text.as_bytes());
    }

    pub fn write_bytes(&self, rel: &str, bytes: &[u8]) {
        crate::fixture::write(self.root(), rel, bytes);
    }

    pub fn read(&self, rel: &str) -> String {
        crate::fixture::read(self.root(), rel)
    }

    pub fn git(&self, args: &[&str]) -> String {
        git(self.root(), args)
    }

    pub fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
    }

    /// An identity file for `key`, outside the repository.
    pub fn identity_file(&self, key: &KeyPair, name: &str) -> PathBuf {
        let path = self.keys_dir.path().join(name);
        fs_err::write(&path, format!("# test key\n{}\n", key.expose_identity())).unwrap();
        path
    }

    pub fn new_identity(&self) -> PathBuf {
        self.identity_file(&self.new_key, "new.agekey")
    }

    pub fn old_identity(&self) -> PathBuf {
        self.identity_file(&self.old_key, "old.agekey")
    }

    /// The bundle as stored now.
    pub fn bundle(&self) -> SopsFile {
        SopsFile::read(&self.path(BUNDLE)).unwrap()
    }

    /// Rewrites the bundle and the evidence as `spec` says (not committed).
    pub fn rotate(&self, spec: &Rotation) {
        let mut d = self
            .bundle()
            .decrypt(&self.old_key.to_identities())
            .unwrap();
        let key = |k: &str| TreePath::keys(k.split('.'));
        let stamp = if spec.same_second { T0 } else { T1 };
        d.set(&key("MCP_SECRETS_VERSION"), spec.version.clone())
            .unwrap();
        d.set(
            &key("MCP_ROTATED_AT"),
            Value::str(bundle_core::time::format_rfc3339(stamp)),
        )
        .unwrap();
        if let Some(reason) = spec.reason {
            d.set(&key("MCP_ROTATION_REASON"), Value::str(reason))
                .unwrap();
        } else {
            d.unset(&key("MCP_ROTATION_REASON")).unwrap();
        }
        if spec.kind == Kind::Emergency {
            d.set(
                &key("MCP_ROTATION_INCIDENT"),
                Value::str(spec.incident.unwrap_or("")),
            )
            .unwrap();
        }
        for (k, v) in spec.set.iter().chain(&spec.add) {
            d.set(&key(k), Value::str(*v)).unwrap();
        }
        if spec.rotate_data_key {
            d.rotate_data_key().unwrap();
        }
        let mut recipients = Vec::new();
        if spec.new_recipient {
            recipients.push(self.new_key.recipient());
        }
        if !spec.new_recipient || spec.keep_old_recipient {
            recipients.push(self.old_key.recipient());
        }
        d.set_recipients(&[recipients.clone()], None).unwrap();
        d.encrypt(stamp)
            .unwrap()
            .write(&self.path(BUNDLE), EmitOptions::default())
            .unwrap();
        if spec.update_config {
            self.write(".sops.yaml", &config_text(&recipients.join(",")));
        }
        if spec.record {
            self.record(spec);
        }
    }

    /// Appends the plan (if any) and the rotation entry of `spec` to the evidence log.
    pub fn record(&self, spec: &Rotation) {
        let log_path = self.path(&format!("{EVIDENCE}/executions.jsonl"));
        let mut log = EvidenceLog::load(&self.path(EVIDENCE)).unwrap();
        let version_to = match &spec.version {
            Value::Scalar(Scalar::Int(n)) => u64::try_from(*n).unwrap(),
            _ => 5,
        };
        if let Some(hours) = spec.plan_notice_hours {
            let mut plan =
                Execution::new(Kind::Plan, Timestamp::from_unix(T1 - hours * 3600).unwrap());
            plan.reason = Some("rotation window".into());
            plan.responsible = vec!["ana".into()];
            plan.version_from = Some(version_to - 1);
            plan.version_to = Some(version_to);
            plan.window_start = Some(Timestamp::from_unix(T1).unwrap());
            plan.id = plan.stable_id();
            log.append(plan);
        }
        let mut e = Execution::new(spec.kind, Timestamp::from_unix(T1 + 600).unwrap());
        e.reason = spec
            .reason
            .map(str::to_owned)
            .or_else(|| Some("rotation".into()));
        e.responsible = spec.responsible.iter().map(|s| (*s).to_owned()).collect();
        e.incident = spec.incident.map(str::to_owned);
        e.version_from = Some(version_to - 1);
        e.version_to = Some(version_to);
        e.id = e.stable_id();
        if spec.attach_report {
            let rel = format!("artifacts/{}/ops-controls-report.json", e.id);
            let bytes = b"{\"schema_version\":1,\"summary\":{\"passed\":true}}\n";
            self.write_bytes(&format!("{EVIDENCE}/{rel}"), bytes);
            e.artifacts.push(Artifact {
                path: rel,
                sha256: sha256_hex(bytes),
            });
        }
        log.append(e);
        fs_err::write(log_path, log.to_jsonl()).unwrap();
    }
}
