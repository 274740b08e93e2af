//! The incidents the evidence log names, and the cadence of their communication.
//!
//! An incident is opened by the first `comms` or `emergency` entry that names it and closed by
//! the first emergency rotation that names it; while it is open the runbook asks for an update
//! at least every 30 minutes ([`COMMS_MAX_GAP_SECS`]). `verify` fails on a silence of an open
//! incident, the summary lists open incidents and gaps, and `record` warns about an update to
//! a closed incident. Only this tool asks these questions, so they live here and read the log
//! through bundle-core's [`EvidenceLog`] (issue 10).

use std::fmt;

use bundle_core::ops::evidence::{EvidenceLog, Kind};
use bundle_core::time::Timestamp;

/// The longest silence allowed between updates of an open incident (a cada 30 minutos).
pub(crate) const COMMS_MAX_GAP_SECS: i64 = 30 * 60;

/// The incidents named by `comms` and `emergency` entries, in order of first mention.
/// An incident is closed by the first emergency entry that names it.
pub(crate) fn incidents(log: &EvidenceLog) -> Vec<Incident> {
    let mut incidents: Vec<Incident> = Vec::new();
    for entry in log.entries() {
        let e = &entry.execution;
        let Some(id) = e.incident.as_deref() else {
            continue;
        };
        if !matches!(e.kind, Kind::Comms | Kind::Emergency) {
            continue;
        }
        let index = incidents
            .iter()
            .position(|i| i.id == id)
            .unwrap_or_else(|| {
                incidents.push(Incident {
                    id: id.to_owned(),
                    updates: Vec::new(),
                    closed: None,
                });
                incidents.len() - 1
            });
        let incident = &mut incidents[index];
        match e.kind {
            Kind::Comms => incident.updates.push(e.recorded_at),
            _ if incident.closed.is_none() => {
                incident.closed = Some((e.recorded_at, e.id.clone()));
            }
            _ => {}
        }
    }
    for incident in &mut incidents {
        incident.updates.sort_unstable();
    }
    incidents
}

/// Silences longer than [`COMMS_MAX_GAP_SECS`]: between consecutive updates of each
/// incident, and from the last update to its closing (closed) or to `now` (open).
pub(crate) fn comms_gaps(log: &EvidenceLog, now: Timestamp) -> Vec<CommsGap> {
    let mut gaps = Vec::new();
    for incident in incidents(log) {
        let Some(&first) = incident.updates.first() else {
            continue;
        };
        let end = incident.closed.as_ref().map_or(now, |(at, _)| *at);
        let mut points: Vec<Timestamp> = incident
            .updates
            .iter()
            .copied()
            .filter(|t| *t <= end)
            .collect();
        if points.is_empty() {
            points.push(first);
        }
        points.push(end);
        for pair in points.windows(2) {
            if pair[1].seconds_since(pair[0]) > COMMS_MAX_GAP_SECS {
                gaps.push(CommsGap {
                    incident: incident.id.clone(),
                    from: pair[0],
                    to: pair[1],
                    open: incident.closed.is_none(),
                });
            }
        }
    }
    gaps
}

/// An incident seen in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Incident {
    /// The incident or alert id.
    pub(crate) id: String,
    /// Times of its comms updates, sorted.
    pub(crate) updates: Vec<Timestamp>,
    /// When and by which emergency entry (id) it was closed.
    pub(crate) closed: Option<(Timestamp, String)>,
}

impl Incident {
    /// True until an emergency rotation names it.
    pub(crate) fn is_open(&self) -> bool {
        self.closed.is_none()
    }
}

/// A silence longer than the cadence between two points of an incident's communication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommsGap {
    /// The incident.
    pub(crate) incident: String,
    /// The update the silence started after.
    pub(crate) from: Timestamp,
    /// The next update, the closing, or "now" for an open incident.
    pub(crate) to: Timestamp,
    /// Whether the incident is still open (the gap is then a problem to act on).
    pub(crate) open: bool,
}

impl CommsGap {
    /// Length of the silence in whole minutes.
    pub(crate) fn minutes(&self) -> i64 {
        self.to.seconds_since(self.from) / 60
    }
}

impl fmt::Display for CommsGap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "incident {}: {} minutes without a communication update between {} and {} (the cadence is 30 minutes)",
            self.incident,
            self.minutes(),
            self.from,
            self.to
        )
    }
}

#[cfg(test)]
mod tests {
    use bundle_core::ops::evidence::Execution;

    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn rotation(kind: Kind, time: &str, to: u64) -> Execution {
        let mut e = Execution::new(kind, at(time));
        e.responsible = vec!["Ana".into(), "Bruno".into()];
        e.reason = Some("motivo".into());
        e.version_from = Some(to - 1);
        e.version_to = Some(to);
        if kind == Kind::Emergency {
            e.incident = Some("INC-1".into());
        }
        e.id = e.stable_id();
        e
    }

    fn comms(time: &str, incident: &str) -> Execution {
        let mut e = Execution::new(Kind::Comms, at(time));
        e.incident = Some(incident.into());
        e.message = Some("atualização".into());
        e.id = e.stable_id();
        e
    }

    #[test]
    fn comms_gaps_of_open_and_closed_incidents() {
        let mut log = EvidenceLog::new();
        log.append(comms("2025-01-05T09:00:00Z", "INC-1"));
        log.append(comms("2025-01-05T09:30:00Z", "INC-1"));
        log.append(comms("2025-01-05T10:01:00Z", "INC-1"));
        log.append(comms("2025-01-06T08:00:00Z", "INC-2"));
        log.append(rotation(Kind::Emergency, "2025-01-05T10:20:00Z", 3));
        let now = at("2025-01-06T08:45:00Z");
        let gaps = comms_gaps(&log, now);
        assert_eq!(
            gaps,
            vec![
                CommsGap {
                    incident: "INC-1".into(),
                    from: at("2025-01-05T09:30:00Z"),
                    to: at("2025-01-05T10:01:00Z"),
                    open: false
                },
                CommsGap {
                    incident: "INC-2".into(),
                    from: at("2025-01-06T08:00:00Z"),
                    to: now,
                    open: true
                },
            ]
        );
        assert_eq!(gaps[1].minutes(), 45);
        let incidents = incidents(&log);
        assert!(!incidents[0].is_open());
        assert!(incidents[1].is_open());
        // Exactly 30 minutes is on cadence.
        assert_eq!(comms_gaps(&log, at("2025-01-06T08:30:00Z")).len(), 1);
    }
}
