//! The files `init` writes that do not depend on the new key: templates kept as files under
//! `xtask/templates/` (and the runbooks of this repository's `docs/ops/runbooks/`), embedded
//! at build time and filled with the options of the run.
//!
//! What must stay true: rendering is deterministic (same options, same bytes), which is what
//! lets a rerun of `init` tell "identical" from "conflict"; nothing rendered here calls
//! `cargo run -p` or `cargo xtask` (an adopting repository has neither), the runbooks name the
//! installed `mcp-secrets` instead.

use super::Options;

/// The repository's ignore rules: created when absent, else kept as the team wrote them
/// (HYG-001 then names what they miss), never a conflict.
pub(crate) const GITIGNORE: &str = ".gitignore";

/// The generated workflow.
pub(crate) const WORKFLOW: &str = ".github/workflows/mcp-runbook.yml";

/// What stands for the toolkit's source when init was not given one: the workflow's install
/// steps refuse it and say what to fill.
pub(crate) const TODO: &str = "TODO";

/// The gitleaks release the generated workflow installs.
pub(crate) const GITLEAKS_VERSION: &str = "8.30.1";
/// sha256 of `gitleaks_8.30.1_linux_x64.tar.gz` as listed in the release's checksums file
/// (`gitleaks_8.30.1_checksums.txt`).
pub(crate) const GITLEAKS_SHA256: &str =
    "551f6fc83ea457d62a0d98237cbad105af8d557003051f41f3e7ca7b3f2470eb";

/// One file: its path relative to the repository, its mode (0o755 for scripts), and how it
/// is produced.
struct Template {
    path: &'static str,
    executable: bool,
    text: &'static str,
    /// Runbooks of this repository: their `cargo xtask` commands become `mcp-secrets`.
    runbook: bool,
}

const fn file(path: &'static str, text: &'static str) -> Template {
    Template {
        path,
        executable: false,
        text,
        runbook: false,
    }
}

const TEMPLATES: [Template; 12] = [
    file(GITIGNORE, include_str!("../../templates/gitignore")),
    file(
        WORKFLOW,
        include_str!("../../templates/github/workflows/mcp-runbook.yml"),
    ),
    file(
        ".github/CODEOWNERS",
        include_str!("../../templates/CODEOWNERS"),
    ),
    file(
        "config/gitleaks.toml",
        include_str!("../../templates/config/gitleaks.toml"),
    ),
    file(
        "config/ops-controls.yaml",
        include_str!("../../templates/config/ops-controls.yaml"),
    ),
    file(
        "docs/ops/incident-response.md",
        include_str!("../../templates/docs/incident-response.md"),
    ),
    Template {
        runbook: true,
        ..file(
            "docs/ops/runbooks/gestao-de-segredos-mcp.md",
            include_str!("../../../docs/ops/runbooks/gestao-de-segredos-mcp.md"),
        )
    },
    Template {
        runbook: true,
        ..file(
            "docs/ops/runbooks/secrets-incident-playbook.md",
            include_str!("../../../docs/ops/runbooks/secrets-incident-playbook.md"),
        )
    },
    Template {
        runbook: true,
        ..file(
            "docs/ops/runbooks/auditoria-operacional.md",
            include_str!("../../../docs/ops/runbooks/auditoria-operacional.md"),
        )
    },
    file("Makefile", include_str!("../../templates/Makefile")),
    Template {
        executable: true,
        ..file(
            "scripts/secrets-sync.sh",
            include_str!("../../templates/scripts/secrets-sync.sh"),
        )
    },
    Template {
        executable: true,
        ..file(
            "scripts/ops_controls.py",
            include_str!("../../templates/scripts/ops_controls.py"),
        )
    },
];

/// A rendered file.
pub(crate) struct Rendered {
    pub(crate) path: String,
    pub(crate) bytes: Vec<u8>,
    pub(crate) executable: bool,
}

/// The runbooks of this workspace, as an adopting repository reads them: the orchestrator is
/// the installed `mcp-secrets`, and links into this workspace's sources go to the toolkit.
/// Without a known source, a link into the toolkit's sources names the toolkit's path.
fn adapt_runbook(text: &str, options: &Options) -> String {
    let text = text
        .replace("cargo xtask ", "mcp-secrets ")
        .replace("`xtask`", "`mcp-secrets`");
    match &options.toolkit {
        Some(source) => text.replace(
            "](../../../crates/",
            &format!("]({}/crates/", source.git.trim_end_matches(".git")),
        ),
        None => unlink_toolkit_paths(&text),
    }
}

