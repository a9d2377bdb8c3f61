#!/usr/bin/env bash
# What a release and its users' tools read: the changelog (antsibull-changelog lint), the docs
# (antsibull-docs lint-collection-docs --plugin-docs, as docs.ansible.com's build does), version_added on
# every plugin and role entry point, and the execution environment (make ee's ansible-builder create,
# ansible-builder's own introspection of the built collection's meta/execution-environment.yml), and
# galaxy-importer, what Galaxy and Automation Hub run on an uploaded tarball (its own venv).
# usage: tools/release-check.sh <collection copy>. Prints one 'ok <check>' or 'FAIL <check>' line per check.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
COLL=${1:?collection copy}
W=$ROOT/.work/release; rm -rf "$W"; mkdir -p "$W"
rc=0
ok() { echo "ok $*"; }
fail() { echo "FAIL $*"; rc=1; }
cd "$ROOT" || exit 1
if antsibull-changelog lint >"$W/changelog.log" 2>&1; then ok "antsibull-changelog lint"; else fail "antsibull-changelog lint"; cat "$W/changelog.log"; fi
if (cd "$COLL" && ANSIBLE_COLLECTIONS_PATH=$ROOT/.work/collections antsibull-docs lint-collection-docs --plugin-docs .) >"$W/docs.log" 2>&1; then
  ok "antsibull-docs lint-collection-docs --plugin-docs"
else
  fail "antsibull-docs lint-collection-docs --plugin-docs"; tail -n 30 "$W/docs.log"
fi
if out=$(python3 "$ROOT/tools/check_version_added.py" "$ROOT"); then ok "version_added on every plugin and role entry point"; else fail "version_added: $out"; fi
if ctx=$("$ROOT/tools/ee.sh" 2>"$W/ee.log") && [ -f "$ctx/Containerfile" ] && [ -s "$ctx/_build/dist/headroom-memory.tar.gz" ] \
   && grep -q '/build/dist/headroom-memory.tar.gz' "$ctx/_build/requirements.yml"; then
  ok "make ee: ansible-builder create with the built tarball"
  mkdir -p "$W/ee-install"
  tar -tzf "$ctx/_build/dist/headroom-memory.tar.gz" >"$W/ee-files.txt"
  if ansible-galaxy collection install "$ctx/_build/dist/headroom-memory.tar.gz" -p "$W/ee-install" --offline --no-deps >/dev/null 2>&1 \
     && out=$(python3 "$ctx/_build/scripts/introspect.py" introspect "$W/ee-install" 2>&1) \
     && [ "$(tr -d '\n ' <<<"$out")" = "---python:[]system:[]" ] \
     && grep -qx 'meta/execution-environment.yml' "$W/ee-files.txt" && grep -qx 'meta/ee-requirements.txt' "$W/ee-files.txt" \
     && grep -qx 'meta/ee-bindep.txt' "$W/ee-files.txt"; then
    ok "ansible-builder introspect reads meta/execution-environment.yml (no extra python or system packages)"
  else
    fail "ansible-builder introspect of the built collection: $out"
  fi
else
  fail "make ee"; cat "$W/ee.log"
fi
# galaxy-importer lints the tarball alone: modules of the collections galaxy.yml depends on cannot resolve
# there (as on Galaxy), so that one warning is allowed for them and every other warning or error fails.
if "$ROOT/tools/setup-venv.sh" .work/venv-importer requirements-importer.txt \
   && ansible-galaxy collection build "$COLL" --output-path "$W/importer" >/dev/null; then
  deps=$(python3 -c 'import sys, yaml; print("|".join(k.replace(".", "[.]") for k in (yaml.safe_load(open(sys.argv[1])).get("dependencies") or {})))' "$COLL/galaxy.yml")
  (cd "$W/importer" && PATH=$ROOT/.work/venv-importer/bin:$PATH GALAXY_IMPORTER_CONFIG=$ROOT/tools/galaxy-importer.cfg \
     "$ROOT/.work/venv-importer/bin/python" -m galaxy_importer.main ./*.tar.gz) >"$W/importer.log" 2>&1; irc=$?
  bad=$(grep -E '^(WARNING|ERROR)' "$W/importer.log" | grep -vE "syntax-check\[unknown-module\]: couldn't resolve module/action '(${deps:-^$})[.][a-z0-9_]+'" || true)
  if [ "$irc" -eq 0 ] && grep -q '^Importer processing completed successfully' "$W/importer.log" && [ -z "$bad" ]; then
    ok "galaxy-importer: the tarball imports with no warning but the unresolved modules of its dependencies"
  else
    fail "galaxy-importer (exit $irc)"; echo "${bad:-$(tail -n 20 "$W/importer.log")}"
  fi
else
  fail "galaxy-importer: set-up or build"
fi
exit $rc
