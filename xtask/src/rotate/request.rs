//! What one rotation is asked to do: the command line (`RotateArgs`), turned into a
//! [`Request`] that does not depend on the process (the demo builds it directly), and the
//! checks of a request made before anything is changed.
//!
//! What must stay true: a secret value never comes from argv (`--set KEY=@FILE` or `KEY=-`),
//! the new private key never goes inside the repository, and every input is read before the
//! snapshot is recorded, so a bad input stops the rotation with nothing changed.

use bundle_core::ExitStatus;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use bundle_core::keys::KeyEnv;
use bundle_core::ops::evidence::Kind;
use bundle_core::time::Timestamp;
use bundle_core::treepath::TreePath;
use clap::Args;
use zeroize::Zeroizing;

use super::emergency::CommsSource;
use crate::Failure;

/// Arguments of `cargo xtask rotate`.
// Flags of a command line: each bool is one independent switch.
#[allow(clippy::struct_excessive_bools)]
#[derive(Args, Debug)]
pub(crate) struct RotateArgs {
    /// Why (scheduled): audit, expiry, legal requirement...
    #[arg(long, value_name = "TEXT", required_unless_present_any = ["emergency", "recover"])]
    reason: Option<String>,
    /// A person responsible (repeat; an emergency needs two).
    #[arg(long, value_name = "NAME", required_unless_present = "recover")]
    responsible: Vec<String>,
    /// Replace a value: `KEY=@FILE` reads it from a file, `KEY=-` from stdin (never from argv).
    #[arg(long = "set", value_name = "KEY=@FILE|KEY=-")]
    sets: Vec<String>,
    /// Write the new private key here (mode 0600, outside the repository, never overwritten).
    #[arg(long, value_name = "PATH", conflicts_with = "key_cmd", required_unless_present_any = ["key_cmd", "dry_run", "recover"])]
    key_out: Option<PathBuf>,
    /// Run this shell command with the new private key on stdin (e.g. a password-manager CLI).
    #[arg(long, value_name = "CMD")]
    key_cmd: Option<String>,
    /// Seconds `--key-cmd` may run before it and its children are killed (the rotation then
    /// stops at step 2 and rolls back).
    #[arg(long, value_name = "SECS", default_value_t = 60, requires = "key_cmd", value_parser = clap::value_parser!(u64).range(1..))]
    key_cmd_timeout: u64,
    /// A link for the evidence (CI run, PR, alert), `LABEL=URL` (repeatable).
    #[arg(long, value_name = "LABEL=URL")]
    link: Vec<String>,
    /// After the guard passes: a branch `rotation/v<N>`, one commit, and a PR body file.
    #[arg(long)]
    commit: bool,
    /// Print the plan and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Validate by syncing into the real `$MCP_HOME` (else `~/.mcp`) instead of a temporary
    /// directory; its files are restored too if the rotation fails.
    #[arg(long)]
    sync: bool,
    /// The repository.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub(super) repo: PathBuf,
    /// Undo a rotation that was killed and left its journal in the git dir (files, branch),
    /// then exit; nothing else runs.
    #[arg(long, conflicts_with_all = ["dry_run", "commit", "sync", "emergency", "key_out", "key_cmd"])]
    pub(super) recover: bool,
    /// Tests only: skip the 24 h plan rule (recorded in the evidence).
    #[arg(long, hide = true)]
    no_window_check: bool,
    /// Rotação emergencial: needs --incident and two --responsible.
    #[arg(long, requires = "incident")]
    emergency: bool,
    /// The incident or alert id (emergency).
    #[arg(long, value_name = "ID")]
    incident: Option<String>,
    /// A compromised recipient to remove (emergency; default: all current ones).
    #[arg(long, value_name = "RECIPIENT", requires = "emergency")]
    compromised: Vec<String>,
    /// An identity file of the replaced key: proves it no longer decrypts the new bundle
    /// (default: the current key, when every recipient is replaced).
    #[arg(long, value_name = "FILE")]
    old_identity: Vec<PathBuf>,
    /// Emergency: this secret (dotted path, as in --set) is already revoked at its provider
    /// (repeat). Every secret needs --set, --revoked or --not-affected.
    #[arg(long, value_name = "PATH", requires = "emergency")]
    revoked: Vec<String>,
    /// Emergency: this secret (dotted path) was not exposed by the incident (repeat).
    #[arg(long, value_name = "PATH", requires = "emergency")]
    not_affected: Vec<String>,
    /// Emergency ("Isolamento"): what was done to isolate (tokens revoked, deploys
    /// suspended), recorded as stated with the responsible people; nothing is recorded
    /// without it.
    #[arg(long, value_name = "TEXT", requires = "emergency")]
    isolated: Option<String>,
    /// Emergency ("Comunicação"): the update as posted in the incident channel, recorded as a
    /// comms entry (`-` reads it from stdin); without it the communication stays pending.
    #[arg(long, value_name = "TEXT|-", requires = "emergency")]
    comms_message: Option<String>,
}

