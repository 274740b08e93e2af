//! `--check`: compare the published pair with what the bundle gives, writing nothing.
//!
//! Each problem has a stable id (README, "Check ids"): `out-dir-missing`, `out-dir-mode`,
//! `env-missing`, `env-mode`, `env-stale`, `json-missing`, `json-mode`, `json-stale`,
//! `interrupted-publish`, `leftover-file`. Symbolic links are errors (exit 2), as in a sync.
//! The comparison is byte for byte with the rendering of the current bundle, and the shared
//! lock is held while reading so that a concurrent sync is never seen half done.

use std::path::Path;

use crate::bundle::Loaded;
use crate::error::Result;
use crate::publish::{self, DIR_MODE, ENV_FILE, FILE_MODE, JOURNAL_FILE, JSON_FILE, OutDir};
use crate::report::{FileReport, FileStatus, Finding, mode_text};

/// What `--check` found.
#[derive(Debug, Default)]
pub struct CheckResult {
    /// The directory's mode, when it exists.
    pub dir_mode: Option<u32>,
    /// The two outputs.
    pub files: Vec<FileReport>,
    /// The problems, in a fixed order.
    pub findings: Vec<Finding>,
}

/// Checks the pair in `dir` against `loaded`.
pub fn check(dir: &OutDir, loaded: &Loaded) -> Result<CheckResult> {
    let mut result = CheckResult::default();
    let Some(mode) = publish::dir_mode(dir.path())? else {
        result.findings.push(finding(
            "out-dir-missing",
            dir.path(),
            "the output directory does not exist".to_owned(),
        ));
        for (name, id) in [(ENV_FILE, "env-missing"), (JSON_FILE, "json-missing")] {
            let path = dir.file(name);
            result
                .findings
                .push(finding(id, &path, "has not been published".to_owned()));
            result.files.push(FileReport {
                path,
                status: FileStatus::Missing,
                mode: None,
                previous_mode: None,
            });
        }
        return Ok(result);
    };
    result.dir_mode = Some(mode);
    if mode != DIR_MODE {
        result.findings.push(finding(
            "out-dir-mode",
            dir.path(),
            format!("has mode {}, expected 0700", mode_text(mode)),
        ));
    }
    let _lock = publish::lock_shared(dir)?;
    let journal = dir.file(JOURNAL_FILE);
    if publish::existing_kind(&journal)? == publish::Kind::File {
        result.findings.push(finding(
            "interrupted-publish",
            &journal,
            "a run was interrupted while publishing: .env and console-secrets.json may not belong together".to_owned(),
        ));
    }
    for path in publish::leftovers(dir)? {
        result.findings.push(finding(
            "leftover-file",
            &path,
            "left by a killed run (it may hold plaintext)".to_owned(),
        ));
    }
    let outputs: [(&str, &[u8], [&'static str; 3]); 2] = [
        (
            ENV_FILE,
            loaded.env.text.as_bytes(),
            ["env-missing", "env-mode", "env-stale"],
        ),
        (
            JSON_FILE,
            &loaded.json,
            ["json-missing", "json-mode", "json-stale"],
        ),
    ];
    for (name, expected, [missing, loose, stale]) in outputs {
        let path = dir.file(name);
        let Some(existing) = publish::read_existing(&path)? else {
            result
                .findings
                .push(finding(missing, &path, "has not been published".to_owned()));
            result.files.push(FileReport {
                path,
                status: FileStatus::Missing,
                mode: None,
                previous_mode: None,
            });
            continue;
        };
        if existing.mode != FILE_MODE {
            result.findings.push(finding(
                loose,
                &path,
                format!("has mode {}, expected 0600", mode_text(existing.mode)),
            ));
        }
        let status = if existing.content.as_slice() == expected {
            FileStatus::UpToDate
        } else {
            result.findings.push(finding(
                stale,
                &path,
                "differs from what the bundle gives".to_owned(),
            ));
            FileStatus::Stale
        };
        result.files.push(FileReport {
            path,
            status,
            mode: Some(existing.mode),
            previous_mode: None,
        });
    }
    Ok(result)
}

fn finding(id: &'static str, path: &Path, message: String) -> Finding {
    Finding {
        id,
        path: path.to_owned(),
        message,
    }
}
