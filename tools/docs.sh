#!/usr/bin/env bash
# make docs: the collection's antsibull-docs site (what docs.ansible.com would show), built offline from
# the working tree with sphinx from .venv. Links into other projects' docs (ansible-core's settings,
# ansible.builtin.setup, ansible.posix.mount...) need those sites' inventories, which are not fetched:
# they stay plain text (sphinx's ref.ref warnings are silenced); every other warning fails the build.
# Prints the directory of the site (open index.html).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
D=$ROOT/.work/docs
rm -rf "$D"; mkdir -p "$(dirname "$D")"; mkdir -m 700 "$D"   # antsibull-docs wants a directory only its owner may write
export ANSIBLE_COLLECTIONS_PATH=$ROOT/.work/collections
"$ROOT/tools/sync-collection.sh" >/dev/null
antsibull-docs sphinx-init --use-current --dest-dir "$D" headroom.memory >"$D/init.log"
cat >>"$D/conf.py" <<'CONF'

# headroom.memory's make docs builds offline: no inventories fetched from other sites
intersphinx_mapping = {}
suppress_warnings = ['ref.ref']
CONF
"$D/build.sh" >"$D/build.log" 2>&1 || { tail -n 30 "$D/build.log" >&2; exit 1; }
echo "$D/build/html"
