//! What identities are and what they do: the loaded age X25519 identities ([`Identities`]),
//! a generated key pair ([`KeyPair`]), recipients, and wrapping / unwrapping the data key.
//!
//! What must stay true: no key material ever reaches a message, an error or a `Debug`
//! string (identity lines are reported by line number only; the types holding keys redact
//! themselves); the library never writes a private key to disk; every `enc` we produce is
//! an age v1 file in strict ASCII armor (64 columns, final newline, LF line endings), as
//! sops requires (spec §7.2).

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use age::secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::discovery::{KeyEnv, default_keys_path, read_key_files};
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
pub(super) const ARMOR_BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";
/// The age identities found for decryption, with where they came from and which sources
/// failed to load.
///
/// `Debug` prints only the source names and counts, never a key.
#[derive(Clone, Default)]
pub struct Identities {
    pub(super) keys: Vec<age::x25519::Identity>,
    pub(super) sources: Vec<String>,
    pub(super) failures: Vec<String>,
    /// The default `keys.txt` of the environment these identities were discovered in, named
    /// in the hint when nothing was loaded; `None` when they did not come from discovery.
    pub(super) default_keys: Option<PathBuf>,
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

    pub(super) fn add_source(
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
/// Parses identity text: one identity per line, empty and `#` lines skipped, each line
/// starting exactly with `AGE-SECRET-KEY-1` (no surrounding whitespace, spec §9).
///
/// Post-quantum and plugin identity lines are valid for sops but unsupported here: they are
/// skipped and returned as notes. Any other bad line fails the whole source, as in age.
pub(super) fn parse_identity_text(
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
