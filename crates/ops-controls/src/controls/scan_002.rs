//! SCAN-002: a gitleaks rule catches age post-quantum identities (`AGE-SECRET-KEY-PQ-1…`).
//!
//! gitleaks' default `age-secret-key` rule only knows X25519 identities; age's hybrid
//! post-quantum identities would pass the `security` job unseen. Proven by running the
//! configured rules on a synthetic identity.

use bundle_core::ops::report::Severity;

use super::{Control, Outcome};
use crate::context::Context;
use crate::scanning;

pub(super) const CONTROL: Control = Control {
    id: "SCAN-002",
    title: "gitleaks catches age post-quantum identities",
    severity: Severity::High,
    run,
};

fn run(cx: &Context) -> Outcome {
    super::scan_003::run_sample(
        cx,
        &scanning::sample_pq_identity(),
        "an age post-quantum identity (AGE-SECRET-KEY-PQ-1...)",
    )
}

#[cfg(test)]
mod tests {
    use bundle_core::ops::report::Status;

    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass};

    const CFG: &str = "config/gitleaks.toml";

    #[test]
    fn passes_with_a_pq_rule() {
        assert_eq!(
            assert_pass(&Repo::compliant().run("SCAN-002")),
            "rule `age-post-quantum-identity` catches an age post-quantum identity (AGE-SECRET-KEY-PQ-1...)"
        );
    }

    #[test]
    fn fails_without_it() {
        let repo = Repo::compliant();
        repo.edit(
            CFG,
            "regex = '''AGE-SECRET-KEY-PQ-1",
            "regex = '''AGE-SECRET-KEY-QQ-1",
        );
        assert_fail_at(&repo.run("SCAN-002"), CFG, None);
        repo.remove(CFG);
        assert_eq!(repo.run("SCAN-002").status, Status::Skip);
    }
}
