//! WF-011: steps that consume secrets run only when `secrets.SOPS_AGE_KEY` is configured.
//!
//! The runbook's rule for `lint`, `test` and `smoke`: secrets are consumed only when the key
//! is set, so forks and repositories without the secret skip those steps instead of failing
//! or running with empty credentials. GitHub does not allow `secrets` in `if:`, so the gate
//! is an env variable holding a presence test (`HAS_KEY: ${{ secrets.SOPS_AGE_KEY != '' }}`)
//! that the step's `if:` reads (`if: env.HAS_KEY == 'true'`), or a job `if:` on the output
//! of a job that computes such a test. `GITHUB_TOKEN` is always set and needs no gate. A
//! secret placed in job- or workflow-level `env:` reaches every step of the job, so it must
//! be in the consuming step's own `env:` unless the whole job is gated.

use bundle_core::ops::report::Severity;

use super::{Control, Outcome, at, with_workflows};
use crate::context::Context;
use crate::expr;
use crate::workflow::{self, Job, Step, Var, Workflow};

pub(super) const CONTROL: Control = Control {
    id: "WF-011",
    title: "Secret-consuming steps run only when SOPS_AGE_KEY is set",
    severity: Severity::Medium,
    run,
};

const ALWAYS_SET: &str = "GITHUB_TOKEN";

/// Secrets a text consumes: references that are not mere presence tests of the gate.
fn consumed(text: &str, gate: &str) -> Vec<String> {
    expr::expressions(text)
        .iter()
        .filter(|e| !expr::is_presence_test(e.body, gate))
        .flat_map(|e| expr::secret_refs(e.body))
        .filter(|n| n != ALWAYS_SET)
        .collect()
}

fn is_gate_var(var: &Var, gate: &str) -> bool {
    expr::expressions(&var.value)
        .iter()
        .any(|e| expr::is_presence_test(e.body, gate))
}

fn step_is_gated(step: &Step, gate_vars: &[&str]) -> bool {
    let Some(cond) = &step.if_cond else {
        return false;
    };
    expr::condition_expressions(&cond.text).iter().any(|e| {
        gate_vars
            .iter()
            .any(|v| e.body.contains(&format!("env.{v}")))
    })
}

fn job_is_gated(wf: &Workflow, job: &Job, gate: &str) -> bool {
    let Some(cond) = &job.if_cond else {
        return false;
    };
    wf.jobs
        .iter()
        .filter(|other| other.id != job.id)
        .any(|other| {
            let mut tests_gate = false;
            other.for_each_scalar(&mut |text, _| {
                tests_gate |= expr::expressions(text)
                    .iter()
                    .any(|e| expr::is_presence_test(e.body, gate));
            });
            tests_gate && cond.text.contains(&format!("needs.{}.outputs.", other.id))
        })
}

fn run(cx: &Context) -> Outcome {
    let gate = &cx.policy.workflows.secret_gate;
    with_workflows(cx, |workflows| {
        let mut findings = Vec::new();
        for j in workflow::jobs(workflows) {
            let (wf, job) = (j.workflow, j.job);
            if job_is_gated(wf, job, gate) {
                continue;
            }
            let mut gate_vars: Vec<&str> = wf
                .env
                .iter()
                .chain(&job.env)
                .filter(|v| is_gate_var(v, gate))
                .map(|v| v.name.as_str())
                .collect();
            for var in wf.env.iter().chain(&job.env) {
                let names = consumed(&var.value, gate);
                if !names.is_empty() {
                    findings.push(at(&wf.path, Some(var.line), format!("job `{}` exposes secrets.{} in shared `env:`; move it to the step that needs it and gate that step", job.id, names[0])));
                }
            }
            if job.uses.is_some() {
                let mut names = Vec::new();
                if let Some(secrets) = job.node.get("secrets") {
                    secrets.for_each_scalar(&mut |text, _| names.extend(consumed(text, gate)));
                }
                if let Some(first) = names.first() {
                    findings.push(at(&wf.path, Some(job.line), format!("job `{}` passes secrets.{first} to a reusable workflow without a job-level gate on {gate}", job.id)));
                }
            }
            for step in &job.steps {
                let mut names = Vec::new();
                step.node
                    .for_each_scalar(&mut |text, _| names.extend(consumed(text, gate)));
                let Some(first) = names.first() else { continue };
                let own: Vec<&str> = step
                    .env
                    .iter()
                    .filter(|v| is_gate_var(v, gate))
                    .map(|v| v.name.as_str())
                    .collect();
                gate_vars.extend(own);
                if !step_is_gated(step, &gate_vars) {
                    findings.push(at(&wf.path, Some(step.line), format!("job `{}` consumes secrets.{first} in a step not gated on {gate} (use `if: env.<VAR> == 'true'` with `<VAR>: ${{{{ secrets.{gate} != '' }}}}`)", job.id)));
                }
            }
        }
        Outcome::from_findings(
            findings,
            format!("every secret-consuming step is gated on {gate}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use crate::controls::testkit::{Repo, assert_fail_at, assert_pass, line_of};

    const CI: &str = ".github/workflows/ci.yml";

    #[test]
    fn passes_with_env_gated_steps() {
        assert_eq!(
            assert_pass(&Repo::compliant().run("WF-011")),
            "every secret-consuming step is gated on SOPS_AGE_KEY"
        );
    }

    #[test]
    fn passes_with_a_job_gated_on_a_needs_output() {
        let repo = Repo::compliant();
        repo.write(".github/workflows/gated.yml", "on: push\npermissions: {}\njobs:\n  probe:\n    runs-on: x\n    outputs:\n      has: ${{ steps.p.outputs.has }}\n    steps:\n      - id: p\n        env:\n          HAS: ${{ secrets.SOPS_AGE_KEY != '' }}\n        run: echo \"has=$HAS\" >> \"$GITHUB_OUTPUT\"\n  use:\n    needs: probe\n    if: needs.probe.outputs.has == 'true'\n    runs-on: x\n    steps:\n      - env:\n          K: ${{ secrets.SOPS_AGE_KEY }}\n        run: echo ok\n");
        assert_pass(&repo.run("WF-011"));
    }

    #[test]
    fn fails_on_an_ungated_step() {
        let repo = Repo::compliant();
        repo.edit(
            CI,
            "      - name: write age key\n        if: env.HAS_SOPS_AGE_KEY == 'true'\n",
            "      - name: write age key\n",
        );
        let outcome = repo.run("WF-011");
        assert_fail_at(&outcome, CI, line_of(&repo, CI, "- name: write age key"));
        assert!(
            outcome
                .message
                .starts_with("job `smoke` consumes secrets.SOPS_AGE_KEY in a step not gated"),
            "{}",
            outcome.message
        );
    }

    #[test]
    fn fails_on_a_secret_in_job_env() {
        let repo = Repo::compliant();
        repo.edit(CI, "      HAS_SOPS_AGE_KEY: ${{ secrets.SOPS_AGE_KEY != '' }}\n", "      HAS_SOPS_AGE_KEY: ${{ secrets.SOPS_AGE_KEY != '' }}\n      API: ${{ secrets.API_TOKEN }}\n");
        assert_fail_at(&repo.run("WF-011"), CI, line_of(&repo, CI, "API: ${{"));
    }
}
