//! age keys: finding identities as sops does, and wrapping / unwrapping the data key.
//!
//! Identities are collected from every source sops 3.11 reads (spec §9): `SOPS_AGE_KEY`,
//! `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD` and the default `keys.txt`. The sources are
//! combined, not alternatives; a source that fails is skipped and its failure kept, to be
//! reported only when no loaded key can decrypt. SSH identities (`~/.ssh/id_ed25519`,
//! `SOPS_AGE_SSH_PRIVATE_KEY_FILE`) are not read by this toolkit.
//!
//! What must stay true here:
//! - no key material ever reaches a message, an error or a `Debug` string: identity lines
//!   are reported by line number only, and the types holding keys redact themselves;
//! - the library never writes a private key to disk ([`KeyPair`] lives in memory);
//! - every `enc` we produce is an age v1 file in strict ASCII armor (64 columns, final
//!   newline, LF line endings), as sops requires (spec §7.2).
//!
//! The `age` crate 0.12 implements X25519 recipients (`age1…`) but not the post-quantum
//! hybrid ones (`age1pq1…` / `AGE-SECRET-KEY-PQ-1…`) that sops 3.11 snapshots accept, so those
//! are rejected with a message saying so.

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use age::secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Prefix of an X25519 identity line.
const X25519_IDENTITY_PREFIX: &str = "AGE-SECRET-KEY-1";
/// Prefix of a post-quantum hybrid identity line (not supported by the `age` crate 0.12).
const PQ_IDENTITY_PREFIX: &str = "AGE-SECRET-KEY-PQ-1";
/// Prefix of a plugin identity line (plugins are not supported here).
const PLUGIN_IDENTITY_PREFIX: &str = "AGE-PLUGIN-";
/// Prefix of a post-quantum hybrid recipient.
const PQ_RECIPIENT_PREFIX: &str = "age1pq1";
/// First line of an ASCII-armored age file.
const ARMOR_BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";
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
    /// `XDG_CONFIG_HOME`.
    pub xdg_config_home: Option<PathBuf>,
    /// `HOME`.
    pub home: Option<PathBuf>,
}

impl KeyEnv {
    /// Reads `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`, `XDG_CONFIG_HOME` and
    /// `HOME` from the process environment.
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
            xdg_config_home: var("XDG_CONFIG_HOME").map(PathBuf::from),
            home: var("HOME").map(PathBuf::from),
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
            .field("xdg_config_home", &self.xdg_config_home)
            .field("home", &self.home)
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

/// The age identities found for decryption, with where they came from and which sources
/// failed to load.
///
/// `Debug` prints only the source names and counts, never a key.
#[derive(Clone, Default)]
pub struct Identities {
    keys: Vec<age::x25519::Identity>,
    sources: Vec<String>,
    failures: Vec<String>,
    /// The default `keys.txt` of the environment these identities were discovered in, named
    /// in the hint when nothing was loaded; `None` when they did not come from discovery.
    default_keys: Option<PathBuf>,
}

impl fmt::Debug for Identities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Destructured so that a new field must be considered here; `default_keys` only
        // feeds an error hint and is left out, so the output shows what was loaded.
        let Identities {
            keys,
            sources,
            failures,
            default_keys: _,
        } = self;
        f.debug_struct("Identities")
            .field("count", &keys.len())
            .field("sources", sources)
            .field("failures", failures)
            .finish()
    }
}

impl Identities {
    /// Collects identities from every source sops reads (spec §9), in this order:
    /// `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`, then the default `keys.txt`
    /// when it exists. All are combined. A source that fails to load is skipped and its
    /// failure remembered ([`Identities::failures`]).
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
            let loaded = run_key_command(command)
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

    /// Identities parsed from text held in memory (identity-file syntax), named
    /// `source_name` in messages. Unlike [`Identities::discover`], a parse failure is an
    /// error here.
    pub fn from_text(source_name: &str, text: &str) -> Result<Identities> {
        let (keys, notes) = parse_identity_text(source_name, text)?;
        Ok(Identities {
            keys,
            sources: vec![source_name.to_owned()],
            failures: notes,
            default_keys: None,
        })
    }

    /// Identities from the identity files a person named (`--identity`), combined into one
    /// set: the files are read with [`read_key_files`] and parsed as one text, named in
    /// messages by their paths joined with `, `. A parse failure is an error, as with
    /// [`Identities::from_text`].
    ///
    /// ```no_run
    /// # use std::path::PathBuf;
    /// use bundle_core::keys::Identities;
    /// let identities = Identities::from_files(&[PathBuf::from("keys/ops.txt")])?;
    /// # Ok::<(), bundle_core::Error>(())
    /// ```
    pub fn from_files(paths: &[PathBuf]) -> Result<Identities> {
        let text = read_key_files(paths)?;
        let name = paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        Identities::from_text(&name, &text)
    }

    fn add_source(
        &mut self,
        name: &str,
        loaded: Result<(Vec<age::x25519::Identity>, Vec<String>)>,
    ) {
        match loaded {
            Ok((keys, notes)) => {
                self.keys.extend(keys);
                self.sources.push(name.to_owned());
                self.failures.extend(notes);
            }
            Err(e) => self.failures.push(e.to_string()),
        }
    }

