//! Arguments and the run: resolve paths, decrypt, then sync, check or dry-run, and report.
//!
//! Order matters for safety: the bundle is decrypted and both outputs rendered in memory
//! before any file is touched, so an input, key or flattening error changes nothing on disk;
//! `--remove-key-file` runs last, whatever happened before.

use bundle_core::ExitStatus;
use std::io::Write;
use std::path::{Path, PathBuf};

use bundle_core::keys::KeyEnv;
use clap::Parser;

use crate::bundle::{self, Loaded};
use crate::check;
use crate::error::{Error, Result};
use crate::keyfile;
use crate::publish::{self, ENV_FILE, FILE_MODE, JSON_FILE, OUTPUTS, OutDir, Step};
use crate::report::{FileReport, FileStatus, Mode, Outcome};

/// The exit-code table printed at the end of `--help` (DESIGN.md).
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success: the pair is published (or up to date, with --check)
  1  --check found a problem: missing, stale or loose-mode files, or an interrupted run
  2  usage or input error: bad arguments, missing or malformed bundle, a key that cannot be
     a variable name, two keys that flatten to the same name, a symbolic link at an output
  3  key or integrity error: no key can decrypt the bundle, MAC mismatch, tampered value";

/// Decrypt the SOPS bundle into ~/.mcp/.env and ~/.mcp/console-secrets.json (mode 0600,
/// directory 0700), atomically and as a consistent pair.
// Doc comments here are the --help text, read in a terminal: no Markdown backticks. Flags
// are independent booleans by nature, as in any CLI.
#[allow(clippy::doc_markdown, clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Parser)]
#[command(name = "secrets-sync", version, after_help = EXIT_CODES)]
pub struct Args {
    /// The repository whose config/secrets.enc.yaml is decrypted.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// The bundle to decrypt (default: <repo>/config/secrets.enc.yaml).
    #[arg(long, value_name = "PATH")]
    pub bundle: Option<PathBuf>,
    /// Where to publish .env and console-secrets.json (default: $MCP_HOME, else ~/.mcp).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// At the end, success or failure, delete the key file named by SOPS_AGE_KEY_FILE and
    /// the default keys.txt (those that exist).
    #[arg(long)]
    pub remove_key_file: bool,
    /// Write nothing; exit 1 if the published files are missing, stale or have loose modes.
    #[arg(long, conflicts_with = "dry_run")]
    pub check: bool,
    /// Write nothing; print the files and variable names that would be written.
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// The environment a run reads, captured once so that tests can set it explicitly.
#[derive(Default)]
pub struct Context {
    /// Where keys are found.
    pub keys: KeyEnv,
    /// `MCP_HOME`.
    pub mcp_home: Option<PathBuf>,
    /// `HOME`.
    pub home: Option<PathBuf>,
    /// Called after each publish step (crash tests; `None` in normal use).
    pub step_hook: Option<Box<dyn Fn(Step)>>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("keys", &self.keys)
            .field("mcp_home", &self.mcp_home)
            .field("home", &self.home)
            .field("step_hook", &self.step_hook.is_some())
            .finish()
    }
}

impl Context {
    /// Reads the key variables, `MCP_HOME` and `HOME` from the process (empty means unset).
    pub fn from_process() -> Self {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Self {
            keys: KeyEnv::from_process(),
            mcp_home: var("MCP_HOME"),
            home: var("HOME"),
            step_hook: None,
        }
    }

    /// The output directory: `--out-dir`, else `$MCP_HOME`, else `$HOME/.mcp`.
    pub fn out_dir(&self, args: &Args) -> Result<PathBuf> {
        if let Some(dir) = &args.out_dir {
            return Ok(dir.clone());
        }
        if let Some(dir) = &self.mcp_home {
            return Ok(dir.clone());
        }
        self.home
            .as_ref()
            .map(|home| home.join(".mcp"))
            .ok_or(Error::NoOutDir)
    }

    fn hook(&self, step: Step) {
        if let Some(hook) = &self.step_hook {
            hook(step);
        }
    }
}

