//! `cargo xtask bundle …`: sops-compatible commands over bundle-core.
//!
//! Decrypted output goes to stdout unless `--output` names a file, which is then written
//! atomically with mode 0600. Encrypted files are replaced atomically. Keys are found as
//! sops finds them (SSH keys, `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`,
//! keys.txt). What must stay true: every output and refusal matches sops 3.11 or names the
//! sops behaviour it deliberately departs from (README, compatibility notes).

use bundle_core::ExitStatus;
use std::fmt::Write as _;
use std::io::{Read as _, Write};
use std::path::{Path, PathBuf};

use bundle_core::config::{SopsConfig, find_config};
use bundle_core::fsio::{self, WriteOptions};
use bundle_core::keys::{Identities, KeyEnv, KeyPair};
use bundle_core::sops::{self, Decrypted, EncryptSettings, SopsFile};
use bundle_core::store::EmitOptions;
use bundle_core::treepath::TreePath;
use bundle_core::{Format, Map, Scalar, SeqItem, Text, Value};
use clap::{Args, Subcommand};
use zeroize::Zeroizing;

use crate::{Failure, TaskResult};

/// Commands over SOPS files.
#[derive(Subcommand)]
pub(crate) enum BundleCommand {
    /// Decrypt a file (MAC verified) to stdout or --output (0600).
    Decrypt {
        /// The encrypted file.
        file: PathBuf,
        /// Write here (0600, atomic) instead of stdout.
        #[arg(long)]
        output: Option<PathBuf>,
        /// Print only this value, e.g. `["server"]["port"]`.
        #[arg(long)]
        extract: Option<String>,
        #[command(flatten)]
        types: TypeArgs,
    },
    /// Encrypt a plaintext file for the recipients of the matching .sops.yaml rule.
    Encrypt {
        /// The plaintext file.
        file: PathBuf,
        /// Replace the file with its encrypted form.
        #[arg(long, conflicts_with = "output")]
        in_place: bool,
        /// Write the encrypted file here instead of stdout.
        #[arg(long)]
        output: Option<PathBuf>,
        /// Use this .sops.yaml instead of searching upward from the working directory.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Comma-separated age recipients (replace the rule's keys, as sops --age).
        #[arg(long)]
        age: Option<String>,
        #[command(flatten)]
        types: TypeArgs,
    },
    /// Set one value (JSON syntax, as sops set) and re-encrypt in place.
    Set {
        /// The encrypted file.
        file: PathBuf,
        /// The path, e.g. `["db"]["password"]`.
        path: String,
        /// The value as JSON: `'"text"'`, `42`, `-7`, `true`, `'{"a": 1}'` (numbers are
        /// stored as floats, as sops does).
        #[arg(required_unless_present = "value_stdin", allow_negative_numbers = true)]
        value: Option<String>,
        /// Read the value from stdin, as JSON like VALUE (as `sops set --value-stdin`).
        #[arg(long, conflicts_with = "value")]
        value_stdin: bool,
        /// Take the value as a plain string instead of JSON (stdin: one trailing newline
        /// removed). Not in sops.
        #[arg(long)]
        raw: bool,
    },
    /// Remove one value and re-encrypt in place.
    Unset {
        /// The encrypted file.
        file: PathBuf,
        /// The path, e.g. `["db"]["password"]`.
        path: String,
    },
    /// Re-encrypt everything under a new data key.
    Rotate {
        /// The encrypted file.
        file: PathBuf,
    },
    /// Make the file's recipients those of the matching .sops.yaml rule.
    Updatekeys {
        /// The encrypted file.
        file: PathBuf,
        /// Apply without asking (otherwise only the plan is printed).
        #[arg(long, short = 'y')]
        yes: bool,
        /// Use this .sops.yaml instead of searching upward from the working directory.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Show what can be known without a key.
    Status {
        /// The encrypted file.
        file: PathBuf,
        /// One JSON document on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Generate an age key pair in memory; the identity goes to stdout or --output (0600).
    Keygen {
        /// Write the identity here (0600, refuses to overwrite).
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

/// `--input-type` / `--output-type`.
#[derive(Args)]
pub(crate) struct TypeArgs {
    /// yaml, json, dotenv, ini or binary (default: by extension).
    #[arg(long)]
    input_type: Option<String>,
    /// yaml, json, dotenv, ini or binary (default: the input type).
    #[arg(long)]
    output_type: Option<String>,
}

impl TypeArgs {
    fn resolve(&self, file: &Path) -> Result<(Format, Format), Box<Failure>> {
        let parse = |name: &Option<String>| -> Result<Option<Format>, Box<Failure>> {
            name.as_deref()
                .map(|n| {
                    Format::from_name(n).ok_or_else(|| {
                        Failure::usage(format!(
                            "unknown format `{n}`: use yaml, json, dotenv, ini or binary"
                        ))
                    })
                })
                .transpose()
        };
        let input = parse(&self.input_type)?.unwrap_or_else(|| Format::from_path(file));
        let output = parse(&self.output_type)?.unwrap_or(input);
        Ok((input, output))
    }
}

pub(crate) fn run(
    cmd: BundleCommand,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> TaskResult {
    match cmd {
        BundleCommand::Decrypt {
            file,
            output,
            extract,
            types,
        } => decrypt(
            &file,
            output.as_deref(),
            extract.as_deref(),
            &types,
            stdout,
            stderr,
        ),
        BundleCommand::Encrypt {
            file,
            in_place,
            output,
            config,
            age,
            types,
        } => encrypt(
            &file,
            in_place,
            output.as_deref(),
            config.as_deref(),
            age.as_deref(),
            &types,
            stdout,
        ),
        BundleCommand::Set {
            file,
            path,
            value,
            value_stdin,
            raw,
        } => {
            let tree_path = TreePath::parse(&path).map_err(Failure::usage)?;
            let text = if value_stdin {
                let mut text = Zeroizing::new(String::new());
                std::io::stdin().read_to_string(&mut text)?;
                text
            } else {
                Zeroizing::new(value.unwrap_or_default())
            };
            let value = if raw {
                let trimmed = if value_stdin {
                    text.strip_suffix('\n').unwrap_or(&text)
                } else {
                    &text
                };
                Value::Scalar(Scalar::Str(Text::from(trimmed)))
            } else {
                json_to_value(&text)?
            };
            edit(&file, stderr, |d| {
                d.set(&tree_path, value).map_err(Into::into)
            })
        }
        BundleCommand::Unset { file, path } => {
            let tree_path = TreePath::parse(&path).map_err(Failure::usage)?;
            edit(&file, stderr, |d| {
                d.unset(&tree_path).map(drop).map_err(Into::into)
            })
        }
        BundleCommand::Rotate { file } => {
            edit(&file, stderr, |d| d.rotate_data_key().map_err(Into::into))
        }
        BundleCommand::Updatekeys { file, yes, config } => {
            updatekeys(&file, yes, config.as_deref(), stderr)
        }
        BundleCommand::Status { file, json } => status(&file, json, stdout),
        BundleCommand::Keygen { output } => keygen(output.as_deref(), stdout, stderr),
    }
}

fn print_warnings(decrypted: &Decrypted, stderr: &mut dyn Write) -> Result<(), Box<Failure>> {
    for warning in decrypted.warnings() {
        writeln!(stderr, "warning: {warning}")?;
    }
    Ok(())
}

fn identities() -> Result<Identities, Box<Failure>> {
    Ok(Identities::discover(&KeyEnv::from_process())?)
}

/// "Now" for `lastmodified`, under the one `SOURCE_DATE_EPOCH` rule (a bad value is a usage
/// error, never ignored).
fn now() -> Result<i64, Box<Failure>> {
    Ok(bundle_core::time::Now::from_env()
        .map_err(Failure::wrap(ExitStatus::Usage))?
        .at
        .unix())
}

fn decrypt(
    file: &Path,
    output: Option<&Path>,
    extract: Option<&str>,
    types: &TypeArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> TaskResult {
    let (input, output_format) = types.resolve(file)?;
    let sops_file = SopsFile::read_as(file, input)?;
    let decrypted = sops_file.into_decrypted(&identities()?)?;
    print_warnings(&decrypted, stderr)?;
    let bytes = match extract {
        Some(path) => {
            let tree_path = TreePath::parse(path).map_err(Failure::usage)?;
            render_value(decrypted.get(&tree_path)?, output_format)?
        }
        None => decrypted.to_plaintext(output_format, EmitOptions::default())?,
    };
    match output {
        Some(path) => fsio::write_atomic(path, &bytes, WriteOptions::PRIVATE)?,
        None => write_stdout(stdout, &bytes)?,
    }
    Ok(ExitStatus::Success)
}

/// A single extracted value, printed as `sops decrypt --extract` prints it (checked with
/// sops 3.11; issue 15): a string as its bare text; a map as a whole file of the output
/// format; any other value (number, bool, null, time, sequence) as the output store writes
/// one value: YAML with a final newline (`1`, `true`, `1e+21`, `- a`), JSON without one
/// (`1`, `"2024-01-01T00:00:00Z"`, a tab-indented array). dotenv and binary output hold
/// strings only, and INI output is refused for a sequence, whose sops rendering is Go's
/// internal structure.
fn render_value(value: &Value, format: Format) -> Result<Zeroizing<Vec<u8>>, Box<Failure>> {
    let kind = match value {
        Value::Scalar(Scalar::Str(t)) => return Ok(Zeroizing::new(t.as_str().as_bytes().to_vec())),
        Value::Scalar(Scalar::Bytes(b)) => return Ok(b.clone()),
        Value::Map(m) => return emit_branch(m.clone(), format),
        Value::Scalar(s) => bundle_core::value::type_name(s),
        Value::Null => "null",
        Value::Seq(_) => "sequence",
    };
    match format {
        Format::Yaml => {
            // One value as go-yaml writes it alone: the value of a one-key map, without the
            // key, one indentation level (4 columns) less.
            let text = emit_wrapped(value, Format::Yaml)?;
            let mut lines = text.split_inclusive('\n');
            let first = lines.next().unwrap_or_default();
            let mut out = Zeroizing::new(String::with_capacity(text.len()));
            if let Some(inline) = first.strip_prefix("x: ") {
                out.push_str(inline);
            }
            for line in lines {
                out.push_str(line.strip_prefix("    ").unwrap_or(line));
            }
            Ok(Zeroizing::new(out.as_bytes().to_vec()))
        }
        Format::Json => Ok(json_value(value)?),
        Format::Ini if !matches!(value, Value::Seq(_)) => Ok(json_value(value)?),
        Format::Ini => Err(Failure::usage(
            "cannot extract a sequence as INI (sops prints Go's internal structure there); use --output-type yaml or json",
        )),
        Format::Dotenv | Format::Binary => Err(Failure::usage(format!(
            "the {format} output holds strings only and this value is a {kind} (sops refuses it too); use --output-type yaml or json"
        ))),
    }
}

/// One value as the JSON store writes it alone: the value of a one-key object, without the
/// key, one indentation level less, no final newline.
fn json_value(value: &Value) -> Result<Zeroizing<Vec<u8>>, Box<Failure>> {
    let text = emit_wrapped(value, Format::Json)?;
    let body = text
        .trim_end()
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .map(|t| t.trim_matches('\n'))
        .unwrap_or_default();
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    for (i, line) in body.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let line = line.strip_prefix('\t').unwrap_or(line);
        out.push_str(if i == 0 {
            line.strip_prefix("\"x\": ").unwrap_or(line)
        } else {
            line
        });
    }
    Ok(Zeroizing::new(out.as_bytes().to_vec()))
}

/// `value` under the key `x`, emitted as a whole plaintext file of `format`.
fn emit_wrapped(value: &Value, format: Format) -> Result<Zeroizing<String>, Box<Failure>> {
    let mut map = Map::new();
    map.push("x".to_owned(), value.clone());
    let bytes = emit_branch(map, format)?;
    String::from_utf8(bytes.to_vec())
        .map(Zeroizing::new)
        .map_err(|_| Failure::usage(format!("the extracted value is not UTF-8 as {format}")))
}

fn emit_branch(map: Map, format: Format) -> Result<Zeroizing<Vec<u8>>, Box<Failure>> {
    let raw = bundle_core::RawFile {
        branches: vec![map],
        metadata: None,
    };
    bundle_core::store::emit(format, &raw, EmitOptions::default())
        .map(Zeroizing::new)
        .map_err(|e| {
            Failure::usage(format!(
                "cannot render the extracted value as {format}: {e}"
            ))
        })
}

fn write_stdout(stdout: &mut dyn Write, bytes: &[u8]) -> Result<(), Box<Failure>> {
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn load_config(explicit: Option<&Path>) -> Result<SopsConfig, Box<Failure>> {
    let path = if let Some(p) = explicit {
        p.to_owned()
    } else {
        let cwd = std::env::current_dir()?;
        find_config(&cwd).ok_or(bundle_core::Error::ConfigNotFound { start: cwd })?
    };
    Ok(SopsConfig::load(&path)?)
}

fn indent_for(cfg: &SopsConfig, format: Format) -> Option<usize> {
    match format {
        Format::Yaml => cfg.yaml_indent,
        Format::Json | Format::Binary => cfg.json_indent,
        Format::Dotenv | Format::Ini => None,
    }
}

fn encrypt(
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

fn edit(
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

fn updatekeys(file: &Path, yes: bool, config: Option<&Path>, stderr: &mut dyn Write) -> TaskResult {
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

fn status(file: &Path, json: bool, stdout: &mut dyn Write) -> TaskResult {
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

fn keygen(output: Option<&Path>, stdout: &mut dyn Write, stderr: &mut dyn Write) -> TaskResult {
    let pair = KeyPair::generate();
    let text = Zeroizing::new(format!(
        "# created: {}\n# public key: {}\n{}\n",
        bundle_core::time::format_rfc3339(now()?),
        pair.recipient(),
        pair.expose_identity()
    ));
    match output {
        Some(path) => {
            fsio::write_atomic(path, text.as_bytes(), WriteOptions::PRIVATE_NEW)?;
            writeln!(stderr, "wrote {} (mode 600)", path.display())?;
        }
        None => write_stdout(stdout, text.as_bytes())?,
    }
    writeln!(stderr, "Public key: {}", pair.recipient())?;
    Ok(ExitStatus::Success)
}

/// JSON (as `sops set` takes it) to a tree value: numbers are floats, as in sops.
fn json_to_value(text: &str) -> Result<Value, Box<Failure>> {
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