/// Where the new private key goes.
#[derive(Debug, Clone)]
pub(crate) enum KeySink {
    /// A new 0600 file outside the repository.
    File(PathBuf),
    /// A shell command reading the key on stdin, and how long it may run.
    Command(String, std::time::Duration),
}

/// A value replacement: the path and where its value comes from.
#[derive(Debug, Clone)]
pub(crate) enum SetSource {
    /// Read from this file.
    File(PathBuf),
    /// Read from stdin.
    Stdin,
}

/// Everything one rotation needs, independent of the process (the demo builds it directly).
// The command line's independent switches, carried over one to one.
#[allow(clippy::struct_excessive_bools)]
pub(crate) struct Request {
    pub(crate) repo: PathBuf,
    pub(crate) reason: Option<String>,
    pub(crate) responsible: Vec<String>,
    pub(crate) emergency: Option<Emergency>,
    pub(crate) sets: Vec<(String, SetSource)>,
    pub(crate) key_sink: Option<KeySink>,
    pub(crate) links: Vec<String>,
    pub(crate) commit: bool,
    pub(crate) dry_run: bool,
    /// Sync into the real `~/.mcp` (`Some(dir)`) instead of a temporary directory.
    pub(crate) sync_to: Option<PathBuf>,
    pub(crate) window_check: bool,
    /// The current key(s).
    pub(crate) keys: KeyEnv,
    /// Identity files of the replaced key, for the proof that it no longer decrypts.
    pub(crate) old_identities: Vec<PathBuf>,
    /// The time of the rotation; `explicit` when fixed by the caller.
    pub(crate) now: Timestamp,
    pub(crate) now_explicit: bool,
}

/// The emergency part of a request.
pub(crate) struct Emergency {
    pub(crate) incident: String,
    pub(crate) compromised: Vec<String>,
    /// Secrets already revoked at their providers (`--revoked`, dotted paths).
    pub(crate) revoked: Vec<String>,
    /// Secrets not exposed (`--not-affected`, dotted paths).
    pub(crate) not_affected: Vec<String>,
    /// What was done to isolate (`--isolated`), as stated.
    pub(crate) isolation: Option<String>,
    /// The update as posted (`--comms-message`).
    pub(crate) comms_message: Option<CommsSource>,
}

/// The `--set` values, read before anything changes; each one zeroized on drop.
pub(super) type Values = Vec<(TreePath, Zeroizing<String>)>;

/// "Now" under the one `SOURCE_DATE_EPOCH` rule ([`bundle_core::time::Now`]), and whether it
/// was fixed by the user.
pub(crate) fn now_from_env() -> Result<(Timestamp, bool), Box<Failure>> {
    let now = bundle_core::time::Now::from_env().map_err(Failure::wrap(ExitStatus::Usage))?;
    Ok((now.at, now.explicit))
}

/// Where secrets-sync publishes: `$MCP_HOME`, else `~/.mcp`.
fn mcp_home() -> Result<PathBuf, Box<Failure>> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("MCP_HOME") {
        return Ok(PathBuf::from(dir));
    }
    var("HOME")
        .map(|h| PathBuf::from(h).join(".mcp"))
        .ok_or_else(|| Failure::usage("--sync: neither MCP_HOME nor HOME is set"))
}

impl Request {
    /// The request of a command line, at `now` (`explicit` when fixed by `SOURCE_DATE_EPOCH`).
    pub(super) fn from_args(
        args: RotateArgs,
        now: Timestamp,
        explicit: bool,
    ) -> Result<Self, Box<Failure>> {
        let mut sets = Vec::new();
        for spec in &args.sets {
            sets.push(parse_set(spec)?);
        }
        let key_sink = match (args.key_out, args.key_cmd) {
            (Some(path), _) => Some(KeySink::File(path)),
            (None, Some(cmd)) => Some(KeySink::Command(
                cmd,
                std::time::Duration::from_secs(args.key_cmd_timeout),
            )),
            (None, None) => None,
        };
        Ok(Self {
            repo: args.repo,
            reason: args.reason,
            responsible: args.responsible,
            emergency: args.emergency.then(|| Emergency {
                incident: args.incident.unwrap_or_default(),
                compromised: args.compromised,
                revoked: args.revoked,
                not_affected: args.not_affected,
                isolation: args.isolated,
                comms_message: args.comms_message.map(CommsSource::parse),
            }),
            sets,
            key_sink,
            links: args.link,
            commit: args.commit,
            dry_run: args.dry_run,
            sync_to: if args.sync { Some(mcp_home()?) } else { None },
            window_check: !args.no_window_check,
            keys: KeyEnv::from_process(),
            old_identities: args.old_identity,
            now,
            now_explicit: explicit,
        })
    }

    /// Which runbook section this request follows.
    pub(super) fn kind(&self) -> Kind {
        if self.emergency.is_some() {
            Kind::Emergency
        } else {
            Kind::Scheduled
        }
    }

