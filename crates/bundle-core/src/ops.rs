//! The toolkit's shared concepts, on top of the SOPS engine.
//!
//! The rest of this crate is the SOPS v3 engine and knows nothing of the runbook. This
//! module is what the five tools (`secrets-sync`, `ops-controls`, `evidence-writer`,
//! `rotation-guard`, and `xtask` composing them) share: the bundle's MCP header, the
//! evidence log and the ops-controls report (the two formats more than one tool reads), exit
//! statuses and the `main` of every binary, the hardened `git` runner and file listing. The
//! direction is one way: `ops` uses the engine, the engine never names `crate::ops` (a test
//! in `tests/layout.rs` holds that).
//!
//! Why one crate with two module trees and not two crates: the clock is needed by both (sops'
//! `lastmodified` and the evidence times), and the MCP header reads a `SopsFile`, so a second
//! crate would depend on this one anyway, and every test binary of the workspace would link
//! one more crate on CI's two cores.

pub mod cli;
pub mod evidence;
pub mod mcp;
pub mod report;
