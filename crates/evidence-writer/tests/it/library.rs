//! The commands run in process: rendering, idempotency, human text, tampering, comms gaps,
//! bad input. Times are always given (`--at`), so every snapshot is reproducible. One file
//! over our ~600-line guide because its scenarios share one evidence directory's story.
#![allow(clippy::unwrap_used)]
// Scenario tests read top to bottom like the runbook; splitting them would hide the sequence.
#![allow(clippy::too_many_lines)]

use std::fmt::Write as _;

use crate::common::{DIR, REPORT_CLEAN, Repo};
use bundle_core::ops::evidence::{EvidenceLog, Kind};

#[test]
fn renders_readme_and_history_after_a_sequence_of_executions() {
    let repo = Repo::new();
    repo.record_sequence();
    insta::assert_snapshot!("readme_pt", repo.evidence_file("README.md"));
    insta::assert_snapshot!(
        "activation_pt",
        repo.evidence_file("runbooks-activation.md")
    );
    let verify = repo.run(&["--at", "2025-03-06T10:00:00Z", "verify"]);
    insta::assert_snapshot!("verify_ok", verify.display(repo.root()));
    assert_eq!(verify.code, 0);
}

#[test]
fn the_log_is_what_bundle_core_reads() {
    let repo = Repo::new();
    repo.record_sequence();
    let log = EvidenceLog::load(&repo.evidence()).unwrap();
    assert_eq!(log.len(), 7);
    assert_eq!(log.verify(&repo.evidence()), vec![]);
    let emergency = log.entry_for_version(6).unwrap();
    assert_eq!(emergency.execution.kind, Kind::Emergency);
    assert_eq!(
        emergency.execution.incident.as_deref(),
        Some("INC-2025-031")
    );
    assert_eq!(
        emergency.execution.responsible,
        vec!["Carla Dias", "Diego Reis"]
    );
    assert_eq!(
        emergency
            .execution
            .artifacts
            .iter()
            .map(|a| a.path.as_str())
            .collect::<Vec<_>>(),
        vec![
            "artifacts/emergency-v6/ops-controls-report.json",
            "artifacts/emergency-v6/gitleaks-post-rotation.json"
        ]
    );
    assert_eq!(log.check_rotation(&repo.evidence(), 5), vec![]);
    assert_eq!(log.check_rotation(&repo.evidence(), 6), vec![]);
    let copied = repo.read(&format!(
        "{DIR}/artifacts/scheduled-v5/ops-controls-report.json"
    ));
    assert_eq!(copied, crate::common::REPORT_ONE_FAIL);
}

#[test]
fn english_labels_with_lang_en() {
    let repo = Repo::new();
    repo.ok(&["--lang", "en", "init"]);
    repo.ok(&[
        "--at",
        "2025-03-03T10:00:00Z",
        "record",
        "--kind",
        "audit",
        "--reason",
        "weekly audit",
        "--responsible",
        "Eva Prado",
        "--link",
        "CI=https://ci.example.com/runs/1",
    ]);
    insta::assert_snapshot!("readme_en", repo.evidence_file("README.md"));
    insta::assert_snapshot!(
        "activation_en",
        repo.evidence_file("runbooks-activation.md")
    );
    // Switching the language re-renders the blocks, and verify follows the marker's language.
    repo.ok(&[
        "--lang",
        "pt",
        "--at",
        "2025-03-04T10:00:00Z",
        "record",
        "--kind",
        "audit",
        "--reason",
        "x",
        "--responsible",
        "Eva",
    ]);
    assert!(
        repo.evidence_file("README.md")
            .contains("| Data/hora (UTC) |")
    );
    assert_eq!(
        repo.run(&["--at", "2025-03-04T10:00:00Z", "verify"]).code,
        0
    );
}

