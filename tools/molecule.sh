#!/usr/bin/env bash
# Run molecule scenarios in two lanes. The kernel (so swap, vm.* sysctls and host-wide memory) is shared with
# the test hosts: the scenarios in KERNEL_SCENARIOS change or judge that state, so they run one at a time under
# the machine-wide kernel lock, and host-global state is restored after each whatever happens. The others only
# touch their own containers: they run one at a time under a second lock, and with MOLECULE_PARALLEL=1 (what
# make test uses) beside the kernel lane, which roughly halves the wall time of the molecule stage. There the two
# lanes share the work: the kernel lane, done with its own, takes the next container scenario too (under its lock).
# usage: tools/molecule.sh [scenario ...]      (default: every molecule/*/molecule.yml)
#        MOLECULE_CMD=converge tools/molecule.sh swap   (one step, for development)
#        MOLECULE_SKIP='diagnose swap' tools/molecule.sh   (every scenario but those)
#        MOLECULE_PARALLEL=1 tools/molecule.sh   (the two lanes at once)
#        MOLECULE_PARALLEL=1 MOLECULE_VM_BESIDE=0 tools/molecule.sh   (the VM scenarios after both lanes, alone)
# The scenarios in VM_SCENARIOS run on qemu VMs with a kernel of their own (cgroup v2; tools/build-vm-images.sh,
# molecule/_shared/vm). Their images are built (or found cached) beside the podman lanes. Two VMs fill both cores:
# run alone, such a scenario holds both lanes' locks; with MOLECULE_PARALLEL=1 it is the last job of the lanes, taken
# by the first lane free once every container scenario is taken, and runs beside the other lane's last scenarios
# (not after both lanes: the stage is the longest job of make test). One VM scenario runs at a time machine-wide
# (a lock of its own: the SSH forwards' ports). The stage prints its own time. VMs are destroyed whatever happens
# (failure, Ctrl-C), and the stage fails if a qemu of the run directory is left. HEADROOM_VM_STAGE=0 leaves them
# out of the default list (and says so).
# A scenario with a recipe of its own (molecule/<scenario>/Containerfile*: engines, runtimes) runs on images built
# from it (tools/build-images.sh --derived, cached until the recipe changes): built beside the lanes, and such
# scenarios run last in their lane, each waiting for its image.
# Ends with the line 'molecule: N passed, N failed'.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE=$ROOT/tools
# shellcheck source=tools/podman-env.sh
. "$HERE/podman-env.sh"
VENV=${HEADROOM_VENV:-$ROOT/.venv}   # tools/core216.sh runs the scenarios from the oldest-core venv
export PATH=$VENV/bin:$PATH
export HEADROOM_COLLECTIONS_PATH=$ROOT/.work/collections
export NO_COLOR=1 ANSIBLE_FORCE_COLOR=0 PY_COLORS=0 ANSIBLE_NOCOLOR=1
CMD=${MOLECULE_CMD:-test}
LOGDIR=$ROOT/.work; mkdir -p "$LOGDIR"
# swap files, vm.* sysctls, earlyoom/oomd and fleet-wide OOM kill histories: one at a time, host state restored
KERNEL_SCENARIOS=" swap swap-refusals diagnose early_warning remediate containers fleet "
# qemu VMs (cgroup v2, own kernel): alone, or the last job of MOLECULE_PARALLEL's lanes
VM_SCENARIOS=" cgroup-v2 "
export HEADROOM_VM_DIR=${HEADROOM_VM_DIR:-$ROOT/.work/vm}
SYSCTLS="vm.swappiness vm.vfs_cache_pressure vm.overcommit_memory vm.overcommit_ratio vm.min_free_kbytes vm.panic_on_oom vm.oom_kill_allocating_task"

