#!/usr/bin/env bash
# Install rootful podman (runc, vfs storage; see tools/podman-env.sh) and build the bookworm and trixie
# systemd test-host images; install qemu for the VM stage (its images are built by tools/build-vm-images.sh,
# which tools/molecule.sh runs beside the podman lanes; HEADROOM_VM_STAGE=0 leaves the VM stage out).
# Needs root and Debian's apt. A no-op when everything is in place.
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
# here, before any stage runs: apt beside the static stages (sanity installs shellcheck) would meet dpkg's lock
vm=()
if [ "${HEADROOM_VM_STAGE:-1}" != 0 ]; then
  for pkg in qemu-system-x86 qemu-utils; do dpkg -s "$pkg" >/dev/null 2>&1 || vm+=("$pkg"); done
fi
if [ ${#vm[@]} -gt 0 ]; then
  echo "setup-hosts: apt-get install --no-install-recommends ${vm[*]}" >&2
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${vm[@]}" >/dev/null
fi
"$HERE/build-images.sh" bookworm trixie