#[test]
fn human_text_outside_the_blocks_survives_byte_for_byte() {
    let repo = Repo::initialized();
    let readme = repo.evidence_file("README.md");
    let activation = repo.evidence_file("runbooks-activation.md");
    // People add text before, between and after the blocks, with odd spacing and CRLF.
    let readme =
        format!("<!-- nota: revisado por SecOps -->\r\n{readme}\n\nTexto final sem quebra   ");
    let readme = readme.replace(
        "## Execuções registradas",
        "Parágrafo humano  \r\n\n## Execuções registradas",
    );
    let activation = activation.replace(
        "a ferramenta não altera esta seção.",
        "a ferramenta não altera esta seção.\n\n- 2025-02-01: nota manual | com barra\n",
    );
    repo.write(&format!("{DIR}/README.md"), &readme);
    repo.write(&format!("{DIR}/runbooks-activation.md"), &activation);

    repo.ok(&[
        "--at",
        "2025-03-03T10:00:00Z",
        "record",
        "--kind",
        "audit",
        "--reason",
        "semanal",
        "--responsible",
        "Eva",
    ]);

    let outside = |text: &str, block: &str| {
        let begin = text
            .find(&format!("<!-- evidence-writer:begin {block}"))
            .unwrap();
        let end = text
            .find(&format!("<!-- evidence-writer:end {block} -->"))
            .unwrap();
        (text[..begin].to_owned(), text[end..].to_owned())
    };
    // Outside the two managed blocks (checklist, executions) nothing changed.
    let new_readme = repo.evidence_file("README.md");
    let (before_checklist, _) = outside(&new_readme, "checklist");
    assert_eq!(before_checklist, outside(&readme, "checklist").0);
    let (_, after_executions) = outside(&new_readme, "executions");
    assert_eq!(after_executions, outside(&readme, "executions").1);
    let between = |text: &str| {
        let a = text.find("<!-- evidence-writer:end checklist -->").unwrap();
        let b = text.find("<!-- evidence-writer:begin executions").unwrap();
        text[a..b].to_owned()
    };
    assert_eq!(between(&new_readme), between(&readme));
    let new_activation = repo.evidence_file("runbooks-activation.md");
    assert_eq!(
        outside(&new_activation, "history"),
        outside(&activation, "history")
    );
    assert!(new_activation.contains("- 2025-02-01: nota manual | com barra\n"));

    // A README without the executions block gets one appended; its text stays in front.
    repo.write(
        &format!("{DIR}/README.md"),
        "# Minhas evidências\n\nSó texto.",
    );
    repo.ok(&[
        "--at",
        "2025-03-04T10:00:00Z",
        "record",
        "--kind",
        "audit",
        "--reason",
        "semanal",
        "--responsible",
        "Eva",
    ]);
    let appended = repo.evidence_file("README.md");
    assert!(appended.starts_with("# Minhas evidências\n\nSó texto.\n\n## Execuções registradas\n\n<!-- evidence-writer:begin executions lang=pt -->\n"), "{appended}");
    assert_eq!(
        repo.run(&["--at", "2025-03-04T10:00:00Z", "verify"]).code,
        0
    );
}

#[test]
fn recording_the_same_execution_twice_is_a_no_op() {
    let repo = Repo::new();
    repo.record_sequence();
    let before = repo.picture();
    let report = repo
        .path("reports/ops-controls-report.json")
        .display()
        .to_string();
    let gitleaks = repo
        .path("reports/gitleaks-post-rotation.json")
        .display()
        .to_string();
    let same_rotation = [
        "record",
        "--kind",
        "scheduled",
        "--reason",
        "rotação trimestral",
        "--responsible",
        "Ana Souza",
        "Bruno Lima",
        "--version-from",
        "4",
        "--version-to",
        "5",
        "--link",
        "CI=https://ci.example.com/runs/4242",
        "--link",
        "PR #87=https://git.example.com/ops/pull/87",
        "--attach",
        &report,
        "--attach",
        &gitleaks,
        "--done",
        "plan=entry:plan-v5",
        "--done",
        "ops-controls=attach:ops-controls-report.json",
        "--done",
        "gitleaks=attach:gitleaks-post-rotation.json",
        "--done",
        "ci=link:CI",
    ];
    // Same time given again, and no time at all (a retry): both are the same execution.
    let with_time: Vec<&str> = ["--at", "2025-03-03T10:00:00Z"]
        .into_iter()
        .chain(same_rotation)
        .collect();
    assert_eq!(
        repo.ok(&with_time).stdout,
        "already recorded: scheduled-v5 (nothing changed)\n"
    );
    assert_eq!(
        repo.ok(&same_rotation).stdout,
        "already recorded: scheduled-v5 (nothing changed)\n"
    );
    repo.ok(&[
        "--at",
        "2025-03-05T14:25:00Z",
        "comms",
        "--incident",
        "INC-2025-031",
        "--message",
        "Tokens revogados; reconstruindo o bundle",
    ]);
    assert_eq!(repo.picture(), before);
    repo.ok(&["init"]);
    assert_eq!(repo.picture(), before);
}

