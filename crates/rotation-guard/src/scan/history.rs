//! The git history: every blob of the object database, each once, and where a found blob
//! lives.
//!
//! `git cat-file --batch-all-objects --batch-check --unordered` lists every object of the
//! repository (loose and packed, reachable or not: a deleted branch, a dropped stash, a file
//! staged then reset) exactly once, in pack order; the ids of blobs, trees, commits and tags
//! are fed to a second `git cat-file --batch`. Blobs go to worker threads; commit and tag
//! objects (message, author, tag name) are searched whole, and each tree entry's name is
//! searched, so a value in a commit message or in a file name is found too. Only when
//! something matched does [`locate`] read the trees and commits again (a second pass) to
//! name a commit and a path for it.
//!
//! A shallow or partial clone lacks objects, so a clean result would prove nothing:
//! [`ensure_complete`] refuses it before the scan.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Stdio};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use super::matcher::{Hit, Matcher};
use super::{Place, human_bytes};
use crate::error::Error;
use bundle_core::ops::git::{self, GitError};

/// Blobs up to this size are handed to a worker whole; larger ones are scanned while read.
const WHOLE_BLOB_MAX: u64 = 16 << 20;

/// What the history scan found. Tree entry and tag names hold secrets, so its `Debug`
/// prints only counts.
#[derive(Default)]
pub struct HistoryScan {
    /// Blobs scanned.
    pub blobs: u64,
    /// Their bytes.
    pub bytes: u64,
    /// (blob id, hit).
    pub hits: Vec<(String, Hit)>,
    /// (commit id, hit) in commit objects.
    pub commit_hits: Vec<(String, Hit)>,
    /// (tag object id, tag name, hit) in annotated tags.
    pub tag_hits: Vec<(String, String, Hit)>,
    /// (tree id, entry name) for tree entries whose name matched.
    pub name_hits: Vec<(String, String)>,
}

impl std::fmt::Debug for HistoryScan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryScan")
            .field("blobs", &self.blobs)
            .field("bytes", &self.bytes)
            .field("hits", &self.hits)
            .field("commit_hits", &self.commit_hits)
            .field(
                "tag_hits",
                &format_args!("<{} redacted>", self.tag_hits.len()),
            )
            .field(
                "name_hits",
                &format_args!("<{} redacted>", self.name_hits.len()),
            )
            .finish()
    }
}

/// Refuses a shallow or partial clone: objects are missing, so "no leak" would prove nothing.
pub fn ensure_complete(repo: &Path) -> Result<(), Error> {
    let shallow = git::run_text(repo, &["rev-parse", "--is-shallow-repository"])?;
    if shallow.trim() == "true" {
        return Err(Error::HistoryIncomplete {
            kind: "shallow clone",
            hint: "run `git fetch --unshallow` (in CI, check out with fetch-depth: 0)",
        });
    }
    // A partial clone (`--filter=...`) marks its remote as a promisor of the missing objects.
    let config = git::output(
        repo,
        &[
            "config",
            "--get-regexp",
            r"^(extensions\.partialclone|remote\..*\.promisor)$",
        ],
    )?;
    let partial = String::from_utf8_lossy(&config.stdout).lines().any(|line| {
        let (name, value) = line.split_once(' ').unwrap_or((line, ""));
        if name.ends_with(".promisor") {
            value.trim() == "true"
        } else {
            !value.trim().is_empty()
        }
    });
    if partial {
        return Err(Error::HistoryIncomplete {
            kind: "partial clone",
            hint: "clone again without --filter (in CI, check out without a filter and with fetch-depth: 0)",
        });
    }
    Ok(())
}

struct Header {
    oid: String,
    kind: String,
    size: u64,
}

