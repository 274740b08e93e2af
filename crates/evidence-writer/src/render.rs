//! Markdown rendered from the log: the "Execuções registradas" block of `README.md`, the
//! history block of `runbooks-activation.md`, and the templates of both files.
//!
//! Rendering is a pure function of the log and the language (no clock, no paths), so
//! `verify` can render again and compare: a managed block that differs from its rendering
//! was edited by hand, or the log lost entries. Text that came from people is escaped so it
//! can neither break a table nor forge a block marker.

use std::fmt::Write as _;

use bundle_core::ops::evidence::{
    ACTIVATION_FILE, Acknowledgment, EmergencyRecord, Entry, EvidenceLog, Kind, markdown,
};

use crate::lang::Lang;

/// Name of the managed block in `README.md` listing the executions.
pub(crate) const EXECUTIONS_BLOCK: &str = "executions";
/// Name of the managed block in `runbooks-activation.md` with the history.
pub(crate) const HISTORY_BLOCK: &str = "history";

/// Escapes text for markdown: markdown punctuation with a backslash, HTML with entities.
pub(crate) fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
    out
}

fn link(label: &str, target: &str) -> String {
    format!("[{}](<{target}>)", md(label))
}

pub(crate) fn versions(entry: &Entry) -> Option<String> {
    match (entry.execution.version_from, entry.execution.version_to) {
        (Some(from), Some(to)) => Some(format!("v{from} → v{to}")),
        _ => None,
    }
}

pub(crate) fn duration(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let secs = secs.unsigned_abs();
    format!("{sign}{} h {} min", secs / 3600, secs % 3600 / 60)
}

fn or_none(value: &str) -> &str {
    if value.is_empty() { "—" } else { value }
}

pub(crate) fn people(entry: &Entry) -> String {
    entry
        .execution
        .responsible
        .iter()
        .map(|n| md(n))
        .collect::<Vec<_>>()
        .join(", ")
}

fn links(entry: &Entry) -> String {
    entry
        .execution
        .links
        .iter()
        .map(|l| link(&l.label, &l.url))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The content of the README block: a table of executions (comms updates are in the
/// history only) and the chain's size and head.
pub(crate) fn executions_block(log: &EvidenceLog, lang: Lang) -> String {
    let l = lang.labels();
    let rows: Vec<&Entry> = log
        .entries()
        .iter()
        .filter(|e| e.execution.kind != Kind::Comms)
        .collect();
    let mut out = String::new();
    if rows.is_empty() {
        out.push_str(l.no_executions);
        out.push('\n');
    } else {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            l.when, l.execution, l.version, l.responsible, l.incident, l.links
        );
        out.push_str("| --- | --- | --- | --- | --- | --- |\n");
        for entry in rows {
            let e = &entry.execution;
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                e.recorded_at,
                link(l.kind(e.kind), &format!("{ACTIVATION_FILE}#{}", e.id)),
                versions(entry).unwrap_or_else(|| "—".to_owned()),
                or_none(&people(entry)),
                e.incident.as_deref().map_or_else(|| "—".to_owned(), md),
                or_none(&links(entry)),
            );
        }
    }
    if !log.is_empty() {
        let _ = writeln!(
            out,
            "\n{}; {}: `{}`.",
            l.chain_entries.replace("{n}", &l.count_entries(log.len())),
            l.chain_last_hash,
            log.head()
        );
    }
    out
}

