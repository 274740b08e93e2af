//! The runbook's rules the evidence of a rotation must meet.
//!
//! A rotation to version `n` needs a scheduled or emergency entry with valid fields and
//! intact artifacts, and a scheduled one needs a `plan` recorded at least
//! [`MIN_PLAN_NOTICE_SECS`] before its window. The rule is written once, here: rotation-guard
//! applies it to a recorded rotation ([`EvidenceLog::check_rotation`]), the rotation's
//! preflight in xtask to the one about to happen ([`EvidenceLog::plan_for_next_rotation`]),
//! and evidence-writer's tests check what it records against it, so these stay in bundle-core
//! although one tool's code calls each.

use std::path::Path;

use super::super::entry::{Entry, Kind};
use super::verify::artifact_problems;
use super::{EvidenceLog, Problem};

/// The least notice a scheduled window needs (runbook: pelo menos 24 h de antecedência).
pub const MIN_PLAN_NOTICE_SECS: i64 = 24 * 3600;

impl EvidenceLog {
    /// What the evidence must show for a rotation to bundle `version`: a scheduled or
    /// emergency entry with valid fields (emergency: incident and ≥ 2 people), its artifacts
    /// present with matching hashes, and for a scheduled one a `plan` entry announced at least
    /// [`MIN_PLAN_NOTICE_SECS`] before its window start. Empty means the evidence is complete.
    pub fn check_rotation(&self, dir: &Path, version: u64) -> Vec<Problem> {
        let Some(entry) = self.entry_for_version(version) else {
            return vec![Problem::NoEntryForVersion { version }];
        };
        let mut problems = Vec::new();
        let line = self.line_of(entry);
        if let Err(error) = entry.execution.check_fields() {
            problems.push(Problem::InvalidEntry {
                line,
                id: entry.execution.id.clone(),
                error,
            });
        }
        problems.extend(artifact_problems(entry, dir));
        if entry.execution.kind == Kind::Scheduled
            && let Err(problem) =
                self.plan_notice(line.saturating_sub(1), &entry.execution.id, version)
        {
            problems.push(problem);
        }
        problems
    }

    /// The plan that covers a scheduled rotation to `version` that is not recorded yet (the
    /// preflight of a rotation), under the same rule as [`EvidenceLog::check_rotation`]: the
    /// latest `plan` entry for that version (or for any) with at least
    /// [`MIN_PLAN_NOTICE_SECS`] between its recording and its window start.
    pub fn plan_for_next_rotation(&self, version: u64) -> Result<&Entry, Problem> {
        self.plan_notice(self.entries.len(), &format!("upcoming v{version}"), version)
    }

    /// The notice rule, for a rotation recorded after the first `before` entries.
    fn plan_notice(
        &self,
        before: usize,
        rotation_id: &str,
        version: u64,
    ) -> Result<&Entry, Problem> {
        let plan = self.entries[..before.min(self.entries.len())]
            .iter()
            .rev()
            .find(|e| {
                e.execution.kind == Kind::Plan
                    && e.execution.version_to.is_none_or(|v| v == version)
            });
        let Some(plan) = plan else {
            return Err(Problem::MissingPlan {
                id: rotation_id.to_owned(),
                version,
            });
        };
        let notice = plan.execution.notice_seconds().unwrap_or(i64::MIN);
        if notice < MIN_PLAN_NOTICE_SECS {
            return Err(Problem::ShortNotice {
                id: rotation_id.to_owned(),
                plan_id: plan.execution.id.clone(),
                notice_secs: notice,
            });
        }
        Ok(plan)
    }

    fn line_of(&self, entry: &Entry) -> usize {
        self.entries
            .iter()
            .position(|e| std::ptr::eq(e, entry))
            .map_or(0, |i| i + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{plan, rotation, sample};
    use super::*;

    #[test]
    fn plan_for_next_rotation_applies_the_notice_rule_before_recording() {
        let mut log = EvidenceLog::new();
        assert_eq!(
            log.plan_for_next_rotation(2).unwrap_err().code(),
            "rotation.missing-plan"
        );
        log.append(plan("2025-01-02T20:00:00Z", "2025-01-03T09:00:00Z", 2));
        let short = log.plan_for_next_rotation(2).unwrap_err();
        assert_eq!(short.code(), "rotation.short-notice");
        assert!(short.to_string().contains("only 13 h 0 min"), "{short}");
        log.append(plan("2025-01-01T09:00:00Z", "2025-01-03T09:00:00Z", 2));
        assert_eq!(
            log.plan_for_next_rotation(2).unwrap().execution.version_to,
            Some(2)
        );
        // A plan for another version does not count.
        assert_eq!(
            log.plan_for_next_rotation(3).unwrap_err().code(),
            "rotation.missing-plan"
        );
        // The rule is the one check_rotation applies after the rotation is recorded.
        log.append(rotation(Kind::Scheduled, "2025-01-03T10:00:00Z", 2));
        assert!(log.check_rotation(Path::new("."), 2).is_empty());
    }

    #[test]
    fn rotation_requirements() {
        let dir = tempfile::tempdir().unwrap();
        let log = sample();
        assert_eq!(log.check_rotation(dir.path(), 2), vec![]);
        assert_eq!(log.check_rotation(dir.path(), 3), vec![]);
        assert_eq!(
            log.check_rotation(dir.path(), 4),
            vec![Problem::MissingPlan {
                id: "scheduled-v4".into(),
                version: 4
            }]
        );
        assert_eq!(
            log.check_rotation(dir.path(), 5),
            vec![Problem::NoEntryForVersion { version: 5 }]
        );

        let mut short = EvidenceLog::new();
        short.append(plan("2025-01-02T10:00:00Z", "2025-01-03T09:00:00Z", 2));
        short.append(rotation(Kind::Scheduled, "2025-01-03T10:00:00Z", 2));
        let problems = short.check_rotation(dir.path(), 2);
        assert_eq!(
            problems,
            vec![Problem::ShortNotice {
                id: "scheduled-v2".into(),
                plan_id: "plan-v2".into(),
                notice_secs: 23 * 3600
            }]
        );
        assert!(
            problems[0].to_string().contains("only 23 h 0 min"),
            "{}",
            problems[0]
        );
    }
}
