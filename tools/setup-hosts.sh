#!/usr/bin/env bash
# Install rootful podman (runc, vfs storage; see tools/podman-env.sh) and build the bookworm and trixie
# systemd test-host images. Needs root and Debian's apt. A no-op when everything is in place.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then echo "setup-hosts: the molecule test hosts need root (rootful podman)" >&2; exit 1; fi
need=()
# chromium: the diagnose scenario renders its HTML report headless
for pkg in podman runc mmdebstrap uidmap rsync chromium; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup-hosts: apt-get install ${need[*]}" >&2
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
fi
"$HERE/build-images.sh" bookworm trixie
