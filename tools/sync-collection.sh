#!/usr/bin/env bash
# Copy the working tree to .work/collections/ansible_collections/headroom/memory: the layout that
# ansible-test, pytest imports (ansible_collections.headroom.memory...) and molecule's collection path use.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=$ROOT/.work/collections/ansible_collections/headroom/memory
mkdir -p "$DEST"
if command -v rsync >/dev/null; then
  rsync -a --delete --exclude=/.git --exclude=/.venv --exclude=/.work --exclude=/headroom-report \
    --exclude=__pycache__ --exclude=.pytest_cache --exclude=.hypothesis --exclude=/tests/output \
    "$ROOT/" "$DEST/"
else
  rm -rf "$DEST" && mkdir -p "$DEST"
  tar -C "$ROOT" --exclude=./.git --exclude=./.venv --exclude=./.work --exclude=./headroom-report \
    --exclude=__pycache__ --exclude=.pytest_cache --exclude=.hypothesis --exclude=./tests/output -cf - . \
    | tar -C "$DEST" -xf -
fi
echo "$DEST"
