//! `record` and `comms`: append one execution to the log, copy its attachments, and render
//! the markdown again.
//!
//! Everything is checked and rendered before the first byte is written: the fields against
//! the rules of the kind (bundle-core's [`Execution::check_fields`]), the version against the
//! last recorded rotation, the attachments' existence, the markdown's blocks. Recording an
//! execution whose stable id is already in the log with the same content changes nothing.

use std::path::PathBuf;

use bundle_core::ops::evidence::{
    ARTIFACTS_DIR, Artifact, CheckItem, EmergencyRecord, EvidenceLog, Execution, Kind, Link,
    MIN_PLAN_NOTICE_SECS, Proof, sha256_hex,
};
use bundle_core::time::Timestamp;

use crate::files::{self, Change, Paths};
use crate::incidents::incidents;
use crate::lang::Lang;
use crate::render::{self, EXECUTIONS_BLOCK, HISTORY_BLOCK};
use crate::{Error, Now};
use bundle_core::ops::evidence::markdown::CHECKLIST_BLOCK;

/// One execution to record, as given on the command line (texts are trimmed here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRequest {
    /// What kind of execution.
    pub kind: Kind,
    /// Why (all kinds but comms).
    pub reason: Option<String>,
    /// The people responsible.
    pub responsible: Vec<String>,
    /// Incident or alert id.
    pub incident: Option<String>,
    /// Bundle version before.
    pub version_from: Option<u64>,
    /// Bundle version after.
    pub version_to: Option<u64>,
    /// Start of the announced window (plan).
    pub window_start: Option<Timestamp>,
    /// Communication text (comms).
    pub message: Option<String>,
    /// Links to CI runs, reports, PRs.
    pub links: Vec<Link>,
    /// Files to copy into the evidence directory.
    pub attachments: Vec<PathBuf>,
    /// The checklist items the steps of this execution did or skipped. An artifact proof
    /// names one of `attachments` by its file name (its path and sha256 are filled in from
    /// the copy), or gives the full `artifacts/<id>/<name>` path and sha256 of that copy.
    pub checklist: Vec<CheckItem>,
    /// When the entry is written (the clock or `SOURCE_DATE_EPOCH`, never the claimed time);
    /// `None` reads [`Now::from_env`](bundle_core::time::Now::from_env).
    pub written_at: Option<Timestamp>,
    /// An emergency's isolation, secrets and communication (emergency only).
    pub emergency: Option<EmergencyRecord>,
    /// An emergency must carry its record (the command line's rule: a team recording an
    /// emergency by hand states every secret's decision); checked after the kind's fields.
    pub emergency_required: bool,
}

impl RecordRequest {
    /// A request of `kind` with every other field empty.
    pub fn new(kind: Kind) -> Self {
        Self {
            kind,
            reason: None,
            responsible: Vec::new(),
            incident: None,
            version_from: None,
            version_to: None,
            window_start: None,
            message: None,
            links: Vec::new(),
            attachments: Vec::new(),
            checklist: Vec::new(),
            written_at: None,
            emergency: None,
            emergency_required: false,
        }
    }
}

/// What `record` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordOutcome {
    /// A new entry was appended.
    Recorded {
        /// Its stable id.
        id: String,
        /// Its position in the log.
        seq: u64,
        /// Its hash (the new head of the chain).
        hash: String,
        /// Things worth a second look that do not stop the recording.
        warnings: Vec<String>,
    },
    /// The same execution was already recorded; nothing was written.
    Unchanged {
        /// Its stable id.
        id: String,
    },
}

/// Records `request` in the evidence directory `dir` (created if missing), in `lang` or the
/// language the markdown already uses (Portuguese by default).
///
/// One writer at a time: the directory is locked from reading the log to the last rename
/// (a second writer waits, then fails with [`Error::Busy`]). A rerun of an execution already
/// recorded writes no entry but renders the markdown again, so it repairs a `README.md` or
/// `runbooks-activation.md` left behind by a run killed between the log and the markdown.
pub fn record(
    dir: &std::path::Path,
    request: &RecordRequest,
    now: Now,
    lang: Option<Lang>,
) -> Result<RecordOutcome, Error> {
    let paths = Paths::new(dir);
    paths.allow_missing_dir()?;
    let existed = dir.exists();
    let lock = files::DirLock::acquire(dir)?;
    let result = record_locked(&paths, request, now, lang);
    drop(lock);
    if result.is_err() && !existed {
        // Only an empty directory goes: the lock made it, nothing was written into it.
        let _ = fs_err::remove_dir(dir);
    }
    result
}

