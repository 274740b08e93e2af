//! `cargo xtask bundle encrypt`: a plaintext file encrypted for the recipients of the
//! matching `.sops.yaml` rule (or `--age`), to stdout, `--output` or in place.
//!
//! What must stay true: the recipients and indentation come from the rule as sops chooses
//! it (`--age` replaces the rule's keys, as `sops --age` does); encrypted output replaces a
//! file atomically; the plaintext is read into a `Zeroizing` buffer and never written.

use bundle_core::ExitStatus;
use std::io::Write;
use std::path::Path;

use bundle_core::Format;
use bundle_core::config::SopsConfig;
use bundle_core::fsio::{self, WriteOptions};
use bundle_core::sops::{self, EncryptSettings};
use bundle_core::store::EmitOptions;
use zeroize::Zeroizing;

use super::{TypeArgs, load_config, now, write_stdout};
use crate::TaskResult;

fn indent_for(cfg: &SopsConfig, format: Format) -> Option<usize> {
    match format {
        Format::Yaml => cfg.yaml_indent,
        Format::Json | Format::Binary => cfg.json_indent,
        Format::Dotenv | Format::Ini => None,
    }
}

pub(super) fn encrypt(
    file: &Path,
    in_place: bool,
    output: Option<&Path>,
    config: Option<&Path>,
    age: Option<&str>,
    types: &TypeArgs,
    stdout: &mut dyn Write,
) -> TaskResult {
    let (input, output_format) = types.resolve(file)?;
    let abs = std::path::absolute(file)?;
    let (mut settings, indent) = match (age, load_config(config)) {
        (Some(_), Err(_)) => (EncryptSettings::default(), None),
        (_, Ok(cfg)) => match cfg.rule_for(&abs) {
            Ok(rule) => (
                EncryptSettings::from_rule(rule),
                indent_for(&cfg, output_format),
            ),
            Err(e) if age.is_none() => return Err(e.into()),
            Err(_) => (EncryptSettings::default(), indent_for(&cfg, output_format)),
        },
        (None, Err(e)) => return Err(e),
    };
    if let Some(list) = age {
        let recipients: Vec<String> = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        settings.key_groups = vec![recipients];
        settings.shamir_threshold = None;
    }
    let plaintext = Zeroizing::new(fs_err::read(file)?);
    let encrypted = sops::encrypt_plaintext(file, input, &plaintext, &settings, now()?)?;
    let encrypted = if output_format == input {
        encrypted
    } else {
        encrypted.with_format(output_format)
    };
    let bytes = encrypted.to_bytes(EmitOptions { indent })?;
    if in_place {
        fsio::write_atomic(file, &bytes, WriteOptions::PUBLIC)?;
    } else if let Some(path) = output {
        fsio::write_atomic(path, &bytes, WriteOptions::PUBLIC)?;
    } else {
        write_stdout(stdout, &bytes)?;
    }
    Ok(ExitStatus::Success)
}
