//! Randomized differential of YAML comment placement against the real sops 3.11 (issue 15).
//!
//! Each case is a random block-style YAML text with comments in random places: own-line
//! comments at any column (with and without blank lines around them), after nested blocks
//! in maps and lists, between list items, on bare `-` items, after `key:` before a nested
//! block, next to anchors and aliases, and at the end of the document. With
//! `COMMENT_LAYOUT_RICH=1`, values are also flow collections (`[..]`, `{..}`, on one line
//! or several with comments inside, empty or holding nested ones) and block scalars (`|`,
//! `>-`) with comments on and after them, and a text is sometimes several documents; without
//! it each seed gives the text it always gave.
//!
//! The text is encrypted by us and decrypted by sops; sops must print no warning and
//! exactly what it prints for its own encryption of the same text (a comment we encrypted
//! under another path than the one sops attaches it to shows up as a warning and
//! `#ENC[…]`). The one accepted difference is a comment that sops loses on its own round
//! trip and we keep (README compatibility notes): sops' output for our file must then be
//! its output for its own file plus those comment lines, and nothing else. The other way,
//! sops' own file decrypted by us must print the same text, with no warning.
//!
//! The short forms (seeds 1..=150, and 1..=100 of the rich form; two threads) run in the
//! normal suite; without sops on PATH they are skipped locally and fail under `CI=true`
//! (test-support). Seeds whose layouts still differ are listed in `KNOWN_DIFFERENT`; the
//! classes behind them are described in
//! `tests/fixtures/yaml-comments/README.md`. The long form is `#[ignore]`d; see
//! `comment_layouts_long_form` for the command.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};

use bundle_core::Format;
use bundle_core::keys::Identities;
use bundle_core::sops::{EncryptSettings, SopsFile, encrypt_plaintext};
use bundle_core::store::EmitOptions;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use test_support::sops;

const ALICE: &str = "age1ps335dvugrdjvdk7p6kzlhkzeze77p07w9exxz9em8mpkheehuwqs76e5w";
const NOW: i64 = 1_796_000_000;
/// Seeds of the short form (CI).
const SHORT_FORM_SEEDS: std::ops::RangeInclusive<u64> = 1..=150;
/// Seeds of the short form with flow collections and block scalars (CI).
const RICH_SHORT_FORM_SEEDS: std::ops::RangeInclusive<u64> = 1..=100;
/// Short-form seeds whose layouts still differ from sops (see the module header).
const KNOWN_DIFFERENT: &[u64] = &[];

fn key_file() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sops-3.11.0/keys/alice.agekey")
}

/// A random comment layout: the text generator.
struct Layout {
    rng: StdRng,
    out: String,
    comments: usize,
    keys: usize,
    anchors: Vec<String>,
    /// Also flow collections and block scalars as values (`COMMENT_LAYOUT_RICH=1`); off,
    /// the generator makes the same texts as before it had them.
    rich: bool,
}

