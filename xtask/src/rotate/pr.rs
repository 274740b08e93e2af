//! Step 7 of a rotation, with `--commit` only ("Abrir PR"): a branch `rotation/v<N>`, one
//! commit of the bundle, `.sops.yaml` and the evidence, and the PR body written to
//! `<git dir>/rotation-v<N>-PR.md` for the person who opens the pull request.
//!
//! What must stay true: the branch is new (an existing one stops the rotation), it and the
//! PR body are journaled before they are created (recovery after a kill deletes them), a failing
//! commit puts git back where it was (index, branch, the new branch deleted; the files
//! themselves are the snapshot's job), and the body is rendered from the execution entry the
//! rotation recorded (issue 12): each box is that entry's checklist item, ticked only with its
//! proof, a skipped step shown skipped with its reason, and no item the kind does not have
//! (no 24 h plan on an emergency). The one line not from the entry is rotation-guard's check,
//! which ran after the entry was written and before this step.

use std::fmt::Write as _;
use std::path::PathBuf;

use bundle_core::ExitStatus;
use bundle_core::config::CONFIG_FILE_NAME;
use bundle_core::fsio::{self, WriteOptions};
use bundle_core::ops::evidence::{DEFAULT_DIR, Entry, EvidenceLog, Kind};

use super::snapshot::Snapshot;
use super::steps::{StepBody, Versions};
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
    let body = pr_body(rotation, versions, evidence_id)?;
    fsio::write_atomic(&body_path, body.as_bytes(), WriteOptions::PUBLIC)?;
    Ok((
        (),
        format!("branch {branch}, corpo do PR em {}", body_path.display()),
    ))
}

/// The PR body, from the recorded entry `evidence_id`: title, reason, people, incident, the
/// entry's checklist, the evidence and its links.
fn pr_body(rotation: &Rotation<'_>, versions: Versions, evidence_id: &str) -> StepBodyText {
    let log = EvidenceLog::load(&rotation.evidence).map_err(Failure::wrap(ExitStatus::Usage))?;
    let entry = log.get(evidence_id).ok_or_else(|| {
        Failure::problem(format!(
            "the execution {evidence_id} is not in the evidence"
        ))
    })?;
    Ok(render_body(entry, rotation.kind, versions))
}

type StepBodyText = Result<String, Box<Failure>>;