    /// Where identities were loaded from (`SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE=<path>`,
    /// `SOPS_AGE_KEY_CMD`, or the default file's path). Never a key.
    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// Why sources were skipped (and unsupported identity lines), one message each, naming
    /// the source and line number, never a key.
    pub fn failures(&self) -> &[String] {
        &self.failures
    }

    /// Whether no identity was loaded.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// How many identities were loaded.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// The public recipients (`age1…`) of the loaded identities, in load order.
    pub fn recipients(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| k.to_public().to_string())
            .collect()
    }

    /// Unwraps one `enc` value (an armored age file, spec §7.2) with any loaded identity.
    ///
    /// `Ok(None)` when no identity matches the file's stanza; `Err` when the text is not a
    /// well-formed armored age file or the payload does not authenticate.
    pub fn unwrap_data_key(&self, armored_enc: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        // Go's armor reader skips leading whitespace; a YAML block scalar may leave some.
        let text = armored_enc.trim_start();
        if !text.starts_with(ARMOR_BEGIN) {
            return Err(Error::Age(format!(
                "the data key is not an ASCII-armored age file (expected `{ARMOR_BEGIN}`)"
            )));
        }
        let reader = age::armor::ArmoredReader::new(text.as_bytes());
        let decryptor = age::Decryptor::new_buffered(reader)
            .map_err(|e| Error::Age(format!("malformed age file: {e}")))?;
        if self.keys.is_empty() {
            return Ok(None);
        }
        let mut stream = match decryptor.decrypt(self.keys.iter().map(|k| k as &dyn age::Identity))
        {
            Ok(stream) => stream,
            Err(age::DecryptError::NoMatchingKeys) => return Ok(None),
            Err(e) => return Err(Error::Age(format!("cannot unwrap the data key: {e}"))),
        };
        // Sized up front: a data key is 32 bytes, a Shamir share 33.
        let mut key = Zeroizing::new(Vec::with_capacity(64));
        stream
            .read_to_end(&mut key)
            .map_err(|e| Error::Age(format!("cannot read the wrapped data key: {e}")))?;
        Ok(Some(key))
    }

    /// The error to report when no loaded identity could unwrap the data key of `file`:
    /// [`Error::NoIdentities`] when nothing was loaded, else [`Error::NoMatchingIdentity`]
    /// (whose source list then also names the sources that failed).
    pub fn no_key_error(&self, file: &Path, recipients: Vec<String>, env: &KeyEnv) -> Error {
        self.no_key_error_naming(file, recipients, default_keys_path(env))
    }

    /// [`Identities::no_key_error`] with the hint built from what these identities know:
    /// the default `keys.txt` of the environment [`Identities::discover`] read, or the
    /// generic `$HOME/.config/sops/age/keys.txt` for identities that were not discovered.
    /// The process environment is never read here.
    pub(crate) fn no_key_error_from_discovery(
        &self,
        file: &Path,
        recipients: Vec<String>,
    ) -> Error {
        self.no_key_error_naming(file, recipients, self.default_keys.clone())
    }

    fn no_key_error_naming(
        &self,
        file: &Path,
        recipients: Vec<String>,
        default_keys: Option<PathBuf>,
    ) -> Error {
        if self.is_empty() {
            let default_keys =
                default_keys.unwrap_or_else(|| PathBuf::from("$HOME/.config/sops/age/keys.txt"));
            return Error::NoIdentities {
                path: file.to_owned(),
                default_keys,
                failures: self.failures.clone(),
            };
        }
        let mut sources = self.sources.clone();
        sources.extend(self.failures.iter().map(|f| format!("skipped: {f}")));
        Error::NoMatchingIdentity {
            path: file.to_owned(),
            recipients,
            sources,
        }
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

/// Reads an identity file into a zeroizing buffer (fs-err sizes it from the file's length).
fn read_identity_file(path: &Path) -> std::io::Result<Zeroizing<String>> {
    fs_err::read_to_string(path).map(Zeroizing::new)
}

/// Parses identity text: one identity per line, empty and `#` lines skipped, each line
/// starting exactly with `AGE-SECRET-KEY-1` (no surrounding whitespace, spec §9).
///
/// Post-quantum and plugin identity lines are valid for sops but unsupported here: they are
/// skipped and returned as notes. Any other bad line fails the whole source, as in age.
fn parse_identity_text(
    source: &str,
    text: &str,
) -> Result<(Vec<age::x25519::Identity>, Vec<String>)> {
    let invalid = |message: String| Error::InvalidIdentity {
        source_name: source.to_owned(),
        message,
    };
    let head = text.trim_start();
    if head.starts_with("age-encryption.org/") || head.starts_with(ARMOR_BEGIN) {
        return Err(invalid(
            "passphrase-protected identity files are not supported by this toolkit".to_owned(),
        ));
    }
    let mut keys = Vec::new();
    let mut notes = Vec::new();
    // `str::lines` also drops a trailing `\r`, as Go's line scanner does.
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with(PQ_IDENTITY_PREFIX) {
            notes.push(format!(
                "invalid age identity in {source}: line {number}: post-quantum identities are not supported by this toolkit (skipped)"
            ));
        } else if line.starts_with(PLUGIN_IDENTITY_PREFIX) {
            notes.push(format!(
                "invalid age identity in {source}: line {number}: plugin identities are not supported by this toolkit (skipped)"
            ));
        } else if line.starts_with(X25519_IDENTITY_PREFIX) {
            let key: age::x25519::Identity = line
                .parse()
                .map_err(|e| invalid(format!("line {number}: malformed X25519 identity ({e})")))?;
            keys.push(key);
        } else {
            return Err(invalid(format!(
                "line {number}: unknown identity type (a line must start with {X25519_IDENTITY_PREFIX}, without leading spaces)"
            )));
        }
    }
    if keys.is_empty() && notes.is_empty() {
        return Err(invalid("no identities found".to_owned()));
    }
    Ok((keys, notes))
}