/// The content of the history block: one section per entry, in log order, with every field
/// and the entry's hash and previous hash.
pub(crate) fn history_block(log: &EvidenceLog, lang: Lang) -> String {
    let l = lang.labels();
    if log.is_empty() {
        return format!("{}\n", l.no_executions);
    }
    let mut out = String::new();
    for (i, entry) in log.entries().iter().enumerate() {
        let e = &entry.execution;
        if i > 0 {
            out.push('\n');
        }
        let subject = match e.kind {
            Kind::Comms => e.incident.as_deref().map(md),
            _ => versions(entry),
        };
        let _ = writeln!(out, "<a id=\"{}\"></a>", e.id);
        let _ = writeln!(
            out,
            "### {} — {}{}\n",
            e.recorded_at,
            l.kind(e.kind),
            subject.map(|s| format!(" {s}")).unwrap_or_default()
        );
        let _ = writeln!(out, "- **{}:** `{}` (#{})", l.entry, e.id, entry.seq);
        if e.kind != Kind::Comms || !e.responsible.is_empty() {
            let _ = writeln!(out, "- **{}:** {}", l.responsible, or_none(&people(entry)));
        }
        if let Some(reason) = &e.reason {
            let _ = writeln!(out, "- **{}:** {}", l.reason, md(reason));
        }
        if e.kind != Kind::Comms {
            let _ = writeln!(
                out,
                "- **{}:** {}",
                l.incident,
                e.incident.as_deref().map_or_else(|| "—".to_owned(), md)
            );
        }
        if let Some(window) = e.window_start {
            let _ = writeln!(out, "- **{}:** {}", l.window_start, window);
            let _ = writeln!(
                out,
                "- **{}:** {}",
                l.notice,
                duration(e.notice_seconds().unwrap_or_default())
            );
        }
        if let Some(message) = &e.message {
            let _ = writeln!(out, "- **{}:** {}", l.message, md(message));
        }
        if let Some(record) = &e.emergency {
            emergency_lines(&mut out, record, e.incident.as_deref(), lang);
        }
        let _ = writeln!(out, "- **{}:** {}", l.links, or_none(&links(entry)));
        if e.artifacts.is_empty() {
            let _ = writeln!(out, "- **{}:** —", l.artifacts);
        } else {
            let _ = writeln!(out, "- **{}:**", l.artifacts);
            for artifact in &e.artifacts {
                let _ = writeln!(
                    out,
                    "  - {} — sha256 `{}`",
                    link(artifact.file_name(), &artifact.path),
                    artifact.sha256
                );
            }
        }
        let _ = writeln!(
            out,
            "- **{}:** `{}` ({}: `{}`)",
            l.hash, entry.hash, l.previous, entry.prev
        );
    }
    out
}

/// An emergency's statements: isolation as stated (or "not stated"), each secret and what
/// became of it, and the communication recorded with it (or "pending", with the command).
fn emergency_lines(out: &mut String, record: &EmergencyRecord, incident: Option<&str>, lang: Lang) {
    let pt = lang == Lang::Pt;
    let (isolation, not_stated, secrets, comms) = if pt {
        ("Isolamento", "não declarado", "Segredos", "Comunicação")
    } else {
        ("Isolation", "not stated", "Secrets", "Communication")
    };
    let stated = record
        .isolation
        .as_deref()
        .map_or_else(|| not_stated.to_owned(), md);
    let _ = writeln!(out, "- **{isolation}:** {stated}");
    let _ = writeln!(out, "- **{secrets}:**");
    for secret in &record.secrets {
        let mut what = Vec::new();
        if secret.replaced {
            what.push(if pt { "valor novo" } else { "new value" });
        }
        match secret.acknowledged {
            Some(Acknowledgment::Revoked) => what.push(if pt {
                "revogado no provedor (declarado)"
            } else {
                "revoked at the provider (stated)"
            }),
            Some(Acknowledgment::NotAffected) => what.push(if pt {
                "não afetado (declarado)"
            } else {
                "not affected (stated)"
            }),
            None => {}
        }
        let _ = writeln!(out, "  - {}: {}", md(&secret.path), what.join("; "));
    }
    if let Some(id) = &record.comms {
        let _ = writeln!(out, "- **{comms}:** {}", link(id, &format!("#{id}")));
    } else {
        let command = format!(
            "evidence-writer comms --incident {} --message \"<texto publicado>\"",
            incident.unwrap_or("<ID>")
        );
        let pending = if pt { "pendente" } else { "pending" };
        let _ = writeln!(out, "- **{comms}:** {pending} (`{command}`)");
    }
}

fn block(name: &str, lang: Lang, content: &str) -> String {
    format!(
        "{}\n{content}{}\n",
        markdown::begin_marker(name, Some(lang.code())),
        markdown::end_marker(name)
    )
}

