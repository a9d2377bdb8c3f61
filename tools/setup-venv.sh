#!/usr/bin/env bash
# Create .venv with the pinned tool chain (requirements-test.txt); a no-op when it is already current.
# usage: tools/setup-venv.sh [venv requirements]   e.g. tools/setup-venv.sh .work/venv-core216 requirements-core216.txt
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=$ROOT/${1:-.venv}
REQ=$ROOT/${2:-requirements-test.txt}
STAMP=$VENV/.requirements.sha256
# one creator at a time: a second caller (tools/molecule.sh's oldest-core converge beside tools/core216.sh) waits,
# then finds the venv current
mkdir -p "$ROOT/.work"; exec 6>"$ROOT/.work/setup-$(basename "$VENV").lock"; flock 6
want=$(sha256sum "$REQ" | cut -d' ' -f1)
if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then exit 0; fi
PY=${PYTHON:-python3}
if ! "$PY" -c 'import ensurepip, venv' 2>/dev/null; then
  # Debian splits venv/ensurepip into python3-venv
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing python3-venv" >&2
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null
  else
    echo "setup: '$PY -m venv' is not available; install python3-venv (apt-get install python3-venv)" >&2; exit 1
  fi
fi
echo "setup: creating $VENV with the pinned versions in $(basename "$REQ")" >&2
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQ"
echo "$want" > "$STAMP"
