//! The rotation's steps, in the runbook's order: the [`Step`] list (the one source of their
//! names, numbers and order), the [`Progress`] printer (`[3/6] Atualizar bundle`, then
//! `ok: ...` or `FALHOU: ...`), and one function per step.
//!
//! What must stay true: steps run in [`Step::ALL`]'s order and stop at the first failure,
//! which is returned with its step so the caller can roll back and name it. A step writes
//! only files the snapshot covers (the bundle, `.sops.yaml`, the evidence directory, the sync
//! directory) or files in the rotation's private temporary directory, the new private key
//! only to the sink the user named (the tools get it in memory, never from a file), and
//! (step 7 only) git's branch, index and commit, which that step journals before it creates
//! them and undoes itself when its commit fails. A signal is acted on only between steps,
//! where the snapshot and the journal describe the whole change so far.

use bundle_core::ExitStatus;
use std::io::Write;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use age::secrecy::SecretString;
use bundle_core::config::{CONFIG_FILE_NAME, SopsConfig, replace_rule_recipients};
use bundle_core::fsio::{self, WriteOptions};
use bundle_core::keys::{KeyEnv, KeyPair};
use bundle_core::ops::evidence::{
    CheckItem, DEFAULT_DIR, EmergencyRecord, Kind, Link, OPS_CONTROLS_ITEM, Proof,
};
use bundle_core::ops::mcp::{Header, Version};
use bundle_core::sops::SopsFile;
use bundle_core::store::EmitOptions;
use bundle_core::{Scalar, Text, Value};
use zeroize::Zeroizing;

use super::preflight::Current;
use super::request::{KeySink, Values};
use super::snapshot::Snapshot;
use super::{Outcome, Rotation, blocking_ids, ops_report, outcome_id};
use crate::Failure;

/// One step of a rotation, in the runbook's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Read-only checks: clean tree, ops-controls, the bundle decrypts, the 24 h plan.
    Preflight,
    /// A new age key, delivered to `--key-out` or `--key-cmd`.
    GenerateKey,
    /// The new recipient in `.sops.yaml`, a new data key, `MCP_SECRETS_VERSION` + 1.
    UpdateBundle,
    /// secrets-sync with the new key, ops-controls, gitleaks, scan-leaks.
    Validate,
    /// The execution recorded in the evidence, the ops-controls report attached.
    RecordEvidence,
    /// rotation-guard on the result.
    Guard,
    /// `--commit` only: a branch, one commit and a PR body.
    OpenPr,
}

impl Step {
    /// Every step, in the order they run.
    pub(crate) const ALL: [Self; 7] = [
        Self::Preflight,
        Self::GenerateKey,
        Self::UpdateBundle,
        Self::Validate,
        Self::RecordEvidence,
        Self::Guard,
        Self::OpenPr,
    ];

