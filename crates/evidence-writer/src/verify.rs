//! `verify`: is the evidence what was recorded, and is an open incident being communicated?
//!
//! In order, the first problem first: the log's chain and the attached artifacts
//! (bundle-core's [`EvidenceLog::verify`]); the managed markdown blocks against a fresh
//! rendering of the log (this also catches entries removed from the end of the log, which
//! the chain alone cannot see, because the markdown still lists them); then communication
//! gaps longer than 30 minutes of incidents still open. Gaps of closed incidents are notes:
//! history to report, not a failure to fix.

use std::fmt;
use std::path::Path;

use bundle_core::ops::evidence::{EvidenceError, EvidenceLog, markdown};
use bundle_core::time::Timestamp;
use serde::Serialize;

use crate::Error;
use crate::files::{self, Paths};
use crate::incidents;
use crate::lang::Lang;
use crate::render::{self, EXECUTIONS_BLOCK, HISTORY_BLOCK};
use markdown::CHECKLIST_BLOCK;

/// One problem found, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable code (`chain.hash-mismatch`, `artifact.mismatch`, `markdown.drift`, `comms.gap`, ...).
    pub code: String,
    /// What is wrong, naming the entry, artifact or file.
    pub message: String,
}

impl Finding {
    /// Whether the evidence itself is damaged (the chain, an artifact, the markdown, a line of
    /// the log), as opposed to a finding about the process it records (a late communication
    /// update of an open incident, `comms.*`).
    pub fn is_damage(&self) -> bool {
        !self.code.starts_with("comms.")
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code, self.message)
    }
}

/// The result of `verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries in the log.
    pub entries: usize,
    /// Hash of the last entry.
    pub head: String,
    /// Artifacts whose hashes were checked.
    pub artifacts: usize,
    /// Problems, the first one first. Empty means the evidence is intact.
    pub problems: Vec<Finding>,
    /// Things to report that are not failures (gaps of closed incidents).
    pub notes: Vec<String>,
}

impl VerifyReport {
    /// True when nothing was found.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Verifies the evidence directory `dir`; `now` ends the silence of open incidents.
pub fn verify(dir: &Path, now: Timestamp) -> Result<VerifyReport, Error> {
    let paths = Paths::new(dir);
    paths.require_dir()?;
    let log = match EvidenceLog::load(dir) {
        Ok(log) => log,
        Err(EvidenceError::Malformed { line, message, .. }) => {
            return Ok(VerifyReport {
                entries: 0,
                head: String::new(),
                artifacts: 0,
                problems: vec![Finding {
                    code: "log.malformed".to_owned(),
                    message: format!(
                        "line {line} of executions.jsonl is not a valid entry ({message}): it was edited after it was recorded"
                    ),
                }],
                notes: Vec::new(),
            });
        }
        Err(e) => return Err(e.into()),
    };
    let mut problems: Vec<Finding> = log
        .verify(dir)
        .into_iter()
        .map(|p| Finding {
            code: p.code().to_owned(),
            message: p.to_string(),
        })
        .collect();
    for (path, block) in [
        (&paths.readme, EXECUTIONS_BLOCK),
        (&paths.readme, CHECKLIST_BLOCK),
        (&paths.activation, HISTORY_BLOCK),
    ] {
        if let Some(finding) = drift(path, block, &log)? {
            problems.push(finding);
        }
    }
    let mut notes = Vec::new();
    for gap in incidents::comms_gaps(&log, now) {
        if gap.open {
            problems.push(Finding {
                code: "comms.gap".to_owned(),
                message: gap.to_string(),
            });
        } else {
            notes.push(format!("{gap} (incident closed)"));
        }
    }
    Ok(VerifyReport {
        entries: log.len(),
        head: log.head().to_owned(),
        artifacts: log
            .entries()
            .iter()
            .map(|e| e.execution.artifacts.len())
            .sum(),
        problems,
        notes,
    })
}

fn drift(path: &Path, block: &str, log: &EvidenceLog) -> Result<Option<Finding>, Error> {
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let finding = |code: &str, message: String| {
        Ok(Some(Finding {
            code: code.to_owned(),
            message,
        }))
    };
    let Some(text) = files::read_optional(path)? else {
        return if log.is_empty() {
            Ok(None)
        } else {
            finding(
                "markdown.missing",
                format!(
                    "{file} is missing; it must list the {} recorded entries",
                    log.len()
                ),
            )
        };
    };
    let found = match markdown::find_block(&text, block) {
        Ok(found) => found,
        Err(e) => return finding("markdown.malformed", format!("{file}: {e}")),
    };
    let Some(found) = found else {
        return if log.is_empty() {
            Ok(None)
        } else {
            finding(
                "markdown.missing",
                format!(
                    "{file} has no `{block}` block; it must list the {} recorded entries",
                    log.len()
                ),
            )
        };
    };
    let actual = text[found.content.clone()].replace("\r\n", "\n");
    if let Some(id) = listed_ids(&actual)
        .into_iter()
        .find(|id| log.get(id).is_none())
    {
        return finding(
            "chain.entry-removed",
            format!(
                "{file} lists entry `{id}`, which is not in executions.jsonl: it was removed from the log"
            ),
        );
    }
    let lang = found
        .lang
        .as_deref()
        .and_then(Lang::from_code)
        .unwrap_or(Lang::Pt);
    let expected = match block {
        EXECUTIONS_BLOCK => render::executions_block(log, lang),
        CHECKLIST_BLOCK => render::checklist_block(log, lang),
        _ => render::history_block(log, lang),
    };
    if actual == expected {
        return Ok(None);
    }
    let differing = actual
        .lines()
        .zip(expected.lines())
        .take_while(|(a, b)| a == b)
        .count();
    finding(
        "markdown.drift",
        format!(
            "{file} line {}: the `{block}` block differs from what the log records (edited by hand, or entries were removed from the log)",
            found.line + 1 + differing
        ),
    )
}

/// The entry ids a rendered block refers to: the anchors of the history
/// (`<a id="ID"></a>`) and the links of the README table (`runbooks-activation.md#ID`).
fn listed_ids(content: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for line in content.lines() {
        if let Some(rest) = line.strip_prefix("<a id=\"") {
            ids.extend(rest.split('"').next().map(str::to_owned));
        }
        let mut rest = line;
        while let Some(at) = rest.find("runbooks-activation.md#") {
            rest = &rest[at + "runbooks-activation.md#".len()..];
            let end = rest.find(['>', ')', ' ']).unwrap_or(rest.len());
            ids.push(rest[..end].to_owned());
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_the_ids_a_block_lists() {
        let content = "<a id=\"plan-v2\"></a>\n| x | [A](<runbooks-activation.md#scheduled-v2>) | [B](<runbooks-activation.md#emergency-v3>) |\n";
        assert_eq!(
            super::listed_ids(content),
            vec!["plan-v2", "scheduled-v2", "emergency-v3"]
        );
    }
}
