//! Shared helpers of the integration tests: fixture repositories copied into temp dirs.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

/// `lastmodified` of the bundle fixtures is 2026-11-29T05:41:11Z; tests run a day later.
pub(crate) const NOW: i64 = 1_796_017_271;

/// Unix seconds as a time.
pub(crate) fn at(unix: i64) -> bundle_core::time::Timestamp {
    bundle_core::time::Timestamp::from_unix(unix).unwrap()
}

pub(crate) fn fixture(name: &str) -> PathBuf {
    test_support::fixture::fixtures(env!("CARGO_MANIFEST_DIR"), name)
}

/// A temp copy of `tests/fixtures/repos/<name>`.
pub(crate) fn repo(name: &str) -> tempfile::TempDir {
    test_support::fixture::temp_copy(&fixture(&format!("repos/{name}")))
}

pub(crate) fn write(dir: &Path, rel: &str, text: &str) {
    test_support::fixture::write(dir, rel, text);
}

pub(crate) fn edit(dir: &Path, rel: &str, from: &str, to: &str) {
    let text = fs_err::read_to_string(dir.join(rel)).unwrap();
    assert!(text.contains(from), "{rel} does not contain {from:?}");
    write(dir, rel, &text.replacen(from, to, 1));
}

pub(crate) fn use_bundle(dir: &Path, name: &str) {
    fs_err::copy(
        fixture(&format!("bundles/{name}")),
        dir.join("config/secrets.enc.yaml"),
    )
    .unwrap();
}

pub(crate) fn report(dir: &Path) -> bundle_core::ops::report::Report {
    ops_controls::generate(&ops_controls::Options::new(dir.to_owned(), at(NOW))).unwrap()
}
