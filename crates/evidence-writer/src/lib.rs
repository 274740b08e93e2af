//! evidence-writer: the OPS-302 audit trail an auditor can verify.
//!
//! It records each execution of the secrets runbook (scheduled and emergency rotations,
//! audits, window plans, incident communications) in a hash-chained log,
//! `docs/evidence/TASK-OPS-302/executions.jsonl` (format owned by
//! [`bundle_core::ops::evidence`]), copies the attached reports into the evidence directory with
//! their sha256, and renders the markdown people read (`README.md`, `runbooks-activation.md`)
//! from the log, touching only the machine-managed blocks. `verify` proves nothing was edited,
//! removed, reordered or inserted after the fact.
//!
//! The binary is a thin wrapper over [`run`]; every command is also a library function
//! ([`record()`], [`set_checked`], [`verify()`], [`summary()`], [`init`]) for xtask and tests.
#![cfg_attr(test, allow(clippy::unwrap_used))]

use std::io::Write;
use std::path::{Path, PathBuf};

use bundle_core::ExitStatus;
use bundle_core::ops::evidence::{self, DEFAULT_DIR, EvidenceLog, Kind, LOG_FILE, Link};
use bundle_core::ops::evidence::{CheckItem, Proof};
pub use bundle_core::time::Now;
use bundle_core::time::Timestamp;
use clap::{Args, Parser, Subcommand, ValueEnum};

mod emergency;
mod error;
mod files;
mod incidents;
mod lang;
mod record;
mod render;
mod show;
mod summary;
mod verify;

pub use error::Error;
pub use lang::Lang;
pub use record::{RecordOutcome, RecordRequest, record, render};
pub use render::checklist_lines;
pub use show::{SHOW_SCHEMA_VERSION, write_json as write_show_json, write_text as write_show_text};
pub use summary::{
    SUMMARY_SCHEMA_VERSION, Summary, summary, write_markdown as write_summary_markdown,
};
pub use verify::{Finding, VerifyReport, verify};

const EXIT_CODES: &str = "\
Exit codes:
  0  success; for verify: the evidence is intact
  1  verify found a problem: an entry edited, removed, reordered or inserted, an artifact
     replaced or missing, a managed markdown block out of step with the log, or an open
     incident without a communication update for more than 30 minutes; summary: the
     evidence itself is damaged; a writing command: another evidence-writer kept the
     directory busy (rerun it; nothing was written)
  2  usage or input error (bad arguments, malformed file, missing file or attachment,
     version not +1, ...); nothing was written
  (3 is not used by evidence-writer)";

/// Command line of `evidence-writer`.
#[derive(Debug, Clone, Parser)]
#[command(name = "evidence-writer", version, about = "Record and verify the OPS-302 evidence: markdown for people, a hash-chained log for auditors", after_help = EXIT_CODES)]
pub struct Cli {
    /// Repository root.
    #[arg(long, global = true, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// Evidence directory, relative to --repo unless absolute.
    #[arg(long, global = true, value_name = "DIR", default_value = DEFAULT_DIR)]
    pub dir: PathBuf,
    /// Language of the markdown labels (default: the one the files use, else pt).
    #[arg(long, global = true, value_enum)]
    pub lang: Option<Lang>,
    /// Time of this run, UTC RFC 3339 (default: `SOURCE_DATE_EPOCH`, else the clock).
    #[arg(long, global = true, value_name = "RFC3339", value_parser = parse_time)]
    pub at: Option<Timestamp>,
    /// Reproducible time in seconds since the epoch, used when --at is not given.
    #[arg(long, env = "SOURCE_DATE_EPOCH", hide = true, global = true)]
    pub source_date_epoch: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Create the evidence skeleton (README with the OPS-302 checklist, history, empty log);
    /// existing files are left as they are.
    #[command(after_help = EXIT_CODES)]
    Init,
    /// Append one execution: a row in README.md, a section in runbooks-activation.md, the
    /// attachments copied with their sha256, an entry in the hash-chained log.
    #[command(after_help = EXIT_CODES)]
    Record(Box<RecordArgs>),
    /// Append a communication update of an incident (every 30 minutes while it is open).
    #[command(after_help = EXIT_CODES)]
    Comms(CommsArgs),
    /// Recompute the hash chain and the artifacts' hashes, compare the markdown with the log,
    /// and check the communication cadence of open incidents (exit 1 on any problem).
    #[command(after_help = EXIT_CODES)]
    Verify,
    /// The weekly audit summary: executions, versions, open items, failing controls.
    #[command(after_help = EXIT_CODES)]
    Summary {
        /// Start of the period, YYYY-MM-DD or RFC 3339 (default: 7 days ago).
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        since: Option<Timestamp>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = SummaryFormat::Markdown)]
        format: SummaryFormat,
    },
    /// Render README.md and runbooks-activation.md again from the log (after a crash, or a
    /// hand edit of a managed block); nothing changes when they already match.
    #[command(after_help = EXIT_CODES)]
    Render,
    /// The recorded executions as data.
    #[command(after_help = EXIT_CODES)]
    Show {
        /// One JSON document (with `schema_version`) instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Kinds that `record` accepts (comms has its own command).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RecordKind {
    /// Rotação programada.
    Scheduled,
    /// Rotação emergencial (incident id and two responsible people required).
    Emergency,
    /// Auditoria contínua.
    Audit,
    /// Announcement of a scheduled window (--window-start), at least 24 h ahead.
    Plan,
}

