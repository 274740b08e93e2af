#!/usr/bin/env python3
"""The runbook's `python3 scripts/ops_controls.py`, written by `mcp-secrets init`.

A thin shim over the installed `ops-controls` binary (`$OPS_CONTROLS`, else `ops-controls` on
PATH): every argument is passed through unchanged (`--output PATH`, `--compare PREVIOUS.json`,
`--format`, `--only`, ...), so the runbook's commands work as written:

    python3 scripts/ops_controls.py --output docs/evidence/TASK-OPS-302/ops-controls-report.json

Without `--repo` it checks the repository this script belongs to (the parent of `scripts/`).
Exit codes are the binary's (0 pass, 1 a check failed or a regression, 2 usage or input
error); a missing binary is exit 2. Standard library only.
"""

import os
import shutil
import subprocess
import sys

HINT = (
    "hint: install the toolkit: {{TOOLKIT_INSTALL}} "
    "ops-controls (or set OPS_CONTROLS to the binary's path)"
)


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = os.environ.get("OPS_CONTROLS") or shutil.which("ops-controls")
    if not binary:
        sys.stderr.write("error: ops-controls not found on PATH\n" + HINT + "\n")
        return 2
    args = list(argv)
    if not any(a == "--repo" or a.startswith("--repo=") for a in args):
        args = ["--repo", root] + args
    try:
        return subprocess.call([binary] + args)
    except OSError as e:
        sys.stderr.write("error: cannot run {}: {}\n{}\n".format(binary, e.strerror, HINT))
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
