//! Finding the steps that write an age key file, the steps that remove it, and the paths an
//! artifact or cache would upload, so WF-008 and WF-009 can relate them.
//!
//! A key file is recognised by its usual names: `keys.txt`, `~/.config/sops/age`,
//! `$SOPS_AGE_KEY_FILE`, `*.agekey`, `mcp-age-key.txt`. A step writes one when a redirect,
//! `tee`, `cp`/`mv`/`install`, `age-keygen -o` or `--out-file` targets such a path.

use std::sync::LazyLock;

use regex::Regex;

use crate::workflow::{JobRef, StepRef, Var};

const INDICATORS: [&str; 6] = [
    "keys.txt",
    ".config/sops/age",
    "SOPS_AGE_KEY_FILE",
    ".agekey",
    "mcp-age-key.txt",
    "sops/age/",
];

static TARGETS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r#"(?:^|[^0-9&>-])>{1,2}\|?\s*("[^"]+"|'[^']+'|[^\s;|&)]+)"#,
        r#"\btee\s+(?:-a\s+)?("[^"]+"|'[^']+'|[^\s;|&)]+)"#,
        r#"\b(?:cp|mv|install)\b[^;|&\n]*\s("[^"]+"|'[^']+'|[^\s;|&)]+)\s*$"#,
        r#"age-keygen\b[^;|&\n]*-o\s*("[^"]+"|'[^']+'|[^\s;|&)]+)"#,
        r#"--out-file[= ]("[^"]+"|'[^']+'|[^\s;|&)]+)"#,
    ]
    .iter()
    .map(|p| Regex::new(p).expect("static regex"))
    .collect()
});

/// Whether a path or command text names a key file.
pub(crate) fn names_key_file(text: &str) -> bool {
    INDICATORS.iter().any(|i| text.contains(i))
}

/// A step that writes a key file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Writer {
    pub(crate) step_index: usize,
    pub(crate) line: usize,
    /// The target as written (quotes removed).
    pub(crate) target: String,
    /// The target with variables and `~` normalized and env values substituted.
    pub(crate) resolved: String,
}

fn unquote(s: &str) -> &str {
    s.trim_matches('"').trim_matches('\'')
}

/// The key-file targets a script writes, with the line of each (offset in the script).
fn written_targets(script: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in script
        .lines()
        .enumerate()
        .filter(|(_, l)| names_key_file(l))
    {
        for re in TARGETS.iter() {
            for c in re.captures_iter(line) {
                let target = unquote(&c[1]).to_owned();
                if names_key_file(&target) {
                    out.push((i, target));
                }
            }
        }
    }
    out
}

/// Normalizes a path as the runner would see it: `~`, `${HOME}`, `${{ runner.temp }}`,
/// `${{ github.workspace }}` to `$HOME`, `$RUNNER_TEMP`, `$GITHUB_WORKSPACE`; env values
/// substituted once; relative paths put under `$GITHUB_WORKSPACE`; no trailing `/`.
pub(crate) fn normalize(path: &str, env: &[&Var]) -> String {
    let mut p = unquote(path.trim()).to_owned();
    for var in env {
        for form in [
            format!("${{{}}}", var.name),
            format!("${}", var.name),
            format!("${{{{ env.{} }}}}", var.name),
        ] {
            if p.contains(&form) {
                p = p.replace(&form, unquote(var.value.trim()));
            }
        }
    }
    let replacements = [
        ("${{ runner.temp }}", "$RUNNER_TEMP"),
        ("${{runner.temp}}", "$RUNNER_TEMP"),
        ("${{ github.workspace }}", "$GITHUB_WORKSPACE"),
        ("${{github.workspace}}", "$GITHUB_WORKSPACE"),
        ("${HOME}", "$HOME"),
        ("${RUNNER_TEMP}", "$RUNNER_TEMP"),
        ("${GITHUB_WORKSPACE}", "$GITHUB_WORKSPACE"),
    ];
    for (from, to) in replacements {
        p = p.replace(from, to);
    }
    if p == "~" || p.starts_with("~/") {
        p = format!("$HOME{}", &p[1..]);
    }
    if p == "." || p == "./" || p.is_empty() {
        "$GITHUB_WORKSPACE".clone_into(&mut p);
    } else if !p.starts_with('/') && !p.starts_with('$') {
        p = format!("$GITHUB_WORKSPACE/{}", p.trim_start_matches("./"));
    }
    while p.len() > 1 && p.ends_with('/') {
        p.pop();
    }
    p
}

