//! `check`: compare the bundle of the working tree with its base and judge the rotation.
//!
//! Everything a rule needs is gathered once into a [`Context`] (both bundles, `.sops.yaml`,
//! the evidence log, the files of the tree, the keys when given); the rules are pure
//! functions of it ([`crate::rules`]). Problems in the repository are rule failures; only
//! what prevents judging at all (no bundle, a base that names nothing, git failing, an
//! unreadable key file) is an [`Error`].

use std::path::{Path, PathBuf};

use bundle_core::config::SopsConfig;
use bundle_core::keys::Identities;
use bundle_core::ops::evidence::{DEFAULT_DIR, Entry, EvidenceLog, LOG_FILE};
use bundle_core::ops::git;
use bundle_core::ops::mcp::Version;
use bundle_core::sops::SopsFile;
use bundle_core::{Format, Scalar};
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::error::Error;
use crate::keys::KeySource;
use crate::report::CheckReport;
use crate::rules::{self, Status};

/// The bundle's path inside a repository (DESIGN.md), as bundle-core defines it.
pub use bundle_core::ops::mcp::BUNDLE_PATH as DEFAULT_BUNDLE;

/// The bundle header's keys, as bundle-core defines the MCP conventions.
pub use bundle_core::ops::mcp::{
    HEADER_KEYS, INCIDENT_KEY, REASON_KEY, ROTATED_AT_KEY, VERSION_KEY,
};

/// Files larger than this are not opened by the key-file and decrypted-copy rules: key files
/// and decrypted bundles are small; `scan-leaks` reads everything.
pub(crate) const MAX_HYGIENE_FILE: u64 = 4 * 1024 * 1024;

/// What `check` compares and with what.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The repository root.
    pub repo: PathBuf,
    /// The bundle, relative to the repository (default [`DEFAULT_BUNDLE`]).
    pub bundle: Option<PathBuf>,
    /// A file, or a git revision of the repository, holding the bundle before the change.
    pub base: String,
    /// The evidence directory (default `<repo>/docs/evidence/TASK-OPS-302`).
    pub evidence: Option<PathBuf>,
    /// The key(s) of the new bundle, for the rules that need one.
    pub keys: KeySource,
    /// Identity files of the replaced key (`--old-identity`).
    pub old_identities: Vec<PathBuf>,
    /// Paths (gitignore syntax) exempt from the key-file and decrypted-copy rules.
    pub allow: Vec<String>,
}

impl CheckOptions {
    /// Keyless checks of `repo` against `base`, with the default paths.
    pub fn new(repo: PathBuf, base: impl Into<String>) -> Self {
        Self {
            repo,
            bundle: None,
            base: base.into(),
            evidence: None,
            keys: KeySource::None,
            old_identities: Vec::new(),
            allow: Vec::new(),
        }
    }
}

/// Everything the rules read.
pub(crate) struct Context {
    pub(crate) repo: PathBuf,
    /// The bundle, relative to the repository, `/`-separated.
    pub(crate) bundle_rel: String,
    pub(crate) bundle_abs: PathBuf,
    pub(crate) base: SopsFile,
    pub(crate) new: SopsFile,
    pub(crate) config: Result<SopsConfig, String>,
    pub(crate) evidence_dir: PathBuf,
    pub(crate) evidence: Result<EvidenceLog, String>,
    /// The log at the base revision (`None` when the base is a file or the log is outside the repository).
    pub(crate) base_evidence: Option<Result<EvidenceLog, String>>,
    /// Files of the tree: tracked, untracked, and ignored files that are present.
    pub(crate) tree_files: Result<Vec<String>, String>,
    pub(crate) allow: Gitignore,
    pub(crate) identities: Option<Identities>,
    pub(crate) old_identities: Option<Identities>,
}

/// Where the bundle version stands in one file.
pub(crate) fn version_of(file: &SopsFile) -> Result<u64, String> {
    match Version::read(file, VERSION_KEY) {
        Version::Int(n) => u64::try_from(n).map_err(|_| format!("{VERSION_KEY} is negative ({n})")),
        Version::NotInteger(Scalar::Str(t)) => Err(format!(
            "{VERSION_KEY} is a string (\"{}\"), not an integer",
            printable(t.as_str())
        )),
        Version::NotInteger(other) => Err(format!(
            "{VERSION_KEY} is a {}, not an integer",
            bundle_core::value::type_name(&other)
        )),
        Version::Encrypted => Err(format!(
            "{VERSION_KEY} is encrypted: it must stay in the clear (unencrypted_regex)"
        )),
        Version::Missing => Err(format!("{VERSION_KEY} is missing from the top level")),
    }
}

