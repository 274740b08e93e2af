//! RG-013: the evidence log is intact, and continues the base's log.
//!
//! The hash chain shows an entry edited, removed, reordered or inserted; each earlier entry's
//! attached files must still match. What the chain alone cannot show, the loss of the last
//! entries or a log rewritten from scratch, the base revision can: every entry of the log at
//! the base must still be there, unchanged, in the same place. Problems with the rotation's
//! own entry are left to RG-010 to RG-012.

use bundle_core::ops::evidence::Problem;

use super::{Outcome, Rule};
use crate::check::Context;

pub(super) const RULE: Rule = Rule {
    id: "RG-013",
    title: "the evidence log is intact and extends the base's log",
    needs_keys: false,
    integrity: false,
    run,
};

fn run(cx: &Context) -> Outcome {
    let log = match &cx.evidence {
        Ok(log) => log,
        Err(message) => return Outcome::fail(format!("cannot read the evidence log: {message}")),
    };
    let own_id = cx
        .entry()
        .filter(|_| cx.is_rotation())
        .map(|e| e.execution.id.clone());
    let mut problems: Vec<String> = log
        .verify(&cx.evidence_dir)
        .into_iter()
        .filter(|p| {
            let own = own_id.is_some() && p.entry_id() == own_id.as_deref();
            !(own
                && (matches!(p, Problem::InvalidEntry { .. }) || p.code().starts_with("artifact.")))
        })
        .map(|p| p.to_string())
        .collect();
    match &cx.base_evidence {
        Some(Ok(base)) => {
            for (i, entry) in base.entries().iter().enumerate() {
                if log.entries().get(i) != Some(entry) {
                    problems.push(format!(
                        "entry `{}` (line {}) of the base's log was changed or removed",
                        entry.execution.id,
                        i + 1
                    ));
                }
            }
        }
        Some(Err(message)) => {
            problems.push(format!("cannot read the base's evidence log: {message}"));
        }
        None => {}
    }
    if problems.is_empty() {
        let anchored = if cx.base_evidence.is_some() {
            ", extending the base's log"
        } else {
            ""
        };
        Outcome::pass(format!(
            "{} entr(ies), hash chain intact{anchored}",
            log.len()
        ))
    } else {
        Outcome::fail_with("the evidence log was altered", problems)
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testutil::*;

    #[test]
    fn passes_on_an_appended_log() {
        assert_eq!(
            pass(&outcome(&rotated(&Rotation::scheduled()), "RG-013")),
            "3 entr(ies), hash chain intact, extending the base's log"
        );
    }

    #[test]
    fn fails_on_an_edited_entry() {
        let repo = rotated(&Rotation::scheduled());
        let log = format!("{EVIDENCE}/executions.jsonl");
        repo.write(
            &log,
            &repo.read(&log).replace("weekly audit", "weekly audits"),
        );
        let outcome = outcome(&repo, "RG-013");
        assert_eq!(fail(&outcome), "the evidence log was altered");
        assert!(
            outcome.details[0].contains("does not match its hash"),
            "{:?}",
            outcome.details
        );
    }

    #[test]
    fn fails_on_a_log_rewritten_from_scratch() {
        let repo = Repo::new();
        repo.write(&format!("{EVIDENCE}/executions.jsonl"), "");
        repo.rotate(&Rotation::scheduled());
        let outcome = outcome(&repo, "RG-013");
        assert_eq!(fail(&outcome), "the evidence log was altered");
        assert!(
            outcome
                .details
                .iter()
                .any(|d| d.contains("of the base's log was changed or removed")),
            "{:?}",
            outcome.details
        );
    }
}