/// Issue 12: no `[x]` without its proof; a skipped step is shown skipped, never ticked; a
/// tick whose proof is not attached is refused.
#[test]
fn checklist_items_are_earned_with_their_proof_and_skips_are_shown() {
    let repo = Repo::new();
    repo.record_sequence();
    let readme = repo.evidence_file("README.md");
    let ticked: Vec<&str> = readme.lines().filter(|l| l.starts_with("- [x]")).collect();
    assert!(!ticked.is_empty(), "{readme}");
    for line in &ticked {
        assert!(
            line.contains(" — prova: "),
            "a tick without its proof: {line}"
        );
    }
    let gitleaks = repo.checklist_line("emergency-v6.gitleaks");
    assert_eq!(
        gitleaks,
        "- [ ] `emergency-v6.gitleaks` gitleaks limpo, relatório `gitleaks-post-rotation.json` anexado — **ignorado**: gitleaks não instalado"
    );
    let ops = repo.checklist_line("scheduled-v5.ops-controls");
    assert!(ops.starts_with("- [x] "), "{ops}");
    assert!(
        ops.contains("artifacts/scheduled-v5/ops-controls-report.json"),
        "{ops}"
    );
    // A step no one recorded is open, not ticked.
    assert!(
        readme.contains("- [ ] `scheduled-v5.new-key` Nova chave age"),
        "{readme}"
    );

    // A tick naming a file that is not attached, or a link not given: refused, nothing written.
    let before = repo.picture();
    for done in [
        "ops-controls=attach:not-attached.json",
        "ci=link:CI",
        "ops-controls=attach",
    ] {
        let out = repo.run(&[
            "--at",
            "2025-03-09T10:00:00Z",
            "record",
            "--kind",
            "audit",
            "--reason",
            "x",
            "--responsible",
            "A",
            "--done",
            done,
        ]);
        assert_eq!(out.code, 2, "{done}: {}", out.stderr);
        assert!(out.stderr.contains("checklist item"), "{}", out.stderr);
    }
    assert_eq!(repo.picture(), before);
}

#[test]
fn verify_names_an_edited_entry() {
    let (code, first) =
        verify_after(|repo| edit_log(repo, |l| l[1] = l[1].replace("Bruno Lima", "Bruno Lins")));
    assert_eq!(code, 1);
    assert_eq!(
        first,
        "problem [chain.hash-mismatch] entry `scheduled-v5` (line 2) does not match its hash: it was edited after it was recorded"
    );
}

#[test]
fn verify_names_an_edited_entry_whose_hash_was_recomputed() {
    let (code, first) = verify_after(|repo| {
        edit_log(repo, |l| {
            let mut log = EvidenceLog::parse(&(l.join("\n") + "\n")).unwrap();
            let mut entries = log.entries().to_vec();
            entries[1].execution.reason = Some("rotação antecipada".into());
            entries[1].hash = entries[1].compute_hash();
            log = EvidenceLog::parse(
                &entries
                    .iter()
                    .map(|e| e.to_line() + "\n")
                    .collect::<String>(),
            )
            .unwrap();
            *l = log.to_jsonl().lines().map(str::to_owned).collect();
        });
    });
    assert_eq!(code, 1);
    assert_eq!(
        first,
        "problem [chain.broken-link] entry `comms-INC-2025-031-20250305T140000Z` (line 3) does not chain to the line before it: that line was rewritten, or an entry was inserted or removed there"
    );
}

#[test]
fn verify_names_a_removed_entry() {
    let (code, first) = verify_after(|repo| edit_log(repo, |l| drop(l.remove(1))));
    assert_eq!(code, 1);
    assert_eq!(
        first,
        "problem [chain.entry-removed] entry `comms-INC-2025-031-20250305T140000Z` (line 2) is #3 but #2 was expected: entry #2 was removed before it"
    );
}

#[test]
fn verify_names_a_removed_last_entry() {
    let (code, first) = verify_after(|repo| edit_log(repo, |l| drop(l.pop())));
    assert_eq!(code, 1);
    assert_eq!(
        first,
        "problem [chain.entry-removed] README.md lists entry `audit-20250306T090000Z`, which is not in executions.jsonl: it was removed from the log"
    );
}

