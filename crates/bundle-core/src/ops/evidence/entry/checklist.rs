//! An execution's own checklist: which runbook items the steps of that execution did, each
//! with its proof, and which were skipped and why (issue 12).
//!
//! A [`CheckItem`] is written by the step that did the work: `done` with a [`Proof`] (a
//! file attached to the same execution and its sha256, a link, the id of another entry of
//! the log, the recipient or bundle hash the step produced), or `skipped` with the reason
//! (`gitleaks não instalado`). There is no third state and no way to say "done" without a
//! proof. The items are part of the entry's canonical bytes (schema 2), so ticking one after
//! the fact breaks the chain.
//!
//! [`CATALOG`] names the items this toolkit knows, with their labels, and which kinds they
//! belong to; what a kind *requires* is policy (ops-controls' `documents.checklist_required`,
//! defaults in [`default_required`]). Ids outside the catalog are accepted (a team's own
//! step) and shown by id. What must stay true: an item is earned only when it is `done`, its
//! proof is well formed and, for an attached file, the file is one of the execution's
//! artifacts with the same sha256 ([`Execution::check_fields`] enforces that part).

use serde::{Deserialize, Serialize};

use super::{Execution, Kind};

/// The item the ops-controls report of an execution proves (`ops-controls-report.json`).
pub const OPS_CONTROLS_ITEM: &str = "ops-controls";

/// An emergency's isolation ("Isolamento"), proved by the responsible's statement in the
/// entry's emergency record.
pub const ISOLATION_ITEM: &str = "isolation";

/// An emergency's decision for every secret (replaced, revoked or not affected), proved by
/// the entry's emergency record.
pub const REVOCATION_ITEM: &str = "revocation";

/// One item of an execution's checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckItem {
    /// Stable id (`gitleaks`, `plan`, ...): lowercase letters, digits and `-`.
    pub id: String,
    /// Done (with its proof) or skipped (with its reason).
    pub status: ItemStatus,
    /// What proves it was done (`done` only).
    pub proof: Option<Proof>,
    /// Why it was not done (`skipped` only).
    pub reason: Option<String>,
}

impl CheckItem {
    /// An item done, with its proof.
    pub fn done(id: &str, proof: Proof) -> Self {
        Self {
            id: id.to_owned(),
            status: ItemStatus::Done,
            proof: Some(proof),
            reason: None,
        }
    }

    /// An item skipped, with the reason.
    pub fn skipped(id: &str, reason: impl Into<String>) -> Self {
        Self {
            id: id.to_owned(),
            status: ItemStatus::Skipped,
            proof: None,
            reason: Some(reason.into()),
        }
    }

    /// True when the item is done (its proof is checked by [`Execution::check_fields`]).
    pub fn is_done(&self) -> bool {
        self.status == ItemStatus::Done
    }

    /// The label of the catalog item (Portuguese, or English with `english`), else the id.
    pub fn label(&self, english: bool) -> &str {
        catalog_item(&self.id).map_or(self.id.as_str(), |c| if english { c.en } else { c.pt })
    }
}

/// Whether an item was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemStatus {
    /// Done, with a proof.
    Done,
    /// Not done, with a reason.
    Skipped,
}

/// What proves an item was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum Proof {
    /// A file attached to the same execution (its path inside the evidence directory must be
    /// one of the execution's artifacts, with the same sha256).
    Artifact {
        /// Path relative to the evidence directory.
        path: String,
        /// Lowercase hex sha256 of the file.
        sha256: String,
    },
    /// A link given with the execution (CI run, PR).
    Link {
        /// The link's label (one of the execution's links).
        label: String,
        /// The URL.
        url: String,
    },
    /// Another entry of the log (the plan that announced the window, a comms entry).
    Entry {
        /// Its stable id; it must be recorded before this execution.
        id: String,
    },
    /// The new age recipient the step generated (its public key, now in `.sops.yaml`).
    Recipient {
        /// `age1...`.
        recipient: String,
    },
    /// The bundle the step wrote or checked, by the sha256 of its bytes at that moment.
    Bundle {
        /// Lowercase hex sha256 of `config/secrets.enc.yaml` as the step left it.
        sha256: String,
    },
    /// A statement of the responsible people recorded in this same entry's emergency
    /// record (`isolation`: what they did to isolate; `secrets`: every secret's decision);
    /// the entry must hold that statement.
    Statement {
        /// The record's field (`isolation` or `secrets`).
        field: String,
    },
}

