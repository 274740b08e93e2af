//! The commands that change an encrypted file in place: `set`, `unset` and `rotate` (through
//! [`edit`]) and `updatekeys`. Grouped because each decrypts, changes the tree or its
//! recipients, and writes the file back re-encrypted.
//!
//! What must stay true: a change is written atomically or not at all; `set` takes JSON as
//! `sops set` does (every number a float); `updatekeys` without `--yes` changes nothing and
//! exits 1, and a removed recipient rotates the data key (a deliberate difference from sops,
//! whose updatekeys keeps it).

use bundle_core::ExitStatus;
use std::io::Write;
use std::path::Path;

use bundle_core::sops::{Decrypted, SopsFile};
use bundle_core::store::EmitOptions;
use bundle_core::{Map, Scalar, SeqItem, Text, Value};

use super::{identities, load_config, now, print_warnings};
use crate::{Failure, TaskResult};

pub(super) fn edit(
    file: &Path,
    stderr: &mut dyn Write,
    change: impl FnOnce(&mut Decrypted) -> Result<(), Box<Failure>>,
) -> TaskResult {
    let sops_file = SopsFile::read(file)?;
    let mut decrypted = sops_file.into_decrypted(&identities()?)?;
    print_warnings(&decrypted, stderr)?;
    change(&mut decrypted)?;
    let updated = decrypted.encrypt(now()?)?;
    updated.write(file, EmitOptions::default())?;
    writeln!(stderr, "updated {}", file.display())?;
    Ok(ExitStatus::Success)
}

pub(super) fn updatekeys(
    file: &Path,
    yes: bool,
    config: Option<&Path>,
    stderr: &mut dyn Write,
) -> TaskResult {
    let cfg = load_config(config)?;
    let abs = std::path::absolute(file)?;
    let rule = cfg.rule_for(&abs)?;
    let wanted: Vec<Vec<String>> = rule.key_groups.iter().map(|g| g.age.clone()).collect();
    let sops_file = SopsFile::read(file)?;
    let current = sops_file.metadata().recipient_groups();
    if current == wanted {
        writeln!(
            stderr,
            "{}: recipients already match {}",
            file.display(),
            cfg.path.display()
        )?;
        return Ok(ExitStatus::Success);
    }
    let old: Vec<&String> = current.iter().flatten().collect();
    let new: Vec<&String> = wanted.iter().flatten().collect();
    let removed: Vec<&&String> = old.iter().filter(|r| !new.contains(r)).collect();
    for r in &new {
        if !old.contains(r) {
            writeln!(stderr, "+ {r}")?;
        }
    }
    for r in &removed {
        writeln!(stderr, "- {r}")?;
    }
    if !yes {
        // Pending changes not applied: a script that forgot --yes must not read success.
        writeln!(stderr, "no change made: re-run with --yes to apply")?;
        return Ok(ExitStatus::Problem);
    }
    let mut decrypted = sops_file.decrypt(&identities()?)?;
    decrypted.set_recipients(&wanted, rule.shamir_threshold)?;
    if removed.is_empty() {
        // Same data key: only the key groups change; values, lastmodified and the MAC stay
        // byte for byte, as sops updatekeys leaves them.
        sops_file
            .with_recipients_of(&decrypted)
            .write(file, EmitOptions::default())?;
    } else {
        // A removed recipient still holds the old data key: only a new one locks it out
        // (sops updatekeys keeps the data key; this is a deliberate difference).
        decrypted.rotate_data_key()?;
        writeln!(
            stderr,
            "a recipient was removed: the data key was rotated as well"
        )?;
        decrypted
            .encrypt(now()?)?
            .write(file, EmitOptions::default())?;
    }
    writeln!(stderr, "updated {}", file.display())?;
    Ok(ExitStatus::Success)
}

/// JSON (as `sops set` takes it) to a tree value: numbers are floats, as in sops.
pub(super) fn json_to_value(text: &str) -> Result<Value, Box<Failure>> {
    let parsed: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        Failure::usage(format!(
            "the value is not valid JSON ({e}), as sops set requires; quote strings: '\"text\"', or pass --raw to take it as a plain string"
        ))
    })?;
    Ok(from_json(parsed))
}

fn from_json(v: serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Scalar(Scalar::Bool(b)),
        // sops set stores every JSON number as `type:float`, `42` included (checked with
        // sops 3.11; issue 15), as its JSON store does.
        serde_json::Value::Number(n) => {
            Value::Scalar(Scalar::Float(n.as_f64().unwrap_or(f64::NAN)))
        }
        serde_json::Value::String(s) => Value::Scalar(Scalar::Str(Text::new(s))),
        serde_json::Value::Array(items) => Value::Seq(
            items
                .into_iter()
                .map(|i| SeqItem::Value(from_json(i)))
                .collect(),
        ),
        serde_json::Value::Object(obj) => {
            let mut m = Map::new();
            for (k, v) in obj {
                m.push(k, from_json(v));
            }
            Value::Map(m)
        }
    }
}
