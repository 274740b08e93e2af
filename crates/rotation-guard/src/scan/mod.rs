//! `scan-leaks`: prove that no value of the bundle sits anywhere in the tree or in git.
//!
//! The bundle is decrypted in memory ([`secrets::SecretSet`]); the needles are compiled once
//! ([`matcher::Matcher`]) and searched in every file of the working tree (git's list of
//! tracked and untracked files, ignored ones only with `--include-ignored`; a directory walk
//! honouring `.gitignore` outside git) and in their path names, and, with `--history`, in
//! every blob, commit, annotated tag and tree entry name of the object database, reachable
//! or not ([`history`]; a shallow or partial clone is refused). With `--staged` (a pre-commit
//! hook) the files searched are instead the changed ones of git's index, read from their
//! staged blobs, never from the working tree ([`staged`]). Work is spread over threads;
//! progress is printed only when asked (on a terminal by default). Findings name a place, a
//! line, a key path, an encoding and a fingerprint, never the value: every path or name
//! shown has its matching parts replaced by `[REDACTED:<key path>]` (issue 12).
//!
//! Layout: this module holds the options, the bundle's secrets ([`load_secrets`]) and the
//! order of the scan ([`scan_leaks`]); `report.rs` the findings and the report's forms
//! (re-exported here), `tree.rs` the working-tree scan, `findings.rs` the redaction that
//! turns hits into findings, and [`history`] / [`staged`] the other two sources.

mod findings;
pub mod history;
pub mod matcher;
mod report;
pub mod secrets;
pub mod staged;
mod tree;

use std::io::Write;
use std::path::{Path, PathBuf};

use bundle_core::Format;
use bundle_core::sops::SopsFile;

use crate::check::DEFAULT_BUNDLE;
use crate::error::Error;
use crate::keys::KeySource;
use bundle_core::ops::git;
use findings::{finding, history_findings, path_findings, redact};
use matcher::Matcher;
pub use report::{Finding, LeakReport, Place, SCHEMA_VERSION, Scanned, human_bytes};
use secrets::SecretSet;
use tree::{scan_tree, threads};

/// Which files `scan-leaks` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Files {
    /// The working tree: tracked and untracked files (ignored ones on request).
    WorkTree,
    /// The staged changes, from git's index (`--staged`, a pre-commit hook).
    Staged,
}

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// The repository (or plain directory) to scan.
    pub repo: PathBuf,
    /// The bundle, relative to the repository (default [`DEFAULT_BUNDLE`]).
    pub bundle: Option<PathBuf>,
    /// Where the key comes from.
    pub keys: KeySource,
    /// Also scan every blob of the git object database.
    pub history: bool,
    /// Also scan files ignored by `.gitignore`.
    pub include_ignored: bool,
    /// Which files' content is searched.
    pub files: Files,
    /// Key paths not to search (values that are not secret, e.g. a host name).
    pub exclude_keys: Vec<String>,
    /// Worker threads (0: one per CPU).
    pub threads: usize,
    /// Print progress on stderr.
    pub progress: bool,
}

impl ScanOptions {
    /// A working-tree scan of `repo` with the key from the environment.
    pub fn new(repo: PathBuf, keys: KeySource) -> Self {
        Self {
            repo,
            bundle: None,
            keys,
            history: false,
            include_ignored: false,
            files: Files::WorkTree,
            exclude_keys: Vec::new(),
            threads: 0,
            progress: false,
        }
    }
}

/// Decrypts the bundle and builds the secrets to search for.
pub fn load_secrets(
    repo: &Path,
    bundle: Option<&Path>,
    keys: &KeySource,
    exclude: &[String],
) -> Result<(String, SecretSet), Error> {
    let bundle_abs = repo.join(bundle.unwrap_or(Path::new(DEFAULT_BUNDLE)));
    if !fs_err::metadata(&bundle_abs).is_ok_and(|m| m.is_file()) {
        return Err(Error::BundleMissing { path: bundle_abs });
    }
    let file = SopsFile::read_as(&bundle_abs, Format::from_path(&bundle_abs))?;
    let identities = keys.load()?.unwrap_or_default();
    let data_key = file.data_key(&identities)?;
    let decrypted = file.decrypt_with_key(
        bundle_core::cipher::DataKey::from_slice(data_key.expose()).expect("32 bytes"),
    )?;
    let set = SecretSet::from_bundle(&file, &decrypted, data_key.expose(), exclude);
    for key in exclude {
        if !set.secrets.iter().any(|s| &s.key == key)
            && !set.too_short.contains(key)
            && !file.leaves().iter().any(|l| &l.path.dotted() == key)
        {
            return Err(Error::UnknownKey { key: key.clone() });
        }
    }
    let rel = bundle_abs
        .strip_prefix(repo)
        .unwrap_or(&bundle_abs)
        .to_string_lossy()
        .replace('\\', "/");
    Ok((rel, set))
}

