//! Where identities come from, as sops 3.11 looks for them (spec §9): `SOPS_AGE_KEY`,
//! `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD` and the default `keys.txt`, plus the identity
//! files a person names on a command line ([`read_key_files`]).
//!
//! What must stay true: the process environment is read only by [`KeyEnv::from_process`];
//! a command line or a command's stderr that may hold a key never reaches a message or a
//! `Debug` string (`redact_command`, `stderr_excerpt`); key text lives in zeroizing buffers.

use std::fmt;
use std::io::Read as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use age::secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::identities::{Identities, ParsedKeys, parse_identity_text, parse_ssh_identity};
use crate::error::{Error, Result};

/// Text that marks a string as possibly holding a private key (checked case-insensitively
/// before a command line or a command's stderr is put into a message).
const SECRET_MARKER: &str = "AGE-SECRET-KEY";
/// The environment that key discovery reads, captured once so that tests (and callers
/// with their own settings) can build it explicitly instead of touching the process.
///
/// Empty variables count as unset.
#[derive(Clone, Default)]
pub struct KeyEnv {
    /// `SOPS_AGE_KEY`: identity text (one or more lines).
    pub sops_age_key: Option<SecretString>,
    /// `SOPS_AGE_KEY_FILE`: path of an identity file.
    pub sops_age_key_file: Option<PathBuf>,
    /// `SOPS_AGE_KEY_CMD`: a command line whose stdout is identity text.
    pub sops_age_key_cmd: Option<String>,
    /// `SOPS_AGE_SSH_PRIVATE_KEY_FILE`: path of an SSH private key (unencrypted).
    pub sops_age_ssh_private_key_file: Option<PathBuf>,
    /// `XDG_CONFIG_HOME`.
    pub xdg_config_home: Option<PathBuf>,
    /// `HOME`.
    pub home: Option<PathBuf>,
    /// `SOPS_AGE_KEY_CMD_TIMEOUT`: whole seconds `SOPS_AGE_KEY_CMD` may run (default
    /// [`DEFAULT_KEY_CMD_TIMEOUT_SECS`]), as given; checked when the command runs.
    pub sops_age_key_cmd_timeout: Option<String>,
}

/// How long `SOPS_AGE_KEY_CMD` may run when `SOPS_AGE_KEY_CMD_TIMEOUT` is unset.
pub const DEFAULT_KEY_CMD_TIMEOUT_SECS: u64 = 60;

impl KeyEnv {
    /// Reads `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`,
    /// `SOPS_AGE_SSH_PRIVATE_KEY_FILE`, `XDG_CONFIG_HOME` and `HOME` from the process
    /// environment.
    pub fn from_process() -> Self {
        fn var(name: &str) -> Option<std::ffi::OsString> {
            std::env::var_os(name).filter(|v| !v.is_empty())
        }
        Self {
            sops_age_key: var("SOPS_AGE_KEY")
                .and_then(|v| v.into_string().ok())
                .map(SecretString::from),
            sops_age_key_file: var("SOPS_AGE_KEY_FILE").map(PathBuf::from),
            sops_age_key_cmd: var("SOPS_AGE_KEY_CMD").and_then(|v| v.into_string().ok()),
            sops_age_ssh_private_key_file: var("SOPS_AGE_SSH_PRIVATE_KEY_FILE").map(PathBuf::from),
            xdg_config_home: var("XDG_CONFIG_HOME").map(PathBuf::from),
            home: var("HOME").map(PathBuf::from),
            sops_age_key_cmd_timeout: var("SOPS_AGE_KEY_CMD_TIMEOUT")
                .map(|v| v.to_string_lossy().into_owned()),
        }
    }
}

impl fmt::Debug for KeyEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyEnv")
            .field(
                "sops_age_key",
                &self.sops_age_key.as_ref().map(|_| "<redacted>"),
            )
            .field("sops_age_key_file", &self.sops_age_key_file)
            .field(
                "sops_age_key_cmd",
                &self.sops_age_key_cmd.as_deref().map(redact_command),
            )
            .field(
                "sops_age_ssh_private_key_file",
                &self.sops_age_ssh_private_key_file,
            )
            .field("xdg_config_home", &self.xdg_config_home)
            .field("home", &self.home)
            .field("sops_age_key_cmd_timeout", &self.sops_age_key_cmd_timeout)
            .finish()
    }
}

/// The default identity file sops reads on Linux: `$XDG_CONFIG_HOME/sops/age/keys.txt` when
/// `XDG_CONFIG_HOME` is set (it must then be absolute, as Go's `os.UserConfigDir` requires),
/// else `$HOME/.config/sops/age/keys.txt`. `None` when neither gives a directory.
pub fn default_keys_path(env: &KeyEnv) -> Option<PathBuf> {
    let config_dir = match (&env.xdg_config_home, &env.home) {
        (Some(xdg), _) if !xdg.as_os_str().is_empty() => {
            if !xdg.is_absolute() {
                return None;
            }
            xdg.clone()
        }
        (_, Some(home)) if !home.as_os_str().is_empty() => home.join(".config"),
        _ => return None,
    };
    Some(config_dir.join("sops").join("age").join("keys.txt"))
}

