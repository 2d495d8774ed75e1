#!/usr/bin/env bash
# The benchmark suite: cold provision, no-op, one change, served throughput, fleet, Raspberry Pi,
# an app with an 8 MB static file, and flaskstack against Ansible and pyinfra (peers).
#   bench/run.sh [all|cold|noop|change|throughput|fleet|pi|bigapp|peers]… [--runs N] [--pi-runs M]
# Default: all, 3 runs each (pi: 1 run when run with the others; `bench/run.sh pi --runs N` alone uses N;
# peers: 7 rounds after a warm-up, then the delay variants, see bench/README.md).
# Each measurement starts and removes its own test hosts, writes bench/results/<name>.json and
# regenerates bench/RESULTS.md from every result present. Speed is never asserted by a test: see RESULTS.md.
# Load settings: BENCH_WRK_SECONDS (10), BENCH_WRK_CONNECTIONS (32), BENCH_WRK_THREADS (2), BENCH_WRK_WARMUP (3).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=../scripts/env.sh
source scripts/env.sh

kinds=(vm)
for a in "$@"; do
  case "$a" in all|pi) kinds=(vm pi) ;; esac
done
[ $# -gt 0 ] || kinds=(vm pi)
scripts/setup.sh "${kinds[@]}" >&2
# The peers (ansible-core, pyinfra) at pinned versions, from PyPI into .cache/peers-venv.
for a in "$@"; do
  case "$a" in all|peers) bench/peers/install.sh >/dev/null; break ;; esac
done
[ $# -gt 0 ] || bench/peers/install.sh >/dev/null

echo "[bench] machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB; $(uptime)" >&2
start=$SECONDS
status=0
npx --no-install ts-node bench/bench.ts "$@" || status=$?
echo "[bench] bench/run.sh $* took $((SECONDS - start)) s (exit $status); see bench/RESULTS.md" >&2
exit $status
