//! What identities are and what they do: the loaded age identities ([`Identities`]: X25519,
//! SSH and plugin), a generated key pair ([`KeyPair`]), recipients ([`Recipient`]), and
//! wrapping / unwrapping the data key.
//!
//! What must stay true: no key material ever reaches a message, an error or a `Debug`
//! string (identity lines are reported by line number only; the types holding keys redact
//! themselves); the library never writes a private key to disk; every `enc` we produce is
//! an age v1 file in strict ASCII armor (64 columns, final newline, LF line endings), as
//! sops requires (spec §7.2); a recipient is told apart exactly as sops 3.11 does it
//! (`age1` with a second `1` is a plugin, `age1` an X25519 key, `ssh-` an SSH key).

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
/// Prefix of a plugin identity line (`AGE-PLUGIN-<NAME>-1…`).
const PLUGIN_IDENTITY_PREFIX: &str = "AGE-PLUGIN-";
/// Prefix of a post-quantum hybrid recipient.
const PQ_RECIPIENT_PREFIX: &str = "age1pq1";
/// What post-quantum keys need, said wherever one is refused.
pub(super) const PQ_NEEDS: &str = "post-quantum hybrid keys (age1pq1…, AGE-SECRET-KEY-PQ-1…) need age v1.3 (sops 3.12 or later); the Rust age crate 0.12.1 this toolkit uses has none";
/// First line of an ASCII-armored age file.
pub(super) const ARMOR_BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";

/// The age identities found for decryption, with where they came from and which sources
/// failed to load.
///
/// `Debug` prints only the source names and counts, never a key.
#[derive(Clone, Default)]
pub struct Identities {
    pub(super) keys: ParsedKeys,
    pub(super) sources: Vec<String>,
    pub(super) failures: Vec<String>,
    /// The default `keys.txt` of the environment these identities were discovered in, named
    /// in the hint when nothing was loaded; `None` when they did not come from discovery.
    pub(super) default_keys: Option<PathBuf>,
}

/// The identities of one source, by kind. SSH keys are held decrypted only: a
/// passphrase-protected key is refused when it is loaded (nothing here prompts).
#[derive(Clone, Default)]
pub(super) struct ParsedKeys {
    pub(super) x25519: Vec<age::x25519::Identity>,
    pub(super) ssh: Vec<age::ssh::Identity>,
    pub(super) plugin: Vec<age::plugin::Identity>,
}

impl ParsedKeys {
    fn len(&self) -> usize {
        self.x25519.len() + self.ssh.len() + self.plugin.len()
    }

    fn extend(&mut self, other: ParsedKeys) {
        self.x25519.extend(other.x25519);
        self.ssh.extend(other.ssh);
        self.plugin.extend(other.plugin);
    }
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

    /// An SSH private key (OpenSSH or PEM format, unencrypted) as an identity, named
    /// `source_name` in messages, as sops reads `SOPS_AGE_SSH_PRIVATE_KEY_FILE`. A
    /// passphrase-protected or unsupported key is an [`Error::InvalidIdentity`].
    pub fn from_ssh_key(source_name: &str, key: &[u8]) -> Result<Identities> {
        let identity = parse_ssh_identity(source_name, key)?;
        Ok(Identities {
            keys: ParsedKeys {
                ssh: vec![identity],
                ..ParsedKeys::default()
            },
            sources: vec![source_name.to_owned()],
            failures: Vec::new(),
            default_keys: None,
        })
    }

    pub(super) fn add_source(&mut self, name: &str, loaded: Result<(ParsedKeys, Vec<String>)>) {
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
    /// `SOPS_AGE_KEY_CMD`, `SOPS_AGE_SSH_PRIVATE_KEY_FILE=<path>`, or a default file's
    /// path). Never a key.
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
        self.keys.len() == 0
    }

