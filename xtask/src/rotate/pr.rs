//! Step 7 of a rotation, with `--commit` only ("Abrir PR"): a branch `rotation/v<N>`, one
//! commit of the bundle, `.sops.yaml` and the evidence, and the PR body written to
//! `<git dir>/rotation-v<N>-PR.md` for the person who opens the pull request.
//!
//! What must stay true: the branch is new (an existing one stops the rotation), it and the
//! PR body are journaled before they are created (recovery after a kill deletes them), a failing
//! commit puts git back where it was (index, branch, the new branch deleted; the files
//! themselves are the snapshot's job), and the body's checklist only lists steps that ran:
//! this step runs after all of them passed.

use std::fmt::Write as _;
use std::path::PathBuf;

use bundle_core::config::CONFIG_FILE_NAME;
use bundle_core::fsio::{self, WriteOptions};
use bundle_core::ops::evidence::DEFAULT_DIR;

use super::snapshot::Snapshot;
use super::steps::{Step, StepBody, Versions};
use super::{BUNDLE, Rotation, git, kind_title};
use crate::Failure;

/// Step 7: the branch, the commit and the PR body.
pub(super) fn open_pr(
    rotation: &Rotation<'_>,
    versions: Versions,
    evidence_id: &str,
    snapshot: &mut Snapshot,
) -> StepBody<()> {
    let repo = rotation.repo;
    let branch = format!("rotation/v{}", versions.to);
    if git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/heads/{branch}"),
        ],
    )
    .is_ok()
    {
        return Err(Failure::problem(format!(
            "the branch {branch} already exists"
        )));
    }
    let previous = git(repo, &["rev-parse", "--abbrev-ref", "HEAD"])?;
    let git_dir = git(repo, &["rev-parse", "--absolute-git-dir"])?;
    let body_path = PathBuf::from(git_dir.trim()).join(format!("rotation-v{}-PR.md", versions.to));
    // Journaled first, so that recovery after a kill deletes what this step made.
    snapshot.will_create(&branch, &body_path)?;
    git(repo, &["switch", "-q", "-c", &branch])?;
    let message = format!(
        "{}: MCP_SECRETS_VERSION {} -> {}",
        kind_title(rotation.kind),
        versions.from,
        versions.to
    );
    let committed = git(repo, &["add", "--", BUNDLE, CONFIG_FILE_NAME, DEFAULT_DIR])
        .and_then(|_| git(repo, &["commit", "-q", "-m", &message]));
    if let Err(e) = committed {
        // Back to where we were: the files themselves are restored by the snapshot.
        let _ = git(repo, &["reset", "-q"]);
        let _ = git(repo, &["switch", "-q", previous.trim()]);
        let _ = git(repo, &["branch", "-q", "-D", &branch]);
        return Err(e);
    }
    let body = pr_body(rotation, versions, evidence_id);
    fsio::write_atomic(&body_path, body.as_bytes(), WriteOptions::PUBLIC)?;
    Ok((
        (),
        format!("branch {branch}, corpo do PR em {}", body_path.display()),
    ))
}

/// The PR body: title, reason, people, incident, checklist, evidence and links.
fn pr_body(rotation: &Rotation<'_>, versions: Versions, evidence_id: &str) -> String {
    let request = rotation.request;
    let mut body = format!(
        "## {}: MCP_SECRETS_VERSION {} -> {}\n\n",
        kind_title(rotation.kind),
        versions.from,
        versions.to
    );
    let _ = write!(body, "Motivo: {}\n\n", request.rotation_reason());
    let _ = write!(body, "Responsáveis: {}\n\n", request.responsible.join(", "));
    if let Some(e) = &request.emergency {
        let _ = write!(body, "Incidente: {}\n\n", e.incident);
    }
    body.push_str("### Checklist\n\n");
    for item in Step::ALL.into_iter().filter_map(Step::pr_checklist_item) {
        let _ = writeln!(body, "- [x] {item}");
    }
    let _ = write!(
        body,
        "\n### Evidências\n\n- `{DEFAULT_DIR}/` entrada `{evidence_id}` (relatório ops-controls anexado)\n"
    );
    for link in &request.links {
        let _ = writeln!(body, "- {link}");
    }
    body
}