/// Runs with the process environment.
pub fn run(args: &Args, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<ExitStatus> {
    run_with(args, &Context::from_process(), stdout, stderr)
}

/// Runs with an explicit environment.
pub fn run_with(
    args: &Args,
    ctx: &Context,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<ExitStatus> {
    let result = execute(args, ctx, stderr);
    let plan = if args.remove_key_file {
        // Only a publish (or a dry run of one) that succeeded may remove a key file.
        let published = match &result {
            Ok(outcome) if outcome.is_ok() && outcome.mode != Mode::Check => {
                Some(outcome.bundle.as_path())
            }
            _ => None,
        };
        keyfile::plan(keyfile::key_files(&ctx.keys), published)
    } else {
        keyfile::Plan::default()
    };
    let removal = if args.dry_run {
        Ok(())
    } else {
        keyfile::remove(&plan.remove)
    };
    match (result, removal) {
        (Ok(mut outcome), Ok(())) => {
            outcome.key_files = plan.remove;
            outcome.key_files_kept = plan.keep;
            outcome.remove_key_file = args.remove_key_file;
            write_outcome(&outcome, args.json, stdout, stderr)?;
            Ok(ExitStatus::problem_if(!outcome.is_ok()))
        }
        (Ok(_), Err(removal)) => Err(removal),
        (Err(e), _) => {
            if args.remove_key_file {
                note_kept(&plan.keep, stderr);
            }
            Err(e)
        }
    }
}

fn note_kept(kept: &[(PathBuf, &'static str)], stderr: &mut dyn Write) {
    // Best effort: stderr is where the error goes too; nothing better can be done if it fails.
    for (path, reason) in kept {
        let _ = writeln!(stderr, "key file: kept {} ({reason})", path.display());
    }
}

fn write_outcome(
    outcome: &Outcome,
    json: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<()> {
    outcome.write_summary(stderr)?;
    let written = if json {
        outcome.write_json(stdout)
    } else {
        outcome.write_data(stdout)
    };
    match written.and_then(|()| stdout.flush()) {
        // A closed pipe on stdout is the reader's choice, not a failure (STYLE.md).
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(Error::from),
    }
}

fn execute(args: &Args, ctx: &Context, stderr: &mut dyn Write) -> Result<Outcome> {
    let bundle_path = args
        .bundle
        .clone()
        .unwrap_or_else(|| args.repo.join(bundle_core::ops::mcp::BUNDLE_PATH));
    let out_dir = OutDir::new(ctx.out_dir(args)?);
    let loaded = bundle::load(&bundle_path, &ctx.keys)?;
    let mode = if args.check {
        Mode::Check
    } else if args.dry_run {
        Mode::DryRun
    } else {
        Mode::Sync
    };
    let mut outcome = Outcome {
        mode,
        bundle: bundle_path,
        version: loaded.version,
        values: loaded.values,
        encrypted: loaded.encrypted,
        variables: loaded.env.names.len(),
        key_sources: loaded.key_sources.clone(),
        out_dir: out_dir.path().to_owned(),
        dir_mode: None,
        dir_created: false,
        dir_previous_mode: None,
        files: Vec::new(),
        rolled_back: false,
        removed: Vec::new(),
        findings: Vec::new(),
        names: None,
        notes: loaded.env.notes.clone(),
        key_files: Vec::new(),
        key_files_kept: Vec::new(),
        remove_key_file: false,
    };
    match mode {
        Mode::Sync => sync(&out_dir, &loaded, ctx, &mut outcome, stderr)?,
        Mode::Check => {
            let result = check::check(&out_dir, &loaded)?;
            outcome.dir_mode = result.dir_mode;
            outcome.files = result.files;
            outcome.findings = result.findings;
        }
        Mode::DryRun => dry_run(&out_dir, &loaded, &mut outcome)?,
    }
    Ok(outcome)
}

fn sync(
    dir: &OutDir,
    loaded: &Loaded,
    ctx: &Context,
    outcome: &mut Outcome,
    stderr: &mut dyn Write,
) -> Result<()> {
    // Refuse links at the outputs before creating or changing anything.
    if publish::dir_mode(dir.path())?.is_some() {
        for name in OUTPUTS {
            publish::existing_kind(&dir.file(name))?;
        }
    }
    let state = publish::prepare_dir(dir.path())?;
    outcome.dir_created = state.created;
    outcome.dir_previous_mode = state.previous_mode;
    outcome.dir_mode = Some(publish::DIR_MODE);
    let _lock = publish::lock_exclusive(dir, &mut |path: &Path| {
        let _ = writeln!(
            stderr,
            "waiting for another secrets-sync run to release {}",
            path.display()
        );
    })?;
    let recovery = publish::recover(dir, &|step| ctx.hook(step))?;
    outcome.rolled_back = recovery.rolled_back;
    outcome.removed = recovery.removed;
    let existing = [
        publish::read_existing(&dir.file(ENV_FILE))?,
        publish::read_existing(&dir.file(JSON_FILE))?,
    ];
    let expected: [&[u8]; 2] = [loaded.env.text.as_bytes(), &loaded.json];
    let unchanged = existing.iter().zip(expected).all(|(old, new)| {
        old.as_ref()
            .is_some_and(|old| old.mode == FILE_MODE && old.content.as_slice() == new)
    });
    if !unchanged {
        publish::publish(dir, expected[0], expected[1], &|step| ctx.hook(step))?;
    }
    let status = if unchanged {
        FileStatus::Unchanged
    } else {
        FileStatus::Written
    };
    outcome.files = OUTPUTS
        .iter()
        .zip(&existing)
        .map(|(name, old)| FileReport {
            path: dir.file(name),
            status,
            mode: Some(FILE_MODE),
            previous_mode: old.as_ref().map(|o| o.mode).filter(|m| *m != FILE_MODE),
        })
        .collect();
    Ok(())
}

fn dry_run(dir: &OutDir, loaded: &Loaded, outcome: &mut Outcome) -> Result<()> {
    let dir_mode = publish::dir_mode(dir.path())?;
    outcome.dir_mode = dir_mode;
    outcome.dir_created = dir_mode.is_none();
    outcome.dir_previous_mode = dir_mode.filter(|m| *m != publish::DIR_MODE);
    for name in OUTPUTS {
        let path = dir.file(name);
        let mode = if dir_mode.is_some() {
            publish::read_existing(&path)?.map(|e| e.mode)
        } else {
            None
        };
        outcome.files.push(FileReport {
            path,
            status: FileStatus::WouldWrite,
            mode,
            previous_mode: mode.filter(|m| *m != FILE_MODE),
        });
    }
    outcome.names = Some(loaded.env.names.clone());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bundle_core::ops::cli::ToolError as _;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

    fn context(home: &Path) -> Context {
        let key_file = PathBuf::from(format!("{FIXTURES}/keys/alice.agekey"));
        Context {
            keys: KeyEnv {
                sops_age_key_file: Some(key_file),
                home: Some(home.to_owned()),
                ..KeyEnv::default()
            },
            mcp_home: None,
            home: Some(home.to_owned()),
            step_hook: None,
        }
    }

    fn args(bundle: &str) -> Args {
        Args::parse_from([
            "secrets-sync",
            "--bundle",
            &format!("{FIXTURES}/bundles/{bundle}.enc.yaml"),
        ])
    }

    #[test]
    fn run_with_publishes_in_process_without_printing_a_value() {
        let tmp = tempfile::tempdir().unwrap();
        let ctx = context(tmp.path());
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run_with(&args("secrets"), &ctx, &mut out, &mut err).unwrap();
        assert_eq!(code, ExitStatus::Success);
        let env = fs_err::read_to_string(tmp.path().join(".mcp/.env")).unwrap();
        assert!(env.contains("CANARY=CANARY-7f3c9e1d-never-print-me\n"));
        for stream in [&out, &err] {
            assert!(!String::from_utf8_lossy(stream).contains("7f3c9e1d"));
        }
        assert!(String::from_utf8_lossy(&err).contains("MCP_SECRETS_VERSION: 1"));
    }

    #[test]
    fn run_with_check_returns_1_and_errors_carry_their_exit_code() {
        let tmp = tempfile::tempdir().unwrap();
        let ctx = context(tmp.path());
        let mut check = args("secrets");
        check.check = true;
        let code = run_with(&check, &ctx, &mut Vec::new(), &mut Vec::new()).unwrap();
        assert_eq!(code, ExitStatus::Problem);
        let err = run_with(&args("tampered"), &ctx, &mut Vec::new(), &mut Vec::new()).unwrap_err();
        assert_eq!(err.exit_status(), ExitStatus::Integrity);
        let err = run_with(&args("collision"), &ctx, &mut Vec::new(), &mut Vec::new()).unwrap_err();
        assert!(matches!(err, Error::NameCollision { .. }));
        assert_eq!(err.exit_status(), ExitStatus::Usage);
    }

    #[test]
    fn out_dir_prefers_the_flag_then_mcp_home_then_home() {
        let mut ctx = Context {
            home: Some(PathBuf::from("/h")),
            ..Context::default()
        };
        let mut a = args("secrets");
        assert_eq!(ctx.out_dir(&a).unwrap(), Path::new("/h/.mcp"));
        ctx.mcp_home = Some(PathBuf::from("/m"));
        assert_eq!(ctx.out_dir(&a).unwrap(), Path::new("/m"));
        a.out_dir = Some(PathBuf::from("/o"));
        assert_eq!(ctx.out_dir(&a).unwrap(), Path::new("/o"));
        let empty = Context::default();
        assert!(matches!(
            empty.out_dir(&args("secrets")),
            Err(Error::NoOutDir)
        ));
    }
}