/// Runs `SOPS_AGE_KEY_CMD` without a shell and returns its stdout.
fn run_key_command(command_line: &str) -> Result<Zeroizing<String>> {
    let fail = |message: String| Error::KeyCommand {
        command: redact_command(command_line),
        message,
    };
    let words = split_words(command_line).map_err(fail)?;
    let Some((program, args)) = words.split_first() else {
        return Err(fail("the command is empty".to_owned()));
    };
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| fail(format!("cannot run `{program}`: {e}")))?;
    let stdout = Zeroizing::new(output.stdout);
    if !output.status.success() {
        return Err(fail(format!(
            "{}{}",
            output.status,
            stderr_excerpt(&output.stderr)
        )));
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
fn split_words(line: &str) -> std::result::Result<Vec<String>, String> {
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

/// Parses and validates an age X25519 recipient (`age1…`, surrounding whitespace trimmed).
///
/// Post-quantum hybrid (`age1pq1…`), plugin and SSH recipients are rejected: the `age` crate
/// 0.12 used here cannot encrypt to them.
pub fn parse_recipient(s: &str) -> Result<age::x25519::Recipient> {
    let trimmed = s.trim();
    let reason = if trimmed.starts_with(PQ_RECIPIENT_PREFIX) {
        "post-quantum hybrid recipients are not supported by this toolkit"
    } else if trimmed.starts_with("ssh-") {
        "SSH recipients are not supported by this toolkit"
    } else {
        match trimmed.parse::<age::x25519::Recipient>() {
            Ok(recipient) => return Ok(recipient),
            Err(_) => "",
        }
    };
    Err(Error::InvalidRecipient {
        recipient: trimmed.to_owned(),
        context: reason.to_owned(),
    })
}

/// Wraps `data_key` (the 32-byte data key or a 33-byte Shamir share) for one recipient: an
/// age v1 file with one X25519 stanza, ASCII-armored exactly as sops writes and requires
/// (spec §7.2): `-----BEGIN AGE ENCRYPTED FILE-----`, base64 lines of 64 columns, the end
/// marker, a final newline, LF line endings.
pub fn wrap_data_key(recipient: &str, data_key: &[u8]) -> Result<String> {
    let recipient = parse_recipient(recipient)?;
    let age_error = |e: &dyn fmt::Display| Error::Age(format!("cannot wrap the data key: {e}"));
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .map_err(|e| age_error(&e))?;
    let armor = age::armor::ArmoredWriter::wrap_output(
        Vec::with_capacity(512),
        age::armor::Format::AsciiArmor,
    )
    .map_err(|e| age_error(&e))?;
    let mut writer = encryptor.wrap_output(armor).map_err(|e| age_error(&e))?;
    writer.write_all(data_key).map_err(|e| age_error(&e))?;
    let bytes = writer
        .finish()
        .and_then(age::armor::ArmoredWriter::finish)
        .map_err(|e| age_error(&e))?;
    let text = String::from_utf8(bytes).map_err(|e| age_error(&e))?;
    // The armor writer uses the platform line ending; sops files always use LF.
    let mut text = if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// A freshly generated age X25519 key pair, held in memory only.
///
/// The library never writes the private key anywhere; a caller that must store it does so
/// itself, with [`crate::fsio::write_atomic`] and private permissions. `Debug` shows the
/// recipient only.
#[derive(Clone)]
pub struct KeyPair {
    identity: SecretString,
    recipient: String,
}

impl KeyPair {
    /// Generates a new key pair from the operating system's random source.
    pub fn generate() -> Self {
        let identity = age::x25519::Identity::generate();
        let recipient = identity.to_public().to_string();
        Self {
            identity: identity.to_string(),
            recipient,
        }
    }

    /// The public recipient (`age1…`).
    pub fn recipient(&self) -> String {
        self.recipient.clone()
    }

    /// The private identity line (`AGE-SECRET-KEY-1…`). Keep the borrow short.
    pub fn expose_identity(&self) -> &str {
        self.identity.expose_secret()
    }

    /// These keys as [`Identities`] (source name `generated key`), to decrypt in memory.
    pub fn to_identities(&self) -> Identities {
        Identities::from_text("generated key", self.expose_identity())
            .expect("a generated identity always parses")
    }
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("recipient", &self.recipient)
            .field("identity", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const ALICE_RECIPIENT: &str = "age1ps335dvugrdjvdk7p6kzlhkzeze77p07w9exxz9em8mpkheehuwqs76e5w";
    const BOB_RECIPIENT: &str = "age1lwfgmzxy5f6kr8gqtga0q82rpfvzzvjp43ee0lwyyv6ec8k8gfcszdlxuy";

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/keys")
            .join(name)
    }

    fn read_fixture(name: &str) -> String {
        fs_err::read_to_string(fixture(name)).unwrap()
    }

    /// The `enc` values and metadata of a sops 3.11 YAML file.
    fn sops_metadata(name: &str) -> yaml_serde::Value {
        let doc: yaml_serde::Value = yaml_serde::from_str(&read_fixture(name)).unwrap();
        doc["sops"].clone()
    }

    fn enc_of(meta: &yaml_serde::Value, index: usize) -> (String, String) {
        let entry = &meta["age"][index];
        (
            entry["recipient"].as_str().unwrap().to_owned(),
            entry["enc"].as_str().unwrap().to_owned(),
        )
    }

    /// Decrypts the stored MAC with the data key; it authenticates only with the right key.
    fn mac_authenticates(data_key: &[u8], meta: &yaml_serde::Value) -> bool {
        use aes_gcm::aead::consts::U32;
        use aes_gcm::aead::{Aead, KeyInit, Payload};
        use base64::Engine as _;
        let mac = meta["mac"].as_str().unwrap();
        let lastmodified = meta["lastmodified"].as_str().unwrap();
        let inner = mac
            .strip_prefix("ENC[AES256_GCM,")
            .unwrap()
            .strip_suffix(']')
            .unwrap();
        let field = |name: &str| {
            let v = inner
                .split(',')
                .find_map(|p| p.strip_prefix(&format!("{name}:")))
                .unwrap();
            base64::engine::general_purpose::STANDARD.decode(v).unwrap()
        };
        let (data, iv, tag) = (field("data"), field("iv"), field("tag"));
        let cipher =
            aes_gcm::AesGcm::<aes_gcm::aes::Aes256, U32>::new_from_slice(data_key).unwrap();
        let mut ct = data.clone();
        ct.extend_from_slice(&tag);
        let nonce = aes_gcm::Nonce::<U32>::from_slice(&iv);
        cipher
            .decrypt(
                nonce,
                Payload {
                    msg: &ct,
                    aad: lastmodified.as_bytes(),
                },
            )
            .is_ok()
    }

    fn env_with_home(home: &Path) -> KeyEnv {
        KeyEnv {
            home: Some(home.to_owned()),
            ..KeyEnv::default()
        }
    }

    #[test]
    fn unwraps_the_data_key_of_a_sops_vector_with_alice() {
        let meta = sops_metadata("yaml-basic.encrypted.yaml");
        let (recipient, enc) = enc_of(&meta, 0);
        assert_eq!(recipient, ALICE_RECIPIENT);
        let alice = Identities::from_text("alice", &read_fixture("alice.agekey")).unwrap();
        let key = alice.unwrap_data_key(&enc).unwrap().expect("alice matches");
        assert_eq!(key.len(), 32);
        assert!(
            mac_authenticates(&key, &meta),
            "the unwrapped key must decrypt the stored MAC"
        );
        // Sanity check of the check: a different key does not authenticate.
        let mut wrong = key.to_vec();
        wrong[0] ^= 1;
        assert!(!mac_authenticates(&wrong, &meta));
    }

    #[test]
    fn bob_does_not_match_alices_stanza() {
        let (_, enc) = enc_of(&sops_metadata("yaml-basic.encrypted.yaml"), 0);
        let bob = Identities::from_text("bob", &read_fixture("bob.agekey")).unwrap();
        assert!(bob.unwrap_data_key(&enc).unwrap().is_none());
    }

    #[test]
    fn both_stanzas_of_a_two_recipient_file_unwrap_to_the_same_key() {
        let meta = sops_metadata("yaml-two-recipients.encrypted.yaml");
        let (r0, enc0) = enc_of(&meta, 0);
        let (r1, enc1) = enc_of(&meta, 1);
        assert_eq!((r0.as_str(), r1.as_str()), (ALICE_RECIPIENT, BOB_RECIPIENT));
        let alice = Identities::from_text("alice", &read_fixture("alice.agekey")).unwrap();
        let bob = Identities::from_text("bob", &read_fixture("bob.agekey")).unwrap();
        let k0 = alice.unwrap_data_key(&enc0).unwrap().unwrap();
        let k1 = bob.unwrap_data_key(&enc1).unwrap().unwrap();
        assert_eq!(*k0, *k1);
        assert!(alice.unwrap_data_key(&enc1).unwrap().is_none());
        assert!(mac_authenticates(&k0, &meta));
    }

    #[test]
    fn shamir_shares_of_a_sops_file_combine_to_the_data_key() {
        let meta = sops_metadata("yaml-shamir.encrypted.yaml");
        assert_eq!(meta["shamir_threshold"].as_u64(), Some(2));
        let group_enc = |g: usize| {
            meta["key_groups"][g]["age"][0]["enc"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let alice = Identities::from_text("alice", &read_fixture("alice.agekey")).unwrap();
        let bob = Identities::from_text("bob", &read_fixture("bob.agekey")).unwrap();
        let share0 = alice.unwrap_data_key(&group_enc(0)).unwrap().unwrap();
        let share1 = bob.unwrap_data_key(&group_enc(1)).unwrap().unwrap();
        assert_eq!(
            (share0.len(), share0[32], share1.len(), share1[32]),
            (33, 1, 33, 2)
        );
        let key = crate::shamir::combine(&[&share1, &share0]).unwrap();
        assert_eq!(key.len(), 32);
        assert!(mac_authenticates(&key, &meta));
        // One share alone is not the key.
        assert!(!mac_authenticates(
            &crate::shamir::combine(&[&share0]).unwrap(),
            &meta
        ));
    }

    #[test]
    fn no_identities_means_no_match_but_malformed_armor_is_an_error() {
        let (_, enc) = enc_of(&sops_metadata("yaml-basic.encrypted.yaml"), 0);
        let none = Identities::default();
        assert!(none.unwrap_data_key(&enc).unwrap().is_none());

        let alice = Identities::from_text("alice", &read_fixture("alice.agekey")).unwrap();
        // Not armored at all.
        assert!(matches!(alice.unwrap_data_key("hello"), Err(Error::Age(_))));
        // Re-wrapped at 76 columns: sops rejects it, so do we.
        let body: String = enc.lines().filter(|l| !l.starts_with("-----")).collect();
        let mut rewrapped = format!("{ARMOR_BEGIN}\n");
        for chunk in body.as_bytes().chunks(76) {
            rewrapped.push_str(std::str::from_utf8(chunk).unwrap());
            rewrapped.push('\n');
        }
        rewrapped.push_str("-----END AGE ENCRYPTED FILE-----\n");
        assert!(matches!(
            alice.unwrap_data_key(&rewrapped),
            Err(Error::Age(_))
        ));
        // A flipped byte in the payload does not authenticate.
        let mut lines: Vec<String> = enc.lines().map(str::to_owned).collect();
        let last_body = lines.len() - 2;
        let flipped = if lines[last_body].starts_with('A') {
            "B"
        } else {
            "A"
        };
        lines[last_body].replace_range(0..1, flipped);
        let tampered = lines.join("\n") + "\n";
        assert!(matches!(
            alice.unwrap_data_key(&tampered),
            Err(Error::Age(_))
        ));
        // Leading whitespace and a missing final newline are accepted, as in sops.
        let relaxed = format!("  \n{}", enc.trim_end());
        assert_eq!(alice.unwrap_data_key(&relaxed).unwrap().unwrap().len(), 32);
    }

    #[test]
    fn wrap_produces_strict_armor_that_unwraps() {
        let pair = KeyPair::generate();
        let data_key = [7u8; 32];
        let enc = wrap_data_key(&pair.recipient(), &data_key).unwrap();
        let lines: Vec<&str> = enc.lines().collect();
        assert_eq!(lines[0], ARMOR_BEGIN);
        assert_eq!(*lines.last().unwrap(), "-----END AGE ENCRYPTED FILE-----");
        assert!(enc.ends_with("-----END AGE ENCRYPTED FILE-----\n"));
        assert!(!enc.contains('\r'));
        let body = &lines[1..lines.len() - 1];
        assert!(body.len() >= 2);
        for line in &body[..body.len() - 1] {
            assert_eq!(line.len(), 64);
        }
        assert!(body.last().unwrap().len() <= 64);
        let got = pair.to_identities().unwrap_data_key(&enc).unwrap().unwrap();
        assert_eq!(got.as_slice(), &data_key);
        // Another key does not match.
        assert!(
            KeyPair::generate()
                .to_identities()
                .unwrap_data_key(&enc)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn wrapped_key_decrypts_with_the_age_cli() {
        let dir = tempfile::tempdir().unwrap();
        let data_key: Vec<u8> = (0u8..33).collect();
        let enc = wrap_data_key(ALICE_RECIPIENT, &data_key).unwrap();
        let enc_path = dir.path().join("key.age");
        fs_err::write(&enc_path, &enc).unwrap();
        let output = Command::new("age")
            .arg("-d")
            .arg("-i")
            .arg(fixture("alice.agekey"))
            .arg(&enc_path)
            .output()
            .expect("the age CLI is installed (apt-get install age)");
        assert!(
            output.status.success(),
            "age -d failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(output.stdout, data_key);
    }

    #[test]
    fn wrap_rejects_bad_recipients() {
        for bad in [
            "",
            "age1xyz",
            "AGE-SECRET-KEY-1ABC",
            "ssh-ed25519 AAAAC3Nz",
            "age1pq1qqqq",
        ] {
            let err = wrap_data_key(bad, &[0; 32]).unwrap_err();
            assert!(
                matches!(err, Error::InvalidRecipient { .. }),
                "{bad}: {err:?}"
            );
        }
        let err = parse_recipient("age1pq1abcdef").unwrap_err();
        assert!(err.to_string().contains("post-quantum"), "{err}");
        assert_eq!(
            parse_recipient(&format!(" {ALICE_RECIPIENT}\n"))
                .unwrap()
                .to_string(),
            ALICE_RECIPIENT
        );
    }

    #[test]
    fn default_keys_path_follows_xdg_rules() {
        let home = Some(PathBuf::from("/home/u"));
        let env = KeyEnv {
            home: home.clone(),
            ..KeyEnv::default()
        };
        assert_eq!(
            default_keys_path(&env).unwrap(),
            Path::new("/home/u/.config/sops/age/keys.txt")
        );
        let env = KeyEnv {
            home: home.clone(),
            xdg_config_home: Some("/xdg".into()),
            ..KeyEnv::default()
        };
        assert_eq!(
            default_keys_path(&env).unwrap(),
            Path::new("/xdg/sops/age/keys.txt")
        );
        let env = KeyEnv {
            home: home.clone(),
            xdg_config_home: Some("".into()),
            ..KeyEnv::default()
        };
        assert_eq!(
            default_keys_path(&env).unwrap(),
            Path::new("/home/u/.config/sops/age/keys.txt")
        );
        let env = KeyEnv {
            home,
            xdg_config_home: Some("rel".into()),
            ..KeyEnv::default()
        };
        assert_eq!(default_keys_path(&env), None);
        assert_eq!(default_keys_path(&KeyEnv::default()), None);
    }

    #[test]
    fn discover_combines_every_source() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let default = home.join(".config/sops/age/keys.txt");
        fs_err::create_dir_all(default.parent().unwrap()).unwrap();
        let k_default = KeyPair::generate();
        fs_err::write(
            &default,
            format!("# default\n{}\n", k_default.expose_identity()),
        )
        .unwrap();
        let k_file = KeyPair::generate();
        let key_file = dir.path().join("file.txt");
        fs_err::write(&key_file, format!("{}\n", k_file.expose_identity())).unwrap();
        let k_cmd = KeyPair::generate();
        let cmd_file = dir.path().join("cmd key.txt");
        fs_err::write(&cmd_file, k_cmd.expose_identity()).unwrap();
        let k_env = KeyPair::generate();

        let env = KeyEnv {
            sops_age_key: Some(SecretString::from(format!(
                "\n{}\n",
                k_env.expose_identity()
            ))),
            sops_age_key_file: Some(key_file.clone()),
            sops_age_key_cmd: Some(format!("cat '{}'", cmd_file.display())),
            home: Some(home),
            ..KeyEnv::default()
        };
        let ids = Identities::discover(&env).unwrap();
        assert_eq!(ids.len(), 4);
        assert_eq!(
            ids.recipients(),
            vec![
                k_env.recipient(),
                k_file.recipient(),
                k_cmd.recipient(),
                k_default.recipient()
            ]
        );
        assert_eq!(
            ids.sources(),
            [
                "SOPS_AGE_KEY".to_owned(),
                format!("SOPS_AGE_KEY_FILE={}", key_file.display()),
                "SOPS_AGE_KEY_CMD".to_owned(),
                default.display().to_string(),
            ]
        );
        assert!(ids.failures().is_empty(), "{:?}", ids.failures());

        // Each source's key really decrypts.
        for pair in [&k_env, &k_file, &k_cmd, &k_default] {
            let enc = wrap_data_key(&pair.recipient(), &[1; 32]).unwrap();
            assert_eq!(
                ids.unwrap_data_key(&enc).unwrap().unwrap().as_slice(),
                &[1; 32]
            );
        }
    }

    #[test]
    fn discover_reads_only_the_default_file_when_nothing_is_set() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_with_home(dir.path());
        let ids = Identities::discover(&env).unwrap();
        assert!(ids.is_empty());
        assert!(ids.sources().is_empty());
        assert!(ids.failures().is_empty());

        let xdg = dir.path().join("xdg");
        fs_err::create_dir_all(xdg.join("sops/age")).unwrap();
        fs_err::copy(fixture("alice.agekey"), xdg.join("sops/age/keys.txt")).unwrap();
        let env = KeyEnv {
            xdg_config_home: Some(xdg.clone()),
            ..env_with_home(dir.path())
        };
        let ids = Identities::discover(&env).unwrap();
        assert_eq!(ids.recipients(), vec![ALICE_RECIPIENT.to_owned()]);
        assert_eq!(
            ids.sources(),
            [xdg.join("sops/age/keys.txt").display().to_string()]
        );
    }

    #[test]
    fn a_failing_source_is_skipped_and_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let env = KeyEnv {
            sops_age_key: Some(SecretString::from(read_fixture("bob.agekey"))),
            sops_age_key_file: Some(dir.path().join("missing.txt")),
            sops_age_key_cmd: Some("sh -c 'echo oops >&2; exit 3'".to_owned()),
            ..env_with_home(dir.path())
        };
        let ids = Identities::discover(&env).unwrap();
        assert_eq!(ids.recipients(), vec![BOB_RECIPIENT.to_owned()]);
        assert_eq!(ids.sources(), ["SOPS_AGE_KEY"]);
        assert_eq!(ids.failures().len(), 2, "{:?}", ids.failures());
        assert!(
            ids.failures()[0].contains("missing.txt"),
            "{}",
            ids.failures()[0]
        );
        assert_eq!(
            ids.failures()[1],
            "SOPS_AGE_KEY_CMD `sh -c 'echo oops >&2; exit 3'` failed: exit status: 3: oops"
        );

        // Decryption then fails, naming the loaded and the skipped sources.
        let err = ids.no_key_error(Path::new("s.yaml"), vec![ALICE_RECIPIENT.to_owned()], &env);
        let Error::NoMatchingIdentity { sources, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(sources.len(), 3);
        assert!(sources[2].starts_with("skipped: SOPS_AGE_KEY_CMD"));
        assert_eq!(err.exit_code(), 3);

        let err = Identities::default().no_key_error(Path::new("s.yaml"), vec![], &env);
        let Error::NoIdentities { default_keys, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(default_keys, &dir.path().join(".config/sops/age/keys.txt"));
    }

    #[test]
    fn key_cmd_errors() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                "/nonexistent/key-command",
                "cannot run `/nonexistent/key-command`",
            ),
            ("echo 'unterminated", "unterminated single quote"),
            ("   ", "the command is empty"),
            ("echo not-a-key", "line 1: unknown identity type"),
            ("true", "no identities found"),
        ];
        for (command, expected) in cases {
            let env = KeyEnv {
                sops_age_key_cmd: Some(command.to_owned()),
                ..env_with_home(dir.path())
            };
            let ids = Identities::discover(&env).unwrap();
            assert!(ids.is_empty());
            assert_eq!(ids.failures().len(), 1, "{command}");
            assert!(
                ids.failures()[0].contains(expected),
                "{command}: {}",
                ids.failures()[0]
            );
        }
        // A command line holding a key is never echoed, nor is such a stderr line.
        let alice = read_fixture("alice.agekey");
        let secret = alice.lines().last().unwrap();
        let env = KeyEnv {
            sops_age_key_cmd: Some(format!("sh -c 'echo {secret} >&2; exit 1'")),
            ..env_with_home(dir.path())
        };
        let ids = Identities::discover(&env).unwrap();
        assert_eq!(ids.failures().len(), 1);
        assert!(
            !ids.failures()[0].contains("AGE-SECRET-KEY"),
            "{}",
            ids.failures()[0]
        );
        assert!(!format!("{env:?}").contains("AGE-SECRET-KEY"));
    }

    #[test]
    fn split_words_follows_shell_quoting() {
        let split = |s: &str| split_words(s).unwrap();
        assert_eq!(split("a b\tc"), ["a", "b", "c"]);
        assert_eq!(
            split(r#"pass show "age key" 'x y'"#),
            ["pass", "show", "age key", "x y"]
        );
        assert_eq!(
            split(r#"a\ b "q\"uote" 'it''s'"#),
            ["a b", "q\"uote", "its"]
        );
        assert_eq!(split(r#"x "" y # comment"#), ["x", "", "y"]);
        assert_eq!(split("a#b"), ["a#b"]);
        assert!(split_words("\"open").is_err());
        assert!(split_words("end\\").is_err());
    }

    #[test]
    fn a_bad_line_is_reported_by_number_without_its_text() {
        let bad_key = "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ";
        let text = format!(
            "# comment\n\n{}\n {}\n",
            read_fixture("alice.agekey").lines().last().unwrap(),
            "AGE-X"
        );
        let err = Identities::from_text("keys.txt", &text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid age identity in keys.txt: line 4: unknown identity type (a line must start with AGE-SECRET-KEY-1, without leading spaces)"
        );
        let err = Identities::from_text("keys.txt", &format!("#\n{bad_key}\n")).unwrap_err();
        let message = err.to_string();
        assert!(
            message
                .starts_with("invalid age identity in keys.txt: line 2: malformed X25519 identity"),
            "{message}"
        );
        assert!(!message.contains("QQQQ"), "{message}");
        assert_eq!(err.exit_code(), 2);

        let err = Identities::from_text("x", "# only comments\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid age identity in x: no identities found"
        );
        let err = Identities::from_text("x", "-----BEGIN AGE ENCRYPTED FILE-----\n").unwrap_err();
        assert!(err.to_string().contains("passphrase-protected"));

        // In discovery the bad source is skipped and the others still count.
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.txt");
        fs_err::write(&bad, format!("{bad_key}\n")).unwrap();
        let env = KeyEnv {
            sops_age_key: Some(SecretString::from(read_fixture("alice.agekey"))),
            sops_age_key_file: Some(bad.clone()),
            ..env_with_home(dir.path())
        };
        let ids = Identities::discover(&env).unwrap();
        assert_eq!(ids.len(), 1);
        assert_eq!(ids.failures().len(), 1);
        assert!(
            ids.failures()[0].contains(&format!("SOPS_AGE_KEY_FILE={}: line 1", bad.display()))
        );
        assert!(!ids.failures()[0].contains("QQQQ"));
    }

    #[test]
    fn unsupported_identity_types_are_skipped_with_a_note() {
        let alice = read_fixture("alice.agekey");
        let text = format!(
            "AGE-SECRET-KEY-PQ-1ABC\n{}\nAGE-PLUGIN-YUBIKEY-1XYZ\n",
            alice.lines().last().unwrap()
        );
        let ids = Identities::from_text("mixed", &text).unwrap();
        assert_eq!(ids.recipients(), vec![ALICE_RECIPIENT.to_owned()]);
        assert_eq!(ids.failures().len(), 2);
        assert!(ids.failures()[0].contains("line 1: post-quantum"));
        assert!(ids.failures()[1].contains("line 3: plugin"));
        assert!(!ids.failures().join(" ").contains("ABC"));
    }

    #[test]
    fn key_files_are_read_in_order_and_combined() {
        let paths = [fixture("alice.agekey"), fixture("bob.agekey")];
        let text = read_key_files(&paths).unwrap();
        assert_eq!(
            *text,
            format!(
                "{}\n{}\n",
                read_fixture("alice.agekey"),
                read_fixture("bob.agekey")
            )
        );
        let ids = Identities::from_files(&paths).unwrap();
        assert_eq!(
            ids.recipients(),
            [ALICE_RECIPIENT.to_owned(), BOB_RECIPIENT.to_owned()]
        );
        let name = format!("{}, {}", paths[0].display(), paths[1].display());
        assert_eq!(ids.sources(), [name]);
    }

    #[test]
    fn an_unreadable_key_file_is_named_without_its_text() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.txt");
        let err = Identities::from_files(&[fixture("alice.agekey"), missing.clone()]).unwrap_err();
        let Error::IdentityFile { path, source } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(path, &missing);
        assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(
            err.to_string(),
            format!("cannot read identity file {}", missing.display())
        );
        assert_eq!(err.exit_code(), 2);

        // A file that is not an identity file fails to parse, naming the file, not a line.
        let bad = dir.path().join("bad.txt");
        fs_err::write(&bad, "AGE-SECRET-KEY-1NOTAKEY\n").unwrap();
        let err = Identities::from_files(std::slice::from_ref(&bad)).unwrap_err();
        let Error::InvalidIdentity { source_name, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(source_name, &bad.display().to_string());
        assert!(!err.to_string().contains("NOTAKEY"), "{err}");
    }

    #[test]
    fn the_no_identity_hint_comes_from_the_discovery_environment() {
        // Issue 10: `SopsFile::data_key` names the default keys.txt of the environment the
        // caller discovered with, never the process's own.
        let dir = tempfile::tempdir().unwrap();
        let ids = Identities::discover(&env_with_home(dir.path())).unwrap();
        assert!(ids.is_empty());
        let err = ids.no_key_error_from_discovery(Path::new("s.yaml"), vec![]);
        let Error::NoIdentities { default_keys, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(default_keys, &dir.path().join(".config/sops/age/keys.txt"));

        // Identities that were not discovered name the generic location.
        let err = Identities::default().no_key_error_from_discovery(Path::new("s.yaml"), vec![]);
        let Error::NoIdentities { default_keys, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(default_keys, Path::new("$HOME/.config/sops/age/keys.txt"));
    }

    #[test]
    fn crlf_identity_files_are_read() {
        let alice = read_fixture("alice.agekey").replace('\n', "\r\n");
        let ids = Identities::from_text("crlf", &alice).unwrap();
        assert_eq!(ids.recipients(), vec![ALICE_RECIPIENT.to_owned()]);
    }

    #[test]
    fn debug_output_never_shows_a_key() {
        let pair = KeyPair::generate();
        assert!(pair.expose_identity().starts_with("AGE-SECRET-KEY-1"));
        assert!(pair.recipient().starts_with("age1"));
        let debug = format!("{pair:?}");
        assert!(!debug.contains("AGE-SECRET-KEY"), "{debug}");
        assert!(debug.contains(&pair.recipient()));

        let ids = pair.to_identities();
        let debug = format!("{ids:?}");
        assert_eq!(
            debug,
            r#"Identities { count: 1, sources: ["generated key"], failures: [] }"#
        );

        let env = KeyEnv {
            sops_age_key: Some(SecretString::from(pair.expose_identity().to_owned())),
            ..KeyEnv::default()
        };
        let debug = format!("{env:?}");
        assert!(!debug.contains("AGE-SECRET-KEY"), "{debug}");
        assert!(debug.contains("<redacted>"));
    }
}