cd "$ROOT" || exit 1
SCEN=("$@")
if [ ${#SCEN[@]} -eq 0 ]; then
  # every scenario but those in MOLECULE_SKIP (space-separated: tools/test.sh leaves out what core216 runs)
  for f in molecule/*/molecule.yml; do
    s=$(basename "$(dirname "$f")")
    [[ " ${MOLECULE_SKIP:-} " == *" $s "* ]] && continue
    # a developer's quick run may leave the VM stage out; it is never left out silently
    if [[ "$VM_SCENARIOS" == *" $s "* ]] && [ "${HEADROOM_VM_STAGE:-1}" = 0 ]; then
      echo "[molecule] $s: not run (HEADROOM_VM_STAGE=0)"; continue
    fi
    SCEN+=("$s")
  done
fi

restore_host() {  # $1 = scenario
  local s=$1 c p
  # swap files a scenario's containers left active: /proc/swaps shows the in-container path
  for c in $(podman ps -a --format '{{.Names}}' 2>/dev/null | grep -E "^${s}-" || true); do
    podman exec "$c" sh -c 'awk "NR>1 && \$2==\"file\" {print \$1}" /proc/swaps | while read -r f; do [ -f "$f" ] && swapoff "$f"; done' >/dev/null 2>&1 || true
  done
  # a container removed while its swap was active keeps its rootfs: swapoff through the storage path
  tail -n +2 /proc/swaps | awk '$2=="file" {print $1}' | while read -r p; do
    for f in "$HEADROOM_WORK"/storage/vfs/dir/*"$p"; do [ -f "$f" ] && swapoff "$f" 2>/dev/null; done
  done
  for kv in ${HOST_SYSCTLS//,/ }; do sysctl -q -w "$kv" >/dev/null 2>&1 || true; done
}

vm_down() {  # scenario: destroy its VMs (molecule, then by pidfile); fails when a qemu of the run dir is left
  local s=$1 run=$HEADROOM_VM_DIR/run/$1 left
  if compgen -G "$run/*.pid" >/dev/null; then
    molecule destroy -s "$s" >> "$LOGDIR/molecule-$s${HEADROOM_LOG_SUFFIX:-}.log" 2>&1 || true
    "$HERE/vm-stop.sh" "$run"/*.pid || true
  fi
  left=$(pgrep -af -- "$HEADROOM_VM_DIR/run/" | grep qemu-system || true)
  [ -z "$left" ] || { echo "[molecule] $s: qemu still running after destroy: $left"; return 1; }
}

# ansible-core 2.16, the oldest supported, converges every role: the scenarios in CORE216_CONVERGE (tools/test.sh
# sets it from tools/core216.sh --list-converge) run their test sequence step by step with one more converge,
# from the oldest core's venv, right after idempotence, on the same hosts (no second create or prepare)
CORE216_VENV=$ROOT/.work/venv-core216
scenario_run() {  # scenario: molecule $CMD, or the test sequence with the oldest core's converge in it
  local s=$1 step rc=0 first=1
  if [ "$CMD" != test ] || [[ " ${CORE216_CONVERGE:-} " != *" $s "* ]] || grep -q 'test_sequence:' "molecule/$s/molecule.yml"; then
    molecule "$CMD" -s "$s"; return
  fi
  "$HERE/setup-venv.sh" .work/venv-core216 requirements-core216.txt || return 1
  # Run alone, a molecule subcommand runs its own sequence (check: destroy, create, prepare, converge, check,
  # cleanup, destroy; destroy: cleanup first), and MOLECULE_PARALLEL (this script's lane switch) turns on
  # molecule's parallel mode, which renames the hosts: here each subcommand runs its one action, without it.
  local base=$LOGDIR/molecule-one-step.yml
  python - "$base" <<'PY' || return 1
import sys, yaml
steps = ("check", "cleanup", "converge", "create", "dependency", "destroy", "idempotence", "prepare", "side_effect",
         "syntax", "verify")
with open(sys.argv[1], "w") as f:
    yaml.safe_dump({"scenario": dict(("%s_sequence" % s, [s]) for s in steps)}, f)
PY
  one() { env -u MOLECULE_PARALLEL molecule -c .config/molecule/config.yml -c "$base" "$@"; }
  for step in $(python -c 'import sys, yaml; print(" ".join(yaml.safe_load(open(sys.argv[1]))["scenario"]["test_sequence"]))' .config/molecule/config.yml); do
    case $step in
      # the first destroy only clears what an earlier run left
      destroy) [ "$first" = 1 ] && { first=0; one destroy -s "$s" || true; continue; }
               one destroy -s "$s" || { rc=1; break; } ;;
      idempotence)
        one idempotence -s "$s" || { rc=1; break; }
        echo "INFO     $s ➜ converge on the oldest core: $("$CORE216_VENV/bin/ansible" --version | sed -n 1p)"
        PATH=$CORE216_VENV/bin:$PATH one converge -s "$s" || { rc=1; break; } ;;
      *) one "${step//_/-}" -s "$s" || { rc=1; break; } ;;
    esac
  done
  if [ $rc -ne 0 ]; then one cleanup -s "$s"; one destroy -s "$s"; fi
  return $rc
}

run_lane() {  # lane-name scenario...: run them in order; prints '[molecule] lane <name>: P F' last
  # With LANE_CLAIM=1 (MOLECULE_PARALLEL's two lanes) a scenario is run by the first lane that claims it (an atomic
  # mkdir): the kernel lane runs the kernel scenarios, then takes what is left of the container scenarios (they
  # touch only their own containers: safe in either lane), then the VM scenarios, so neither lane idles while the
  # other has work. A scenario runs under its lane's lock, whatever its kind.
  local lane=$1 s lock rc t0 log swaps_before kind t_claim t_run t_vm pass=0 fail=0; shift
  if [ "$lane" = kernel ]; then lock=$HEADROOM_WORK/molecule.lock; else lock=$HEADROOM_WORK/molecule-containers.lock; fi
  exec 9>"$lock"
  # one VM scenario at a time machine-wide (the SSH forwards' ports are the machine's)
  exec 7>"$HEADROOM_WORK/molecule-vm.lock"
  # run alone, the VM lane holds the kernel lock too, so that another run's podman scenarios do not share the cores
  # its two VMs fill; in MOLECULE_PARALLEL's lanes it holds the lock of the lane that runs it, beside the other lane
  if [ "$lane" = vm ]; then exec 8>"$HEADROOM_WORK/molecule.lock"; fi
  for s in "$@"; do
    if [ "${LANE_CLAIM:-0}" = 1 ]; then mkdir "$OUT/claim-$s" 2>/dev/null || continue; fi
    t_claim=$(date +%s)
    kind=containers
    if [[ "$VM_SCENARIOS" == *" $s "* ]]; then kind=vm; elif [[ "$KERNEL_SCENARIOS" == *" $s "* ]]; then kind=kernel; fi
    [ -f "molecule/$s/molecule.yml" ] || { echo "no scenario molecule/$s" >&2; fail=$((fail+1)); echo "[molecule] $s: FAILED (no scenario)"; continue; }
    if has_image "$s"; then
      # its image, built beside the lanes: polled for, never slept on blindly
      t0=$SECONDS
      while [ ! -s "$OUT/image-$s.rc" ]; do sleep 2; done
      [ $((SECONDS-t0)) -lt 2 ] || echo "[molecule] $s: waited $((SECONDS-t0)) s for its image"
      if [ "$(cat "$OUT/image-$s.rc")" != 0 ]; then
        fail=$((fail+1)); echo "[molecule] $s: FAILED (its image was not built; log: $IMGLOG)"
        tail -n 20 "$IMGLOG" | sed 's/^/    /'; continue
      fi
    fi
    if [ "$kind" = vm ]; then
      # the VM stage: its images, built (or found cached) beside the podman lanes; its own time
      t_vm=$SECONDS
      echo "[molecule] vm stage (qemu VMs, cgroup v2): $s (lane $lane)"
      while [ ! -s "$OUT/vm-images.rc" ]; do sleep 2; done
      [ $((SECONDS-t_vm)) -lt 2 ] || echo "[molecule] $s: waited $((SECONDS-t_vm)) s for the VM images"
      # each image's line (built in N s, or cached); the whole log only when the build failed
      if [ "$(cat "$OUT/vm-images.rc")" = 0 ]; then
        grep '^vm image ' "$LOGDIR/vm-images.log" | sed 's/^/[molecule] /'
      else
        tail -n 40 "$LOGDIR/vm-images.log" | sed 's/^/[molecule] /'
        fail=$((fail+1)); echo "[molecule] $s: FAILED (VM images not built)"; continue
      fi
      flock 7
      if [ "$lane" = vm ]; then flock 8; fi
    fi
    flock 9
    "$HERE/sync-collection.sh" >/dev/null
    if [ "$kind" = kernel ]; then
      HOST_SYSCTLS=$(for k in $SYSCTLS; do printf '%s=%s,' "$k" "$(sysctl -n "$k")"; done)
      export HEADROOM_HOST_SYSCTLS=${HOST_SYSCTLS%,}
      # a swap left active by an earlier aborted run would make podman fail to remove that container
      restore_host "$s"
    else
      # the kernel lane may be mid-scenario: restoring "the machine's" sysctls now would undo its settings
      HOST_SYSCTLS=; export HEADROOM_HOST_SYSCTLS=
    fi
    swaps_before=$(tail -n +2 /proc/swaps | wc -l)
    t0=$SECONDS; t_run=$(date +%s)
    log=$LOGDIR/molecule-$s${HEADROOM_LOG_SUFFIX:-}.log
    echo "[molecule] $s: molecule $CMD (log: $log)"
    if [ "$CMD" = test ] && [ "$kind" = kernel ]; then
      trap 'restore_host "$s"' EXIT INT TERM
      scenario_run "$s" > "$log" 2>&1; rc=$?
      restore_host "$s"; trap - EXIT INT TERM
    elif [ "$kind" = vm ]; then
      # no VM outlives the run: destroyed on failure and on interruption, and checked
      trap 'trap - EXIT; vm_down "$s"; exit 130' INT TERM
      trap 'vm_down "$s"' EXIT
      molecule "$CMD" -s "$s" > "$log" 2>&1; rc=$?
      if [ "$CMD" = test ] || [ $rc -ne 0 ]; then vm_down "$s" || rc=1; fi
      trap - EXIT INT TERM
    else
      scenario_run "$s" > "$log" 2>&1; rc=$?
    fi
    flock -u 9
    if [ "$kind" = vm ]; then flock -u 7; [ "$lane" != vm ] || flock -u 8; fi
    if [ $rc -eq 0 ]; then
      pass=$((pass+1)); echo "[molecule] $s: passed in $((SECONDS-t0)) s (lane $lane)"
    else
      fail=$((fail+1)); echo "[molecule] $s: FAILED (rc $rc) in $((SECONDS-t0)) s (lane $lane); last lines:"
      tail -n 80 "$log" | sed 's/^/    /'
    fi
    [ "$kind" != vm ] || echo "[molecule] vm stage: $((SECONDS-t_vm)) s"
    # the run's timeline (bench/suite_stages reads it): picked by the lane, started (image and lock waited for), ended
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$kind" "$lane" "$t_claim" "$t_run" "$(date +%s)" "$rc" >> "$TIMELINE"
    if [ "$CMD" = test ] && [ "$kind" = kernel ] && [ "$(tail -n +2 /proc/swaps | wc -l)" != "$swaps_before" ]; then
      echo "[molecule] WARNING: $s left swap active:"; cat /proc/swaps
    fi
  done
  echo "[molecule] lane $lane: $pass $fail"
}

# a scenario with an image of its own (molecule/<scenario>/Containerfile*: engines, runtimes installed once)
has_image() { compgen -G "molecule/$1/Containerfile*" >/dev/null; }
KERNEL=(); CONTAINERS=(); VMS=(); IMAGES=()
# those with an image of their own last in their lane, so that its build (beside the lanes) is done by then
for pass in plain image; do
  for s in "${SCEN[@]}"; do
    if has_image "$s"; then [ $pass = image ] || continue; else [ $pass = plain ] || continue; fi
    if [[ "$VM_SCENARIOS" == *" $s "* ]]; then VMS+=("$s")
    elif [[ "$KERNEL_SCENARIOS" == *" $s "* ]]; then KERNEL+=("$s"); else CONTAINERS+=("$s"); fi
  done
done
# their images are built in the order they are needed: the container lane reaches its image scenarios first (its
# plain ones are shorter than the kernel lane's, which also takes core216's scenarios)
for s in "${CONTAINERS[@]}" "${KERNEL[@]}" "${VMS[@]}"; do ! has_image "$s" || IMAGES+=("$s"); done
# each invocation its own: two molecule.sh at once (make test's core216 stage, a developer's run) must not
# read each other's lane summaries
OUT=$(mktemp -d "$LOGDIR/molecule-lanes.XXXXXX")
TIMELINE=$LOGDIR/molecule-timeline${HEADROOM_LOG_SUFFIX:-}.tsv
printf 'scenario\tkind\tlane\tpicked\tstarted\tended\trc\n' > "$TIMELINE"
# the scenarios' own images: built (or found cached) one scenario after the other beside the lanes, each
# leaving its exit status in $OUT/image-<scenario>.rc, which run_lane waits for before that scenario
image_build_pid=; IMGLOG=$LOGDIR/derived-images${HEADROOM_LOG_SUFFIX:-}.log
if [ ${#IMAGES[@]} -gt 0 ]; then
  : > "$IMGLOG"
  for s in "${IMAGES[@]}"; do
    "$HERE/build-images.sh" --derived "$s" >> "$IMGLOG" 2>&1; echo $? > "$OUT/image-$s.rc"
  done &
  image_build_pid=$!
fi
# the VM images: built beside the podman lanes (mmdebstrap waits on the mirror and dpkg more than it computes),
# or found cached; the VM scenarios wait for $OUT/vm-images.rc
vm_build_pid=
if [ ${#VMS[@]} -gt 0 ]; then
  { "$HERE/build-vm-images.sh" bookworm trixie > "$LOGDIR/vm-images.log" 2>&1; echo $? > "$OUT/vm-images.rc"; } &
  vm_build_pid=$!
fi
: > "$OUT/kernel.out"; : > "$OUT/containers.out"; : > "$OUT/vm.out"
if [ "${MOLECULE_PARALLEL:-0}" = 1 ] && [ $((${#KERNEL[@]}+${#CONTAINERS[@]})) -gt 1 ]; then
  # Two lanes that share the work: the kernel lane runs the kernel scenarios one at a time, the other lane the
  # container scenarios; whichever lane is free takes the next container scenario (either lane may run one), and
  # the VM scenarios go to the first lane free once those are all taken. The VMs so run beside the other lane's
  # last scenarios instead of after both lanes. The container lane's lines go to a file and are printed when both
  # lanes are done, so lines do not interleave.
  # MOLECULE_VM_BESIDE=0: the VM scenarios after both lanes instead, alone, holding both locks (as run alone)
  LASTVMS=("${VMS[@]}"); [ "${MOLECULE_VM_BESIDE:-1}" = 0 ] || LASTVMS=()
  [ "${MOLECULE_VM_BESIDE:-1}" != 0 ] || VMS=()
  LANE_CLAIM=1 run_lane containers "${CONTAINERS[@]}" "${VMS[@]}" > "$OUT/containers.out" 2>&1 &
  bg=$!
  LANE_CLAIM=1 run_lane kernel "${KERNEL[@]}" "${CONTAINERS[@]}" "${VMS[@]}" | tee "$OUT/kernel.out"
  wait "$bg"
  cat "$OUT/containers.out"
  [ ${#LASTVMS[@]} -eq 0 ] || run_lane vm "${LASTVMS[@]}" | tee "$OUT/vm.out"
else
  { [ ${#KERNEL[@]} -eq 0 ] || run_lane kernel "${KERNEL[@]}"; } | tee "$OUT/kernel.out"
  { [ ${#CONTAINERS[@]} -eq 0 ] || run_lane containers "${CONTAINERS[@]}"; } | tee "$OUT/containers.out"
  # the VM stage alone: after the podman lanes (two VMs fill both cores), holding both locks
  [ ${#VMS[@]} -eq 0 ] || run_lane vm "${VMS[@]}" | tee "$OUT/vm.out"
fi
# a VM image build nobody waited for (its scenarios failed first) is not left behind
[ -z "$vm_build_pid" ] || wait "$vm_build_pid"
[ -z "$image_build_pid" ] || { wait "$image_build_pid"; grep '^derived image ' "$IMGLOG" | sed 's/^/[molecule] /' | sort -u; }
pass=0; fail=0
while read -r p f; do pass=$((pass+p)); fail=$((fail+f)); done < <(sed -nE 's/^\[molecule\] lane [a-z]+: ([0-9]+) ([0-9]+)$/\1 \2/p' "$OUT/kernel.out" "$OUT/containers.out" "$OUT/vm.out")
failed=$(sed -nE 's/^\[molecule\] ([^ :]+): FAILED.*/\1/p' "$OUT/kernel.out" "$OUT/containers.out" "$OUT/vm.out" | tr '\n' ' ')
# a lane that died before its summary line: its unreported scenarios count as failed, never as nothing
if [ $((pass+fail)) -lt ${#SCEN[@]} ]; then fail=$((${#SCEN[@]}-pass)); failed="$failed(unreported)"; fi
rm -rf "$OUT"
[ -z "$failed" ] || echo "[molecule] failed: $failed"
echo "molecule: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
