//! Paths into a tree in sops' `--extract` / `set` syntax: `["server"]["tags"][0]`.

use std::fmt;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A mapping key.
    Key(String),
    /// A sequence index (comments not counted).
    Index(usize),
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq, Eq)]
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