/// A header value shown in a message: control characters replaced, cut at 80 characters.
/// Only ever used on values kept in the clear.
pub(crate) fn printable(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(80)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if s.chars().count() > 80 {
        out.push('…');
    }
    out
}

impl Context {
    /// Whether every encrypted value of the new bundle is new: none of the base's `ENC[…]`
    /// strings survives, which happens when the data key changed (sops keeps the IV, and so
    /// the ciphertext, of a value whose key and data key stay). Read without any key. Two
    /// encryptions in one second share `lastmodified` (it has one-second resolution), so the
    /// time rules accept an equal stamp when this holds.
    pub(crate) fn reencrypted_everything(&self) -> bool {
        let before: std::collections::HashSet<String> =
            crate::rules::enc_strings(self.base.branches())
                .into_iter()
                .map(|(_, enc)| enc)
                .collect();
        let after = crate::rules::enc_strings(self.new.branches());
        !after.is_empty() && after.iter().all(|(_, enc)| !before.contains(enc))
    }

    pub(crate) fn base_version(&self) -> Result<u64, String> {
        version_of(&self.base)
    }

    pub(crate) fn new_version(&self) -> Result<u64, String> {
        version_of(&self.new)
    }

    /// A rotation is any change of the version entry; an unchanged one means "not a rotation".
    pub(crate) fn is_rotation(&self) -> bool {
        self.base.plaintext(VERSION_KEY) != self.new.plaintext(VERSION_KEY)
    }

    /// The evidence entry of the rotation to the new version.
    pub(crate) fn entry(&self) -> Option<&Entry> {
        let version = self.new_version().ok()?;
        self.evidence.as_ref().ok()?.entry_for_version(version)
    }

