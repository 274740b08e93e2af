//! bundle-core: the SOPS v3 engine of the MCP secrets toolkit, and the concepts its tools share.
//!
//! The engine (every module but [`ops`]) reads and writes files in the exact format of sops
//! 3.11 with age recipients (YAML, JSON, dotenv, INI, binary), verifies and recomputes the
//! MAC, finds keys as sops does, follows `.sops.yaml` creation rules, and writes files
//! atomically. It knows nothing of the tools built on it; the format it follows is written
//! down in `docs/sops-format.md`. [`ops`] holds what the tools share on top of it: the MCP
//! bundle header, the evidence log, the ops-controls report, exit statuses, git.
#![warn(missing_docs)]

pub mod cipher;
pub mod config;
pub mod engine;
pub mod error;
pub mod exit;
pub mod format;
pub mod fsio;
pub mod keys;
pub mod metadata;
pub mod ops;
pub mod process;
pub mod scope;
pub mod shamir;
pub mod sops;
pub mod store;
pub mod time;
pub mod tree;
pub mod treepath;
pub mod value;

pub use error::{Error, Result, StoreError};
pub use exit::ExitStatus;
pub use format::Format;
pub use tree::{Comment, Map, MapItem, RawFile, Scalar, SeqItem, Text, Value};