fn record_locked(
    paths: &Paths,
    request: &RecordRequest,
    now: Now,
    lang: Option<Lang>,
) -> Result<RecordOutcome, Error> {
    let dir = paths.dir.as_path();
    let log = EvidenceLog::load(dir)?;
    if let Some(first) = log.verify_chain().first() {
        return Err(Error::BrokenChain {
            first: first.to_string(),
        });
    }
    let readme = files::read_optional(&paths.readme)?;
    let activation = files::read_optional(&paths.activation)?;
    let lang = markdown_lang(paths, readme.as_deref(), activation.as_deref(), lang)?;

    let (execution, mut changes) = execution_from(request, now, dir)?;
    if let Some(existing) = log.get(&execution.id) {
        let mut same = execution.clone();
        if !now.explicit {
            same.recorded_at = existing.execution.recorded_at;
        }
        // When the first run wrote the line is not part of what was recorded.
        same.written_at = existing.execution.written_at;
        return if existing.execution == same {
            // Idempotent render: a no-op on intact markdown, a repair after a killed run.
            files::apply(&rendered(
                paths,
                readme.as_deref(),
                activation.as_deref(),
                &log,
                lang,
            )?)?;
            Ok(RecordOutcome::Unchanged { id: execution.id })
        } else {
            Err(Error::Conflict { id: execution.id })
        };
    }
    check_version(&log, &execution)?;
    check_order(&log, &execution)?;
    check_comms_reference(&log, &execution)?;
    let warnings = warnings(&log, &execution);

    let mut new_log = log.clone();
    let entry = new_log.append(execution).clone();
    changes.push(Change {
        path: paths.log.clone(),
        bytes: new_log.to_jsonl().into_bytes(),
    });
    changes.extend(rendered(
        paths,
        readme.as_deref(),
        activation.as_deref(),
        &new_log,
        lang,
    )?);
    files::apply(&changes)?;
    Ok(RecordOutcome::Recorded {
        id: entry.execution.id,
        seq: entry.seq,
        hash: entry.hash,
        warnings,
    })
}

/// The execution described by `request`, checked against its kind's rules, and the copies
/// of its attachments to write.
fn execution_from(
    request: &RecordRequest,
    now: Now,
    dir: &std::path::Path,
) -> Result<(Execution, Vec<Change>), Error> {
    let trimmed = |s: &String| s.trim().to_owned();
    let mut execution = Execution::new(request.kind, now.at);
    execution.reason = request.reason.as_ref().map(trimmed);
    execution.responsible = request.responsible.iter().map(trimmed).collect();
    execution.incident = request.incident.as_ref().map(trimmed);
    execution.version_from = request.version_from;
    execution.version_to = request.version_to;
    execution.window_start = request.window_start;
    execution.message = request.message.as_ref().map(trimmed);
    execution.links.clone_from(&request.links);
    execution.written_at = Some(match request.written_at {
        Some(at) => at,
        None => bundle_core::time::Now::from_env()?.at,
    });
    execution.emergency.clone_from(&request.emergency);
    execution.id = execution.stable_id();
    execution.check_fields()?;
    if request.emergency_required && execution.emergency.is_none() {
        return Err(Error::MissingDecisions);
    }

    let mut copies = Vec::new();
    for source in &request.attachments {
        let (artifact, bytes) = read_attachment(source, &execution.id)?;
        let path = artifact
            .resolve(dir)
            .expect("the artifact path is built from checked parts");
        execution.artifacts.push(artifact);
        copies.push(Change { path, bytes });
    }
    execution.checklist = request
        .checklist
        .iter()
        .cloned()
        .map(|item| with_attachment_path(item, &execution.artifacts))
        .collect();
    execution.check_fields()?;
    Ok((execution, copies))
}

