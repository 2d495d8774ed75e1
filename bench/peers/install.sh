#!/usr/bin/env bash
# Installs the peers (ansible-core, pyinfra) from PyPI into .cache/peers-venv, at the exact versions
# of bench/peers/requirements.txt; does nothing when the venv already holds them. Prints the venv's path.
# The controller Python must be >= 3.12 (ansible-core 2.21): PEERS_PYTHON, else the first of
# python3.13, python3.12, python3 on PATH (or under ~/.pyenv/versions) that is new enough.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
req="$root/bench/peers/requirements.txt"
venv="$root/.cache/peers-venv"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ -x "$venv/bin/ansible-playbook" ] && [ -x "$venv/bin/pyinfra" ] && [ "$(cat "$venv/.requirements-sha256" 2>/dev/null)" = "$want" ]; then
  echo "$venv"
  exit 0
fi
new_enough() { "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
py="${PEERS_PYTHON:-}"
if [ -z "$py" ]; then
  for c in python3.13 python3.12 python3 "$HOME"/.pyenv/versions/3.13*/bin/python3 "$HOME"/.pyenv/versions/3.12*/bin/python3; do
    if command -v "$c" >/dev/null 2>&1 && new_enough "$c"; then py="$c"; break; fi
  done
fi
if [ -z "$py" ] || ! new_enough "$py"; then
  echo "bench/peers/install.sh: no Python >= 3.12 with venv found (ansible-core 2.21 needs it); set PEERS_PYTHON" >&2
  exit 1
fi
echo "[peers] installing ansible-core and pyinfra into $venv with $("$py" --version 2>&1)" >&2
rm -rf "$venv"
"$py" -m venv "$venv"
"$venv/bin/pip" --disable-pip-version-check --no-input install -q -r "$req" >&2
"$venv/bin/ansible-playbook" --version | sed -n 1p >&2
"$venv/bin/pyinfra" --version >&2
echo "$want" > "$venv/.requirements-sha256"
echo "$venv"
