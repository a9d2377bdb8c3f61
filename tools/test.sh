#!/usr/bin/env bash
# Every test of the collection, from a fresh machine: set-up, unit, argument specs, sanity, lint,
# build + ansible-doc, release (galaxy-importer, changelog and docs lints, execution environment), an AWX-style job,
# molecule, and the oldest supported ansible-core (unit, sanity, two scenarios, and one converge of every other
# role inside the molecule stage: tools/core216.sh --list-converge). Ends with the plain
# line 'N passed, N failed' that sums every stage. With both, the molecule and core216 stages run at the same
# time (tools/molecule.sh's lanes keep apart what shares the kernel), so their times overlap in the summary.
# usage: tools/test.sh [stage ...]
#   stages: unit specs sanity lint build release job molecule core216 (default: all)
#   with the molecule stage, unit ... job run beside it (TEST_STATIC_BESIDE=0: one after the other, first)
#   set-up is overlapped too: one apt run, then the test-host and VM images build while the venv is created, and
#   the static stages and core216 start as soon as the venv is there
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE=$ROOT/tools
cd "$ROOT" || exit 1
export PATH=$ROOT/.venv/bin:$ROOT/.work/bin:$PATH NO_COLOR=1 ANSIBLE_FORCE_COLOR=0 PY_COLORS=0 ANSIBLE_NOCOLOR=1
read -r -a PYTEST_EXTRA <<<"${PYTEST_ARGS:-}"   # words on purpose: several pytest arguments
read -r -a SCENARIOS <<<"${SCENARIO:-}"
STAGES=("$@"); [ ${#STAGES[@]} -gt 0 ] || STAGES=(unit specs sanity lint build release job molecule core216)
# Each scenario runs once: when the core216 stage runs too, the molecule stage leaves out the scenarios it
# runs on ansible-core 2.16 (diagnose and swap by default; the newest core still runs the diagnose role in the
# job stage and the swap role in swap-refusals). `make molecule` runs every scenario on the newest core.
MOLECULE_SKIP=
# and the roles of the other scenarios converge on 2.16 too, once each inside the molecule stage's run
CORE216_CONVERGE=
if [[ " ${STAGES[*]} " == *" core216 "* ]]; then
  MOLECULE_SKIP=$("$HERE/core216.sh" --list-scenarios); CORE216_CONVERGE=$("$HERE/core216.sh" --list-converge)
fi
# with both stages (make test), core216 runs beside the molecule stage: the machine waits on apt and systemd
# in the test hosts much more than it computes, and the kernel lock keeps the kernel-lane scenarios apart
CORE216_WITH_MOLECULE=0; core216_pid=; core216_t0=
if [[ " ${STAGES[*]} " == *" molecule "*"core216 "* ]]; then CORE216_WITH_MOLECULE=1; fi   # molecule first
# likewise the static stages (unit ... job: minutes of CPU, no test host) run beside the molecule stage, as a
# child tools/test.sh whose table is read back when the molecule stage is done; the VM scenarios, which fill
# both cores, run last in the molecule stage, when the static stages are long finished
STATIC=(); static_pid=; static_t0=
if [[ " ${STAGES[*]} " == *" molecule "* ]] && [ "${TEST_STATIC_BESIDE:-1}" = 1 ]; then
  rest=()
  for s in "${STAGES[@]}"; do
    case $s in unit|specs|sanity|lint|build|release|job) STATIC+=("$s") ;; *) rest+=("$s") ;; esac
  done
  STAGES=("${rest[@]}")
fi
W=$ROOT/.work; mkdir -p "$W"
P=0; F=0; report=()
t_start=$SECONDS
stamp() { echo "[test $((SECONDS-t_start))s] $*"; }
# the run's timeline (bench/suite_stages reads it): each stage's start and end, epoch seconds; the static stages'
# child writes its own
TIMELINE=$W/test-timeline${TEST_TIMELINE_SUFFIX:-}.tsv
printf 'stage\tstarted\tended\tpassed\tfailed\n' > "$TIMELINE"
count() {  # stage passed failed seconds
  P=$((P+$2)); F=$((F+$3)); report+=("$(printf '%-9s %4d passed %3d failed %5ds' "$1" "$2" "$3" "$4")")
  local now; now=$(date +%s)
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$((now-$4))" "$now" "$2" "$3" >> "$TIMELINE"
}
mark() {  # name started-epoch: a set-up step's line in the timeline (not a stage: nothing counted)
  printf '%s\t%s\t%s\t-\t-\n' "$1" "$2" "$(date +%s)" >> "$TIMELINE"
}