/// Renders `README.md` and `runbooks-activation.md` again from the log of `dir` (in `lang`, or
/// the language they already use), under the directory lock; returns the files that changed
/// (none when the markdown already matches the log). The log's chain must be intact.
pub fn render(dir: &std::path::Path, lang: Option<Lang>) -> Result<Vec<std::path::PathBuf>, Error> {
    let paths = Paths::new(dir);
    paths.require_dir()?;
    let _lock = files::DirLock::acquire(dir)?;
    let log = EvidenceLog::load(dir)?;
    if let Some(first) = log.verify_chain().first() {
        return Err(Error::BrokenChain {
            first: first.to_string(),
        });
    }
    let readme = files::read_optional(&paths.readme)?;
    let activation = files::read_optional(&paths.activation)?;
    let lang = markdown_lang(&paths, readme.as_deref(), activation.as_deref(), lang)?;
    let changes = rendered(&paths, readme.as_deref(), activation.as_deref(), &log, lang)?;
    let before = [readme, activation];
    let rewritten = changes
        .iter()
        .zip(&before)
        .filter(|(c, old)| old.as_deref().map(str::as_bytes) != Some(c.bytes.as_slice()))
        .map(|(c, _)| c.path.clone())
        .collect();
    files::apply(&changes)?;
    Ok(rewritten)
}

/// `lang` when given, else the language the markdown already uses (Portuguese by default).
fn markdown_lang(
    paths: &Paths,
    readme: Option<&str>,
    activation: Option<&str>,
    lang: Option<Lang>,
) -> Result<Lang, Error> {
    if let Some(lang) = lang {
        return Ok(lang);
    }
    Ok(files::block_lang(&paths.readme, readme, EXECUTIONS_BLOCK)?
        .or(files::block_lang(
            &paths.activation,
            activation,
            HISTORY_BLOCK,
        )?)
        .unwrap_or(Lang::Pt))
}

/// `README.md` and `runbooks-activation.md` rendered for `log`.
fn rendered(
    paths: &Paths,
    readme: Option<&str>,
    activation: Option<&str>,
    log: &EvidenceLog,
    lang: Lang,
) -> Result<[Change; 2], Error> {
    let labels = lang.labels();
    let readme = files::with_block(
        &paths.readme,
        readme,
        EXECUTIONS_BLOCK,
        labels.readme_heading,
        lang,
        &render::executions_block(log, lang),
        || render::readme_template(log, lang),
    )?;
    let readme = files::with_block(
        &paths.readme,
        Some(&readme),
        CHECKLIST_BLOCK,
        labels.checklist,
        lang,
        &render::checklist_block(log, lang),
        || unreachable!("the README text was just made"),
    )?;
    let activation = files::with_block(
        &paths.activation,
        activation,
        HISTORY_BLOCK,
        labels.history_heading,
        lang,
        &render::history_block(log, lang),
        || render::activation_template(log, lang),
    )?;
    Ok([
        Change {
            path: paths.readme.clone(),
            bytes: readme.into_bytes(),
        },
        Change {
            path: paths.activation.clone(),
            bytes: activation.into_bytes(),
        },
    ])
}

fn read_attachment(source: &std::path::Path, id: &str) -> Result<(Artifact, Vec<u8>), Error> {
    let meta = match fs_err::metadata(source) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::AttachmentNotFound {
                path: source.to_owned(),
            });
        }
        Err(e) => return Err(e.into()),
    };
    if !meta.is_file() {
        return Err(Error::AttachmentNotAFile {
            path: source.to_owned(),
        });
    }
    let name = source
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| is_keepable_name(n))
        .ok_or_else(|| Error::AttachmentName {
            path: source.to_owned(),
        })?;
    let bytes = fs_err::read(source)?;
    let artifact = Artifact {
        path: format!("{ARTIFACTS_DIR}/{id}/{name}"),
        sha256: sha256_hex(&bytes),
    };
    Ok((artifact, bytes))
}

/// An artifact proof naming an attachment by its file name gets that attachment's path and
/// sha256 (a sha256 given must match); anything else is kept as given, for
/// [`Execution::check_fields`] to judge.
fn with_attachment_path(mut item: CheckItem, artifacts: &[Artifact]) -> CheckItem {
    if let Some(Proof::Artifact { path, sha256 }) = &mut item.proof
        && !path.contains('/')
        && let Some(artifact) = artifacts.iter().find(|a| a.file_name() == path.as_str())
        && (sha256.is_empty() || *sha256 == artifact.sha256)
    {
        path.clone_from(&artifact.path);
        sha256.clone_from(&artifact.sha256);
    }
    item
}

