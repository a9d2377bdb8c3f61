#!/usr/bin/env bash
# Build the collection from the working tree and install it (offline, as a user would from the
# artefact) into .work/install, the collections path `make diagnose` uses.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
mkdir -p .work/dist .work/install
ansible-galaxy collection build --force --output-path .work/dist . >/dev/null
ANSIBLE_COLLECTIONS_PATH=$ROOT/.work/install ansible-galaxy collection install ".work/dist/headroom-memory-$(sed -n 's/^version: *//p' galaxy.yml).tar.gz" \
  -p .work/install --offline --no-deps --force >/dev/null
echo "$ROOT/.work/install"