impl Layout {
    fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            out: String::new(),
            comments: 0,
            keys: 0,
            anchors: Vec::new(),
            rich: false,
        }
    }

    fn chance(&mut self, percent: u32) -> bool {
        self.rng.gen_range(0..100) < percent
    }

    fn comment_text(&mut self) -> String {
        self.comments += 1;
        format!("c{}", self.comments)
    }

    /// Zero or more own-line comments near indentation `indent`.
    fn comment_lines(&mut self, indent: usize, percent: u32) {
        if !self.chance(percent) {
            return;
        }
        if self.chance(20) {
            self.out.push('\n');
        }
        let count = self.rng.gen_range(1..=3);
        for _ in 0..count {
            let column = match self.rng.gen_range(0..6) {
                0 => 0,
                1 => indent.saturating_sub(2),
                2 => indent + 2,
                3 => self.rng.gen_range(0..=indent + 4),
                _ => indent,
            };
            let text = self.comment_text();
            let _ = writeln!(self.out, "{}# {text}", " ".repeat(column));
            if self.chance(10) {
                self.out.push('\n');
            }
        }
    }

    /// A trailing ` # c` (or nothing) and the end of the line.
    fn end_line(&mut self, percent: u32) {
        if self.chance(percent) {
            let text = self.comment_text();
            let _ = write!(self.out, " # {text}");
        }
        self.out.push('\n');
    }

    fn key(&mut self) -> String {
        self.keys += 1;
        format!("k{}", self.keys)
    }

    fn scalar(&mut self) -> String {
        if !self.anchors.is_empty() && self.chance(8) {
            let i = self.rng.gen_range(0..self.anchors.len());
            return format!("*{}", self.anchors[i]);
        }
        let value = match self.rng.gen_range(0..4) {
            0 => format!("{}", self.rng.gen_range(0..100)),
            1 => "true".to_owned(),
            _ => format!("v{}", self.rng.gen_range(0..100)),
        };
        if self.chance(8) {
            let name = format!("a{}", self.anchors.len());
            self.anchors.push(name.clone());
            return format!("&{name} {value}");
        }
        value
    }

    /// Block mapping entries at `indent`; the first entry's key may already be on the line
    /// (after `- `).
    fn mapping(&mut self, indent: usize, depth: usize, inline_first: bool) {
        let entries = self.rng.gen_range(1..=3);
        for i in 0..entries {
            if !(i == 0 && inline_first) {
                self.comment_lines(indent, 30);
                self.out.push_str(&" ".repeat(indent));
            }
            let key = self.key();
            let nested = depth < 3 && self.chance(45);
            if nested {
                self.out.push_str(&key);
                self.out.push(':');
                if self.chance(15) {
                    let name = format!("a{}", self.anchors.len());
                    self.anchors.push(name.clone());
                    let _ = write!(self.out, " &{name}");
                }
                self.end_line(15);
                self.comment_lines(indent + 2, 20);
                if self.chance(50) {
                    self.mapping(indent + 2, depth + 1, false);
                } else {
                    let seq_indent = if self.chance(50) { indent } else { indent + 2 };
                    self.sequence(seq_indent, depth + 1);
                }
            } else if self.rich && self.chance(30) {
                let _ = write!(self.out, "{key}:");
                self.rich_value(indent + 2);
            } else {
                let value = self.scalar();
                let _ = write!(self.out, "{key}: {value}");
                self.end_line(20);
            }
            self.comment_lines(indent, 25);
        }
    }

    /// Block sequence items with their dash at `indent`.
    fn sequence(&mut self, indent: usize, depth: usize) {
        let items = self.rng.gen_range(1..=3);
        for i in 0..items {
            if i > 0 {
                self.comment_lines(indent, 30);
            }
            self.out.push_str(&" ".repeat(indent));
            self.out.push('-');
            match self.rng.gen_range(0..6) {
                0 => self.end_line(30),
                1 if depth < 3 => {
                    self.out.push(' ');
                    self.mapping(indent + 2, depth + 1, true);
                }
                2 if depth < 3 => {
                    self.end_line(30);
                    self.comment_lines(indent + 2, 30);
                    self.mapping(indent + 2, depth + 1, false);
                }
                _ if self.rich && self.chance(30) => self.rich_value(indent + 2),
                _ => {
                    let value = self.scalar();
                    let _ = write!(self.out, " {value}");
                    self.end_line(20);
                }
            }
            self.comment_lines(indent + 2, 20);
        }
    }

    /// A flow collection (on one line or several, with comments inside) or a block scalar
    /// (content at `indent`), after `key:` or `-`.
    fn rich_value(&mut self, indent: usize) {
        match self.rng.gen_range(0..6) {
            // A flow collection over several lines, with comments inside.
            open @ (4 | 5) => {
                let map = open == 5;
                self.out.push_str(if map { " {" } else { " [" });
                self.end_line(30);
                let count = self.rng.gen_range(0..=3);
                for i in 0..count {
                    self.comment_lines(indent, 30);
                    let n = self.rng.gen_range(0..100);
                    let pad = " ".repeat(indent);
                    // Sometimes a nested flow collection (empty or not) as the entry.
                    let entry = match self.rng.gen_range(0..10) {
                        0 => format!("[{n}, v{}]", self.rng.gen_range(0..100)),
                        1 => format!("{{x: {n}}}"),
                        2 => "[]".to_owned(),
                        _ => format!("v{n}"),
                    };
                    let _ = if map {
                        write!(self.out, "{pad}f{i}: {entry}")
                    } else {
                        write!(self.out, "{pad}{entry}")
                    };
                    if i + 1 < count {
                        self.out.push(',');
                    }
                    self.end_line(30);
                }
                self.comment_lines(indent, 20);
                let _ = write!(
                    self.out,
                    "{}{}",
                    " ".repeat(indent),
                    if map { '}' } else { ']' }
                );
                self.end_line(30);
            }
            0 => {
                let (a, b) = (self.rng.gen_range(0..100), self.rng.gen_range(0..100));
                let _ = write!(self.out, " [{a}, v{b}]");
                self.end_line(40);
            }
            1 => {
                let (a, b) = (self.rng.gen_range(0..100), self.rng.gen_range(0..100));
                let _ = write!(self.out, " {{x: {a}, y: v{b}}}");
                self.end_line(40);
            }
            style => {
                self.out.push_str(if style == 2 { " |" } else { " >-" });
                self.end_line(40);
                for _ in 0..self.rng.gen_range(1..=2) {
                    let n = self.rng.gen_range(0..100);
                    let _ = writeln!(self.out, "{}text {n}", " ".repeat(indent));
                }
            }
        }
    }

    fn document(seed: u64, rich: bool) -> String {
        let mut layout = Self::new(seed);
        layout.rich = rich;
        // Rich texts are sometimes several documents (`---`, or `...` then `---`).
        let documents = if rich && layout.chance(20) {
            layout.rng.gen_range(2..=3)
        } else {
            1
        };
        for d in 0..documents {
            if d > 0 {
                // An anchor is known in its own document only.
                layout.anchors.clear();
                let separator = if layout.chance(20) {
                    "...\n---\n"
                } else {
                    "---\n"
                };
                layout.out.push_str(separator);
            }
            layout.comment_lines(0, 30);
            layout.mapping(0, 0, false);
            layout.comment_lines(0, 40);
        }
        layout.out
    }
}

