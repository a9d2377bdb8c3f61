#!/usr/bin/env bash
# ansible-test sanity for every test that runs without docker: in ansible-test's own venvs, Python 3.11.
# usage: tools/sanity.sh <collection copy>   (tools/sync-collection.sh prints it)
set -euo pipefail
COLL=${1:?collection copy}
cd "$COLL"
# The copy has no .git: ansible-test then lists the files itself, so keep the tree clean of caches.
find . -name __pycache__ -prune -exec rm -rf {} + 2>/dev/null || true
exec ansible-test sanity --venv --python 3.11 --requirements --color no ${SANITY_ARGS:-}
