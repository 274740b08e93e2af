//! The report's renderings: text for people, JSON (the report itself), SARIF 2.1.0 for code
//! scanning, and GitHub workflow commands for annotations. All write to a given sink.

use std::collections::HashMap;
use std::io::{self, Write};

use bundle_core::ops::report::{CheckResult, Location, Report, Severity, Status};
use serde_json::{Value, json};

/// The SARIF schema URI written in `$schema`.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// A human summary: one line per check, details for failures and warnings, regressions.
pub fn text(report: &Report, w: &mut impl Write) -> io::Result<()> {
    let s = &report.summary;
    writeln!(
        w,
        "ops-controls {}: {} checks, {} pass, {} fail ({} blocking at >= {}), {} warn, {} skip",
        report.tool.version,
        s.total,
        s.pass,
        s.fail,
        s.blocking,
        report.policy.severity_threshold,
        s.warn,
        s.skip
    )?;
    for check in &report.checks {
        let status = check.status.as_str().to_uppercase();
        writeln!(
            w,
            "{status:<4}  {:<10} {:<8} {}",
            check.id,
            check.severity.as_str(),
            check.title
        )?;
        if matches!(check.status, Status::Fail | Status::Warn | Status::Skip) {
            writeln!(w, "      {}", check.message)?;
        }
        if matches!(check.status, Status::Fail | Status::Warn) {
            for loc in &check.locations {
                // The message already is the note when there is a single finding.
                let note = loc.note.as_ref().filter(|n| **n != check.message);
                writeln!(
                    w,
                    "      at {}{}",
                    position(loc),
                    note.map(|n| format!(": {n}")).unwrap_or_default()
                )?;
            }
        }
    }
    if let Some(cmp) = &report.comparison {
        if cmp.regressions.is_empty() {
            writeln!(
                w,
                "no regression since the report of {}",
                cmp.previous_generated_at
            )?;
        } else {
            writeln!(
                w,
                "{} regression(s) since the report of {}:",
                cmp.regressions.len(),
                cmp.previous_generated_at
            )?;
            for r in &cmp.regressions {
                writeln!(w, "  {}: {}", r.kind, r.message)?;
            }
        }
    }
    let failed = !s.passed
        || report
            .comparison
            .as_ref()
            .is_some_and(|c| !c.regressions.is_empty());
    writeln!(w, "result: {}", if failed { "FAIL" } else { "PASS" })
}

fn position(loc: &Location) -> String {
    match loc.line {
        Some(line) => format!("{}:{line}", loc.file),
        None => loc.file.clone(),
    }
}

fn sarif_level(check: &CheckResult, threshold: Severity) -> &'static str {
    if check.status == Status::Warn {
        "warning"
    } else if check.is_blocking(threshold) {
        "error"
    } else if check.severity >= Severity::Medium {
        "warning"
    } else {
        "note"
    }
}

fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// The key of our fingerprint in `partialFingerprints` (versioned: a change of the recipe
/// gets a new key, so code scanning does not match old and new values).
pub const FINGERPRINT_KEY: &str = "opsControlsFinding/v1";

/// A result's fingerprint: sha256 of the check id, the file and the finding's text (its
/// note, which names the job and the matched expression but never a line), plus the
/// occurrence number among identical findings of that file. Moving a line, or adding
/// lines above it, keeps the value; code scanning then keeps the alert's history.
fn fingerprint(check: &str, file: &str, text: &str, occurrence: usize) -> String {
    let hash =
        bundle_core::ops::evidence::sha256_hex(format!("{check}\0{file}\0{text}").as_bytes());
    format!("{hash}:{occurrence}")
}

