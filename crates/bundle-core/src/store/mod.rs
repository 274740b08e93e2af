//! Stores: text ↔ [`RawFile`] for each format.
//!
//! A store only parses and emits; it knows no cryptography. Parsing splits the `sops`
//! metadata off into [`RawFile::metadata`] (unflattening dotenv/INI keys); emitting puts it
//! back where sops writes it. Encrypted values are plain strings to a store.

use crate::error::StoreError;
use crate::format::Format;
use crate::tree::RawFile;

pub mod binary;
pub mod dotenv;
mod flat;
pub mod ini;
pub mod json;
pub mod yaml;

/// Emission settings (sops' `--indent` and `stores:` config).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmitOptions {
    /// Spaces per level; `None` = the store's default (YAML 4, JSON a tab).
    pub indent: Option<usize>,
}

/// Parses a file that may or may not be a SOPS file.
///
/// For [`Format::Binary`] this expects the encrypted JSON form; plaintext binary input is
/// read with [`binary::parse_plain`].
pub fn parse(format: Format, input: &[u8]) -> Result<RawFile, StoreError> {
    match format {
        Format::Yaml => yaml::parse(input),
        Format::Json | Format::Binary => json::parse(input),
        Format::Dotenv => dotenv::parse(input),
        Format::Ini => ini::parse(input),
    }
}

/// Emits a file (encrypted when `file.metadata` is set, plaintext otherwise).
///
/// For [`Format::Binary`] the encrypted form is JSON; plaintext goes through
/// [`binary::emit_plain`].
pub fn emit(format: Format, file: &RawFile, options: EmitOptions) -> Result<Vec<u8>, StoreError> {
    match format {
        Format::Yaml => yaml::emit(file, options),
        Format::Json => json::emit(file, options),
        Format::Binary => {
            if file.metadata.is_some() {
                json::emit(file, options)
            } else {
                binary::emit_plain(file)
            }
        }
        Format::Dotenv => dotenv::emit(file),
        Format::Ini => ini::emit(file),
    }
}
