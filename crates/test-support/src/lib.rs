//! Helpers shared by the workspace's tests (issue 10: one home for shared concepts).
//!
//! This crate is `publish = false` and only ever a dev-dependency, so nothing here reaches a
//! library's or a binary's normal build. It holds what more than one crate's tests need:
//! - [`sops`], [`gitleaks`]: the real binaries on `PATH`; a notice and a pass when one is
//!   missing locally, a failure when it is missing under `CI=true`;
//! - [`Transcript`]: the one snapshot shape of a command's outcome (exit status, stdout and
//!   stderr in one block, as uv writes them), with temp paths filtered into placeholders;
//! - [`fixture`]: files of a fixture tree, and [`git`] with a fixed identity;
//! - [`ScrubEnv`]: the variables a test removes before it runs a binary;
//! - [`checklist_line`]: an item's line in an evidence README's checklist;
//! - [`rotation`]: a git repository holding a committed MCP bundle and evidence log, and a
//!   rotation done right or wrong on purpose.
//!
//! Helpers panic on failure: they are for tests, where a panic with a message is the report.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

pub mod fixture;
pub mod rotation;

mod checklist;
mod env;
mod git;
mod tools;
mod transcript;

pub use checklist::checklist_line;
pub use env::{SCRUBBED_ENV, ScrubEnv, is_ci};
pub use git::git;
pub use tools::{find_on_path, gitleaks, sops, ssh_keygen, zizmor};
pub use transcript::{Transcript, redact_path};

#[cfg(test)]
mod tests {
    /// This crate must stay out of every normal build: no member may list it outside
    /// `[dev-dependencies]`.
    #[test]
    fn only_ever_a_dev_dependency() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let manifest = |dir: &std::path::Path| -> toml::Table {
            fs_err::read_to_string(dir.join("Cargo.toml"))
                .unwrap()
                .parse()
                .unwrap()
        };
        let members = manifest(&root)["workspace"]["members"].clone();
        let members = members.as_array().unwrap();
        assert!(
            members
                .iter()
                .any(|m| m.as_str() == Some("crates/test-support"))
        );
        for member in members {
            let member = member.as_str().unwrap();
            let table = manifest(&root.join(member));
            for section in ["dependencies", "build-dependencies"] {
                let listed = table
                    .get(section)
                    .and_then(toml::Value::as_table)
                    .is_some_and(|deps| deps.contains_key("test-support"));
                assert!(!listed, "{member} lists test-support in [{section}]");
            }
        }
    }
}
