#!/usr/bin/env bash
# Benchmark of ops-controls on synthetic repositories (issue: "200 workflows and a 10,000-key
# bundle, the full report in < 200 ms, release build"), plus the scaling in workflows and keys.
#
# Needs: the real sops 3.11 (on PATH, or SOPS=/path/to/sops) to encrypt the bundles once;
# hyperfine if installed (apt-get install -y hyperfine), else a plain timing loop.
# Usage: scripts/bench-ops-controls.sh [WORK_DIR]
#        ONLY_WF40=1 scripts/bench-ops-controls.sh [WORK_DIR]   # only the 40-workflow --only WF case
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d)}"
sops="${SOPS:-$(command -v sops || echo /tmp/sopsvenv/bin/sops)}"
recipient="age1ps335dvugrdjvdk7p6kzlhkzeze77p07w9exxz9em8mpkheehuwqs76e5w" # public throwaway test key
regex='^MCP_(SECRETS_VERSION|ROTATION_REASON|ROTATED_AT|ROTATION_INCIDENT)$'

cd "$root"
cargo build --release --locked -p ops-controls --bin ops-controls --example gen_synthetic
bin="$root/target/release/ops-controls"
gen="$root/target/release/examples/gen_synthetic"

make_repo() { # name workflows keys
  local dir="$work/$1" plain="$work/$1.plain.yaml"
  if [ ! -f "$dir/config/secrets.enc.yaml" ]; then
    rm -rf "$dir"
    "$gen" "$dir" "$plain" --workflows "$2" --keys "$3"
    "$sops" --disable-version-check encrypt --input-type yaml --output-type yaml \
      --unencrypted-regex "$regex" --age "$recipient" "$plain" > "$dir/config/secrets.enc.yaml"
    rm -f "$plain"
  fi
  # The synthetic repository must pass, so the benchmark measures a full, real report.
  "$bin" --repo "$dir" --output "$work/$1.report.json" 2>/dev/null
}

time_it() { # name
  local dir="$work/$1"
  if command -v hyperfine >/dev/null; then
    hyperfine --warmup 3 --runs 20 --style basic --export-json "$work/$1.hyperfine.json" \
      -n "$1" "$bin --repo $dir --output $work/$1.out.json 2>/dev/null"
  else
    local start end
    start=$(date +%s%N)
    for _ in $(seq 20); do "$bin" --repo "$dir" --output "$work/$1.out.json" 2>/dev/null; done
    end=$(date +%s%N)
    echo "$1: mean $(( (end - start) / 20000000 )) ms over 20 runs"
  fi
}

cases=(
  "wf200-k10000 200 10000"
  "wf100-k10000 100 10000"
  "wf400-k10000 400 10000"
  "wf200-k2500 200 2500"
  "wf200-k40000 200 40000"
)
if [ -n "${ONLY_WF40:-}" ]; then cases=(); fi
for c in ${cases[@]+"${cases[@]}"}; do
  set -- $c
  make_repo "$1" "$2" "$3"
done
for c in ${cases[@]+"${cases[@]}"}; do
  set -- $c
  time_it "$1"
done
# Issue 14: `--only WF` on 40 workflows stays under 100 ms; zizmor (if on PATH) on the same files.
wf40="$work/wf40-k10"
make_repo wf40-k10 40 10
if command -v hyperfine >/dev/null; then
  cmds=(-n "ops-controls --only WF" "$bin --repo $wf40 --only WF --format json")
  if command -v zizmor >/dev/null; then
    cmds+=(-n "zizmor --offline" "zizmor --offline --no-progress --no-exit-codes --format json $wf40/.github/workflows")
  fi
  hyperfine --warmup 3 --runs 20 --style basic -i "${cmds[@]}"
else
  start=$(date +%s%N)
  for _ in $(seq 20); do "$bin" --repo "$wf40" --only WF --format json >/dev/null 2>&1 || true; done
  end=$(date +%s%N)
  echo "ops-controls --only WF, 40 workflows: mean $(( (end - start) / 20000000 )) ms over 20 runs"
  if command -v zizmor >/dev/null; then
    start=$(date +%s%N)
    for _ in $(seq 5); do zizmor --offline --no-progress --no-exit-codes --format json "$wf40/.github/workflows" >/dev/null 2>&1; done
    end=$(date +%s%N)
    echo "zizmor --offline, same 40 workflows: mean $(( (end - start) / 5000000 )) ms over 5 runs"
  fi
fi
echo "work dir: $work"