    /// The steps one rotation runs: all of them with `--commit`, else all but the last.
    pub(crate) fn planned(commit: bool) -> &'static [Self] {
        let all: &'static [Self] = &Self::ALL;
        if commit { all } else { &all[..all.len() - 1] }
    }

    /// The step's stable id, as the journal records it.
    pub(crate) fn id(self) -> &'static str {
        match self {
            Self::Preflight => "preflight",
            Self::GenerateKey => "generate-key",
            Self::UpdateBundle => "update-bundle",
            Self::Validate => "validate",
            Self::RecordEvidence => "record-evidence",
            Self::Guard => "guard",
            Self::OpenPr => "open-pr",
        }
    }

    /// The step of a journal's id.
    pub(crate) fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.id() == id)
    }

    /// The step's number, from 1, as printed in `[n/N]`.
    pub(crate) fn number(self) -> usize {
        self as usize + 1
    }

    /// The step's name, as in the runbook's section for `kind`.
    pub(crate) fn name(self, kind: Kind) -> &'static str {
        let emergency = kind == Kind::Emergency;
        match self {
            Self::Preflight if emergency => "Acionamento (pré-verificação)",
            Self::Preflight => "Planejar janela (pré-verificação)",
            Self::GenerateKey if emergency => "Reconstrução do bundle: gerar chave",
            Self::GenerateKey => "Gerar chave",
            Self::UpdateBundle if emergency => "Reconstrução do bundle",
            Self::UpdateBundle => "Atualizar bundle",
            Self::Validate if emergency => "Validação cruzada",
            Self::Validate => "Validar pipelines",
            Self::RecordEvidence if emergency => "Comunicação e handoff (evidências)",
            Self::RecordEvidence => "Sincronizar auditoria (evidências)",
            Self::Guard => "Validação pós-rotação (rotation-guard)",
            Self::OpenPr => "Abrir PR",
        }
    }

    /// What `--dry-run` says the step would do; `None` for the step a dry run executes
    /// (it changes nothing).
    pub(crate) fn dry_run_note(self) -> Option<&'static str> {
        match self {
            Self::Preflight => None,
            Self::GenerateKey => Some("age, em memória; a privada só para --key-out/--key-cmd"),
            Self::UpdateBundle => Some(
                "novo destinatário no .sops.yaml, nova chave de dados, MCP_SECRETS_VERSION + 1",
            ),
            Self::Validate => {
                Some("secrets-sync com a chave nova, ops-controls, gitleaks, scan-leaks")
            }
            Self::RecordEvidence => Some("evidence-writer record com o relatório anexado"),
            Self::Guard => Some("rotation-guard check --base HEAD"),
            Self::OpenPr => Some("branch rotation/v<N>, um commit, corpo do PR"),
        }
    }
}

/// A step's failure, with the step it stopped at.
pub(super) type StepResult<T> = Result<T, (Step, Box<Failure>)>;

/// What a step's body returns: its value and the summary printed after `ok:`.
pub(super) type StepBody<T> = Result<(T, String), Box<Failure>>;

/// The step printer: `[n/N] name`, the step's notes, then `ok: summary (0.01 s)` or
/// `FALHOU (0.01 s): first line of the error`.
pub(super) struct Progress<'a> {
    kind: Kind,
    total: usize,
    out: &'a mut dyn Write,
}

impl<'a> Progress<'a> {
    pub(super) fn new(kind: Kind, planned: &[Step], out: &'a mut dyn Write) -> Self {
        Self {
            kind,
            total: planned.len(),
            out,
        }
    }

    /// `[n/N] name`.
    pub(super) fn label(&self, step: Step) -> String {
        format!(
            "[{}/{}] {}",
            step.number(),
            self.total,
            step.name(self.kind)
        )
    }

    /// The sink, for lines outside a step.
    pub(super) fn out(&mut self) -> &mut dyn Write {
        &mut *self.out
    }

    /// Runs `step`: its body gets a buffer for notes, printed once it returns.
    pub(super) fn run<T>(
        &mut self,
        step: Step,
        body: impl FnOnce(&mut dyn Write) -> StepBody<T>,
    ) -> StepResult<T> {
        let _ = writeln!(self.out, "{}", self.label(step));
        let started = Instant::now();
        let mut notes = Vec::new();
        let result = body(&mut notes);
        let elapsed = started.elapsed().as_secs_f64();
        let _ = self.out.write_all(&notes);
        match result {
            Ok((value, summary)) => {
                let _ = writeln!(self.out, "      ok: {summary} ({elapsed:.2} s)");
                Ok(value)
            }
            Err(e) => {
                let first = e.to_string();
                let first = first.lines().next().unwrap_or_default();
                let _ = writeln!(self.out, "      FALHOU ({elapsed:.2} s): {first}");
                Err((step, e))
            }
        }
    }
}

/// What the steps that change files need besides the [`Rotation`](super::Rotation).
pub(super) struct Inputs<'a> {
    /// Where the new private key goes.
    pub(super) sink: &'a KeySink,
    /// The `--set` values.
    pub(super) values: &'a Values,
    /// An emergency's record, checked before anything changed (its `comms` still empty).
    pub(super) emergency: Option<&'a EmergencyRecord>,
    /// An emergency's `--comms-message`, checked.
    pub(super) comms_message: Option<&'a str>,
    /// The rotation's private temporary directory (removed on every exit path).
    pub(super) work: &'a Path,
    /// Set by SIGINT/SIGTERM: the rotation stops before its next step.
    pub(super) stop: &'a AtomicBool,
}