#[test]
fn verify_names_swapped_entries() {
    let (code, first) = verify_after(|repo| edit_log(repo, |l| l.swap(2, 3)));
    assert_eq!(code, 1);
    assert_eq!(
        first,
        "problem [chain.out-of-order] entry `comms-INC-2025-031-20250305T142500Z` (line 3) is #4 but #3 was expected: entries were reordered or one was inserted"
    );
}

#[test]
fn verify_names_an_inserted_entry() {
    let (code, first) = verify_after(|repo| {
        edit_log(repo, |l| {
            // A forged entry, hashed and chained correctly to line 1, slipped in as line 2.
            let log = EvidenceLog::parse(&(l[0].clone() + "\n")).unwrap();
            let mut forged = log.clone();
            let mut execution = log.entries()[0].execution.clone();
            execution.kind = Kind::Audit;
            execution.version_from = None;
            execution.version_to = None;
            execution.window_start = None;
            execution.id = execution.stable_id();
            forged.append(execution);
            l.insert(1, forged.entries()[1].to_line());
        });
    });
    assert_eq!(code, 1);
    assert_eq!(
        first,
        "problem [chain.out-of-order] entry `scheduled-v5` (line 3) is #2 but #3 was expected: entries were reordered or one was inserted"
    );
}

#[test]
fn verify_names_a_replaced_artifact() {
    let (code, first) = verify_after(|repo| {
        repo.write(
            &format!("{DIR}/artifacts/scheduled-v5/ops-controls-report.json"),
            REPORT_CLEAN,
        );
    });
    assert_eq!(code, 1);
    assert_eq!(
        first,
        "problem [artifact.mismatch] artifact `artifacts/scheduled-v5/ops-controls-report.json` of entry `scheduled-v5` was replaced: sha256 4a0c3befbf68 recorded, 74423d10af0e now"
    );
}

#[test]
fn verify_names_a_missing_artifact() {
    let (code, first) = verify_after(|repo| {
        fs_err::remove_file(repo.path(&format!(
            "{DIR}/artifacts/emergency-v6/gitleaks-post-rotation.json"
        )))
        .unwrap();
    });
    assert_eq!(code, 1);
    assert_eq!(
        first,
        "problem [artifact.missing] artifact `artifacts/emergency-v6/gitleaks-post-rotation.json` of entry `emergency-v6` is missing"
    );
}

#[test]
fn verify_names_a_hand_edited_markdown_block() {
    let (code, first) = verify_after(|repo| {
        let path = format!("{DIR}/runbooks-activation.md");
        repo.write(
            &path,
            &repo.read(&path).replace(
                "- **Motivo:** auditoria semanal",
                "- **Motivo:** auditoria mensal",
            ),
        );
    });
    assert_eq!(code, 1);
    assert_eq!(
        first,
        "problem [markdown.drift] runbooks-activation.md line 91: the `history` block differs from what the log records (edited by hand, or entries were removed from the log)"
    );
}

#[test]
fn verify_names_a_malformed_line() {
    let (code, first) = verify_after(|repo| edit_log(repo, |l| l[4] = l[4].replacen('{', "", 1)));
    assert_eq!(code, 1);
    assert!(
        first
            .starts_with("problem [log.malformed] line 5 of executions.jsonl is not a valid entry"),
        "{first}"
    );
}

#[test]
fn recording_onto_a_damaged_log_is_refused() {
    let repo = Repo::new();
    repo.record_sequence();
    edit_log(&repo, |l| l[1] = l[1].replace("Bruno Lima", "Bruno Lins"));
    let before = repo.picture();
    let outcome = repo.run(&[
        "--at",
        "2025-03-07T10:00:00Z",
        "record",
        "--kind",
        "audit",
        "--reason",
        "x",
        "--responsible",
        "Eva",
    ]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome
            .stderr
            .starts_with("error: the evidence log is damaged: entry `scheduled-v5` (line 2)"),
        "{}",
        outcome.stderr
    );
    assert_eq!(repo.picture(), before);
}

