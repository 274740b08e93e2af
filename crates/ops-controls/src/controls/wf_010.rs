//! WF-010: no `toJSON(secrets)` and no `secrets: inherit`.
//!
//! Both hand every repository and organization secret to code that needs one or two of them
//! (and `toJSON(secrets)` prints them into logs or files). Secrets are passed by name.

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at, with_workflows};
use crate::context::Context;
use crate::expr;

pub(super) const CONTROL: Control = Control {
    id: "WF-010",
    title: "No toJSON(secrets) and no secrets: inherit",
    severity: Severity::High,
    run,
};

fn run(cx: &Context) -> Outcome {
    with_workflows(cx, |workflows| {
        let mut findings = Vec::new();
        for wf in workflows {
            for var in wf.env.iter().filter(|v| expr::dumps_all_secrets(&v.value)) {
                findings.push(at(
                    &wf.path,
                    Some(var.line),
                    "workflow env serializes every secret with toJSON(secrets)",
                ));
            }
            for job in &wf.jobs {
                job.for_each_scalar(&mut |text, line| {
                    for e in expr::expressions(text) {
                        if expr::dumps_all_secrets(&format!("${{{{{}}}}}", e.body)) {
                            let line = expr::line_at(text, line, e.offset);
                            findings.push(at(
                                &wf.path,
                                Some(line),
                                format!(
                                    "job `{}` serializes every secret with toJSON(secrets)",
                                    job.id
                                ),
                            ));
                        }
                    }
                });
                if let Some(line) = job.inherits_secrets() {
                    findings.push(at(
                        &wf.path,
                        Some(line),
                        format!(
                            "job `{}` passes every secret with `secrets: inherit`",
                            job.id
                        ),
                    ));
                }
            }
        }
        Outcome::from_findings(findings, "secrets are passed by name only")
    })
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass};

    const WF: &str = ".github/workflows/call.yml";
    const BASE: &str = "on: push\npermissions: {}\njobs:\n  call:\n    uses: org/repo/.github/workflows/x.yml@0123456789abcdef0123456789abcdef01234567\n";

    #[test]
    fn passes_with_named_secrets() {
        let repo = Repo::compliant();
        repo.write(
            WF,
            &format!("{BASE}    secrets:\n      token: ${{{{ secrets.TOKEN }}}}\n"),
        );
        assert_pass(&repo.run("WF-010"));
    }

    #[test]
    fn fails_on_inherit_and_to_json() {
        let repo = Repo::compliant();
        repo.write(WF, &format!("{BASE}    secrets: inherit\n"));
        let outcome = repo.run("WF-010");
        assert_fail_at(&outcome, WF, Some(6));
        assert_eq!(
            outcome.message,
            "job `call` passes every secret with `secrets: inherit`"
        );
        repo.write(WF, "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - env:\n          ALL: ${{ toJSON(secrets) }}\n        run: echo\n");
        assert_fail_at(&repo.run("WF-010"), WF, Some(8));
    }
}