/// The new identity for the tools, in memory only (the sops variable `SOPS_AGE_KEY`, never
/// the process environment and never a file).
pub(super) fn new_key_env(pair: &KeyPair) -> KeyEnv {
    KeyEnv {
        sops_age_key: Some(SecretString::from(pair.expose_identity().to_owned())),
        ..KeyEnv::default()
    }
}

/// The version a rotation goes from and to.
#[derive(Clone, Copy)]
pub(super) struct Versions {
    pub(super) from: u64,
    pub(super) to: u64,
}

/// The new key and where it was delivered.
struct NewKey {
    pair: KeyPair,
    delivered_to: String,
}

/// Runs every planned step. Before each one: a pending SIGINT/SIGTERM stops the rotation
/// (the caller rolls back), else the journal records the step. `delivered` says where the
/// new key went once it did (the key is useless if the rotation then fails).
pub(super) fn run_all(
    rotation: &Rotation<'_>,
    inputs: &Inputs<'_>,
    progress: &mut Progress<'_>,
    snapshot: &mut Snapshot,
    delivered: &mut Option<String>,
) -> StepResult<Outcome> {
    let enter = |snapshot: &mut Snapshot, step: Step, delivered: &Option<String>| {
        if inputs.stop.load(Ordering::SeqCst) {
            return Err((
                step,
                Failure::problem(format!(
                    "interrupted by a signal before step {} ({}); the rotation was rolled back",
                    step.number(),
                    step.id()
                )),
            ));
        }
        snapshot
            .enter(step, delivered.as_deref())
            .map_err(|e| (step, e))
    };
    enter(snapshot, Step::Preflight, delivered)?;
    let current = progress.run(Step::Preflight, |notes| {
        super::preflight::preflight(rotation, notes)
    })?;
    let versions = Versions {
        from: current.version,
        to: current.version + 1,
    };
    enter(snapshot, Step::GenerateKey, delivered)?;
    let key = progress.run(Step::GenerateKey, |_| generate_key(rotation, inputs))?;
    *delivered = Some(key.delivered_to);
    let recipient = key.pair.recipient();
    enter(snapshot, Step::UpdateBundle, delivered)?;
    let updated = progress.run(Step::UpdateBundle, |_| {
        update_bundle(rotation, inputs, &current, &recipient, versions)
    })?;
    let updated_sha = fs_err::read(&rotation.bundle)
        .map(|bytes| bundle_core::ops::evidence::sha256_hex(&bytes))
        .map_err(|e| (Step::UpdateBundle, Box::<Failure>::from(e)))?;
    enter(snapshot, Step::Validate, delivered)?;
    let mut earned = progress.run(Step::Validate, |notes| {
        super::validate::validate(rotation, inputs, &current, &key.pair, &updated, notes)
    })?;
    // Each item is earned by the step that did it (issue 12): the plan the preflight found,
    // the key and the bundle steps 2 and 3 produced, a CI link given with --link CI=.
    let mut items = Vec::new();
    // An emergency's isolation and its secrets' decisions, as its record states them.
    if let Some(record) = inputs.emergency {
        items.extend(record.items());
    }
    if rotation.kind == Kind::Scheduled {
        items.push(match &current.plan {
            Some(id) => CheckItem::done("plan", Proof::Entry { id: id.clone() }),
            None => CheckItem::skipped(
                "plan",
                "janela não verificada (--no-window-check): nenhum plano com 24 h encontrado",
            ),
        });
    }
    items.push(CheckItem::done(
        "new-key",
        Proof::Recipient {
            recipient: recipient.clone(),
        },
    ));
    items.push(CheckItem::done(
        "bundle",
        Proof::Bundle {
            sha256: updated_sha.clone(),
        },
    ));
    items.append(&mut earned.items);
    enter(snapshot, Step::RecordEvidence, delivered)?;
    let (evidence_id, record) = progress.run(Step::RecordEvidence, |notes| {
        record_evidence(
            rotation,
            inputs,
            versions,
            items,
            &earned.attachments,
            notes,
        )
    })?;
    enter(snapshot, Step::Guard, delivered)?;
    progress.run(Step::Guard, |_| guard(rotation, &key.pair, &evidence_id))?;
    if rotation.request.commit {
        enter(snapshot, Step::OpenPr, delivered)?;
        progress.run(Step::OpenPr, |_| {
            super::pr::open_pr(rotation, versions, &evidence_id, snapshot)
        })?;
    }
    if let (Some(record), Some(emergency)) = (&record, &rotation.request.emergency) {
        super::emergency::print_after(record, &emergency.incident, rotation.repo, progress.out());
    }
    Ok(Outcome {
        version_to: versions.to,
        recipient,
        evidence_id,
    })
}

