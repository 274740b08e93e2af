#!/usr/bin/env bash
# make secrets-sync / scripts/secrets-sync.sh: the runbook's "Automação de sincronização local",
# written by `mcp-secrets init`. A thin wrapper over the installed secrets-sync binary
# (`$SECRETS_SYNC`, else `secrets-sync` on PATH), run on this repository with this script's
# arguments:
#   SOPS_AGE_KEY="$(op read 'op://MCP/SOPS Age key/private')" make secrets-sync
#   scripts/secrets-sync.sh --check
# The key stays in memory; plaintext is written only to ~/.mcp/.env and
# ~/.mcp/console-secrets.json (0600, directory 0700). Exit codes are the binary's; a missing
# binary is exit 2.
set -euo pipefail
umask 077

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
installed="${SECRETS_SYNC:-$(command -v secrets-sync || true)}"
if [ -z "$installed" ]; then
    echo "error: secrets-sync not found on PATH" >&2
    echo "hint: install the toolkit: {{TOOLKIT_INSTALL}} secrets-sync (or set SECRETS_SYNC)" >&2
    exit 2
fi
has_repo=false
for arg in "$@"; do
    case "$arg" in
        --repo|--repo=*|--bundle|--bundle=*) has_repo=true ;;
    esac
done
if [ "$has_repo" = true ]; then
    exec "$installed" "$@"
fi
exec "$installed" --repo "$root" "$@"
