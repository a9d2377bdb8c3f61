"""Memory programs for the cgroup-v2 scenario (no packages beyond python3).

Above memory.high the kernel reclaims and makes every allocating task sleep in proportion to the square of
the overage: crossing 8 MiB from memory.high to memory.max took minutes on an emulated CPU, so the units keep
memory.high close to memory.max (36M of 40M, 94M of 96M).

install        (run by prepare through ansible.builtin.script: no module payload to unpack on an emulated CPU)
               waits for systemd, copies this program to /usr/local/bin, installs the three units, starts hr-planted and hr-leak,
               records hr-leak's PID in /var/tmp/hr-leak.pid, and marks the apt cache fresh: a VM reaches no
               network, its image holds the packages the roles would install (tools/build-vm-images.sh), and a
               role's apt task (cache_valid_time) then finds them installed instead of failing to update
planted        runs in hr-planted.service (MemoryMax=40M, MemoryHigh=36M, MemorySwapMax=0, OOMPolicy=continue):
               a child leaks until the kernel OOM-kills it in the unit's cgroup; the unit lives on, the child's
               exit status goes to /var/tmp/hr-planted.child
drip B R CAP   runs in hr-drip.service (installed, not started; no limits): holds B MiB, then leaks R MiB a
               second up to CAP MiB, for diagnose to find and remediate to contain
leak SNAPSHOT  runs in hr-leak.service (no limits until service_limits gives them to the running process);
               sleeps until SIGUSR1, then leaks in 2 MiB steps; once the kernel counted a memory.high event it
               writes its cgroup's files (and its PID) to SNAPSHOT, then takes 256 MiB at once: the OOM killer ends it
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

STEP = 2 * 1024 * 1024
PROGRAM = "/usr/local/bin/hr-mem.py"
UNITS = (
    ("hr-planted.service", "planted", "MemoryMax=40M\nMemoryHigh=36M\nMemorySwapMax=0\nOOMPolicy=continue\n"),
    ("hr-leak.service", "leak /var/tmp/hr-leak.snapshot", ""),
)
# installed, not started: side_effect starts it right before diagnose reads the VM
DRIP = ("hr-drip.service", "drip 400 1 800", "")
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


def leak(cg, snapshot=None):
    """Leak 2 MiB at a time until the kernel has counted a memory.high event; then record the cgroup's files
    (with ``snapshot``) and take 256 MiB in one go. Near the limits the kernel evicts this interpreter's own
    code pages, and crawling on past memory.high thrashes for minutes: one tight memset reaches memory.max."""
    chunks = []
    while True:
        chunks.append(b"\x01" * STEP)
        if events(cg).get("high", 0) > 0:
            break
    if snapshot:
        state = dict((name, read(cg, name)) for name in FILES)
        state["memory.events"] = events(cg)
        state["pid"] = os.getpid()
        with open(snapshot + ".tmp", "w") as f:
            json.dump(state, f)
        os.replace(snapshot + ".tmp", snapshot)
    chunks.append(b"\x01" * (256 * 1024 * 1024))


def drip(base_mib, mib_per_s, cap_mib):
    """A leak as diagnose meets it in a unit with no limit: hold ``base_mib``, then take ``mib_per_s`` more
    every second, up to ``cap_mib`` (so that a failed containment cannot take the VM down). Its PID goes to
    /var/tmp/hr-drip.pid: the verifier proves the containment neither restarted nor killed it."""
    with open("/var/tmp/hr-drip.pid", "w") as f:
        f.write("%d\n" % os.getpid())
    chunks = [b"\x01" * (base_mib << 20)]
    held = base_mib
    while True:
        if held < cap_mib:
            chunks.append(b"\x01" * (mib_per_s << 20))
            held += mib_per_s
        time.sleep(1)


def events(cg):
    return dict((k, int(v)) for k, v in (line.split() for line in (read(cg, "memory.events") or "").splitlines()))


def install():
    state = subprocess.run(["systemctl", "is-system-running", "--wait"], stdout=subprocess.PIPE,
                           universal_newlines=True, check=False).stdout.strip()
    if state not in ("running", "degraded"):
        raise SystemExit("systemd did not finish booting: %s" % state)
    shutil.copyfile(os.path.abspath(__file__), PROGRAM)
    for name, args, extra in UNITS + (DRIP,):
        with open("/etc/systemd/system/" + name, "w") as f:
            f.write("[Service]\nExecStart=/usr/bin/python3 %s %s\n%s" % (PROGRAM, args, extra))
    subprocess.check_call(["systemctl", "daemon-reload"])
    subprocess.check_call(["systemctl", "start"] + [name for name, _a, _e in UNITS])
    pid = subprocess.check_output(["systemctl", "show", "-p", "MainPID", "--value", "hr-leak.service"])
    with open("/var/tmp/hr-leak.pid", "w") as f:
        f.write(pid.decode().strip() + "\n")
    os.makedirs("/var/lib/apt/periodic", exist_ok=True)
    with open("/var/lib/apt/periodic/update-success-stamp", "w"):
        pass


def main(mode, *args):
    if mode == "install":
        install()
    elif mode == "child":
        leak(cgroup_dir())
    elif mode == "planted":
        rc = subprocess.call([sys.executable, os.path.abspath(__file__), "child"])
        with open("/var/tmp/hr-planted.child", "w") as f:
            f.write("%d\n" % rc)
        while True:
            time.sleep(3600)
    elif mode == "drip":
        drip(*(int(a) for a in args))
    elif mode == "leak":
        signalled = []
        signal.signal(signal.SIGUSR1, lambda *_: signalled.append(True))
        while not signalled:
            signal.pause()
        leak(cgroup_dir(), args[0])
    else:
        raise SystemExit("usage: hr-mem.py install | planted | leak SNAPSHOT | drip BASE_MIB MIB_PER_S CAP_MIB")


if __name__ == "__main__":
    main(*sys.argv[1:])
