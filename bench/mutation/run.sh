#!/usr/bin/env bash
# Mutation testing of components/config and components/render against the unit tests (StrykerJS with its
# jest runner), then bench/MUTATION.md from its report. About 25 min on 2 cores; not part of the test
# command. StrykerJS is installed into .cache/stryker at the versions of bench/mutation/package.json.
#   bench/mutation/run.sh [stryker args…]   e.g. --mutate 'components/remote/release.ts,components/remote/venv.ts'
# Mutants of code unchanged since the last run keep their result (.cache/mutation/incremental.json).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
mkdir -p .cache/stryker
if ! cmp -s bench/mutation/package.json .cache/stryker/package.json || [ ! -x .cache/stryker/node_modules/.bin/stryker ]; then
  cp bench/mutation/package.json .cache/stryker/package.json
  (cd .cache/stryker && npm install --no-audit --no-fund --no-package-lock >&2)
fi
.cache/stryker/node_modules/.bin/stryker run bench/mutation/stryker.config.mjs "$@"
npx --no-install ts-node bench/mutation/summary.ts .cache/mutation/mutation.json bench/MUTATION.md