/// The env visible to a step: its own, then the job's, then the workflow's.
pub(crate) fn visible_env(step: StepRef<'_>) -> Vec<&Var> {
    step.env_blocks().into_iter().flatten().collect()
}

/// Every key-file write in a job, in step order.
pub(crate) fn writers(job: JobRef<'_>) -> Vec<Writer> {
    let mut out = Vec::new();
    for step in job.steps() {
        let Some(run) = &step.step.run else { continue };
        let env = visible_env(step);
        for (offset_line, target) in written_targets(&run.text) {
            let resolved = normalize(&target, &env);
            out.push(Writer {
                step_index: step.index,
                line: run.line + offset_line,
                target,
                resolved,
            });
        }
    }
    out
}

/// Whether `step` removes the file a writer wrote (or its directory), after failures too.
pub(crate) fn removes(step: StepRef<'_>, writer: &Writer) -> bool {
    let Some(run) = &step.step.run else {
        return false;
    };
    if !step.step.runs_always() {
        return false;
    }
    let env = visible_env(step);
    let dir = writer
        .resolved
        .rsplit_once('/')
        .map(|(d, _)| d.to_owned())
        .unwrap_or_default();
    let trivial_dir = matches!(
        dir.as_str(),
        "" | "$HOME" | "$RUNNER_TEMP" | "$GITHUB_WORKSPACE" | "/"
    );
    run.text.lines().any(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        let deletes = words
            .iter()
            .any(|w| matches!(*w, "rm" | "shred" | "unlink"));
        deletes
            && words.iter().skip(1).any(|w| {
                let p = normalize(w, &env);
                p == writer.resolved || (!trivial_dir && p == dir) || unquote(w) == writer.target
            })
    })
}

/// Whether an upload/cache path pattern would include the file at `resolved`.
pub(crate) fn covers(pattern: &str, resolved: &str, env: &[&Var]) -> bool {
    let pattern = pattern.trim();
    if pattern.is_empty() || pattern.starts_with('!') {
        return false;
    }
    if names_key_file(pattern) {
        return true;
    }
    let p = normalize(pattern, env);
    // Up to the first glob character, the pattern is a directory (or file) prefix.
    let base = p
        .split(['*', '?', '['])
        .next()
        .unwrap_or_default()
        .trim_end_matches('/');
    let base = if base.is_empty() { "/" } else { base };
    resolved == base
        || resolved.starts_with(&format!("{}/", base.trim_end_matches('/')))
        || base == "/"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_write_targets() {
        let script = "umask 077\nprintf '%s' \"$SOPS_AGE_KEY\" > \"$RUNNER_TEMP/age/keys.txt\"\necho x 2>&1\nage-keygen -o mcp-age-key.txt\necho \"$K\" | tee ~/.config/sops/age/keys.txt >/dev/null\n";
        let targets = written_targets(script);
        assert_eq!(
            targets,
            [
                (1, "$RUNNER_TEMP/age/keys.txt".to_owned()),
                (3, "mcp-age-key.txt".to_owned()),
                (4, "~/.config/sops/age/keys.txt".to_owned())
            ]
        );
        assert!(written_targets("sops -d config/secrets.enc.yaml > out.yaml\n").is_empty());
    }

    #[test]
    fn normalizes_and_covers_paths() {
        assert_eq!(
            normalize("~/.config/sops/age/keys.txt", &[]),
            "$HOME/.config/sops/age/keys.txt"
        );
        assert_eq!(normalize("${{ runner.temp }}/k/", &[]), "$RUNNER_TEMP/k");
        let var = Var {
            name: "SOPS_AGE_KEY_FILE".into(),
            value: "${{ runner.temp }}/k.txt".into(),
            line: 1,
        };
        assert_eq!(
            normalize("\"$SOPS_AGE_KEY_FILE\"", &[&var]),
            "$RUNNER_TEMP/k.txt"
        );
        assert_eq!(normalize("keys.txt", &[]), "$GITHUB_WORKSPACE/keys.txt");
        let key = "$HOME/.config/sops/age/keys.txt";
        assert!(covers("~/.config", key, &[]));
        assert!(covers("~/**", key, &[]));
        assert!(covers("/", key, &[]));
        assert!(!covers("target/", key, &[]));
        assert!(!covers("~/.cargo/registry", key, &[]));
        assert!(covers(
            "$RUNNER_TEMP",
            "$RUNNER_TEMP/sops-age/keys.txt",
            &[]
        ));
    }
}