/// The SSH private keys sops 3.11 reads, in its order: `SOPS_AGE_SSH_PRIVATE_KEY_FILE` when
/// set, then `~/.ssh/id_ed25519` and `~/.ssh/id_rsa` when they exist (both, and also when
/// the variable is set). A path named by the variable is read even if missing, so that a
/// typo is reported; the default paths only when present.
pub fn ssh_key_paths(env: &KeyEnv) -> Vec<(String, PathBuf)> {
    let mut paths = Vec::new();
    if let Some(path) = &env.sops_age_ssh_private_key_file {
        paths.push((
            format!("SOPS_AGE_SSH_PRIVATE_KEY_FILE={}", path.display()),
            path.clone(),
        ));
    }
    if let Some(home) = env.home.as_ref().filter(|h| !h.as_os_str().is_empty()) {
        for name in ["id_ed25519", "id_rsa"] {
            let path = home.join(".ssh").join(name);
            if fs_err::metadata(&path).is_ok() {
                paths.push((path.display().to_string(), path));
            }
        }
    }
    paths
}

impl Identities {
    /// Collects identities from every source sops 3.11 reads (spec §9), in its order: the
    /// SSH keys of [`ssh_key_paths`], then `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`,
    /// `SOPS_AGE_KEY_CMD`, then the default `keys.txt` when it exists. All are combined. A
    /// source that fails to load (a passphrase-protected SSH key among them) is skipped and
    /// its failure remembered ([`Identities::failures`]).
    ///
    /// `SOPS_AGE_KEY_CMD` is split into words like a shell would (quotes and backslashes)
    /// and run without a shell, once, with stdin closed and without `SOPS_AGE_RECIPIENT`
    /// (sops sets it per recipient; a command here must not depend on it).
    ///
    /// Today no source failure is fatal, so this always returns `Ok`; callers still handle
    /// the `Result` so that a future fatal case does not change their code.
    #[allow(clippy::unnecessary_wraps)]
    pub fn discover(env: &KeyEnv) -> Result<Identities> {
        let mut found = Identities {
            default_keys: default_keys_path(env),
            ..Identities::default()
        };
        for (name, path) in ssh_key_paths(env) {
            let loaded = read_ssh_key_file(&path)
                .map_err(Error::from)
                .and_then(|key| parse_ssh_identity(&name, &key))
                .map(|identity| {
                    let keys = ParsedKeys {
                        ssh: vec![identity],
                        ..ParsedKeys::default()
                    };
                    (keys, Vec::new())
                });
            found.add_source(&name, loaded);
        }
        if let Some(text) = &env.sops_age_key {
            found.add_source(
                "SOPS_AGE_KEY",
                parse_identity_text("SOPS_AGE_KEY", text.expose_secret()),
            );
        }
        if let Some(path) = &env.sops_age_key_file {
            let name = format!("SOPS_AGE_KEY_FILE={}", path.display());
            let loaded = read_identity_file(path)
                .map_err(Error::from)
                .and_then(|text| parse_identity_text(&name, &text));
            found.add_source(&name, loaded);
        }
        if let Some(command) = &env.sops_age_key_cmd {
            let loaded = run_key_command(command, env.sops_age_key_cmd_timeout.as_deref())
                .and_then(|text| parse_identity_text("SOPS_AGE_KEY_CMD", &text));
            found.add_source("SOPS_AGE_KEY_CMD", loaded);
        }
        if let Some(path) = default_keys_path(env) {
            // Read whenever it exists, also when other sources are set (as sops does); skip it
            // only when SOPS_AGE_KEY_FILE already named the very same path.
            let same_as_key_file = env.sops_age_key_file.as_deref() == Some(path.as_path());
            if !same_as_key_file && fs_err::metadata(&path).is_ok() {
                let name = path.display().to_string();
                let loaded = read_identity_file(&path)
                    .map_err(Error::from)
                    .and_then(|text| parse_identity_text(&name, &text));
                found.add_source(&name, loaded);
            }
        }
        Ok(found)
    }
}

/// Reads identity files into one zeroizing buffer: each file's text followed by `\n`, in
/// the order given. This is the one loader of key files for every tool.
///
/// Each file is read into a buffer sized from its length (fs-err asks the file's metadata
/// first, so a file that does not change while being read never makes it grow), and the
/// joined text is sized up front, so no reallocation leaves an unzeroized copy of a key
/// behind. Zeroizing is best effort: the operating system may still hold copies.
///
/// The first file that cannot be read (missing, a directory, not UTF-8) is an
/// [`Error::IdentityFile`] naming it; nothing of the files' text ever reaches a message.
pub fn read_key_files(paths: &[PathBuf]) -> Result<Zeroizing<String>> {
    let mut parts = Vec::with_capacity(paths.len());
    for path in paths {
        let part = read_identity_file(path).map_err(|source| Error::IdentityFile {
            path: path.clone(),
            source,
        })?;
        parts.push(part);
    }
    let mut text = Zeroizing::new(String::with_capacity(
        parts.iter().map(|p| p.len() + 1).sum(),
    ));
    for part in &parts {
        text.push_str(part);
        text.push('\n');
    }
    Ok(text)
}

