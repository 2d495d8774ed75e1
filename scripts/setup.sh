#!/usr/bin/env bash
# Everything the demo and the tests need, installed once and reused: node modules, the Pulumi
# engine (built from engine/ pins), Docker Engine, and the test-host images.
#   scripts/setup.sh [host kinds…]     default kinds: vm
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
kinds=("$@"); [ ${#kinds[@]} -gt 0 ] || kinds=(vm)
step() { printf '\n==> %s\n' "$*"; }
start=$SECONDS

step "Node.js dependencies"
command -v node >/dev/null || { echo "Node.js >= 20 is required" >&2; exit 1; }
if ! cmp -s package-lock.json node_modules/.flaskstack-lock 2>/dev/null; then
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.flaskstack-lock
else
  echo "node_modules matches package-lock.json"
fi

step "flaskstack build (bin/: components/ and the root program) and the example projects"
# The examples use flaskstack as an outside project would: through its package (file:../..).
node scripts/build.js
for example in examples/*/package.json; do
  dir="$(dirname "$example")"
  if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.flaskstack-lock" 2>/dev/null; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.flaskstack-lock)
    echo "installed $dir"
  fi
done

step "Pulumi engine"
scripts/build-engine.sh

step "Docker Engine"
scripts/setup-docker.sh

for kind in "${kinds[@]}"; do
  step "Test-host image: $kind"
  scripts/build-host-image.sh "$kind"
done

step "Set-up done in $((SECONDS - start)) s"
