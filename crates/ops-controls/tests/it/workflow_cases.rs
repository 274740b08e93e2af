//! One snapshot per positive and negative case of the workflow rules of issue 14 (WF-015
//! template injection, WF-012 pinning, WF-016 cache poisoning, WF-017 App
//! token scope): each case is a one-workflow repository audited with
//! the built-in policy (the `general` profile), as `--only WF` audits a foreign repository.
//! WF-015 has a case of each kind on a composite action too (`action.yml`, no workflow).
//! A positive case must fail its check at the snapshotted lines; a negative case must pass.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;

use bundle_core::ops::report::Status;

const SHA: &str = "11bd71901bbe5b1630ceea73d27597364c9af683";

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots/workflow_cases");
    s.set_prepend_module_to_snapshot(false);
    s
}

/// Runs `check` on a repository holding only `workflow` (a workflow file, or the action
/// metadata file at `path`) and renders its outcome.
fn audit(check: &str, path: &str, workflow: &str) -> (Status, String) {
    let dir = tempfile::tempdir().unwrap();
    crate::common::write(dir.path(), path, workflow);
    let mut options =
        ops_controls::Options::new(dir.path().to_owned(), crate::common::at(crate::common::NOW));
    options.only = vec![check.to_owned()];
    let report = ops_controls::generate(&options).unwrap();
    let result = report.checks.iter().find(|c| c.id == check).unwrap();
    let mut text = format!("{:?}: {}\n", result.status, result.message);
    for loc in &result.locations {
        writeln!(
            text,
            "  {}:{} {}",
            loc.file,
            loc.line.map_or("-".to_owned(), |l| l.to_string()),
            loc.note.as_deref().unwrap_or_default()
        )
        .unwrap();
    }
    (result.status, text)
}

/// A workflow triggered by `on`, with one job running `steps`.
fn job(on: &str, steps: &str) -> String {
    format!(
        "on: {on}\npermissions:\n  contents: read\njobs:\n  triage:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"
    )
}

/// Where [`positive`] and [`negative`] write their workflow.
const WORKFLOW: &str = ".github/workflows/case.yml";

fn positive(name: &str, check: &str, workflow: &str) {
    case(name, check, WORKFLOW, workflow, Status::Fail);
}

fn negative(name: &str, check: &str, workflow: &str) {
    case(name, check, WORKFLOW, workflow, Status::Pass);
}

/// Audits `workflow` written at `path`, expects `expected`, and snapshots file and outcome.
fn case(name: &str, check: &str, path: &str, workflow: &str, expected: Status) {
    let (status, text) = audit(check, path, workflow);
    assert_eq!(status, expected, "{name}: {text}");
    settings().bind(|| insta::assert_snapshot!(name, format!("{workflow}\n---\n{text}")));
}

/// A composite action's steps run in the caller's job with the caller's `with:` values as
/// `inputs`: every input is text the caller chose (as zizmor judges them too).
const ACTION: &str = ".github/actions/label/action.yml";

fn composite(steps: &str) -> String {
    format!(
        "name: label\ndescription: label an issue\ninputs:\n  label:\n    description: the label\n    required: true\nruns:\n  using: composite\n  steps:\n{steps}"
    )
}

#[test]
fn injection_in_a_composite_action() {
    let action = composite(&format!(
        "    - shell: bash\n      run: |\n        gh issue edit \"$NUMBER\" --add-label \"${{{{ inputs.label }}}}\"\n        echo \"${{{{ github.event.issue.title }}}}\"\n      env:\n        NUMBER: ${{{{ github.event.issue.number }}}}\n    - uses: actions/github-script@{SHA}\n      with:\n        script: core.info(`${{{{ inputs.label }}}}`)\n"
    ));
    case(
        "wf015_composite_action",
        "WF-015",
        ACTION,
        &action,
        Status::Fail,
    );
}

#[test]
fn no_injection_when_a_composite_action_reads_inputs_through_env() {
    let action = composite(&format!(
        "    - shell: bash\n      env:\n        LABEL: ${{{{ inputs.label }}}}\n        TITLE: ${{{{ github.event.issue.title }}}}\n      run: |\n        gh issue edit \"${{{{ github.event.issue.number }}}}\" --add-label \"$LABEL\"\n        echo \"$TITLE\" ${{{{ github.action_path }}}}\n    - uses: actions/github-script@{SHA}\n      env:\n        LABEL: ${{{{ inputs.label }}}}\n      with:\n        script: core.info(process.env.LABEL)\n"
    ));
    case(
        "wf015_composite_action_through_env",
        "WF-015",
        ACTION,
        &action,
        Status::Pass,
    );
}

