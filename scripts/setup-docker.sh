#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine, for the integration tests' test hosts.
#
# Idempotent: does nothing but check when `docker info` already answers.
#   1. installs Debian's docker.io (dockerd, containerd, runc) when `dockerd` is missing
#      (the machine image may carry a docker *client* only);
#   2. when no daemon answers, starts `dockerd` in the background by hand (there is no systemd
#      on these machines), logging to .cache/dockerd.log, and waits until it answers.
#
# Env: DOCKERD_TIMEOUT (seconds to wait for the daemon, default 60).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache"
LOG="$CACHE/dockerd.log"
TIMEOUT="${DOCKERD_TIMEOUT:-60}"
mkdir -p "$CACHE"

say() { echo "[setup-docker] $*" >&2; }

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

apt_install() {
  # Other jobs may hold the dpkg lock for a while; wait for it rather than fail.
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "$@"
}

apt_updated=0
apt_update_once() {
  if [ "$apt_updated" = 0 ]; then
    say "apt-get update"
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt_updated=1
  fi
}

if docker info >/dev/null 2>&1; then
  say "a Docker daemon already answers ($(docker info --format '{{.ServerVersion}}' 2>/dev/null))"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  apt_update_once
  say "installing Debian's docker.io (dockerd, containerd, runc, iptables)"
  # iptables: dockerd programs NAT + port publishing with it. No systemd here, so the
  # package's service start fails harmlessly; we start dockerd ourselves below.
  apt_install docker.io iptables ca-certificates
fi
command -v dockerd >/dev/null 2>&1 || { say "ERROR: dockerd still missing after installing docker.io"; exit 1; }

# A daemon may have been started but not answer yet (e.g. a parallel run of this script).
if pgrep -x dockerd >/dev/null 2>&1; then
  say "dockerd is running (pid $(pgrep -x dockerd | head -1)); waiting for it to answer"
else
  # The uplink here has MTU 1400; a docker bridge at 1500 would black-hole large packets from
  # containers (TLS handshakes to package mirrors stall). Match the default route's MTU.
  dev="$(ip route show default 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i+1); exit }}')"
  mtu=1500
  if [ -n "$dev" ] && [ -r "/sys/class/net/$dev/mtu" ]; then mtu="$(cat "/sys/class/net/$dev/mtu")"; fi
  say "starting dockerd in the background (bridge MTU $mtu), log: $LOG"
  # setsid + nohup: the daemon must outlive this script and the shell that ran it.
  $SUDO setsid nohup dockerd --mtu "$mtu" >"$LOG" 2>&1 </dev/null &
fi

deadline=$(( $(date +%s) + TIMEOUT ))
until docker info >/dev/null 2>&1; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    say "ERROR: no Docker daemon answered within ${TIMEOUT}s. Last lines of $LOG:"
    tail -n 30 "$LOG" >&2 2>/dev/null || true
    exit 1
  fi
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    say "ERROR: dockerd exited. Last lines of $LOG:"
    tail -n 30 "$LOG" >&2 2>/dev/null || true
    exit 1
  fi
  sleep 1
done
say "Docker daemon answers ($(docker info --format '{{.ServerVersion}}, storage {{.Driver}}, cgroup v{{.CgroupVersion}}' 2>/dev/null))"
