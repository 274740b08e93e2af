//! The working-tree scan: the files git lists (or the directory walk outside git) read by
//! worker threads, each searched with the compiled [`Matcher`], with an optional progress
//! line. Apart from [`scan_leaks`](super::scan_leaks) so the threading sits in one place, as
//! the history's does in [`history`](super::history).
//!
//! What must stay true: symbolic links and files that vanished since the listing are
//! skipped, never followed; a hit is returned with the index of its file in the list, so the
//! caller names (and redacts) the file; progress goes only to the sink given.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::human_bytes;
use super::matcher::{Hit, Matcher};

/// The worker count: `requested`, or one per CPU when 0.
pub(super) fn threads(requested: usize) -> usize {
    if requested > 0 {
        requested
    } else {
        std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
    }
}

/// Scans the working-tree files, in parallel. Returns per-file hits and the volumes.
pub(super) fn scan_tree(
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
