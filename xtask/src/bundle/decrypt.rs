//! `cargo xtask bundle decrypt`: the whole file, or one value with `--extract`, to stdout or
//! `--output`. Its own module because printing one extracted value as sops 3.11 does (bare
//! strings, whole-file maps, one YAML or JSON value otherwise) is most of its code.
//!
//! What must stay true: decrypted bytes live in `Zeroizing` buffers and reach disk only at
//! `--output` (0600, atomic); every extracted value's rendering matches sops 3.11 or is
//! refused with a usage error that says why (issue 15).

use bundle_core::ExitStatus;
use std::io::Write;
use std::path::Path;

use bundle_core::fsio::{self, WriteOptions};
use bundle_core::sops::SopsFile;
use bundle_core::store::EmitOptions;
use bundle_core::treepath::TreePath;
use bundle_core::{Format, Map, Scalar, Value};
use zeroize::Zeroizing;

use super::{TypeArgs, identities, print_warnings, write_stdout};
use crate::{Failure, TaskResult};

pub(super) fn decrypt(
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