#[test]
fn injection_of_the_whole_event_with_to_json() {
    positive(
        "wf015_tojson_event",
        "WF-015",
        &job(
            "issue_comment",
            "      - run: echo '${{ toJSON(github.event) }}' | jq .\n      - run: echo '${{ toJSON(github.event.comment) }}'\n",
        ),
    );
}

#[test]
fn injection_through_bracket_access() {
    positive(
        "wf015_bracket_access",
        "WF-015",
        &job(
            "issues",
            "      - run: echo \"${{ github.event['issue']['title'] }}\"\n",
        ),
    );
}

#[test]
fn injection_of_logins_refs_labels_commits_and_authors() {
    positive(
        "wf015_event_fields",
        "WF-015",
        &job(
            "[pull_request_target, push]",
            "      - run: |\n          echo \"Hello @${{ github.event.pull_request.user.login }}\"\n          git checkout ${{ github.event.pull_request.head.ref }}\n          echo ${{ github.event.label.name }} ${{ github.event.pull_request.labels[0].name }}\n          echo \"${{ github.event.head_commit.message }}\" \"${{ github.event.commits[0].author.name }}\" ${{ github.event.head_commit.author.email }}\n          echo ${{ github.head_ref }}\n",
        ),
    );
}

#[test]
fn injection_of_values_set_from_untrusted_contexts() {
    let workflow = format!(
        "on: issues\npermissions: {{}}\nenv:\n  TITLE: ${{{{ github.event.issue.title }}}}\n  FIXED: release\njobs:\n  triage:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        title: ['${{{{ github.event.issue.title }}}}']\n        os: [linux, macos]\n    steps:\n      - id: meta\n        uses: actions/github-script@{SHA}\n        with:\n          script: return context.payload.issue.title\n      - run: |\n          echo \"${{{{ env.TITLE }}}}\" \"${{{{ matrix.title }}}}\"\n          echo \"${{{{ steps.meta.outputs.result }}}}\"\n          echo ${{{{ env.FIXED }}}} ${{{{ matrix.os }}}} ${{{{ steps.meta.outcome }}}}\n"
    );
    positive("wf015_env_matrix_step_outputs", "WF-015", &workflow);
}

#[test]
fn injection_into_code_taking_action_inputs() {
    let workflow = job(
        "issues",
        &format!(
            "      - uses: actions/github-script@{SHA}\n        with:\n          script: |\n            core.info(`${{{{ github.event.issue.body }}}}`)\n      - uses: jannekem/run-python-script-action@{SHA}\n        with:\n          script: print(\"${{{{ github.event.issue.title }}}}\")\n      - uses: someone/other-action@{SHA}\n        with:\n          text: ${{{{ github.event.issue.title }}}}\n"
        ),
    );
    positive("wf015_code_inputs", "WF-015", &workflow);
}

#[test]
fn injection_in_a_folded_scalar_is_placed_at_its_line() {
    positive(
        "wf015_folded_scalar_lines",
        "WF-015",
        &job(
            "workflow_dispatch",
            "      - run: >\n          ./build --target ${{\n          inputs.target }} --title\n          \"${{ inputs.title }}\"\n",
        ),
    );
}

#[test]
fn no_injection_when_values_are_fixed_compared_or_passed_through_env() {
    negative(
        "wf015_negative",
        "WF-015",
        &job(
            "[issues, pull_request_target]",
            "      - env:\n          TITLE: ${{ github.event.issue.title }}\n        run: |\n          echo \"$TITLE\"\n          echo ${{ github.sha }} ${{ github.event.issue.number }} ${{ github.event.pull_request.head.sha }}\n          echo ${{ github.event.comment.author_association }} ${{ github.event.comment.created_at }}\n          echo ${{ github.event.issue.title == 'bug' }} ${{ contains(github.event.issue.body, 'x') }}\n          echo ${{ startsWith(github.head_ref, 'dependabot/') && 'bot' || 'human' }}\n          echo ${{ secrets.TOKEN != '' }} ${{ runner.temp }} ${{ vars.REGION }}\n",
        ),
    );
}

