//! evidence-writer's integration tests, one binary (linking is most of a test build): the
//! commands run in process, and the binary end to end.

mod cli;
mod common;
mod concurrency;
mod emergency;
mod library;