# Set-up, overlapped: one apt run first (as root), then the test-host images (and the VM images) are built while
# the venv is created, and the static stages and core216 (which need no test host) start as soon as the venv is
# there, beside the image builds; the molecule stage waits for the images. core216's scenarios call
# tools/setup-hosts.sh themselves (it waits for this run's).
ALL=" ${STATIC[*]} ${STAGES[*]} "
HOSTS=0; if [[ "$ALL" == *" molecule "* || "$ALL" == *" core216 "* ]]; then HOSTS=1; fi
if [ "$(id -u)" = 0 ]; then
  groups=(venv); [[ "$ALL" != *" sanity "* ]] || groups+=(sanity)
  if [ $HOSTS = 1 ]; then groups+=(hosts); [ "${HEADROOM_VM_STAGE:-1}" = 0 ] || groups+=(vm); fi
  stamp "set-up: Debian packages (${groups[*]}), one apt run"
  e0=$(date +%s)
  "$HERE/setup-packages.sh" "${groups[@]}" || { echo "set-up of Debian packages failed"; echo "0 passed, 1 failed"; exit 1; }
  mark set-up-packages "$e0"
fi
# promtool for the unit tests, fetched once here: the unit and core216 stages would both fetch it at once
if [[ "$ALL" == *" unit "* || "$ALL" == *" core216 "* ]]; then
  e0=$(date +%s)
  "$HERE/get-promtool.sh" >/dev/null || echo "set-up: could not get promtool from Debian's prometheus package"
  mark set-up-promtool "$e0"