/// Reads an SSH private key file into a zeroizing buffer.
fn read_ssh_key_file(path: &Path) -> std::io::Result<Zeroizing<Vec<u8>>> {
    fs_err::read(path).map(Zeroizing::new)
}

/// Reads an identity file into a zeroizing buffer (fs-err sizes it from the file's length).
fn read_identity_file(path: &Path) -> std::io::Result<Zeroizing<String>> {
    fs_err::read_to_string(path).map(Zeroizing::new)
}
/// The `SOPS_AGE_KEY_CMD_TIMEOUT` in force.
fn key_command_timeout(setting: Option<&str>) -> Result<Duration> {
    let Some(value) = setting else {
        return Ok(Duration::from_secs(DEFAULT_KEY_CMD_TIMEOUT_SECS));
    };
    match value.trim().parse::<u64>() {
        Ok(secs) if secs > 0 => Ok(Duration::from_secs(secs)),
        _ => Err(Error::KeyCommandTimeoutSetting {
            value: value.to_owned(),
        }),
    }
}

/// Runs `SOPS_AGE_KEY_CMD` without a shell and returns its stdout. The command runs in a
/// process group of its own; when it outlives `SOPS_AGE_KEY_CMD_TIMEOUT`, the whole group is
/// killed (a password manager's helper processes included) and the run fails, instead of
/// waiting forever on a prompt nobody can answer.
fn run_key_command(command_line: &str, timeout: Option<&str>) -> Result<Zeroizing<String>> {
    let fail = |message: String| Error::KeyCommand {
        command: redact_command(command_line),
        message,
    };
    let timeout = key_command_timeout(timeout)?;
    let words = split_words(command_line).map_err(fail)?;
    let Some((program, args)) = words.split_first() else {
        return Err(fail("the command is empty".to_owned()));
    };
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| fail(format!("cannot run `{program}`: {e}")))?;
    let (mut out_pipe, mut err_pipe) = (
        child.stdout.take().expect("stdout is piped"),
        child.stderr.take().expect("stderr is piped"),
    );
    let (stdout, stderr_bytes, status) = std::thread::scope(|scope| {
        let out = scope.spawn(move || {
            let mut buf = Zeroizing::new(Vec::new());
            let _ = out_pipe.read_to_end(&mut buf);
            buf
        });
        let err = scope.spawn(move || {
            let mut buf = Vec::new();
            let _ = err_pipe.read_to_end(&mut buf);
            buf
        });
        let status = crate::process::wait_with_deadline(&mut child, timeout);
        let stdout = out.join().unwrap_or_default();
        let stderr = err.join().unwrap_or_default();
        (stdout, stderr, status)
    });
    let status = match status {
        Ok(Some(status)) => status,
        Ok(None) => {
            return Err(fail(format!(
                "it did not finish within {} s and was killed (set SOPS_AGE_KEY_CMD_TIMEOUT to allow longer)",
                timeout.as_secs()
            )));
        }
        Err(e) => return Err(fail(format!("cannot wait for `{program}`: {e}"))),
    };
    if !status.success() {
        return Err(fail(format!("{status}{}", stderr_excerpt(&stderr_bytes))));
    }
    let text =
        std::str::from_utf8(&stdout).map_err(|_| fail("its output is not UTF-8".to_owned()))?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// The command line as it may appear in a message: hidden whole if it seems to hold a key.
fn redact_command(command_line: &str) -> String {
    if command_line.to_ascii_uppercase().contains(SECRET_MARKER) {
        "<redacted: the command line contains key material>".to_owned()
    } else {
        command_line.to_owned()
    }
}

/// The last non-empty line of a failed command's stderr, short and printable, or nothing
/// when it might hold a key.
fn stderr_excerpt(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let Some(line) = text.lines().map(str::trim).rfind(|l| !l.is_empty()) else {
        return String::new();
    };
    if line.to_ascii_uppercase().contains(SECRET_MARKER) {
        return String::new();
    }
    let clean: String = line.chars().filter(|c| !c.is_control()).take(200).collect();
    format!(": {clean}")
}

/// Splits a command line into words as a POSIX shell would, without expanding anything:
/// blanks separate words, `'…'` is literal, `"…"` allows `\"`, `\\`, `\$` and `` \` ``,
/// a backslash outside quotes escapes the next character, and `#` at the start of a word
/// begins a comment.
pub(super) fn split_words(line: &str) -> std::result::Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '#' if !in_word => break,
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("unterminated single quote".to_owned()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("unterminated double quote".to_owned()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("unterminated double quote".to_owned()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') => {}
                    Some(c) => word.push(c),
                    None => return Err("trailing backslash".to_owned()),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}
