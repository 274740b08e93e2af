//! Whether an execution earned the checklist items its kind requires (issue 12).
//!
//! An item is earned when the execution's checklist has it `done` and its proof holds *now*:
//! an attached file exists in the evidence directory with the sha256 recorded, another entry
//! named as proof is in the log before it, a link or a hash is well formed (the entry's field
//! rules). ops-controls' DOC-003 applies this to the latest execution of each kind, and
//! `xtask rotate`/`audit` to the execution they just recorded, so the rule is written once.
//! What must stay true: a skipped item, a missing item and a proof that does not hold are
//! each reported, never counted as earned.

use std::fmt;
use std::path::Path;

use super::super::entry::{Entry, ItemStatus, Proof, sha256_hex};
use super::EvidenceLog;

/// Why a required item is not earned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unearned {
    /// The execution has no such item.
    Missing {
        /// The item id.
        item: String,
    },
    /// The item was skipped.
    Skipped {
        /// The item id.
        item: String,
        /// The reason recorded.
        reason: String,
    },
    /// The item is done but its proof does not hold.
    BadProof {
        /// The item id.
        item: String,
        /// What is wrong with the proof.
        why: String,
    },
}

impl Unearned {
    /// The item id.
    pub fn item(&self) -> &str {
        match self {
            Self::Missing { item } | Self::Skipped { item, .. } | Self::BadProof { item, .. } => {
                item
            }
        }
    }
}

impl fmt::Display for Unearned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { item } => write!(f, "item `{item}` was not done by any step"),
            Self::Skipped { item, reason } => write!(f, "item `{item}` was skipped: {reason}"),
            Self::BadProof { item, why } => write!(f, "item `{item}`: {why}"),
        }
    }
}

impl EvidenceLog {
    /// The required items `entry` did not earn, in the order of `required`. Items whose id is
    /// in `earned_elsewhere` count as earned (the ops-controls report being produced for an
    /// execution not yet appended proves that execution's `ops-controls` item).
    pub fn unearned(
        &self,
        entry: &Entry,
        dir: &Path,
        required: &[String],
        earned_elsewhere: &[&str],
    ) -> Vec<Unearned> {
        let e = &entry.execution;
        let mut out = Vec::new();
        for id in required {
            let Some(item) = e.item(id) else {
                if !earned_elsewhere.contains(&id.as_str()) {
                    out.push(Unearned::Missing { item: id.clone() });
                }
                continue;
            };
            if item.status == ItemStatus::Skipped {
                out.push(Unearned::Skipped {
                    item: id.clone(),
                    reason: item.reason.clone().unwrap_or_default(),
                });
                continue;
            }
            if let Err(why) = self.proof_holds(entry, item.proof.as_ref(), dir) {
                out.push(Unearned::BadProof {
                    item: id.clone(),
                    why,
                });
            }
        }
        out
    }

    fn proof_holds(&self, entry: &Entry, proof: Option<&Proof>, dir: &Path) -> Result<(), String> {
        let e = &entry.execution;
        if let Err(error) = e.check_fields() {
            return Err(format!("the entry breaks a rule: {error}"));
        }
        match proof {
            None => Err("done without a proof".to_owned()),
            Some(Proof::Artifact { path, sha256 }) => {
                let artifact = e
                    .artifacts
                    .iter()
                    .find(|a| &a.path == path)
                    .ok_or_else(|| format!("{path} is not attached to the entry"))?;
                let file = artifact
                    .resolve(dir)
                    .ok_or_else(|| format!("{path} is not a safe relative path"))?;
                match fs_err::read(&file) {
                    Ok(bytes) if &sha256_hex(&bytes) == sha256 => Ok(()),
                    Ok(_) => Err(format!("{path} does not have the recorded sha256")),
                    Err(_) => Err(format!("{path} is missing")),
                }
            }
            Some(Proof::Entry { id }) => {
                let position = self.entries.iter().position(|x| std::ptr::eq(x, entry));
                let before = &self.entries[..position.unwrap_or(self.entries.len())];
                if before.iter().any(|x| &x.execution.id == id) {
                    Ok(())
                } else {
                    Err(format!(
                        "the entry `{id}` it names is not recorded before it"
                    ))
                }
            }
            // Checked with the entry's fields above: the statement is in its own record.
            Some(
                Proof::Link { .. }
                | Proof::Recipient { .. }
                | Proof::Bundle { .. }
                | Proof::Statement { .. },
            ) => Ok(()),
        }
    }
}
