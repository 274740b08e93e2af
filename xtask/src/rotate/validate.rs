//! Step 4 of a rotation ("Validar pipelines", "Validação cruzada"): the new bundle proven
//! with the new key only, by the same tools CI runs. The new key decrypts it and the replaced
//! one does not, secrets-sync publishes it, ops-controls passes, gitleaks (when installed) and
//! scan-leaks find no secret value in the tree.
//!
//! Each check that runs earns its checklist item with its proof (issue 12): the bundle's
//! sha256 it was run against, or the report it wrote (gitleaks' redacted JSON report, the
//! scan-leaks report), kept in the rotation's temporary directory for the evidence step to
//! attach. A check that did not run is recorded as skipped with the reason (gitleaks not
//! installed, no `--old-identity`), never as done.
//!
//! What must stay true: the tools get the new key in memory (a `KeyEnv` built for them,
//! never the process environment, never a file: the private key reaches disk only at
//! `--key-out`), secrets-sync publishes into the rotation's 0700 temporary directory unless
//! `--sync` names the real one. The ops-controls report of the evidence is taken by the
//! evidence step, with the execution in the log (this step's run gates only).

use bundle_core::ExitStatus;
use std::io::Write;
use std::path::PathBuf;

use bundle_core::fsio::{self, WriteOptions};
use bundle_core::keys::{Identities, KeyPair};
use bundle_core::ops::evidence::{CheckItem, Proof};
use bundle_core::sops::SopsFile;

use super::preflight::Current;
use super::steps::{Inputs, StepBody, new_key_env};
use super::{GITLEAKS_REPORT, Rotation, SCAN_REPORT, ops_report, require_controls};
use crate::Failure;

/// What the validation earned: its checklist items, and the files that prove them (in the
/// rotation's temporary directory, attached by the evidence step).
pub(super) struct Earned {
    pub(super) items: Vec<CheckItem>,
    pub(super) attachments: Vec<PathBuf>,
}

/// A proof by an attachment's file name (the evidence step resolves its path and sha256).
pub(super) fn attached(name: &str) -> Proof {
    Proof::Artifact {
        path: name.to_owned(),
        sha256: String::new(),
    }
}

/// Refuses, before anything changes, a rotation whose policy requires an item no step of
/// this machine can earn (gitleaks required, not installed).
pub(super) fn require_tools(rotation: &Rotation<'_>) -> Result<(), Box<Failure>> {
    let required = super::required_items(rotation.repo, rotation.kind)?;
    if required.iter().any(|i| i == "gitleaks") && gitleaks_binary().is_none() {
        return Err(Failure::usage(format!(
            "gitleaks is not on PATH, and {} requires the `gitleaks` item of a {} rotation\nhint: install gitleaks, or remove `gitleaks` from documents.checklist_required.{} (the rotation then records it as skipped)",
            ops_controls::DEFAULT_POLICY,
            rotation.kind,
            rotation.kind
        )));
    }
    Ok(())
}

/// Step 4: every check of the new bundle, each noted on its own line.
pub(super) fn validate(
    rotation: &Rotation<'_>,
    inputs: &Inputs<'_>,
    current: &Current,
    pair: &KeyPair,
    updated: &SopsFile,
    notes: &mut dyn Write,
) -> StepBody<Earned> {
    updated.decrypt(&pair.to_identities())?;
    let bundle = Proof::Bundle {
        sha256: bundle_core::ops::evidence::sha256_hex(&fs_err::read(&rotation.bundle)?),
    };
    let mut earned = Earned {
        items: Vec::new(),
        attachments: Vec::new(),
    };
    earned.items.push(
        if prove_replaced_key_fails(rotation, current, updated, notes)? {
            CheckItem::done("old-key-refused", bundle.clone())
        } else {
            CheckItem::skipped(
                "old-key-refused",
                "sem --old-identity: a prova de que a chave comprometida não decifra não foi feita",
            )
        },
    );
    sync_with_new_key(rotation, inputs, pair, notes)?;
    earned
        .items
        .push(CheckItem::done("secrets-sync", bundle.clone()));
    check_controls(rotation, notes)?;
    earned
        .items
        .push(match run_gitleaks(rotation, inputs, notes)? {
            Some(report) => {
                earned.attachments.push(report);
                CheckItem::done("gitleaks", attached(GITLEAKS_REPORT))
            }
            None => CheckItem::skipped("gitleaks", "gitleaks não instalado"),
        });
    earned
        .attachments
        .push(scan_leaks(rotation, inputs, pair, notes)?);
    earned
        .items
        .push(CheckItem::done("scan-leaks", attached(SCAN_REPORT)));
    Ok((earned, "bundle validado com a chave nova".to_owned()))
}

