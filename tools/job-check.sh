#!/usr/bin/env bash
# An AWX/AAP-style job of the diagnose playbook, from the installed collection: the working directory is
# a read-only file system (as /runner/project may be) and one host of two is unreachable. The job must end
# non-zero with the unreachable host counted as unreachable, print the fleet table, say why the report
# was not written, and publish the fleet summary (set_stats); the unwritable report alone fails the job
# (diagnose_report_on_error: fail, the default) and passes with warn; the same job with a writable
# diagnose_report_dir must say where the files went and write them; bad variables must fail before any
# host is contacted. Prints 'ok <check>'/'FAIL <check>'.
# usage: tools/job-check.sh <collections path>   (needs root: the read-only mount is a tmpfs in a private
# mount namespace, so nothing outlives the check)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
COLLECTIONS=${1:?collections path}
W=$ROOT/.work/job; rm -rf "$W"; mkdir -p "$W/ro" "$W/kept"
rc=0
ok() { echo "ok $*"; }
fail() { echo "FAIL $*"; rc=1; }
check() { if grep -qE -- "$2" "$3"; then ok "$1"; else fail "$1 (no /$2/ in $3)"; fi; }
# this machine, read through the local connection, and an address on the loopback range nobody listens on
cat > "$W/inventory.ini" <<INV
[fleet]
reachable ansible_connection=local ansible_python_interpreter=$(command -v python3)
unreachable ansible_host=127.0.0.1 ansible_port=9 ansible_connection=ssh ansible_ssh_common_args='-o ConnectTimeout=5 -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'
INV
export ANSIBLE_COLLECTIONS_PATH=$COLLECTIONS ANSIBLE_SHOW_CUSTOM_STATS=1 ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
export ANSIBLE_INVENTORY=$W/inventory.ini ANSIBLE_LOCAL_TEMP=$W/tmp ANSIBLE_HOME=$W/home

# 1. read-only working directory, default diagnose_report_dir (relative: ./headroom-report)
# shellcheck disable=SC2016  # $1 is expanded by the inner sh
unshare --mount --propagation private sh -c '
  mount -t tmpfs -o ro,size=1m tmpfs "$1" && cd "$1" && exec ansible-playbook headroom.memory.diagnose -e diagnose_since=1h
' job "$W/ro" >"$W/readonly.log" 2>&1
status=$?
if [ "$status" -ne 0 ]; then ok "read-only job exits non-zero ($status)"; else fail "read-only job exits 0"; fi
check "recap counts the unreachable host as unreachable" '^unreachable +: ok=[0-9]+ +changed=0 +unreachable=1 ' "$W/readonly.log"
# diagnose_report_on_error: fail (the default): the report task fails the hosts still in the play
check "recap: the reachable host fails on the unwritten report only" '^reachable +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=1 ' "$W/readonly.log"
check "fleet table printed with both hosts" '"unreachable +- +- .*UNREACHABLE' "$W/readonly.log"
check "fleet table summary line" '2 host\(s\): 1 ok, 1 unreachable, 0 failed' "$W/readonly.log"
# ansible-core 2.16 wraps a warning at 80 columns (at a space or after a hyphen): compare without them
tr -d '\n ' <"$W/readonly.log" >"$W/readonly.joined"
check "warning says why the report was not written" '\[WARNING\]:cannotwritethereportunder[^:]*/headroom-report:\[Errno30\]Read-onlyfilesystem' "$W/readonly.joined"
check "the job says the report was not written" 'Report NOT written: cannot write the report' "$W/readonly.log"
check "the failure names the directory and the reason" 'ThereportwasNOTwritten:cannotwritethereportunder[^:]*/headroom-report:\[Errno30\]Read-onlyfilesystem' "$W/readonly.joined"
if python3 - "$W/readonly.log" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
m = re.search(r'CUSTOM STATS: \*+\n\s*RUN: (\{.*\})', text)
stats = json.loads(m.group(1))["headroom_diagnose"]
assert stats["hosts"] == 2 and stats["unreachable"] == 1 and stats["ok"] == 1, stats
assert stats["report_written"] is False and stats["kills"] >= 0 and "critical" in stats and "warning" in stats, stats
PY
then ok "custom stats: hosts 2, unreachable 1, report_written false"; else fail "custom stats (see $W/readonly.log)"; fi
if [ -z "$(ls -A "$W/ro")" ]; then ok "nothing written under the read-only directory"; else fail "files under $W/ro"; fi

# 1b. only the reachable host: the unwritten report alone makes the job fail (2); with
#     diagnose_report_on_error=warn it passes (0) with the warning
for mode in fail warn; do
  # shellcheck disable=SC2016  # $1 and $2 are expanded by the inner sh
  unshare --mount --propagation private sh -c '
    mount -t tmpfs -o ro,size=1m tmpfs "$1" && cd "$1" && exec ansible-playbook headroom.memory.diagnose -l reachable \
      -e diagnose_since=1h -e "diagnose_report_on_error=$2"
  ' job "$W/ro" "$mode" >"$W/readonly-$mode.log" 2>&1
  status=$?
  want=$([ "$mode" = fail ] && echo 2 || echo 0)
  if [ "$status" -eq "$want" ]; then ok "unwritable report, diagnose_report_on_error=$mode: exit $status"
  else fail "unwritable report, diagnose_report_on_error=$mode: exit $status, not $want (see $W/readonly-$mode.log)"; fi
done

# 2. the same job with the report kept on a writable volume
(cd "$W/ro" && ansible-playbook headroom.memory.diagnose -e diagnose_since=1h -e "diagnose_report_dir=$W/kept") >"$W/kept.log" 2>&1
status=$?
if [ "$status" -eq 4 ]; then ok "job with a writable report dir still exits 4 (unreachable)"; else fail "job exit $status, not 4"; fi
check "the job says where the report went" "Report: $W/kept/index.html" "$W/kept.log"
for f in index.html report.md report.json remedy-vars/reachable.yml; do
  if [ -s "$W/kept/$f" ]; then ok "report file $f"; else fail "report file $f missing"; fi
done

# 3. bad variables fail on the controller before any host is contacted: the unreachable host is not
#    counted unreachable, and the reachable one never ran memory_facts
for bad in diagnose_since=bogus diagnose_top=abc; do
  (cd "$W/kept" && ansible-playbook headroom.memory.diagnose -e "$bad") >"$W/bad-${bad%%=*}.log" 2>&1
  status=$?
  if [ "$status" -eq 2 ] && grep -qE '^unreachable +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=1 ' "$W/bad-${bad%%=*}.log" \
     && ! grep -q 'Read memory facts' "$W/bad-${bad%%=*}.log" && grep -q "${bad%%=*}" "$W/bad-${bad%%=*}.log"; then
    ok "-e $bad fails (2) before any host is contacted, naming the variable"
  else
    fail "-e $bad: exit $status (see $W/bad-${bad%%=*}.log)"
  fi
done
bad='{"diagnose_thresholds": {"available_crit_pct": 500}}'
(cd "$W/kept" && ansible-playbook headroom.memory.diagnose -e "$bad") >"$W/bad-thresholds.log" 2>&1
status=$?
if [ "$status" -eq 2 ] && ! grep -q 'Read memory facts' "$W/bad-thresholds.log" \
   && grep -q 'diagnose_thresholds.available_crit_pct: 500 is out of range: from 0 to 100' "$W/bad-thresholds.log"; then
  ok "-e $bad fails (2) before any host is contacted, naming the key and the value"
else
  fail "-e $bad: exit $status (see $W/bad-thresholds.log)"
fi
exit $rc
