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

pub mod history;
pub mod matcher;
pub mod secrets;
pub mod staged;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bundle_core::Format;
use bundle_core::sops::SopsFile;
use serde::Serialize;

use crate::check::DEFAULT_BUNDLE;
use crate::error::Error;
use crate::keys::KeySource;
use bundle_core::ops::git;
use matcher::{Hit, Matcher};
use secrets::{Encoding, SecretSet};

/// The version of the JSON report format.
pub const SCHEMA_VERSION: u32 = 1;

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

/// Where a finding is. Every path, file or tag name in it has the secrets it contains
/// replaced by `[REDACTED:<key path>]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "source", rename_all = "kebab-case")]
pub enum Place {
    /// The content of a file of the working tree.
    Tree {
        /// Path relative to the repository.
        file: String,
    },
    /// A blob of the git object database.
    History {
        /// The blob id.
        blob: String,
        /// A commit containing it: the earliest reachable one, else the earliest at all;
        /// `None` for a blob no commit contains (staged then dropped, stashed, ...).
        commit: Option<String>,
        /// Its path in that commit.
        path: Option<String>,
        /// How many commits contain the blob.
        commits: usize,
        /// Whether a ref or reflog reaches one of those commits.
        reachable: bool,
    },
    /// The staged content of a file (with `--staged`): its blob in git's index.
    Staged {
        /// Path relative to the repository, redacted.
        file: String,
        /// The blob id in the index.
        blob: String,
    },
    /// The path name of a file of the working tree.
    Path {
        /// Path relative to the repository, redacted.
        file: String,
    },
    /// A file or directory name in a tree of the git history (with `--history`).
    HistoryPath {
        /// A commit whose tree holds the name: the earliest reachable one, else the earliest.
        commit: Option<String>,
        /// The path in that commit, redacted.
        path: String,
        /// How many commits hold that version of the directory.
        commits: usize,
        /// Whether a ref or reflog reaches one of those commits.
        reachable: bool,
    },
    /// A commit object: its message, author or committer (with `--history`).
    Commit {
        /// The commit id.
        commit: String,
        /// Whether a ref or reflog reaches it.
        reachable: bool,
    },
    /// An annotated tag object: its message or name (with `--history`).
    Tag {
        /// The tag object id.
        object: String,
        /// The tag's name, redacted.
        name: String,
    },
}

/// One leaked value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    /// Where.
    #[serde(flatten)]
    pub place: Place,
    /// 1-based line (of the file, blob, or object as `git cat-file -p` prints it); `None`
    /// for a path name.
    pub line: Option<usize>,
    /// The secret's key path in the bundle.
    pub key: String,
    /// How it was written there.
    pub encoding: Encoding,
    /// Keyed hash prefix of the value (same value, same fingerprint, within one bundle version).
    pub fingerprint: String,
}

/// What was scanned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Scanned {
    /// Files of the working tree.
    pub files: u64,
    /// Their bytes.
    pub file_bytes: u64,
    /// Blobs of the object database (with `--history`).
    pub blobs: u64,
    /// Their bytes.
    pub blob_bytes: u64,
}

/// The result of `scan-leaks`.
#[derive(Debug, Clone, Serialize)]
pub struct LeakReport {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The bundle, relative to the repository.
    pub bundle: String,
    /// Values searched.
    pub secrets: usize,
    /// Needles (values times encodings).
    pub needles: usize,
    /// Key paths of encrypted values shorter than 8 bytes, not searched.
    pub not_searched: Vec<String>,
    /// Whether the git history was scanned.
    pub history: bool,
    /// Volumes.
    pub scanned: Scanned,
    /// The findings, sorted.
    pub findings: Vec<Finding>,
}

