//! `init`: brings an existing git repository to the runbook's layout in one command: the
//! `.sops.yaml` rule with the MCP header, the bundle at version 1 encrypted to a new key (and
//! any `--recipient`), the policy, gitleaks rules, runbooks and contact matrix (its `TODO`
//! cells fail DOC-002 until filled), the evidence skeleton with the first execution (v0 → v1),
//! CODEOWNERS, a Makefile, the two runbook scripts and the CI workflow, all calling installed
//! binaries.
//!
//! Layout: this module holds the command line, the checks and the plan ([`init`]);
//! [`templates`] the fixed files, [`stateful`] the ones built through the libraries
//! (`.sops.yaml`, the bundle, the evidence) and [`write`] the all-or-nothing writing and the
//! key's delivery.
//!
//! What must stay true:
//! - nothing is ever overwritten: every file is planned first, and when any planned file
//!   exists with other content, all such files are listed and nothing is written (exit 1);
//! - a rerun is a no-op: a repository that already has its bundle, `.sops.yaml` and
//!   evidence log is *initialised*, and then init writes nothing and exits 0 (its files are
//!   the team's now: a filled matrix or a rotated bundle is expected, not a conflict). A file
//!   that exists with exactly the planned bytes is *identical* and skipped. Only on a
//!   repository that is not initialised does a differing file count as a *conflict*, and a
//!   half-initialised one is refused file by file the same way. The one exception is an
//!   existing `.gitignore`: kept as it is, and HYG-001 names any rule it misses;
//! - all or nothing: the evidence is built in a private staging directory, every file is
//!   rendered in memory, then written with create-new semantics (each atomic); when one write
//!   fails, the files and directories already created are removed, and the new private key
//!   is delivered only after every repository file is in place;
//! - the new private key goes only to `--key-out` (0600, new, outside the repository) or to
//!   `--key-cmd`'s stdin; `--dry-run` prints the plan and writes nothing, key included.

use bundle_core::ExitStatus;
use std::io::Write;
use std::path::{Path, PathBuf};

use bundle_core::config::CONFIG_FILE_NAME;
use bundle_core::keys::{KeyPair, parse_recipient};
use bundle_core::ops::evidence::{DEFAULT_DIR, LOG_FILE};
use bundle_core::time::Timestamp;
use bundle_core::treepath::TreePath;
use clap::Args;
use zeroize::Zeroizing;

use crate::rotate::{BUNDLE, KeySink, SetSource, now_from_env, parse_set, refuse_key_out};

/// How long `--key-cmd` may run, as `rotate`'s default `--key-cmd-timeout`.
const KEY_CMD_TIMEOUT: std::time::Duration = std::time::Duration::from_mins(1);
use crate::{Failure, TaskResult};

mod stateful;
mod templates;
mod write;

use stateful::stateful_files;
use write::{Created, deliver_key, write_all};

pub(crate) use templates::{GITLEAKS_SHA256, TODO, WORKFLOW};

/// `--help`'s epilogue: the exit codes, and what a rerun does.
pub(crate) const AFTER_HELP: &str = "\
A rerun on an initialised repository (bundle, .sops.yaml and evidence log present) changes
nothing and exits 0. Otherwise an existing file with other content than planned is a conflict:
all conflicts are listed, nothing is written, exit 1.

Exit codes:
  0  the repository was initialised (or already was; or --dry-run)
  1  conflicts: files that would be overwritten (nothing was written)
  2  usage or input error (bad arguments, not a git repository, key destination unusable)";

/// The toolkit's git repository baked in at build time (`MCP_SECRETS_TOOLKIT_GIT=<url>
/// MCP_SECRETS_TOOLKIT_REV=<sha> cargo install ...`), the default of `--toolkit-git`. There is
/// no other default: the workspace's `repository` field is not a published repository, and a
/// workflow installing from a URL that does not exist would be a pin that does not pin.
const BUILT_GIT: Option<&str> = option_env!("MCP_SECRETS_TOOLKIT_GIT");
/// The toolkit revision baked in at build time, the default of `--toolkit-rev`.
const BUILT_REV: Option<&str> = option_env!("MCP_SECRETS_TOOLKIT_REV");

