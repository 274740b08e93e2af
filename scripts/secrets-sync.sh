#!/usr/bin/env bash
# make secrets-sync / scripts/secrets-sync.sh: the runbook's "Automação de sincronização local".
# A thin wrapper: builds the secrets-sync binary when it is missing or older than its sources,
# then runs it with this script's arguments (see crates/secrets-sync/README.md):
#   SOPS_AGE_KEY="$(op read 'op://MCP/SOPS Age key/private')" make secrets-sync
#   scripts/secrets-sync.sh --check
# The key stays in memory; plaintext is written only to ~/.mcp/.env and
# ~/.mcp/console-secrets.json (0600, directory 0700). Exit codes are the binary's.
set -euo pipefail
umask 077

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${CARGO_TARGET_DIR:-$root/target}/release/secrets-sync"

needs_build() {
    [ -x "$bin" ] || return 0
    local newer
    newer="$(find "$root/Cargo.toml" "$root/Cargo.lock" \
        "$root/crates/secrets-sync/Cargo.toml" "$root/crates/secrets-sync/src" \
        "$root/crates/bundle-core/Cargo.toml" "$root/crates/bundle-core/src" \
        -newer "$bin" -type f -print -quit 2>/dev/null || true)"
    [ -n "$newer" ]
}

if needs_build; then
    echo "secrets-sync: building the release binary (cargo build --release -p secrets-sync)" >&2
    # Build output goes to stderr so that stdout (e.g. --json) stays clean.
    (cd "$root" && cargo build --release -p secrets-sync 1>&2)
fi

exec "$bin" "$@"