/// `[label](../../../crates/PATH)` becomes `label (crates/PATH do toolkit)`: no link to a
/// place that is not known.
fn unlink_toolkit_paths(text: &str) -> String {
    const TARGET: &str = "](../../../crates/";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(TARGET) {
        let (before, after) = rest.split_at(at);
        let Some(open) = before.rfind('[') else {
            out.push_str(&rest[..at + TARGET.len()]);
            rest = &rest[at + TARGET.len()..];
            continue;
        };
        let path_start = &after[TARGET.len()..];
        let Some(close) = path_start.find(')') else {
            break;
        };
        out.push_str(&before[..open]);
        out.push_str(&before[open + 1..]);
        out.push_str(" (`crates/");
        out.push_str(&path_start[..close]);
        out.push_str("` do toolkit)");
        rest = &path_start[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The install command the scripts' hints print.
fn install_hint(options: &Options) -> String {
    match &options.toolkit {
        Some(source) => format!(
            "cargo install --locked --git {} --rev {}",
            source.git, source.rev
        ),
        None => {
            "cargo install --locked --git <the toolkit's git URL> --rev <its commit>".to_owned()
        }
    }
}

/// Every template, rendered with `options`.
pub(crate) fn render(options: &Options) -> Vec<Rendered> {
    TEMPLATES
        .iter()
        .map(|t| {
            let text = if t.runbook {
                adapt_runbook(t.text, options)
            } else {
                t.text.to_owned()
            };
            let (git, rev) = options
                .toolkit
                .as_ref()
                .map_or((TODO, TODO), |s| (s.git.as_str(), s.rev.as_str()));
            let text = text
                .replace("{{TOOLKIT_INSTALL}}", &install_hint(options))
                .replace("{{TOOLKIT_GIT}}", git)
                .replace("{{TOOLKIT_REV}}", rev)
                .replace("{{GITLEAKS_VERSION}}", GITLEAKS_VERSION)
                .replace("{{GITLEAKS_SHA256}}", &options.gitleaks_sha256)
                .replace("{{OWNER}}", &options.owner);
            Rendered {
                path: t.path.to_owned(),
                bytes: text.into_bytes(),
                executable: t.executable,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Options {
        Options::for_tests()
    }

    fn is_full_sha(text: &str) -> bool {
        text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit())
    }

    #[test]
    fn rendered_files_call_installed_binaries_only() {
        for r in render(&options()) {
            let text = String::from_utf8(r.bytes).expect("templates are UTF-8");
            assert!(!text.contains("cargo run"), "{}: cargo run", r.path);
            assert!(!text.contains("cargo xtask"), "{}: cargo xtask", r.path);
            // `${{ ... }}` is a GitHub expression; a bare `{{` is one of ours left unfilled.
            let unfilled = text
                .match_indices("{{")
                .any(|(i, _)| !text[..i].ends_with('$'));
            assert!(!unfilled, "{}: unfilled placeholder", r.path);
        }
    }

    #[test]
    fn without_a_source_the_workflow_says_todo_and_no_link_is_invented() {
        let mut o = options();
        o.toolkit = None;
        for r in render(&o) {
            let text = String::from_utf8(r.bytes).expect("UTF-8");
            assert!(!text.contains("](../../../crates/"), "{}", r.path);
            assert!(!text.contains("example"), "{}", r.path);
            if r.path == WORKFLOW {
                assert!(text.contains("TOOLKIT_GIT: TODO\n"));
                assert!(text.contains("TOOLKIT_REV: TODO\n"));
            }
        }
        assert_eq!(
            unlink_toolkit_paths("- [Controles](../../../crates/ops-controls/README.md) fim"),
            "- Controles (`crates/ops-controls/README.md` do toolkit) fim"
        );
    }

    #[test]
    fn rendering_is_deterministic() {
        let a: Vec<Vec<u8>> = render(&options()).into_iter().map(|r| r.bytes).collect();
        let b: Vec<Vec<u8>> = render(&options()).into_iter().map(|r| r.bytes).collect();
        assert_eq!(a, b);
    }

    #[test]
    fn workflow_pins_the_toolkit_revision_and_gitleaks_checksum() {
        let o = options();
        let wf = render(&o)
            .into_iter()
            .find(|r| r.path.ends_with("mcp-runbook.yml"))
            .expect("the workflow is a template");
        let text = String::from_utf8(wf.bytes).expect("UTF-8");
        let source = o.toolkit.as_ref().unwrap();
        assert!(text.contains(&format!("TOOLKIT_REV: {}", source.rev)));
        assert!(text.contains(&format!("TOOLKIT_GIT: {}", source.git)));
        assert!(text.contains(GITLEAKS_SHA256));
        assert!(text.contains("sha256sum --check --strict"));
        // Every job restores the installed tools from a cache keyed on the runner OS and the
        // toolkit revision (actions/cache pinned by full SHA), and builds only on a miss.
        let jobs = text.matches("\n    runs-on: ").count();
        assert_eq!(jobs, 5);
        let cache = text
            .lines()
            .filter(|l| {
                l.trim_start()
                    .strip_prefix("uses: actions/cache@")
                    .is_some_and(|rest| is_full_sha(&rest[..rest.find(' ').unwrap_or(rest.len())]))
            })
            .count();
        assert_eq!(cache, jobs);
        let key = format!(
            "key: mcp-secrets-toolkit-${{{{ runner.os }}}}-{}\n",
            source.rev
        );
        assert_eq!(text.matches(&key).count(), jobs, "{text}");
        assert_eq!(
            text.matches("if: steps.toolkit-cache.outputs.cache-hit != 'true'")
                .count(),
            jobs
        );
        assert_eq!(text.matches("path: ~/.mcp-secrets-toolkit\n").count(), jobs);
    }
}
