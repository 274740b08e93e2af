//! Paths into a tree: sops' `--extract` / `set` syntax `["server"]["tags"][0]` (its
//! [`Display`](fmt::Display)), and the dotted name the tools print and record in reports,
//! `server.tags[0]` ([`TreePath::dotted`]). Every tool names a leaf through this one type.

use std::fmt;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A mapping key.
    Key(String),
    /// A sequence index (comments not counted).
    Index(usize),
}

/// A path from the root of a document; empty for the root itself.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct TreePath(Vec<Segment>);

impl TreePath {
    /// Parses `["a"]["b"][0]`. Keys are JSON strings (escapes allowed); indices are
    /// non-negative integers.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut segments = Vec::new();
        let mut rest = text.trim();
        while !rest.is_empty() {
            let inner = rest
                .strip_prefix('[')
                .ok_or_else(|| format!("invalid path `{text}`: expected `[`"))?;
            if inner.starts_with('"') {
                let (key, after) = json_string_prefix(inner)
                    .ok_or_else(|| format!("invalid path `{text}`: unterminated key"))?;
                rest = after
                    .strip_prefix(']')
                    .ok_or_else(|| format!("invalid path `{text}`: expected `]` after a key"))?;
                segments.push(Segment::Key(key));
            } else {
                let end = inner
                    .find(']')
                    .ok_or_else(|| format!("invalid path `{text}`: expected `]`"))?;
                let index = inner[..end].trim().parse().map_err(|_| {
                    format!(
                        "invalid path `{text}`: `{}` is not a key in quotes or an index",
                        &inner[..end]
                    )
                })?;
                segments.push(Segment::Index(index));
                rest = &inner[end + 1..];
            }
        }
        if segments.is_empty() {
            return Err("an empty path: name at least one key, e.g. [\"key\"]".to_owned());
        }
        Ok(Self(segments))
    }

    /// A path of mapping keys.
    pub fn keys<I: IntoIterator<Item = S>, S: Into<String>>(keys: I) -> Self {
        Self(keys.into_iter().map(|k| Segment::Key(k.into())).collect())
    }

    /// The steps.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// Adds a mapping key at the end (for walks that build paths as they descend).
    pub fn push_key(&mut self, key: impl Into<String>) {
        self.0.push(Segment::Key(key.into()));
    }

    /// Adds a sequence index at the end.
    pub fn push_index(&mut self, index: usize) {
        self.0.push(Segment::Index(index));
    }

    /// Removes the last step.
    pub fn pop(&mut self) -> Option<Segment> {
        self.0.pop()
    }

    /// The mapping keys of the path, in order, sequence indices left out.
    pub fn keys_only(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|s| match s {
            Segment::Key(k) => Some(k.as_str()),
            Segment::Index(_) => None,
        })
    }

    /// Whether the path is exactly one top-level key `key`.
    pub fn is_top_level(&self, key: &str) -> bool {
        matches!(self.0.as_slice(), [Segment::Key(k)] if k == key)
    }

    /// The dotted name: keys joined with `.`, indices appended as `[n]` (`db.hosts[0]`), as
    /// reports and messages show a leaf.
    pub fn dotted(&self) -> String {
        let mut out = String::new();
        for seg in &self.0 {
            match seg {
                Segment::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Segment::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        out
    }
}

impl fmt::Display for TreePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for seg in &self.0 {
            match seg {
                Segment::Key(k) => write!(f, "[{}]", serde_json::Value::String(k.clone()))?,
                Segment::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

/// Reads one JSON string at the start of `s`; returns it and the rest.
fn json_string_prefix(s: &str) -> Option<(String, &str)> {
    let bytes = s.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => {
                let key: String = serde_json::from_str(&s[..=i]).ok()?;
                return Some((key, &s[i + 1..]));
            }
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays() {
        let p = TreePath::parse(r#"["server"]["tags"][4]["a \"b\""]"#).unwrap();
        assert_eq!(
            p.segments(),
            [
                Segment::Key("server".into()),
                Segment::Key("tags".into()),
                Segment::Index(4),
                Segment::Key("a \"b\"".into())
            ]
        );
        assert_eq!(p.to_string(), r#"["server"]["tags"][4]["a \"b\""]"#);
    }

    #[test]
    fn dotted_names_and_building() {
        let mut p = TreePath::default();
        p.push_key("db");
        p.push_key("hosts");
        p.push_index(0);
        assert_eq!(p.dotted(), "db.hosts[0]");
        assert_eq!(p.keys_only().collect::<Vec<_>>(), ["db", "hosts"]);
        assert!(!p.is_top_level("db"));
        p.pop();
        p.pop();
        assert!(p.is_top_level("db"));
        let mut seq = TreePath::default();
        seq.push_index(2);
        seq.push_key("a");
        assert_eq!(seq.dotted(), "[2].a");
    }

    #[test]
    fn rejects_malformed() {
        assert!(
            TreePath::parse("server")
                .unwrap_err()
                .contains("expected `[`")
        );
        assert!(
            TreePath::parse(r#"["a"#)
                .unwrap_err()
                .contains("unterminated")
        );
        assert!(
            TreePath::parse("[x]")
                .unwrap_err()
                .contains("not a key in quotes")
        );
        assert!(TreePath::parse("").is_err());
    }
}
