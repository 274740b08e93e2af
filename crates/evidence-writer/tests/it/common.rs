//! Helpers shared by the integration tests: a temporary repository, the commands run in
//! process (or as the binary), and a byte-for-byte picture of the directory.
#![allow(clippy::unwrap_used, dead_code, unreachable_pub)]
// Scenario tests read top to bottom like the runbook; splitting them would hide the sequence.
#![allow(clippy::too_many_lines)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Parser;
use test_support::{Transcript, fixture};

pub const DIR: &str = "docs/evidence/TASK-OPS-302";

/// A report as ops-controls writes it, reduced to what the summary reads.
pub const REPORT_ONE_FAIL: &str = r#"{
  "schema_version": 1,
  "checks": [
    {"id": "docs.runbooks-present", "title": "Runbooks exist", "status": "pass"},
    {"id": "workflows.top-level-permissions", "title": "Workflow declares top-level permissions", "status": "fail"},
    {"id": "bundle.max-age", "status": "warn"}
  ]
}
"#;

pub const REPORT_CLEAN: &str = r#"{"schema_version": 1, "checks": [{"id": "docs.runbooks-present", "status": "pass"}]}
"#;

/// When [`Repo::record_emergency`] records.
pub const EMERGENCY_AT: &str = "2025-03-05T15:40:00Z";

/// Decision flags for every secret of a bundle: the first replaced, the second revoked, the
/// rest not affected.
pub fn decide_all(secrets: &[String]) -> Vec<&str> {
    let mut args = vec![
        "--replaced",
        secrets[0].as_str(),
        "--revoked",
        secrets[1].as_str(),
    ];
    for s in &secrets[2..] {
        args.extend(["--not-affected", s.as_str()]);
    }
    args
}

pub struct Outcome {
    pub code: u8,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// Exit status, stdout and stderr in one block (the workspace's snapshot shape).
    pub fn display(&self, root: &Path) -> String {
        Transcript::new(self.code, self.stdout.as_str(), self.stderr.as_str())
            .redact(root, "[REPO]")
            .to_string()
    }
}

pub struct Repo {
    pub tmp: tempfile::TempDir,
}