/// The dry run: the preflight, then what each other step would do.
pub(super) fn dry_run(
    rotation: &Rotation<'_>,
    planned: &[Step],
    progress: &mut Progress<'_>,
) -> Result<(), Box<Failure>> {
    progress
        .run(Step::Preflight, |notes| {
            super::preflight::preflight(rotation, notes)
        })
        .map_err(|(_, e)| e)?;
    for &step in planned {
        if let Some(note) = step.dry_run_note() {
            let label = progress.label(step);
            writeln!(progress.out(), "{label}: {note} (não executado)")?;
        }
    }
    Ok(())
}

/// Step 2: a new age key, delivered to the sink (the private key never touches the
/// repository).
fn generate_key(rotation: &Rotation<'_>, inputs: &Inputs<'_>) -> StepBody<NewKey> {
    let pair = KeyPair::generate();
    let text = Zeroizing::new(format!(
        "# created: {}\n# public key: {}\n{}\n",
        rotation.request.now,
        pair.recipient(),
        pair.expose_identity()
    ));
    let to = match inputs.sink {
        KeySink::File(path) => {
            fsio::write_atomic(path, text.as_bytes(), WriteOptions::PRIVATE_NEW)?;
            format!("{} (0600)", path.display())
        }
        KeySink::Command(cmd, timeout) => {
            deliver_to_command(cmd, text.as_bytes(), *timeout)?;
            "--key-cmd".to_owned()
        }
    };
    let summary = format!("novo destinatário {} -> {to}", pair.recipient());
    Ok((
        NewKey {
            pair,
            delivered_to: to,
        },
        summary,
    ))
}