#[test]
fn comms_gap_of_an_open_incident_fails_verify() {
    let repo = Repo::initialized();
    repo.comms("2025-03-05T14:00:00Z", "INC-9", "atualização");
    repo.comms("2025-03-05T14:30:00Z", "INC-9", "atualização");
    // Exactly 30 minutes after the last update is still on cadence.
    assert_eq!(
        repo.run(&["--at", "2025-03-05T15:00:00Z", "verify"]).code,
        0
    );
    let late = repo.run(&["--at", "2025-03-05T15:01:00Z", "verify"]);
    assert_eq!(late.code, 1);
    assert_eq!(
        late.stdout.lines().next().unwrap(),
        "problem [comms.gap] incident INC-9: 31 minutes without a communication update between 2025-03-05T14:30:00Z and 2025-03-05T15:01:00Z (the cadence is 30 minutes)"
    );
    // A gap between two updates also counts while the incident is open.
    repo.comms("2025-03-05T15:20:00Z", "INC-9", "atualização");
    let between = repo.run(&["--at", "2025-03-05T15:25:00Z", "verify"]);
    assert_eq!(between.code, 1);
    assert!(
        between
            .stdout
            .starts_with("problem [comms.gap] incident INC-9: 50 minutes"),
        "{}",
        between.stdout
    );
    // The emergency rotation closes the incident: the gap becomes a note.
    let emergency = repo.record_emergency(&["--revoked", "github.token"]);
    assert_eq!(emergency.code, 0, "{}", emergency.stderr);
    let closed = repo.run(&["--at", "2025-03-09T00:00:00Z", "verify"]);
    assert_eq!(closed.code, 0, "{}", closed.stdout);
    assert_eq!(
        closed.stderr,
        "note: incident INC-9: 50 minutes without a communication update between 2025-03-05T14:30:00Z and 2025-03-05T15:20:00Z (the cadence is 30 minutes) (incident closed)\n"
    );
}

