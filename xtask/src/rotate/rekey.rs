//! Steps 2 and 3 of a rotation, the two that make the new key and use it: [`generate_key`]
//! delivers a new age key to the sink the user named, and [`update_bundle`] re-encrypts the
//! bundle to the new recipients with a new data key, then rewrites `.sops.yaml`. They live
//! apart from [`steps`](super::steps) because they are the only steps that hold private key
//! material, and `cargo xtask init` delivers its first key through [`deliver_to_command`].
//!
//! What must stay true: the private key leaves memory only for the sink (`--key-out`, 0600,
//! atomic, or `--key-cmd`'s standard input, never an argument or the environment); a
//! `--key-cmd` that fails or outlives its timeout is killed with its process group and the
//! key counts as not stored; the bundle is written before `.sops.yaml`, both atomically, so
//! the snapshot restores either.

use std::io::Write;
use std::os::unix::process::CommandExt as _;
use std::process::{Command as Process, Stdio};
use std::time::Duration;

use bundle_core::config::{CONFIG_FILE_NAME, SopsConfig, replace_rule_recipients};
use bundle_core::fsio::{self, WriteOptions};
use bundle_core::keys::KeyPair;
use bundle_core::ops::mcp::{Header, Version};
use bundle_core::sops::SopsFile;
use bundle_core::store::EmitOptions;
use bundle_core::{Scalar, Text, Value};
use zeroize::Zeroizing;

use super::Rotation;
use super::preflight::Current;
use super::request::KeySink;
use super::steps::{Inputs, StepBody, Versions};
use crate::Failure;

/// The new key and where it was delivered.
pub(super) struct NewKey {
    pub(super) pair: KeyPair,
    pub(super) delivered_to: String,
}

/// Step 2: a new age key, delivered to the sink (the private key never touches the
/// repository).
pub(super) fn generate_key(rotation: &Rotation<'_>, inputs: &Inputs<'_>) -> StepBody<NewKey> {
    let pair = KeyPair::generate();
    let text = Zeroizing::new(format!(
        "# created: {}\n# public key: {}\n{}\n",
        rotation.request.now,
        pair.recipient(),
        pair.expose_identity()
    ));
    let to = match inputs.sink {
        KeySink::File(path) => {
            fsio::write_atomic(path, text.as_bytes(), WriteOptions::PRIVATE_NEW)?;
            format!("{} (0600)", path.display())
        }
        KeySink::Command(cmd, timeout) => {
            deliver_to_command(cmd, text.as_bytes(), *timeout)?;
            "--key-cmd".to_owned()
        }
    };
    let summary = format!("novo destinatário {} -> {to}", pair.recipient());
    Ok((
        NewKey {
            pair,
            delivered_to: to,
        },
        summary,
    ))
}

pub(crate) fn deliver_to_command(
    cmd: &str,
    key: &[u8],
    timeout: Duration,
) -> Result<(), Box<Failure>> {
    // A group of its own: at the deadline the command and whatever it started are killed.
    let mut child = Process::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| Failure::usage(format!("--key-cmd: cannot start the command: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        // The key fits in the pipe's buffer, so this returns even if the command never reads;
        // a command that exits without reading gives a broken pipe: its status decides.
        let _ = stdin.write_all(key);
    }
    let status = bundle_core::process::wait_with_deadline(&mut child, timeout)
        .map_err(|e| Failure::usage(format!("--key-cmd: {e}")))?;
    match status {
        Some(status) if status.success() => Ok(()),
        Some(status) => Err(Failure::usage(format!(
            "--key-cmd exited with {status}: the key was not stored"
        ))),
        None => Err(Failure::usage(format!(
            "--key-cmd did not finish within {} s and was killed with its children; whatever it stored is not used (raise --key-cmd-timeout if it needs longer)",
            timeout.as_secs()
        ))),
    }
}

/// The recipients of the new rule: the kept ones (an emergency naming `--compromised`
/// keeps the others), then `recipient`.
fn new_recipients(
    rotation: &Rotation<'_>,
    config: &SopsConfig,
    index: usize,
    recipient: &str,
) -> Result<Vec<String>, Box<Failure>> {
    let mut kept: Vec<String> = Vec::new();
    if let Some(emergency) = &rotation.request.emergency
        && !emergency.compromised.is_empty()
    {
        let current: Vec<&str> = config.creation_rules[index].recipients().collect();
        if let Some(unknown) = emergency
            .compromised
            .iter()
            .find(|c| !current.contains(&c.trim()))
        {
            return Err(Failure::usage(format!(
                "--compromised {unknown}: not a recipient of the {CONFIG_FILE_NAME} rule"
            )));
        }
        for r in config.creation_rules[index].recipients() {
            if !emergency.compromised.iter().any(|c| c.trim() == r) {
                kept.push(r.to_owned());
            }
        }
    }
    kept.push(recipient.to_owned());
    Ok(kept)
}

/// Step 3: the bundle re-encrypted to the new recipients with a new data key, the values
/// replaced, the header at the new version; then `.sops.yaml`.
pub(super) fn update_bundle(
    rotation: &Rotation<'_>,
    inputs: &Inputs<'_>,
    current: &Current,
    recipient: &str,
    versions: Versions,
) -> StepBody<SopsFile> {
    let request = rotation.request;
    let config_text = fs_err::read_to_string(&rotation.config)?;
    let config = SopsConfig::parse(&rotation.config, &config_text)?;
    let index = config.rule_index_for(&rotation.bundle)?;
    let kept = new_recipients(rotation, &config, index, recipient)?;
    let new_config = replace_rule_recipients(&config_text, index, &kept)?;
    let mut decrypted = current.bundle.decrypt(&current.identities)?;
    decrypted.set_recipients(std::slice::from_ref(&kept), None)?;
    decrypted.rotate_data_key()?;
    for (path, value) in inputs.values {
        decrypted.set(
            path,
            Value::Scalar(Scalar::Str(Text::new(value.to_string()))),
        )?;
    }
    let header = Header {
        version: Version::Int(
            i64::try_from(versions.to).map_err(|_| Failure::usage("version overflow"))?,
        ),
        reason: Some(request.rotation_reason()),
        rotated_at: Some(request.now.to_string()),
        incident: request.emergency.as_ref().map(|e| e.incident.clone()),
    };
    header.apply(&mut decrypted);
    let encrypted = decrypted.encrypt(request.now.unix())?;
    encrypted.write(&rotation.bundle, EmitOptions::default())?;
    fsio::write_atomic(
        &rotation.config,
        new_config.as_bytes(),
        WriteOptions::PUBLIC,
    )?;
    let summary = format!(
        "v{} -> v{}, {} destinatário(s), nova chave de dados, {} valor(es) substituído(s)",
        versions.from,
        versions.to,
        kept.len(),
        inputs.values.len()
    );
    Ok((encrypted, summary))
}