    /// How many identities were loaded.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// The public recipients of the loaded X25519 and SSH identities, in load order: `age1…`,
    /// then `ssh-ed25519 <base64>` / `ssh-rsa <base64>` (without the comment a `.pub` file
    /// may carry). Plugin identities have no recipient known without running the plugin
    /// and are left out.
    pub fn recipients(&self) -> Vec<String> {
        let x25519 = self.keys.x25519.iter().map(|k| k.to_public().to_string());
        let ssh = self
            .keys
            .ssh
            .iter()
            .filter_map(|k| age::ssh::Recipient::try_from(k.clone()).ok())
            .map(|r| r.to_string());
        x25519.chain(ssh).collect()
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
        if self.is_empty() {
            return Ok(None);
        }
        // One plugin connection per plugin name, as age does. A plugin whose binary is not on
        // PATH was already reported when its identity was loaded, so it is left out here.
        let mut plugin_names: Vec<&str> = self
            .keys
            .plugin
            .iter()
            .map(age::plugin::Identity::plugin)
            .collect();
        plugin_names.sort_unstable();
        plugin_names.dedup();
        let plugins: Vec<_> = plugin_names
            .into_iter()
            .filter_map(|name| {
                age::plugin::IdentityPluginV1::new(name, &self.keys.plugin, age::NoCallbacks).ok()
            })
            .collect();
        let identities = self
            .keys
            .x25519
            .iter()
            .map(|k| k as &dyn age::Identity)
            .chain(self.keys.ssh.iter().map(|k| k as &dyn age::Identity))
            .chain(plugins.iter().map(|p| p as &dyn age::Identity));
        let mut stream = match decryptor.decrypt(identities) {
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
/// starting exactly with `AGE-SECRET-KEY-1` or `AGE-PLUGIN-` (no surrounding whitespace,
/// spec §9), as sops 3.11 reads it.
///
/// Post-quantum identity lines (valid for newer sops, unsupported here) and plugin
/// identities whose `age-plugin-<name>` binary is not on `PATH` are skipped and returned as
/// notes. Any other bad line fails the whole source, as in age.
pub(super) fn parse_identity_text(source: &str, text: &str) -> Result<(ParsedKeys, Vec<String>)> {
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
    let mut keys = ParsedKeys::default();
    let mut notes = Vec::new();
    // `str::lines` also drops a trailing `\r`, as Go's line scanner does.
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with(PQ_IDENTITY_PREFIX) {
            notes.push(format!(
                "invalid age identity in {source}: line {number}: not supported (skipped): {PQ_NEEDS}"
            ));
        } else if line.starts_with(PLUGIN_IDENTITY_PREFIX) {
            let key: age::plugin::Identity = line
                .parse()
                .map_err(|_| invalid(format!("line {number}: malformed plugin identity")))?;
            // A plugin that cannot run is a skipped identity, named with its binary, so
            // that it is reported only when no other key opens the file.
            match age::plugin::IdentityPluginV1::new(
                key.plugin(),
                std::slice::from_ref(&key),
                age::NoCallbacks,
            ) {
                Ok(_) => keys.plugin.push(key),
                Err(e) => notes.push(format!(
                    "age identity in {source}: line {number}: skipped: {}",
                    plugin_error(key.plugin(), &e)
                        .to_string()
                        .lines()
                        .next()
                        .unwrap_or_default()
                )),
            }
        } else if line.starts_with(X25519_IDENTITY_PREFIX) {
            let key: age::x25519::Identity = line
                .parse()
                .map_err(|e| invalid(format!("line {number}: malformed X25519 identity ({e})")))?;
            keys.x25519.push(key);
        } else {
            return Err(invalid(format!(
                "line {number}: unknown identity type (a line must start with {X25519_IDENTITY_PREFIX} or {PLUGIN_IDENTITY_PREFIX}, without leading spaces)"
            )));
        }
    }
    if keys.len() == 0 && notes.is_empty() {
        return Err(invalid("no identities found".to_owned()));
    }
    Ok((keys, notes))
}

/// Parses one SSH private key (the whole file) as an age identity. Only unencrypted
/// `ssh-ed25519` and `ssh-rsa` keys are accepted: sops 3.11 would prompt for the passphrase
/// of a protected key, and this toolkit never prompts, so such a key is an error that says
/// what to use instead.
pub(super) fn parse_ssh_identity(source: &str, key: &[u8]) -> Result<age::ssh::Identity> {
    let invalid = |message: String| Error::InvalidIdentity {
        source_name: source.to_owned(),
        message,
    };
    let identity = age::ssh::Identity::from_buffer(key, Some(source.to_owned()))
        .map_err(|_| invalid("not an SSH private key this toolkit can read (ssh-ed25519 or ssh-rsa, OpenSSH or PEM format)".to_owned()))?;
    match identity {
        age::ssh::Identity::Unencrypted(_) => Ok(identity),
        age::ssh::Identity::Encrypted(_)
        | age::ssh::Identity::Unsupported(
            age::ssh::UnsupportedKey::EncryptedPem | age::ssh::UnsupportedKey::EncryptedSsh(_),
        ) => Err(invalid(
            "the SSH key is passphrase-protected, which this toolkit does not support (sops would prompt for the passphrase)\nhint: decrypt with an age identity (SOPS_AGE_KEY_FILE), or with sops itself".to_owned(),
        )),
        age::ssh::Identity::Unsupported(
            age::ssh::UnsupportedKey::Hardware(kind) | age::ssh::UnsupportedKey::Type(kind),
        ) => Err(invalid(format!(
            "SSH key type `{kind}` is not supported (only ssh-ed25519 and ssh-rsa are)"
        ))),
    }
}

/// The error for a plugin that cannot be run: its binary is not on `PATH`, or the name is
/// not a valid plugin name.
fn plugin_error(name: &str, error: &age::plugin::ResolveError) -> Error {
    match error {
        age::plugin::ResolveError::MissingPlugin { binary_name } => Error::AgePluginMissing {
            binary: binary_name.clone(),
        },
        _ => Error::Age(format!("invalid age plugin name `{name}`")),
    }
}

/// A parsed recipient, of one of the kinds sops 3.11 encrypts to.
#[derive(Clone)]
pub enum Recipient {
    /// `age1…`: an age X25519 public key.
    X25519(age::x25519::Recipient),
    /// `ssh-ed25519 …` / `ssh-rsa …`: an SSH public key (authorized-keys line).
    Ssh(age::ssh::Recipient),
    /// `age1<name>1…`: a recipient handled by the `age-plugin-<name>` binary.
    Plugin(age::plugin::Recipient),
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Recipients are public; printed as their text.
        match self {
            Recipient::X25519(r) => write!(f, "X25519({r})"),
            Recipient::Ssh(r) => write!(f, "Ssh({r})"),
            Recipient::Plugin(r) => write!(f, "Plugin({r})"),
        }
    }
}

impl fmt::Display for Recipient {
    /// The recipient's canonical text (an SSH key without its comment).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recipient::X25519(r) => write!(f, "{r}"),
            Recipient::Ssh(r) => write!(f, "{r}"),
            Recipient::Plugin(r) => write!(f, "{r}"),
        }
    }
}

