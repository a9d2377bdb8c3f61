#!/usr/bin/env bash
# Stop test VMs by their own pidfiles, never by name: a PID is signalled only when /proc/<pid>/comm is qemu's
# and its command line names that very pidfile (so a recycled PID is left alone). TERM, then KILL after 10 s;
# the pidfile is removed. Prints 'stopped <pidfile>' per VM stopped. usage: tools/vm-stop.sh PIDFILE...
set -uo pipefail
alive() {  # a daemonized qemu's parent is init: until it reaps it, a stopped qemu lingers as a zombie
  [ -d "/proc/$1" ] && ! grep -q '^[0-9]* (.*) Z ' "/proc/$1/stat" 2>/dev/null
}
rc=0
for pidfile in "$@"; do
  [ -f "$pidfile" ] || continue
  pid=$(head -c 32 "$pidfile" | tr -d '[:space:]')
  if [[ "$pid" =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/comm" ] && grep -q '^qemu' "/proc/$pid/comm" \
     && tr '\0' '\n' < "/proc/$pid/cmdline" | grep -qxF -- "$pidfile"; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 20); do alive "$pid" || break; sleep 0.5; done
    if alive "$pid"; then kill -9 "$pid" 2>/dev/null; sleep 0.5; fi
    if alive "$pid"; then echo "could not stop pid $pid ($pidfile)" >&2; rc=1; continue; fi
    echo "stopped $pidfile"
  fi
  rm -f "$pidfile"
done
exit $rc
