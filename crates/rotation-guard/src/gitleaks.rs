//! `gitleaks`: run the installed gitleaks as the runbook does and read its outcome without
//! ambiguity.
//!
//! gitleaks exits 1 both for "leaks found" and for its own errors. We pass `--exit-code 2`,
//! so 2 means leaks and 1 can only mean an error; the JSON report must exist and agree with
//! the exit status (0 with an empty list, 2 with findings), else the run is an error too.
//! The report is produced in a private temporary directory and, when `--report` is given,
//! copied atomically with mode 0600. Secrets are redacted by gitleaks (`--redact`) and this
//! module reads only the rule, file and line of each finding.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use bundle_core::fsio::{WriteOptions, write_atomic};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The version of the JSON output.
pub const SCHEMA_VERSION: u32 = 1;

/// The gitleaks configuration the runbook uses, relative to the repository.
pub const DEFAULT_CONFIG: &str = "config/gitleaks.toml";

/// The exit code asked of gitleaks for "leaks found".
const LEAKS_EXIT: i32 = 2;

/// How to run gitleaks.
#[derive(Debug, Clone)]
pub struct GitleaksOptions {
    /// The directory to scan.
    pub repo: PathBuf,
    /// The configuration (default `<repo>/config/gitleaks.toml`).
    pub config: Option<PathBuf>,
    /// Where to keep the JSON report (mode 0600); `None`: not kept.
    pub report: Option<PathBuf>,
    /// The gitleaks binary (default: `gitleaks` on PATH).
    pub binary: Option<PathBuf>,
}

/// A gitleaks finding, as much as is shown.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct GitleaksFinding {
    /// The rule that matched.
    pub rule: String,
    /// The file, relative to the scanned directory when inside it.
    pub file: String,
    /// 1-based line.
    pub line: u64,
}

/// What gitleaks concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// No finding.
    Clean,
    /// Findings.
    Leaks,
}

/// The outcome of a gitleaks run that reached a verdict.
#[derive(Debug, Clone, Serialize)]
pub struct GitleaksOutcome {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Clean or leaks.
    pub outcome: Verdict,
    /// The findings, sorted.
    pub findings: Vec<GitleaksFinding>,
    /// Where the report was kept.
    pub report: Option<String>,
}

#[derive(Deserialize)]
struct RawFinding {
    #[serde(rename = "RuleID", default)]
    rule: String,
    #[serde(rename = "File", default)]
    file: String,
    #[serde(rename = "StartLine", default)]
    line: u64,
}

/// `gitleaks` on PATH.
fn find_on_path() -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|d| d.join("gitleaks"))
        .find(|p| fs_err::metadata(p).is_ok_and(|m| m.is_file()))
}

/// The verdict for an exit code and a report's findings, or why there is none.
pub fn verdict(code: Option<i32>, findings: Option<usize>) -> Result<Verdict, String> {
    match (code, findings) {
        (Some(0), Some(0)) => Ok(Verdict::Clean),
        (Some(LEAKS_EXIT), Some(n)) if n > 0 => Ok(Verdict::Leaks),
        (Some(0), Some(n)) => Err(format!("it exited 0 but its report lists {n} finding(s)")),
        (Some(LEAKS_EXIT), Some(_)) => {
            Err("it reported leaks (exit 2) but its report lists none".to_owned())
        }
        (Some(0 | LEAKS_EXIT), None) => Err("it wrote no report".to_owned()),
        (Some(1), _) => Err(
            "exit status 1: a gitleaks error (leaks are signalled with exit status 2)".to_owned(),
        ),
        (Some(c), _) => Err(format!("unexpected exit status {c}")),
        (None, _) => Err("it was killed by a signal".to_owned()),
    }
}

