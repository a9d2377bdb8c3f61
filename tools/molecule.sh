#!/usr/bin/env bash
# Run molecule scenarios one after another (the kernel, so swap and vm.* sysctls, is shared with the
# test hosts), each under a machine-wide lock, and restore host-global state whatever happens.
# usage: tools/molecule.sh [scenario ...]      (default: every molecule/*/molecule.yml)
#        MOLECULE_CMD=converge tools/molecule.sh swap   (one step, for development)
#        MOLECULE_SKIP='diagnose swap' tools/molecule.sh   (every scenario but those)
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
SYSCTLS="vm.swappiness vm.vfs_cache_pressure vm.overcommit_memory vm.overcommit_ratio vm.min_free_kbytes vm.panic_on_oom vm.oom_kill_allocating_task"

cd "$ROOT" || exit 1
SCEN=("$@")
if [ ${#SCEN[@]} -eq 0 ]; then
  # every scenario but those in MOLECULE_SKIP (space-separated: tools/test.sh leaves out what core216 runs)
  for f in molecule/*/molecule.yml; do
    s=$(basename "$(dirname "$f")")
    [[ " ${MOLECULE_SKIP:-} " == *" $s "* ]] || SCEN+=("$s")
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

pass=0; fail=0; failed=()
exec 9>"$HEADROOM_WORK/molecule.lock"
for s in "${SCEN[@]}"; do
  [ -f "molecule/$s/molecule.yml" ] || { echo "no scenario molecule/$s" >&2; fail=$((fail+1)); failed+=("$s"); continue; }
  flock 9
  "$HERE/sync-collection.sh" >/dev/null
  HOST_SYSCTLS=$(for k in $SYSCTLS; do printf '%s=%s,' "$k" "$(sysctl -n "$k")"; done)
  export HEADROOM_HOST_SYSCTLS=${HOST_SYSCTLS%,}
  # a swap left active by an earlier aborted run would make podman fail to remove that container
  restore_host "$s"
  swaps_before=$(tail -n +2 /proc/swaps | wc -l)
  t0=$SECONDS
  log=$LOGDIR/molecule-$s${HEADROOM_LOG_SUFFIX:-}.log
  echo "[molecule] $s: molecule $CMD (log: $log)"
  if [ "$CMD" = test ]; then
    trap 'restore_host "$s"' EXIT INT TERM
    molecule test -s "$s" > "$log" 2>&1; rc=$?
    restore_host "$s"; trap - EXIT INT TERM
  else
    molecule "$CMD" -s "$s" > "$log" 2>&1; rc=$?
  fi
  flock -u 9
  if [ $rc -eq 0 ]; then
    pass=$((pass+1)); echo "[molecule] $s: passed in $((SECONDS-t0)) s"
  else
    fail=$((fail+1)); failed+=("$s"); echo "[molecule] $s: FAILED (rc $rc) in $((SECONDS-t0)) s; last lines:"
    tail -n 80 "$log" | sed 's/^/    /'
  fi
  if [ "$CMD" = test ] && [ "$(tail -n +2 /proc/swaps | wc -l)" != "$swaps_before" ]; then
    echo "[molecule] WARNING: $s left swap active:"; cat /proc/swaps
  fi
done
[ ${#failed[@]} -eq 0 ] || echo "[molecule] failed: ${failed[*]}"
echo "molecule: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
