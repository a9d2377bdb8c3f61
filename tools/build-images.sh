#!/usr/bin/env bash
# Build the systemd test-host images (Debian bookworm and trixie) locally and import them into podman:
# no registry is needed. Usage: tools/build-images.sh [suite ...]   (default: bookworm trixie)
# A scenario whose hosts need packages (engines, runtimes) has a recipe, molecule/<scenario>/Containerfile.<suite>
# or molecule/<scenario>/Containerfile for both, built FROM the base image as localhost/headroom-<scenario>:<suite>
# and kept until its recipe or base image changes (a label holds their hash), so an install is paid once, not in
# every prepare: tools/build-images.sh --derived [scenario ...]   (default: every scenario with a recipe;
# tools/molecule.sh builds them beside the lanes). Prints 'derived image <tag>: built in N s' or '...: cached'.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=tools/podman-env.sh
. "$HERE/podman-env.sh"
DERIVED=0; if [ "${1:-}" = --derived ]; then DERIVED=1; shift; fi
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
recipe() {  # scenario suite: the recipe's path, or nothing
  local f
  for f in "$ROOT/molecule/$1/Containerfile.$2" "$ROOT/molecule/$1/Containerfile"; do
    [ -f "$f" ] && { echo "$f"; return; }
  done
  return 0
}
derived() {  # scenario suite: build localhost/headroom-<scenario>:<suite> from its recipe unless cached
  local scen=$1 suite=$2 file base tag hash have tmp t0=$SECONDS ca=()
  file=$(recipe "$scen" "$suite"); [ -n "$file" ] || return 0
  base=localhost/headroom-debian:$suite-r$REV; tag=localhost/headroom-$scen:$suite
  # every recipe ends as the base images' hook does: the packages' sysctl.d files stripped, or systemd-sysctl
  # would apply them to the kernel every test host shares when the host boots
  tmp=$(mktemp "$HEADROOM_WORK/Containerfile.XXXXXX")
  { cat "$file"; echo; echo 'RUN rm -f /usr/lib/sysctl.d/*.conf'; } > "$tmp"
  hash=$( { cat "$tmp"; podman image inspect --format '{{.Id}}' "$base"; } | sha256sum | cut -d' ' -f1)
  have=$(podman image inspect --format '{{index .Labels "headroom.recipe"}}' "$tag" 2>/dev/null || true)
  if [ "$have" = "$hash" ]; then rm -f "$tmp"; echo "derived image $tag: cached"; return; fi
  # the CA bundle of a TLS-inspecting proxy, for a recipe that asks for it (npm: molecule/pm2/Containerfile); its
  # empty mount point stays in the image
  if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ] && grep -q /run/headroom-ca.pem "$file"; then
    ca=(--volume "$NODE_EXTRA_CA_CERTS:/run/headroom-ca.pem:ro")
  fi
  # one layer (vfs copies every layer whole), no intermediate images
  podman build --quiet --layers=false --pull=never --network=host "${ca[@]}" --build-arg "BASE=$base" \
    --label "headroom.recipe=$hash" -t "$tag" -f "$tmp" "$(dirname "$file")" >/dev/null || { rm -f "$tmp"; return 1; }
  rm -f "$tmp"
  echo "derived image $tag: built in $((SECONDS-t0)) s"
}
pids=()
if [ "$DERIVED" = 1 ]; then
  SCEN=("$@")
  if [ $# -eq 0 ]; then
    SCEN=(); for f in "$ROOT"/molecule/*/Containerfile*; do SCEN+=("$(basename "$(dirname "$f")")"); done
  fi
  # the base images first (each suite once), then every recipe, the suites of a scenario at once
  for s in bookworm trixie; do build "$s" & pids+=($!); done
  rc=0; for p in "${pids[@]}"; do wait "$p" || rc=1; done; pids=()
  for scen in $(printf '%s\n' "${SCEN[@]}" | awk '!seen[$0]++'); do
    [[ "$scen" =~ ^[a-z0-9_-]+$ ]] || { echo "build-images: bad scenario name '$scen'" >&2; exit 2; }
    # one build of a scenario's images at a time, machine-wide: a second caller waits and finds them cached
    ( exec 7>"$HEADROOM_WORK/derived-$scen.lock"; flock 7
      p=(); for s in bookworm trixie; do derived "$scen" "$s" & p+=($!); done
      r=0; for q in "${p[@]}"; do wait "$q" || r=1; done; exit $r ) || rc=1
  done
  exit $rc
fi
for s in "${SUITES[@]}"; do build "$s" & pids+=($!); done
rc=0; for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit $rc