/// A SARIF 2.1.0 log with one rule per check and one result per location of each failing or
/// warning check. A result always has a location (GitHub code scanning requires one): a check
/// without one points at the policy file.
pub fn sarif(report: &Report) -> String {
    let threshold = report.policy.severity_threshold;
    let rules: Vec<Value> = report
        .checks
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "name": c.id.replace('-', ""),
                "shortDescription": { "text": c.title },
                "fullDescription": { "text": c.title },
                "defaultConfiguration": { "level": if c.severity >= Severity::High { "error" } else if c.severity >= Severity::Medium { "warning" } else { "note" } },
                "properties": { "security-severity": security_severity(c.severity), "tags": ["security", "ops-controls"] },
            })
        })
        .collect();
    let anchor = if report.policy.source == "built-in" {
        crate::DEFAULT_POLICY
    } else {
        report.policy.source.as_str()
    };
    let mut results = Vec::new();
    // Identical findings of one check in one file, counted to tell them apart.
    let mut seen: HashMap<(&str, String, String), usize> = HashMap::new();
    for (index, check) in report.checks.iter().enumerate() {
        if !matches!(check.status, Status::Fail | Status::Warn) {
            continue;
        }
        let fallback = [Location {
            file: anchor.to_owned(),
            line: None,
            note: None,
        }];
        let locations: &[Location] = if check.locations.is_empty() {
            &fallback
        } else {
            &check.locations
        };
        for loc in locations {
            let text = loc.note.clone().unwrap_or_else(|| check.message.clone());
            let occurrence = seen
                .entry((check.id.as_str(), loc.file.clone(), text.clone()))
                .or_default();
            *occurrence += 1;
            let print = fingerprint(&check.id, &loc.file, &text, *occurrence);
            results.push(json!({
                "ruleId": check.id,
                "ruleIndex": index,
                "level": sarif_level(check, threshold),
                "message": { "text": text },
                "partialFingerprints": { FINGERPRINT_KEY: print },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": loc.file, "uriBaseId": "%SRCROOT%" },
                        "region": { "startLine": loc.line.unwrap_or(1) },
                    }
                }],
            }));
        }
    }
    let log = json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": report.tool.name,
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "informationUri": "https://example.invalid/mcp-secrets-toolkit",
                "rules": rules,
            }},
            "automationDetails": { "id": "ops-controls/" },
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).expect("a SARIF value always serializes");
    text.push('\n');
    text
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands: `::error` for blocking failures, `::warning` for
/// other failures and warnings, one per location; `::error` per regression.
pub fn github(report: &Report, w: &mut impl Write) -> io::Result<()> {
    let threshold = report.policy.severity_threshold;
    for check in &report.checks {
        let command = match check.status {
            Status::Fail if check.is_blocking(threshold) => "error",
            Status::Fail | Status::Warn => "warning",
            Status::Pass | Status::Skip => continue,
        };
        let title = escape_property(&format!("{} {}", check.id, check.title));
        if check.locations.is_empty() {
            writeln!(
                w,
                "::{command} title={title}::{}",
                escape_data(&check.message)
            )?;
        }
        for loc in &check.locations {
            let line = loc.line.map(|l| format!(",line={l}")).unwrap_or_default();
            let message = loc.note.as_deref().unwrap_or(&check.message);
            writeln!(
                w,
                "::{command} file={}{line},title={title}::{}",
                escape_property(&loc.file),
                escape_data(message)
            )?;
        }
    }
    if let Some(cmp) = &report.comparison {
        for r in &cmp.regressions {
            writeln!(
                w,
                "::error title={}::{}",
                escape_property(&format!("regression {}", r.kind)),
                escape_data(&r.message)
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_workflow_command_values() {
        assert_eq!(escape_data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn fingerprints_ignore_the_line_and_tell_findings_apart() {
        let a = fingerprint("WF-015", "w.yml", "job `a` expands `github.head_ref`", 1);
        assert!(a.ends_with(":1"));
        assert_eq!(a.len(), 64 + 2);
        assert_ne!(
            a,
            fingerprint("WF-015", "w.yml", "job `a` expands `github.head_ref`", 2)
        );
        assert_ne!(
            a,
            fingerprint("WF-015", "x.yml", "job `a` expands `github.head_ref`", 1)
        );
        assert_ne!(
            a,
            fingerprint("WF-007", "w.yml", "job `a` expands `github.head_ref`", 1)
        );
    }
}
