//! GitHub Actions expressions (`${{ ... }}`) as the checks need them: which secrets an
//! expression reads, and whether it dumps the whole `secrets` context.
//!
//! This is pattern matching, not an expression evaluator: it must find every `secrets.NAME`
//! and `secrets['NAME']` inside an expression, and nothing outside one (a shell line such as
//! `sops -d config/secrets.enc.yaml` is not a secret reference).

use std::sync::LazyLock;

use regex::Regex;

static EXPRESSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)\$\{\{(.*?)\}\}").expect("static regex"));
static SECRET_REF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|[^A-Za-z0-9_.])secrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_-]*)|\[\s*['"]([^'"]+)['"]\s*\])"#)
        .expect("static regex")
});
static WHOLE_SECRETS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)tojson\s*\(\s*secrets\s*\)").expect("static regex"));

/// One `${{ ... }}` expression: the text inside the braces and its byte offset in the scalar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expression<'a> {
    pub(crate) body: &'a str,
    pub(crate) offset: usize,
}

/// Every `${{ ... }}` in `text`.
pub(crate) fn expressions(text: &str) -> Vec<Expression<'_>> {
    // Most scalars hold no expression; skip the regex for them.
    if !text.contains("${{") {
        return Vec::new();
    }
    EXPRESSION
        .captures_iter(text)
        .filter_map(|c| c.get(1))
        .map(|m| Expression {
            body: m.as_str(),
            offset: m.start(),
        })
        .collect()
}

/// The expressions of an `if:` value: GitHub evaluates the whole text as one expression
/// when it has no `${{ }}`.
pub(crate) fn condition_expressions(text: &str) -> Vec<Expression<'_>> {
    if text.contains("${{") {
        expressions(text)
    } else {
        vec![Expression {
            body: text,
            offset: 0,
        }]
    }
}

/// Secret names read by one expression body, in order of appearance.
pub(crate) fn secret_refs(body: &str) -> Vec<String> {
    SECRET_REF
        .captures_iter(body)
        .filter_map(|c| c.get(1).or_else(|| c.get(2)))
        .map(|m| m.as_str().to_owned())
        .collect()
}

/// Secret names read by any expression of `text`.
pub(crate) fn secrets_in(text: &str) -> Vec<String> {
    if !mentions_secrets(text) {
        return Vec::new();
    }
    expressions(text)
        .iter()
        .flat_map(|e| secret_refs(e.body))
        .collect()
}

/// Whether any expression of `text` serializes the whole secrets context.
pub(crate) fn dumps_all_secrets(text: &str) -> bool {
    mentions_secrets(text)
        && expressions(text)
            .iter()
            .any(|e| WHOLE_SECRETS.is_match(e.body))
}

/// Whether `text` contains the word `secrets` in any case (contexts are case-insensitive).
pub(crate) fn mentions_secrets(text: &str) -> bool {
    text.as_bytes()
        .windows(7)
        .any(|w| w.eq_ignore_ascii_case(b"secrets"))
}

/// The 1-based line of byte `offset` in a scalar whose content starts on `first_line`.
pub(crate) fn line_at(text: &str, first_line: usize, offset: usize) -> usize {
    first_line + text.get(..offset).unwrap_or(text).matches('\n').count()
}

/// Whether an expression only tests whether the secret `name` is set (`secrets.X != ''`),
/// which yields `true`/`false` rather than the secret itself.
pub(crate) fn is_presence_test(body: &str, name: &str) -> bool {
    // Plain substring scanning: this runs for every expression of every step.
    let forms = [
        format!("secrets.{name}"),
        format!("secrets['{name}']"),
        format!("secrets[\"{name}\"]"),
    ];
    forms.iter().any(|form| {
        body.match_indices(form.as_str()).any(|(at, m)| {
            let after = body[at + m.len()..].trim_start();
            let before = body[..at].trim_end();
            let name_ends =
                !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            name_ends
                && (after.starts_with("!=")
                    || after.starts_with("==")
                    || before.ends_with("!=")
                    || before.ends_with("=="))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_secrets_only_inside_expressions() {
        let text = "sops -d config/secrets.enc.yaml\necho ${{ secrets.API_TOKEN }} ${{ secrets['OTHER'] }}";
        assert_eq!(secrets_in(text), ["API_TOKEN", "OTHER"]);
        assert!(secrets_in("cat secrets.txt").is_empty());
        assert_eq!(line_at(text, 10, text.find("${{").unwrap()), 11);
    }

    #[test]
    fn recognizes_dumps_and_presence_tests() {
        assert!(dumps_all_secrets("${{ toJSON(secrets) }}"));
        assert!(!dumps_all_secrets("${{ toJSON(github) }}"));
        assert!(is_presence_test(
            " secrets.SOPS_AGE_KEY != '' ",
            "SOPS_AGE_KEY"
        ));
        assert!(!is_presence_test(" secrets.SOPS_AGE_KEY ", "SOPS_AGE_KEY"));
        assert_eq!(
            condition_expressions("env.X == 'true'")[0].body,
            "env.X == 'true'"
        );
    }
}