/// An item this toolkit knows: its id, labels and the kinds whose executions carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogItem {
    /// Stable id.
    pub id: &'static str,
    /// Portuguese label.
    pub pt: &'static str,
    /// English label.
    pub en: &'static str,
    /// The kinds whose checklists have it.
    pub kinds: &'static [Kind],
}

const ROTATIONS: &[Kind] = &[Kind::Scheduled, Kind::Emergency];

/// The items this toolkit knows, in the order they are shown.
pub const CATALOG: &[CatalogItem] = &[
    CatalogItem {
        id: "plan",
        pt: "Janela anunciada com pelo menos 24 h de antecedência (entrada `plan`)",
        en: "Window announced at least 24 h ahead (`plan` entry)",
        kinds: &[Kind::Scheduled],
    },
    CatalogItem {
        id: ISOLATION_ITEM,
        pt: "Isolamento: tokens revogados nos provedores e dependentes suspensos",
        en: "Isolation: tokens revoked at the providers, dependants suspended",
        kinds: &[Kind::Emergency],
    },
    CatalogItem {
        id: REVOCATION_ITEM,
        pt: "Cada segredo com valor novo ou revogação/não afetado confirmado",
        en: "Every secret has a new value or a confirmed revocation/not affected",
        kinds: &[Kind::Emergency],
    },
    CatalogItem {
        id: "new-key",
        pt: "Nova chave age entregue fora do repositório; só a pública em `.sops.yaml`",
        en: "New age key delivered outside the repository; only the public key in `.sops.yaml`",
        kinds: ROTATIONS,
    },
    CatalogItem {
        id: "bundle",
        pt: "Bundle recifrado: nova chave de dados, `MCP_SECRETS_VERSION` + 1, motivo no cabeçalho",
        en: "Bundle re-encrypted: new data key, `MCP_SECRETS_VERSION` + 1, reason in the header",
        kinds: ROTATIONS,
    },
    CatalogItem {
        id: "old-key-refused",
        pt: "A chave substituída não decifra mais o bundle",
        en: "The replaced key no longer decrypts the bundle",
        kinds: ROTATIONS,
    },
    CatalogItem {
        id: "secrets-sync",
        pt: "`secrets-sync` com a chave nova (arquivos `600`)",
        en: "`secrets-sync` with the new key (`600` files)",
        kinds: ROTATIONS,
    },
    CatalogItem {
        id: OPS_CONTROLS_ITEM,
        pt: "Relatório do `ops-controls` anexado",
        en: "`ops-controls` report attached",
        kinds: &[Kind::Scheduled, Kind::Emergency, Kind::Audit],
    },
    CatalogItem {
        id: "gitleaks",
        pt: "gitleaks limpo, relatório `gitleaks-post-rotation.json` anexado",
        en: "gitleaks clean, `gitleaks-post-rotation.json` attached",
        kinds: ROTATIONS,
    },
    CatalogItem {
        id: "scan-leaks",
        pt: "`rotation-guard scan-leaks`: nenhum valor do bundle na árvore",
        en: "`rotation-guard scan-leaks`: no bundle value in the tree",
        kinds: ROTATIONS,
    },
    CatalogItem {
        id: "comms",
        pt: "Comunicação do incidente registrada (`comms`)",
        en: "Incident communication recorded (`comms`)",
        kinds: &[Kind::Emergency],
    },
    CatalogItem {
        id: "ci",
        pt: "Link da execução no CI",
        en: "Link to the CI run",
        kinds: ROTATIONS,
    },
    CatalogItem {
        id: "compare",
        pt: "Relatório comparado com o anterior, sem regressões",
        en: "Report compared with the previous one, no regression",
        kinds: &[Kind::Audit],
    },
    CatalogItem {
        id: "verify",
        pt: "`evidence-writer verify` sem problemas",
        en: "`evidence-writer verify` without problems",
        kinds: &[Kind::Audit],
    },
];

/// The catalog item with this id.
pub fn catalog_item(id: &str) -> Option<&'static CatalogItem> {
    CATALOG.iter().find(|c| c.id == id)
}

/// The kinds that carry a checklist (the executions of the runbook; plan and comms are
/// themselves proofs of other executions' items).
pub const CHECKLIST_KINDS: [Kind; 3] = [Kind::Scheduled, Kind::Emergency, Kind::Audit];