/// The PR body of `entry` (pure, for the tests).
fn render_body(entry: &Entry, kind: Kind, versions: Versions) -> String {
    let e = &entry.execution;
    let mut body = format!(
        "## {}: MCP_SECRETS_VERSION {} -> {}\n\n",
        kind_title(kind),
        versions.from,
        versions.to
    );
    let _ = write!(
        body,
        "Motivo: {}\n\n",
        e.reason.as_deref().unwrap_or_default()
    );
    let _ = write!(body, "Responsáveis: {}\n\n", e.responsible.join(", "));
    if let Some(incident) = &e.incident {
        let _ = write!(body, "Incidente: {incident}\n\n");
    }
    body.push_str("### Checklist (da entrada registrada)\n\n");
    for line in evidence_writer::checklist_lines(entry, evidence_writer::Lang::Pt) {
        let _ = writeln!(body, "{line}");
    }
    let _ = writeln!(
        body,
        "- [x] `rotation-guard check --base HEAD` sem falhas (passo 6, depois do registro)"
    );
    let _ = write!(
        body,
        "\n### Evidências\n\n- `{DEFAULT_DIR}/` entrada `{}` (sha256 `{}`)\n",
        e.id, entry.hash
    );
    for artifact in &e.artifacts {
        let _ = writeln!(
            body,
            "- `{DEFAULT_DIR}/{}` (sha256 `{}`)",
            artifact.path, artifact.sha256
        );
    }
    for link in &e.links {
        let _ = writeln!(body, "- {}: {}", link.label, link.url);
    }
    body
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use bundle_core::ops::evidence::{Artifact, CheckItem, Execution, Proof};
    use bundle_core::time::Timestamp;

    fn entry(kind: Kind, gitleaks: CheckItem) -> Entry {
        let mut e = Execution::new(kind, Timestamp::from_unix(1_750_000_000).unwrap());
        e.reason = Some("motivo".into());
        e.responsible = vec!["Ana".into(), "Bruno".into()];
        e.version_from = Some(1);
        e.version_to = Some(2);
        if kind == Kind::Emergency {
            e.incident = Some("INC-1".into());
        }
        e.id = e.stable_id();
        let report = format!("artifacts/{}/ops-controls-report.json", e.id);
        e.artifacts.push(Artifact {
            path: report.clone(),
            sha256: "c".repeat(64),
        });
        e.checklist = vec![
            CheckItem::done(
                "ops-controls",
                Proof::Artifact {
                    path: report,
                    sha256: "c".repeat(64),
                },
            ),
            gitleaks,
        ];
        e.check_fields().unwrap();
        Entry::seal(1, e, bundle_core::ops::evidence::GENESIS_HASH)
    }

    /// Issue 12: the PR body says what the entry holds: a skipped gitleaks is shown skipped,
    /// an emergency has no 24 h plan box, and no box is ticked without its proof.
    #[test]
    fn the_body_is_the_entry_not_a_template() {
        let versions = Versions { from: 1, to: 2 };
        let body = render_body(
            &entry(
                Kind::Emergency,
                CheckItem::skipped("gitleaks", "gitleaks não instalado"),
            ),
            Kind::Emergency,
            versions,
        );
        assert!(
            body.contains("- [ ] `emergency-v2.gitleaks` gitleaks limpo, relatório `gitleaks-post-rotation.json` anexado — **ignorado**: gitleaks não instalado"),
            "{body}"
        );
        assert!(!body.contains("24 h"), "{body}");
        assert!(!body.contains(".plan`"), "{body}");
        for line in body.lines().filter(|l| l.starts_with("- [x] `emergency")) {
            assert!(line.contains(" — prova: "), "{line}");
        }
        // A step nobody recorded is open, never ticked.
        assert!(body.contains("- [ ] `emergency-v2.new-key`"), "{body}");
        let scheduled = render_body(
            &entry(
                Kind::Scheduled,
                CheckItem::skipped("gitleaks", "gitleaks não instalado"),
            ),
            Kind::Scheduled,
            versions,
        );
        assert!(
            scheduled.contains("- [ ] `scheduled-v2.plan` Janela anunciada"),
            "{scheduled}"
        );
    }

    /// Issue 12: "Isolamento" and the secrets' decisions are boxes of the PR body like the
    /// other items: ticked only with the statement the entry holds, open and skipped without.
    #[test]
    fn the_isolation_box_is_ticked_only_with_the_stated_isolation() {
        use bundle_core::ops::evidence::{
            Acknowledgment, EmergencyRecord, GENESIS_HASH, SecretDisposition,
        };
        let versions = Versions { from: 1, to: 2 };
        let body_with = |isolation: Option<&str>| {
            let mut e = entry(
                Kind::Emergency,
                CheckItem::skipped("gitleaks", "gitleaks não instalado"),
            )
            .execution;
            let record = EmergencyRecord {
                isolation: isolation.map(str::to_owned),
                secrets: vec![SecretDisposition {
                    path: "github.token".into(),
                    replaced: true,
                    acknowledged: Some(Acknowledgment::Revoked),
                }],
                comms: None,
            };
            e.checklist.extend(record.items());
            e.emergency = Some(record);
            e.check_fields().unwrap();
            render_body(&Entry::seal(1, e, GENESIS_HASH), Kind::Emergency, versions)
        };
        let stated = body_with(Some("deploys suspensos"));
        assert!(
            stated.contains("- [x] `emergency-v2.isolation` Isolamento: tokens revogados nos provedores e dependentes suspensos — prova: declaração dos responsáveis «deploys suspensos»"),
            "{stated}"
        );
        assert!(
            stated.contains("- [x] `emergency-v2.revocation` Cada segredo com valor novo ou revogação/não afetado confirmado — prova: decisão registrada para 1 segredo(s): 1 substituído(s), 1 revogado(s), 0 não afetado(s)"),
            "{stated}"
        );
        let silent = body_with(None);
        assert!(
            silent.contains("- [ ] `emergency-v2.isolation` Isolamento: tokens revogados nos provedores e dependentes suspensos — **ignorado**: isolamento não declarado pelos responsáveis"),
            "{silent}"
        );
        assert!(!silent.contains("[x] `emergency-v2.isolation`"), "{silent}");
    }
}