fn read_header(reader: &mut impl BufRead, line: &mut Vec<u8>) -> io::Result<Option<Header>> {
    line.clear();
    if reader.read_until(b'\n', line)? == 0 {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(line);
    let mut parts = text.split_whitespace();
    let (Some(oid), Some(kind), Some(size)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(io::Error::other(format!(
            "unexpected git cat-file output: {}",
            text.trim()
        )));
    };
    let size = size
        .parse()
        .map_err(|_| io::Error::other(format!("unexpected git cat-file size: {}", text.trim())))?;
    Ok(Some(Header {
        oid: oid.to_owned(),
        kind: kind.to_owned(),
        size,
    }))
}

fn skip(reader: &mut impl Read, n: u64) -> io::Result<()> {
    let copied = io::copy(&mut reader.take(n), &mut io::sink())?;
    if copied == n {
        Ok(())
    } else {
        Err(io::ErrorKind::UnexpectedEof.into())
    }
}

fn git_failure(args: &str, status: std::process::ExitStatus, stderr: &[u8]) -> Error {
    Error::Git(GitError::Failed {
        command: args.to_owned(),
        message: format!("{status}: {}", git::stderr_summary(stderr)),
    })
}

fn spawn(repo: &Path, args: &[&str], with_stdin: bool) -> Result<Child, Error> {
    git::command(repo)
        .args(args)
        .stdin(if with_stdin {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| Error::Git(GitError::Missing { source }))
}

/// Copies the object ids of a `--batch-check` listing to a `--batch` process.
fn feed_object_ids(listing: ChildStdout, stdin: ChildStdin) {
    let mut input = io::BufWriter::with_capacity(1 << 16, stdin);
    for line in BufReader::new(listing).split(b'\n') {
        let Ok(line) = line else { break };
        let Some(space) = line.iter().position(|b| *b == b' ') else {
            continue;
        };
        if input.write_all(&line[..space]).is_err() || input.write_all(b"\n").is_err() {
            break;
        }
    }
    let _ = input.flush();
}

/// The entry names of a tree object that hold a needle.
fn scan_tree_names(tree: &str, body: &[u8], matcher: &Matcher, found: &mut Vec<(String, String)>) {
    let hash_len = tree.len() / 2;
    let mut rest = body;
    while let Some(space) = rest.iter().position(|b| *b == b' ') {
        let after = &rest[space + 1..];
        let Some(nul) = after.iter().position(|b| *b == 0) else {
            return;
        };
        let name = &after[..nul];
        if matcher.is_match(name) {
            found.push((tree.to_owned(), String::from_utf8_lossy(name).into_owned()));
        }
        let Some(next) = after.get(nul + 1 + hash_len..) else {
            return;
        };
        rest = next;
    }
}

/// Searches a tree's entry names, or a whole commit or tag object (other kinds: nothing).
fn scan_object(
    header: &Header,
    body: &[u8],
    matcher: &Matcher,
    result: &mut HistoryScan,
    hits: &mut Vec<Hit>,
) {
    match header.kind.as_str() {
        "tree" => return scan_tree_names(&header.oid, body, matcher, &mut result.name_hits),
        "commit" | "tag" => {}
        _ => return,
    }
    hits.clear();
    matcher.scan_slice(body, hits);
    for hit in hits.iter() {
        if header.kind == "commit" {
            result.commit_hits.push((header.oid.clone(), *hit));
        } else {
            result
                .tag_hits
                .push((header.oid.clone(), tag_name(body), *hit));
        }
    }
}

/// The name of an annotated tag object (its `tag` header line).
fn tag_name(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix("tag "))
        .unwrap_or_default()
        .to_owned()
}

type Found = Mutex<Vec<(String, Hit)>>;

/// A worker: scans the blobs it receives until the channel closes.
fn scan_blobs(rx: &Mutex<mpsc::Receiver<(String, Vec<u8>)>>, matcher: &Matcher, found: &Found) {
    let mut mine = Vec::new();
    let mut hits = Vec::new();
    loop {
        let message = rx
            .lock()
            .expect("no worker panics while holding the lock")
            .recv();
        let Ok((oid, blob)) = message else { break };
        hits.clear();
        matcher.scan_slice(&blob, &mut hits);
        mine.extend(hits.iter().map(|h| (oid.clone(), *h)));
    }
    found
        .lock()
        .expect("no worker panics while holding the lock")
        .extend(mine);
}

fn show_progress(out: &mut dyn Write, scan: &HistoryScan, start: Instant, last: bool) {
    let _ = write!(
        out,
        "\r\x1b[2Kscanning history: {} blob(s), {} ({:.0}s){}",
        scan.blobs,
        human_bytes(scan.bytes),
        start.elapsed().as_secs_f64(),
        if last { "\n" } else { "" }
    );
    let _ = out.flush();
}

/// Scans every blob of the object database of `repo`.
pub fn scan(
    repo: &Path,
    matcher: &Matcher,
    workers: usize,
    mut progress: Option<&mut dyn Write>,
) -> Result<HistoryScan, Error> {
    // Trees and commits are read too (file names, commit messages, issue 12), although they
    // are often as many bytes as the blobs; pack order keeps the reads sequential.
    const LIST: [&str; 4] = [
        "cat-file",
        "--batch-all-objects",
        "--batch-check=%(objectname) %(objecttype)",
        "--unordered",
    ];
    const ARGS: [&str; 2] = ["cat-file", "--batch"];
    let mut lister = spawn(repo, &LIST, false)?;
    let listing = lister.stdout.take().expect("stdout is piped");
    let mut lister_stderr = lister.stderr.take().expect("stderr is piped");
    let mut child = spawn(repo, &ARGS, true)?;
    let stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr_pipe = child.stderr.take().expect("stderr is piped");
    let mut lister_stderr_bytes = Vec::new();
    let (tx, rx) = mpsc::sync_channel::<(String, Vec<u8>)>(workers * 4);
    let rx = Mutex::new(rx);
    let found: Found = Mutex::new(Vec::new());
    let mut result = HistoryScan::default();
    let mut stderr_bytes = Vec::new();
    let read_result: io::Result<()> = std::thread::scope(|scope| {
        scope.spawn(|| {
            let _ = stderr_pipe.read_to_end(&mut stderr_bytes);
        });
        scope.spawn(|| {
            let _ = lister_stderr.read_to_end(&mut lister_stderr_bytes);
        });
        scope.spawn(move || feed_object_ids(listing, stdin));
        for _ in 0..workers {
            scope.spawn(|| scan_blobs(&rx, matcher, &found));
        }
        let mut reader = BufReader::with_capacity(1 << 20, stdout);
        let mut line = Vec::new();
        let mut buf = Vec::new();
        let mut body = Vec::new();
        let mut hits = Vec::new();
        let start = Instant::now();
        let mut shown = Instant::now();
        let mut started = false;
        let outcome = (|| {
            while let Some(header) = read_header(&mut reader, &mut line)? {
                if header.kind == "blob" {
                    result.blobs += 1;
                    result.bytes += header.size;
                    if header.size <= WHOLE_BLOB_MAX {
                        let mut blob =
                            vec![0; usize::try_from(header.size).expect("at most 16 MiB")];
                        reader.read_exact(&mut blob)?;
                        if tx.send((header.oid, blob)).is_err() {
                            return Err(io::Error::other("the scanning threads stopped"));
                        }
                    } else {
                        hits.clear();
                        matcher.scan_reader(
                            (&mut reader).take(header.size),
                            &mut buf,
                            &mut hits,
                        )?;
                        found
                            .lock()
                            .expect("no worker panics while holding the lock")
                            .extend(hits.drain(..).map(|h| (header.oid.clone(), h)));
                    }
                } else {
                    body.resize(usize::try_from(header.size).map_err(io::Error::other)?, 0);
                    reader.read_exact(&mut body)?;
                    scan_object(&header, &body, matcher, &mut result, &mut hits);
                }
                skip(&mut reader, 1)?;
                if let Some(out) = progress.as_deref_mut()
                    && (shown.elapsed() >= Duration::from_millis(100) || !started)
                {
                    started = true;
                    shown = Instant::now();
                    show_progress(out, &result, start, false);
                }
            }
            Ok(())
        })();
        drop(tx);
        if let Some(out) = progress {
            show_progress(out, &result, start, true);
        }
        outcome
    });
    let list_status = lister.wait()?;
    let status = child.wait()?;
    if !list_status.success() {
        return Err(git_failure(
            &LIST.join(" "),
            list_status,
            &lister_stderr_bytes,
        ));
    }
    if !status.success() {
        return Err(git_failure(&ARGS.join(" "), status, &stderr_bytes));
    }
    read_result?;
    result.hits = found.into_inner().expect("workers have finished");
    Ok(result)
}

fn to_hex(bytes: &[u8]) -> String {
    crate::scan::secrets::hex(bytes)
}

/// The object graph around the found blobs.
#[derive(Default)]
struct Graph {
    /// child (tree or found blob) → (parent tree, entry name)
    parents: HashMap<String, Vec<(String, String)>>,
    /// root tree → (commit time, commit)
    commits_of_root: HashMap<String, Vec<(i64, String)>>,
}

fn parse_tree(graph: &mut Graph, tree: &str, body: &[u8], targets: &BTreeSet<String>) {
    let hash_len = tree.len() / 2;
    let mut rest = body;
    while let Some(space) = rest.iter().position(|b| *b == b' ') {
        let mode = &rest[..space];
        let after = &rest[space + 1..];
        let Some(nul) = after.iter().position(|b| *b == 0) else {
            return;
        };
        let name = String::from_utf8_lossy(&after[..nul]).into_owned();
        let Some(id) = after.get(nul + 1..nul + 1 + hash_len) else {
            return;
        };
        let child = to_hex(id);
        if mode == b"40000" || targets.contains(&child) {
            graph
                .parents
                .entry(child)
                .or_default()
                .push((tree.to_owned(), name));
        }
        rest = &after[nul + 1 + hash_len..];
    }
}

fn parse_commit(graph: &mut Graph, commit: &str, body: &[u8]) {
    let text = String::from_utf8_lossy(body);
    let mut tree = None;
    let mut time = 0;
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if let Some(t) = line.strip_prefix("tree ") {
            tree = Some(t.trim().to_owned());
        } else if let Some(c) = line.strip_prefix("committer ") {
            time = c
                .rsplit(' ')
                .nth(1)
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
        }
    }
    if let Some(tree) = tree {
        graph
            .commits_of_root
            .entry(tree)
            .or_default()
            .push((time, commit.to_owned()));
    }
}

