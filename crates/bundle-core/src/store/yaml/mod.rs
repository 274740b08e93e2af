//! The YAML store: text ↔ [`RawFile`], exactly as sops 3.11 reads and writes YAML
//! (go-yaml v3, spec §8.1).
//!
//! * [`parse`] reads every document into one branch; plain scalars are typed as go-yaml
//!   types them (see `resolve`), comments become comment items in place, anchors and
//!   aliases are expanded, and the first document's top-level `sops` mapping becomes the
//!   metadata (the `sops` key is removed from every document).
//! * [`emit`] writes the tree the way go-yaml's emitter writes sops' nodes: 4-space
//!   indentation by default, sequences indented under their key, minimal quoting, literal
//!   blocks for multi-line strings, comments on their own lines, and the metadata as the
//!   last key `sops:` of every document.
//!
//! Errors carry a line number and never quote the file, which may hold plaintext secrets.

use super::EmitOptions;
use crate::error::StoreError;
use crate::tree::RawFile;

mod emit;
mod parse;
mod resolve;

#[cfg(test)]
mod tests;

/// Parses YAML text (plaintext or a SOPS file) into its branches and raw metadata.
pub fn parse(input: &[u8]) -> Result<RawFile, StoreError> {
    parse::parse(input)
}

/// Emits YAML text; with metadata, every document ends with the `sops:` mapping.
pub fn emit(file: &RawFile, options: EmitOptions) -> Result<Vec<u8>, StoreError> {
    emit::emit(file, options)
}
