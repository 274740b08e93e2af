//! `cargo xtask bundle …`: sops-compatible commands over bundle-core.
//!
//! Decrypted output goes to stdout unless `--output` names a file, which is then written
//! atomically with mode 0600. Encrypted files are replaced atomically. Keys are found as
//! sops finds them (SSH keys, `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`,
//! keys.txt). What must stay true: every output and refusal matches sops 3.11 or names the
//! sops behaviour it deliberately departs from (README, compatibility notes).
//!
//! Layout: this module holds the command line, the dispatch, the helpers every command
//! shares (keys, "now", stdout, `.sops.yaml`) and `keygen`; `decrypt.rs`, `encrypt.rs`,
//! `edit.rs` (`set`, `unset`, `rotate`, `updatekeys`) and `status.rs` hold one group of
//! subcommands each.

use bundle_core::ExitStatus;
use std::io::{Read as _, Write};
use std::path::{Path, PathBuf};

use bundle_core::config::{SopsConfig, find_config};
use bundle_core::fsio::{self, WriteOptions};
use bundle_core::keys::{Identities, KeyEnv, KeyPair};
use bundle_core::sops::Decrypted;
use bundle_core::treepath::TreePath;
use bundle_core::{Format, Scalar, Text, Value};
use clap::{Args, Subcommand};
use zeroize::Zeroizing;

use crate::{Failure, TaskResult};

mod decrypt;
mod edit;
mod encrypt;
mod status;

use decrypt::decrypt;
use edit::{edit, json_to_value, updatekeys};
use encrypt::encrypt;
use status::status;

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
