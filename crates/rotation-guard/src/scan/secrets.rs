//! The values to search for: every encrypted value of the bundle of 8 bytes or more, in the
//! encodings a leak usually takes.
//!
//! A value is searched as it is (`raw`); in base64, standard and URL-safe, at each of the
//! three byte alignments it can have inside a longer encoded text (only the characters that
//! depend on the value alone, so `user:password` encoded whole is still found); URL-encoded
//! (upper and lower hex, and form-encoded); JSON-escaped; and, for multi-line values such as
//! PEM keys, each line of 16 bytes or more except the `-----BEGIN/END` armour.
//!
//! What must stay true: no value, needle or part of one is ever printed. A finding names the
//! secret by its key path and a fingerprint: the first 12 hex digits of a sha256 keyed with
//! the bundle's data key, so it identifies the value within one bundle version but cannot be
//! used to guess a weak value by brute force without the key. Buffers are zeroized on drop
//! (best effort: the search automaton keeps its own copy while it lives).

use std::collections::HashMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use bundle_core::sops::{Decrypted, SopsFile};
use bundle_core::{Map, SeqItem, Value};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use bundle_core::treepath::TreePath;

/// Values shorter than this (in bytes) are not searched: too many false positives.
pub const MIN_SECRET_LEN: usize = 8;

/// Lines of a multi-line value shorter than this are not searched on their own.
const MIN_LINE_LEN: usize = 16;

/// How a value appears in a needle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// The value as it is.
    Raw,
    /// Standard base64 (any alignment).
    Base64,
    /// URL-safe base64 (any alignment).
    Base64Url,
    /// Percent-encoded.
    Url,
    /// JSON string escapes.
    Json,
    /// One line of a multi-line value.
    Line,
}

impl Encoding {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::Base64 => "base64",
            Self::Base64Url => "base64url",
            Self::Url => "url",
            Self::Json => "json",
            Self::Line => "line",
        }
    }
}

/// One secret of the bundle, described without its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    /// Key path, e.g. `db.password`.
    pub key: String,
    /// Keyed hash prefix of the value.
    pub fingerprint: String,
}

/// What a needle stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeedleInfo {
    /// Index into [`SecretSet::secrets`].
    pub secret: usize,
    /// How the value is encoded in it.
    pub encoding: Encoding,
}

/// The secrets and their needles. Holds plaintext: zeroized on drop, redacted in `Debug`.
pub struct SecretSet {
    /// The searched secrets.
    pub secrets: Vec<Secret>,
    /// Key paths of encrypted values too short to search.
    pub too_short: Vec<String>,
    needles: Vec<Zeroizing<Vec<u8>>>,
    info: Vec<NeedleInfo>,
}

impl fmt::Debug for SecretSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretSet")
            .field("secrets", &self.secrets)
            .field(
                "needles",
                &format_args!("<{} redacted>", self.needles.len()),
            )
            .finish_non_exhaustive()
    }
}

fn fingerprint(data_key: &[u8], value: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"rotation-guard fingerprint v1\0");
    hasher.update(data_key);
    hasher.update(b"\0");
    hasher.update(value);
    hex(&hasher.finalize()[..6])
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// The base64 characters that depend only on `value` when it starts `shift` bytes into the
/// encoded text, for `shift` in 0..3.
fn base64_core(value: &[u8], shift: usize, url_safe: bool) -> Zeroizing<Vec<u8>> {
    let mut bytes = Zeroizing::new(vec![0u8; shift + value.len()]);
    bytes[shift..].copy_from_slice(value);
    let encoded = Zeroizing::new(if url_safe {
        URL_SAFE_NO_PAD.encode(&*bytes)
    } else {
        STANDARD_NO_PAD.encode(&*bytes)
    });
    let first = (8 * shift).div_ceil(6);
    let end = (8 * (shift + value.len())) / 6; // chars [first, end) cover only value bits
    Zeroizing::new(encoded.as_bytes()[first.min(end)..end].to_vec())
}

