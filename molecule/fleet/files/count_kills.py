"""headroom.memory fleet test: run one load (a shell command) in this container and count the OOM kills it caused,
by the kernel's own per-cgroup counters: every memory.oom_control's oom_kill in the container's memory cgroup tree
(cgroup v1: a kill is counted in its victim's own cgroup, not in the parents), polled while the load runs, so
a unit's cgroup that systemd removes after its kill and makes anew on restart still counts every kill. Prints:
{"kills": N, "by_cgroup": {path: n}, "rc": rc, "seconds": s}."""
import json
import os
import subprocess
import sys
import time

ROOT = "/sys/fs/cgroup/memory"


def counters():
    out = {}
    for top, _dirs, files in os.walk(ROOT):
        if "memory.oom_control" not in files:
            continue
        try:
            with open(os.path.join(top, "memory.oom_control")) as f:
                for line in f:
                    key, _sep, value = line.partition(" ")
                    if key == "oom_kill":
                        out[top[len(ROOT):] or "/"] = int(value)
        except OSError:  # removed while walking
            continue
    return out


if len(sys.argv) != 2:
    raise SystemExit("usage: count_kills.py 'shell command'")
base = counters()
if not base:
    raise SystemExit("no memory.oom_control with oom_kill under %s" % ROOT)
# a unit's cgroup is removed when its killed process is gone and made anew (its counter from 0) when systemd
# restarts it: a counter lower than last seen is a new cgroup of that path, whose kills add to the earlier ones
last, seen = dict(base), {}
start = time.time()
load = subprocess.Popen(["sh", "-c", sys.argv[1]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
settle = None
while True:
    now = counters()
    for path in set(last) - set(now):
        last[path] = 0  # gone: when it comes back, it is a new cgroup counting from 0
    for path, n in now.items():
        was = last.get(path, 0)
        seen[path] = seen.get(path, 0) + (n - was if n >= was else n)
        last[path] = n
    if load.poll() is not None:
        settle = settle or time.time() + 1.0  # a kill's counter is there before its process is reaped
        if time.time() > settle:
            break
    time.sleep(0.05)
by_cgroup = dict((p, n) for p, n in seen.items() if n > 0)
print(json.dumps({"kills": sum(by_cgroup.values()), "by_cgroup": by_cgroup, "rc": load.returncode,
                  "seconds": round(time.time() - start, 1)}, sort_keys=True))
