#!/usr/bin/env bash
# make secrets-sync / scripts/secrets-sync.sh: the runbook's "Automação de sincronização local".
# A thin wrapper over the secrets-sync binary, run with this script's arguments (see
# crates/secrets-sync/README.md). In a repository that adopted the toolkit it runs the
# installed binary (`$SECRETS_SYNC`, else `secrets-sync` on PATH); inside the toolkit's own
# workspace it builds the release binary when it is missing or older than its sources:
#   SOPS_AGE_KEY="$(op read 'op://MCP/SOPS Age key/private')" make secrets-sync
#   scripts/secrets-sync.sh --check
# The key stays in memory; plaintext is written only to ~/.mcp/.env and
# ~/.mcp/console-secrets.json (0600, directory 0700). Exit codes are the binary's.
set -euo pipefail
umask 077

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [ ! -f "$root/crates/secrets-sync/Cargo.toml" ]; then
    installed="${SECRETS_SYNC:-$(command -v secrets-sync || true)}"
    if [ -z "$installed" ]; then
        echo "error: secrets-sync not found on PATH" >&2
        echo "hint: install it with \`cargo install --locked --path crates/secrets-sync\` from the toolkit's repository (or set SECRETS_SYNC)" >&2
        exit 2
    fi
    exec "$installed" "$@"
fi

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
