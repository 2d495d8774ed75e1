#!/usr/bin/env bash
# Build (or reuse) the Docker image of a disposable TEST HOST for the integration tests.
#
#   scripts/build-host-image.sh <kind> [--force]
#   scripts/build-host-image.sh <kind> --print-tag     the tag the current recipe has; builds nothing
#
# kinds (one `kind_<name>` function each, below):
#   vm     Debian bookworm amd64, like a fresh cloud VM: user `deploy` (passwordless sudo,
#          key-only SSH), PermitRootLogin no, PasswordAuthentication no.
#   pi     Debian bookworm arm64 under qemu-user emulation, as close to Raspberry Pi OS (64-bit)
#          as Debian packages allow: user `pi` (passwordless sudo), hostname `raspberrypi`.
#   armhf  Debian bookworm armhf (32-bit ARM, `uname -m` armv7l) under qemu-user emulation, the
#          stand-in for 32-bit Raspberry Pi OS: user `pi` (passwordless sudo), hostname `raspberrypi`.
#
# No image can be pulled on these machines, so the root filesystem is made with `debootstrap`
# from Debian's mirror and turned into an image with `docker import`. systemd is PID 1 and sshd
# runs as a normal unit. No SSH key is baked in: the test harness (test/hosts/harness.ts) writes
# a per-run authorized key into the container after it starts, as cloud-init would.
#
# The image is tagged flaskstack-host:<kind>-<recipe hash>. The hash is PER KIND: it covers
#   - the shared part of this script: its text without the `kind_*` functions, without lines that
#     are only a comment and without blank lines (so editing comments rebuilds nothing; note
#     that this also leaves out heredoc lines that start with `#`),
#   - the kind's own function, as bash prints it (`declare -f kind_<kind>`: code only),
#   - every file it bakes in (today: only the host's added CAs, see HOST_CA_DIR).
# So adding or changing one kind's function does not rebuild the other kinds' images; changing
# the shared part rebuilds all of them. A kind needing something special in the image says so
# in its function (EXTRA_PACKAGES, EXTRA_CONFIGURE) rather than in the shared part.
# An unchanged recipe reuses the image in well under a second; a changed one rebuilds (downloaded
# .debs are kept in .cache/debs/, so a rebuild does not download again) and removes the kind's
# older images. Measured on a 2-core machine: vm about 1 min, pi about 4-4.5 min, armhf about
# 4-5 min (4m52s cold, 3m52s with the .debs cached; qemu emulation, not the download, is the cost).
#
# Progress goes to stderr; the last line on stdout is the image tag.
#
# Env:
#   FLASKSTACK_DEBIAN_MIRROR   default http://deb.debian.org/debian
#   FLASKSTACK_HOST_CA_DIR     folder of extra CAs (*.crt) to bake in, default the host's
#                              /usr/local/share/ca-certificates; empty: none (part of the hash)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SELF="$ROOT/scripts/$(basename "${BASH_SOURCE[0]}")"
CACHE="$ROOT/.cache"
MIRROR="${FLASKSTACK_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE=bookworm
REPO=flaskstack-host

KIND="${1:-}"
FORCE=0; PRINT_TAG=0
case "${2:-}" in
  --force) FORCE=1 ;;
  --print-tag) PRINT_TAG=1 ;;
  "") ;;
  *) echo "unknown option ${2}" >&2; exit 2 ;;
esac

