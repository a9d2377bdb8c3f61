#!/usr/bin/env bash
# Build the collection artefact, install it offline into a scratch path, check that it carries no tests,
# benches or CI files, and render every plugin's documentation with ansible-doc from the installed copy.
# Prints one 'ok <check>' or 'FAIL <check>' line per check.
set -uo pipefail
shopt -s nullglob
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=$ROOT/.work/build; rm -rf "$W"; mkdir -p "$W/dist" "$W/collections"
cd "$ROOT" || exit 1
rc=0
ok() { echo "ok $*"; }
fail() { echo "FAIL $*"; rc=1; }
if ansible-galaxy collection build --force --output-path "$W/dist" . >"$W/build.log" 2>&1; then ok build; else fail build; cat "$W/build.log"; fi
tarball=$(find "$W/dist" -name "headroom-memory-*.tar.gz" | head -n1)
if [ -n "$tarball" ] && ansible-galaxy collection install "$tarball" -p "$W/collections" --offline --no-deps --force >"$W/install.log" 2>&1; then
  ok "install --offline"
else
  fail "install --offline"; cat "$W/install.log" 2>/dev/null
fi
if [ -n "$tarball" ]; then
  leaked=$(tar -tzf "$tarball" | grep -E '^(tests|bench|molecule|tools|\.ci|\.config|\.venv|\.work)/|(^|/)__pycache__/' || true)
  if [ -z "$leaked" ]; then ok "artefact carries no tests, benches or CI files"; else fail "artefact carries: $(echo "$leaked" | head -n5 | tr '\n' ' ')"; fi
fi
export ANSIBLE_COLLECTIONS_PATH=$W/collections
for kind in module filter lookup callback test; do
  dir=plugins/${kind}s; [ "$kind" = filter ] && dir=plugins/filter; [ "$kind" = test ] && dir=plugins/test
  [ -d "$dir" ] || continue
  for f in "$dir"/*.py "$dir"/*.yml; do
    [ -f "$f" ] || continue
    name=$(basename "${f%.*}"); case $name in __init__|_*) continue;; esac
    if [ "$kind" = filter ] && [ "${f##*.}" = py ]; then continue; fi   # filters are documented in .yml files
    if out=$(ansible-doc -t "$kind" "headroom.memory.$name" 2>&1) && ! grep -q '^\[WARNING\]: .*\(not found\|error\)' <<<"$out"; then
      ok "ansible-doc -t $kind headroom.memory.$name"
    else
      fail "ansible-doc -t $kind headroom.memory.$name"; echo "$out" | tail -n 20
    fi
  done
done
for r in roles/*/; do
  r=$(basename "$r")
  if out=$(ansible-doc -t role "headroom.memory.$r" 2>&1); then ok "ansible-doc -t role headroom.memory.$r"; else fail "ansible-doc -t role headroom.memory.$r"; echo "$out" | tail -n 20; fi
done
exit $rc
