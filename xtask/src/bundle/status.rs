//! `cargo xtask bundle status`: what can be known of an encrypted file without a key (its
//! format, sops version, recipients, scope rule, how many values are encrypted and the
//! values left in the clear), as text or one JSON document.
//!
//! What must stay true: no key is read and nothing is decrypted; only values the file
//! already holds in the clear are printed; the JSON carries `schema_version`.

use bundle_core::ExitStatus;
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use bundle_core::Scalar;
use bundle_core::sops::SopsFile;

use super::write_stdout;
use crate::{Failure, TaskResult};

pub(super) fn status(file: &Path, json: bool, stdout: &mut dyn Write) -> TaskResult {
    let sops_file = SopsFile::read(file)?;
    let meta = sops_file.metadata();
    let leaves = sops_file.leaves();
    let encrypted = leaves.iter().filter(|l| l.encrypted).count();
    let clear: Vec<(String, String)> = leaves
        .iter()
        .filter(|l| !l.encrypted)
        .filter_map(|l| {
            let value = match l.plaintext.as_ref()? {
                Scalar::Str(t) | Scalar::Time(t) => t.as_str().to_owned(),
                Scalar::Bytes(_) => return None,
                other => String::from_utf8_lossy(&bundle_core::value::plaintext_bytes(other))
                    .into_owned(),
            };
            Some((l.path.dotted(), value))
        })
        .collect();
    if json {
        let doc = serde_json::json!({
            "schema_version": 1,
            "file": file.display().to_string(),
            "format": sops_file.format().name(),
            "version": meta.version,
            "lastmodified": meta.lastmodified,
            "recipients": meta.recipient_groups(),
            "shamir_threshold": meta.shamir_threshold,
            "scope_rule": { "field": meta.scope.field_name(), "pattern": meta.scope.pattern() },
            "mac_only_encrypted": meta.mac_only_encrypted,
            "leaves": { "total": leaves.len(), "encrypted": encrypted },
            "plaintext_values": clear.iter().map(|(k, v)| serde_json::json!({"path": k, "value": v})).collect::<Vec<_>>(),
        });
        let mut text =
            serde_json::to_string_pretty(&doc).map_err(|e| Failure::usage(e.to_string()))?;
        text.push('\n');
        write_stdout(stdout, text.as_bytes())?;
    } else {
        let mut out = String::new();
        let _ = writeln!(out, "file:         {}", file.display());
        let _ = writeln!(out, "format:       {}", sops_file.format());
        let _ = writeln!(out, "sops version: {}", meta.version);
        let _ = writeln!(out, "lastmodified: {}", meta.lastmodified);
        let _ = writeln!(
            out,
            "scope rule:   {}: {}",
            meta.scope.field_name(),
            meta.scope.pattern()
        );
        if meta.mac_only_encrypted {
            out.push_str("mac:          only encrypted values are authenticated\n");
        }
        for (i, group) in meta.recipient_groups().iter().enumerate() {
            let _ = writeln!(out, "key group {i}:");
            for r in group {
                let _ = writeln!(out, "  - {r}");
            }
        }
        let _ = writeln!(
            out,
            "values:       {} ({encrypted} encrypted)",
            leaves.len()
        );
        if !clear.is_empty() {
            out.push_str("in the clear:\n");
            for (k, v) in &clear {
                let _ = writeln!(out, "  {k}: {v}");
            }
        }
        write_stdout(stdout, out.as_bytes())?;
    }
    Ok(ExitStatus::Success)
}
