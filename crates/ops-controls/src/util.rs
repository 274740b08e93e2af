//! Small helpers shared by the checks.

/// Matches `text` against a pattern where `*` stands for any run of characters.
pub(crate) fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first)
        || !text[first.len()..].ends_with(last)
        || text.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::wildcard;

    #[test]
    fn matches_stars() {
        assert!(wildcard("*", "ci.yml"));
        assert!(wildcard("release-*.yml", "release-prod.yml"));
        assert!(!wildcard("release-*.yml", "ci.yml"));
        assert!(wildcard("a*b*c", "aXbYc"));
        assert!(!wildcard("ab*ba", "aba"));
        assert!(wildcard("publish", "publish"));
    }
}