impl Repo {
    pub fn new() -> Self {
        Self {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    pub fn root(&self) -> &Path {
        self.tmp.path()
    }

    pub fn evidence(&self) -> PathBuf {
        self.root().join(DIR)
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    pub fn write(&self, rel: &str, content: &str) {
        fixture::write(self.root(), rel, content);
    }

    pub fn read(&self, rel: &str) -> String {
        fixture::read(self.root(), rel)
    }

    pub fn evidence_file(&self, name: &str) -> String {
        self.read(&format!("{DIR}/{name}"))
    }

    /// Runs the command in process, with `--repo` set to this repository. A run with
    /// `--at T` also runs with `SOURCE_DATE_EPOCH` at `T` (the hidden flag the variable
    /// sets), so the entry is *written* at the time it claims, as a real run at `T` would be.
    pub fn run(&self, args: &[&str]) -> Outcome {
        let root = self.root().display().to_string();
        let epoch = args
            .iter()
            .position(|a| *a == "--at")
            .and_then(|i| args.get(i + 1))
            .and_then(|t| bundle_core::time::Timestamp::parse_rfc3339(t).ok())
            .map(|t| t.unix().to_string());
        let clock: Vec<&str> = match &epoch {
            Some(e) => vec!["--source-date-epoch", e.as_str()],
            None => Vec::new(),
        };
        let command_line = ["evidence-writer", "--repo", root.as_str()]
            .into_iter()
            .chain(clock)
            .chain(args.iter().copied());
        let cli = match evidence_writer::Cli::try_parse_from(command_line) {
            Ok(cli) => cli,
            Err(e) => {
                return Outcome {
                    code: u8::try_from(e.exit_code()).unwrap(),
                    stdout: String::new(),
                    stderr: e.to_string(),
                };
            }
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = match evidence_writer::run(cli, &mut out, &mut err) {
            Ok(status) => status.code(),
            Err(e) => {
                err.extend_from_slice(format!("error: {e}\n").as_bytes());
                bundle_core::ops::cli::ToolError::exit_status(&e).code()
            }
        };
        Outcome {
            code,
            stdout: String::from_utf8(out).unwrap(),
            stderr: String::from_utf8(err).unwrap(),
        }
    }

    /// Runs and asserts exit 0.
    pub fn ok(&self, args: &[&str]) -> Outcome {
        let outcome = self.run(args);
        assert_eq!(
            outcome.code,
            0,
            "{:?}\n{}",
            args,
            outcome.display(self.root())
        );
        outcome
    }

    /// Every file under the repository with its bytes (and every directory, as `dir/`).
    pub fn picture(&self) -> BTreeMap<String, Option<Vec<u8>>> {
        let mut files = BTreeMap::new();
        walk(self.root(), self.root(), &mut files);
        files
    }

    /// An initialized evidence directory (`init`).
    pub fn initialized() -> Self {
        let repo = Self::new();
        repo.ok(&["init"]);
        repo
    }

    /// `comms --incident INCIDENT --message MESSAGE` at `at`, asserted to succeed.
    pub fn comms(&self, at: &str, incident: &str, message: &str) -> Outcome {
        self.ok(&[
            "--at",
            at,
            "comms",
            "--incident",
            incident,
            "--message",
            message,
        ])
    }

    /// An emergency recorded by hand (`record --kind emergency`), as a responsible records
    /// one that `xtask rotate --emergency` did not: incident INC-9, version 1 to 2, by Carla
    /// and Diego at 2025-03-05T15:40:00Z. `extra` holds the decisions (`--replaced`,
    /// `--revoked`, `--not-affected`, `--isolated`, `--comms`); the outcome is not asserted.
    pub fn record_emergency(&self, extra: &[&str]) -> Outcome {
        let mut args = vec![
            "--at",
            EMERGENCY_AT,
            "record",
            "--kind",
            "emergency",
            "--reason",
            "vazamento",
            "--responsible",
            "Carla",
            "--responsible",
            "Diego",
            "--incident",
            "INC-9",
            "--version-from",
            "1",
            "--version-to",
            "2",
        ];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    /// Copies a real encrypted bundle to the repository's `config/secrets.enc.yaml`; returns
    /// its secrets (as bundle-core lists them, without a key).
    pub fn with_bundle(&self) -> Vec<String> {
        let text = fs_err::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../ops-controls/tests/fixtures/repos/compliant/config/secrets.enc.yaml"
        ))
        .unwrap();
        self.write("config/secrets.enc.yaml", &text);
        let secrets = bundle_core::ops::evidence::bundle_secrets(
            &bundle_core::sops::SopsFile::read(&self.path("config/secrets.enc.yaml")).unwrap(),
        );
        assert!(secrets.len() >= 3, "{secrets:?}");
        secrets
    }

    /// The README's checklist line of item `id` (`emergency-v2.isolation`).
    pub fn checklist_line(&self, id: &str) -> String {
        test_support::checklist_line(&self.evidence_file("README.md"), id).to_owned()
    }

    /// A fixed sequence: plan, scheduled rotation (with reports), three incident updates,
    /// emergency rotation, audit. Every time is given with --at.
    pub fn record_sequence(&self) {
        self.write("reports/ops-controls-report.json", REPORT_ONE_FAIL);
        self.write("reports/gitleaks-post-rotation.json", "[]\n");
        self.ok(&["init"]);
        self.ok(&[
            "--at",
            "2025-03-01T09:00:00Z",
            "record",
            "--kind",
            "plan",
            "--reason",
            "rotação trimestral",
            "--responsible",
            "Ana Souza",
            "--version-from",
            "4",
            "--version-to",
            "5",
            "--window-start",
            "2025-03-03T09:00:00Z",
            "--link",
            "Anúncio=https://chat.example.com/mcp-ops/p/1001",
        ]);
        let report = self
            .path("reports/ops-controls-report.json")
            .display()
            .to_string();
        let gitleaks = self
            .path("reports/gitleaks-post-rotation.json")
            .display()
            .to_string();
        self.ok(&[
            "--at",
            "2025-03-03T10:00:00Z",
            "record",
            "--kind",
            "scheduled",
            "--reason",
            "rotação trimestral",
            "--responsible",
            "Ana Souza",
            "Bruno Lima",
            "--version-from",
            "4",
            "--version-to",
            "5",
            "--link",
            "CI=https://ci.example.com/runs/4242",
            "--link",
            "PR #87=https://git.example.com/ops/pull/87",
            "--attach",
            &report,
            "--attach",
            &gitleaks,
            "--done",
            "plan=entry:plan-v5",
            "--done",
            "ops-controls=attach:ops-controls-report.json",
            "--done",
            "gitleaks=attach:gitleaks-post-rotation.json",
            "--done",
            "ci=link:CI",
        ]);
        for (at, message) in [
            (
                "2025-03-05T14:00:00Z",
                "Vazamento suspeito do token do provedor X; revogação em andamento",
            ),
            (
                "2025-03-05T14:25:00Z",
                "Tokens revogados; reconstruindo o bundle",
            ),
            (
                "2025-03-05T14:50:00Z",
                "Bundle reconstruído; validação cruzada em andamento",
            ),
        ] {
            self.ok(&[
                "--at",
                at,
                "comms",
                "--incident",
                "INC-2025-031",
                "--message",
                message,
            ]);
        }
        self.ok(&[
            "--at",
            "2025-03-05T15:10:00Z",
            "record",
            "--kind",
            "emergency",
            "--reason",
            "incidente: token exposto em log",
            "--responsible",
            "Carla Dias",
            "--responsible",
            "Diego Reis",
            "--incident",
            "INC-2025-031",
            "--version-from",
            "5",
            "--version-to",
            "6",
            "--link",
            "Alerta=https://alerts.example.com/a/77",
            "--attach",
            &report,
            "--attach",
            &gitleaks,
            "--done",
            "ops-controls=attach:ops-controls-report.json",
            "--skipped",
            "gitleaks=gitleaks não instalado",
            "--replaced",
            "github.token",
            "--revoked",
            "github.token",
            "--not-affected",
            "database.password",
            "--isolated",
            "token revogado no GitHub; deploys suspensos",
            "--comms",
            "comms-INC-2025-031-20250305T145000Z",
        ]);
        self.ok(&[
            "--at",
            "2025-03-06T09:00:00Z",
            "record",
            "--kind",
            "audit",
            "--reason",
            "auditoria semanal pós-rotação",
            "--responsible",
            "Eva Prado",
            "--attach",
            &report,
        ]);
    }
}

fn walk(root: &Path, dir: &Path, files: &mut BTreeMap<String, Option<Vec<u8>>>) {
    for entry in fs_err::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let rel = path.strip_prefix(root).unwrap().display().to_string();
        if path.is_dir() {
            files.insert(format!("{rel}/"), None);
            walk(root, &path, files);
        } else {
            files.insert(rel, Some(fs_err::read(&path).unwrap()));
        }
    }
}
