#!/usr/bin/env python3
"""Side-by-side comparison of `ops-controls --only WF` and zizmor on real workflows (issue 14).

The corpus is `scripts/compare-zizmor.manifest`: public repositories, each at a pinned
commit, with the workflow paths and action metadata paths (`action.yml`/`action.yaml`; WF-015
and zizmor's template-injection both audit composite actions) to take. No third-party file
is committed here; this script fetches the files at run time, from raw.githubusercontent.com,
or from local bare git copies when `--git-dir-template` says where they are (offline machines).

Both tools run on each repository's fetched files (`.github/workflows` and the actions),
ops-controls with its built-in policy (the `general` profile) and zizmor with its default
persona, offline. Findings are grouped in five families:

    injection  WF-015             template-injection
    triggers   WF-005, WF-006     dangerous-triggers
    pinning    WF-012             unpinned-uses, unpinned-images
    cache      WF-016             cache-poisoning
    app        WF-017             github-app

Injection, pinning, cache and app are matched by file and line (cache: the caching step's
`uses:` line; app: the `uses:`, `owner:` or `skip-token-revoke:` line); triggers by file (zizmor points at the
trigger, ops-controls at the trigger or the privileged use). The script prints a table of
counts per file (ours / zizmor), then every finding only one tool raised, each with its
explanation when it has one:

- `explain` lines of the manifest name a difference we keep on purpose, with the reason;
- a finding only ops-controls raises on a line the repository marks
  `# zizmor: ignore[<audit>]` (that line or up to two lines above it, where zizmor's own
  suppression comments sit; for triggers, anywhere in the file, since both tools' trigger
  findings are matched per file) is zizmor's finding too, suppressed by the repository;
- an image only ops-controls reports for its tag: WF-012 wants a digest (a tag can be
  re-pushed), as zizmor's pedantic persona does; its default persona flags only `latest`
  and untagged images.

It exits 1 when zizmor raised a finding in these families that ops-controls did not and that
no `explain` line accounts for ("misses"), else 0.

Usage:
    scripts/compare-zizmor.py [--ops-controls BIN] [--zizmor BIN] [--work DIR]
                              [--git-dir-template '/mirrors/{owner}+{name}/repo']
Needs: python3 (standard library only), zizmor 1.33.1 (`pip install zizmor==1.33.1`),
the ops-controls binary (default: target/release/ops-controls, built if missing).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

OURS = {
    "WF-015": "injection",
    "WF-005": "triggers",
    "WF-006": "triggers",
    "WF-012": "pinning",
    "WF-016": "cache",
    "WF-017": "app",
}
THEIRS = {
    "template-injection": "injection",
    "dangerous-triggers": "triggers",
    "unpinned-uses": "pinning",
    "unpinned-images": "pinning",
    "cache-poisoning": "cache",
    "github-app": "app",
}
FAMILIES = ["injection", "triggers", "pinning", "cache", "app"]


IDENTS = defaultdict(list)
for _ident, _family in THEIRS.items():
    IDENTS[_family].append(_ident)


def read_manifest(path):
    """Returns the corpus entries and the explained differences ({(repo, key): reason})."""
    entries, explained = [], {}
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("explain "):
                _, repo, where, family, reason = line.split(maxsplit=4)
                file, _, number = where.rpartition(":")
                explained[(repo, (file, family, None if family == "triggers" else int(number)))] = reason
                continue
            repo, sha, *paths = line.split()
            entries.append((repo, sha, paths))
    return entries, explained


TAG_ONLY = "is not pinned to a digest (`@sha256:`)"


def why_only_ours(base, finding):
    """The standing reason ops-controls alone raises this finding, if there is one."""
    if suppressed_by_repository(base, finding):
        return "zizmor finds it too; the repository silences it (`# zizmor: ignore`)"
    _path, family, _line, note = finding
    if family == "pinning" and note.endswith(TAG_ONLY) and ":latest`" not in note:
        return "a tag, not a digest: zizmor's pedantic persona flags it too, its default persona does not"
    return None


def suppressed_by_repository(base, finding):
    """Whether the repository silences zizmor's audit of this family at the finding."""
    path, family, line, _ = finding
    if not line:
        return False
    with open(os.path.join(base, path), encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    window = lines if family == "triggers" else lines[max(0, line - 3) : line]
    return any(
        f"zizmor: ignore[{ident}]" in text for text in window for ident in IDENTS[family]
    )


def fetch(repo, sha, path, template):
    if template:
        owner, name = repo.split("/")
        git_dir = template.format(owner=owner, name=name)
        if os.path.isdir(git_dir):
            return subprocess.run(
                ["git", "--git-dir", git_dir, "show", f"{sha}:{path}"],
                check=True,
                capture_output=True,
            ).stdout
    url = f"https://raw.githubusercontent.com/{repo}/{sha}/{path}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def materialize(entries, work, template):
    """Writes each repository's workflows under WORK/<owner>__<name>/ and returns the dirs."""
    dirs = {}
    for repo, sha, paths in entries:
        base = os.path.join(work, repo.replace("/", "__"))
        for path in paths:
            target = os.path.join(base, path)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(fetch(repo, sha, path, template))
        dirs[repo] = base
    return dirs


def ours(binary, base):
    out = subprocess.run(
        [binary, "--repo", base, "--only", "WF", "--format", "json"],
        capture_output=True,
        check=False,
    )
    if out.returncode not in (0, 1):
        sys.exit(f"ops-controls failed on {base}: {out.stderr.decode(errors='replace')}")
    found = []
    for check in json.loads(out.stdout)["checks"]:
        family = OURS.get(check["id"])
        if family is None or check["status"] not in ("fail", "warn"):
            continue
        for loc in check["locations"]:
            found.append((loc["file"], family, loc.get("line"), f'{check["id"]}: {loc.get("note")}'))
    return found


def theirs(binary, base):
    out = subprocess.run(
        [binary, "--offline", "--no-progress", "--format", "json", "--no-exit-codes", "."],
        cwd=base,
        capture_output=True,
        check=False,
    )
    if out.returncode != 0:
        sys.exit(f"zizmor failed on {base}: {out.stderr.decode(errors='replace')}")
    found = []
    for finding in json.loads(out.stdout):
        family = THEIRS.get(finding["ident"])
        if family is None:
            continue
        primary = next(
            (l for l in finding["locations"] if l["symbolic"]["kind"] == "Primary"),
            finding["locations"][0],
        )
        path = primary["symbolic"]["key"]["Local"]["verbatim_path"]
        path = os.path.normpath(path).replace(os.sep, "/")
        line = primary["concrete"]["location"]["start_point"]["row"] + 1
        note = f'{finding["ident"]}: {primary["symbolic"]["annotation"]}'
        found.append((path, family, line, note))
    return found


def key(finding):
    path, family, line, _ = finding
    return (path, family, None if family == "triggers" else line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--manifest", default=os.path.join(ROOT, "scripts/compare-zizmor.manifest"))
    parser.add_argument("--ops-controls", default=os.path.join(ROOT, "target/release/ops-controls"))
    parser.add_argument("--zizmor", default="zizmor")
    parser.add_argument("--work", default=None, help="where to write the corpus (default: a temp dir)")
    parser.add_argument("--git-dir-template", default=os.environ.get("COMPARE_GIT_DIR_TEMPLATE"))
    args = parser.parse_args()

    if not os.path.exists(args.ops_controls):
        subprocess.run(
            ["cargo", "build", "--release", "--locked", "-p", "ops-controls", "--bin", "ops-controls"],
            cwd=ROOT,
            check=True,
        )
    work = args.work or tempfile.mkdtemp(prefix="compare-zizmor-")
    entries, explained = read_manifest(args.manifest)
    dirs = materialize(entries, work, args.git_dir_template)

    rows = []
    only_ours, only_theirs = [], []
    totals = defaultdict(lambda: [0, 0])
    files = 0
    for repo, _sha, paths in entries:
        files += len(paths)
        mine = ours(args.ops_controls, dirs[repo])
        zz = theirs(args.zizmor, dirs[repo])
        mine_keys = {key(f) for f in mine}
        zz_keys = {key(f) for f in zz}
        per_file = defaultdict(lambda: {fam: [0, 0] for fam in FAMILIES})
        for f in mine:
            per_file[f[0]][f[1]][0] += 1
            totals[f[1]][0] += 1
        for f in zz:
            per_file[f[0]][f[1]][1] += 1
            totals[f[1]][1] += 1
        for f in mine:
            if key(f) not in zz_keys:
                reason = why_only_ours(dirs[repo], f) or explained.get((repo, key(f)))
                only_ours.append((repo, f, reason))
        for f in zz:
            if key(f) not in mine_keys:
                only_theirs.append((repo, f, explained.get((repo, key(f)))))
        for path in sorted(per_file):
            cells = [f"{per_file[path][fam][0]}/{per_file[path][fam][1]}" for fam in FAMILIES]
            rows.append((f"{repo}:{path}", *cells))

    print(f"{len(entries)} repositories, {files} workflow files; cells are ours/zizmor\n")
    width = max([len(r[0]) for r in rows] + [4])
    print(f"| {'file'.ljust(width)} | {' | '.join(FAMILIES)} |")
    print(f"| {'-' * width} |{' --- |' * len(FAMILIES)}")
    for row in rows:
        print(f"| {row[0].ljust(width)} | {' | '.join(row[1:])} |")
    cells = " | ".join(f"{totals[fam][0]}/{totals[fam][1]}" for fam in FAMILIES)
    print(f"| {'total'.ljust(width)} | {cells} |")

    misses, explained_misses = defaultdict(int), defaultdict(int)
    for _repo, f, reason in only_theirs:
        (explained_misses if reason else misses)[f[1]] += 1
    extras, explained_extras = defaultdict(int), defaultdict(int)
    for _repo, f, reason in only_ours:
        (explained_extras if reason else extras)[f[1]] += 1
    print(
        "\n| family | zizmor only (misses) | explained | ops-controls only | explained |"
    )
    print("| --- | --- | --- | --- | --- |")
    for fam in FAMILIES:
        print(
            f"| {fam} | {misses[fam]} | {explained_misses[fam]} | {extras[fam]} | {explained_extras[fam]} |"
        )

    def show(title, items):
        print(f"\n{title}:")
        for repo, (path, fam, line, note), reason in items:
            print(f"  {repo}:{path}:{line} [{fam}] {note}")
            if reason:
                print(f"      explained: {reason}")

    show("zizmor only (ops-controls misses)", only_theirs)
    show("ops-controls only", only_ours)
    print(f"\ncorpus: {work}")
    return 1 if any(reason is None for _, _, reason in only_theirs) else 0


if __name__ == "__main__":
    sys.exit(main())
