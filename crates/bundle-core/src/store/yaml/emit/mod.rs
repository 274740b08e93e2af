//! Tree → YAML text, byte for byte as sops 3.11 writes it.
//!
//! sops turns its tree into go-yaml v3 nodes (comments become head comments of the next key
//! or item, or the foot comment of the last one) and encodes them with go-yaml's emitter.
//! This module does the same in three layers:
//!
//! 1. [`Walker`] visits the tree and produces the event stream go-yaml's node encoder would
//!    produce for sops' nodes, comments included;
//! 2. each scalar gets the style go-yaml chooses when sops encodes it on its own first
//!    (`Node.Encode`), which is where quoting is decided;
//! 3. [`Emitter`] is a state machine with the layout rules of go-yaml's emitter for the
//!    events that can occur here (block collections, empty flow collections, scalars,
//!    head/foot comments, documents): indentation, `- ` items, comment placement and blank
//!    lines all come from the same bookkeeping.
//!
//! Output goes to a buffer that zeroizes every copy it leaves behind when it grows, since
//! plaintext passes through it.
//!
//! The layers live in `walker` (tree → events), `style` (scalar analysis and style
//! choice) and `emitter` (events → text, with its scalar writers in `emitter/scalars`).
//! What must stay true: the output is byte-identical to sops 3.11's for every tree
//! (pinned by the store's tests and the interop tests), with one deliberate exception:
//! comments first in the value of an explicit `? key` entry go below its `:`, not on the
//! `:` line, where go-yaml reads them back one level up and sops cannot authenticate them;
//! and no plaintext is left behind in a buffer that grew.

use zeroize::Zeroizing;

use crate::error::StoreError;
use crate::store::EmitOptions;
use crate::tree::{MapItem, RawFile, Value};

mod emitter;
mod style;
mod walker;

use emitter::Emitter;
use walker::{Event, Walker};

/// Emits every branch as one YAML document, each with the metadata as its last key.
pub(super) fn emit(file: &RawFile, options: EmitOptions) -> Result<Vec<u8>, StoreError> {
    let best_indent = match options.indent {
        None | Some(0) => 4,
        // go-yaml's emitter falls back to 2 outside 2..=9.
        Some(n) if (2..=9).contains(&n) => n,
        Some(_) => 2,
    };
    let metadata = file
        .metadata
        .as_ref()
        .map(|m| MapItem::Entry("sops".to_owned(), Value::Map(m.clone())));
    if metadata.is_some() {
        for branch in &file.branches {
            if branch.get("sops").is_some() {
                return Err(StoreError::new(
                    "the tree already has a top-level `sops` key next to the sops metadata",
                ));
            }
        }
    }
    let size_hint: usize = file.branches.iter().map(|b| b.items.len() * 48).sum();
    let mut walker = Walker {
        em: Emitter::new(best_indent, size_hint),
    };
    for branch in &file.branches {
        walker.em.event(&Event::DocStart)?;
        let items: Vec<&MapItem> = branch.items.iter().chain(metadata.as_ref()).collect();
        walker.map(&items, "", "")?;
        walker.em.event(&Event::DocEnd)?;
    }
    Ok(walker.em.out.into_vec())
}

// ---------------------------------------------------------------------------------------
// Output buffer
// ---------------------------------------------------------------------------------------

/// A growable byte buffer that zeroizes the old allocation whenever it grows.
struct Out {
    buf: Zeroizing<Vec<u8>>,
}

impl Out {
    fn with_capacity(n: usize) -> Self {
        Self {
            buf: Zeroizing::new(Vec::with_capacity(n.max(256))),
        }
    }

    fn reserve(&mut self, n: usize) {
        if self.buf.len() + n > self.buf.capacity() {
            let wanted = (self.buf.capacity() * 2).max(self.buf.len() + n);
            let mut bigger = Zeroizing::new(Vec::with_capacity(wanted));
            bigger.extend_from_slice(&self.buf);
            // The old buffer is zeroized when it drops here.
            self.buf = bigger;
        }
    }

    fn push_str(&mut self, s: &str) {
        self.reserve(s.len());
        self.buf.extend_from_slice(s.as_bytes());
    }

    fn push_char(&mut self, c: char) {
        let mut tmp = [0u8; 4];
        self.push_str(c.encode_utf8(&mut tmp));
    }

    fn into_vec(mut self) -> Vec<u8> {
        std::mem::take(&mut *self.buf)
    }
}
