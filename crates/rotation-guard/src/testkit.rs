//! The rotation fixture of the unit tests: a git repository with a committed bundle and
//! evidence log, then a rotation done right or wrong. It lives in the test-support crate
//! (a dev-dependency), which the integration tests use too.

pub(crate) use test_support::rotation::*;
