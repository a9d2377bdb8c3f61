"""Memory programs for the cgroup-v2 scenario (no packages beyond python3).

Above memory.high the kernel makes every allocating task sleep in proportion to the square of the overage
(up to 2 s per 64 pages), so the units keep memory.high within about 10% of memory.max: the leak then reaches
memory.max in seconds instead of crawling for minutes.

planted        a child leaks until the kernel OOM-kills it inside this unit's cgroup; the unit lives on
               (OOMPolicy=continue), the child's exit status goes to /var/tmp/hr-planted.child
leak SNAPSHOT  sleeps until SIGUSR1, then leaks in 2 MiB steps; once memory.current is above memory.high it
               writes its cgroup's files (and its PID) to SNAPSHOT after every step, until the OOM killer ends it
"""
import json
import os
import signal
import subprocess
import sys
import time

STEP = 2 * 1024 * 1024
FILES = ("memory.max", "memory.high", "memory.swap.max", "memory.current", "memory.swap.current")


def cgroup_dir():
    with open("/proc/self/cgroup") as f:
        for line in f:
            if line.startswith("0::"):
                return "/sys/fs/cgroup" + line[3:].strip()
    raise SystemExit("not on cgroup v2")


def read(cg, name):
    try:
        with open(os.path.join(cg, name)) as f:
            return f.read().strip()
    except OSError:
        return None


def leak(cg=None, snapshot=None):
    chunks = []
    high = read(cg, "memory.high") if cg else None
    while True:
        chunks.append(b"\x01" * STEP)
        if snapshot and high not in (None, "max") and int(read(cg, "memory.current")) > int(high):
            state = dict((name, read(cg, name)) for name in FILES)
            state["memory.events"] = dict(line.split() for line in read(cg, "memory.events").splitlines())
            state["pid"] = os.getpid()
            with open(snapshot + ".tmp", "w") as f:
                json.dump(state, f)
            os.replace(snapshot + ".tmp", snapshot)


def main(mode, *args):
    if mode == "child":
        leak()
    elif mode == "planted":
        rc = subprocess.call([sys.executable, os.path.abspath(__file__), "child"])
        with open("/var/tmp/hr-planted.child", "w") as f:
            f.write("%d\n" % rc)
        while True:
            time.sleep(3600)
    elif mode == "leak":
        signalled = []
        signal.signal(signal.SIGUSR1, lambda *_: signalled.append(True))
        while not signalled:
            signal.pause()
        leak(cgroup_dir(), args[0])
    else:
        raise SystemExit("usage: hr-mem.py planted | leak SNAPSHOT")


if __name__ == "__main__":
    main(*sys.argv[1:])