T0=$SECONDS
say() { printf '[build-host-image %s +%ds] %s\n' "$KIND" $((SECONDS - T0)) "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
# Prefix every line of a long-running step with the elapsed time, so progress is visible.
progress() { while IFS= read -r line; do say "$line"; done; }
# debootstrap names every package 2-4 times; show its phases, and one package line in 25.
debootstrap_progress() {
  local n=0 line re='^I: (Retrieving|Validating|Extracting|Unpacking|Configuring) ([^ ]+)'
  while IFS= read -r line; do
    if [[ $line =~ $re ]] && ! [[ ${BASH_REMATCH[2]} =~ ^(the|required|base|InRelease|Release|Packages)$ ]]; then
      n=$((n + 1)); [ $((n % 25)) = 0 ] && say "$line  [$n package steps]"
    else
      say "$line"
    fi
  done
}

# ---------------------------------------------------------------------------------------------
# The recipe per kind: one function each, `kind_<name>`, setting
#   ARCH              Debian architecture
#   QEMU_ARCH         qemu-user architecture to emulate it with ("": native)
#   HOST_USER         the login user (passwordless sudo, SSH key only)
#   HOSTNAME_DEFAULT  the image's hostname ("": the container name)
#   SUDOERS_FILE      name of the user's file in /etc/sudoers.d (as its real counterpart names it)
#   EXTRA_PACKAGES    comma-separated, on top of BASE_PACKAGES
#   EXTRA_CONFIGURE   shell run as root in the chroot at the end of the configuration (under qemu
#                     for a foreign architecture)
# Only the kind's own function is in its hash (see the header): keep kind-specific changes here.
# Each function must start at column 0 with `kind_<name>() {` and end with a `}` at column 0.

kind_vm() {
  ARCH=amd64; QEMU_ARCH=""; HOST_USER=deploy; HOSTNAME_DEFAULT=""
  SUDOERS_FILE=90-cloud-init-users
  EXTRA_PACKAGES=""
  EXTRA_CONFIGURE=""
}

kind_pi() {
  ARCH=arm64; QEMU_ARCH=aarch64; HOST_USER=pi; HOSTNAME_DEFAULT=raspberrypi
  SUDOERS_FILE=010_pi-nopasswd
  # Raspberry Pi OS ships Debian's pip (python3-pip); a cloud image does not.
  EXTRA_PACKAGES="python3-pip"
  EXTRA_CONFIGURE=""
}

kind_armhf() {
  ARCH=armhf; QEMU_ARCH=arm; HOST_USER=pi; HOSTNAME_DEFAULT=raspberrypi
  SUDOERS_FILE=010_pi-nopasswd
  EXTRA_PACKAGES="python3-pip"
  # No bookworm-security source. 32-bit Raspberry Pi OS (Raspbian) has no separate security suite
  # either, and the Debian mirror reachable from the test machine serves a stale
  # bookworm-security main/binary-armhf/Packages.xz (334084 bytes where InRelease says 348048;
  # same for i386 and ppc64el, amd64 and arm64 are fine), so with it EVERY `apt-get update` fails:
  # "File has unexpected size (334084 != 348048). Mirror sync in progress?".
  EXTRA_CONFIGURE="sed -i '/-security /d' /etc/apt/sources.list"
}

KIND_NAMES="$(declare -F | sed -n 's/^declare -f kind_//p' | paste -sd'|')"
if [[ $KIND =~ ^[a-z0-9_]+$ ]] && declare -F "kind_$KIND" >/dev/null; then
  HOSTNAME_DEFAULT=""; EXTRA_PACKAGES=""; EXTRA_CONFIGURE=""
  "kind_$KIND"
else
  echo "usage: $0 $KIND_NAMES [--force|--print-tag]" >&2; exit 2
fi

# Packages every kind gets on top of debootstrap's minbase. Deliberately NOT nginx, uwsgi,
# gunicorn, supervisor: installing those is the library's job.
BASE_PACKAGES="systemd,systemd-sysv,dbus,libpam-systemd,openssh-server,sudo,python3,python3-venv,ca-certificates,iproute2,iputils-ping,procps,curl,netbase,less"

# The CAs this machine added to Debian's store (/usr/local/share/ca-certificates/*.crt). Its
# HTTPS egress goes through a TLS-intercepting proxy, so a host container reaches PyPI only if it
# trusts the proxy's CA too: without it `pip install flask` in a venv fails with
# CERTIFICATE_VERIFY_FAILED (self-signed certificate in certificate chain). Debian's pip (the one
# `python3 -m venv` puts in a venv) and pip >= 24.2 (truststore) read the system store, so adding
# these to the image's store is all it takes: no pip.conf, no env. On a machine without such a
# proxy the folder is empty and nothing is baked in.
HOST_CA_DIR="${FLASKSTACK_HOST_CA_DIR-/usr/local/share/ca-certificates}"
host_cas() {
  if [ -n "$HOST_CA_DIR" ] && [ -d "$HOST_CA_DIR" ]; then
    find "$HOST_CA_DIR" -maxdepth 1 -name '*.crt' -type f | sort
  fi
}

# ---------------------------------------------------------------------------------------------
# The shared part of this script: without the kind_* functions, comment-only and blank lines.
shared_recipe() {
  awk '/^kind_[a-z0-9_]+\(\) *\{/ { skip = 1 }
       !skip && !/^[ \t]*(#|$)/ { print }
       skip && /^\}/ { skip = 0 }' "$SELF"
}
recipe_hash() {
  {
    echo "kind=$KIND arch=$ARCH suite=$SUITE"
    shared_recipe
    declare -f "kind_$KIND"
    host_cas | while read -r f; do echo "ca $(basename "$f")"; cat "$f"; done
  } | sha256sum | cut -c1-12
}

HASH="$(recipe_hash)"
TAG="$REPO:$KIND-$HASH"
if [ "$PRINT_TAG" = 1 ]; then echo "$TAG"; exit 0; fi

command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 \
  || "$ROOT/scripts/setup-docker.sh"

# --- tools: debootstrap, and qemu-user + binfmt for a foreign architecture ---------------------
install_tools() {
  local need_pkgs=()
  command -v debootstrap >/dev/null 2>&1 || need_pkgs+=(debootstrap)
  if [ -n "$QEMU_ARCH" ]; then
    command -v "qemu-$QEMU_ARCH-static" >/dev/null 2>&1 || need_pkgs+=(qemu-user-static)
    command -v update-binfmts >/dev/null 2>&1 || need_pkgs+=(binfmt-support)
  fi
  if [ "${#need_pkgs[@]}" -gt 0 ]; then
    say "installing ${need_pkgs[*]}"
    apt-get -o DPkg::Lock::Timeout=600 update -qq 2>&1 | progress
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
      --no-install-recommends "${need_pkgs[@]}" 2>&1 | progress
  fi
}

# The foreign architecture's binfmt handler. Needed to RUN the hosts too, not only to build the
# image, so this runs on every call (it is a few cheap checks once set up). Machine-wide setting.
setup_binfmt() {
  local entry="/proc/sys/fs/binfmt_misc/qemu-$QEMU_ARCH"
  # Without systemd nobody mounts binfmt_misc or registers the handlers at boot.
  if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    say "mounting binfmt_misc"
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  fi
  if [ ! -e "$entry" ]; then
    say "registering the qemu-$QEMU_ARCH binfmt handler"
    update-binfmts --import "qemu-$QEMU_ARCH"
  fi
  grep -q '^enabled' "$entry" || update-binfmts --enable "qemu-$QEMU_ARCH"
  # Flags: F (fix-binary) makes the kernel keep the interpreter open, so it also works in the
  # chroot and in containers, which do not contain qemu. C (credentials, implies O) makes setuid
  # binaries run with their owner's rights: without it `sudo` in an arm64 host fails with
  # "effective uid is not 0". Debian's qemu-user-static registers with "PF" only, so re-register
  # the same handler with C added.
  if ! grep -q '^flags: .*C' "$entry" || ! grep -q '^flags: .*F' "$entry"; then
    local interp off magic mask
    interp="$(sed -n 's/^interpreter //p' "$entry")"
    off="$(sed -n 's/^offset //p' "$entry")"
    magic="$(sed -n 's/^magic //p' "$entry" | sed 's/../\\x&/g')"
    mask="$(sed -n 's/^mask //p' "$entry" | sed 's/../\\x&/g')"
    say "re-registering qemu-$QEMU_ARCH with flags POCF (setuid sudo needs C)"
    echo -1 >"$entry"
    printf ':qemu-%s:M:%s:%s:%s:%s:POCF\n' "$QEMU_ARCH" "$off" "$magic" "$mask" "$interp" \
      >/proc/sys/fs/binfmt_misc/register
  fi
  grep -q '^flags: .*C' "$entry" && grep -q '^flags: .*F' "$entry" \
    || die "binfmt handler qemu-$QEMU_ARCH lacks the C or F flag: $(tr '\n' ' ' <"$entry")"
}

if [ -n "$QEMU_ARCH" ]; then
  install_tools
  setup_binfmt
fi

image_exists() { docker image inspect "$TAG" >/dev/null 2>&1; }

# Older recipes of this kind (unless a container still uses them: then at a later call).
prune_old() {
  local old
  for old in $(docker images --filter "label=flaskstack.kind=$KIND" --format '{{.Repository}}:{{.Tag}}' \
      | grep -v -x -e "$TAG" -e "$REPO:$KIND" || true); do
    if docker rmi "$old" >/dev/null 2>&1; then say "removed old image $old"; fi
  done
}

if [ "$FORCE" = 0 ] && image_exists; then
  say "reusing $TAG (recipe unchanged)"
  prune_old
  echo "$TAG"; exit 0
fi

# One build per kind at a time (parallel test workers all call this script).
mkdir -p "$CACHE"
exec 9>"$CACHE/build-host-image.$KIND.lock"
if ! flock -n 9; then
  say "another build of '$KIND' is running; waiting for it"
  flock 9
fi
if [ "$FORCE" = 0 ] && image_exists; then
  say "reusing $TAG (built by a parallel run)"
  echo "$TAG"; exit 0
fi

say "building $TAG (Debian $SUITE $ARCH, user $HOST_USER)"
install_tools

# --- debootstrap -----------------------------------------------------------------------------
ROOTFS="$CACHE/rootfs/$KIND-$HASH"
DEBS="$CACHE/debs/$SUITE-$ARCH"
cleanup_rootfs() {
  [ -d "$ROOTFS" ] || return 0
  # A crashed debootstrap may leave proc/sys mounted inside; never delete through a mount.
  { findmnt -rn -o TARGET | grep -F "$ROOTFS/" || true; } | sort -r \
    | while read -r m; do umount -l "$m" || true; done
  rm -rf --one-file-system "$ROOTFS"
}
trap cleanup_rootfs EXIT
cleanup_rootfs
mkdir -p "$ROOTFS" "$DEBS"

say "debootstrap $SUITE $ARCH from $MIRROR (minutes; under emulation about 3-5)"
# shellcheck disable=SC2086
debootstrap --arch="$ARCH" --variant=minbase \
  --include="$BASE_PACKAGES${EXTRA_PACKAGES:+,$EXTRA_PACKAGES}" \
  --cache-dir="$DEBS" \
  "$SUITE" "$ROOTFS" "$MIRROR" 2>&1 | debootstrap_progress

# --- configure, inside the chroot (runs under qemu for a foreign arch) ------------------------
say "configuring"

cat >"$ROOTFS/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb ${MIRROR%/debian}/debian-security $SUITE-security main
EOF

# See HOST_CA_DIR above. As local CAs, so a later ca-certificates upgrade inside a host keeps them.
for f in $(host_cas); do
  say "baking in the host's CA $(basename "$f")"
  install -m 0644 "$f" "$ROOTFS/usr/local/share/ca-certificates/host-$(basename "$f")"
done

# sshd: key-only, no root, as a hardened cloud image.
cat >"$ROOTFS/etc/ssh/sshd_config.d/50-flaskstack-test-host.conf" <<'EOF'
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
EOF

# Host keys are made on each container's first boot (as a cloud VM or a freshly flashed Pi
# does), so no two hosts share one.
cat >"$ROOTFS/etc/systemd/system/ssh-host-keys.service" <<'EOF'
[Unit]
Description=Generate SSH host keys on first boot
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A
RemainAfterExit=yes

[Install]
RequiredBy=ssh.service
EOF

echo "${HOSTNAME_DEFAULT:-debian}" >"$ROOTFS/etc/hostname"
cat >"$ROOTFS/etc/hosts" <<EOF
127.0.0.1	localhost
::1		localhost ip6-localhost ip6-loopback
ff02::1		ip6-allnodes
ff02::2		ip6-allrouters

127.0.1.1	${HOSTNAME_DEFAULT:-debian}
EOF

if [ "$HOST_USER" = pi ]; then
  cat >"$ROOTFS/etc/rpi-issue" <<'EOF'
Raspberry Pi reference (flaskstack test stand-in: Debian bookworm under qemu-user emulation, not Raspberry Pi OS)
EOF
fi

cat >"$ROOTFS/tmp/configure.sh" <<EOF
set -eu
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
update-ca-certificates >/dev/null 2>&1 || update-ca-certificates
# The user, with the groups its real counterpart has (those that exist on Debian).
groups=sudo
for g in adm dialout cdrom audio video plugdev games users input netdev; do
  if getent group "\$g" >/dev/null; then groups="\$groups,\$g"; fi
done
useradd --create-home --shell /bin/bash --groups "\$groups" "$HOST_USER"
# No password (locked), like a cloud image's default user: SSH keys only.
passwd -l "$HOST_USER" >/dev/null
printf '%s ALL=(ALL) NOPASSWD:ALL\n' "$HOST_USER" >/etc/sudoers.d/$SUDOERS_FILE
chmod 0440 /etc/sudoers.d/$SUDOERS_FILE
install -d -m 0700 -o "$HOST_USER" -g "$HOST_USER" /home/$HOST_USER/.ssh

systemctl enable ssh.service ssh-host-keys.service >/dev/null 2>&1
ln -sf /usr/share/zoneinfo/Etc/UTC /etc/localtime; echo Etc/UTC >/etc/timezone
echo LANG=C.UTF-8 >/etc/default/locale
if [ -n "$QEMU_ARCH" ]; then
  # Under qemu-user, systemd cannot set up unit credentials (LoadCredential=: "Failed to set up
  # credentials: Invalid argument"), which fails systemd-tmpfiles-setup, -setup-dev and
  # systemd-sysusers at boot. None of those credentials is used here: drop them.
  for unit in \$(grep -l '^LoadCredential=' /lib/systemd/system/*.service); do
    d="/etc/systemd/system/\$(basename "\$unit").d"
    mkdir -p "\$d"
    printf '# qemu-user cannot set up credentials; none is used on this test host.\n[Service]\nLoadCredential=\n' >"\$d/50-qemu-user.conf"
  done
fi

# The kind's own configuration (EXTRA_CONFIGURE of kind_$KIND).
$EXTRA_CONFIGURE

# Fresh-install state: no host keys, no machine id (made at first boot), no apt lists
# (like a cloud image, the first apt-get needs an apt-get update), no .debs.
rm -f /etc/ssh/ssh_host_*
: >/etc/machine-id; rm -f /var/lib/dbus/machine-id
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb /var/log/*.log
EOF
chroot "$ROOTFS" /bin/sh /tmp/configure.sh 2>&1 | progress
rm -f "$ROOTFS/tmp/configure.sh"

# --- import ----------------------------------------------------------------------------------
say "docker import -> $TAG"
tar --numeric-owner --xattrs -C "$ROOTFS" -c . \
  | docker import \
      --change 'ENV container=docker' \
      --change 'CMD ["/sbin/init"]' \
      --change "LABEL flaskstack.host-image=1 flaskstack.kind=$KIND flaskstack.arch=$ARCH flaskstack.user=$HOST_USER flaskstack.recipe=$HASH${HOSTNAME_DEFAULT:+ flaskstack.hostname=$HOSTNAME_DEFAULT}" \
      --message "flaskstack test host $KIND ($SUITE $ARCH), recipe $HASH" \
      - "$TAG" 2>&1 | progress
docker tag "$TAG" "$REPO:$KIND"

prune_old

say "done: $TAG ($(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%d MB", $1/1e6}'))"
echo "$TAG"
