#!/usr/bin/env bash
# The whole test suite: unit tests, then integration tests that run the real Pulumi engine against
# real test hosts (containers with systemd and sshd). Set-up runs first and is idempotent.
#   scripts/test.sh [jest args…]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh vm pi armhf
source scripts/env.sh
# Leftovers of an interrupted run (containers labelled as test hosts) are removed first.
npx ts-node test/hosts/cli.ts gc

printf '\n==> Lint (ESLint) and format (Prettier) check\n'
npx eslint .
npx prettier --check --log-level warn . || { echo "format: run npm run format" >&2; exit 1; }

printf '\n==> Type check (tsc): the program, components, tests, scripts and benchmarks\n'
npx tsc -p tsconfig.json --noEmit

printf '\n==> Go tests of the stand-in command plugin\n'
(cd engine/command-provider && go test -count=1 ./...)

printf '\n==> Tests\n'
mkdir -p .cache
status=0
npx jest --runInBand --json --outputFile=.cache/jest-results.json "$@" || status=$?
# One plain closing line with the counts, whatever the runner printed above it.
node -e '
  const r = require(process.argv[1]);
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' "$root/.cache/jest-results.json" || true
exit $status
