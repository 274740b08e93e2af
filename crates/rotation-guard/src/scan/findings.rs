//! From hits to findings: a [`Hit`] (a needle at a line) becomes a [`Finding`] naming the
//! secret's key path, encoding and fingerprint, at a [`Place`] whose every path, file or tag
//! name has its secrets replaced by `[REDACTED:<key path>]` ([`redact`]); history hits are
//! placed in the commit that holds them ([`history_findings`]). Kept apart from the scans so
//! the one rule that no value is ever shown is applied in one module (issue 12).
//!
//! What must stay true: every name a finding carries went through [`redact`]; a name found
//! in many versions of a history tree is reported once, at its earliest reachable commit.

use std::path::Path;

use super::history;
use super::matcher::{Hit, Matcher};
use super::secrets::SecretSet;
use super::{Finding, Place};
use crate::error::Error;

/// The finding of a content hit at `place`.
pub(super) fn finding(set: &SecretSet, place: Place, hit: Hit) -> Finding {
    name_finding(set, place, hit.needle, Some(hit.line))
}

fn name_finding(set: &SecretSet, place: Place, needle: usize, line: Option<usize>) -> Finding {
    let info = set.info(needle);
    let secret = &set.secrets[info.secret];
    Finding {
        place,
        line,
        key: secret.key.clone(),
        encoding: info.encoding,
        fingerprint: secret.fingerprint.clone(),
    }
}

/// `name` with every needle in it replaced by `[REDACTED:<key path>]`: paths and tag names
/// are printed, and a secret can be part of one (issue 12).
pub(super) fn redact(matcher: &Matcher, set: &SecretSet, name: &str) -> String {
    let bytes = name.as_bytes();
    let spans = matcher.spans(bytes);
    if spans.is_empty() {
        return name.to_owned();
    }
    let mut out = String::with_capacity(name.len());
    let mut at = 0;
    for (range, needle) in spans {
        out.push_str(&String::from_utf8_lossy(&bytes[at..range.start]));
        out.push_str("[REDACTED:");
        out.push_str(&set.secrets[set.info(needle).secret].key);
        out.push(']');
        at = range.end;
    }
    out.push_str(&String::from_utf8_lossy(&bytes[at..]));
    out
}

/// One finding per secret in a path name, each naming the whole path redacted.
pub(super) fn path_findings(
    matcher: &Matcher,
    set: &SecretSet,
    name: &str,
    place: impl Fn(String) -> Place,
) -> Vec<Finding> {
    if !matcher.is_match(name.as_bytes()) {
        return Vec::new();
    }
    let spans = matcher.spans(name.as_bytes());
    let shown = redact(matcher, set, name);
    spans
        .into_iter()
        .map(|(_, needle)| name_finding(set, place(shown.clone()), needle, None))
        .collect()
}

/// Findings of names in history trees: the same name sits in many versions of its
/// directory, so keep, per full path, the earliest reachable commit (else the earliest), as
/// for blobs.
fn name_findings(
    matcher: &Matcher,
    set: &SecretSet,
    name_hits: &[(String, String)],
    places: &std::collections::HashMap<String, (Place, i64)>,
    findings: &mut Vec<Finding>,
) {
    let mut by_path: std::collections::BTreeMap<String, (bool, i64, Place)> =
        std::collections::BTreeMap::new();
    for (tree, name) in name_hits {
        let (commit, dir, commits, reachable, time) = match places.get(tree) {
            Some((
                Place::History {
                    commit,
                    path,
                    commits,
                    reachable,
                    ..
                },
                time,
            )) => (
                commit.clone(),
                path.clone().unwrap_or_default(),
                *commits,
                *reachable,
                *time,
            ),
            _ => (None, String::new(), 0, false, 0),
        };
        let full = if dir.is_empty() {
            name.clone()
        } else {
            format!("{dir}/{name}")
        };
        let place = Place::HistoryPath {
            commit,
            path: String::new(),
            commits,
            reachable,
        };
        let candidate = (!reachable, time, place);
        match by_path.get(&full) {
            Some(best) if (best.0, best.1) <= (candidate.0, candidate.1) => {}
            _ => {
                by_path.insert(full, candidate);
            }
        }
    }
    for (full, (_, _, place)) in by_path {
        findings.extend(path_findings(matcher, set, &full, |shown| match &place {
            Place::HistoryPath {
                commit,
                commits,
                reachable,
                ..
            } => Place::HistoryPath {
                commit: commit.clone(),
                path: shown,
                commits: *commits,
                reachable: *reachable,
            },
            other => other.clone(),
        }));
    }
}

/// Findings of the history scan: blobs and directory entries located in a commit, commit
/// messages, tags.
pub(super) fn history_findings(
    repo: &Path,
    matcher: &Matcher,
    set: &SecretSet,
    scan: history::HistoryScan,
    findings: &mut Vec<Finding>,
) -> Result<(), Error> {
    let targets: std::collections::BTreeSet<String> = scan
        .hits
        .iter()
        .map(|(oid, _)| oid.clone())
        .chain(scan.name_hits.iter().map(|(tree, _)| tree.clone()))
        .collect();
    let places = if targets.is_empty() {
        std::collections::HashMap::new()
    } else {
        history::locate(repo, &targets)?
    };
    for (oid, hit) in scan.hits {
        let place = match places.get(&oid) {
            Some((
                Place::History {
                    blob,
                    commit,
                    path,
                    commits,
                    reachable,
                },
                _,
            )) => Place::History {
                blob: blob.clone(),
                commit: commit.clone(),
                path: path.as_deref().map(|p| redact(matcher, set, p)),
                commits: *commits,
                reachable: *reachable,
            },
            _ => Place::History {
                blob: oid.clone(),
                commit: None,
                path: None,
                commits: 0,
                reachable: false,
            },
        };
        findings.push(finding(set, place, hit));
    }
    name_findings(matcher, set, &scan.name_hits, &places, findings);
    if !scan.commit_hits.is_empty() {
        let reachable = history::reachable_commits(repo);
        for (commit, hit) in scan.commit_hits {
            let place = Place::Commit {
                reachable: reachable.contains(&commit),
                commit,
            };
            findings.push(finding(set, place, hit));
        }
    }
    for (object, name, hit) in scan.tag_hits {
        let place = Place::Tag {
            object,
            name: redact(matcher, set, &name),
        };
        findings.push(finding(set, place, hit));
    }
    Ok(())
}
