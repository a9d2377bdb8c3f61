#!/usr/bin/env bash
# The oldest supported ansible-core (meta/runtime.yml requires_ansible), proven: from .work/venv-core216
# (requirements-core216.txt), the unit tests, ansible-test sanity, the AWX-style job (tools/job-check.sh),
# and the molecule scenarios in CORE216_SCENARIOS (default: diagnose and swap, a role with argument specs
# run as a playbook and a role that changes swap and sysctls; the others run on the newest core only, to keep
# make test short; CORE216_SCENARIOS=none runs none).
# usage: tools/core216.sh <collection copy>
#        tools/core216.sh --list-scenarios   (prints the scenarios it would run, one line; tools/test.sh leaves
#        them out of its molecule stage, so make test runs each scenario once)
#        tools/core216.sh --list-converge    (the scenarios whose roles converge on this core inside the molecule
#        stage, one line; CORE216_CONVERGE overrides, '' for none)
# Prints one line per part, 'core216 <part>: N passed, N failed', and nothing else is counted.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE=$ROOT/tools
COLL=${1:?collection copy}
REQ=$ROOT/requirements-core216.txt
VENV=$ROOT/.work/venv-core216
W=$ROOT/.work
read -r -a SCENARIOS <<<"${CORE216_SCENARIOS:-diagnose swap}"
[ "${SCENARIOS[*]}" != none ] || SCENARIOS=()
if [ "$COLL" = --list-scenarios ]; then echo "${SCENARIOS[*]}"; exit 0; fi
# every other role converges on this core too, inside the newest core's run of one scenario each (tools/molecule.sh
# runs one more converge from this venv right after idempotence, on the same hosts): the cheapest proof, a converge
# each and no second create or prepare. remediate's converge applies the database, heap, service_limits and
# workers roles (its remedies), so their own scenarios need not converge again.
CONVERGE="containers early_warning internal_restart pm2 remediate"
if [ "$COLL" = --list-converge ]; then echo "${CORE216_CONVERGE-$CONVERGE}"; exit 0; fi
"$HERE/setup-venv.sh" .work/venv-core216 requirements-core216.txt || { echo "core216 set-up: 0 passed, 1 failed"; exit 1; }
want=$(sed -nE 's/^ansible-core==([0-9.]+).*/\1/p' "$REQ")
have=$("$VENV/bin/python" -c 'import ansible.release as r; print(r.__version__)')
[ "$have" = "$want" ] || { echo "core216 set-up: ansible-core $have, not $want: 0 passed, 1 failed"; exit 1; }
echo "core216: ansible-core $have"
rc=0

t0=$SECONDS
"$HERE/get-promtool.sh" >/dev/null || echo "core216: could not get promtool from Debian's prometheus package"
export PATH=$ROOT/.work/bin:$PATH   # the early_warning tests run promtool
rm -f "$W/unit-core216.xml"
(cd "$COLL" && PYTHONPATH=$W/collections "$VENV/bin/python" -m pytest -q -p no:cacheprovider \
   --junitxml="$W/unit-core216.xml" tests/unit) | tail -n 3
read -r p f < <(python3 "$HERE/junit_counts.py" "$W/unit-core216.xml" 2>/dev/null || echo "0 1")
[ "$f" -eq 0 ] || rc=1
echo "core216 unit: $p passed, $f failed ($((SECONDS-t0))s)"

t0=$SECONDS
# ansible-test 2.16 asks Python 2 boilerplate (__future__ imports, __metaclass__) of every Python file,
# unit tests included; the ansible-test of requirements-test.txt (the sanity stage) no longer asks it of
# them. Those two tests are left to that stage; every other 2.16 sanity test runs.
out=$(SANITY_ARGS="--skip-test future-import-boilerplate --skip-test metaclass-boilerplate" \
      "$HERE/sanity.sh" "$COLL" "$REQ" 2>&1); src=$?; echo "$out" | tail -n 20
p=$(grep -cE '^Running sanity test ' <<<"$out"); f=$(grep -cE '^ERROR: Found [0-9]+ .* issue' <<<"$out")
[ "$src" -eq 0 ] || [ "$f" -gt 0 ] || f=1
p=$((p-f)); [ "$p" -ge 0 ] || p=0
[ "$f" -eq 0 ] || rc=1
echo "core216 sanity: $p passed, $f failed ($((SECONDS-t0))s)"

t0=$SECONDS
out=$(PATH=$VENV/bin:$PATH "$HERE/job-check.sh" "$W/collections" 2>&1); jrc=$?; echo "$out"
p=$(grep -c '^ok ' <<<"$out"); f=$(grep -c '^FAIL ' <<<"$out")
[ "$jrc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
[ "$f" -eq 0 ] || rc=1
echo "core216 job: $p passed, $f failed ($((SECONDS-t0))s)"

rm -f "$W/molecule-core216.log"   # tools/test.sh's table reads it: never a stale one
[ ${#SCENARIOS[@]} -gt 0 ] || exit $rc   # molecule.sh without a scenario would run every one
t0=$SECONDS
# make test starts this stage before the test-host images are built: wait for that build (a no-op when they are in place)
if ! "$HERE/setup-hosts.sh" > "$W/setup-hosts-core216.log" 2>&1; then
  tail -n 20 "$W/setup-hosts-core216.log"; echo "core216 molecule: 0 passed, ${#SCENARIOS[@]} failed (test-host set-up)"; exit 1
fi
HEADROOM_VENV=$VENV HEADROOM_LOG_SUFFIX=-core216 "$HERE/molecule.sh" "${SCENARIOS[@]}" 2>&1 | tee "$W/molecule-core216.log"
mrc=${PIPESTATUS[0]}
read -r p f < <(sed -nE 's/^molecule: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$W/molecule-core216.log" | tail -n1)
p=${p:-0}; f=${f:-1}; [ "$mrc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
[ "$f" -eq 0 ] || rc=1
echo "core216 molecule: $p passed, $f failed ($((SECONDS-t0))s)"
exit $rc