/// Where the generated CI installs the toolkit from: a git repository at a full commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ToolkitSource {
    pub(crate) git: String,
    pub(crate) rev: String,
}

impl ToolkitSource {
    /// The source this binary was built from, when the build recorded both halves.
    pub(crate) fn built() -> Option<Self> {
        Some(Self {
            git: BUILT_GIT?.to_owned(),
            rev: BUILT_REV?.to_owned(),
        })
    }
}

/// Arguments of `init`.
#[derive(Args, Debug)]
pub(crate) struct InitArgs {
    /// The git repository to initialise.
    #[arg(long, value_name = "DIR", default_value = ".")]
    repo: PathBuf,
    /// The person creating the bundle (recorded in the evidence; repeatable).
    #[arg(long, value_name = "NAME", required = true)]
    responsible: Vec<String>,
    /// Write the new private key here (mode 0600, new, outside the repository).
    #[arg(
        long,
        value_name = "PATH",
        conflicts_with = "key_cmd",
        required_unless_present = "key_cmd"
    )]
    key_out: Option<PathBuf>,
    /// Run this shell command with the new private key on stdin (a password-manager CLI).
    #[arg(long, value_name = "CMD")]
    key_cmd: Option<String>,
    /// Another age recipient of the bundle (a second custodian, the CI key); repeatable.
    #[arg(long, value_name = "age1…")]
    recipient: Vec<String>,
    /// A first secret value: `KEY=@FILE` reads it from a file, `KEY=-` from stdin.
    #[arg(long = "set", value_name = "KEY=@FILE|KEY=-")]
    sets: Vec<String>,
    /// The toolkit's git repository the generated CI installs from (default: the build's
    /// `MCP_SECRETS_TOOLKIT_GIT`, when set).
    #[arg(long, value_name = "URL")]
    toolkit_git: Option<String>,
    /// The toolkit's commit (40 hex) the generated CI installs (default: the build's
    /// `MCP_SECRETS_TOOLKIT_REV`, when set).
    #[arg(long, value_name = "SHA")]
    toolkit_rev: Option<String>,
    /// sha256 of `gitleaks_8.30.1_linux_x64.tar.gz` the generated CI verifies.
    #[arg(long, value_name = "HEX", default_value = GITLEAKS_SHA256)]
    gitleaks_sha256: String,
    /// The CODEOWNERS owner of the sensitive paths (a team handle).
    #[arg(long, value_name = "@ORG/TEAM", default_value = "@secops")]
    owner: String,
    /// Print the plan and write nothing.
    #[arg(long)]
    dry_run: bool,
}

/// What one `init` is asked to do, independent of the process (the demo builds it directly).
pub(crate) struct Options {
    pub(crate) responsible: Vec<String>,
    pub(crate) key_sink: KeySink,
    pub(crate) recipients: Vec<String>,
    /// The first secret values, already read.
    pub(crate) values: Vec<(TreePath, Zeroizing<String>)>,
    /// Where the generated CI installs the toolkit from; `None` writes `TODO` there (the
    /// install steps then fail, saying what to fill) and says so in init's output.
    pub(crate) toolkit: Option<ToolkitSource>,
    pub(crate) gitleaks_sha256: String,
    pub(crate) owner: String,
    pub(crate) dry_run: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use bundle_core::ops::cli::ToolError as _;

    #[test]
    fn pins_must_be_full_commits_and_digests() {
        assert!(check_pins(&Options::for_tests()).is_ok());
        let source = |f: &dyn Fn(&mut ToolkitSource)| {
            let mut o = Options::for_tests();
            f(o.toolkit.as_mut().unwrap());
            o
        };
        let o = source(&|t| t.rev = "v0.1.0".to_owned());
        assert_eq!(check_pins(&o).unwrap_err().exit_status(), ExitStatus::Usage);
        assert!(check_pins(&source(&|t| t.rev = t.rev.to_uppercase())).is_err());
        assert!(check_pins(&source(&|t| t.git = "https://x y".to_owned())).is_err());
        let mut o = Options::for_tests();
        o.gitleaks_sha256.pop();
        assert!(check_pins(&o).is_err());
        let mut o = Options::for_tests();
        o.toolkit = None;
        assert!(check_pins(&o).is_ok(), "no source: TODO, not an error");
    }
}

