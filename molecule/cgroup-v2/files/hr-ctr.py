"""A live container on the VM's cgroup v2 (Docker on bookworm, Podman on trixie: Debian's packages, in the image).

start ENGINE   starts the engine (Docker's daemon is installed disabled), imports busybox-static's binary as the
               image localhost/hr-busybox:1 (no registry) and runs hr-box in it, without a memory limit
leak ENGINE    after the containers role limited hr-box live: records its limit as `inspect` has it and its
               cgroup v2 files (memory.max, memory.swap.max, memory.events), leaks inside it (a busybox sh doubling
               a string) until its own limit kills the leak, reads memory.events again and that the VM and
               hr-box are still up; prints it all as JSON. With --remove, then removes hr-box and stops the
               engine (bookworm: the leak diagnosis that follows reads the VM as it was)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

IMAGE = "localhost/hr-busybox:1"
NAME = "hr-box"


def run(*argv, **kw):
    return subprocess.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          check=kw.get("check", True))


def start(engine):
    if engine == "docker":
        run("systemctl", "start", "docker.service")
    root = tempfile.mkdtemp(prefix="hr-rootfs-")
    try:
        os.makedirs(root + "/bin")
        os.makedirs(root + "/tmp")
        shutil.copy("/bin/busybox", root + "/bin/busybox")
        for applet in run(root + "/bin/busybox", "--list").stdout.split():
            if not os.path.exists(root + "/bin/" + applet):
                os.symlink("busybox", root + "/bin/" + applet)
        tar = subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE)
        subprocess.check_call([engine, "import", "-", IMAGE], stdin=tar.stdout, stdout=subprocess.DEVNULL)
        if tar.wait() != 0:
            raise SystemExit("tar of the busybox root failed")
    finally:
        shutil.rmtree(root)
    run(engine, "rm", "-f", NAME, check=False)
    # a steady 8 MiB working set, then waiting: memory_facts sees it use memory, with no limit of its own
    # unconfined: Debian's kernel has AppArmor on, but the image has no apparmor_parser (mmdebstrap installs no
    # Recommends), so Docker cannot load its docker-default profile ("apparmor_parser ... not found")
    run(engine, "run", "-d", "--name", NAME, "--network", "none", "--security-opt", "apparmor=unconfined", IMAGE,
        "/bin/sh", "-c",
        "x=$(head -c 8388608 /dev/zero | tr '\\0' a); while :; do sleep 3600; done")
    print(json.dumps({"engine": engine, "id": inspect(engine, "{{.Id}}")}))


def inspect(engine, fmt):
    return run(engine, "container", "inspect", "--format", fmt, NAME).stdout.strip()


def cgroup_files(pid):
    with open("/proc/%s/cgroup" % pid) as f:
        path = "/sys/fs/cgroup" + [line[3:].strip() for line in f if line.startswith("0::")][0]
    files = {"cgroup": path}
    for name in ("memory.max", "memory.swap.max", "memory.peak", "memory.current"):
        try:
            with open(os.path.join(path, name)) as f:
                files[name] = f.read().strip()
        except OSError:
            files[name] = None
    with open(os.path.join(path, "memory.events")) as f:
        files["memory.events"] = dict((k, int(v)) for k, v in (line.split() for line in f))
    return files


def leak(engine, remove):
    out = {"engine": engine, "id": inspect(engine, "{{.Id}}"),
           "inspect": {"memory": int(inspect(engine, "{{.HostConfig.Memory}}")),
                       "memory_swap": int(inspect(engine, "{{.HostConfig.MemorySwap}}"))}}
    pid = inspect(engine, "{{.State.Pid}}")
    out["before"] = cgroup_files(pid)
    # the string doubles until one allocation crosses memory.max: the kernel kills the leak (exit 137), inside
    # the container's own cgroup
    leak_run = run(engine, "exec", NAME, "/bin/sh", "-c", "x=aaaaaaaaaaaaaaaa; while :; do x=$x$x; done", check=False)
    out["leak_rc"] = leak_run.returncode
    out["after"] = cgroup_files(pid)
    out["running"] = inspect(engine, "{{.State.Running}}")
    out["same_pid"] = inspect(engine, "{{.State.Pid}}") == pid
    out["system"] = run("systemctl", "is-system-running", check=False).stdout.strip()
    with open("/proc/uptime") as f:
        out["uptime_s"] = float(f.read().split()[0])
    if remove:
        run(engine, "rm", "-f", NAME)
        run("systemctl", "stop", "docker.service", "docker.socket", "containerd.service")
    print(json.dumps(out))


def main(mode, engine, *flags):
    if engine not in ("docker", "podman"):
        raise SystemExit("engine must be docker or podman, got %r" % engine)
    if mode == "start":
        start(engine)
    elif mode == "leak":
        leak(engine, "--remove" in flags)
    else:
        raise SystemExit("usage: hr-ctr.py start|leak docker|podman [--remove]")


if __name__ == "__main__":
    main(*sys.argv[1:])