fn read_graph(repo: &Path, targets: &BTreeSet<String>) -> Result<Graph, Error> {
    const ARGS: [&str; 2] = ["cat-file", "--batch"];
    let listing = git::run(
        repo,
        &[
            "cat-file",
            "--batch-all-objects",
            "--batch-check=%(objectname) %(objecttype)",
            "--unordered",
        ],
    )?;
    let wanted: Vec<String> = String::from_utf8_lossy(&listing)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(_, kind)| matches!(*kind, "tree" | "commit"))
        .map(|(oid, _)| oid.to_owned())
        .collect();
    let mut child = git::command(repo)
        .args(ARGS)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| Error::Git(GitError::Missing { source }))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr_pipe = child.stderr.take().expect("stderr is piped");
    let mut graph = Graph::default();
    let mut stderr_bytes = Vec::new();
    let read_result: io::Result<()> = std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut input = io::BufWriter::new(&mut stdin);
            for oid in &wanted {
                if writeln!(input, "{oid}").is_err() {
                    break;
                }
            }
            let _ = input.flush();
            drop(input);
            drop(stdin);
        });
        scope.spawn(|| {
            let _ = stderr_pipe.read_to_end(&mut stderr_bytes);
        });
        let mut reader = BufReader::with_capacity(1 << 20, stdout);
        let mut line = Vec::new();
        let mut body = Vec::new();
        while let Some(header) = read_header(&mut reader, &mut line)? {
            body.resize(usize::try_from(header.size).map_err(io::Error::other)?, 0);
            reader.read_exact(&mut body)?;
            skip(&mut reader, 1)?;
            match header.kind.as_str() {
                "tree" => parse_tree(&mut graph, &header.oid, &body, targets),
                "commit" => parse_commit(&mut graph, &header.oid, &body),
                _ => {}
            }
        }
        Ok(())
    });
    let status = child.wait()?;
    if !status.success() {
        return Err(git_failure(&ARGS.join(" "), status, &stderr_bytes));
    }
    read_result?;
    Ok(graph)
}