#[cfg(test)]
impl Options {
    pub(crate) fn for_tests() -> Self {
        Self {
            responsible: vec!["Ana Souza".to_owned()],
            key_sink: KeySink::Command("cat >/dev/null".to_owned(), KEY_CMD_TIMEOUT),
            recipients: Vec::new(),
            values: Vec::new(),
            toolkit: Some(ToolkitSource {
                git: "https://git.example.org/toolkit.git".to_owned(),
                rev: "0123456789abcdef0123456789abcdef01234567".to_owned(),
            }),
            gitleaks_sha256: GITLEAKS_SHA256.to_owned(),
            owner: "@secops".to_owned(),
            dry_run: false,
        }
    }
}

/// What happened to each planned file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileState {
    /// Absent: written (or, with `--dry-run`, would be).
    Create,
    /// Present with exactly the planned bytes: left alone.
    Identical,
    /// Present with other content in a repository not yet initialised.
    Conflict,
    /// `.gitignore`, present with other content: kept (init adds no line to a file it did
    /// not write); ops-controls HYG-001 names the rules it misses.
    Kept,
}

/// What `init` did.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The repository was already initialised: nothing was planned or written.
    pub(crate) already_initialised: bool,
    /// Each planned file (relative to the repository) and its state.
    pub(crate) files: Vec<(String, FileState)>,
    /// The new key's recipient (`None` when nothing was created).
    pub(crate) recipient: Option<String>,
    /// Files were written (not a dry run, no conflict, not initialised).
    pub(crate) written: bool,
}

impl Outcome {
    /// The conflicting files.
    pub(crate) fn conflicts(&self) -> impl Iterator<Item = &str> {
        self.files
            .iter()
            .filter(|(_, s)| *s == FileState::Conflict)
            .map(|(p, _)| p.as_str())
    }
}

