//! Step 4 of a rotation ("Validar pipelines", "Validação cruzada"): the new bundle proven
//! with the new key only, by the same tools CI runs. The new key decrypts it and the replaced
//! one does not, secrets-sync publishes it, ops-controls passes, gitleaks (when installed) and
//! scan-leaks find no secret value in the tree.
//!
//! What must stay true: the tools get the new key in memory (a `KeyEnv` built for them,
//! never the process environment, never a file: the private key reaches disk only at
//! `--key-out`), secrets-sync publishes into the rotation's 0700 temporary directory unless
//! `--sync` names the real one, and the ops-controls report written here is the one the
//! evidence step attaches.

use bundle_core::ExitStatus;
use std::io::Write;
use std::path::PathBuf;

use bundle_core::fsio::{self, WriteOptions};
use bundle_core::keys::{Identities, KeyPair};
use bundle_core::sops::SopsFile;

use super::preflight::Current;
use super::steps::{Inputs, StepBody, new_key_env};
use super::{Rotation, blocking_ids, ops_report};
use crate::Failure;

/// Step 4: every check of the new bundle, each noted on its own line.
pub(super) fn validate(
    rotation: &Rotation<'_>,
    inputs: &Inputs<'_>,
    current: &Current,
    pair: &KeyPair,
    updated: &SopsFile,
    notes: &mut dyn Write,
) -> StepBody<()> {
    updated.decrypt(&pair.to_identities())?;
    prove_replaced_key_fails(rotation, current, updated, notes)?;
    sync_with_new_key(rotation, inputs, pair, notes)?;
    check_controls(rotation, inputs, notes)?;
    run_gitleaks(rotation, notes)?;
    scan_leaks(rotation, pair, notes)?;
    Ok(((), "bundle validado com a chave nova".to_owned()))
}

/// The replaced key (`--old-identity`, else the current key when every recipient was
/// replaced) must no longer decrypt; without either, the proof is skipped with a warning.
fn prove_replaced_key_fails(
    rotation: &Rotation<'_>,
    current: &Current,
    updated: &SopsFile,
    notes: &mut dyn Write,
) -> Result<(), Box<Failure>> {
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
    Ok(())
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

/// ops-controls on the changed tree; its report is kept for the evidence.
fn check_controls(
    rotation: &Rotation<'_>,
    inputs: &Inputs<'_>,
    notes: &mut dyn Write,
) -> Result<(), Box<Failure>> {
    let report = ops_report(rotation.repo, rotation.request.now)?;
    // DOC-004 (activation entry for the new version) is satisfied by the next step.
    let blocking: Vec<String> = blocking_ids(&report)
        .into_iter()
        .filter(|id| id != "DOC-004")
        .collect();
    if !blocking.is_empty() {
        return Err(Failure::problem(format!(
            "ops-controls fails: {}",
            blocking.join(", ")
        )));
    }
    fsio::write_atomic(
        &inputs.report_path(),
        report.to_json().as_bytes(),
        WriteOptions::PUBLIC,
    )?;
    writeln!(
        notes,
        "      ops-controls: {} ok de {}",
        report.summary.pass, report.summary.total
    )?;
    Ok(())
}

fn gitleaks_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("gitleaks"))
        .find(|p| p.is_file())
}

/// gitleaks on the tree, when it is on `PATH` (skipped, and noted, when not).
fn run_gitleaks(rotation: &Rotation<'_>, notes: &mut dyn Write) -> Result<(), Box<Failure>> {
    let Some(binary) = gitleaks_binary() else {
        writeln!(notes, "      gitleaks: ignorado (não instalado)")?;
        return Ok(());
    };
    let outcome =
        rotation_guard::gitleaks::run_gitleaks(&rotation_guard::gitleaks::GitleaksOptions {
            repo: rotation.repo.to_owned(),
            config: None,
            report: None,
            binary: Some(binary),
        })
        .map_err(Failure::wrap(ExitStatus::Usage))?;
    if outcome.outcome != rotation_guard::gitleaks::Verdict::Clean {
        return Err(Failure::problem(format!(
            "gitleaks: {} finding(s)",
            outcome.findings.len()
        )));
    }
    writeln!(notes, "      gitleaks: limpo")?;
    Ok(())
}

/// rotation-guard's scan: no value of the new bundle appears in the tree.
fn scan_leaks(
    rotation: &Rotation<'_>,
    pair: &KeyPair,
    notes: &mut dyn Write,
) -> Result<(), Box<Failure>> {
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
    Ok(())
}