    /// An emergency names its incident and two different people.
    pub(super) fn check_emergency(&self) -> Result<(), Box<Failure>> {
        let Some(emergency) = &self.emergency else {
            return Ok(());
        };
        if emergency.incident.trim().is_empty() {
            return Err(Failure::usage("an emergency rotation needs --incident ID"));
        }
        let mut people: Vec<&str> = self.responsible.iter().map(|r| r.trim()).collect();
        people.sort_unstable();
        people.dedup();
        if people.len() < 2 {
            return Err(Failure::usage(
                "an emergency rotation needs two different people\nhint: pass --responsible A --responsible B",
            ));
        }
        Ok(())
    }

    /// Where the new private key goes, as the journal and the rollback name it.
    pub(super) fn describe(sink: &KeySink) -> String {
        match sink {
            KeySink::File(path) => format!("--key-out {}", path.display()),
            KeySink::Command(..) => "--key-cmd".to_owned(),
        }
    }

    /// Where the new private key goes; a file must be new and outside `repo`.
    pub(super) fn key_sink_outside(&self, repo: &Path) -> Result<KeySink, Box<Failure>> {
        let Some(sink) = self.key_sink.clone() else {
            return Err(Failure::usage(
                "the new private key needs a destination\nhint: pass --key-out PATH (outside the repository) or --key-cmd CMD",
            ));
        };
        if let KeySink::File(path) = &sink {
            refuse_key_out(repo, path)?;
        }
        Ok(sink)
    }

    /// Reads every `--set` value (a file, or stdin once), without its final newline.
    pub(super) fn read_values(&self) -> Result<Values, Box<Failure>> {
        let mut values = Vec::new();
        let mut stdin_used = false;
        for (key, source) in &self.sets {
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
            values.push((tree_path("set", key)?, trimmed));
        }
        Ok(values)
    }

    /// The reason written to the bundle's header, the evidence and the PR body.
    pub(super) fn rotation_reason(&self) -> String {
        let mut reason = self.reason.clone().unwrap_or_else(|| {
            self.emergency
                .as_ref()
                .map(|e| format!("incidente {}", e.incident))
                .unwrap_or_default()
        });
        if !self.window_check {
            reason.push_str(" [--no-window-check]");
        }
        reason
    }
}

pub(crate) fn parse_set(spec: &str) -> Result<(String, SetSource), Box<Failure>> {
    let Some((key, source)) = spec.split_once('=') else {
        return Err(Failure::usage(format!(
            "--set {spec:?}: expected KEY=@FILE or KEY=-"
        )));
    };
    if key.is_empty() {
        return Err(Failure::usage("--set: the key is empty"));
    }
    let source = if source == "-" {
        SetSource::Stdin
    } else if let Some(file) = source.strip_prefix('@') {
        SetSource::File(PathBuf::from(file))
    } else {
        return Err(Failure::usage(format!(
            "--set {key}=...: values are never taken from the command line\nhint: use {key}=@FILE or {key}=- (stdin)"
        )));
    };
    Ok((key.to_owned(), source))
}

/// The tree path of a key given to `--<flag>` (dotted, or the `["a"][0]` form).
pub(crate) fn tree_path(flag: &str, key: &str) -> Result<TreePath, Box<Failure>> {
    if key.starts_with('[') {
        TreePath::parse(key).map_err(|e| Failure::usage(format!("--{flag} {key}: {e}")))
    } else {
        Ok(TreePath::keys(key.split('.')))
    }
}

/// `--key-out` must be a new file outside the repository, in a directory that exists (the
/// rule `rotate` and `init` share: a private key never lands where git could pick it up,
/// and never replaces a file).
pub(crate) fn refuse_key_out(repo: &Path, path: &Path) -> Result<(), Box<Failure>> {
    let absolute = std::path::absolute(path)?;
    let parent = absolute.parent().unwrap_or(Path::new("/"));
    let parent = fs_err::canonicalize(parent).map_err(|e| {
        Failure::usage(format!(
            "--key-out {}: the directory must exist ({e})",
            path.display()
        ))
    })?;
    if parent.starts_with(repo) {
        return Err(Failure::usage(format!(
            "--key-out {}: refusing to write a private key inside the repository\nhint: choose a path outside {}",
            path.display(),
            repo.display()
        )));
    }
    if fs_err::symlink_metadata(path).is_ok() {
        return Err(Failure::usage(format!(
            "--key-out {}: the file exists; refusing to overwrite it",
            path.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use bundle_core::ops::cli::ToolError as _;

    #[test]
    fn set_takes_files_or_stdin_never_a_literal_value() {
        assert!(matches!(
            parse_set("db.password=@/tmp/x").unwrap(),
            (k, SetSource::File(p)) if k == "db.password" && p == Path::new("/tmp/x")
        ));
        assert!(matches!(parse_set("token=-").unwrap(), (k, SetSource::Stdin) if k == "token"));
        let err = parse_set("token=hunter2").unwrap_err().to_string();
        assert!(err.contains("never taken from the command line"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        assert_eq!(
            parse_set("=@f").unwrap_err().exit_status(),
            ExitStatus::Usage
        );
        assert_eq!(
            parse_set("novalue").unwrap_err().exit_status(),
            ExitStatus::Usage
        );
    }
}