#[test]
fn bad_input_is_refused_with_exit_2_and_nothing_written() {
    let repo = Repo::new();
    repo.record_sequence();
    let before = repo.picture();
    let report = repo
        .path("reports/ops-controls-report.json")
        .display()
        .to_string();
    let missing = repo.path("reports/nao-existe.json").display().to_string();
    let dir_attachment = repo.path("reports").display().to_string();
    let cases: Vec<Vec<&str>> = vec![
        vec![
            "record",
            "--kind",
            "hotfix",
            "--reason",
            "x",
            "--responsible",
            "A",
        ],
        vec!["record", "--kind", "audit", "--reason", "x"],
        vec!["record", "--kind", "audit", "--responsible", "A"],
        vec![
            "record",
            "--kind",
            "audit",
            "--reason",
            "x",
            "--responsible",
            "A",
            "--responsible",
            "a",
        ],
        vec![
            "record",
            "--kind",
            "audit",
            "--reason",
            "x",
            "--responsible",
            "A",
            "--link",
            "CI=ci.example.com/runs/1",
        ],
        vec![
            "record",
            "--kind",
            "audit",
            "--reason",
            "x",
            "--responsible",
            "A",
            "--link",
            "CI",
        ],
        vec![
            "record",
            "--kind",
            "audit",
            "--reason",
            "x",
            "--responsible",
            "A",
            "--link",
            "CI=https://bot:tok@ci.example.com/",
        ],
        vec![
            "record",
            "--kind",
            "audit",
            "--reason",
            "x",
            "--responsible",
            "A",
            "--link",
            "CI=https://ci.example.com/a b",
        ],
        vec![
            "record",
            "--kind",
            "scheduled",
            "--reason",
            "x",
            "--responsible",
            "A",
            "--version-from",
            "6",
            "--version-to",
            "8",
        ],
        vec![
            "record",
            "--kind",
            "scheduled",
            "--reason",
            "x",
            "--responsible",
            "A",
            "--version-from",
            "6",
        ],
        vec![
            "record",
            "--kind",
            "scheduled",
            "--reason",
            "x",
            "--responsible",
            "A",
        ],
        vec![
            "record",
            "--kind",
            "scheduled",
            "--reason",
            "x",
            "--responsible",
            "A",
            "--version-from",
            "8",
            "--version-to",
            "9",
        ],
        vec![
            "record",
            "--kind",
            "scheduled",
            "--reason",
            "x",
            "--responsible",
            "A",
            "--version-from",
            "5",
            "--version-to",
            "6",
        ],
        vec![
            "record",
            "--kind",
            "emergency",
            "--reason",
            "x",
            "--responsible",
            "A",
            "B",
            "--version-from",
            "6",
            "--version-to",
            "7",
        ],
        vec![
            "record",
            "--kind",
            "emergency",
            "--reason",
            "x",
            "--responsible",
            "A",
            "--incident",
            "INC-1",
            "--version-from",
            "6",
            "--version-to",
            "7",
        ],
        vec![
            "record",
            "--kind",
            "emergency",
            "--reason",
            "x",
            "--responsible",
            "A",
            "B",
            "--incident",
            "INC 1",
            "--version-from",
            "6",
            "--version-to",
            "7",
        ],
        vec![
            "record",
            "--kind",
            "audit",
            "--reason",
            "x",
            "--responsible",
            "A",
            "--attach",
            &missing,
        ],
        vec![
            "record",
            "--kind",
            "audit",
            "--reason",
            "x",
            "--responsible",
            "A",
            "--attach",
            &dir_attachment,
        ],
        vec![
            "record",
            "--kind",
            "audit",
            "--reason",
            "x",
            "--responsible",
            "A",
            "--attach",
            &report,
            "--attach",
            &report,
        ],
        vec![
            "record",
            "--kind",
            "audit",
            "--reason",
            "x",
            "--responsible",
            "A",
            "--version-to",
            "7",
        ],
        vec![
            "record",
            "--kind",
            "plan",
            "--reason",
            "x",
            "--responsible",
            "A",
            "--version-from",
            "6",
            "--version-to",
            "7",
        ],
        vec![
            "record",
            "--kind",
            "plan",
            "--reason",
            "x",
            "--responsible",
            "A",
            "--window-start",
            "2025-03-01T00:00:00Z",
        ],
        vec![
            "record",
            "--kind",
            "audit",
            "--reason",
            "x",
            "--responsible",
            "A",
            "--window-start",
            "2025-03-09T00:00:00Z",
        ],
        vec![
            "record",
            "--kind",
            "audit",
            "--reason",
            "linha 1\nlinha 2",
            "--responsible",
            "A",
        ],
        vec![
            "--at",
            "2025-03-06T09:00:00Z",
            "record",
            "--kind",
            "audit",
            "--reason",
            "outra",
            "--responsible",
            "Eva Prado",
        ],
        vec![
            "--at",
            "2025-02-30T09:00:00Z",
            "record",
            "--kind",
            "audit",
            "--reason",
            "x",
            "--responsible",
            "A",
        ],
        vec!["comms", "--incident", "INC-2025-031", "--message", " "],
        vec![
            "record",
            "--kind",
            "audit",
            "--reason",
            "x",
            "--responsible",
            "A",
            "--done",
            "ops-controls",
        ],
        vec!["--dir", "nao/existe", "verify"],
        vec!["--dir", "nao/existe", "render"],
    ];
    let mut transcript = String::new();
    for args in &cases {
        // Every case runs at a fixed time unless it gives its own.
        let argv = if args[0] == "--at" {
            args.clone()
        } else {
            [&["--at", "2025-03-08T10:00:00Z"], args.as_slice()].concat()
        };
        let outcome = repo.run(&argv);
        assert_eq!(
            outcome.code,
            2,
            "{args:?}: {}",
            outcome.display(repo.root())
        );
        assert_eq!(repo.picture(), before, "{args:?} wrote something");
        let shown: Vec<String> = args
            .iter()
            .map(|a| {
                if a.contains(' ') || a.is_empty() {
                    format!("{a:?}")
                } else {
                    (*a).to_owned()
                }
            })
            .collect();
        let _ = writeln!(
            transcript,
            "$ evidence-writer {}\n{}",
            shown.join(" "),
            outcome.stderr.trim_end()
        );
    }
    insta::assert_snapshot!(
        "bad_input",
        transcript.replace(&repo.root().display().to_string(), "[REPO]")
    );
}