#[test]
fn pinning_of_actions_reusable_workflows_and_images() {
    let workflow = "on: push\npermissions: {}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    container: node:20\n    services:\n      db:\n        image: postgres:latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: docker://alpine:3\n  matrix:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        image: ['alpine:3.20', 'debian@sha256:0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8']\n    container: ${{ matrix.image }}\n    steps:\n      - run: true\n  computed:\n    runs-on: ubuntu-latest\n    container: ${{ fromJSON(inputs.container) }}\n    steps:\n      - run: true\n  call:\n    uses: org/shared/.github/workflows/deploy.yml@main\n";
    positive("wf012_positive", "WF-012", workflow);
}

#[test]
fn no_pinning_finding_for_local_references_digests_and_shas() {
    let digest = "sha256:0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";
    let workflow = format!(
        "on: push\npermissions: {{}}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    container: node:20@{digest}\n    strategy:\n      matrix:\n        db: ['postgres@{digest}']\n    services:\n      db:\n        image: ${{{{ matrix.db }}}}\n    steps:\n      - uses: actions/checkout@{SHA}\n      - uses: ./.github/actions/setup\n      - uses: $/.github/actions/issues-helper\n      - uses: docker://alpine@{digest}\n  call:\n    uses: ./.github/workflows/plan.yml\n  self:\n    uses: $/.github/workflows/plan.yml\n  remote:\n    uses: org/shared/.github/workflows/deploy.yml@{SHA}\n"
    );
    negative("wf012_negative", "WF-012", &workflow);
}

/// A workflow triggered by `on` (YAML text at the `on:` key's indentation), with one job
/// `release` running `steps`.
fn release(on: &str, steps: &str) -> String {
    format!(
        "on:\n{on}permissions:\n  contents: read\njobs:\n  release:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"
    )
}

#[test]
fn cache_restored_in_a_tag_release_run() {
    let workflow = release(
        "  push:\n    tags: ['v*']\n",
        &format!(
            "      - uses: actions/checkout@{SHA} # v5.0.0\n        with:\n          persist-credentials: false\n      - uses: actions/cache@{SHA} # v4.2.0\n        with:\n          path: ~/.cargo\n          key: cargo-${{{{ hashFiles('Cargo.lock') }}}}\n      - uses: actions/cache/restore@v4\n        with:\n          path: target\n          key: target\n      - uses: actions/setup-go@{SHA} # v5.4.0\n      - uses: actions/setup-node@v5\n      - uses: actions/setup-python@v5\n        with:\n          cache: pip\n      - uses: Swatinem/rust-cache@v2\n      - uses: docker/build-push-action@{SHA} # v6\n        with:\n          push: true\n          cache-from: type=gha\n"
        ),
    );
    positive("wf016_tag_push", "WF-016", &workflow);
}

#[test]
fn cache_possibly_restored_in_a_release_event_run() {
    let workflow = release(
        "  release:\n    types: [published]\n  workflow_dispatch:\n    inputs:\n      cache: {type: boolean}\n",
        "      - uses: astral-sh/setup-uv@v6\n        with:\n          enable-cache: ${{ inputs.cache }}\n      - uses: actions/setup-java@v4\n        with:\n          distribution: temurin\n          cache: ${{ inputs.cache && 'maven' || '' }}\n      - uses: gradle/actions/setup-gradle@v4\n        if: startsWith(github.ref, 'refs/tags/')\n",
    );
    positive("wf016_release_event", "WF-016", &workflow);
}

#[test]
fn cache_restored_in_a_job_that_publishes() {
    let workflow = format!(
        "on: workflow_dispatch\npermissions:\n  contents: read\njobs:\n  crate:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: Swatinem/rust-cache@{SHA} # v2.8.0\n      - run: |\n          cargo build --release\n          cargo publish --locked\n  wheel:\n    runs-on: ubuntu-latest\n    permissions:\n      id-token: write\n    steps:\n      - uses: actions/setup-python@v5\n        with:\n          cache: pip\n      - run: python -m build\n      - uses: pypa/gh-action-pypi-publish@{SHA} # v1.12.4\n  image:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/setup-node@v4\n        with:\n          cache: npm\n      - uses: docker/build-push-action@v6\n        with:\n          push: ${{{{ github.event_name != 'pull_request' }}}}\n"
    );
    positive("wf016_publishing_job", "WF-016", &workflow);
}