/// A new `README.md`: introduction, the OPS-302 checklist, and the executions block.
pub(crate) fn readme_template(log: &EvidenceLog, lang: Lang) -> String {
    let (title, intro, checklist_heading) = match lang {
        Lang::Pt => (
            "# Evidências — TASK-OPS-302",
            "Evidências da iniciativa OPS-ACT-301 / TASK-OPS-302, conforme o runbook de gestão de segredos MCP.\n\
             Os trechos entre marcadores `evidence-writer` são mantidos pela ferramenta: o checklist é marcado com\n\
             `evidence-writer check ID` e a lista de execuções é gerada a partir de `executions.jsonl` (cadeia de\n\
             hashes sha256; confira com `evidence-writer verify`). O restante deste arquivo é texto livre e é\n\
             preservado como está.",
            "## Checklist OPS-302",
        ),
        Lang::En => (
            "# Evidence — TASK-OPS-302",
            "Evidence of the OPS-ACT-301 / TASK-OPS-302 initiative, following the MCP secrets management runbook.\n\
             The parts between `evidence-writer` markers are maintained by the tool: checklist items are marked\n\
             with `evidence-writer check ID` and the list of executions is rendered from `executions.jsonl` (a\n\
             sha256 hash chain; check it with `evidence-writer verify`). Everything else in this file is free text\n\
             and is kept as it is.",
            "## OPS-302 checklist",
        ),
    };
    format!(
        "{title}\n\n{intro}\n\n{checklist_heading}\n\n{}\n## {}\n\n{}",
        block(markdown::CHECKLIST_BLOCK, lang, &checklist(lang))
            .replace(&format!(" lang={}", lang.code()), ""),
        lang.labels().readme_heading,
        block(EXECUTIONS_BLOCK, lang, &executions_block(log, lang)),
    )
}

/// A new `runbooks-activation.md`: introduction, a free-text notes section, and the history.
pub(crate) fn activation_template(log: &EvidenceLog, lang: Lang) -> String {
    let (title, intro, notes) = match lang {
        Lang::Pt => (
            "# Histórico de ativação dos runbooks — TASK-OPS-302",
            "Cada execução do runbook de gestão de segredos MCP com data/hora (UTC), responsáveis, motivo\n\
             (auditoria, incidente ou requisito legal), ID do alerta ou incidente e links para CI, relatórios e PRs.\n\
             Cada entrada traz o hash sha256 do seu registro em `executions.jsonl` e o do registro anterior;\n\
             `evidence-writer verify` recalcula a cadeia e os hashes dos artefatos anexados.",
            "## Notas de mudança\n\nTexto livre: acrescente aqui notas sobre as mudanças; a ferramenta não altera esta seção.",
        ),
        Lang::En => (
            "# Runbook activation history — TASK-OPS-302",
            "Every execution of the MCP secrets management runbook with date/time (UTC), people responsible, reason\n\
             (audit, incident or legal requirement), alert or incident id and links to CI runs, reports and PRs.\n\
             Each entry shows the sha256 hash of its record in `executions.jsonl` and that of the record before it;\n\
             `evidence-writer verify` recomputes the chain and the hashes of the attached artifacts.",
            "## Change notes\n\nFree text: add notes about the changes here; the tool does not touch this section.",
        ),
    };
    format!(
        "{title}\n\n{intro}\n\n{notes}\n\n## {}\n\n{}",
        lang.labels().history_heading,
        block(HISTORY_BLOCK, lang, &history_block(log, lang)),
    )
}

/// The OPS-302 checklist of a new README: the runbook's sections, one stable id per item.
pub(crate) fn checklist(lang: Lang) -> String {
    let sections: &[(&str, &[(&str, &str)])] = match lang {
        Lang::Pt => CHECKLIST_PT,
        Lang::En => CHECKLIST_EN,
    };
    let mut out = String::new();
    for (i, (heading, items)) in sections.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "### {heading}\n");
        for (id, text) in *items {
            let _ = writeln!(out, "- [ ] `{id}` {text}");
        }
    }
    out
}

type Checklist = &'static [(&'static str, &'static [(&'static str, &'static str)])];

