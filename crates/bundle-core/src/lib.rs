//! bundle-core: the SOPS v3 engine of the MCP secrets toolkit.
//!
//! It reads and writes files in the exact format of sops 3.11 with age recipients (YAML,
//! JSON, dotenv, INI, binary), verifies and recomputes the MAC, finds keys as sops does,
//! follows `.sops.yaml` creation rules, and writes files atomically. It knows nothing of the
//! tools built on it. See `shared/spec/sops-format.md` for the format it follows.
#![warn(missing_docs)]

pub mod error;
pub mod format;
pub mod fsio;
pub mod store;
pub mod tree;
pub mod value;

pub use error::{Error, Result, StoreError};
pub use format::Format;
pub use tree::{Comment, Map, MapItem, RawFile, Scalar, SeqItem, Text, Value};
pub mod cipher;
pub mod cli;
pub mod config;
pub mod engine;
pub mod evidence;
pub mod keys;
pub mod mcp;
pub mod metadata;
pub mod report;
pub mod scope;
pub mod shamir;
pub mod sops;
pub mod time;
pub mod treepath;
