//! The gitleaks configuration, read to prove what it would catch.
//!
//! Rather than trusting rule ids or descriptions, the checks run each rule's `regex` and
//! `path` (gitleaks uses Go's RE2 syntax, which the `regex` crate accepts for the patterns
//! such rules use) against sample secrets and sample paths, honouring the rule's `keywords`
//! pre-filter and the global path allowlist as gitleaks does.

use regex::Regex;

/// One `[[rules]]` entry.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub(crate) id: String,
    pub(crate) line: usize,
    pub(crate) regex: Option<Result<Regex, String>>,
    pub(crate) path: Option<Result<Regex, String>>,
    pub(crate) keywords: Vec<String>,
}

/// The parts of a gitleaks configuration the checks use.
#[derive(Debug, Clone)]
pub(crate) struct Gitleaks {
    pub(crate) use_default: bool,
    pub(crate) extend_line: Option<usize>,
    pub(crate) rules: Vec<Rule>,
    /// Global allowlist path regexes (`[allowlist] paths` and `[[allowlists]] paths`).
    pub(crate) allow_paths: Vec<Regex>,
}

/// Parses the configuration; the error carries a line (0 when unknown) and a message.
pub(crate) fn parse(text: &str) -> Result<Gitleaks, (usize, String)> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| {
            text[..s.start.min(text.len())].matches('\n').count() + 1
        });
        (line, e.message().to_owned())
    })?;
    let extend = doc.get("extend").and_then(toml::Value::as_table);
    let use_default = extend
        .and_then(|t| t.get("useDefault"))
        .and_then(toml::Value::as_bool)
        == Some(true);
    let extend_line = find_line(text, |l| l.trim() == "[extend]");
    let rules = doc
        .get("rules")
        .and_then(toml::Value::as_array)
        .map(|rules| {
            rules
                .iter()
                .filter_map(toml::Value::as_table)
                .map(|t| rule(t, text))
                .collect()
        })
        .unwrap_or_default();
    let mut allow_paths = Vec::new();
    let mut add_paths = |t: &toml::Table| {
        for p in t
            .get("paths")
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(re) = p.as_str().and_then(|s| Regex::new(s).ok()) {
                allow_paths.push(re);
            }
        }
    };
    if let Some(t) = doc.get("allowlist").and_then(toml::Value::as_table) {
        add_paths(t);
    }
    for t in doc
        .get("allowlists")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(toml::Value::as_table)
    {
        add_paths(t);
    }
    Ok(Gitleaks {
        use_default,
        extend_line,
        rules,
        allow_paths,
    })
}

fn rule(t: &toml::Table, text: &str) -> Rule {
    let id = t
        .get("id")
        .and_then(toml::Value::as_str)
        .unwrap_or("<no id>")
        .to_owned();
    let compile = |key: &str| {
        t.get(key)
            .and_then(toml::Value::as_str)
            .map(|s| Regex::new(s).map_err(|e| e.to_string()))
    };
    let line = find_line(text, |l| {
        let l = l.trim();
        l.starts_with("id") && (l.contains(&format!("\"{id}\"")) || l.contains(&format!("'{id}'")))
    })
    .unwrap_or(0);
    Rule {
        line,
        regex: compile("regex"),
        path: compile("path"),
        keywords: t
            .get("keywords")
            .and_then(toml::Value::as_array)
            .map(|k| {
                k.iter()
                    .filter_map(toml::Value::as_str)
                    .map(str::to_lowercase)
                    .collect()
            })
            .unwrap_or_default(),
        id,
    }
}

fn find_line(text: &str, pred: impl Fn(&str) -> bool) -> Option<usize> {
    text.lines().position(pred).map(|i| i + 1)
}

impl Rule {
    /// Whether the rule reports `content` found in a file at `path`.
    pub(crate) fn catches_content(&self, content: &str, path: &str) -> bool {
        let Some(Ok(re)) = &self.regex else {
            return false;
        };
        let lower = content.to_lowercase();
        if !self.keywords.is_empty() && !self.keywords.iter().any(|k| lower.contains(k.as_str())) {
            return false;
        }
        let path_ok = match &self.path {
            None => true,
            Some(Ok(p)) => p.is_match(path),
            Some(Err(_)) => false,
        };
        path_ok && re.is_match(content)
    }

    /// Whether the rule reports the mere presence of a file at `path` (a path-only rule).
    pub(crate) fn catches_path(&self, path: &str) -> bool {
        self.regex.is_none() && matches!(&self.path, Some(Ok(p)) if p.is_match(path))
    }
}

impl Gitleaks {
    /// Whether a global allowlist hides `path` from every rule.
    pub(crate) fn allowlisted(&self, path: &str) -> bool {
        self.allow_paths.iter().any(|re| re.is_match(path))
    }

    /// The rules that would report `content` in a file at `path`.
    pub(crate) fn rules_catching_content(&self, content: &str, path: &str) -> Vec<&Rule> {
        if self.allowlisted(path) {
            return Vec::new();
        }
        self.rules
            .iter()
            .filter(|r| r.catches_content(content, path))
            .collect()
    }
}

/// A syntactically valid age post-quantum identity made of filler characters.
///
/// Built at run time so that no file of this repository contains a string that looks like a
/// real identity (our own gitleaks rules would flag it).
pub(crate) fn sample_pq_identity() -> String {
    format!(
        "{}{}",
        ["AGE", "SECRET", "KEY", "PQ", "1"].join("-"),
        "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L".repeat(4)
    )
}

/// A syntactically valid age plugin identity (a YubiKey-style plugin) made of filler.
pub(crate) fn sample_plugin_identity() -> String {
    format!(
        "{}{}",
        ["AGE", "PLUGIN", "YUBIKEY", "1"].join("-"),
        "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L".repeat(2)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_extend_rules_and_allowlists() {
        let text = "[extend]\nuseDefault = true\n\n[allowlist]\npaths = ['''^vendor/''']\n\n[[rules]]\nid = \"x\"\nregex = '''AGE-X-[A-Z]{3}'''\nkeywords = [\"AGE-X\"]\n\n[[rules]]\nid = \"env\"\npath = '''(^|/)\\.env$'''\n";
        let g = parse(text).unwrap();
        assert!(g.use_default);
        assert_eq!(g.extend_line, Some(1));
        assert_eq!(g.rules[0].line, 8);
        assert_eq!(g.rules_catching_content("k = AGE-X-ABC", "a.txt").len(), 1);
        assert!(
            g.rules_catching_content("k = AGE-X-ABC", "vendor/a.txt")
                .is_empty()
        );
        assert!(g.rules[1].catches_path(".mcp/.env"));
        assert!(!g.rules[1].catches_path(".env.example"));
    }

    #[test]
    fn reports_the_line_of_a_syntax_error() {
        let (line, _) = parse("[extend]\nuseDefault = \n").unwrap_err();
        assert_eq!(line, 2);
    }

    #[test]
    fn samples_have_the_documented_prefixes() {
        assert!(sample_pq_identity().starts_with("AGE-SECRET-KEY-PQ-1"));
        assert!(sample_plugin_identity().starts_with("AGE-PLUGIN-YUBIKEY-1"));
    }
}