const CHECKLIST_PT: Checklist = &[
    (
        "Rotação programada",
        &[
            (
                "OPS302-PROG-01",
                "Janela alinhada com o Incident Commander e comunicada em `#mcp-ops` com pelo menos 24 h de antecedência (`record --kind plan`).",
            ),
            (
                "OPS302-PROG-02",
                "Nova chave *age* gerada: a chave privada está só no cofre e apenas a chave pública foi versionada em `.sops.yaml`.",
            ),
            (
                "OPS302-PROG-03",
                "Bundle atualizado: tokens expirados substituídos, `MCP_SECRETS_VERSION` incrementado e motivo documentado no cabeçalho.",
            ),
            (
                "OPS302-PROG-04",
                "Pipelines validados: `secrets-sync` com permissões `600` e `ops-controls-report.json` gerado nesta pasta.",
            ),
            (
                "OPS302-PROG-05",
                "PR aberto com o relatório, os diffs cifrados e este checklist; dupla revisão (SecOps + Engenharia) antes do merge.",
            ),
            (
                "OPS302-PROG-06",
                "Execução registrada neste README e histórico atualizado em `runbooks-activation.md`.",
            ),
        ],
    ),
    (
        "Rotação emergencial",
        &[
            (
                "OPS302-EMERG-01",
                "Acionamento conforme o fluxo de severidade do playbook de incidentes de segredos.",
            ),
            (
                "OPS302-EMERG-02",
                "Tokens revogados nos provedores MCP antes de alterar o bundle; deploys e workflows dependentes suspensos quando necessário.",
            ),
            (
                "OPS302-EMERG-03",
                "Bundle reconstruído com nova chave *age*, `.sops.yaml` atualizado, `MCP_SECRETS_VERSION` incrementado e incidente anotado.",
            ),
            (
                "OPS302-EMERG-04",
                "Validação cruzada: relatórios de `ops-controls` e do gitleaks registrados nesta pasta.",
            ),
            (
                "OPS302-EMERG-05",
                "Atualizações publicadas em `#mcp-incident` a cada 30 minutos até a rotação estar concluída e verificada (`comms`).",
            ),
            (
                "OPS302-EMERG-06",
                "Resumo entregue à Auditoria Operacional e links de execução incluídos em \"Execuções registradas\".",
            ),
        ],
    ),
    (
        "Validação pós-rotação",
        &[
            (
                "OPS302-VAL-01",
                "Jobs `security` (gitleaks) e `ops_compliance` (ops-controls) verdes.",
            ),
            (
                "OPS302-VAL-02",
                "`gitleaks-post-rotation.json` gerado novamente nesta pasta.",
            ),
            (
                "OPS302-VAL-03",
                "Os workflows não retêm `~/.config/sops/age/keys.txt` após o step de sincronização.",
            ),
            (
                "OPS302-VAL-04",
                "`runbooks-activation.md` atualizado com data/hora, responsáveis e links para CI, relatórios e PRs.",
            ),
            (
                "OPS302-VAL-05",
                "Auditoria Operacional notificada da rotação concluída.",
            ),
        ],
    ),
    (
        "Auditoria contínua",
        &[
            (
                "OPS302-AUD-01",
                "Checklist de Auditoria Operacional executado logo após a rotação.",
            ),
            (
                "OPS302-AUD-02",
                "Playbook de incidentes de segredos com as lições aprendidas mais recentes e matrizes de contato atualizadas.",
            ),
            (
                "OPS302-AUD-03",
                "`ops-controls-report.json` comparado com a versão anterior, sem regressões de permissões ou de inventário.",
            ),
            (
                "OPS302-AUD-04",
                "Auditoria registrada neste README com os arquivos anexados e as execuções referenciadas (`record --kind audit`).",
            ),
        ],
    ),
    (
        "Comunicação e evidências",
        &[
            (
                "OPS302-COM-01",
                "Checklists concluídos marcados neste README e PR correspondente vinculado.",
            ),
            (
                "OPS302-COM-02",
                "Notas de mudança registradas em `runbooks-activation.md` com o ID do alerta ou o motivo (auditoria, incidente, requisito legal).",
            ),
            (
                "OPS302-COM-03",
                "Resumo compartilhado no relatório semanal de auditoria (`evidence-writer summary`).",
            ),
        ],
    ),
];