/// The replaced key (`--old-identity`, else the current key when every recipient was
/// replaced) must no longer decrypt; without either, the proof is skipped with a warning
/// (`Ok(false)`).
fn prove_replaced_key_fails(
    rotation: &Rotation<'_>,
    current: &Current,
    updated: &SopsFile,
    notes: &mut dyn Write,
) -> Result<bool, Box<Failure>> {
    let request = rotation.request;
    let every_recipient_replaced = request
        .emergency
        .as_ref()
        .is_none_or(|e| e.compromised.is_empty());
    let proven = if !request.old_identities.is_empty() {
        // One buffer sized up front and zeroized, as every tool reads key files.
        let text = bundle_core::keys::read_key_files(&request.old_identities)?;
        let replaced = Identities::from_text("--old-identity", &text)?;
        Some(updated.decrypt(&replaced).is_err())
    } else if every_recipient_replaced {
        Some(updated.decrypt(&current.identities).is_err())
    } else {
        None
    };
    match proven {
        Some(true) => writeln!(notes, "      a chave substituída não decifra mais o bundle")?,
        Some(false) => {
            return Err(Failure::new(
                ExitStatus::Integrity,
                "the replaced key still decrypts the new bundle",
            ));
        }
        None => writeln!(
            notes,
            "      aviso: sem --old-identity, a prova de que a chave comprometida não decifra não foi feita"
        )?,
    }
    Ok(proven == Some(true))
}

/// secrets-sync with the new key only, into a private temporary directory (or the real
/// `~/.mcp` with `--sync`, which the snapshot covers).
fn sync_with_new_key(
    rotation: &Rotation<'_>,
    inputs: &Inputs<'_>,
    pair: &KeyPair,
    notes: &mut dyn Write,
) -> Result<(), Box<Failure>> {
    let out_dir: PathBuf = rotation
        .request
        .sync_to
        .clone()
        .unwrap_or_else(|| inputs.work.join("mcp"));
    let sync_args = secrets_sync::Args {
        repo: rotation.repo.to_owned(),
        bundle: None,
        out_dir: Some(out_dir.clone()),
        remove_key_file: false,
        check: false,
        dry_run: false,
        json: false,
    };
    let ctx = secrets_sync::Context {
        keys: new_key_env(pair),
        mcp_home: None,
        home: None,
        step_hook: None,
    };
    let mut sink_out = Vec::new();
    let mut sink_err = Vec::new();
    let code = secrets_sync::run_with(&sync_args, &ctx, &mut sink_out, &mut sink_err)
        .map_err(Failure::tool)?;
    if code != ExitStatus::Success {
        return Err(Failure::problem(
            "secrets-sync with the new key did not succeed",
        ));
    }
    writeln!(
        notes,
        "      secrets-sync com a chave nova: ok ({})",
        out_dir.display()
    )?;
    Ok(())
}

/// ops-controls on the changed tree, as a gate: the evidence checks (DOC-003, DOC-004) are
/// judged by the evidence step's report, taken with this execution in the log.
fn check_controls(rotation: &Rotation<'_>, notes: &mut dyn Write) -> Result<(), Box<Failure>> {
    let report = ops_report(rotation.repo, rotation.request.now)?;
    require_controls(&report, &["DOC-003", "DOC-004"])?;
    writeln!(
        notes,
        "      ops-controls: {} ok de {}",
        report.summary.pass, report.summary.total
    )?;
    Ok(())
}

pub(super) fn gitleaks_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("gitleaks"))
        .find(|p| p.is_file())
}

/// gitleaks on the tree, when it is on `PATH` (skipped, and noted, when not); its report
/// (values redacted by gitleaks' `--redact`) is kept for the evidence.
fn run_gitleaks(
    rotation: &Rotation<'_>,
    inputs: &Inputs<'_>,
    notes: &mut dyn Write,
) -> Result<Option<PathBuf>, Box<Failure>> {
    let Some(binary) = gitleaks_binary() else {
        writeln!(notes, "      gitleaks: ignorado (não instalado)")?;
        return Ok(None);
    };
    let report = inputs.work.join(GITLEAKS_REPORT);
    let outcome =
        rotation_guard::gitleaks::run_gitleaks(&rotation_guard::gitleaks::GitleaksOptions {
            repo: rotation.repo.to_owned(),
            config: None,
            report: Some(report.clone()),
            binary: Some(binary),
        })
        .map_err(Failure::wrap(ExitStatus::Usage))?;
    if outcome.outcome != rotation_guard::gitleaks::Verdict::Clean {
        return Err(Failure::problem(format!(
            "gitleaks: {} finding(s)",
            outcome.findings.len()
        )));
    }
    writeln!(notes, "      gitleaks: limpo (relatório {GITLEAKS_REPORT})")?;
    Ok(Some(report))
}

/// rotation-guard's scan: no value of the new bundle appears in the tree.
fn scan_leaks(
    rotation: &Rotation<'_>,
    inputs: &Inputs<'_>,
    pair: &KeyPair,
    notes: &mut dyn Write,
) -> Result<PathBuf, Box<Failure>> {
    let scan = rotation_guard::scan::scan_leaks(
        &rotation_guard::scan::ScanOptions::new(
            rotation.repo.to_owned(),
            rotation_guard::keys::KeySource::Env(new_key_env(pair)),
        ),
        &mut Vec::new(),
    )
    .map_err(Failure::wrap(ExitStatus::Usage))?;
    if !scan.findings.is_empty() {
        return Err(Failure::problem(format!(
            "scan-leaks: {} secret value(s) found in the tree",
            scan.findings.len()
        )));
    }
    writeln!(
        notes,
        "      scan-leaks: {} valor(es) procurados, nenhum encontrado",
        scan.secrets
    )?;
    let report = inputs.work.join(SCAN_REPORT);
    fsio::write_atomic(&report, scan.to_json().as_bytes(), WriteOptions::PUBLIC)?;
    Ok(report)
}