/// A recipient as it may appear in a message: a post-quantum key (some 2,000 characters)
/// is cut short.
fn shown(recipient: &str) -> String {
    if recipient.chars().count() > 80 {
        let head: String = recipient.chars().take(40).collect();
        format!("{head}…")
    } else {
        recipient.to_owned()
    }
}

/// Parses and validates a recipient (surrounding whitespace trimmed), telling the kinds
/// apart as sops 3.11 does: `age1` with a further `1` is a plugin recipient, other `age1`
/// an X25519 key, `ssh-` an SSH public key.
///
/// Post-quantum hybrid recipients (`age1pq1…`) are refused with
/// [`Error::UnsupportedRecipient`]: the `age` crate 0.12.1 cannot encrypt to them (sops 3.11
/// itself treats them as a plugin named `pq`).
pub fn parse_recipient(s: &str) -> Result<Recipient> {
    let trimmed = s.trim();
    let invalid = |reason: String| Error::InvalidRecipient {
        recipient: shown(trimmed),
        context: reason,
    };
    if trimmed.starts_with(PQ_RECIPIENT_PREFIX) {
        return Err(Error::UnsupportedRecipient {
            recipient: shown(trimmed),
            reason: PQ_NEEDS.to_owned(),
        });
    }
    if let Some(rest) = trimmed.strip_prefix("age1") {
        if rest.contains('1') {
            return trimmed
                .parse::<age::plugin::Recipient>()
                .map(Recipient::Plugin)
                .map_err(|_| invalid(String::new()));
        }
        return trimmed
            .parse::<age::x25519::Recipient>()
            .map(Recipient::X25519)
            .map_err(|_| invalid(String::new()));
    }
    if trimmed.starts_with("ssh-") {
        return trimmed
            .parse::<age::ssh::Recipient>()
            .map(Recipient::Ssh)
            .map_err(|e| {
                invalid(match e {
                    age::ssh::ParseRecipientKeyError::RsaModulusTooLarge => {
                        "the ssh-rsa key is larger than 4096 bits".to_owned()
                    }
                    age::ssh::ParseRecipientKeyError::RsaModulusTooSmall => {
                        "the ssh-rsa key is smaller than 2048 bits".to_owned()
                    }
                    age::ssh::ParseRecipientKeyError::Unsupported(kind) => format!(
                        "SSH key type `{kind}` is not supported (only ssh-ed25519 and ssh-rsa are)"
                    ),
                    _ => "malformed SSH public key".to_owned(),
                })
            });
    }
    Err(invalid(String::new()))
}

/// Wraps `data_key` (the 32-byte data key or a 33-byte Shamir share) for one recipient: an
/// age v1 file with that recipient's stanza, ASCII-armored exactly as sops writes and
/// requires (spec §7.2): `-----BEGIN AGE ENCRYPTED FILE-----`, base64 lines of 64 columns,
/// the end marker, a final newline, LF line endings. A plugin recipient runs its
/// `age-plugin-<name>` binary, which must be on `PATH` ([`Error::AgePluginMissing`]).
pub fn wrap_data_key(recipient: &str, data_key: &[u8]) -> Result<String> {
    let recipient = parse_recipient(recipient)?;
    let age_error = |e: &dyn fmt::Display| Error::Age(format!("cannot wrap the data key: {e}"));
    let plugin;
    let as_age: &dyn age::Recipient = match &recipient {
        Recipient::X25519(r) => r,
        Recipient::Ssh(r) => r,
        Recipient::Plugin(r) => {
            plugin = age::plugin::RecipientPluginV1::new(
                r.plugin(),
                std::slice::from_ref(r),
                &[],
                age::NoCallbacks,
            )
            .map_err(|e| plugin_error(r.plugin(), &e))?;
            &plugin
        }
    };
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(as_age)).map_err(|e| age_error(&e))?;
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
