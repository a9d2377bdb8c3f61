"""headroom.memory fleet test: run one load (a shell command) in this container and count the OOM kills it caused,
by the kernel's own per-cgroup counters: every memory.oom_control's oom_kill in the container's memory cgroup tree
(cgroup v1: a kill is counted in the cgroup whose limit was hit, not in its parents), polled while the load runs,
so a unit's cgroup that systemd removes after its kill still counts. Prints one JSON line:
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
                    key, _, value = line.partition(" ")
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
peak = dict(base)
start = time.time()
load = subprocess.Popen(["sh", "-c", sys.argv[1]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
settle = None
while True:
    for path, n in counters().items():
        peak[path] = max(n, peak.get(path, 0))
    if load.poll() is not None:
        settle = settle or time.time() + 1.0  # a kill's counter is there before its process is reaped
        if time.time() > settle:
            break
    time.sleep(0.05)
by_cgroup = dict((p, n - base.get(p, 0)) for p, n in peak.items() if n - base.get(p, 0) > 0)
print(json.dumps({"kills": sum(by_cgroup.values()), "by_cgroup": by_cgroup, "rc": load.returncode,
                  "seconds": round(time.time() - start, 1)}, sort_keys=True))
