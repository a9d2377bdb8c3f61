#!/usr/bin/env bash
# ansible-test sanity for every test that runs without docker, from a dedicated venv (its tests pin
# their own linters, which must not clash with .venv's), Python 3.11.
# usage: tools/sanity.sh <collection copy> [requirements file]   (tools/sync-collection.sh prints the copy;
#        the ansible-core pinned in the requirements file, requirements-test.txt by default, runs the tests)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
COLL=${1:?collection copy}
REQ=${2:-$ROOT/requirements-test.txt}
CORE=$(sed -nE 's/^ansible-core==([0-9.]+).*/\1/p' "$REQ")
SV=$ROOT/.work/sanity-venv
[ "$REQ" -ef "$ROOT/requirements-test.txt" ] || SV=$ROOT/.work/sanity-venv-$CORE
if ! [ -x "$SV/bin/ansible-test" ] || [ "$("$SV/bin/python" -c 'import ansible; print(ansible.__version__)' 2>/dev/null)" != "$CORE" ]; then
  python3 -m venv "$SV"
  "$SV/bin/pip" install -q --disable-pip-version-check "ansible-core==$CORE"
fi
# ansible-test fetches a pip bootstrap script from a host outside the reachable registries: seed its cache.
PIPV=$("$SV/bin/python" -c 'from ansible_test._internal.python_requirements import get_venv_packages as g; print(g(type("P", (), {"version": "3.11"})())["pip"])')
mkdir -p ~/.ansible/test/cache
cp "$ROOT/tools/get_pip_offline.py" ~/.ansible/test/cache/"get_pip_${PIPV//./_}.py"
cd "$COLL"
# ansible-test lists a collection's files with git; the copy is not a checkout, so give it an empty repo.
[ -d .git ] || git init -q .
find . -name __pycache__ -prune -exec rm -rf {} + 2>/dev/null || true
export PATH=$SV/bin:$PATH
read -r -a EXTRA <<<"${SANITY_ARGS:-}"   # e.g. SANITY_ARGS='--test pylint -v'
exec ansible-test sanity --local --python 3.11 --requirements --color no "${EXTRA[@]}"