impl From<RecordKind> for Kind {
    fn from(kind: RecordKind) -> Self {
        match kind {
            RecordKind::Scheduled => Self::Scheduled,
            RecordKind::Emergency => Self::Emergency,
            RecordKind::Audit => Self::Audit,
            RecordKind::Plan => Self::Plan,
        }
    }
}

/// Arguments of `record`.
#[derive(Debug, Clone, Args)]
pub struct RecordArgs {
    /// Kind of execution.
    #[arg(long, value_enum)]
    pub kind: RecordKind,
    /// Why: audit, incident, legal requirement, ...
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// A person responsible (repeat, or list several).
    #[arg(long, value_name = "NAME", num_args = 1..)]
    pub responsible: Vec<String>,
    /// Incident or alert id (required for emergency).
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// `MCP_SECRETS_VERSION` before the rotation.
    #[arg(long, value_name = "N")]
    pub version_from: Option<u64>,
    /// `MCP_SECRETS_VERSION` after the rotation (version-from + 1).
    #[arg(long, value_name = "N")]
    pub version_to: Option<u64>,
    /// Start of the announced window (plan only), UTC RFC 3339.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    pub window_start: Option<Timestamp>,
    /// A link to a CI run, report, PR or alert (repeatable).
    #[arg(long, value_name = "LABEL=URL")]
    pub link: Vec<String>,
    /// A file to copy into the evidence directory and hash (repeatable).
    #[arg(long, value_name = "FILE")]
    pub attach: Vec<PathBuf>,
    /// A checklist item this execution did, with its proof (repeatable):
    /// `ITEM=attach:NAME` (an --attach file's name), `ITEM=link:LABEL` (a --link),
    /// `ITEM=entry:ID` (an entry already in the log).
    #[arg(long, value_name = "ITEM=PROOF")]
    pub done: Vec<String>,
    /// A checklist item this execution skipped, with the reason (repeatable).
    #[arg(long, value_name = "ITEM=REASON")]
    pub skipped: Vec<String>,
    /// Emergency: a secret given a new value (dotted path, repeatable).
    #[arg(long, value_name = "NAME")]
    pub replaced: Vec<String>,
    /// Emergency: a secret whose old value was revoked at its provider (repeatable).
    #[arg(long, value_name = "NAME")]
    pub revoked: Vec<String>,
    /// Emergency: a secret not exposed by the incident (repeatable).
    #[arg(long, value_name = "NAME")]
    pub not_affected: Vec<String>,
    /// Emergency: what the responsible people did to isolate the incident (runbook:
    /// Isolamento); without it the `isolation` item is recorded as skipped.
    #[arg(long, value_name = "TEXT")]
    pub isolated: Option<String>,
    /// Emergency: the id of the comms entry of the update posted (`evidence-writer comms`);
    /// without it the communication is recorded as pending.
    #[arg(long, value_name = "ID")]
    pub comms: Option<String>,
}

/// Arguments of `comms`.
#[derive(Debug, Clone, Args)]
pub struct CommsArgs {
    /// Incident or alert id.
    #[arg(long, value_name = "ID")]
    pub incident: String,
    /// The update as posted in the incident channel.
    #[arg(long, value_name = "TEXT")]
    pub message: String,
    /// A link to the post or the alert (repeatable).
    #[arg(long, value_name = "LABEL=URL")]
    pub link: Vec<String>,
}

/// Output format of `summary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    /// Markdown, for the weekly report.
    Markdown,
    /// One JSON document with `schema_version`.
    Json,
}

fn parse_time(value: &str) -> Result<Timestamp, String> {
    Timestamp::parse_rfc3339(value).map_err(|e| e.to_string())
}