#[test]
fn summary_lists_executions_open_items_and_failing_controls() {
    let repo = Repo::new();
    repo.record_sequence();
    repo.comms("2025-03-06T11:00:00Z", "INC-2025-040", "atualização");
    let markdown = repo.ok(&[
        "--at",
        "2025-03-07T12:00:00Z",
        "summary",
        "--since",
        "2025-03-03",
    ]);
    insta::assert_snapshot!("summary_markdown", markdown.display(repo.root()));
    let json = repo.ok(&[
        "--at",
        "2025-03-07T12:00:00Z",
        "summary",
        "--since",
        "2025-03-03",
        "--format",
        "json",
    ]);
    insta::assert_snapshot!("summary_json", json.stdout);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        value["failing_controls"]["controls"][0]["id"],
        "workflows.top-level-permissions"
    );
    assert_eq!(value["failing_controls"]["entry"], "audit-20250306T090000Z");
    assert_eq!(value["current_version"], 6);
    assert_eq!(
        value["integrity"]["intact"], false,
        "the open incident INC-2025-040 is 60 minutes silent"
    );
}

#[test]
fn show_lists_the_executions_as_data() {
    let repo = Repo::new();
    repo.record_sequence();
    insta::assert_snapshot!("show_text", repo.ok(&["show"]).stdout);
    let json = repo.ok(&["show", "--json"]).stdout;
    insta::assert_snapshot!("show_json", json);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["schema_version"], 2);
    assert_eq!(value["executions"].as_array().unwrap().len(), 7);
    // Issue 12: each execution's checklist and an emergency's record are part of the data.
    let emergency = &value["executions"][5];
    assert_eq!(emergency["id"], "emergency-v6");
    assert_eq!(
        emergency["emergency"]["isolation"],
        "token revogado no GitHub; deploys suspensos"
    );
    assert_eq!(
        emergency["emergency"]["secrets"][1],
        serde_json::json!({"path": "database.password", "replaced": false, "acknowledged": "not-affected"})
    );
    assert_eq!(
        emergency["emergency"]["comms"],
        "comms-INC-2025-031-20250305T145000Z"
    );
    let items = emergency["checklist"].as_array().unwrap();
    let item = |id: &str| items.iter().find(|i| i["id"] == id).unwrap().clone();
    assert_eq!(item("gitleaks")["status"], "skipped");
    assert_eq!(item("gitleaks")["reason"], "gitleaks não instalado");
    assert_eq!(item("gitleaks")["proof"], serde_json::Value::Null);
    assert_eq!(
        item("isolation")["proof"],
        serde_json::json!({"type": "statement", "field": "isolation"})
    );
    let text = repo.ok(&["show"]).stdout;
    assert!(
        text.contains("     [ ] gitleaks: skipped: gitleaks não instalado\n"),
        "{text}"
    );
    assert!(
        text.contains("     isolation: stated: token revogado no GitHub"),
        "{text}"
    );
}

#[test]
fn plan_with_short_notice_is_recorded_with_a_warning() {
    let repo = Repo::initialized();
    let outcome = repo.ok(&[
        "--at",
        "2025-03-02T10:00:00Z",
        "record",
        "--kind",
        "plan",
        "--reason",
        "janela",
        "--responsible",
        "Ana",
        "--version-from",
        "1",
        "--version-to",
        "2",
        "--window-start",
        "2025-03-03T09:00:00Z",
    ]);
    assert_eq!(
        outcome.stderr,
        "warning: the window starts 23 h 0 min after the announcement; the runbook asks for at least 24 h, so rotation-guard will refuse this window\n"
    );
    let scheduled = repo.ok(&[
        "--at",
        "2025-03-03T10:00:00Z",
        "record",
        "--kind",
        "scheduled",
        "--reason",
        "janela",
        "--responsible",
        "Ana",
        "--version-from",
        "1",
        "--version-to",
        "2",
    ]);
    assert_eq!(scheduled.stderr, "");
    let log = EvidenceLog::load(&repo.evidence()).unwrap();
    assert_eq!(
        log.check_rotation(&repo.evidence(), 2)[0].code(),
        "rotation.short-notice"
    );
}

#[test]
fn source_date_epoch_fixes_the_time() {
    let repo = Repo::new();
    let root = repo.root().display().to_string();
    let cli = <evidence_writer::Cli as clap::Parser>::try_parse_from([
        "evidence-writer",
        "--repo",
        &root,
        "record",
        "--kind",
        "audit",
        "--reason",
        "semanal",
        "--responsible",
        "Eva",
    ])
    .unwrap();
    let cli = evidence_writer::Cli {
        source_date_epoch: Some("1741255200".into()),
        ..cli
    };
    evidence_writer::run(cli, &mut Vec::new(), &mut Vec::new()).unwrap();
    let log = EvidenceLog::load(&repo.evidence()).unwrap();
    assert_eq!(log.entries()[0].execution.id, "audit-20250306T100000Z");
}

