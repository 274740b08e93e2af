//! The labels of the rendered markdown, in Portuguese (as the runbook names them) or English.
//!
//! Only the words change with the language; the structure, the order and the data do not, so
//! the same log renders to the same layout in both.

use bundle_core::ops::evidence::Kind;

/// The language of the rendered markdown labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Portuguese, the runbook's language (default).
    Pt,
    /// English.
    En,
}

impl Lang {
    /// The code written in block markers (`lang=pt`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Pt => "pt",
            Self::En => "en",
        }
    }

    /// The language of a marker's `lang=` code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "pt" => Some(Self::Pt),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    pub(crate) fn labels(self) -> &'static Labels {
        match self {
            Self::Pt => &PT,
            Self::En => &EN,
        }
    }
}

/// Every word the renderers print.
pub(crate) struct Labels {
    pub(crate) scheduled: &'static str,
    pub(crate) emergency: &'static str,
    pub(crate) audit: &'static str,
    pub(crate) plan: &'static str,
    pub(crate) comms: &'static str,
    pub(crate) when: &'static str,
    pub(crate) execution: &'static str,
    pub(crate) version: &'static str,
    pub(crate) responsible: &'static str,
    pub(crate) reason: &'static str,
    pub(crate) incident: &'static str,
    pub(crate) window_start: &'static str,
    pub(crate) notice: &'static str,
    pub(crate) message: &'static str,
    pub(crate) links: &'static str,
    pub(crate) artifacts: &'static str,
    pub(crate) entry: &'static str,
    pub(crate) hash: &'static str,
    pub(crate) previous: &'static str,
    pub(crate) no_executions: &'static str,
    pub(crate) chain_entries: &'static str,
    pub(crate) chain_last_hash: &'static str,
    pub(crate) readme_heading: &'static str,
    pub(crate) history_heading: &'static str,
    // Summary.
    pub(crate) summary_title: &'static str,
    pub(crate) period: &'static str,
    pub(crate) to: &'static str,
    pub(crate) executions_in_period: &'static str,
    pub(crate) versions: &'static str,
    pub(crate) current_version: &'static str,
    pub(crate) rotations_in_period: &'static str,
    pub(crate) open_items: &'static str,
    pub(crate) checklist: &'static str,
    pub(crate) open_incidents: &'static str,
    pub(crate) last_update: &'static str,
    pub(crate) comms_gaps: &'static str,
    pub(crate) minutes_without_update: &'static str,
    pub(crate) failing_controls: &'static str,
    pub(crate) report: &'static str,
    pub(crate) no_report: &'static str,
    pub(crate) integrity: &'static str,
    pub(crate) intact: &'static str,
    pub(crate) entries: &'static str,
    pub(crate) entry_one: &'static str,
    pub(crate) problems_found: &'static str,
    pub(crate) none: &'static str,
}

impl Labels {
    /// "1 entrada", "3 entradas".
    pub(crate) fn count_entries(&self, n: usize) -> String {
        format!("{n} {}", if n == 1 { self.entry_one } else { self.entries })
    }

    pub(crate) fn kind(&self, kind: Kind) -> &'static str {
        match kind {
            Kind::Scheduled => self.scheduled,
            Kind::Emergency => self.emergency,
            Kind::Audit => self.audit,
            Kind::Plan => self.plan,
            Kind::Comms => self.comms,
        }
    }
}

static PT: Labels = Labels {
    scheduled: "Rotação programada",
    emergency: "Rotação emergencial",
    audit: "Auditoria",
    plan: "Planejamento de janela",
    comms: "Comunicação do incidente",
    when: "Data/hora (UTC)",
    execution: "Execução",
    version: "Versão",
    responsible: "Responsáveis",
    reason: "Motivo",
    incident: "Incidente/alerta",
    window_start: "Início da janela",
    notice: "Antecedência",
    message: "Mensagem",
    links: "Links",
    artifacts: "Artefatos",
    entry: "Entrada",
    hash: "Hash",
    previous: "anterior",
    no_executions: "_Nenhuma execução registrada._",
    chain_entries: "Cadeia de evidências: {n} em `executions.jsonl`",
    chain_last_hash: "hash da última entrada",
    readme_heading: "Execuções registradas",
    history_heading: "Histórico de execuções",
    summary_title: "Resumo semanal de auditoria — TASK-OPS-302",
    period: "Período",
    to: "a",
    executions_in_period: "Execuções no período",
    versions: "Versões",
    current_version: "Versão atual do bundle (última rotação registrada)",
    rotations_in_period: "Rotações no período",
    open_items: "Itens em aberto",
    checklist: "Checklist OPS-302",
    open_incidents: "Incidentes abertos",
    last_update: "última comunicação",
    comms_gaps: "Lacunas de comunicação (> 30 min)",
    minutes_without_update: "min sem atualização",
    failing_controls: "Controles com falha",
    report: "relatório",
    no_report: "nenhum relatório de controles anexado",
    integrity: "Integridade das evidências",
    intact: "cadeia íntegra e artefatos conferidos",
    entries: "entradas",
    entry_one: "entrada",
    problems_found: "problemas encontrados",
    none: "nenhum",
};

static EN: Labels = Labels {
    scheduled: "Scheduled rotation",
    emergency: "Emergency rotation",
    audit: "Audit",
    plan: "Window plan",
    comms: "Incident update",
    when: "Date/time (UTC)",
    execution: "Execution",
    version: "Version",
    responsible: "Responsible",
    reason: "Reason",
    incident: "Incident/alert",
    window_start: "Window start",
    notice: "Notice",
    message: "Message",
    links: "Links",
    artifacts: "Artifacts",
    entry: "Entry",
    hash: "Hash",
    previous: "previous",
    no_executions: "_No executions recorded._",
    chain_entries: "Evidence chain: {n} in `executions.jsonl`",
    chain_last_hash: "hash of the last entry",
    readme_heading: "Recorded executions",
    history_heading: "Execution history",
    summary_title: "Weekly audit summary — TASK-OPS-302",
    period: "Period",
    to: "to",
    executions_in_period: "Executions in the period",
    versions: "Versions",
    current_version: "Current bundle version (last recorded rotation)",
    rotations_in_period: "Rotations in the period",
    open_items: "Open items",
    checklist: "OPS-302 checklist",
    open_incidents: "Open incidents",
    last_update: "last update",
    comms_gaps: "Communication gaps (> 30 min)",
    minutes_without_update: "min without an update",
    failing_controls: "Failing controls",
    report: "report",
    no_report: "no controls report attached",
    integrity: "Evidence integrity",
    intact: "chain intact and artifacts checked",
    entries: "entries",
    entry_one: "entry",
    problems_found: "problems found",
    none: "none",
};