const CHECKLIST_EN: Checklist = &[
    (
        "Scheduled rotation",
        &[
            (
                "OPS302-PROG-01",
                "Window agreed with the Incident Commander and announced in `#mcp-ops` at least 24 h ahead (`record --kind plan`).",
            ),
            (
                "OPS302-PROG-02",
                "New *age* key generated: the private key is only in the vault and only the public key is versioned in `.sops.yaml`.",
            ),
            (
                "OPS302-PROG-03",
                "Bundle updated: expired tokens replaced, `MCP_SECRETS_VERSION` incremented and the reason stated in the header.",
            ),
            (
                "OPS302-PROG-04",
                "Pipelines validated: `secrets-sync` with mode `600` and `ops-controls-report.json` generated in this folder.",
            ),
            (
                "OPS302-PROG-05",
                "PR opened with the report, the encrypted diffs and this checklist; two reviews (SecOps + Engineering) before merging.",
            ),
            (
                "OPS302-PROG-06",
                "Execution recorded in this README and history updated in `runbooks-activation.md`.",
            ),
        ],
    ),
    (
        "Emergency rotation",
        &[
            (
                "OPS302-EMERG-01",
                "Triggered following the severity flow of the secrets incident playbook.",
            ),
            (
                "OPS302-EMERG-02",
                "Tokens revoked at the MCP providers before changing the bundle; dependent deploys and workflows suspended when needed.",
            ),
            (
                "OPS302-EMERG-03",
                "Bundle rebuilt with a new *age* key, `.sops.yaml` updated, `MCP_SECRETS_VERSION` incremented and the incident noted.",
            ),
            (
                "OPS302-EMERG-04",
                "Cross-validation: `ops-controls` and gitleaks reports recorded in this folder.",
            ),
            (
                "OPS302-EMERG-05",
                "Updates posted in `#mcp-incident` every 30 minutes until the rotation is done and verified (`comms`).",
            ),
            (
                "OPS302-EMERG-06",
                "Summary handed to Operational Audit and execution links added under \"Recorded executions\".",
            ),
        ],
    ),
    (
        "Post-rotation validation",
        &[
            (
                "OPS302-VAL-01",
                "Jobs `security` (gitleaks) and `ops_compliance` (ops-controls) green.",
            ),
            (
                "OPS302-VAL-02",
                "`gitleaks-post-rotation.json` generated again in this folder.",
            ),
            (
                "OPS302-VAL-03",
                "Workflows do not keep `~/.config/sops/age/keys.txt` after the sync step.",
            ),
            (
                "OPS302-VAL-04",
                "`runbooks-activation.md` updated with date/time, people responsible and links to CI runs, reports and PRs.",
            ),
            (
                "OPS302-VAL-05",
                "Operational Audit notified that the rotation is complete.",
            ),
        ],
    ),
    (
        "Continuous audit",
        &[
            (
                "OPS302-AUD-01",
                "Operational Audit checklist run right after the rotation.",
            ),
            (
                "OPS302-AUD-02",
                "Secrets incident playbook holds the latest lessons learned and the contact matrices are up to date.",
            ),
            (
                "OPS302-AUD-03",
                "`ops-controls-report.json` compared with the previous one, with no regression in permissions or inventory.",
            ),
            (
                "OPS302-AUD-04",
                "Audit recorded in this README with the attached files and the executions referenced (`record --kind audit`).",
            ),
        ],
    ),
    (
        "Communication and evidence",
        &[
            (
                "OPS302-COM-01",
                "Completed checklists marked in this README and the corresponding PR linked.",
            ),
            (
                "OPS302-COM-02",
                "Change notes recorded in `runbooks-activation.md` with the alert id or the reason (audit, incident, legal requirement).",
            ),
            (
                "OPS302-COM-03",
                "Summary shared in the weekly audit report (`evidence-writer summary`).",
            ),
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markdown_and_html() {
        assert_eq!(
            md("a|b <!-- x --> [l](u) *y* `c` #1 & \\"),
            "a\\|b &lt;!-- x --&gt; \\[l\\](u) \\*y\\* \\`c\\` #1 &amp; \\\\"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(duration(86_400 + 90), "24 h 1 min");
        assert_eq!(duration(-3600), "-1 h 0 min");
    }

    #[test]
    fn checklist_ids_are_unique_and_the_same_in_both_languages() {
        let pt = bundle_core::ops::evidence::checklist_items(&readme_template(
            &EvidenceLog::new(),
            Lang::Pt,
        ))
        .unwrap();
        let en = bundle_core::ops::evidence::checklist_items(&readme_template(
            &EvidenceLog::new(),
            Lang::En,
        ))
        .unwrap();
        assert_eq!(pt.len(), 24);
        assert_eq!(
            pt.iter().map(|i| &i.id).collect::<Vec<_>>(),
            en.iter().map(|i| &i.id).collect::<Vec<_>>()
        );
        assert!(pt.iter().all(|i| !i.checked));
    }
}