#[test]
fn no_cache_finding_when_release_runs_switch_caches_off() {
    let workflow = release(
        "  push:\n    tags-ignore: ['*-rc*']\n",
        &format!(
            "      - uses: actions/cache@{SHA} # v4.2.0\n        with:\n          path: ~/.cargo\n          key: cargo\n          lookup-only: true\n      - uses: actions/cache/save@v4\n        with:\n          path: target\n          key: target\n      - uses: actions/setup-go@v5\n        with:\n          cache: false\n      - uses: actions/setup-go@v3\n      - uses: actions/setup-node@v4\n      - uses: actions/setup-node@{SHA} # v5.0.0\n        with:\n          package-manager-cache: false\n      - uses: actions/setup-python@v5\n      - uses: astral-sh/setup-uv@v6\n        with:\n          enable-cache: ${{{{ !startsWith(github.ref, 'refs/tags/') }}}}\n      - uses: Swatinem/rust-cache@v2\n        if: github.ref_type != 'tag'\n      - uses: docker/build-push-action@v6\n        with:\n          push: true\n          cache-from: type=registry,ref=ghcr.io/o/r:cache\n"
        ),
    );
    negative("wf016_negative_switched_off", "WF-016", &workflow);
}

#[test]
fn no_cache_finding_in_ci_that_neither_releases_nor_publishes() {
    let workflow = release(
        "  push:\n    branches: [main, 'release/*']\n    tags: ['!**']\n  pull_request:\n",
        "      - uses: actions/setup-node@v5\n        with:\n          cache: pnpm\n      - uses: Swatinem/rust-cache@v2\n      - run: |\n          cargo publish --dry-run\n          npm publish --dry-run\n          echo done\n      - uses: docker/build-push-action@v6\n        with:\n          push: false\n          cache-from: type=gha\n",
    );
    negative("wf016_negative_ci", "WF-016", &workflow);
}

#[test]
fn app_tokens_with_blanket_permissions_repositories_or_lifetime() {
    let workflow = format!(
        "on: issue_comment\npermissions: {{}}\njobs:\n  bot:\n    runs-on: ubuntu-latest\n    steps:\n      - id: app\n        uses: actions/create-github-app-token@{SHA} # v2.1.0\n        with:\n          app-id: ${{{{ vars.APP_ID }}}}\n          private-key: ${{{{ secrets.APP_KEY }}}}\n      - uses: actions/create-github-app-token@{SHA} # v2.1.0\n        with:\n          app-id: ${{{{ vars.APP_ID }}}}\n          private-key: ${{{{ secrets.APP_KEY }}}}\n          owner: ${{{{ github.repository_owner }}}}\n          permission-issues: write\n          skip-token-revoke: true\n      - uses: actions/create-github-app-token@{SHA} # v2.1.0\n        with:\n          app-id: ${{{{ vars.APP_ID }}}}\n          private-key: ${{{{ secrets.APP_KEY }}}}\n          permission-contents: read\n          skip-token-revoke: ${{{{ inputs.keep }}}}\n      - uses: tibdex/github-app-token@{SHA} # v2.1.0\n        with:\n          app_id: ${{{{ vars.APP_ID }}}}\n          private_key: ${{{{ secrets.APP_KEY }}}}\n"
    );
    positive("wf017_positive", "WF-017", &workflow);
}

#[test]
fn no_app_token_finding_when_scoped() {
    let workflow = format!(
        "on: push\npermissions: {{}}\njobs:\n  bot:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/create-github-app-token@{SHA} # v2.1.0\n        with:\n          app-id: ${{{{ vars.APP_ID }}}}\n          private-key: ${{{{ secrets.APP_KEY }}}}\n          owner: ${{{{ github.repository_owner }}}}\n          repositories: |\n            vite\n            vite-ecosystem-ci\n          permission-pull-requests: write\n          skip-token-revoke: false\n      - uses: actions/create-github-app-token@{SHA} # v2.1.0\n        with:\n          app-id: ${{{{ vars.APP_ID }}}}\n          private-key: ${{{{ secrets.APP_KEY }}}}\n          owner: my-org\n          permission-organization-projects: write\n          permission-members: read\n      - uses: tibdex/github-app-token@{SHA} # v2.1.0\n        with:\n          app_id: ${{{{ vars.APP_ID }}}}\n          private_key: ${{{{ secrets.APP_KEY }}}}\n          permissions: '{{\"contents\": \"read\"}}'\n"
    );
    negative("wf017_negative", "WF-017", &workflow);
}
