#!/usr/bin/env bash
# Mutation testing (mutmut) of the parsers, sizing and plan code: each mutant runs only the unit tests
# that reach the function it changes (mutmut records that in a first, clean run).
# usage: tools/mutation.sh [module ...]   modules as paths under plugins/, default: the list below
#        MUTATION_TESTS='tests/unit/x.py tests/unit/y/' narrows the tests to those that cover the modules
#        (default: all of tests/unit; fewer tests make the first, clean run much shorter)
# Not part of `make test`: it takes minutes. Results: .work/mutation/ (`mutmut results` there).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PATH=$ROOT/.venv/bin:$PATH
python -c 'import mutmut' 2>/dev/null || pip install -q --disable-pip-version-check -r "$ROOT/requirements-mutation.txt"
MODULES=("$@")
[ ${#MODULES[@]} -gt 0 ] || MODULES=(
  module_utils/sizes.py
  module_utils/swap/size.py
  module_utils/swap/plan.py
  module_utils/oom/kernel.py
  plugin_utils/triage/swap.py
  plugin_utils/triage/pressure.py
  plugin_utils/workers/plan.py
  plugin_utils/database/sizing.py
  plugin_utils/database/pgtune.py
  plugin_utils/database/shares.py
  plugin_utils/heap/plan.py
  plugin_utils/service_limits/plan.py
  module_utils/node/heap.py
  module_utils/containers/parse.py
  plugin_utils/pm2/plan.py
  plugin_utils/containers/limits.py
)
W=$ROOT/.work/mutation
C=ansible_collections/headroom/memory
rm -rf "$W" && mkdir -p "$W/$C"
# mutmut imports the collection as ansible_collections.headroom.memory from its mutants/ copy
cp -a "$ROOT/plugins" "$ROOT/tests" "$ROOT/roles" "$ROOT/galaxy.yml" "$W/$C/"
find "$W" -name __pycache__ -prune -exec rm -rf {} +
{
  echo "[tool.mutmut]"
  echo "source_paths = [\"$C/plugins\"]"
  printf 'only_mutate = ['; for m in "${MODULES[@]}"; do printf '"%s/plugins/%s", ' "$C" "$m"; done; echo ']'
  echo "also_copy = [\"$C/tests\", \"$C/roles\"]"
  printf 'pytest_add_cli_args_test_selection = ['
  for t in ${MUTATION_TESTS:-tests/unit}; do printf '"%s/%s", ' "$C" "${t%/}"; done; echo ']'
  echo 'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q"]'
} > "$W/pyproject.toml"
cd "$W"
# the spinner writes a line per frame: keep its log out of the terminal
mutmut run --max-children "${MUTATION_JOBS:-2}" > run.log 2>&1 || { tail -n 40 run.log; exit 1; }
mutmut results --all true > results.txt 2>&1 || true
# per module: killed / all mutants (timeouts count as killed: the mutant hung the tests), then the survivors
awk -F': ' '/__mutmut_/ { n = $1; sub(/^ +/, "", n); sub(/\.x[^.]*$/, "", n); sub(/.*\.plugins\./, "", n);
    total[n]++; if ($2 == "killed" || $2 == "timeout") killed[n]++; all++; if ($2 == "killed" || $2 == "timeout") k++ }
  END { for (m in total) printf "%-40s %4d / %4d killed (%.1f%%)\n", m, killed[m], total[m], 100 * killed[m] / total[m];
        if (all) printf "%-40s %4d / %4d killed (%.1f%%)\n", "all", k, all, 100 * k / all }' results.txt | sort
grep -vE ': (killed|timeout)$' results.txt | grep __mutmut_ || true
