#!/usr/bin/env bash
# Build the systemd test-host images (Debian bookworm and trixie) locally and import them into podman:
# no registry is needed. Usage: tools/build-images.sh [suite ...]   (default: bookworm trixie)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tools/podman-env.sh
. "$HERE/podman-env.sh"
SUITES=("$@"); [ $# -gt 0 ] || SUITES=(bookworm trixie)
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# kmod: trixie's systemd-modules-load fails without it; btrfs-progs: the swap scenario's btrfs file; the rest is
# what roles and tests need.
PKGS=apt,python3,systemd,systemd-sysv,dbus,procps,iproute2,kmod,util-linux,e2fsprogs,btrfs-progs,gzip
# Bump when the package list or hooks change, so stale images are rebuilt.
REV=3
build() {
  local suite=$1 tag=localhost/headroom-debian:$1-r$REV
  if podman image exists "$tag"; then echo "image $tag exists"; return; fi
  # The images' own /usr/lib/sysctl.d would be applied to the shared kernel by systemd-sysctl: strip it.
  # shellcheck disable=SC2016 # the hooks are run by mmdebstrap, with $1 = the new root
  mmdebstrap --quiet --variant=minbase --include="$PKGS" \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --customize-hook='echo -n > "$1/etc/machine-id"' \
    --customize-hook='rm -f "$1"/usr/lib/sysctl.d/*.conf' \
    --customize-hook='ln -sf /dev/null "$1/etc/systemd/system/getty@tty1.service"' \
    --customize-hook='chroot "$1" apt-get clean' \
    "$suite" - "$MIRROR" \
  | podman import --change 'CMD=["/sbin/init"]' --change 'STOPSIGNAL=SIGRTMIN+3' \
      --change 'ENV=container=podman' - "$tag" >/dev/null
  echo "built $tag"
}
pids=(); for s in "${SUITES[@]}"; do build "$s" & pids+=($!); done
rc=0; for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit $rc
