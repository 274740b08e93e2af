#!/usr/bin/env python3
"""The runbook's `python3 scripts/ops_controls.py`: a thin shim over the ops-controls binary.

The secrets runbook (Preparação 3, Rotação programada 4, Integração com CI/CD) names this
script; the checks themselves are the `ops-controls` binary. This shim finds it and passes
every argument through unchanged (`--output PATH`, `--compare PREVIOUS.json`, `--format`,
`--only`, ...), so the runbook's commands work as written:

    python3 scripts/ops_controls.py --output docs/evidence/TASK-OPS-302/ops-controls-report.json

It looks for the binary in `$OPS_CONTROLS`, then on PATH (`cargo install --locked --path
crates/ops-controls` puts it there); inside the toolkit's own workspace it falls back to
`cargo run --release -p ops-controls`. Without `--repo` it checks the repository this script
belongs to (the parent of `scripts/`). Exit codes are the binary's (0 pass, 1 a check failed
or a regression, 2 usage or input error); a missing binary is exit 2. Standard library only.
"""

import os
import shutil
import subprocess
import sys

HINT = (
    "hint: install it with `cargo install --locked --path crates/ops-controls` from the "
    "toolkit's repository (or set OPS_CONTROLS to the binary's path)"
)


def command(root):
    explicit = os.environ.get("OPS_CONTROLS")
    if explicit:
        return [explicit]
    found = shutil.which("ops-controls")
    if found:
        return [found]
    if os.path.isfile(os.path.join(root, "crates", "ops-controls", "Cargo.toml")):
        return ["cargo", "run", "--quiet", "--release", "--manifest-path",
                os.path.join(root, "Cargo.toml"), "-p", "ops-controls", "--"]
    return None


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cmd = command(root)
    if cmd is None:
        sys.stderr.write("error: ops-controls not found on PATH\n" + HINT + "\n")
        return 2
    args = list(argv)
    if not any(a == "--repo" or a.startswith("--repo=") for a in args):
        args = ["--repo", root] + args
    try:
        return subprocess.call(cmd + args)
    except OSError as e:
        sys.stderr.write("error: cannot run {}: {}\n{}\n".format(cmd[0], e.strerror, HINT))
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
