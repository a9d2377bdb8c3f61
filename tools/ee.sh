#!/usr/bin/env bash
# make ee: the build context of an execution environment with this tree's collection in it
# (ee/execution-environment.yml), from the tarball built here. Only `ansible-builder create`: building the
# image needs a container registry. Prints the context directory; build it with
#   podman build -f .work/ee/context/Containerfile -t headroom-memory-ee .work/ee/context
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=$ROOT/.work/ee
rm -rf "$W"; mkdir -p "$W/dist" "$W/build"
ansible-galaxy collection build --force --output-path "$W/build" "$ROOT" >/dev/null
# one stable name, so ee/requirements.yml need not follow galaxy.yml's version
cp "$W"/build/headroom-memory-*.tar.gz "$W/dist/headroom-memory.tar.gz"
ansible-builder create -f "$ROOT/ee/execution-environment.yml" -c "$W/context" --output-filename Containerfile >"$W/create.log" 2>&1 \
  || { cat "$W/create.log" >&2; exit 1; }
echo "$W/context"