/// Upper bound on the (root tree, path) pairs followed per blob: enough to name the
/// earliest commit and count the commits of any real history.
const MAX_PATHS: usize = 200_000;

/// The commits a ref or reflog reaches.
pub fn reachable_commits(repo: &Path) -> HashSet<String> {
    String::from_utf8_lossy(&git::run(repo, &["rev-list", "--all", "--reflog"]).unwrap_or_default())
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Names a commit and a path for each found blob or tree, with that commit's time (0 when
/// none). A tree's path is its directory's (empty for a root tree).
pub fn locate(
    repo: &Path,
    targets: &BTreeSet<String>,
) -> Result<HashMap<String, (Place, i64)>, Error> {
    let graph = read_graph(repo, targets)?;
    let reachable = reachable_commits(repo);
    let mut places = HashMap::new();
    for blob in targets {
        // Depth-first walk upward: (node, path below it).
        let mut stack = vec![(blob.clone(), String::new())];
        let mut best: Option<(bool, i64, String, String)> = None;
        let mut commits = HashSet::new();
        let mut steps = 0;
        while let Some((node, path)) = stack.pop() {
            steps += 1;
            if steps > MAX_PATHS {
                break;
            }
            if let Some(list) = graph.commits_of_root.get(&node) {
                for (time, commit) in list {
                    commits.insert(commit.clone());
                    let candidate = (
                        !reachable.contains(commit),
                        *time,
                        commit.clone(),
                        path.clone(),
                    );
                    if best.as_ref().is_none_or(|b| candidate < *b) {
                        best = Some(candidate);
                    }
                }
            }
            for (parent, name) in graph
                .parents
                .get(&node)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                let joined = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{name}/{path}")
                };
                stack.push((parent.clone(), joined));
            }
        }
        let place = match best {
            Some((unreachable, time, commit, path)) => (
                Place::History {
                    blob: blob.clone(),
                    commit: Some(commit),
                    path: Some(path),
                    commits: commits.len(),
                    reachable: !unreachable,
                },
                time,
            ),
            None => (
                Place::History {
                    blob: blob.clone(),
                    commit: None,
                    path: None,
                    commits: 0,
                    reachable: false,
                },
                0,
            ),
        };
        places.insert(blob.clone(), place);
    }
    Ok(places)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_redacted_in_debug() {
        let scan = HistoryScan {
            tag_hits: vec![(
                "t".into(),
                "tag-secret-name".into(),
                Hit { line: 1, needle: 0 },
            )],
            name_hits: vec![("t".into(), "file-secret-name".into())],
            ..HistoryScan::default()
        };
        let debug = format!("{scan:?}");
        assert!(!debug.contains("secret-name"), "{debug}");
        assert!(debug.contains("<1 redacted>"), "{debug}");
    }
}
