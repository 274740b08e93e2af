//! RG-016: no decrypted copy of the bundle is tracked or lying in the tree.
//!
//! Without a key the values cannot be compared (that is `scan-leaks`' job), but a decrypted
//! copy still shows: by name (`*.dec.yaml`, `*.dec.json`, `*.dec.env`, `console-secrets.json`,
//! the outputs of `sops -d` and secrets-sync) or by content, a file that assigns values to
//! most of the bundle's secret names (`name: value`, `name=value`, `"name": "value"`) and is
//! not itself a SOPS file. Values that only reference a secret (`${{ secrets.X }}`, `$X`,
//! `<placeholder>`) do not count.

use std::collections::BTreeSet;

use regex::bytes::{Regex, RegexBuilder};

use super::{Outcome, Rule};
use crate::check::{Context, HEADER_KEYS};

pub(super) const RULE: Rule = Rule {
    id: "RG-016",
    title: "no decrypted copy of the bundle in the tree",
    needs_keys: false,
    integrity: false,
    run,
};

const DECRYPTED_NAMES: [&str; 4] = [".dec.yaml", ".dec.json", ".dec.env", "console-secrets.json"];

fn secret_names(cx: &Context) -> BTreeSet<String> {
    cx.new
        .leaves()
        .into_iter()
        .filter(|l| l.encrypted && !HEADER_KEYS.iter().any(|k| l.path.is_top_level(k)))
        .filter_map(|l| l.path.keys_only().last().map(str::to_owned))
        .filter(|name| name.len() >= 2)
        .collect()
}

fn assignment_regex(names: &BTreeSet<String>) -> Option<Regex> {
    if names.is_empty() {
        return None;
    }
    let alternatives: Vec<String> = names.iter().map(|n| regex::escape(n)).collect();
    let pattern = format!(
        r#"(?:^|[^A-Za-z0-9_.-])["']?({})["']?[ \t]*[:=][ \t]*([^\r\n]*)"#,
        alternatives.join("|")
    );
    RegexBuilder::new(&pattern).multi_line(true).build().ok()
}

/// Whether an assigned value is a real value rather than a reference, a placeholder or empty.
fn is_real_value(raw: &[u8]) -> bool {
    let text = String::from_utf8_lossy(raw);
    let value = text
        .trim()
        .trim_end_matches(',')
        .trim_matches(|c| c == '"' || c == '\'')
        .trim();
    !(value.is_empty()
        || value.starts_with("ENC[")
        || value.starts_with('$')
        || value.starts_with('{')
        || value.starts_with('<')
        || value.starts_with('[')
        || value.starts_with('#')
        || matches!(value, "null" | "~" | "|" | ">" | "|-" | ">-"))
}

fn run(cx: &Context) -> Outcome {
    let files = match &cx.tree_files {
        Ok(files) => files,
        Err(message) => return Outcome::fail(format!("cannot list the tree's files: {message}")),
    };
    let names = secret_names(cx);
    let needed = if names.len() >= 2 {
        2.max(names.len().div_ceil(2))
    } else {
        names.len()
    };
    let regex = assignment_regex(&names);
    let mut found = Vec::new();
    for file in files
        .iter()
        .filter(|f| **f != cx.bundle_rel && !cx.is_allowed(f))
    {
        if DECRYPTED_NAMES.iter().any(|suffix| file.ends_with(suffix)) {
            found.push(format!("{file} is named like a decrypted output"));
            continue;
        }
        let (Some(regex), Some(bytes)) = (&regex, cx.read_small(file)) else {
            continue;
        };
        if bytes.windows(4).any(|w| w == b"ENC[") {
            continue;
        }
        let assigned: BTreeSet<&[u8]> = regex
            .captures_iter(&bytes)
            .filter(|c| c.get(2).is_some_and(|v| is_real_value(v.as_bytes())))
            .filter_map(|c| c.get(1).map(|m| m.as_bytes()))
            .collect();
        if assigned.len() >= needed {
            found.push(format!(
                "{file} assigns values to {} of the bundle's {} secret names",
                assigned.len(),
                names.len()
            ));
        }
    }
    if found.is_empty() {
        Outcome::pass(format!(
            "none of {} file(s) looks like a decrypted copy",
            files.len()
        ))
    } else {
        Outcome::fail_with(
            format!(
                "{} file(s) look like a decrypted copy of the bundle",
                found.len()
            ),
            found,
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testutil::*;

    #[test]
    fn passes_on_a_clean_tree_and_on_references() {
        let repo = Repo::new();
        repo.write(
            ".github/workflows/ci.yml",
            "env:\n  password: ${{ secrets.DB }}\n  token: $TOKEN\n  pin: <set me>\n",
        );
        assert_eq!(
            pass(&outcome(&repo, "RG-016")),
            "none of 6 file(s) looks like a decrypted copy"
        );
    }

    #[test]
    fn fails_on_a_decrypted_copy_by_name_or_content() {
        let repo = rotated(&Rotation::scheduled());
        repo.write("config/secrets.dec.yaml", "x: 1\n");
        repo.write(
            "backup/old.txt",
            "password: hunter2-long\ntoken = abc-def-ghi\n\"pin\": \"1234\"\n",
        );
        let outcome = outcome(&repo, "RG-016");
        assert_eq!(
            fail(&outcome),
            "2 file(s) look like a decrypted copy of the bundle"
        );
        assert_eq!(
            outcome.details,
            [
                "backup/old.txt assigns values to 3 of the bundle's 5 secret names",
                "config/secrets.dec.yaml is named like a decrypted output",
            ]
        );
    }
}