fn identities() -> Identities {
    Identities::from_text("alice", &fs_err::read_to_string(key_file()).unwrap()).unwrap()
}

fn run_sops(sops: &Path, dir: &Path, args: &[&str]) -> Output {
    Command::new(sops)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("SOPS_AGE_KEY_FILE", key_file())
        .arg("--disable-version-check")
        .args(args)
        .output()
        .unwrap()
}

/// What one case showed.
enum Outcome {
    Same,
    /// sops does not round-trip its own encryption of the text cleanly: no reference.
    NoReference,
    /// sops' output for our file is its output for its own file plus comments sops loses
    /// on its own round trip (which we keep on purpose, see the README's compatibility
    /// notes): the same otherwise.
    SopsLoses(Vec<String>),
    Different(String),
}

/// The comment lines of `ours` that `theirs` lacks, if removing them from `ours` gives
/// `theirs` exactly (and there is at least one).
fn only_lost_comments(ours: &str, theirs: &str) -> Option<Vec<String>> {
    let mut left: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for line in theirs.lines() {
        *left.entry(line.trim_start()).or_default() += 1;
    }
    let mut kept = Vec::new();
    let mut lost = Vec::new();
    for line in ours.lines() {
        let text = line.trim_start();
        match left.get_mut(text) {
            Some(n) if *n > 0 => {
                *n -= 1;
                kept.push(line);
            }
            _ if text.starts_with('#') => lost.push(text.to_owned()),
            _ => return None,
        }
    }
    (!lost.is_empty() && kept.iter().copied().eq(theirs.lines())).then_some(lost)
}