/// The `--staged` scan: each changed file's staged blob and its path name.
fn scan_staged(
    repo: &Path,
    matcher: &Matcher,
    set: &SecretSet,
    report: &mut LeakReport,
) -> Result<(), Error> {
    let files = staged::list(repo)?;
    let blobs = staged::read(repo, &files)?;
    let mut hits = Vec::new();
    for (file, body) in files.iter().zip(&blobs) {
        report.scanned.files += 1;
        report.scanned.file_bytes += body.len() as u64;
        hits.clear();
        matcher.scan_slice(body, &mut hits);
        for hit in &hits {
            let place = Place::Staged {
                file: redact(matcher, set, &file.path),
                blob: file.blob.clone(),
            };
            report.findings.push(finding(set, place, *hit));
        }
        report
            .findings
            .extend(path_findings(matcher, set, &file.path, |file| {
                Place::Path { file }
            }));
    }
    Ok(())
}

/// Runs the scan.
pub fn scan_leaks(options: &ScanOptions, stderr: &mut dyn Write) -> Result<LeakReport, Error> {
    let repo = fs_err::canonicalize(&options.repo)
        .ok()
        .filter(|p| p.is_dir())
        .ok_or_else(|| Error::RepoNotFound {
            path: options.repo.clone(),
        })?;
    let in_git = git::is_work_tree(&repo);
    if options.history && !in_git {
        return Err(Error::NotGit {
            path: repo,
            what: "--history",
        });
    }
    let staged = options.files == Files::Staged;
    if staged && !in_git {
        return Err(Error::NotGit {
            path: repo,
            what: "--staged",
        });
    }
    if options.history {
        history::ensure_complete(&repo)?;
    }
    let (bundle, set) = load_secrets(
        &repo,
        options.bundle.as_deref(),
        &options.keys,
        &options.exclude_keys,
    )?;
    let mut report = LeakReport {
        schema_version: SCHEMA_VERSION,
        bundle,
        secrets: set.secrets.len(),
        needles: set.needles().len(),
        not_searched: set.too_short.clone(),
        history: options.history,
        scanned: Scanned::default(),
        findings: Vec::new(),
    };
    if set.needles().is_empty() {
        return Ok(report);
    }
    let matcher = Matcher::new(set.needles().iter().map(|n| n.as_slice())).map_err(|e| {
        Error::Io(std::io::Error::other(format!(
            "cannot compile the search: {e}"
        )))
    })?;
    let workers = threads(options.threads);

    if staged {
        scan_staged(&repo, &matcher, &set, &mut report)?;
        report.findings.sort();
        report.findings.dedup();
        return Ok(report);
    }
    let files = if in_git {
        git::list_files(&repo, options.include_ignored)?
    } else {
        bundle_core::ops::files::walk_files(&repo, options.include_ignored)?
    };
    let progress: Option<&mut dyn Write> = if options.progress {
        Some(&mut *stderr)
    } else {
        None
    };
    let (hits, bytes) = scan_tree(&repo, &files, &matcher, workers, progress);
    report.scanned.files = files.len() as u64;
    report.scanned.file_bytes = bytes;
    report.findings.extend(hits.into_iter().map(|(i, hit)| {
        finding(
            &set,
            Place::Tree {
                file: redact(&matcher, &set, &files[i]),
            },
            hit,
        )
    }));
    for file in &files {
        report
            .findings
            .extend(path_findings(&matcher, &set, file, |file| Place::Path {
                file,
            }));
    }

    if options.history {
        let progress: Option<&mut dyn Write> = if options.progress {
            Some(&mut *stderr)
        } else {
            None
        };
        let scan = history::scan(&repo, &matcher, workers, progress)?;
        report.scanned.blobs = scan.blobs;
        report.scanned.blob_bytes = scan.bytes;
        history_findings(&repo, &matcher, &set, scan, &mut report.findings)?;
    }
    report.findings.sort();
    report.findings.dedup();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{CANARIES, Repo};

    #[test]
    fn secrets_are_redacted_in_debug() {
        let repo = Repo::new();
        let (_, set) = load_secrets(
            repo.root(),
            None,
            &KeySource::Files(vec![repo.old_identity()]),
            &[],
        )
        .unwrap();
        assert_eq!(set.secrets.len(), 3);
        let debug = format!("{set:?}");
        assert!(debug.contains("<19 redacted>"), "{debug}");
        for canary in CANARIES {
            assert!(!debug.contains(canary));
        }
    }

    #[test]
    fn progress_is_written_only_when_asked() {
        let repo = Repo::new();
        let mut options = ScanOptions::new(
            repo.root().to_owned(),
            KeySource::Files(vec![repo.old_identity()]),
        );
        options.history = true;
        let mut quiet = Vec::new();
        scan_leaks(&options, &mut quiet).unwrap();
        assert_eq!(quiet, b"");
        options.progress = true;
        let mut shown = Vec::new();
        scan_leaks(&options, &mut shown).unwrap();
        let shown = String::from_utf8(shown).unwrap();
        assert!(shown.contains("scanning files: 5/5"), "{shown:?}");
        assert!(shown.contains("scanning history: 5 blob(s)"), "{shown:?}");
    }
}
