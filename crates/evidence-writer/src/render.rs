//! Markdown rendered from the log: the "Execuções registradas" block of `README.md`, the
//! history block of `runbooks-activation.md`, and the templates of both files.
//!
//! Rendering is a pure function of the log and the language (no clock, no paths), so
//! `verify` can render again and compare: a managed block that differs from its rendering
//! was edited by hand, or the log lost entries. Text that came from people is escaped so it
//! can neither break a table nor forge a block marker.

use std::fmt::Write as _;

use bundle_core::ops::evidence::{
    ACTIVATION_FILE, Acknowledgment, CATALOG, CHECKLIST_KINDS, EmergencyRecord, Entry, EvidenceLog,
    Execution, ISOLATION_FIELD, Kind, Proof, SECRETS_FIELD, markdown,
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
             Os trechos entre marcadores `evidence-writer` são mantidos pela ferramenta a partir de\n\
             `executions.jsonl` (cadeia de hashes sha256; confira com `evidence-writer verify`): o checklist mostra,\n\
             para a última execução de cada tipo, os itens que os próprios passos marcaram, cada um com a sua prova\n\
             (relatório e sha256, link, entrada), e os ignorados com o motivo. O restante deste arquivo é texto livre\n\
             e é preservado como está.",
            "## Checklist OPS-302",
        ),
        Lang::En => (
            "# Evidence — TASK-OPS-302",
            "Evidence of the OPS-ACT-301 / TASK-OPS-302 initiative, following the MCP secrets management runbook.\n\
             The parts between `evidence-writer` markers are rendered by the tool from `executions.jsonl` (a sha256\n\
             hash chain; check it with `evidence-writer verify`): the checklist shows, for the latest execution of\n\
             each kind, the items its own steps ticked, each with its proof (report and sha256, link, entry), and the\n\
             skipped ones with their reason. Everything else in this file is free text and is kept as it is.",
            "## OPS-302 checklist",
        ),
    };
    format!(
        "{title}\n\n{intro}\n\n{checklist_heading}\n\n{}\n## {}\n\n{}",
        block(markdown::CHECKLIST_BLOCK, lang, &checklist_block(log, lang)),
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

/// The OPS-302 checklist block of `README.md`: for each kind that carries a checklist, the
/// latest execution's items as its steps recorded them (issue 12). A done item is `[x]` with
/// its proof; a skipped one is `[ ]` with **ignorado** and the reason; an item of the kind's
/// catalog that no step recorded is `[ ]` "não registrado". Nothing is ticked here that the
/// log does not hold with a proof. Item ids are `<entry id>.<item id>`, unique in the block.
pub(crate) fn checklist_block(log: &EvidenceLog, lang: Lang) -> String {
    let en = lang == Lang::En;
    let mut out = String::new();
    for kind in CHECKLIST_KINDS {
        let title = match (kind, en) {
            (Kind::Scheduled, false) => "Rotação programada",
            (Kind::Scheduled, true) => "Scheduled rotation",
            (Kind::Emergency, false) => "Rotação emergencial",
            (Kind::Emergency, true) => "Emergency rotation",
            (_, false) => "Auditoria contínua",
            (_, true) => "Continuous audit",
        };
        let latest = log
            .entries()
            .iter()
            .rev()
            .find(|e| e.execution.kind == kind);
        let Some(entry) = latest else {
            let none = if en {
                "_No execution recorded._"
            } else {
                "_Nenhuma execução registrada._"
            };
            let _ = write!(out, "### {title}\n\n{none}\n\n");
            continue;
        };
        let e = &entry.execution;
        let _ = write!(
            out,
            "### {title}: {} ({})\n\n",
            link(&e.id, &format!("{ACTIVATION_FILE}#{}", e.id)),
            e.recorded_at
        );
        if entry.schema_version < 2 {
            let old = if en {
                "_Recorded before per-execution checklists (schema 1): no item recorded._"
            } else {
                "_Registrada antes dos checklists por execução (schema 1): nenhum item registrado._"
            };
            let _ = write!(out, "{old}\n\n");
            continue;
        }
        for line in checklist_lines(entry, lang) {
            out.push_str(&line);
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

/// The task-list lines of one execution's checklist: the catalog items of its kind in catalog
/// order (recorded or not), then the items outside the catalog in the order recorded. Shared
/// by the README block and the PR body (`xtask rotate --commit`).
pub fn checklist_lines(entry: &Entry, lang: Lang) -> Vec<String> {
    let e = &entry.execution;
    let en = lang == Lang::En;
    let mut ids: Vec<&str> = CATALOG
        .iter()
        .filter(|c| c.kinds.contains(&e.kind))
        .map(|c| c.id)
        .collect();
    for item in &e.checklist {
        if !ids.contains(&item.id.as_str()) {
            ids.push(&item.id);
        }
    }
    ids.into_iter()
        .map(|id| {
            let key = format!("{}.{id}", e.id);
            match e.item(id) {
                Some(item) if item.is_done() => format!(
                    "- [x] `{key}` {} — {}: {}",
                    item.label(en),
                    if en { "proof" } else { "prova" },
                    item.proof
                        .as_ref()
                        .map_or_else(String::new, |p| proof(p, e, en))
                ),
                Some(item) => format!(
                    "- [ ] `{key}` {} — **{}**: {}",
                    item.label(en),
                    if en { "skipped" } else { "ignorado" },
                    md(item.reason.as_deref().unwrap_or_default())
                ),
                None => format!(
                    "- [ ] `{key}` {} — {}",
                    bundle_core::ops::evidence::catalog_item(id).map_or(id, |c| if en {
                        c.en
                    } else {
                        c.pt
                    }),
                    if en {
                        "not recorded"
                    } else {
                        "não registrado"
                    }
                ),
            }
        })
        .collect()
}

fn proof(proof: &Proof, e: &Execution, en: bool) -> String {
    let short = |sha: &str| sha.get(..12).unwrap_or(sha).to_owned();
    match proof {
        Proof::Artifact { path, sha256 } => {
            format!("{} (sha256 `{}`)", link(path, path), short(sha256))
        }
        Proof::Link { label, url } => link(label, url),
        Proof::Entry { id } => format!(
            "{} {}",
            if en { "entry" } else { "entrada" },
            link(id, &format!("{ACTIVATION_FILE}#{id}"))
        ),
        Proof::Recipient { recipient } => format!(
            "{} `{}`",
            if en { "recipient" } else { "destinatário" },
            md(recipient)
        ),
        Proof::Bundle { sha256 } => format!("bundle sha256 `{}`", short(sha256)),
        Proof::Statement { field } => statement(field, e, en),
    }
}

/// A statement of the entry's emergency record, as it was recorded: the isolation text, or
/// the count of each decision over the bundle's secrets.
fn statement(field: &str, e: &Execution, en: bool) -> String {
    let Some(record) = &e.emergency else {
        return md(field);
    };
    if field == ISOLATION_FIELD
        && let Some(text) = &record.isolation
    {
        return format!(
            "{} «{}»",
            if en {
                "statement of the responsible people"
            } else {
                "declaração dos responsáveis"
            },
            md(text)
        );
    }
    if field == SECRETS_FIELD {
        let count = |f: &dyn Fn(&bundle_core::ops::evidence::SecretDisposition) -> bool| {
            record.secrets.iter().filter(|s| f(s)).count()
        };
        let replaced = count(&|s| s.replaced);
        let revoked = count(&|s| s.acknowledged == Some(Acknowledgment::Revoked));
        let not_affected = count(&|s| s.acknowledged == Some(Acknowledgment::NotAffected));
        return if en {
            format!(
                "decision recorded for {} secret(s): {replaced} replaced, {revoked} revoked, {not_affected} not affected",
                record.secrets.len()
            )
        } else {
            format!(
                "decisão registrada para {} segredo(s): {replaced} substituído(s), {revoked} revogado(s), {not_affected} não afetado(s)",
                record.secrets.len()
            )
        };
    }
    md(field)
}

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
        // A new README ticks nothing: no execution, no item.
        assert!(pt.is_empty());
        let text = readme_template(&EvidenceLog::new(), Lang::Pt);
        assert!(text.contains("_Nenhuma execução registrada._"), "{text}");
        assert!(!text.contains("[x]"), "{text}");
    }
}
