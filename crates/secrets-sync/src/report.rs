//! What a run did, and how it is shown: a summary on stderr, data on stdout, and with
//! `--json` one JSON document (`schema_version` 1) on stdout.
//!
//! What must stay true: nothing here can print a value of the bundle. An [`Outcome`] holds
//! paths, modes, counts, variable names and key *sources* only; the JSON structs are separate
//! from the internal ones so that refactors do not change the format.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::flatten::PortabilityNote;

/// The mode a run was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Publish the pair.
    Sync,
    /// Compare the published pair with the bundle; write nothing.
    Check,
    /// Say what would be written; write nothing.
    DryRun,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Sync => "sync",
            Mode::Check => "check",
            Mode::DryRun => "dry-run",
        }
    }
}

/// What happened to one output file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    /// Replaced by (or created as) the new file.
    Written,
    /// Already the same bytes with mode 0600: left alone.
    Unchanged,
    /// `--dry-run`: would be written.
    WouldWrite,
    /// `--check`: same bytes as the bundle gives.
    UpToDate,
    /// `--check`: does not exist.
    Missing,
    /// `--check`: differs from what the bundle gives.
    Stale,
}

impl FileStatus {
    fn name(self) -> &'static str {
        match self {
            FileStatus::Written => "written",
            FileStatus::Unchanged => "unchanged",
            FileStatus::WouldWrite => "would-write",
            FileStatus::UpToDate => "up-to-date",
            FileStatus::Missing => "missing",
            FileStatus::Stale => "stale",
        }
    }

    fn label(self) -> &'static str {
        match self {
            FileStatus::WouldWrite => "would write",
            FileStatus::UpToDate => "up to date",
            other => other.name(),
        }
    }
}

/// One output file in the outcome.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// Its path.
    pub path: PathBuf,
    /// What happened.
    pub status: FileStatus,
    /// Its mode now (after the run), when it exists.
    pub mode: Option<u32>,
    /// Its mode before the run, when that was not 0600.
    pub previous_mode: Option<u32>,
}

/// A problem found by `--check`, with a stable id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Stable id (README, "Check ids").
    pub id: &'static str,
    /// The file or directory concerned.
    pub path: PathBuf,
    /// What is wrong, never quoting a value.
    pub message: String,
}

/// Everything a run reports.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The mode.
    pub mode: Mode,
    /// The bundle.
    pub bundle: PathBuf,
    /// `MCP_SECRETS_VERSION`.
    pub version: Option<i64>,
    /// Non-null leaves of the bundle.
    pub values: usize,
    /// Leaves stored encrypted.
    pub encrypted: usize,
    /// Variables in `.env`.
    pub variables: usize,
    /// Where identities came from.
    pub key_sources: Vec<String>,
    /// The output directory.
    pub out_dir: PathBuf,
    /// Its mode after the run (`None`: does not exist).
    pub dir_mode: Option<u32>,
    /// It was created by this run (or would be, in a dry run).
    pub dir_created: bool,
    /// Its mode before, when this run changed it (or would).
    pub dir_previous_mode: Option<u32>,
    /// The two outputs.
    pub files: Vec<FileReport>,
    /// An interrupted run was rolled back.
    pub rolled_back: bool,
    /// Leftover files removed.
    pub removed: Vec<PathBuf>,
    /// `--check` findings.
    pub findings: Vec<Finding>,
    /// `--dry-run`: the variable names.
    pub names: Option<Vec<String>>,
    /// Variables some dotenv loader reads differently from a shell.
    pub notes: Vec<PortabilityNote>,
    /// Key files removed by `--remove-key-file` (in a dry run: that would be removed).
    pub key_files: Vec<PathBuf>,
    /// Key files `--remove-key-file` left in place, with the reason.
    pub key_files_kept: Vec<(PathBuf, &'static str)>,
    /// `--remove-key-file` was given.
    pub remove_key_file: bool,
}

impl Outcome {
    /// Whether the run found no problem.
    pub fn is_ok(&self) -> bool {
        self.findings.is_empty()
    }

