//! ops-controls' integration tests, one binary (linking is most of a test build): the binary
//! end to end, `--compare`, and the reports of fixture repositories.

mod cli;
mod common;
mod compare;
mod doc_003;
mod reports;
mod shim;
mod workflow_cases;