fn parse_date(value: &str) -> Result<Timestamp, String> {
    Timestamp::parse_date_or_rfc3339(value).map_err(|e| e.to_string())
}

impl Cli {
    /// The evidence directory: `--dir` under `--repo` unless absolute.
    pub fn evidence_dir(&self) -> PathBuf {
        self.repo.join(&self.dir)
    }

    /// When an entry is written: `SOURCE_DATE_EPOCH`, else the clock; never `--at` (issue 12:
    /// a claimed time cannot buy a plan its 24 h notice).
    fn written_at(&self) -> Result<Timestamp, Error> {
        Ok(Now::from_source_date_epoch(self.source_date_epoch.as_deref())?.at)
    }

    fn now(&self) -> Result<Now, Error> {
        if let Some(at) = self.at {
            return Ok(Now::fixed(at));
        }
        Ok(Now::from_source_date_epoch(
            self.source_date_epoch.as_deref(),
        )?)
    }
}

/// Creates the evidence skeleton in `dir`: `README.md` (introduction, OPS-302 checklist,
/// executions block), `runbooks-activation.md` and an empty `executions.jsonl`. Existing
/// files are not touched. Returns the files created.
pub fn init(dir: &Path, lang: Lang) -> Result<Vec<PathBuf>, Error> {
    let paths = files::Paths::new(dir);
    paths.allow_missing_dir()?;
    let _lock = files::DirLock::acquire(dir)?;
    let log = EvidenceLog::load(dir)?;
    let candidates = [
        (paths.readme.clone(), render::readme_template(&log, lang)),
        (
            paths.activation.clone(),
            render::activation_template(&log, lang),
        ),
        (paths.log.clone(), log.to_jsonl()),
    ];
    let mut changes = Vec::new();
    for (path, text) in candidates {
        if fs_err::symlink_metadata(&path).is_err() {
            changes.push(files::Change {
                path,
                bytes: text.into_bytes(),
            });
        }
    }
    files::apply(&changes)?;
    Ok(changes.into_iter().map(|c| c.path).collect())
}