fn percent_encode(value: &[u8], lower: bool, plus_for_space: bool) -> Zeroizing<Vec<u8>> {
    let hex: &[u8; 16] = if lower {
        b"0123456789abcdef"
    } else {
        b"0123456789ABCDEF"
    };
    let mut out = Zeroizing::new(Vec::with_capacity(value.len() * 3));
    for &b in value {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b);
        } else if b == b' ' && plus_for_space {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[b'%', hex[usize::from(b >> 4)], hex[usize::from(b & 15)]]);
        }
    }
    out
}

/// Every needle for one value, with its encoding (duplicates of the raw form removed).
pub fn encodings(value: &[u8]) -> Vec<(Encoding, Zeroizing<Vec<u8>>)> {
    let mut out: Vec<(Encoding, Zeroizing<Vec<u8>>)> =
        vec![(Encoding::Raw, Zeroizing::new(value.to_vec()))];
    for shift in 0..3 {
        out.push((Encoding::Base64, base64_core(value, shift, false)));
        out.push((Encoding::Base64Url, base64_core(value, shift, true)));
    }
    out.push((Encoding::Url, percent_encode(value, false, false)));
    out.push((Encoding::Url, percent_encode(value, true, false)));
    out.push((Encoding::Url, percent_encode(value, false, true)));
    if let Ok(text) = std::str::from_utf8(value) {
        let quoted =
            Zeroizing::new(serde_json::to_string(text).expect("a string always serializes"));
        let escaped = Zeroizing::new(quoted.as_bytes()[1..quoted.len() - 1].to_vec());
        if escaped.contains(&b'/') {
            let mut slashed = Zeroizing::new(Vec::with_capacity(escaped.len() * 2));
            for &b in escaped.iter() {
                if b == b'/' {
                    slashed.push(b'\\');
                }
                slashed.push(b);
            }
            out.push((Encoding::Json, slashed));
        }
        out.push((Encoding::Json, escaped));
    }
    if value.contains(&b'\n') {
        for line in value.split(|b| *b == b'\n') {
            let line = line.trim_ascii();
            if line.len() >= MIN_LINE_LEN && !line.starts_with(b"-----") {
                out.push((Encoding::Line, Zeroizing::new(line.to_vec())));
            }
        }
    }
    // Keep the first needle of each distinct text; drop derived forms equal to the raw value
    // and cores too short to be specific.
    let mut seen: Vec<Zeroizing<Vec<u8>>> = Vec::new();
    out.retain(|(encoding, needle)| {
        let keep = (*encoding == Encoding::Raw || needle.len() >= MIN_SECRET_LEN)
            && !seen.iter().any(|s| s == needle);
        if keep {
            seen.push(needle.clone());
        }
        keep
    });
    out
}

fn collect(value: &Value, path: &mut TreePath, out: &mut Vec<(TreePath, Zeroizing<Vec<u8>>)>) {
    match value {
        Value::Null => {}
        Value::Scalar(s) => out.push((path.clone(), bundle_core::value::plaintext_bytes(s))),
        Value::Map(map) => collect_map(map, path, out),
        Value::Seq(items) => {
            let mut index = 0;
            for item in items {
                if let SeqItem::Value(v) = item {
                    path.push_index(index);
                    collect(v, path, out);
                    path.pop();
                    index += 1;
                }
            }
        }
    }
}

fn collect_map(map: &Map, path: &mut TreePath, out: &mut Vec<(TreePath, Zeroizing<Vec<u8>>)>) {
    for (k, v) in map.entries() {
        path.push_key(k);
        collect(v, path, out);
        path.pop();
    }
}

