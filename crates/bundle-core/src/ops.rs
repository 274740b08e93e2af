//! The toolkit's shared concepts, on top of the SOPS engine.
//!
//! The rest of this crate is the SOPS v3 engine and knows nothing of the runbook. This
//! module is what the five tools (`secrets-sync`, `ops-controls`, `evidence-writer`,
//! `rotation-guard`, and `xtask` composing them) share: the bundle's MCP header, the
//! evidence log and the ops-controls report (the two formats more than one tool reads), exit
//! statuses and the `main` of every binary, the hardened `git` runner and file listing. The
//! direction is one way: `ops` uses the engine, the engine never names `crate::ops` (a test
//! below holds that).
//!
//! Why one crate with two module trees and not two crates: the clock is needed by both (sops'
//! `lastmodified` and the evidence times), and the MCP header reads a `SopsFile`, so a second
//! crate would depend on this one anyway, and every test binary of the workspace would link
//! one more crate on CI's two cores.

pub mod cli;
pub mod evidence;
pub mod files;
pub mod git;
pub mod mcp;
pub mod report;

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// The engine (every module outside `src/ops/`) never uses the toolkit layer: the SOPS
    /// format must stay usable, and reviewable, without the runbook's concepts.
    #[test]
    fn the_engine_never_names_ops() {
        fn visit(dir: &Path, offenders: &mut Vec<String>) {
            for entry in fs_err::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    if path.file_name().is_some_and(|n| n != "ops") {
                        visit(&path, offenders);
                    }
                } else if path.extension().is_some_and(|e| e == "rs")
                    && path
                        .file_name()
                        .is_some_and(|n| n != "ops.rs" && n != "lib.rs")
                {
                    let text = fs_err::read_to_string(&path).unwrap();
                    if text.contains("crate::ops") || text.contains("super::ops") {
                        offenders.push(path.display().to_string());
                    }
                }
            }
        }
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut offenders = Vec::new();
        visit(&src, &mut offenders);
        assert_eq!(
            offenders,
            Vec::<String>::new(),
            "engine modules that use crate::ops"
        );
    }
}
