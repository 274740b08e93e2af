//! `cargo xtask rotate --recover`: undoes a rotation that was killed and left its journal
//! (step 5 of the protocol in [`super::journal`]), or says there is nothing to recover.
//!
//! What must stay true: every part is idempotent and the journal is removed last, so a kill
//! during recovery is repaired by running it again; git goes back first (unstage, switch to
//! the recorded branch, delete the branch the rotation created and its PR body), then the
//! files; `~/.mcp` is never touched (the journal has no plaintext to put back) and the user
//! is told how to republish it; a delivered key is reported as unused.

use std::io::Write;
use std::path::{Path, PathBuf};

use bundle_core::ExitStatus;
use bundle_core::config::CONFIG_FILE_NAME;

use super::git;
use super::journal::{Doc, Journal, journal_path};
use super::snapshot::restore_journaled;
use super::steps::Step;
use crate::{Failure, TaskResult};

/// Runs `cargo xtask rotate --recover --repo DIR`.
pub(super) fn recover(repo: &Path, out: &mut dyn Write) -> TaskResult {
    let repo = fs_err::canonicalize(repo)?;
    let path = journal_path(&repo)?;
    super::sweep_killed_work_dirs();
    let Some(doc) = Journal::load(&path)? else {
        // A rotation killed while it wrote its first journal left only the temp file.
        if let Some(dir) = path.parent() {
            bundle_core::fsio::sweep_temp_files(dir)?;
        }
        writeln!(
            out,
            "nenhuma rotação interrompida em {}: nada a recuperar",
            repo.display()
        )?;
        return Ok(ExitStatus::Success);
    };
    let step = Step::from_id(&doc.step);
    let reached = step.map_or_else(
        || "antes do primeiro passo".to_owned(),
        |s| format!("no passo {} ({})", s.number(), s.id()),
    );
    writeln!(
        out,
        "recuperando a rotação interrompida {reached} em {}",
        repo.display()
    )?;
    restore_git(&repo, &doc, out)?;
    restore_journaled(&doc, &path)?;
    writeln!(
        out,
        "bundle, {CONFIG_FILE_NAME} e evidências voltaram aos bytes anteriores; diário removido"
    )?;
    match (&doc.key_delivered_to, step) {
        (Some(to), _) => writeln!(
            out,
            "a chave entregue a {to} NÃO foi usada: descarte-a (o bundle continua com as chaves anteriores)"
        )?,
        (None, Some(Step::GenerateKey)) => writeln!(
            out,
            "se uma chave nova chegou a {}, ela NÃO foi usada: descarte-a",
            doc.key_sink
        )?,
        (None, _) => {}
    }
    let synced = step.is_none_or(|s| s.number() >= Step::Validate.number());
    if let (Some(dir), true) = (&doc.private_root, synced) {
        writeln!(
            out,
            "{} não foi restaurado (o diário nunca guarda texto claro) e pode ter os valores da versão desfeita: rode secrets-sync com a chave anterior para publicar o bundle restaurado",
            dir.display()
        )?;
    }
    Ok(ExitStatus::Success)
}

/// Puts git back where the rotation found it: the index unstaged, HEAD on the recorded
/// branch (or commit), the branch the rotation created and its PR body removed.
fn restore_git(repo: &Path, doc: &Doc, out: &mut dyn Write) -> Result<(), Box<Failure>> {
    let Some(created) = &doc.created_branch else {
        return Ok(());
    };
    // A git command killed with the rotation (power loss, a kill of the whole group) leaves
    // its lock; whether another git still runs cannot be known from here, so say what to do.
    let lock =
        PathBuf::from(git(repo, &["rev-parse", "--absolute-git-dir"])?.trim()).join("index.lock");
    if fs_err::symlink_metadata(&lock).is_ok() {
        return Err(Failure::usage(format!(
            "{} exists: a git command is running in this repository, or one was killed with the rotation\nhint: when no git command is running, remove that file and run `cargo xtask rotate --recover` again (nothing was changed yet)",
            lock.display()
        )));
    }
    // Unstage whatever step 7 added; the files themselves come back from the journal.
    git(repo, &["reset", "-q"])?;
    let current = git(repo, &["rev-parse", "--abbrev-ref", "HEAD"])?;
    if current.trim() == created {
        if doc.branch == "HEAD" {
            git(repo, &["switch", "-q", "--detach", &doc.head])?;
        } else {
            git(repo, &["switch", "-q", &doc.branch])?;
        }
        writeln!(out, "de volta a {}", doc.branch)?;
    }
    let exists = git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/heads/{created}"),
        ],
    )
    .is_ok();
    if exists && *created != doc.branch {
        git(repo, &["branch", "-q", "-D", created])?;
        writeln!(out, "branch {created} removido")?;
    }
    if let Some(body) = &doc.pr_body
        && fs_err::symlink_metadata(body).is_ok()
    {
        fs_err::remove_file(body)?;
    }
    Ok(())
}
