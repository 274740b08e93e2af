//! bundle-core's integration tests, one binary (linking is most of a test build): the sops
//! 3.11 vectors and tamper cases, random round trips, and interop with the real sops.

mod comment_fixtures;
mod comment_layouts;
mod differential;
mod interop;
mod issue_15;
mod roundtrip;
mod vectors;