fn one_case(sops: &Path, text: &str) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let plain = d.join("plain.yaml");
    fs_err::write(&plain, text).unwrap();
    let theirs = run_sops(
        sops,
        d,
        &["encrypt", "--age", ALICE, plain.to_str().unwrap()],
    );
    if !theirs.status.success() {
        return Outcome::NoReference;
    }
    let theirs_path = d.join("theirs.yaml");
    fs_err::write(&theirs_path, &theirs.stdout).unwrap();
    let reference = run_sops(sops, d, &["decrypt", theirs_path.to_str().unwrap()]);
    if !reference.status.success() || !reference.stderr.is_empty() {
        return Outcome::NoReference;
    }

    // sops' file, decrypted by us: the same text sops prints for it, and no warning.
    let back = SopsFile::parse(&theirs_path, Format::Yaml, &theirs.stdout)
        .and_then(|f| f.decrypt(&identities()));
    match back {
        Err(e) => return Outcome::Different(format!("we cannot decrypt sops' file: {e}")),
        Ok(back) => {
            let shown = back
                .to_plaintext(Format::Yaml, EmitOptions::default())
                .unwrap();
            if !back.warnings().is_empty() || *shown != reference.stdout {
                return Outcome::Different(format!(
                    "we decrypt sops' file (warnings {:?}) to:\n{}\nand sops to:\n{}",
                    back.warnings(),
                    String::from_utf8_lossy(&shown),
                    String::from_utf8_lossy(&reference.stdout)
                ));
            }
        }
    }

    let ours_path = d.join("ours.yaml");
    let settings = EncryptSettings::for_recipients(vec![ALICE.to_owned()]);
    let ours = match encrypt_plaintext(&ours_path, Format::Yaml, text.as_bytes(), &settings, NOW) {
        Ok(file) => file,
        Err(e) => return Outcome::Different(format!("we cannot encrypt it: {e}")),
    };
    fs_err::write(&ours_path, ours.to_bytes(EmitOptions::default()).unwrap()).unwrap();
    let decrypted = run_sops(sops, d, &["decrypt", ours_path.to_str().unwrap()]);
    if !decrypted.status.success() || !decrypted.stderr.is_empty() {
        return Outcome::Different(format!(
            "sops decrypting our file ({}): {}\n{}",
            decrypted.status,
            String::from_utf8_lossy(&decrypted.stderr),
            String::from_utf8_lossy(&decrypted.stdout)
        ));
    }
    if decrypted.stdout != reference.stdout {
        let ours = String::from_utf8_lossy(&decrypted.stdout);
        let theirs = String::from_utf8_lossy(&reference.stdout);
        if let Some(lost) = only_lost_comments(&ours, &theirs) {
            return Outcome::SopsLoses(lost);
        }
        return Outcome::Different(format!(
            "sops prints for our file:\n{}\nand for its own:\n{}",
            String::from_utf8_lossy(&decrypted.stdout),
            String::from_utf8_lossy(&reference.stdout)
        ));
    }
    Outcome::Same
}

/// The failing text with lines removed, one at a time, for as long as it still differs.
fn minimize(sops: &Path, text: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let mut fewer = lines.clone();
        fewer.remove(i);
        let candidate = joined(&fewer);
        if matches!(one_case(sops, &candidate), Outcome::Different(_)) {
            lines = fewer;
        } else {
            i += 1;
        }
    }
    joined(&lines)
}

