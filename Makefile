# Entry points named by the runbook. Each target is a thin call into a script or the toolkit;
# add new targets below, one per task.
.PHONY: secrets-sync

# Decrypt config/secrets.enc.yaml into ~/.mcp (.env and console-secrets.json, mode 600).
# Pass flags with ARGS, e.g. `make secrets-sync ARGS="--check"` or ARGS="--remove-key-file".
secrets-sync:
	@./scripts/secrets-sync.sh $(ARGS)
