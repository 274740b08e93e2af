//! The report of `check`: its JSON form (`schema_version` 1) and its text form.
//!
//! The JSON structs are separate from the rule types so that refactoring the rules does not
//! change the format. Reports are deterministic: no timestamps, no absolute paths, rules in
//! id order; the same repository state gives the same bytes.

use std::io::{self, Write};

use bundle_core::ops::evidence::Kind;
use serde::Serialize;

use crate::check::{CheckOptions, Context, INCIDENT_KEY};
use crate::rules::{Outcome, Rule, Status};

/// The version of the JSON report format.
pub const SCHEMA_VERSION: u32 = 1;

/// The result of `check`.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The bundle, relative to the repository.
    pub bundle: String,
    /// The base as given (a file or a revision).
    pub base: String,
    /// What changed, as far as the header and the evidence say.
    pub rotation: RotationInfo,
    /// Counts and the verdict.
    pub summary: Summary,
    /// Every rule, in id order.
    pub rules: Vec<RuleResult>,
}

/// The rotation being checked.
#[derive(Debug, Clone, Serialize)]
pub struct RotationInfo {
    /// Whether `MCP_SECRETS_VERSION` changed.
    pub is_rotation: bool,
    /// The base's version, when an integer.
    pub version_from: Option<u64>,
    /// The new version, when an integer.
    pub version_to: Option<u64>,
    /// `scheduled` or `emergency`, from the evidence entry.
    pub kind: Option<String>,
    /// The incident named by the bundle's header.
    pub incident: Option<String>,
}

/// Counts of the outcomes.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// No rule failed.
    pub passed: bool,
    /// Rules that passed.
    pub pass: usize,
    /// Rules that failed.
    pub fail: usize,
    /// Rules skipped.
    pub skip: usize,
}

/// One rule's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    /// Stable id.
    pub id: String,
    /// What must hold.
    pub title: String,
    /// Pass, fail or skip.
    pub status: Status,
    /// Why.
    pub message: String,
    /// Offending items.
    pub details: Vec<String>,
}

impl CheckReport {
    pub(crate) fn build(
        cx: &Context,
        options: &CheckOptions,
        results: &[(&Rule, Outcome)],
    ) -> Self {
        let rules: Vec<RuleResult> = results
            .iter()
            .map(|(rule, o)| RuleResult {
                id: rule.id.to_owned(),
                title: rule.title.to_owned(),
                status: o.status,
                message: o.message.clone(),
                details: o.details.clone(),
            })
            .collect();
        let count = |s: Status| rules.iter().filter(|r| r.status == s).count();
        let summary = Summary {
            passed: count(Status::Fail) == 0,
            pass: count(Status::Pass),
            fail: count(Status::Fail),
            skip: count(Status::Skip),
        };
        let is_rotation = cx.is_rotation();
        let kind = cx.entry().filter(|_| is_rotation).map(|e| e.execution.kind);
        let incident = Context::header_text(&cx.new, INCIDENT_KEY)
            .filter(|i| {
                !i.trim().is_empty()
                    && (kind == Some(Kind::Emergency)
                        || Context::header_text(&cx.base, INCIDENT_KEY).as_ref() != Some(i))
            })
            .map(|i| crate::check::printable(&i));
        Self {
            schema_version: SCHEMA_VERSION,
            bundle: cx.bundle_rel.clone(),
            base: options.base.clone(),
            rotation: RotationInfo {
                is_rotation,
                version_from: cx.base_version().ok(),
                version_to: cx.new_version().ok(),
                kind: kind.map(|k| k.as_str().to_owned()),
                incident,
            },
            summary,
            rules,
        }
    }

    /// The JSON document, pretty-printed, with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a report always serializes");
        text.push('\n');
        text
    }

    /// The text form: one line per rule, details indented, a verdict line.
    pub fn write_text(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(
            out,
            "rotation-guard check: {} against {}",
            self.bundle, self.base
        )?;
        let r = &self.rotation;
        let version = |v: Option<u64>| v.map_or_else(|| "?".to_owned(), |v| v.to_string());
        if r.is_rotation {
            let mut line = format!(
                "rotation: version {} → {}",
                version(r.version_from),
                version(r.version_to)
            );
            if let Some(kind) = &r.kind {
                line.push_str(" (");
                line.push_str(kind);
                if let Some(incident) = &r.incident {
                    line.push_str(", incident ");
                    line.push_str(incident);
                }
                line.push(')');
            }
            writeln!(out, "{line}")?;
        } else {
            writeln!(
                out,
                "not a rotation: version {} unchanged",
                version(r.version_to)
            )?;
        }
        for rule in &self.rules {
            writeln!(
                out,
                "{} {} {}: {}",
                rule.status.label(),
                rule.id,
                rule.title,
                rule.message
            )?;
            for detail in &rule.details {
                writeln!(out, "       - {detail}")?;
            }
        }
        let s = &self.summary;
        writeln!(
            out,
            "result: {} ({} failed, {} passed, {} skipped)",
            if s.passed { "ok" } else { "rotation rejected" },
            s.fail,
            s.pass,
            s.skip
        )
    }
}