fn is_keepable_name(name: &str) -> bool {
    !name.starts_with('.')
        && name.chars().count() <= 100
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '_' | '-' | '+' | '(' | ')'))
}

fn check_version(log: &EvidenceLog, execution: &Execution) -> Result<(), Error> {
    let (Some(from), Some(to), Some(last)) = (
        execution.version_from,
        execution.version_to,
        log.latest_version(),
    ) else {
        return Ok(());
    };
    if to <= last {
        let id = log
            .entry_for_version(to)
            .or_else(|| log.entry_for_version(last))
            .map(|e| e.execution.id.clone())
            .unwrap_or_default();
        return Err(Error::VersionAlreadyRecorded { version: to, id });
    }
    if execution.kind.is_rotation() && from != last {
        return Err(Error::VersionGap { from, last });
    }
    Ok(())
}

/// Time only moves forward in the log: an execution may not claim a time before the last
/// entry's (issue 12: a plan back-dated with `--at` to fake the 24-hour notice lands out of
/// order and is refused here).
fn check_order(log: &EvidenceLog, execution: &Execution) -> Result<(), Error> {
    match log.entries().last() {
        Some(last) if execution.recorded_at < last.execution.recorded_at => {
            Err(Error::OutOfOrder {
                at: execution.recorded_at,
                last_id: last.execution.id.clone(),
                last_at: last.execution.recorded_at,
            })
        }
        _ => Ok(()),
    }
}

/// The comms entry an emergency record names must be in the log, for the same incident: a
/// communication is claimed only when its message was recorded (issue 12).
fn check_comms_reference(log: &EvidenceLog, execution: &Execution) -> Result<(), Error> {
    let Some(id) = execution.emergency.as_ref().and_then(|r| r.comms.as_ref()) else {
        return Ok(());
    };
    let incident = execution.incident.clone().unwrap_or_default();
    let found = log.get(id).is_some_and(|e| {
        e.execution.kind == Kind::Comms && e.execution.incident.as_deref() == Some(&incident)
    });
    if found {
        Ok(())
    } else {
        Err(Error::UnknownComms {
            id: id.clone(),
            incident,
        })
    }
}

fn warnings(log: &EvidenceLog, execution: &Execution) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Some(notice) = execution
        .notice_seconds()
        .filter(|n| *n < MIN_PLAN_NOTICE_SECS)
    {
        warnings.push(format!(
            "the window starts {} after the announcement; the runbook asks for at least 24 h, so rotation-guard will refuse this window",
            render::duration(notice)
        ));
    }
    if execution.kind == Kind::Scheduled {
        let mut probe = log.clone();
        probe.append(execution.clone());
        let entry = probe.entries().last().expect("an entry was just appended");
        if probe.plan_for(entry).is_none() {
            warnings.push(format!(
                "no plan entry announces the window of `{}`; record one with --kind plan before the window",
                execution.id
            ));
        }
    }
    if execution.kind == Kind::Comms
        && let Some(incident) = execution.incident.as_deref()
        && let Some(closed) = incidents(log)
            .into_iter()
            .find(|i| i.id == incident)
            .and_then(|i| i.closed)
        && !answers_pending_comms(log, incident, &closed.1)
    {
        warnings.push(format!(
            "incident {incident} was already closed by `{}`",
            closed.1
        ));
    }
    warnings
}

/// True when the emergency entry `closing_id` left the communication of `incident` pending
/// and no comms update of it was recorded since: the update being recorded is the one it
/// asked for (issue 12), not a late one.
fn answers_pending_comms(log: &EvidenceLog, incident: &str, closing_id: &str) -> bool {
    let Some(closing) = log.get(closing_id) else {
        return false;
    };
    let pending = closing
        .execution
        .emergency
        .as_ref()
        .is_some_and(|r| r.comms.is_none());
    pending
        && !log.entries().iter().any(|e| {
            e.seq > closing.seq
                && e.execution.kind == Kind::Comms
                && e.execution.incident.as_deref() == Some(incident)
        })
}
