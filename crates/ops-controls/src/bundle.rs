//! The bundle as the checks see it: read without a key through `bundle_core::sops`.
//!
//! Only names, types, metadata and the plaintext header values are kept here; an encrypted
//! value is never decrypted, and plaintext values other than the version are not copied.

use std::path::Path;

use bundle_core::Scalar;
use bundle_core::ops::files::read_regular;
pub(crate) use bundle_core::ops::mcp::Version;
use bundle_core::sops::SopsFile;
use bundle_core::treepath::TreePath;

/// One leaf of the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Leaf {
    pub(crate) path: TreePath,
    pub(crate) encrypted: bool,
    /// A plaintext empty string (sops never encrypts those).
    pub(crate) empty: bool,
}

impl Leaf {
    /// `a.b[0]`: the name recorded in the inventory.
    pub(crate) fn display(&self) -> String {
        self.path.dotted()
    }
}

/// The bundle's metadata and leaf names.
#[derive(Debug, Clone)]
pub(crate) struct BundleView {
    pub(crate) path: String,
    pub(crate) text: String,
    pub(crate) recipients: Vec<String>,
    pub(crate) group_count: usize,
    pub(crate) lastmodified: String,
    pub(crate) mac: String,
    pub(crate) mac_only_encrypted: bool,
    pub(crate) leaves: Vec<Leaf>,
    pub(crate) version: Version,
}

/// The bundle's state in the repository.
#[derive(Debug, Clone)]
pub(crate) enum BundleState {
    Absent,
    /// The file exists but has no `sops` metadata: a plaintext bundle.
    NotSops,
    /// The file exists but cannot be read as a SOPS file.
    Unreadable(String),
    Present(Box<BundleView>),
}

impl BundleState {
    /// The bundle, when it could be read.
    pub(crate) fn view(&self) -> Option<&BundleView> {
        match self {
            BundleState::Present(view) => Some(view),
            _ => None,
        }
    }
}

/// Reads the bundle at `rel` in the repository `root` (a regular file inside it, bounded: a
/// FIFO or a link out of the repository is unreadable, never waited on).
pub(crate) fn load(root: &Path, rel: &str, version_key: &str) -> BundleState {
    let file = root.join(rel);
    let bytes = match read_regular(&file, Some(root), crate::context::MAX_BUNDLE_BYTES) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return BundleState::Absent,
        Err(e) => return BundleState::Unreadable(first_line(&e.to_string())),
    };
    let sops = match SopsFile::parse(&file, bundle_core::Format::from_path(&file), &bytes) {
        Ok(sops) => sops,
        Err(bundle_core::Error::MetadataNotFound { .. }) => return BundleState::NotSops,
        Err(e) => return BundleState::Unreadable(first_line(&e.to_string())),
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let meta = sops.metadata();
    let mut recipients = sops.recipients();
    recipients.sort();
    recipients.dedup();
    let leaves: Vec<Leaf> = sops
        .leaves()
        .into_iter()
        .map(|l| Leaf {
            empty: matches!(&l.plaintext, Some(Scalar::Str(t)) if t.is_empty()),
            path: l.path,
            encrypted: l.encrypted,
        })
        .collect();
    let version = Version::read(&sops, version_key);
    BundleState::Present(Box::new(BundleView {
        path: rel.to_owned(),
        text,
        recipients,
        group_count: meta.key_groups.len(),
        lastmodified: meta.lastmodified.clone(),
        mac: meta.mac.clone(),
        mac_only_encrypted: meta.mac_only_encrypted,
        leaves,
        version,
    }))
}

/// "a string", "a float", …: what a scalar is, for a message.
pub(crate) fn scalar_kind(s: &Scalar) -> &'static str {
    match s {
        Scalar::Str(_) | Scalar::Bytes(_) => "a string",
        Scalar::Int(_) => "an integer",
        Scalar::Float(_) => "a float",
        Scalar::Bool(_) => "a boolean",
        Scalar::Time(_) => "a timestamp",
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_owned()
}

/// The 1-based line where a path of mapping keys is written (best effort: each key is looked
/// for after the line of the previous one; sequence indices are skipped), for YAML, JSON,
/// dotenv and INI.
pub(crate) fn line_of<'k>(text: &str, keys: impl IntoIterator<Item = &'k str>) -> Option<usize> {
    let mut lines = text.lines().enumerate();
    let mut found = None;
    for part in keys {
        // `lines` resumes after the previous part's line.
        let (index, _) = lines.by_ref().find(|(_, l)| is_key_line(l, part))?;
        found = Some(index + 1);
    }
    found
}

/// Whether a line defines `key`: `key:`, `"key":`, `'key':`, `key=`, `key =` (no allocation:
/// this runs over every line of large bundles).
fn is_key_line(line: &str, key: &str) -> bool {
    let t = line.trim_start();
    let t = t.strip_prefix("- ").unwrap_or(t);
    let rest = if let Some(r) = t.strip_prefix('"').or_else(|| t.strip_prefix('\'')) {
        match r.strip_prefix(key) {
            Some(after) if after.starts_with('"') || after.starts_with('\'') => &after[1..],
            _ => return false,
        }
    } else {
        match t.strip_prefix(key) {
            Some(after) => after,
            None => return false,
        }
    };
    rest.starts_with(':') || rest.trim_start().starts_with('=')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_lines() {
        let mut path = TreePath::keys(["db", "hosts"]);
        path.push_index(0);
        let text = "a: 1\ndb:\n    user: x\n    hosts:\n        - h\n";
        assert_eq!(line_of(text, path.keys_only()), Some(4));
        assert_eq!(line_of("{\n  \"K\": 1\n}\n", ["K"]), Some(2));
        assert_eq!(line_of("K=1\n", ["nope"]), None);
    }
}