/// The items a kind requires when the policy does not say: what the toolkit's own steps
/// earn on every run (`gitleaks` included: the runbook asks for its report; a team without
/// gitleaks says so in its policy). An emergency requires its isolation to have been stated
/// and every secret decided (the runbook's "Isolamento" comes first); its communication is
/// not required, since it may still be pending when the rotation is recorded.
pub fn default_required(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Scheduled => &[
            "plan",
            "new-key",
            "bundle",
            "secrets-sync",
            OPS_CONTROLS_ITEM,
            "gitleaks",
            "scan-leaks",
        ],
        Kind::Emergency => &[
            ISOLATION_ITEM,
            REVOCATION_ITEM,
            "new-key",
            "bundle",
            "secrets-sync",
            OPS_CONTROLS_ITEM,
            "gitleaks",
            "scan-leaks",
        ],
        Kind::Audit => &[OPS_CONTROLS_ITEM],
        Kind::Plan | Kind::Comms => &[],
    }
}

fn is_item_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 40
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl Execution {
    /// The checklist item with this id.
    pub fn item(&self, id: &str) -> Option<&CheckItem> {
        self.checklist.iter().find(|i| i.id == id)
    }

    /// The checklist's rules: only scheduled, emergency and audit carry one; ids are unique
    /// and well formed; `done` has a proof and no reason, `skipped` a reason and no proof;
    /// an artifact proof is one of this execution's artifacts (same path, same sha256), a
    /// link proof one of its links, a bundle hash is a sha256.
    pub(super) fn check_checklist(&self) -> Result<(), super::FieldError> {
        use super::FieldError::InvalidItem;
        if !self.checklist.is_empty() && !CHECKLIST_KINDS.contains(&self.kind) {
            return Err(super::FieldError::ChecklistNotAllowed { kind: self.kind });
        }
        for (i, item) in self.checklist.iter().enumerate() {
            let bad = |reason: &'static str| InvalidItem {
                id: item.id.clone(),
                reason,
            };
            if !is_item_id(&item.id) {
                return Err(bad(
                    "the id must be 1 to 40 lowercase letters, digits or `-`",
                ));
            }
            if self.checklist[..i].iter().any(|o| o.id == item.id) {
                return Err(bad("the item is listed twice"));
            }
            match (item.status, &item.proof, &item.reason) {
                (ItemStatus::Done, Some(proof), None) => self.check_proof(proof).map_err(bad)?,
                (ItemStatus::Skipped, None, Some(reason)) => {
                    super::fields::check_text("checklist reason", reason, 200)?;
                }
                (ItemStatus::Done, ..) => {
                    return Err(bad("a done item needs a proof and no reason"));
                }
                (ItemStatus::Skipped, ..) => {
                    return Err(bad("a skipped item needs a reason and no proof"));
                }
            }
        }
        Ok(())
    }

    fn check_proof(&self, proof: &Proof) -> Result<(), &'static str> {
        match proof {
            Proof::Artifact { path, sha256 } => {
                if self
                    .artifacts
                    .iter()
                    .any(|a| &a.path == path && &a.sha256 == sha256)
                {
                    Ok(())
                } else {
                    Err("its file is not one of the execution's artifacts with that sha256")
                }
            }
            Proof::Link { label, url } => {
                if self
                    .links
                    .iter()
                    .any(|l| &l.label == label && &l.url == url)
                {
                    Ok(())
                } else {
                    Err("its link is not one of the execution's links")
                }
            }
            Proof::Entry { id } => {
                if is_entry_id(id) && id != &self.id {
                    Ok(())
                } else {
                    Err("its entry id is not a valid id of another entry")
                }
            }
            Proof::Recipient { recipient } => {
                if recipient.starts_with("age1")
                    && recipient.len() <= 100
                    && recipient.bytes().all(|b| b.is_ascii_alphanumeric())
                {
                    Ok(())
                } else {
                    Err("its recipient is not an age recipient (age1...)")
                }
            }
            Proof::Bundle { sha256 } => {
                if super::fields::is_sha256_hex(sha256) {
                    Ok(())
                } else {
                    Err("its bundle hash is not a lowercase sha256")
                }
            }
            Proof::Statement { field } => match &self.emergency {
                Some(record) if record.states(field) => Ok(()),
                Some(_) => Err("the entry's emergency record does not hold that statement"),
                None => Err("a statement proof needs the entry's emergency record"),
            },
        }
    }
}

fn is_entry_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 120
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}
