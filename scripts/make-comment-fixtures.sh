#!/usr/bin/env bash
# Regenerates crates/bundle-core/tests/fixtures/yaml-comments/ with the real sops (issue 15):
# for every `<case>/input.yaml` it writes `encrypted.yaml` (sops encrypt) and `expected.yaml`
# (sops decrypt of that file). The cases' inputs are written by hand and kept; the key is a
# throwaway age identity made for these fixtures (made once with `age-keygen` when missing).
# The placement rule each case pins, and the layouts that still differ from sops, are listed
# in that directory's README.md; a new case is a new `<case>/input.yaml` there, then this
# script with its name.
#
# Usage: scripts/make-comment-fixtures.sh [CASE...]   (all cases by default; needs sops 3.11.x
# and age-keygen on PATH)
set -euo pipefail

dir="$(cd "$(dirname "$0")/.." && pwd)/crates/bundle-core/tests/fixtures/yaml-comments"
key="$dir/key.agekey"
version="$(sops --disable-version-check --version | head -n1)"
case "$version" in
  "sops 3.11."*) ;;
  *) echo "need sops 3.11.x, found: $version" >&2; exit 2 ;;
esac
if [ ! -f "$key" ]; then
  { echo "# THROWAWAY TEST-ONLY age identity for the yaml-comments fixtures; never use it for real secrets."
    age-keygen 2>/dev/null; } > "$key"
fi
recipient="$(age-keygen -y "$key")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ "$#" -gt 0 ]; then
  cases=(); for c in "$@"; do cases+=("$dir/$c/"); done
else
  cases=("$dir"/*/)
fi
for case_dir in "${cases[@]}"; do
  name="$(basename "$case_dir")"
  cp "$case_dir/input.yaml" "$work/$name.yaml"
  # No config and no other SOPS_* settings: a bare environment, a HOME that does not exist.
  env -i PATH="$PATH" HOME="$work/nohome" SOPS_AGE_KEY_FILE="$key" \
    sops --disable-version-check encrypt --age "$recipient" "$work/$name.yaml" > "$case_dir/encrypted.yaml"
  cp "$case_dir/encrypted.yaml" "$work/$name.enc.yaml"
  env -i PATH="$PATH" HOME="$work/nohome" SOPS_AGE_KEY_FILE="$key" \
    sops --disable-version-check decrypt "$work/$name.enc.yaml" > "$case_dir/expected.yaml"
  echo "$name"
done
echo "made with: $version"
