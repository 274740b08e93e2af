//! The evidence directory's files, and writing several of them as one change.
//!
//! A command first renders every file it will change, in memory; only then does it write,
//! through [`apply`]: every file is staged (temp file beside its target, synced), then the
//! staged files are renamed onto their targets in order. If a rename fails, the files already
//! renamed get their previous bytes back (or are removed if they were new) and directories
//! created for the change are removed, so a failure leaves the previous evidence as it was.

use std::path::{Path, PathBuf};

use bundle_core::fsio::{self, WriteOptions};
use bundle_core::ops::evidence::{ACTIVATION_FILE, LOG_FILE, README_FILE, markdown};

use crate::Error;
use crate::lang::Lang;

/// Evidence is public (reviewed in PRs): mode 0644 less the umask, replacing atomically.
const OPTIONS: WriteOptions = WriteOptions::PUBLIC;

/// The paths of one evidence directory.
#[derive(Debug, Clone)]
pub(crate) struct Paths {
    pub(crate) dir: PathBuf,
    pub(crate) log: PathBuf,
    pub(crate) readme: PathBuf,
    pub(crate) activation: PathBuf,
}

impl Paths {
    pub(crate) fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
            log: dir.join(LOG_FILE),
            readme: dir.join(README_FILE),
            activation: dir.join(ACTIVATION_FILE),
        }
    }

    /// Fails unless the directory exists (commands that only read or mark need it).
    pub(crate) fn require_dir(&self) -> Result<(), Error> {
        match fs_err::metadata(&self.dir) {
            Ok(meta) if meta.is_dir() => Ok(()),
            Ok(_) => Err(Error::NotADirectory {
                path: self.dir.clone(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::NoEvidenceDir {
                path: self.dir.clone(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Fails if the path exists and is not a directory (commands that may create it).
    pub(crate) fn allow_missing_dir(&self) -> Result<(), Error> {
        match self.require_dir() {
            Err(Error::NoEvidenceDir { .. }) => Ok(()),
            other => other,
        }
    }
}

/// The text of a file, or `None` when it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<String>, Error> {
    match fs_err::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The bytes of a file, or `None` when it does not exist.
fn read_bytes_optional(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    match fs_err::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The language a managed block was rendered in (its `lang=` attribute), if the file has it.
pub(crate) fn block_lang(
    path: &Path,
    text: Option<&str>,
    block: &str,
) -> Result<Option<Lang>, Error> {
    let Some(text) = text else { return Ok(None) };
    let found = markdown::find_block(text, block).map_err(|error| Error::Markdown {
        path: path.to_owned(),
        error,
    })?;
    Ok(found
        .and_then(|b| b.lang)
        .and_then(|code| Lang::from_code(&code)))
}

/// The new text of a markdown file whose block `block` must hold `content`: the template when
/// the file does not exist; the same bytes around a replaced block when it has one; the
/// file with a new section (heading and block) appended when it has none.
pub(crate) fn with_block(
    path: &Path,
    existing: Option<&str>,
    block: &str,
    heading: &str,
    lang: Lang,
    content: &str,
    template: impl FnOnce() -> String,
) -> Result<String, Error> {
    let Some(text) = existing else {
        return Ok(template());
    };
    let begin = markdown::begin_marker(block, Some(lang.code()));
    let end = markdown::end_marker(block);
    let found = markdown::find_block(text, block).map_err(|error| Error::Markdown {
        path: path.to_owned(),
        error,
    })?;
    if let Some(b) = found {
        let line_end = if text[b.begin.clone()].ends_with("\r\n") {
            "\r\n"
        } else {
            "\n"
        };
        Ok(format!(
            "{}{begin}{line_end}{content}{}",
            &text[..b.begin.start],
            &text[b.end.start..]
        ))
    } else {
        let separator = if text.is_empty() || text.ends_with('\n') {
            ""
        } else {
            "\n"
        };
        Ok(format!(
            "{text}{separator}\n## {heading}\n\n{begin}\n{content}{end}\n"
        ))
    }
}

/// One file to write.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub(crate) path: PathBuf,
    pub(crate) bytes: Vec<u8>,
}

#[cfg(test)]
thread_local! {
    /// Test hook: make the commit of the change at this index fail.
    pub(crate) static FAIL_COMMIT_AT: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Writes every change, all or nothing (see the module documentation). Changes whose target
/// already holds the same bytes are skipped.
pub(crate) fn apply(changes: &[Change]) -> Result<(), Error> {
    let mut created = Vec::new();
    let result = apply_inner(changes, &mut created);
    if result.is_err() {
        for dir in created.iter().rev() {
            let _ = fs_err::remove_dir(dir);
        }
    }
    result
}

fn apply_inner(changes: &[Change], created: &mut Vec<PathBuf>) -> Result<(), Error> {
    let mut pending = Vec::new();
    for change in changes {
        let previous = read_bytes_optional(&change.path)?;
        if previous.as_deref() != Some(change.bytes.as_slice()) {
            pending.push((change, previous));
        }
    }
    for (change, _) in &pending {
        if let Some(parent) = change.path.parent() {
            create_dirs(parent, created)?;
        }
    }
    let mut staged = Vec::new();
    for (change, _) in &pending {
        staged.push(fsio::stage(&change.path, &change.bytes, OPTIONS)?);
    }
    for (i, file) in staged.into_iter().enumerate() {
        #[cfg(test)]
        let injected = FAIL_COMMIT_AT.with(std::cell::Cell::get) == Some(i);
        #[cfg(not(test))]
        let injected = false;
        let result = if injected {
            drop(file);
            Err(bundle_core::Error::Io(std::io::Error::other(
                "injected failure",
            )))
        } else {
            file.commit(OPTIONS)
        };
        if let Err(error) = result {
            for (change, previous) in pending[..i].iter().rev() {
                // Best effort: the error of the failed rename is the one reported.
                let _ = match previous {
                    Some(old) => {
                        fsio::write_atomic(&change.path, old, OPTIONS).map_err(Error::from)
                    }
                    None => fs_err::remove_file(&change.path).map_err(Error::from),
                };
            }
            return Err(error.into());
        }
    }
    Ok(())
}

/// Creates `dir` and its missing ancestors, recording each one created.
fn create_dirs(dir: &Path, created: &mut Vec<PathBuf>) -> Result<(), Error> {
    let mut missing = Vec::new();
    let mut current = Some(dir);
    while let Some(path) = current.filter(|p| !p.as_os_str().is_empty()) {
        match fs_err::metadata(path) {
            Ok(meta) if meta.is_dir() => break,
            Ok(_) => {
                return Err(Error::NotADirectory {
                    path: path.to_owned(),
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => missing.push(path.to_owned()),
            Err(e) => return Err(e.into()),
        }
        current = path.parent();
    }
    for path in missing.into_iter().rev() {
        fs_err::create_dir(&path)?;
        created.push(path);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_commit_restores_every_file_and_removes_new_directories() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("kept.txt");
        fs_err::write(&kept, b"old").unwrap();
        let changes = vec![
            Change {
                path: dir.path().join("new/deep/a.txt"),
                bytes: b"a".to_vec(),
            },
            Change {
                path: kept.clone(),
                bytes: b"new".to_vec(),
            },
            Change {
                path: dir.path().join("b.txt"),
                bytes: b"b".to_vec(),
            },
        ];
        FAIL_COMMIT_AT.with(|f| f.set(Some(2)));
        let result = apply(&changes);
        FAIL_COMMIT_AT.with(|f| f.set(None));
        assert!(
            matches!(result, Err(Error::Core(bundle_core::Error::Io(_)))),
            "{result:?}"
        );
        assert_eq!(fs_err::read(&kept).unwrap(), b"old");
        let names: Vec<_> = fs_err::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("kept.txt")]);

        apply(&changes).unwrap();
        assert_eq!(fs_err::read(&kept).unwrap(), b"new");
        assert_eq!(
            fs_err::read(dir.path().join("new/deep/a.txt")).unwrap(),
            b"a"
        );
    }

    #[test]
    fn blocks_are_replaced_or_appended_keeping_other_bytes() {
        let path = Path::new("README.md");
        let text = "intro  \r\n<!-- evidence-writer:begin executions lang=pt -->\r\nold\r\n<!-- evidence-writer:end executions -->\r\ntail without newline";
        let out = with_block(
            path,
            Some(text),
            "executions",
            "H",
            Lang::En,
            "new\n",
            String::new,
        )
        .unwrap();
        assert_eq!(
            out,
            "intro  \r\n<!-- evidence-writer:begin executions lang=en -->\r\nnew\n<!-- evidence-writer:end executions -->\r\ntail without newline"
        );
        let out = with_block(
            path,
            Some("no newline"),
            "executions",
            "H",
            Lang::Pt,
            "x\n",
            String::new,
        )
        .unwrap();
        assert_eq!(
            out,
            "no newline\n\n## H\n\n<!-- evidence-writer:begin executions lang=pt -->\nx\n<!-- evidence-writer:end executions -->\n"
        );
        assert_eq!(
            with_block(path, None, "executions", "H", Lang::Pt, "x\n", || "T"
                .into())
            .unwrap(),
            "T"
        );
    }
}

/// How long a writer waits for another to finish before giving up (`EVIDENCE_WRITER_LOCK_TIMEOUT_MS`
/// overrides it, for tests and slow file systems).
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// The evidence directory held by one writer: an exclusive `flock` on the directory itself
/// (no lock file to commit or to leave behind), released when dropped or when the process
/// dies. Every command that changes the evidence holds it from reading the log to the last
/// rename, so two writers can never both append "entry #8" and lose one of them.
#[derive(Debug)]
pub(crate) struct DirLock {
    _dir: fs_err::File,
}

impl DirLock {
    /// Locks `dir` (creating it when missing), waiting up to the lock timeout for another
    /// writer; [`Error::Busy`] after that.
    pub(crate) fn acquire(dir: &Path) -> Result<Self, Error> {
        fs_err::create_dir_all(dir)?;
        let handle = fs_err::File::open(dir)?;
        let wait = std::env::var("EVIDENCE_WRITER_LOCK_TIMEOUT_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(LOCK_WAIT, std::time::Duration::from_millis);
        let start = std::time::Instant::now();
        loop {
            match handle.file().try_lock() {
                Ok(()) => return Ok(Self { _dir: handle }),
                Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < wait => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::Busy {
                        dir: dir.to_owned(),
                        waited_ms: wait.as_millis(),
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(Error::Io(std::io::Error::new(
                        e.kind(),
                        format!("cannot lock {}: {e}", dir.display()),
                    )));
                }
            }
        }
    }
}
