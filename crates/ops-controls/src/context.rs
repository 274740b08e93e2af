//! What the checks read from a repository: each input (workflows, bundle, gitleaks config,
//! file list) is loaded once, on first use, and shared by every check that needs it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bundle_core::ops::files::read_regular;
use bundle_core::time::Timestamp;

/// The most a document (runbook, workflow, policy, gitleaks configuration) may weigh: far
/// above any real one, and a bound on what a hostile tree can make the checks read.
pub(crate) const MAX_DOCUMENT_BYTES: u64 = 8 << 20;
/// The most the bundle may weigh (a 100,000-value bundle is about 20 MiB).
pub(crate) const MAX_BUNDLE_BYTES: u64 = 256 << 20;

use crate::bundle::{self, BundleState};
use crate::policy::Policy;
use crate::scanning::{self, Gitleaks};
use crate::workflow::{self, Actions, Workflows};

/// A repository under inspection.
pub(crate) struct Context {
    pub(crate) root: PathBuf,
    pub(crate) policy: Policy,
    /// "Now", for age checks.
    pub(crate) now: Timestamp,
    /// The execution about to be recorded ([`crate::Options::pending`]).
    pub(crate) pending: Option<bundle_core::ops::evidence::Execution>,
    workflows: OnceLock<Workflows>,
    actions: OnceLock<Actions>,
    files: OnceLock<Result<Vec<String>, String>>,
    bundle: OnceLock<BundleState>,
    gitleaks: OnceLock<Result<Gitleaks, (usize, String)>>,
}

/// A text file that could not be read for another reason than being absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReadError(pub(crate) String);

impl Context {
    pub(crate) fn new(root: PathBuf, policy: Policy, now: Timestamp) -> Context {
        Context {
            root,
            policy,
            now,
            pending: None,
            workflows: OnceLock::new(),
            actions: OnceLock::new(),
            files: OnceLock::new(),
            bundle: OnceLock::new(),
            gitleaks: OnceLock::new(),
        }
    }

    /// The execution log of the evidence directory, with the pending execution (if any)
    /// appended in memory: what the evidence checks read.
    pub(crate) fn evidence_log(
        &self,
    ) -> Result<bundle_core::ops::evidence::EvidenceLog, bundle_core::ops::evidence::EvidenceError>
    {
        let dir = self.policy.documents.evidence_dir.trim_end_matches('/');
        let mut log = bundle_core::ops::evidence::EvidenceLog::load(&self.path(dir))?;
        if let Some(pending) = &self.pending {
            log.append(pending.clone());
        }
        Ok(log)
    }

    /// Loads the inputs every report needs in parallel: the workflows and the file list on
    /// their own threads while this one reads the bundle.
    pub(crate) fn preload(&self, files: bool) {
        std::thread::scope(|scope| {
            scope.spawn(|| {
                self.workflows();
            });
            if files {
                scope.spawn(|| {
                    let _ = self.files();
                });
            }
            self.bundle();
        });
    }

    /// The absolute path of a repository-relative path.
    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// The text of a repository file; `Ok(None)` when it does not exist.
    /// A symbolic link out of the repository, a FIFO or device, or a document over
    /// [`MAX_DOCUMENT_BYTES`] is an error, never followed or read to the end (issue 11).
    pub(crate) fn read(&self, rel: &str) -> Result<Option<String>, ReadError> {
        match read_regular(&self.path(rel), Some(&self.root), MAX_DOCUMENT_BYTES) {
            Ok(bytes) => Ok(bytes.map(|b| String::from_utf8_lossy(&b).into_owned())),
            Err(e) => Err(ReadError(e.to_string())),
        }
    }

    /// Whether a repository path exists (file or directory).
    pub(crate) fn exists(&self, rel: &str) -> bool {
        fs_err::symlink_metadata(self.path(rel)).is_ok()
    }

    /// The workflow files, parsed, sorted by path.
    pub(crate) fn workflows(&self) -> &Workflows {
        self.workflows
            .get_or_init(|| load_workflows(&self.root, &self.policy.workflows.dir))
    }

    /// The composite actions of the repository, sorted by path: action metadata found
    /// among [`Context::files`], read with the limits of [`Context::read`].
    pub(crate) fn actions(&self) -> &Actions {
        self.actions.get_or_init(|| {
            let mut out = Actions::default();
            let files = match self.files() {
                Ok(files) => files,
                Err(e) => {
                    out.unlisted = Some(e.to_owned());
                    return out;
                }
            };
            for rel in files.iter().filter(|f| workflow::is_action_file(f)) {
                let invalid = |message: String| workflow::Invalid {
                    path: rel.clone(),
                    line: 1,
                    message,
                };
                match self.read(rel) {
                    Ok(Some(text)) => match workflow::parse_action(rel, &text) {
                        Ok(Some(action)) => out.parsed.push(action),
                        Ok(None) => {}
                        Err(e) => out.invalid.push(e),
                    },
                    // Listed a moment ago; gone since.
                    Ok(None) => {}
                    Err(ReadError(e)) => out.invalid.push(invalid(e)),
                }
            }
            out
        })
    }

    /// The bundle.
    pub(crate) fn bundle(&self) -> &BundleState {
        self.bundle.get_or_init(|| {
            let rel = &self.policy.bundle.path;
            bundle::load(&self.root, rel, &self.policy.bundle.version_key)
        })
    }

    /// The gitleaks configuration, or the line and message of why it cannot be used.
    pub(crate) fn gitleaks(&self) -> &Result<Gitleaks, (usize, String)> {
        self.gitleaks.get_or_init(|| {
            let rel = &self.policy.scanning.gitleaks_config;
            match self.read(rel) {
                Ok(Some(text)) => scanning::parse(&text),
                Ok(None) => Err((0, format!("{rel} does not exist"))),
                Err(ReadError(e)) => Err((0, e)),
            }
        })
    }

    /// The files that are (or would be) committed: git's tracked and untracked-not-ignored
    /// files in a git work tree, else every file not ignored by the `.gitignore` files.
    /// Paths are relative, with `/`, sorted.
    pub(crate) fn files(&self) -> Result<&[String], &str> {
        self.files
            .get_or_init(|| {
                bundle_core::ops::files::repo_files(&self.root, false).map_err(|e| e.to_string())
            })
            .as_ref()
            .map(Vec::as_slice)
            .map_err(String::as_str)
    }
}

fn load_workflows(root: &Path, dir: &str) -> Workflows {
    let mut out = Workflows::default();
    let Ok(entries) = fs_err::read_dir(root.join(dir)) else {
        return out;
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    paths.sort();
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let rel = format!("{}/{name}", dir.trim_end_matches('/'));
        match read_regular(&path, Some(root), MAX_DOCUMENT_BYTES)
            .and_then(|b| b.ok_or_else(|| std::io::ErrorKind::NotFound.into()))
            .and_then(|b| String::from_utf8(b).map_err(std::io::Error::other))
        {
            Ok(text) => match workflow::parse(&rel, &text) {
                Ok(wf) => out.parsed.push(wf),
                Err(invalid) => out.invalid.push(invalid),
            },
            Err(e) => out.invalid.push(workflow::Invalid {
                path: rel,
                line: 1,
                message: e.to_string(),
            }),
        }
    }
    out
}
