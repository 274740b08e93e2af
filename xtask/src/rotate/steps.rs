//! The rotation's steps, in the runbook's order: the [`Step`] list (the one source of their
//! names, numbers and order), the [`Progress`] printer (`[3/6] Atualizar bundle`, then
//! `ok: ...` or `FALHOU: ...`), and [`run_all`], which calls one function per step: step 1
//! in [`preflight`](super::preflight), steps 2 and 3 in [`rekey`](super::rekey), step 4 in
//! [`validate`](super::validate), step 5 in [`record`](super::record), step 6 in
//! [`guard`](super::guard) and step 7 in [`pr`](super::pr).
//!
//! What must stay true: steps run in [`Step::ALL`]'s order and stop at the first failure,
//! which is returned with its step so the caller can roll back and name it. A step writes
//! only files the snapshot covers (the bundle, `.sops.yaml`, the evidence directory, the sync
//! directory) or files in the rotation's private temporary directory, the new private key
//! only to the sink the user named (the tools get it in memory, never from a file), and
//! (step 7 only) git's branch, index and commit, which that step journals before it creates
//! them and undoes itself when its commit fails. A signal is acted on only between steps,
//! where the snapshot and the journal describe the whole change so far.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use age::secrecy::SecretString;
use bundle_core::keys::{KeyEnv, KeyPair};
use bundle_core::ops::evidence::{CheckItem, EmergencyRecord, Kind, Proof};

use super::request::{KeySink, Values};
use super::snapshot::Snapshot;
use super::{Outcome, Rotation};
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
    let key = progress.run(Step::GenerateKey, |_| {
        super::rekey::generate_key(rotation, inputs)
    })?;
    *delivered = Some(key.delivered_to);
    let recipient = key.pair.recipient();
    enter(snapshot, Step::UpdateBundle, delivered)?;
    let updated = progress.run(Step::UpdateBundle, |_| {
        super::rekey::update_bundle(rotation, inputs, &current, &recipient, versions)
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
        super::record::record_evidence(
            rotation,
            inputs,
            versions,
            items,
            &earned.attachments,
            notes,
        )
    })?;
    enter(snapshot, Step::Guard, delivered)?;
    progress.run(Step::Guard, |_| {
        super::guard::guard(rotation, &key.pair, &evidence_id)
    })?;
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
