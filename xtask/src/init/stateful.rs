//! The files of `init` that carry state and are built, not templated: `.sops.yaml` with the
//! bundle's creation rule, the bundle at version 1 encrypted to the new key (and any
//! `--recipient`), and the evidence skeleton with its first execution (v0 → v1). Apart from
//! [`init`](super::init) and the [`templates`](super::templates) because they go through
//! the libraries (bundle-core's SOPS engine, evidence-writer) rather than fixed text.
//!
//! What must stay true: everything is rendered in memory or in a private staging directory
//! and returned as planned bytes; nothing is written to the repository here; the rule and
//! the bundle's header are the ones the runbook's tools read (`HEADER_UNENCRYPTED_REGEX`).

use std::path::Path;

use bundle_core::config::{CONFIG_FILE_NAME, SopsConfig};
use bundle_core::keys::KeyPair;
use bundle_core::ops::evidence::{DEFAULT_DIR, Kind};
use bundle_core::ops::mcp::{HEADER_UNENCRYPTED_REGEX, Header, Version};
use bundle_core::sops::{Decrypted, EncryptSettings};
use bundle_core::store::EmitOptions;
use bundle_core::time::Timestamp;
use bundle_core::{Format, store};
use bundle_core::{Scalar, Text, Value};

use super::{Options, Planned};
use crate::Failure;
use crate::rotate::BUNDLE;

/// `.sops.yaml`, the bundle at version 1 and the evidence skeleton with its first execution.
pub(super) fn stateful_files(
    repo: &Path,
    options: &Options,
    pair: &KeyPair,
    now: Timestamp,
) -> Result<Vec<Planned>, Box<Failure>> {
    let mut recipients = vec![pair.recipient()];
    recipients.extend(options.recipients.iter().cloned());
    let mut sops_yaml = format!(
        "# Written by `mcp-secrets init`: the bundle's creation rule. The header keys stay in the\n# clear (covered by the MAC); everything else is encrypted to these age recipients.\ncreation_rules:\n  - path_regex: 'config/secrets\\.enc\\.yaml$'\n    unencrypted_regex: '{HEADER_UNENCRYPTED_REGEX}'\n    age:\n"
    );
    for r in &recipients {
        sops_yaml.push_str("      - ");
        sops_yaml.push_str(r);
        sops_yaml.push('\n');
    }
    let config = SopsConfig::parse(&repo.join(CONFIG_FILE_NAME), &sops_yaml)?;
    let bundle_path = repo.join(BUNDLE);
    let rule = config.rule_for(&bundle_path)?;
    let raw = store::parse(Format::Yaml, b"{}\n")
        .map_err(|e| Failure::usage(format!("internal: the empty bundle does not parse: {e}")))?;
    let mut decrypted = Decrypted::new(
        &bundle_path,
        Format::Yaml,
        raw.branches,
        &EncryptSettings::from_rule(rule),
    )?;
    Header {
        version: Version::Int(1),
        reason: Some("criação do bundle (mcp-secrets init)".to_owned()),
        rotated_at: Some(now.to_string()),
        incident: None,
    }
    .apply(&mut decrypted);
    for (path, value) in &options.values {
        decrypted.set(
            path,
            Value::Scalar(Scalar::Str(Text::new(value.to_string()))),
        )?;
    }
    let encrypted = decrypted.into_encrypted(now.unix())?;
    let bundle = encrypted.to_bytes(EmitOptions::default())?;
    let mut files = vec![
        Planned {
            path: CONFIG_FILE_NAME.to_owned(),
            bytes: sops_yaml.into_bytes(),
            mode: 0o644,
        },
        Planned {
            path: BUNDLE.to_owned(),
            bytes: bundle,
            mode: 0o644,
        },
    ];
    files.extend(evidence_files(options, now)?);
    Ok(files)
}

/// The evidence skeleton and the first execution (v0 → v1), built in a private staging
/// directory and read back.
fn evidence_files(options: &Options, now: Timestamp) -> Result<Vec<Planned>, Box<Failure>> {
    let staging = tempfile::Builder::new()
        .prefix("mcp-secrets-init-")
        .tempdir()
        .map_err(|e| Failure::usage(format!("temporary directory: {e}")))?;
    let dir = staging.path().join("evidence");
    evidence_writer::init(&dir, evidence_writer::Lang::Pt).map_err(Failure::tool)?;
    let mut first = evidence_writer::RecordRequest::new(Kind::Scheduled);
    first.reason = Some("criação do bundle (mcp-secrets init)".to_owned());
    first.responsible.clone_from(&options.responsible);
    first.version_from = Some(0);
    first.version_to = Some(1);
    evidence_writer::record(&dir, &first, evidence_writer::Now::fixed(now), None)
        .map_err(Failure::tool)?;
    let mut found = Vec::new();
    crate::walk::files_under(&dir, &mut found)?;
    found.sort();
    let mut files = Vec::new();
    for f in found {
        let rel = f
            .strip_prefix(&dir)
            .map_err(|_| Failure::usage("internal: evidence file outside its directory"))?;
        files.push(Planned {
            path: format!("{DEFAULT_DIR}/{}", rel.display()),
            bytes: fs_err::read(&f)?,
            mode: 0o644,
        });
    }
    Ok(files)
}