/// Runs gitleaks and maps its outcome.
pub fn run_gitleaks(options: &GitleaksOptions) -> Result<GitleaksOutcome, Error> {
    let repo = fs_err::canonicalize(&options.repo)
        .ok()
        .filter(|p| p.is_dir())
        .ok_or_else(|| Error::RepoNotFound {
            path: options.repo.clone(),
        })?;
    let binary = match &options.binary {
        Some(path) if fs_err::metadata(path).is_ok_and(|m| m.is_file()) => path.clone(),
        Some(path) => {
            return Err(Error::GitleaksMissing {
                searched: format!("{} does not exist", path.display()),
            });
        }
        None => find_on_path().ok_or_else(|| Error::GitleaksMissing {
            searched: "no `gitleaks` on PATH".into(),
        })?,
    };
    let config = options
        .config
        .clone()
        .unwrap_or_else(|| repo.join(DEFAULT_CONFIG));
    if !fs_err::metadata(&config).is_ok_and(|m| m.is_file()) {
        return Err(Error::GitleaksConfigMissing { path: config });
    }
    let private = tempfile::Builder::new()
        .prefix("rotation-guard-gitleaks.")
        .tempdir()?;
    let raw_report = private.path().join("report.json");
    let output = Command::new(&binary)
        .arg("dir")
        .arg(&repo)
        .arg("--config")
        .arg(&config)
        .args([
            "--redact",
            "--exit-code",
            "2",
            "--report-format",
            "json",
            "--no-banner",
            "--log-level",
            "error",
        ])
        .arg("--report-path")
        .arg(&raw_report)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::GitleaksFailed {
            message: format!("cannot run {}: {e}", binary.display()),
        })?;
    let bytes = fs_err::read(&raw_report).ok();
    let parsed: Option<Result<Vec<RawFinding>, String>> = bytes.as_ref().map(|b| {
        serde_json::from_slice(b).map_err(|e| format!("its report is not the expected JSON: {e}"))
    });
    let findings = match parsed {
        Some(Err(message)) => return Err(Error::GitleaksFailed { message }),
        Some(Ok(list)) => Some(list),
        None => None,
    };
    let verdict =
        verdict(output.status.code(), findings.as_ref().map(Vec::len)).map_err(|reason| {
            let log = String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .map(|l| format!(" (last log line: {})", l.trim()))
                .unwrap_or_default();
            Error::GitleaksFailed {
                message: format!("{reason}{log}"),
            }
        })?;
    let mut shown: Vec<GitleaksFinding> = findings
        .unwrap_or_default()
        .into_iter()
        .map(|f| GitleaksFinding {
            rule: f.rule,
            file: relative(&repo, &f.file),
            line: f.line,
        })
        .collect();
    shown.sort();
    let report = match (&options.report, &bytes) {
        (Some(path), Some(bytes)) => {
            write_atomic(path, bytes, WriteOptions::PRIVATE).map_err(|source| {
                Error::ReportWrite {
                    path: path.clone(),
                    source,
                }
            })?;
            Some(path.display().to_string())
        }
        _ => None,
    };
    Ok(GitleaksOutcome {
        schema_version: SCHEMA_VERSION,
        outcome: verdict,
        findings: shown,
        report,
    })
}

fn relative(repo: &Path, file: &str) -> String {
    Path::new(file)
        .strip_prefix(repo)
        .map_or_else(|_| file.to_owned(), |p| p.to_string_lossy().into_owned())
}

impl GitleaksOutcome {
    /// The JSON document with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("an outcome always serializes");
        text.push('\n');
        text
    }

    /// One line per finding, then the verdict.
    pub fn write_text(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        for f in &self.findings {
            writeln!(out, "LEAK {}:{}: gitleaks rule {}", f.file, f.line, f.rule)?;
        }
        let verdict = match self.outcome {
            Verdict::Clean => "clean".to_owned(),
            Verdict::Leaks => format!("{} leak(s)", self.findings.len()),
        };
        match &self.report {
            Some(path) => writeln!(out, "result: gitleaks {verdict}; report written to {path}"),
            None => writeln!(out, "result: gitleaks {verdict}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_every_outcome() {
        assert_eq!(verdict(Some(0), Some(0)), Ok(Verdict::Clean));
        assert_eq!(verdict(Some(2), Some(3)), Ok(Verdict::Leaks));
        assert_eq!(
            verdict(Some(1), Some(3)).unwrap_err(),
            "exit status 1: a gitleaks error (leaks are signalled with exit status 2)"
        );
        assert_eq!(
            verdict(Some(1), None).unwrap_err(),
            "exit status 1: a gitleaks error (leaks are signalled with exit status 2)"
        );
        assert_eq!(verdict(Some(0), None).unwrap_err(), "it wrote no report");
        assert_eq!(verdict(Some(2), None).unwrap_err(), "it wrote no report");
        assert_eq!(
            verdict(Some(0), Some(2)).unwrap_err(),
            "it exited 0 but its report lists 2 finding(s)"
        );
        assert_eq!(
            verdict(Some(2), Some(0)).unwrap_err(),
            "it reported leaks (exit 2) but its report lists none"
        );
        assert_eq!(
            verdict(Some(126), Some(0)).unwrap_err(),
            "unexpected exit status 126"
        );
        assert_eq!(
            verdict(None, None).unwrap_err(),
            "it was killed by a signal"
        );
    }
}