fi
hosts_pid=; vmimg_pid=; hosts_ok=1
if [ $HOSTS = 1 ]; then
  stamp "set-up: podman and test-host images (beside the venv; log .work/setup-hosts.log)"
  e0=$(date +%s)
  { "$HERE/setup-hosts.sh" > "$W/setup-hosts.log" 2>&1; rc=$?; mark set-up-hosts "$e0"; exit $rc; } &
  hosts_pid=$!
  if [[ "$ALL" == *" molecule "* ]] && [ "${HEADROOM_VM_STAGE:-1}" != 0 ] && [ ${#SCENARIOS[@]} -eq 0 ]; then
    # the VM stage's images: tools/molecule.sh's own call waits for this one and finds them cached
    { "$HERE/build-vm-images.sh" bookworm trixie > "$W/vm-images-setup.log" 2>&1; rc=$?; mark set-up-vm-images "$e0"; exit $rc; } &
    vmimg_pid=$!
  fi
fi
stamp "set-up: venv"
e0=$(date +%s)
if ! "$HERE/setup-venv.sh"; then
  echo "set-up failed"; [ -z "$hosts_pid" ] || wait "$hosts_pid"; [ -z "$vmimg_pid" ] || wait "$vmimg_pid"
  echo "0 passed, 1 failed"; exit 1
fi
mark set-up-venv "$e0"
COLL=$("$HERE/sync-collection.sh")
if [ "$CORE216_WITH_MOLECULE" = 1 ]; then
  # the oldest core's stage (its unit and sanity runs, then two kernel-lane scenarios under the same kernel
  # lock) runs beside the molecule stage: its output is printed at its own stage below
  stamp "core216: started beside the set-up and the molecule stage (output at its stage)"
  core216_t0=$SECONDS
  "$HERE/core216.sh" "$COLL" > "$W/core216.log" 2>&1 &
  core216_pid=$!
fi
if [ ${#STATIC[@]} -gt 0 ]; then
  stamp "static stages (${STATIC[*]}): started beside the set-up and the molecule stage (output after it)"
  static_t0=$SECONDS
  PYTEST_ARGS=${PYTEST_ARGS:-} TEST_TIMELINE_SUFFIX=-static "$HERE/test.sh" "${STATIC[@]}" > "$W/static.log" 2>&1 &
  static_pid=$!
fi
if [ -n "$hosts_pid" ]; then
  wait "$hosts_pid" || hosts_ok=0
  stamp "set-up: test-host images $([ $hosts_ok = 1 ] && echo ready || echo FAILED)"
  [ $hosts_ok = 1 ] || tail -n 30 "$W/setup-hosts.log"
fi

for s in "${STAGES[@]}"; do
  t0=$SECONDS
  case $s in
    unit)
      stamp "unit: pytest tests/unit"
      # promtool checks the early_warning textfile and alert rules; without it those tests fail, not skip
      "$HERE/get-promtool.sh" >/dev/null || echo "unit: could not get promtool from Debian's prometheus package"
      rm -f "$W/unit.xml"
      (cd "$COLL" && PYTHONPATH=$ROOT/.work/collections python -m pytest -q -p no:cacheprovider \
         --junitxml="$W/unit.xml" tests/unit "${PYTEST_EXTRA[@]}")
      read -r p f < <(python "$HERE/junit_counts.py" "$W/unit.xml")
      count unit "$p" "$f" $((SECONDS-t0)) ;;
    specs)
      stamp "specs: defaults/main.yml against meta/argument_specs.yml"
      out=$(python "$HERE/check_argument_specs.py" roles); rc=$?; echo "$out"
      p=$(grep -c '^ok ' <<<"$out"); f=$(grep -c '^FAIL ' <<<"$out")
      [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
      count specs "$p" "$f" $((SECONDS-t0)) ;;
    sanity)
      stamp "sanity: ansible-test sanity --python 3.11 (own venv)"
      if ! command -v shellcheck >/dev/null && [ "$(id -u)" = 0 ]; then   # the shellcheck sanity test needs it
        apt-get update -q >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -q shellcheck >/dev/null
      fi
      out=$("$HERE/sanity.sh" "$COLL" 2>&1); rc=$?; echo "$out" | tail -n 60
      p=$(grep -cE '^Running sanity test ' <<<"$out"); f=$(grep -cE '^ERROR: Found [0-9]+ .* issue' <<<"$out")
      [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
      p=$((p-f)); [ "$p" -ge 0 ] || p=0
      count sanity "$p" "$f" $((SECONDS-t0)) ;;
    lint)
      stamp "lint: ansible-lint (production) and yamllint"
      p=0; f=0
      # lint the working tree's copy, never a stale install under ~/.ansible/collections: ansible-lint puts
      # $ANSIBLE_HOME/collections first, so it gets a home of its own
      if (cd "$COLL" && ANSIBLE_HOME=$W/lint-home ANSIBLE_COLLECTIONS_PATH=$ROOT/.work/collections ansible-lint --offline -q); then p=$((p+1)); else f=$((f+1)); fi
      if yamllint -s .; then p=$((p+1)); else f=$((f+1)); fi
      count lint "$p" "$f" $((SECONDS-t0)) ;;
    build)
      stamp "build: ansible-galaxy collection build/install --offline, ansible-doc of every plugin"
      out=$("$HERE/build-check.sh" 2>&1); rc=$?; echo "$out"
      p=$(grep -c '^ok ' <<<"$out"); f=$(grep -c '^FAIL ' <<<"$out")
      [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
      count build "$p" "$f" $((SECONDS-t0)) ;;
    molecule)
      if [ $hosts_ok = 1 ]; then
        stamp "molecule: every scenario, in two lanes (kernel-global ones one at a time, the others beside them)"
        # tee to a file of our own: tee to /dev/stderr would reopen (and truncate) a log file we write to
        ran_molecule=1
        MOLECULE_PARALLEL=${MOLECULE_PARALLEL:-1} MOLECULE_SKIP=$MOLECULE_SKIP CORE216_CONVERGE=$CORE216_CONVERGE "$HERE/molecule.sh" "${SCENARIOS[@]}" 2>&1 | tee "$W/molecule-all.log"; rc=${PIPESTATUS[0]}
        read -r p f < <(sed -nE 's/^molecule: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$W/molecule-all.log" | tail -n1)
        p=${p:-0}; f=${f:-1}; [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
        count molecule "$p" "$f" $((SECONDS-t0))
      else
        stamp "molecule: not run, the set-up of the test hosts failed"; count molecule 0 1 0
      fi
      if [ -n "$static_pid" ]; then
        wait "$static_pid"; rc=$?
        stamp "static stages (ran beside the molecule stage from ${static_t0}s):"; cat "$W/static.log"
        n=0
        while read -r name a b secs; do
          count "$name" "$a" "$b" "$secs"; n=$((n+1))
        done < <(sed -nE 's/^([a-z0-9]+) +([0-9]+) passed +([0-9]+) failed +([0-9]+)s$/\1 \2 \3 \4/p' "$W/static.log")
        # a child that died before its table: every stage it did not report counts as failed, never as nothing
        [ "$n" -ge ${#STATIC[@]} ] || count static 0 $((${#STATIC[@]}-n)) $((SECONDS-static_t0))
        [ "$rc" -eq 0 ] || grep -qE '^[0-9]+ passed, [1-9]' "$W/static.log" || count static 0 1 0
      fi ;;
    release)
      stamp "release: antsibull-changelog lint, antsibull-docs lint-collection-docs, ansible-builder create, galaxy-importer"
      out=$("$HERE/release-check.sh" "$COLL" 2>&1); rc=$?; echo "$out"
      p=$(grep -c '^ok ' <<<"$out"); f=$(grep -c '^FAIL ' <<<"$out")
      [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
      count release "$p" "$f" $((SECONDS-t0)) ;;
    job)
      stamp "job: an AWX-style diagnose job (read-only working directory, one unreachable host)"
      out=$("$HERE/job-check.sh" "$ROOT/.work/collections" 2>&1); rc=$?; echo "$out"
      p=$(grep -c '^ok ' <<<"$out"); f=$(grep -c '^FAIL ' <<<"$out")
      [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
      count job "$p" "$f" $((SECONDS-t0)) ;;
    core216)
      stamp "core216: the oldest supported ansible-core: unit, sanity, the job (and CORE216_SCENARIOS)"
      if [ -n "$core216_pid" ]; then
        wait "$core216_pid"; rc=$?; cat "$W/core216.log"; t0=$core216_t0
      else
        "$HERE/core216.sh" "$COLL" 2>&1 | tee "$W/core216.log"; rc=${PIPESTATUS[0]}
      fi
      p=0; f=0
      while read -r a b; do p=$((p+a)); f=$((f+b)); done < <(sed -nE 's/^core216 [a-z -]+:(.* )?([0-9]+) passed, ([0-9]+) failed.*$/\2 \3/p' "$W/core216.log")
      [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
      count core216 "$p" "$f" $((SECONDS-t0)) ;;
    *) echo "unknown stage $s"; count "$s" 0 1 0 ;;
  esac
done
echo
echo "stage       passed    failed    time"
printf '%s\n' "${report[@]}"
# the VM stage (cgroup v2 on qemu, after both podman lanes) is part of the molecule stage: its own time
[ -z "${ran_molecule:-}" ] || sed -nE 's/^\[molecule\] (vm stage: [0-9]+ s)$/(\1 of the molecule stage)/p' "$W/molecule-all.log"
# each scenario's time (its lane: kernel, containers or vm; core216 for those on the oldest core) and the images
# built for the run, so the next person sees where the molecule stage's time goes
scen_times() {  # lane-label (empty: the scenario's own lane) log
  sed -nE 's/^\[molecule\] ([^ :]+): (passed|FAILED).* in ([0-9]+) s( \(lane ([a-z]+)\))?.*$/\1 \3 \2 \5/p' "$2" \
  | while read -r name secs how ran; do
      kind=containers
      [[ " $KERNEL_LANE " != *" $name "* ]] || kind=kernel
      [[ " $VM_LANE " != *" $name "* ]] || kind=vm
      # the lane that ran it, when it is not the scenario's own kind (MOLECULE_PARALLEL's lanes share the work)
      [ -z "$ran" ] || [ "$ran" = "$kind" ] || kind="$kind>$ran"
      printf '  %-16s %-15s %5ds %s\n' "$name" "${1:-$kind}" "$secs" "$how"
    done
}
if [ -n "${ran_molecule:-}" ] || [[ " ${STAGES[*]} " == *" core216 "* ]]; then
  KERNEL_LANE=$(sed -nE 's/^KERNEL_SCENARIOS="(.*)"$/\1/p' "$HERE/molecule.sh")
  VM_LANE=$(sed -nE 's/^VM_SCENARIOS="(.*)"$/\1/p' "$HERE/molecule.sh")
  echo "scenario         lane         time"
  [ -z "${ran_molecule:-}" ] || scen_times "" "$W/molecule-all.log"
  [[ " ${STAGES[*]} " != *" core216 "* ]] || [ ! -s "$W/molecule-core216.log" ] || scen_times core216 "$W/molecule-core216.log"
  [ -z "${ran_molecule:-}" ] || sed -nE 's/^\[molecule\] ((vm|derived) image .*)$/  \1/p' "$W/molecule-all.log"
fi
# the VM images' build of the set-up (tools/molecule.sh's own line above says 'cached' then)
if [ -n "$vmimg_pid" ]; then
  wait "$vmimg_pid" || echo "set-up: the VM images' build failed (.work/vm-images-setup.log)"
  sed -nE 's/^(vm image .*)$/  \1 (set-up)/p' "$W/vm-images-setup.log"
fi
echo "total time $((SECONDS-t_start))s"
echo "$P passed, $F failed"
[ "$F" -eq 0 ]
