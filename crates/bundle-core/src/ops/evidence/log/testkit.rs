//! Test support: executions of each kind and a small intact log.
#![allow(clippy::unwrap_used)]

use super::super::entry::{Execution, Kind};
use super::EvidenceLog;
use crate::time::Timestamp;

pub(super) fn at(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

pub(super) fn execution(kind: Kind, time: &str) -> Execution {
    let mut e = Execution::new(kind, at(time));
    e.written_at = Some(at(time));
    e.responsible = vec!["Ana".into(), "Bruno".into()];
    if kind != Kind::Comms {
        e.reason = Some("motivo".into());
    }
    e
}

pub(super) fn rotation(kind: Kind, time: &str, to: u64) -> Execution {
    let mut e = execution(kind, time);
    e.version_from = Some(to - 1);
    e.version_to = Some(to);
    if kind == Kind::Emergency {
        e.incident = Some("INC-1".into());
    }
    e.id = e.stable_id();
    e
}

pub(super) fn plan(time: &str, window: &str, to: u64) -> Execution {
    let mut e = execution(Kind::Plan, time);
    e.window_start = Some(at(window));
    e.version_from = Some(to - 1);
    e.version_to = Some(to);
    e.id = e.stable_id();
    e
}

pub(super) fn sample() -> EvidenceLog {
    let mut log = EvidenceLog::new();
    log.append(plan("2025-01-01T09:00:00Z", "2025-01-03T09:00:00Z", 2));
    log.append(rotation(Kind::Scheduled, "2025-01-03T10:00:00Z", 2));
    log.append(rotation(Kind::Emergency, "2025-01-05T10:00:00Z", 3));
    log.append(rotation(Kind::Scheduled, "2025-01-08T10:00:00Z", 4));
    log
}

pub(super) fn lines(log: &EvidenceLog) -> Vec<String> {
    log.to_jsonl().lines().map(str::to_owned).collect()
}

pub(super) fn reparse(lines: &[String]) -> EvidenceLog {
    EvidenceLog::parse(&(lines.join("\n") + "\n")).unwrap()
}