    /// The human summary (stderr).
    pub fn write_summary(&self, w: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            w,
            "secrets-sync {}: bundle {}",
            self.mode.name(),
            self.bundle.display()
        )?;
        match self.version {
            Some(v) => writeln!(w, "  {}: {v}", crate::bundle::VERSION_KEY)?,
            None => writeln!(
                w,
                "  {}: absent or not an integer",
                crate::bundle::VERSION_KEY
            )?,
        }
        writeln!(
            w,
            "  secrets: {} values ({} encrypted), {} .env variables",
            self.values, self.encrypted, self.variables
        )?;
        writeln!(w, "  keys from: {}", self.key_sources.join(", "))?;
        if self.rolled_back {
            writeln!(
                w,
                "  recovered: an interrupted run was rolled back to the previous pair"
            )?;
        }
        for path in &self.removed {
            writeln!(w, "  removed leftover: {}", path.display())?;
        }
        let dir_state = self.dir_state();
        writeln!(w, "  directory: {} ({dir_state})", self.out_dir.display())?;
        for file in &self.files {
            let detail = self.file_detail(file);
            writeln!(
                w,
                "  {}: {} ({detail})",
                file.status.label(),
                file.path.display()
            )?;
        }
        // Notes name variables only; cap them so that a large bundle stays readable.
        for note in self.notes.iter().take(SHOWN_NOTES) {
            writeln!(w, "  note: {}: {}", note.name, note.note)?;
        }
        if self.notes.len() > SHOWN_NOTES {
            writeln!(
                w,
                "  note: {} more variables with loader notes (all are listed by --json)",
                self.notes.len() - SHOWN_NOTES
            )?;
        }
        if self.remove_key_file {
            if self.key_files.is_empty() && self.key_files_kept.is_empty() {
                writeln!(
                    w,
                    "  key file: none to remove (keys came from SOPS_AGE_KEY or SOPS_AGE_KEY_CMD)"
                )?;
            }
            for (path, reason) in &self.key_files_kept {
                writeln!(w, "  key file: kept {} ({reason})", path.display())?;
            }
            for path in &self.key_files {
                let verb = if self.mode == Mode::DryRun {
                    "would remove"
                } else {
                    "removed"
                };
                writeln!(w, "  key file: {verb} {}", path.display())?;
            }
        }
        if self.mode == Mode::Check {
            if self.findings.is_empty() {
                writeln!(w, "check: ok, the published pair matches the bundle")?;
            } else {
                writeln!(
                    w,
                    "check: {} problem(s); run secrets-sync to fix them",
                    self.findings.len()
                )?;
            }
        }
        Ok(())
    }

    fn dir_state(&self) -> String {
        match (
            self.dir_mode,
            self.dir_created,
            self.dir_previous_mode,
            self.mode,
        ) {
            (None, true, _, _) => "missing, would be created with mode 0700".to_owned(),
            (None, false, _, _) => "missing".to_owned(),
            (Some(mode), true, _, _) => format!("{}, created", mode_text(mode)),
            (Some(mode), false, Some(old), Mode::Sync) => {
                format!("{}, tightened from {}", mode_text(mode), mode_text(old))
            }
            (Some(mode), false, Some(_), _) => format!("{}, would become 0700", mode_text(mode)),
            (Some(mode), false, None, _) => mode_text(mode),
        }
    }

    fn file_detail(&self, file: &FileReport) -> String {
        match (self.mode, file.mode, file.previous_mode) {
            (Mode::DryRun, None, _) => "new".to_owned(),
            (Mode::DryRun, Some(_), Some(old)) => {
                format!("replaces a {} file; will be 0600", mode_text(old))
            }
            (Mode::DryRun, Some(mode), None) => format!("replaces a {} file", mode_text(mode)),
            (Mode::Sync, Some(mode), Some(old)) => {
                format!("{}, tightened from {}", mode_text(mode), mode_text(old))
            }
            (_, Some(mode), _) => mode_text(mode),
            (_, None, _) => "absent".to_owned(),
        }
    }

    /// The data on stdout without `--json`: check findings, or the dry run's plan.
    pub fn write_data(&self, w: &mut dyn Write) -> std::io::Result<()> {
        for finding in &self.findings {
            writeln!(
                w,
                "{}: {}: {}",
                finding.id,
                finding.path.display(),
                finding.message
            )?;
        }
        if let Some(names) = &self.names {
            for file in &self.files {
                writeln!(w, "would write {}", file.path.display())?;
            }
            for path in &self.key_files {
                writeln!(w, "would remove key file {}", path.display())?;
            }
            writeln!(w, "variables:")?;
            for name in names {
                writeln!(w, "  {name}")?;
            }
        }
        Ok(())
    }

    /// The `--json` document.
    pub fn write_json(&self, w: &mut dyn Write) -> std::io::Result<()> {
        let doc = JsonReport {
            schema_version: 1,
            mode: self.mode.name(),
            ok: self.is_ok(),
            bundle: display(&self.bundle),
            mcp_secrets_version: self.version,
            values: self.values,
            encrypted_values: self.encrypted,
            variables: self.variables,
            key_sources: &self.key_sources,
            out_dir: JsonDir {
                path: display(&self.out_dir),
                mode: self.dir_mode.map(mode_text),
                created: self.dir_created,
                previous_mode: self.dir_previous_mode.map(mode_text),
            },
            files: self
                .files
                .iter()
                .map(|f| JsonFile {
                    name: f
                        .path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    path: display(&f.path),
                    status: f.status.name(),
                    mode: f.mode.map(mode_text),
                    previous_mode: f.previous_mode.map(mode_text),
                })
                .collect(),
            recovery: JsonRecovery {
                rolled_back: self.rolled_back,
                removed: self.removed.iter().map(|p| display(p)).collect(),
            },
            findings: self
                .findings
                .iter()
                .map(|f| JsonFinding {
                    id: f.id,
                    path: display(&f.path),
                    message: &f.message,
                })
                .collect(),
            variable_names: self.names.as_deref(),
            portability_notes: self
                .notes
                .iter()
                .map(|n| JsonNote {
                    name: &n.name,
                    note: n.note,
                })
                .collect(),
            key_files_removed: if self.mode == Mode::DryRun {
                Vec::new()
            } else {
                self.key_files.iter().map(|p| display(p)).collect()
            },
            key_files_kept: self
                .key_files_kept
                .iter()
                .map(|(p, reason)| JsonKept {
                    path: display(p),
                    reason,
                })
                .collect(),
        };
        serde_json::to_writer_pretty(&mut *w, &doc)?;
        writeln!(w)
    }
}