    /// A header value in the clear, as text.
    pub(crate) fn header_text(file: &SopsFile, key: &str) -> Option<String> {
        match file.plaintext(key)? {
            Scalar::Str(t) | Scalar::Time(t) => Some(t.as_str().to_owned()),
            Scalar::Int(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// Whether `rel` is exempt from the hygiene rules (`--allow`).
    pub(crate) fn is_allowed(&self, rel: &str) -> bool {
        self.allow
            .matched_path_or_any_parents(rel, false)
            .is_ignore()
    }

    /// The bytes of a tree file when it is a regular file no larger than [`MAX_HYGIENE_FILE`].
    pub(crate) fn read_small(&self, rel: &str) -> Option<Vec<u8>> {
        let path = self.repo.join(rel);
        let meta = fs_err::symlink_metadata(&path).ok()?;
        if !meta.is_file() || meta.len() > MAX_HYGIENE_FILE {
            return None;
        }
        fs_err::read(&path).ok()
    }
}

fn to_rel(repo: &Path, path: &Path) -> String {
    path.strip_prefix(repo)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

fn allow_matcher(repo: &Path, patterns: &[String]) -> Result<Gitignore, Error> {
    let mut builder = GitignoreBuilder::new(repo);
    for pattern in patterns {
        builder
            .add_line(None, pattern)
            .map_err(|e| Error::AllowPattern {
                pattern: pattern.clone(),
                message: e.to_string(),
            })?;
    }
    builder.build().map_err(|e| Error::AllowPattern {
        pattern: patterns.join(" "),
        message: e.to_string(),
    })
}

/// The files of the tree the hygiene rules look at: with git, tracked and untracked files
/// plus ignored files that are present (wholly ignored directories excepted); without git,
/// every file but `.git/`.
fn tree_files(repo: &Path, in_git: bool) -> Result<Vec<String>, String> {
    if in_git {
        let mut files = git::list_files(repo, false).map_err(|e| e.to_string())?;
        files.extend(git::ignored_files(repo).map_err(|e| e.to_string())?);
        files.sort();
        files.dedup();
        return Ok(files);
    }
    bundle_core::ops::files::walk_files(repo, true).map_err(|e| e.to_string())
}

fn load_base(
    options: &CheckOptions,
    repo: &Path,
    bundle_rel: &str,
    format: Format,
    in_git: bool,
) -> Result<(SopsFile, Option<String>), Error> {
    let as_file = Path::new(&options.base);
    if fs_err::metadata(as_file).is_ok_and(|m| m.is_file()) {
        return Ok((SopsFile::read_as(as_file, format)?, None));
    }
    if !in_git {
        return Err(Error::BaseNotFound {
            base: options.base.clone(),
            repo: repo.to_owned(),
            message: "no such file, and the repository is not a git work tree".into(),
        });
    }
    let Some(commit) = git::resolve_commit(repo, &options.base)? else {
        return Err(Error::BaseNotFound {
            base: options.base.clone(),
            repo: repo.to_owned(),
            message: "no such file, and git knows no such revision".into(),
        });
    };
    let bytes =
        git::show_file(repo, &commit, bundle_rel)?.ok_or_else(|| Error::BundleMissingAtBase {
            base: options.base.clone(),
            path: bundle_rel.to_owned(),
        })?;
    let label = PathBuf::from(format!("{}:{bundle_rel}", options.base));
    Ok((SopsFile::parse(&label, format, &bytes)?, Some(commit)))
}

/// Gathers the context of a check.
pub(crate) fn context(options: &CheckOptions) -> Result<Context, Error> {
    let repo = fs_err::canonicalize(&options.repo)
        .ok()
        .filter(|p| p.is_dir())
        .ok_or_else(|| Error::RepoNotFound {
            path: options.repo.clone(),
        })?;
    let bundle_abs = repo.join(
        options
            .bundle
            .as_deref()
            .unwrap_or(Path::new(DEFAULT_BUNDLE)),
    );
    if !fs_err::metadata(&bundle_abs).is_ok_and(|m| m.is_file()) {
        return Err(Error::BundleMissing { path: bundle_abs });
    }
    let bundle_rel = to_rel(&repo, &bundle_abs);
    let format = Format::from_path(&bundle_abs);
    let new = SopsFile::read_as(&bundle_abs, format)?;
    let in_git = git::is_work_tree(&repo);
    let (base, base_commit) = load_base(options, &repo, &bundle_rel, format, in_git)?;

    let config_path = repo.join(bundle_core::config::CONFIG_FILE_NAME);
    let config = if fs_err::metadata(&config_path).is_ok() {
        SopsConfig::load(&config_path).map_err(|e| e.to_string())
    } else {
        Err(format!(
            "{} not found",
            bundle_core::config::CONFIG_FILE_NAME
        ))
    };

    let evidence_dir = options
        .evidence
        .as_ref()
        .map_or_else(|| repo.join(DEFAULT_DIR), |d| repo.join(d));
    let evidence = EvidenceLog::load(&evidence_dir).map_err(|e| e.to_string());
    let base_evidence = match (&base_commit, evidence_dir.strip_prefix(&repo)) {
        (Some(commit), Ok(rel)) => {
            let rel = format!("{}/{LOG_FILE}", rel.to_string_lossy().replace('\\', "/"));
            Some(match git::show_file(&repo, commit, &rel) {
                Ok(Some(bytes)) => match String::from_utf8(bytes) {
                    Ok(text) => EvidenceLog::parse(&text).map_err(|e| e.to_string()),
                    Err(_) => Err("the base log is not UTF-8".to_owned()),
                },
                Ok(None) => Ok(EvidenceLog::new()),
                Err(e) => Err(e.to_string()),
            })
        }
        _ => None,
    };

    let identities = options.keys.load()?;
    let old_identities = if options.old_identities.is_empty() {
        None
    } else {
        Some(crate::keys::load_files(&options.old_identities)?)
    };
    let allow = allow_matcher(&repo, &options.allow)?;
    let tree_files = tree_files(&repo, in_git);
    Ok(Context {
        repo,
        bundle_rel,
        bundle_abs,
        base,
        new,
        config,
        evidence_dir,
        evidence,
        base_evidence,
        tree_files,
        allow,
        identities,
        old_identities,
    })
}

/// Runs every rule and builds the report.
pub fn check(options: &CheckOptions) -> Result<CheckReport, Error> {
    let cx = context(options)?;
    let results = rules::all()
        .iter()
        .map(|rule| {
            let outcome = if rule.needs_keys && cx.identities.is_none() {
                rules::Outcome::skip("no key given: pass --identity, or set SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY, SOPS_AGE_KEY_CMD)")
            } else {
                (rule.run)(&cx)
            };
            (rule, outcome)
        })
        .collect::<Vec<_>>();
    Ok(CheckReport::build(&cx, options, &results))
}

/// The exit status of a check: 3 when a key or integrity rule failed, 1 when another failed,
/// 0 otherwise.
pub fn exit_status(report: &CheckReport) -> bundle_core::ExitStatus {
    let failed = |integrity: bool| {
        report.rules.iter().any(|r| {
            r.status == Status::Fail
                && rules::by_id(&r.id).is_some_and(|rule| rule.integrity == integrity)
        })
    };
    if failed(true) {
        bundle_core::ExitStatus::Integrity
    } else {
        bundle_core::ExitStatus::problem_if(failed(false))
    }
}