/// Runs one command: results on `stdout`, warnings and notes on `stderr`. Returns the exit
/// code (0, or 1 when `verify` finds a problem); errors are usage or input errors (exit 2).
pub fn run(cli: Cli, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<ExitStatus, Error> {
    let now = cli.now()?;
    let written_at = cli.written_at()?;
    let dir = cli.evidence_dir();
    match cli.command {
        Command::Init => {
            let created = init(&dir, cli.lang.unwrap_or(Lang::Pt))?;
            if created.is_empty() {
                writeln!(
                    stdout,
                    "evidence skeleton already present in {}",
                    dir.display()
                )?;
            }
            for path in created {
                writeln!(stdout, "created {}", path.display())?;
            }
        }
        Command::Record(args) => {
            let mut request = RecordRequest::new(args.kind.into());
            request.reason.clone_from(&args.reason);
            request.responsible.clone_from(&args.responsible);
            request.incident.clone_from(&args.incident);
            request.version_from = args.version_from;
            request.version_to = args.version_to;
            request.window_start = args.window_start;
            request.links = parse_links(&args.link)?;
            request.attachments.clone_from(&args.attach);
            request.checklist = parse_items(&args.done, &args.skipped, &request.links)?;
            request.written_at = Some(written_at);
            let mut notes = Vec::new();
            if request.kind == Kind::Emergency {
                request.emergency_required = true;
                emergency::apply(&mut request, &args, &cli.repo, &mut notes)?;
            } else {
                emergency::refuse_flags(&args, request.kind)?;
            }
            for note in notes {
                writeln!(stderr, "warning: {note}")?;
            }
            report_record(record(&dir, &request, now, cli.lang)?, stdout, stderr)?;
        }
        Command::Comms(args) => {
            let mut request = RecordRequest::new(Kind::Comms);
            request.incident = Some(args.incident);
            request.message = Some(args.message);
            request.links = parse_links(&args.link)?;
            request.written_at = Some(written_at);
            report_record(record(&dir, &request, now, cli.lang)?, stdout, stderr)?;
        }
        Command::Render => {
            let changed = render(&dir, cli.lang)?;
            if changed.is_empty() {
                writeln!(stdout, "the markdown already matches the log")?;
            }
            for path in changed {
                writeln!(stdout, "rendered {}", path.display())?;
            }
        }
        Command::Verify => {
            let report = verify(&dir, now.at)?;
            for note in &report.notes {
                writeln!(stderr, "note: {note}")?;
            }
            if !report.is_ok() {
                for problem in &report.problems {
                    writeln!(stdout, "problem {problem}")?;
                }
                writeln!(
                    stdout,
                    "FAILED: {} problem(s); the first one is listed first",
                    report.problems.len()
                )?;
                return Ok(ExitStatus::Problem);
            }
            writeln!(
                stdout,
                "ok: {} entries, chain intact (head {}), {} artifact(s) match their sha256, markdown in step with {LOG_FILE}",
                report.entries, report.head, report.artifacts
            )?;
        }
        Command::Summary { since, format } => {
            return run_summary(&dir, cli.lang, since, now.at, format, stdout);
        }
        Command::Show { json } => {
            files::Paths::new(&dir).require_dir()?;
            let log = EvidenceLog::load(&dir)?;
            if json {
                show::write_json(&log, stdout)?;
            } else {
                show::write_text(&log, stdout)?;
            }
        }
    }
    Ok(ExitStatus::Success)
}

/// `summary`: the markdown or JSON on `stdout`; exit 1 when the evidence itself is damaged.
fn run_summary(
    dir: &Path,
    lang: Option<Lang>,
    since: Option<Timestamp>,
    now: Timestamp,
    format: SummaryFormat,
    stdout: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let readme = dir.join(evidence::README_FILE);
    let lang = if let Some(lang) = lang {
        lang
    } else {
        files::block_lang(
            &readme,
            files::read_optional(&readme)?.as_deref(),
            render::EXECUTIONS_BLOCK,
        )?
        .unwrap_or(Lang::Pt)
    };
    let summary = summary(dir, since, now)?;
    match format {
        SummaryFormat::Markdown => summary::write_markdown(&summary, lang, stdout)?,
        SummaryFormat::Json => {
            serde_json::to_writer_pretty(&mut *stdout, &summary).map_err(std::io::Error::from)?;
            writeln!(stdout)?;
        }
    }
    // A summary of damaged evidence still prints what it can, but must not pass for a clean
    // week (a late comms update is reported, as a finding of the week, not as damage).
    Ok(ExitStatus::problem_if(
        summary.integrity.problems.iter().any(Finding::is_damage),
    ))
}

fn parse_links(specs: &[String]) -> Result<Vec<Link>, Error> {
    specs
        .iter()
        .map(|s| Link::parse(s).map_err(Error::from))
        .collect()
}

fn report_record(
    outcome: RecordOutcome,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<(), Error> {
    match outcome {
        RecordOutcome::Recorded {
            id,
            seq,
            hash,
            warnings,
        } => {
            for warning in warnings {
                writeln!(stderr, "warning: {warning}")?;
            }
            writeln!(stdout, "recorded {id} (entry #{seq}, sha256 {hash})")?;
        }
        RecordOutcome::Unchanged { id } => {
            writeln!(stdout, "already recorded: {id} (nothing changed)")?;
        }
    }
    Ok(())
}

/// The checklist given on the command line: `--done ITEM=attach:NAME|link:LABEL|entry:ID`
/// and `--skipped ITEM=REASON`. An attachment proof names the file; `record` fills in its
/// path and sha256 from the copy it makes.
fn parse_items(
    done: &[String],
    skipped: &[String],
    links: &[Link],
) -> Result<Vec<CheckItem>, Error> {
    let bad = |spec: &str, reason: &'static str| Error::BadItem {
        spec: spec.to_owned(),
        reason,
    };
    let mut items = Vec::new();
    for spec in done {
        let (id, proof) = spec.split_once('=').ok_or_else(|| {
            bad(
                spec,
                "expected ITEM=attach:NAME, ITEM=link:LABEL or ITEM=entry:ID",
            )
        })?;
        let proof = match proof.split_once(':') {
            Some(("attach", name)) => Proof::Artifact {
                path: name.to_owned(),
                sha256: String::new(),
            },
            Some(("link", label)) => {
                let link = links
                    .iter()
                    .find(|l| l.label == label)
                    .ok_or_else(|| bad(spec, "no --link has that label"))?;
                Proof::Link {
                    label: link.label.clone(),
                    url: link.url.clone(),
                }
            }
            Some(("entry", entry)) => Proof::Entry {
                id: entry.to_owned(),
            },
            _ => {
                return Err(bad(
                    spec,
                    "the proof must be attach:NAME, link:LABEL or entry:ID",
                ));
            }
        };
        items.push(CheckItem::done(id.trim(), proof));
    }
    for spec in skipped {
        let (id, reason) = spec
            .split_once('=')
            .ok_or_else(|| bad(spec, "expected ITEM=REASON"))?;
        items.push(CheckItem::skipped(id.trim(), reason.trim()));
    }
    Ok(items)
}
