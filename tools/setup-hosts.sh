#!/usr/bin/env bash
# Install rootful podman (runc, vfs storage; see tools/podman-env.sh) and build the bookworm and trixie
# systemd test-host images; install qemu for the VM stage (its images are built by tools/build-vm-images.sh,
# which tools/molecule.sh runs beside the podman lanes; HEADROOM_VM_STAGE=0 leaves the VM stage out).
# Needs root and Debian's apt. A no-op when everything is in place. One run at a time machine-wide: make test
# runs it beside the venvs' creation and the core216 stage calls it before its scenarios; a second caller waits
# for the first and finds everything in place.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then echo "setup-hosts: the molecule test hosts need root (rootful podman)" >&2; exit 1; fi
# shellcheck source=tools/podman-env.sh
. "$HERE/podman-env.sh"
exec 5>"$HEADROOM_WORK/setup-hosts.lock"; flock 5
groups=(hosts); [ "${HEADROOM_VM_STAGE:-1}" = 0 ] || groups+=(vm)
"$HERE/setup-packages.sh" "${groups[@]}"
"$HERE/build-images.sh" bookworm trixie