fn joined(lines: &[&str]) -> String {
    let mut text = String::new();
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// Runs the seeds on two threads (sops is a process per call); returns the seeds that
/// differ, in order.
fn run(seeds: &[u64], rich: bool) -> Vec<u64> {
    let Some(sops) = sops() else {
        return Vec::new();
    };
    let minimizing = std::env::var_os("COMMENT_LAYOUT_MINIMIZE").is_some();
    let half = seeds.len().div_ceil(2);
    let results: Vec<(u64, Outcome)> = std::thread::scope(|scope| {
        let workers: Vec<_> = seeds
            .chunks(half.max(1))
            .map(|chunk| {
                let sops = &sops;
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|&seed| {
                            let text = Layout::document(seed, rich);
                            if std::env::var_os("COMMENT_LAYOUT_SHOW").is_some() {
                                eprintln!("--- seed {seed}:\n{text}");
                            }
                            (seed, one_case(sops, &text))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let (mut same, mut no_reference, mut failed) = (0usize, 0usize, Vec::new());
    let mut sops_loses = Vec::new();
    for (seed, outcome) in results {
        match outcome {
            Outcome::Same => same += 1,
            Outcome::NoReference => no_reference += 1,
            Outcome::SopsLoses(lost) => {
                eprintln!("--- seed {seed}: sops loses {lost:?} on its own round trip; we keep it");
                sops_loses.push(seed);
            }
            Outcome::Different(why) => {
                let text = Layout::document(seed, rich);
                eprintln!("--- seed {seed}: plaintext:\n{text}--- {why}");
                if minimizing {
                    eprintln!("--- seed {seed}: minimal:\n{}---", minimize(&sops, &text));
                }
                failed.push(seed);
            }
        }
    }
    eprintln!(
        "comment layouts: {same} same as sops, {} where sops loses a comment we keep ({sops_loses:?}), {} different, {no_reference} without a clean sops reference; failing seeds: {failed:?}",
        sops_loses.len(),
        failed.len()
    );
    failed
}

/// Short form (runs in CI): seeds 1..=150. The seeds in `KNOWN_DIFFERENT` still differ
/// from sops (the remaining classes listed in the yaml-comments fixtures' README); any
/// other seed that differs fails the test, and a known seed that comes to match is
/// reported so that it can leave the list.
#[test]
fn comment_layouts_short_form_matches_sops() {
    let seeds: Vec<u64> = SHORT_FORM_SEEDS.collect();
    let failed = run(&seeds, false);
    let unexpected: Vec<u64> = failed
        .iter()
        .copied()
        .filter(|s| !KNOWN_DIFFERENT.contains(s))
        .collect();
    let fixed: Vec<u64> = KNOWN_DIFFERENT
        .iter()
        .copied()
        .filter(|s| !failed.contains(s))
        .collect();
    if !fixed.is_empty() && sops().is_some() {
        eprintln!("notice: seeds {fixed:?} now match sops; remove them from KNOWN_DIFFERENT");
    }
    assert!(
        unexpected.is_empty(),
        "comment placement differs from sops for seeds {unexpected:?} (not known differences)"
    );
}

/// Short form with flow collections and block scalars (runs in CI): seeds
/// `RICH_SHORT_FORM_SEEDS`; any difference fails.
#[test]
fn comment_layouts_rich_short_form_matches_sops() {
    let seeds: Vec<u64> = RICH_SHORT_FORM_SEEDS.collect();
    let failed = run(&seeds, true);
    assert!(
        failed.is_empty(),
        "comment placement differs from sops for rich seeds {failed:?}"
    );
}

/// Long form, by hand: `CI=true cargo test -p bundle-core --test it comment_layouts_long_form
/// -- --ignored --nocapture` runs seeds 1..=272 (or `COMMENT_LAYOUT_CASES=N` from
/// `COMMENT_LAYOUT_SEED`, default 1) and fails on any difference; `COMMENT_LAYOUT_MINIMIZE=1`
/// also prints each failing text cut down to the lines that keep it failing,
/// `COMMENT_LAYOUT_SHOW=1` prints every text, `COMMENT_LAYOUT_RICH=1` adds flow collections
/// and block scalars, and `COMMENT_LAYOUT_FILE=path` runs one hand-written text instead.
#[test]
#[ignore = "slow: a few hundred sops runs (the short form runs in the normal suite)"]
fn comment_layouts_long_form() {
    if let Some(file) = std::env::var_os("COMMENT_LAYOUT_FILE") {
        let Some(sops) = sops() else { return };
        let text = fs_err::read_to_string(file).unwrap();
        match one_case(&sops, &text) {
            Outcome::Same => eprintln!("same as sops"),
            Outcome::SopsLoses(lost) => {
                eprintln!("same as sops, except comments sops loses and we keep: {lost:?}");
            }
            Outcome::NoReference => eprintln!("no clean sops reference"),
            Outcome::Different(why) => panic!("{why}"),
        }
        return;
    }
    let cases: u64 = std::env::var("COMMENT_LAYOUT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(272);
    let first: u64 = std::env::var("COMMENT_LAYOUT_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let seeds: Vec<u64> = (first..first + cases).collect();
    let rich = std::env::var_os("COMMENT_LAYOUT_RICH").is_some();
    let failed = run(&seeds, rich);
    assert!(
        failed.is_empty(),
        "comment placement differs from sops for seeds {failed:?}"
    );
}

/// The accepted difference is exactly "sops' text plus comment lines": a moved comment, a
/// changed value or a lost key is still a difference.
#[test]
fn only_lost_comments_accepts_nothing_else() {
    let theirs = "k1:\n    k2: 1\n# c1\nk3: 2\n";
    assert_eq!(
        only_lost_comments("k1:\n    k2: 1\n    # c9\n# c1\nk3: 2\n", theirs),
        Some(vec!["# c9".to_owned()])
    );
    // Same text: nothing lost, so not this outcome.
    assert_eq!(only_lost_comments(theirs, theirs), None);
    // A comment in another place.
    assert_eq!(
        only_lost_comments("k1:\n    k2: 1\nk3: 2\n# c1\n", theirs),
        None
    );
    // A comment at another indentation (another collection).
    assert_eq!(
        only_lost_comments("k1:\n    k2: 1\n    # c1\nk3: 2\n", theirs),
        None
    );
    // Data that differs.
    assert_eq!(
        only_lost_comments("k1:\n    k2: 5\n# c1\nk3: 2\n# c9\n", theirs),
        None
    );
}