/// Runs the fixed sequence, lets `tamper` change the evidence, and returns verify's output.
fn verify_after(tamper: impl FnOnce(&Repo)) -> (u8, String) {
    let repo = Repo::new();
    repo.record_sequence();
    tamper(&repo);
    let outcome = repo.run(&["--at", "2025-03-06T10:00:00Z", "verify"]);
    let first = outcome.stdout.lines().next().unwrap_or_default().to_owned();
    (outcome.code, first)
}

fn edit_log(repo: &Repo, edit: impl FnOnce(&mut Vec<String>)) {
    let path = format!("{DIR}/executions.jsonl");
    let mut lines: Vec<String> = repo.read(&path).lines().map(str::to_owned).collect();
    edit(&mut lines);
    repo.write(&path, &(lines.join("\n") + "\n"));
}

#[test]
fn this_repository_evidence_verifies_and_ticks_nothing_it_did_not_do() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = root.join(DIR);
    let report = evidence_writer::verify(&dir, bundle_core::time::Timestamp::now()).unwrap();
    assert_eq!(
        report.problems,
        vec![],
        "the repository's own evidence must verify"
    );
    let readme = fs_err::read_to_string(dir.join("README.md")).unwrap();
    let log = EvidenceLog::load(&dir).unwrap();
    if log.is_empty() {
        // No execution: the checklist block ticks nothing.
        assert!(!readme.contains("- [x]"), "{readme}");
        assert!(
            bundle_core::ops::evidence::checklist_items(&readme)
                .unwrap()
                .is_empty()
        );
    }
}

/// A complete ops-controls report with one failing check, in `schema_version` `version`.
fn controls_report(version: u32) -> String {
    format!(
        r#"{{"schema_version":{version},"tool":{{"name":"ops-controls","version":"0.1.0"}},
  "generated_at":"2025-03-06T08:00:00Z","repository":{{"commit":null}},
  "policy":{{"source":"built-in","severity_threshold":"medium"}},
  "summary":{{"total":2,"pass":1,"fail":1,"warn":0,"skip":0,"blocking":1,"passed":false}},
  "checks":[
    {{"id":"DOC-004","title":"Activation log has an entry for the current version","severity":"high","status":"fail","message":"no entry","locations":[]}},
    {{"id":"WF-001","title":"Workflows declare permissions","severity":"high","status":"pass","message":"ok","locations":[]}}
  ],
  "inventory":{{"bundle":null,"activation_versions":[],"workflow_secrets":[]}},
  "permissions":[]}}
"#
    )
}

fn summary_with_attached_report(report: &str) -> crate::common::Outcome {
    let repo = Repo::initialized();
    repo.write("reports/controls.json", report);
    let attach = repo.path("reports/controls.json").display().to_string();
    repo.ok(&[
        "--at",
        "2025-03-06T09:00:00Z",
        "record",
        "--kind",
        "audit",
        "--reason",
        "auditoria semanal",
        "--responsible",
        "Ana Souza",
        "--attach",
        &attach,
    ]);
    repo.run(&[
        "--at",
        "2025-03-07T12:00:00Z",
        "summary",
        "--format",
        "json",
    ])
}

#[test]
fn summary_reads_the_attached_report_through_its_type() {
    let outcome = summary_with_attached_report(&controls_report(1));
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let value: serde_json::Value = serde_json::from_str(&outcome.stdout).unwrap();
    assert_eq!(
        value["failing_controls"]["controls"],
        serde_json::json!([{
            "id": "DOC-004",
            "title": "Activation log has an entry for the current version"
        }])
    );
}

/// Issue 10: the summary used to read any `checks` array, whatever the report's version.
#[test]
fn summary_refuses_a_report_of_another_schema_version() {
    let outcome = summary_with_attached_report(&controls_report(2));
    assert_eq!(outcome.code, 2, "{}", outcome.stdout);
    assert_eq!(
        outcome.stderr,
        "error: artifacts/audit-20250306T090000Z/controls.json (attached to `audit-20250306T090000Z`) has report schema_version 2, this build reads version 1\nhint: attach a report written by this version of ops-controls, or use the evidence-writer of the same release\n"
    );
    assert_eq!(outcome.stdout, "");
}