/// Runs `init` from the command line.
pub(crate) fn run(args: &InitArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> TaskResult {
    let (now, _) = now_from_env()?;
    let key_sink = match (&args.key_out, &args.key_cmd) {
        (Some(path), _) => KeySink::File(path.clone()),
        (None, Some(cmd)) => KeySink::Command(cmd.clone(), KEY_CMD_TIMEOUT),
        (None, None) => {
            return Err(Failure::usage(
                "the new private key needs a destination\nhint: pass --key-out PATH (outside the repository) or --key-cmd CMD",
            ));
        }
    };
    let toolkit = toolkit_source(args)?;
    // A dry run reads no value (stdin stays untouched) but still checks every --set.
    let values = if args.dry_run {
        for spec in &args.sets {
            parse_set(spec)?;
        }
        Vec::new()
    } else {
        read_values(&args.sets)?
    };
    let options = Options {
        responsible: args.responsible.clone(),
        key_sink,
        recipients: args.recipient.clone(),
        values,
        toolkit: Some(toolkit),
        gitleaks_sha256: args.gitleaks_sha256.clone(),
        owner: args.owner.clone(),
        dry_run: args.dry_run,
    };
    let outcome = init(&args.repo, &options, now, stderr)?;
    print_plan(&outcome, &options, stdout)?;
    if outcome.conflicts().next().is_some() {
        return Err(Failure::problem(
            "init would overwrite the files marked `conflito` above; nothing was written\nhint: move or delete them (or merge their content after init) and run init again",
        ));
    }
    Ok(ExitStatus::Success)
}

/// `--toolkit-git` and `--toolkit-rev`, each defaulting to what the build recorded; both are
/// needed (the generated CI installs from them).
fn toolkit_source(args: &InitArgs) -> Result<ToolkitSource, Box<Failure>> {
    let git = args
        .toolkit_git
        .clone()
        .or_else(|| BUILT_GIT.map(str::to_owned));
    let rev = args
        .toolkit_rev
        .clone()
        .or_else(|| BUILT_REV.map(str::to_owned));
    match (git, rev) {
        (Some(git), Some(rev)) => Ok(ToolkitSource { git, rev }),
        (git, rev) => Err(Failure::usage(format!(
            "the generated CI installs the toolkit from a git repository at a pinned commit; missing: {}\nhint: pass --toolkit-git <the toolkit's git URL> --toolkit-rev <its 40-hex commit> (or build mcp-secrets with MCP_SECRETS_TOOLKIT_GIT and MCP_SECRETS_TOOLKIT_REV set)",
            [
                git.is_none().then_some("--toolkit-git"),
                rev.is_none().then_some("--toolkit-rev")
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ")
        ))),
    }
}

pub(crate) fn print_plan(
    outcome: &Outcome,
    options: &Options,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if outcome.already_initialised {
        writeln!(
            out,
            "repositório já inicializado ({BUNDLE}, {CONFIG_FILE_NAME} e {DEFAULT_DIR}/{LOG_FILE} presentes): nada a fazer"
        )?;
        return Ok(());
    }
    for (path, state) in &outcome.files {
        let label = match state {
            FileState::Create if options.dry_run => "criar (dry-run)",
            FileState::Create if outcome.written => "criado",
            FileState::Create => "criar",
            FileState::Identical => "idêntico",
            FileState::Conflict => "conflito",
            FileState::Kept => "mantido (HYG-001)",
        };
        writeln!(out, "{label:<16} {path}")?;
    }
    if let Some(recipient) = &outcome.recipient {
        writeln!(out, "nova chave: {recipient}")?;
    }
    if options.toolkit.is_none() {
        writeln!(
            out,
            "TODO: {} instala o toolkit de TOOLKIT_GIT/TOOLKIT_REV, ainda `TODO` (fonte não informada): preencha com a URL git do toolkit e o commit completo",
            templates::WORKFLOW
        )?;
    }
    Ok(())
}

/// Reads every `--set` value (a file, or stdin once), without its final newline.
fn read_values(specs: &[String]) -> Result<Vec<(TreePath, Zeroizing<String>)>, Box<Failure>> {
    use std::io::Read as _;
    let mut values = Vec::new();
    let mut stdin_used = false;
    for spec in specs {
        let (key, source) = parse_set(spec)?;
        let text = match source {
            SetSource::File(path) => Zeroizing::new(fs_err::read_to_string(path)?),
            SetSource::Stdin => {
                if stdin_used {
                    return Err(Failure::usage("--set: only one value can come from stdin"));
                }
                stdin_used = true;
                let mut s = Zeroizing::new(String::new());
                std::io::stdin().read_to_string(&mut s)?;
                s
            }
        };
        let trimmed = Zeroizing::new(text.strip_suffix('\n').unwrap_or(&text).to_owned());
        values.push((crate::rotate::tree_path("set", &key)?, trimmed));
    }
    Ok(values)
}

/// One file of the plan.
struct Planned {
    path: String,
    bytes: Vec<u8>,
    mode: u32,
}

/// Initialises `repo` (an existing git repository) with `options` at `now`; see the module
/// documentation for the rules. Returns the plan with each file's state; when it holds a
/// conflict nothing was written.
pub(crate) fn init(
    repo: &Path,
    options: &Options,
    now: Timestamp,
    stderr: &mut dyn Write,
) -> Result<Outcome, Box<Failure>> {
    let repo = fs_err::canonicalize(repo)?;
    if !repo.join(".git").exists() {
        return Err(Failure::usage(format!(
            "--repo {}: not a git repository\nhint: run `git init` there first (init scaffolds an existing repository)",
            repo.display()
        )));
    }
    check_pins(options)?;
    for r in &options.recipients {
        parse_recipient(r)
            .map_err(|e| Failure::usage(format!("--recipient {r}: not an age recipient ({e})")))?;
    }
    if options.responsible.iter().all(|r| r.trim().is_empty()) {
        return Err(Failure::usage("--responsible: give the name of a person"));
    }
    let anchors = [
        BUNDLE.to_owned(),
        CONFIG_FILE_NAME.to_owned(),
        format!("{DEFAULT_DIR}/{LOG_FILE}"),
    ];
    let present: Vec<&String> = anchors.iter().filter(|a| exists(&repo.join(a))).collect();
    if present.len() == anchors.len() {
        writeln!(stderr, "init: {} já está inicializado", repo.display())?;
        return Ok(Outcome {
            already_initialised: true,
            files: Vec::new(),
            recipient: None,
            written: false,
        });
    }
    if let KeySink::File(path) = &options.key_sink {
        refuse_key_out(&repo, path)?;
    }
    let pair = KeyPair::generate();
    let mut planned: Vec<Planned> = templates::render(options)
        .into_iter()
        .map(|r| Planned {
            path: r.path,
            bytes: r.bytes,
            mode: if r.executable { 0o755 } else { 0o644 },
        })
        .collect();
    planned.extend(stateful_files(&repo, options, &pair, now)?);
    let mut files = Vec::new();
    for p in &planned {
        let target = repo.join(&p.path);
        let state = if !exists(&target) {
            FileState::Create
        } else if fs_err::symlink_metadata(&target)?.is_file() && fs_err::read(&target)? == p.bytes
        {
            FileState::Identical
        } else if p.path == templates::GITIGNORE {
            FileState::Kept
        } else {
            FileState::Conflict
        };
        files.push((p.path.clone(), state));
    }
    let mut outcome = Outcome {
        already_initialised: false,
        files,
        recipient: Some(pair.recipient()),
        written: false,
    };
    if options.dry_run || outcome.conflicts().next().is_some() {
        if options.dry_run {
            writeln!(stderr, "--dry-run: nada foi escrito")?;
        }
        outcome.recipient = None;
        return Ok(outcome);
    }
    let to_write: Vec<&Planned> = planned
        .iter()
        .zip(&outcome.files)
        .filter(|(_, (_, s))| *s == FileState::Create)
        .map(|(p, _)| p)
        .collect();
    let mut created = Created::default();
    if let Err(e) = write_all(&repo, &to_write, &mut created)
        .and_then(|()| deliver_key(&options.key_sink, &pair, now))
    {
        created.undo();
        return Err(e);
    }
    outcome.written = true;
    writeln!(
        stderr,
        "init: {} arquivo(s) escritos em {}; chave privada entregue ({})",
        to_write.len(),
        repo.display(),
        match &options.key_sink {
            KeySink::File(p) => p.display().to_string(),
            KeySink::Command(..) => "--key-cmd".to_owned(),
        }
    )?;
    Ok(outcome)
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The generated CI pins the toolkit to a full commit and gitleaks to its sha256: a tag, a
/// short hash or a typo would be a pin that does not pin.
fn check_pins(options: &Options) -> Result<(), Box<Failure>> {
    if let Some(source) = &options.toolkit {
        if !is_hex(&source.rev, 40) {
            return Err(Failure::usage(format!(
                "--toolkit-rev {:?}: not a full commit (40 lowercase hex digits)\nhint: `git rev-parse <tag>` in the toolkit's repository gives it",
                source.rev
            )));
        }
        if source.git.trim().is_empty()
            || source.git.contains(char::is_whitespace)
            || source.git == TODO
        {
            return Err(Failure::usage(
                "--toolkit-git: give the toolkit's git URL (no spaces)",
            ));
        }
    }
    if !is_hex(&options.gitleaks_sha256, 64) {
        return Err(Failure::usage(format!(
            "--gitleaks-sha256 {:?}: not a sha256 (64 lowercase hex digits)",
            options.gitleaks_sha256
        )));
    }
    Ok(())
}

fn exists(path: &Path) -> bool {
    fs_err::symlink_metadata(path).is_ok()
}
