# Source this file: the environment every flaskstack script and test runs Pulumi in.
# - the engine built from engine/ pins comes first on PATH (an official Pulumi install works too:
#   set FLASKSTACK_USE_SYSTEM_PULUMI=1 and the build is skipped);
# - state lives in a local file backend inside the project, no Pulumi Cloud account needed;
# - secrets are encrypted with the passphrase provider.
FLASKSTACK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export FLASKSTACK_ROOT
if [ "${FLASKSTACK_USE_SYSTEM_PULUMI:-0}" != "1" ]; then
  export PATH="$FLASKSTACK_ROOT/engine/bin:$PATH"
  # The plugin cache (with the resource plugin built from engine/) lives inside the project; the
  # binaries on PATH are used as the engine and language host only, not as resource plugins.
  export PULUMI_HOME="${PULUMI_HOME:-$FLASKSTACK_ROOT/.pulumi-home}"
  # The same engine with flaskstack's stand-in command plugin (compared with the official one in tests).
  export FLASKSTACK_STANDIN_HOME="${FLASKSTACK_STANDIN_HOME:-$FLASKSTACK_ROOT/.pulumi-home-standin}"
  export PULUMI_IGNORE_AMBIENT_PLUGINS=true
fi
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$FLASKSTACK_ROOT/.pulumi-state}"
# The default passphrase protects only the local demo/test state; set your own for real stacks.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-flaskstack-local}"
export PULUMI_SKIP_UPDATE_CHECK=1
export PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=1
mkdir -p "$FLASKSTACK_ROOT/.pulumi-state"