pub(crate) fn deliver_to_command(
    cmd: &str,
    key: &[u8],
    timeout: Duration,
) -> Result<(), Box<Failure>> {
    // A group of its own: at the deadline the command and whatever it started are killed.
    let mut child = Process::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| Failure::usage(format!("--key-cmd: cannot start the command: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        // The key fits in the pipe's buffer, so this returns even if the command never reads;
        // a command that exits without reading gives a broken pipe: its status decides.
        let _ = stdin.write_all(key);
    }
    let status = bundle_core::process::wait_with_deadline(&mut child, timeout)
        .map_err(|e| Failure::usage(format!("--key-cmd: {e}")))?;
    match status {
        Some(status) if status.success() => Ok(()),
        Some(status) => Err(Failure::usage(format!(
            "--key-cmd exited with {status}: the key was not stored"
        ))),
        None => Err(Failure::usage(format!(
            "--key-cmd did not finish within {} s and was killed with its children; whatever it stored is not used (raise --key-cmd-timeout if it needs longer)",
            timeout.as_secs()
        ))),
    }
}

/// The recipients of the new rule: the kept ones (an emergency naming `--compromised`
/// keeps the others), then `recipient`.
fn new_recipients(
    rotation: &Rotation<'_>,
    config: &SopsConfig,
    index: usize,
    recipient: &str,
) -> Result<Vec<String>, Box<Failure>> {
    let mut kept: Vec<String> = Vec::new();
    if let Some(emergency) = &rotation.request.emergency
        && !emergency.compromised.is_empty()
    {
        let current: Vec<&str> = config.creation_rules[index].recipients().collect();
        if let Some(unknown) = emergency
            .compromised
            .iter()
            .find(|c| !current.contains(&c.trim()))
        {
            return Err(Failure::usage(format!(
                "--compromised {unknown}: not a recipient of the {CONFIG_FILE_NAME} rule"
            )));
        }
        for r in config.creation_rules[index].recipients() {
            if !emergency.compromised.iter().any(|c| c.trim() == r) {
                kept.push(r.to_owned());
            }
        }
    }
    kept.push(recipient.to_owned());
    Ok(kept)
}

/// Step 3: the bundle re-encrypted to the new recipients with a new data key, the values
/// replaced, the header at the new version; then `.sops.yaml`.
fn update_bundle(
    rotation: &Rotation<'_>,
    inputs: &Inputs<'_>,
    current: &Current,
    recipient: &str,
    versions: Versions,
) -> StepBody<SopsFile> {
    let request = rotation.request;
    let config_text = fs_err::read_to_string(&rotation.config)?;
    let config = SopsConfig::parse(&rotation.config, &config_text)?;
    let index = config.rule_index_for(&rotation.bundle)?;
    let kept = new_recipients(rotation, &config, index, recipient)?;
    let new_config = replace_rule_recipients(&config_text, index, &kept)?;
    let mut decrypted = current.bundle.decrypt(&current.identities)?;
    decrypted.set_recipients(std::slice::from_ref(&kept), None)?;
    decrypted.rotate_data_key()?;
    for (path, value) in inputs.values {
        decrypted.set(
            path,
            Value::Scalar(Scalar::Str(Text::new(value.to_string()))),
        )?;
    }
    let header = Header {
        version: Version::Int(
            i64::try_from(versions.to).map_err(|_| Failure::usage("version overflow"))?,
        ),
        reason: Some(request.rotation_reason()),
        rotated_at: Some(request.now.to_string()),
        incident: request.emergency.as_ref().map(|e| e.incident.clone()),
    };
    header.apply(&mut decrypted);
    let encrypted = decrypted.encrypt(request.now.unix())?;
    encrypted.write(&rotation.bundle, EmitOptions::default())?;
    fsio::write_atomic(
        &rotation.config,
        new_config.as_bytes(),
        WriteOptions::PUBLIC,
    )?;
    let summary = format!(
        "v{} -> v{}, {} destinatário(s), nova chave de dados, {} valor(es) substituído(s)",
        versions.from,
        versions.to,
        kept.len(),
        inputs.values.len()
    );
    Ok((encrypted, summary))
}

/// Step 5: the execution recorded with the checklist the steps earned and the files that
/// prove it. The ops-controls report attached is taken with this execution in the log
/// (ops-controls' pending execution), so it judges the rotation as recorded: no DOC-004
/// failure for the version being recorded (issue 12). The gitleaks report is also kept at
/// the top of the evidence directory. An emergency records first the communication the
/// responsible gave (`--comms-message`, exactly as given), and its record names that entry,
/// or says the communication is pending: a message nobody posted is never written.
fn record_evidence(
    rotation: &Rotation<'_>,
    inputs: &Inputs<'_>,
    versions: Versions,
    mut items: Vec<CheckItem>,
    attachments: &[PathBuf],
    notes: &mut dyn Write,
) -> StepBody<(String, Option<EmergencyRecord>)> {
    let request = rotation.request;
    let at = evidence_writer::Now {
        at: request.now,
        explicit: request.now_explicit,
    };
    let mut emergency_record = inputs.emergency.cloned();
    if let Some(item) = record_comms(rotation, inputs, at, emergency_record.as_mut())? {
        items.push(item);
    }
    let mut record = evidence_writer::RecordRequest::new(rotation.kind);
    record.reason = Some(request.rotation_reason());
    record.responsible.clone_from(&request.responsible);
    record.incident = request.emergency.as_ref().map(|e| e.incident.clone());
    record.version_from = Some(versions.from);
    record.version_to = Some(versions.to);
    record.written_at = Some(request.now);
    for link in &request.links {
        record
            .links
            .push(Link::parse(link).map_err(Failure::wrap(ExitStatus::Usage))?);
    }
    items.push(match record.links.iter().find(|l| l.label == "CI") {
        Some(ci) => CheckItem::done(
            "ci",
            Proof::Link {
                label: ci.label.clone(),
                url: ci.url.clone(),
            },
        ),
        None => CheckItem::skipped("ci", "nenhum link de CI informado (--link CI=URL)"),
    });
    record.attachments = attachments.to_vec();
    record.checklist = items;
    record.emergency.clone_from(&emergency_record);
    let report = crate::evidence::report_for(
        rotation.repo,
        &rotation.evidence,
        &record,
        request.now,
        inputs.work,
    )?;
    // DOC-003 judges the evidence: this execution's own items are judged by the guard step
    // (with the user's waivers), the earlier executions' do not stop a rotation.
    let blocking: Vec<&String> = report
        .blocking
        .iter()
        .filter(|id| *id != "DOC-003")
        .collect();
    if !blocking.is_empty() {
        return Err(Failure::problem(format!(
            "ops-controls fails with this execution recorded: {}",
            blocking
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    record.attachments.push(report.path);
    record.checklist.push(CheckItem::done(
        OPS_CONTROLS_ITEM,
        super::validate::attached(super::REPORT_NAME),
    ));
    let outcome =
        evidence_writer::record(&rotation.evidence, &record, at, None).map_err(Failure::tool)?;
    let id = outcome_id(&outcome);
    if let Some(gitleaks) = attachments
        .iter()
        .find(|p| p.file_name().is_some_and(|n| n == super::GITLEAKS_REPORT))
    {
        fs_err::copy(gitleaks, rotation.evidence.join(super::GITLEAKS_REPORT))?;
    }
    writeln!(
        notes,
        "      ops-controls com a execução registrada: {} ok de {}",
        report.pass, report.total
    )?;
    let comms = match emergency_record.as_ref().map(|r| r.comms.as_deref()) {
        Some(Some(comms)) => format!("; comunicação {comms}"),
        Some(None) => "; comunicação pendente".to_owned(),
        None => String::new(),
    };
    Ok((
        (id.clone(), emergency_record),
        format!("{id} em {DEFAULT_DIR}{comms}"),
    ))
}

/// An emergency's communication item: done with the comms entry recorded from the
/// responsible's own message (`--comms-message`, exactly as given, named in the record), or
/// skipped as pending. `None` for a scheduled rotation.
fn record_comms(
    rotation: &Rotation<'_>,
    inputs: &Inputs<'_>,
    at: evidence_writer::Now,
    record: Option<&mut EmergencyRecord>,
) -> Result<Option<CheckItem>, Box<Failure>> {
    let request = rotation.request;
    let Some(emergency) = &request.emergency else {
        return Ok(None);
    };
    let (Some(message), Some(record)) = (inputs.comms_message, record) else {
        return Ok(Some(CheckItem::skipped(
            "comms",
            "comunicação pendente: nenhuma mensagem publicada foi dada (--comms-message)",
        )));
    };
    let mut comms = evidence_writer::RecordRequest::new(Kind::Comms);
    comms.incident = Some(emergency.incident.clone());
    comms.message = Some(message.to_owned());
    comms.written_at = Some(request.now);
    let outcome =
        evidence_writer::record(&rotation.evidence, &comms, at, None).map_err(Failure::tool)?;
    let comms_id = outcome_id(&outcome);
    record.comms = Some(comms_id.clone());
    Ok(Some(CheckItem::done(
        "comms",
        Proof::Entry { id: comms_id },
    )))
}

/// Step 6: rotation-guard's rules against `HEAD` (RG-014 waived by `--no-window-check`),
/// then ops-controls once more, now that the execution is recorded: that report is kept as
/// the latest at the top of the evidence directory. Last, the execution must have earned
/// every item the policy requires of its kind (the rule DOC-003 applies), or the rotation
/// is rolled back.
fn guard(rotation: &Rotation<'_>, pair: &KeyPair, evidence_id: &str) -> StepBody<()> {
    let request = rotation.request;
    let mut options = rotation_guard::check::CheckOptions::new(rotation.repo.to_owned(), "HEAD");
    options.keys = rotation_guard::keys::KeySource::Env(new_key_env(pair));
    let report = rotation_guard::check::check(&options).map_err(Failure::tool)?;
    let failed: Vec<String> = report
        .rules
        .iter()
        .filter(|r| r.status == rotation_guard::rules::Status::Fail)
        .filter(|r| request.window_check || r.id != "RG-014")
        .map(|r| format!("{} ({})", r.id, r.message))
        .collect();
    if !failed.is_empty() {
        return Err(Failure::problem(format!(
            "rotation-guard check: {}",
            failed.join("; ")
        )));
    }
    let controls = ops_report(rotation.repo, request.now)?;
    let blocking: Vec<String> = blocking_ids(&controls)
        .into_iter()
        .filter(|id| id != "DOC-003")
        .collect();
    if !blocking.is_empty() {
        return Err(Failure::problem(format!(
            "ops-controls fails: {}",
            blocking.join(", ")
        )));
    }
    fsio::write_atomic(
        &rotation.evidence.join(super::REPORT_NAME),
        controls.to_json().as_bytes(),
        WriteOptions::PUBLIC,
    )?;
    // The items the user waived on the command line stay recorded as skipped (DOC-003 reports
    // them afterwards) but do not undo the rotation: `--no-window-check` waives the plan.
    let required: Vec<String> = super::required_items(rotation.repo, rotation.kind)?
        .into_iter()
        .filter(|item| request.window_check || item != "plan")
        .collect();
    let unearned = super::unearned(&rotation.evidence, evidence_id, &required)?;
    if !unearned.is_empty() {
        return Err(Failure::problem(format!(
            "{evidence_id} did not earn what {} requires: {}",
            ops_controls::DEFAULT_POLICY,
            unearned.join("; ")
        )));
    }
    Ok((
        (),
        format!(
            "{} regras, nenhuma falha; ops-controls ok",
            report.rules.len()
        ),
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_numbered_in_order_and_the_pr_is_last_and_optional() {
        for (i, step) in Step::ALL.iter().enumerate() {
            assert_eq!(step.number(), i + 1);
        }
        assert_eq!(Step::planned(true), &Step::ALL);
        assert_eq!(Step::planned(false).len(), 6);
        assert!(!Step::planned(false).contains(&Step::OpenPr));
        let only_preflight_runs_dry: Vec<Step> = Step::ALL
            .into_iter()
            .filter(|s| s.dry_run_note().is_none())
            .collect();
        assert_eq!(only_preflight_runs_dry, [Step::Preflight]);
    }

    #[test]
    fn step_names_follow_the_runbook_section() {
        let label = |kind, commit| {
            let mut out = Vec::new();
            let planned = Step::planned(commit);
            let progress = Progress::new(kind, planned, &mut out);
            planned
                .iter()
                .map(|s| progress.label(*s))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            label(Kind::Scheduled, false),
            [
                "[1/6] Planejar janela (pré-verificação)",
                "[2/6] Gerar chave",
                "[3/6] Atualizar bundle",
                "[4/6] Validar pipelines",
                "[5/6] Sincronizar auditoria (evidências)",
                "[6/6] Validação pós-rotação (rotation-guard)",
            ]
        );
        assert_eq!(
            label(Kind::Emergency, true),
            [
                "[1/7] Acionamento (pré-verificação)",
                "[2/7] Reconstrução do bundle: gerar chave",
                "[3/7] Reconstrução do bundle",
                "[4/7] Validação cruzada",
                "[5/7] Comunicação e handoff (evidências)",
                "[6/7] Validação pós-rotação (rotation-guard)",
                "[7/7] Abrir PR",
            ]
        );
    }
}