impl SecretSet {
    /// The secrets of a decrypted bundle: the values stored encrypted in `file` (the header
    /// kept in the clear is public), minus the key paths in `exclude`.
    pub fn from_bundle(
        file: &SopsFile,
        decrypted: &Decrypted,
        data_key: &[u8],
        exclude: &[String],
    ) -> Self {
        let encrypted: std::collections::HashSet<TreePath> = file
            .leaves()
            .into_iter()
            .filter(|l| l.encrypted)
            .map(|l| l.path)
            .collect();
        let mut values = Vec::new();
        for branch in decrypted.branches() {
            collect_map(branch, &mut TreePath::default(), &mut values);
        }
        let mut set = Self {
            secrets: Vec::new(),
            too_short: Vec::new(),
            needles: Vec::new(),
            info: Vec::new(),
        };
        let mut index_of: HashMap<Vec<u8>, usize> = HashMap::new();
        for (path, value) in values {
            let key = path.dotted();
            if !encrypted.contains(&path) || exclude.contains(&key) {
                continue;
            }
            if value.len() < MIN_SECRET_LEN {
                set.too_short.push(key);
                continue;
            }
            let secret = set.secrets.len();
            set.secrets.push(Secret {
                key,
                fingerprint: fingerprint(data_key, &value),
            });
            for (encoding, needle) in encodings(&value) {
                if index_of.contains_key(needle.as_slice()) {
                    continue;
                }
                index_of.insert(needle.to_vec(), set.needles.len());
                set.needles.push(needle);
                set.info.push(NeedleInfo { secret, encoding });
            }
        }
        // The map's keys were copies of needles: wipe them too.
        for (mut k, _) in index_of.drain() {
            zeroize::Zeroize::zeroize(&mut k);
        }
        set
    }

    /// The needles, for building the matcher.
    pub fn needles(&self) -> &[Zeroizing<Vec<u8>>] {
        &self.needles
    }

    /// What needle `i` stands for.
    pub fn info(&self, i: usize) -> NeedleInfo {
        self.info[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forms(value: &str) -> Vec<(Encoding, String)> {
        encodings(value.as_bytes())
            .into_iter()
            .map(|(e, n)| (e, String::from_utf8(n.to_vec()).unwrap()))
            .collect()
    }

    #[test]
    fn base64_cores_are_found_in_any_alignment() {
        let value = b"s3cr3t-value!";
        for prefix in ["", "a", "ab", "user:", "xyz"] {
            let mut text = prefix.as_bytes().to_vec();
            text.extend_from_slice(value);
            text.extend_from_slice(b"-tail");
            for engine in [STANDARD_NO_PAD, URL_SAFE_NO_PAD] {
                let encoded = engine.encode(&text);
                let found = encodings(value).iter().any(|(e, n)| {
                    matches!(e, Encoding::Base64 | Encoding::Base64Url)
                        && encoded
                            .as_bytes()
                            .windows(n.len())
                            .any(|w| w == n.as_slice())
                });
                assert!(found, "prefix {prefix:?}");
            }
        }
    }

    #[test]
    fn url_and_json_forms() {
        let f = forms("a b/c\"d+e");
        assert!(f.contains(&(Encoding::Url, "a%20b%2Fc%22d%2Be".to_owned())));
        assert!(f.contains(&(Encoding::Url, "a%20b%2fc%22d%2be".to_owned())));
        assert!(f.contains(&(Encoding::Url, "a+b%2Fc%22d%2Be".to_owned())));
        assert!(f.contains(&(Encoding::Json, "a b/c\\\"d+e".to_owned())));
        assert!(f.contains(&(Encoding::Json, "a b\\/c\\\"d+e".to_owned())));
        // Forms equal to the raw value are dropped.
        assert_eq!(
            forms("plainvalue1")
                .iter()
                .filter(|(e, _)| *e != Encoding::Raw
                    && *e != Encoding::Base64
                    && *e != Encoding::Base64Url)
                .count(),
            0
        );
    }

    #[test]
    fn multi_line_values_add_their_lines_but_not_the_armour() {
        let f =
            forms("-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEF\nshort\n-----END KEY-----\n");
        let lines: Vec<&str> = f
            .iter()
            .filter(|(e, _)| *e == Encoding::Line)
            .map(|(_, n)| n.as_str())
            .collect();
        assert_eq!(lines, ["MIIEvQIBADANBgkqhkiG9w0BAQEF"]);
    }

    #[test]
    fn fingerprints_depend_on_the_key() {
        assert_ne!(
            fingerprint(&[1; 32], b"value-123"),
            fingerprint(&[2; 32], b"value-123")
        );
        assert_eq!(fingerprint(&[1; 32], b"value-123").len(), 12);
    }
}
