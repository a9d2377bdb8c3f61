#!/usr/bin/env bash
# The Debian packages make test needs, installed in one apt run (one `apt-get update`) before any stage starts:
# the set-up steps that follow (the venvs, the test-host images, the VM images) then run at the same time, and
# none of them meets dpkg's lock held by another. Each tool that needs a package still installs it when run alone
# (tools/setup-venv.sh, tools/setup-hosts.sh, tools/build-vm-images.sh, the sanity stage): a no-op after this.
# usage: tools/setup-packages.sh group...   groups: venv (python3-venv), sanity (shellcheck), hosts (rootful
#        podman, mmdebstrap, chromium for the diagnose scenario's headless HTML check), vm (qemu, no recommends)
# Needs root to install; without root it only says what is missing (and fails when something is).
set -euo pipefail
want=(); lean=()
for g in "$@"; do
  case $g in
    venv) python3 -c 'import ensurepip, venv' 2>/dev/null || want+=(python3-venv) ;;
    sanity) want+=(shellcheck) ;;
    hosts) want+=(podman runc mmdebstrap uidmap rsync chromium) ;;
    vm) lean+=(qemu-system-x86 qemu-utils mmdebstrap e2fsprogs) ;;
    *) echo "setup-packages: unknown group '$g'" >&2; exit 2 ;;
  esac
done
missing() { local p; for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done; }
mapfile -t want < <(missing "${want[@]}")
mapfile -t lean < <(missing "${lean[@]}")
[ $((${#want[@]}+${#lean[@]})) -gt 0 ] || exit 0
if [ "$(id -u)" != 0 ]; then echo "setup-packages: missing ${want[*]} ${lean[*]}; run as root to install them" >&2; exit 1; fi
echo "setup-packages: apt-get install ${want[*]} ${lean[*]}" >&2
apt-get update -q >/dev/null
[ ${#want[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${want[@]}" >/dev/null
[ ${#lean[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${lean[@]}" >/dev/null
