//! `scan-leaks`: prove that no value of the bundle sits anywhere in the tree or in git.
//!
//! The bundle is decrypted in memory ([`secrets::SecretSet`]); the needles are compiled once
//! ([`matcher::Matcher`]) and searched in every file of the working tree (git's list of
//! tracked and untracked files, ignored ones only with `--include-ignored`; a directory walk
//! honouring `.gitignore` outside git) and, with `--history`, in every blob of the object
//! database, reachable or not ([`history`]). Work is spread over threads; progress is
//! printed only when asked (on a terminal by default). Findings name a place, a line, a key
//! path, an encoding and a fingerprint, never the value.

pub mod history;
pub mod matcher;
pub mod secrets;

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
            exclude_keys: Vec::new(),
            threads: 0,
            progress: false,
        }
    }
}

/// Where a finding is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "source", rename_all = "lowercase")]
pub enum Place {
    /// A file of the working tree.
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
}

/// One leaked value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    /// Where.
    #[serde(flatten)]
    pub place: Place,
    /// 1-based line.
    pub line: usize,
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
            let at = match &f.place {
                Place::Tree { file } => format!("{file}:{}", f.line),
                Place::History {
                    blob,
                    commit: Some(commit),
                    path: Some(path),
                    commits,
                    reachable,
                } => format!(
                    "history {}:{path}:{} (blob {}, in {commits} commit(s){})",
                    short(commit),
                    f.line,
                    short(blob),
                    if *reachable { "" } else { ", unreachable" }
                ),
                Place::History { blob, .. } => {
                    format!("history blob {}:{} (in no commit)", short(blob), f.line)
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
    let info = set.info(hit.needle);
    let secret = &set.secrets[info.secret];
    Finding {
        place,
        line: hit.line,
        key: secret.key.clone(),
        encoding: info.encoding,
        fingerprint: secret.fingerprint.clone(),
    }
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
                file: files[i].clone(),
            },
            hit,
        )
    }));

    if options.history {
        let progress: Option<&mut dyn Write> = if options.progress {
            Some(&mut *stderr)
        } else {
            None
        };
        let scan = history::scan(&repo, &matcher, workers, progress)?;
        report.scanned.blobs = scan.blobs;
        report.scanned.blob_bytes = scan.bytes;
        if !scan.hits.is_empty() {
            let targets = scan.hits.iter().map(|(oid, _)| oid.clone()).collect();
            let places = history::locate(&repo, &targets)?;
            for (oid, hit) in scan.hits {
                let place = places.get(&oid).cloned().unwrap_or(Place::History {
                    blob: oid.clone(),
                    commit: None,
                    path: None,
                    commits: 0,
                    reachable: false,
                });
                report.findings.push(finding(&set, place, hit));
            }
        }
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