/// How many portability notes the text summary shows.
const SHOWN_NOTES: usize = 10;

/// A mode as four octal digits.
pub fn mode_text(mode: u32) -> String {
    format!("{mode:04o}")
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

#[derive(Serialize)]
struct JsonReport<'a> {
    schema_version: u32,
    mode: &'static str,
    ok: bool,
    bundle: String,
    mcp_secrets_version: Option<i64>,
    values: usize,
    encrypted_values: usize,
    variables: usize,
    key_sources: &'a [String],
    out_dir: JsonDir,
    files: Vec<JsonFile>,
    recovery: JsonRecovery,
    findings: Vec<JsonFinding<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    variable_names: Option<&'a [String]>,
    portability_notes: Vec<JsonNote<'a>>,
    key_files_removed: Vec<String>,
    key_files_kept: Vec<JsonKept>,
}

#[derive(Serialize)]
struct JsonKept {
    path: String,
    reason: &'static str,
}

#[derive(Serialize)]
struct JsonNote<'a> {
    name: &'a str,
    note: &'static str,
}

#[derive(Serialize)]
struct JsonDir {
    path: String,
    mode: Option<String>,
    created: bool,
    previous_mode: Option<String>,
}

#[derive(Serialize)]
struct JsonFile {
    name: String,
    path: String,
    status: &'static str,
    mode: Option<String>,
    previous_mode: Option<String>,
}

#[derive(Serialize)]
struct JsonRecovery {
    rolled_back: bool,
    removed: Vec<String>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    id: &'static str,
    path: String,
    message: &'a str,
}