impl LeakReport {
    /// The JSON document with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a report always serializes");
        text.push('\n');
        text
    }

    /// The text form: one line per finding, then a summary line.
    pub fn write_text(&self, out: &mut impl Write) -> std::io::Result<()> {
        for f in &self.findings {
            let line = f.line.unwrap_or(0);
            let unreachable = |reachable: bool| if reachable { "" } else { ", unreachable" };
            let at = match &f.place {
                Place::Tree { file } => format!("{file}:{line}"),
                Place::Staged { file, blob } => {
                    format!("staged {file}:{line} (blob {})", short(blob))
                }
                Place::History {
                    blob,
                    commit: Some(commit),
                    path: Some(path),
                    commits,
                    reachable,
                } => format!(
                    "history {}:{path}:{line} (blob {}, in {commits} commit(s){})",
                    short(commit),
                    short(blob),
                    unreachable(*reachable)
                ),
                Place::History { blob, .. } => {
                    format!("history blob {}:{line} (in no commit)", short(blob))
                }
                Place::Path { file } => format!("path name {file}"),
                Place::HistoryPath {
                    commit,
                    path,
                    commits,
                    reachable,
                } => format!(
                    "history path name {}:{path} (in {commits} commit(s){})",
                    commit.as_deref().map_or("(no commit)", short),
                    unreachable(*reachable)
                ),
                Place::Commit { commit, reachable } => format!(
                    "commit {} message, line {line}{}",
                    short(commit),
                    unreachable(*reachable)
                ),
                Place::Tag { object, name } => {
                    format!("tag {name} (object {}), line {line}", short(object))
                }
            };
            writeln!(
                out,
                "LEAK {at}: {} ({}) fingerprint {}",
                f.key,
                f.encoding.as_str(),
                f.fingerprint
            )?;
        }
        let mut scanned = format!(
            "{} file(s), {}",
            self.scanned.files,
            human_bytes(self.scanned.file_bytes)
        );
        if self.history {
            scanned.push_str("; ");
            scanned.push_str(&self.scanned.blobs.to_string());
            scanned.push_str(" blob(s), ");
            scanned.push_str(&human_bytes(self.scanned.blob_bytes));
        }
        writeln!(
            out,
            "result: {} — {} value(s) of {} searched ({} needles) in {scanned}",
            if self.findings.is_empty() {
                "no leak".to_owned()
            } else {
                format!("{} leak(s)", self.findings.len())
            },
            self.secrets,
            self.bundle,
            self.needles
        )?;
        if !self.not_searched.is_empty() {
            writeln!(
                out,
                "note: shorter than 8 bytes, not searched: {}",
                self.not_searched.join(", ")
            )?;
        }
        Ok(())
    }
}

fn short(oid: &str) -> &str {
    &oid[..oid.len().min(12)]
}

/// `12.3 MiB`-style sizes.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    #[allow(clippy::cast_precision_loss)] // a size shown to one decimal
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn threads(requested: usize) -> usize {
    if requested > 0 {
        requested
    } else {
        std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
    }
}

/// Scans the working-tree files, in parallel. Returns per-file hits and the volumes.
fn scan_tree(
    repo: &Path,
    files: &[String],
    matcher: &Matcher,
    workers: usize,
    progress: Option<&mut dyn Write>,
) -> (Vec<(usize, Hit)>, u64) {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let bytes = AtomicU64::new(0);
    let found = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let mut buf = Vec::new();
                let mut mine = Vec::new();
                let mut hits = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(rel) = files.get(i) else { break };
                    let path = repo.join(rel);
                    // Symbolic links and vanished files (listed by git, deleted since) are skipped.
                    if fs_err::symlink_metadata(&path).is_ok_and(|m| m.is_file())
                        && let Ok(file) = fs_err::File::open(&path)
                    {
                        hits.clear();
                        if let Ok(n) = matcher.scan_reader(file, &mut buf, &mut hits) {
                            bytes.fetch_add(n, Ordering::Relaxed);
                        }
                        mine.extend(hits.iter().map(|h| (i, *h)));
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
                found
                    .lock()
                    .expect("no worker panics while holding the lock")
                    .extend(mine);
            });
        }
        if let Some(out) = progress {
            let start = Instant::now();
            loop {
                let finished = done.load(Ordering::Relaxed) >= files.len();
                let _ = write!(
                    out,
                    "\r\x1b[2Kscanning files: {}/{} ({}, {:.0}s)",
                    done.load(Ordering::Relaxed),
                    files.len(),
                    human_bytes(bytes.load(Ordering::Relaxed)),
                    start.elapsed().as_secs_f64()
                );
                let _ = out.flush();
                if finished {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = writeln!(out);
        }
    });
    (
        found.into_inner().expect("workers have finished"),
        bytes.into_inner(),
    )
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

fn finding(set: &SecretSet, place: Place, hit: Hit) -> Finding {
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
fn redact(matcher: &Matcher, set: &SecretSet, name: &str) -> String {
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
fn path_findings(
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
fn history_findings(
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
