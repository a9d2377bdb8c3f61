# -*- coding: utf-8 -*-
"""bench/diagnose_fleet: the diagnose playbook across N hosts (N = 1, 8, 16 test containers) against a bare
play that runs ``setup`` with ``gather_subset=hardware`` on the same hosts, in the same run.

Target: diagnose at most as slow as that setup play at every N, and a flat cost per extra host.

usage: .venv/bin/python bench/diagnose_fleet/run.py [--sizes 1,8,16] [--rounds 3] [--forks 16] [--keep]
       .venv/bin/python bench/diagnose_fleet/run.py --local [--sizes 16,64,200] [--rounds 1]

With --local the hosts are N aliases of this machine reached with the local connection (no containers: a
fleet of 200 fits on a small machine). Otherwise it starts max(N) privileged systemd containers of the local test image (as molecule does), named
bench-diagnose-NN, runs both playbooks ``--rounds`` times per N (alternating, medians reported) and removes
the containers it started. Needs root and the podman set-up of tools/setup-hosts.sh.
"""

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
IMAGE = "localhost/headroom-debian:bookworm-r3"
PREFIX = "bench-diagnose-"
PODMAN_OPTS = ["--privileged", "--cgroupns=private", "--tmpfs=/run", "--tmpfs=/run/lock",
               "--tmpfs=/tmp:rw,exec,mode=1777", "--stop-signal=RTMIN+3"]

SETUP_PLAY = """---
- name: Bare setup, hardware subset
  hosts: "{{ bench_hosts }}"
  gather_facts: false
  tasks:
    - name: Gather hardware facts
      ansible.builtin.setup:
        gather_subset: [hardware]
"""


def podman_env():
    """The environment tools/podman-env.sh sets (this project's podman storage and settings)."""
    out = subprocess.run(["bash", "-c", ". %s >/dev/null && env -0" % shlex.quote(os.path.join(ROOT, "tools", "podman-env.sh"))],
                         check=True, capture_output=True).stdout.decode()
    return dict(line.split("=", 1) for line in out.split("\0") if "=" in line)


def run(cmd, env, check=True):
    return subprocess.run(cmd, env=env, check=check, capture_output=True, text=True)


def start_containers(count, env):
    names = ["%s%02d" % (PREFIX, i) for i in range(1, count + 1)]
    for name in names:
        run(["podman", "rm", "-f", name], env, check=False)
        run(["podman", "run", "-d", "--name", name, "--hostname", name] + PODMAN_OPTS + [IMAGE, "/sbin/init"], env)
    for name in names:
        for _attempt in range(60):
            state = run(["podman", "exec", name, "systemctl", "is-system-running"], env, check=False).stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(0.5)
    return names


def remove_containers(names, env):
    for name in names:
        run(["podman", "rm", "-f", "-t", "2", name], env, check=False)


def write_inventory(path, names, sizes):
    lines = ["[all:vars]", "ansible_connection=containers.podman.podman", "ansible_python_interpreter=/usr/bin/python3", ""]
    lines += ["[fleet]"] + names + [""]
    for n in sizes:
        lines += ["[n%d]" % n] + names[:n] + [""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def write_local_inventory(path, count, sizes, python):
    """N aliases of this machine, each reached with the local connection and this interpreter."""
    names = ["bench-local-%03d" % i for i in range(1, count + 1)]
    lines = ["[all:vars]", "ansible_connection=local", "ansible_python_interpreter=%s" % python, ""]
    lines += ["[fleet]"] + names + [""]
    for n in sizes:
        lines += ["[n%d]" % n] + names[:n] + [""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def timed(cmd, env, cpu=None, peak=None):
    """Wall seconds of ``cmd``; with a list ``cpu``, also append the CPU seconds of its process tree on the
    controller (ansible and the podman clients; not the target side, which runs under conmon; with --local
    the modules' runs are in it too); with a list ``peak``, the peak RSS in MiB of the largest single process
    of the tree (``ru_maxrss`` from ``wait4()``: the process or any descendant it waited for)."""
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if cpu is not None:
            cpu.append(usage.ru_utime + usage.ru_stime)
        if peak is not None:
            peak.append(usage.ru_maxrss / 1024.0)
        if proc.returncode != 0:
            out.seek(0)
            sys.stderr.write(out.read()[-6000:].decode(errors="replace"))
            raise SystemExit("failed: %s" % " ".join(cmd))
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--sizes", default="1,8,16")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--forks", type=int, default=16)
    parser.add_argument("--keep", action="store_true", help="leave the containers running")
    parser.add_argument("--local", action="store_true", help="N local aliases with the local connection, no containers")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    env = dict(os.environ)
    if not args.local:
        env.update(podman_env())
    work = tempfile.mkdtemp(prefix="bench-diagnose-")
    # a private copy of the working tree: the shared .work/collections copy changes under other runs
    shutil.copytree(ROOT, os.path.join(work, "collections", "ansible_collections", "headroom", "memory"),
                    ignore=shutil.ignore_patterns(".git", ".venv", ".work", "headroom-report", "__pycache__", "tests", "molecule"))
    env.update(ANSIBLE_COLLECTIONS_PATH=os.path.join(work, "collections"),
               ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORKS=str(args.forks), ANSIBLE_INJECT_FACT_VARS="False")
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    inventory, setup_play = os.path.join(work, "hosts.ini"), os.path.join(work, "setup.yml")
    with open(setup_play, "w") as f:
        f.write(SETUP_PLAY)

    names = []
    if not args.local:
        t0 = time.monotonic()
        names = start_containers(max(sizes), env)
        print("started %d containers in %.1f s" % (len(names), time.monotonic() - t0), flush=True)
    results = {}
    try:
        if args.local:
            write_local_inventory(inventory, max(sizes), sizes, sys.executable)
        else:
            write_inventory(inventory, names, sizes)
        # one warm-up of each (interpreter and module caches, podman exec paths)
        timed([playbook, "-i", inventory, setup_play, "-e", "bench_hosts=n%d" % sizes[0]], env)
        timed([playbook, "-i", inventory, "headroom.memory.diagnose", "-e", "diagnose_hosts=n%d" % sizes[0],
               "-e", "diagnose_report_dir=%s/report" % work], env)
        for n in sizes:
            d_times, s_times, d_cpu, s_cpu, d_peak, s_peak = [], [], [], [], [], []
            for _round in range(args.rounds):
                s_times.append(timed([playbook, "-i", inventory, setup_play, "-e", "bench_hosts=n%d" % n], env, s_cpu, s_peak))
                d_times.append(timed([playbook, "-i", inventory, "headroom.memory.diagnose", "-e", "diagnose_hosts=n%d" % n,
                                      "-e", "diagnose_report_dir=%s/report-%d" % (work, n)], env, d_cpu, d_peak))
                if not os.path.exists(os.path.join(work, "report-%d" % n, "report.json")):
                    raise SystemExit("diagnose wrote no report.json under %s/report-%d" % (work, n))
            results[n] = (statistics.median(d_times), statistics.median(s_times),
                          statistics.median(d_cpu), statistics.median(s_cpu), max(d_peak), max(s_peak))
            rounds = (n, " ".join("%.2f" % t for t in d_times), " ".join("%.2f" % t for t in s_times))
            print("N=%-3d diagnose %s  setup %s" % rounds, flush=True)
    finally:
        if not args.keep:
            remove_containers(names, env)

    print()
    print("diagnose_fleet: medians of %d rounds, forks=%d, same run, %s" % (
        args.rounds, args.forks, "local connection" if args.local else "podman containers"))
    print("%-5s %12s %12s %8s %20s %20s %14s %14s %10s %16s %16s" % (
        "N", "diagnose s", "setup s", "ratio", "diagnose s/extra host", "setup s/extra host",
        "diagnose CPU s", "setup CPU s", "CPU ratio", "diagnose peak MiB", "setup peak MiB"))
    first = sizes[0]
    for n in sizes:
        d, s, dc, sc, dp, sp = results[n]
        extra_d = "-" if n == first else "%.3f" % ((d - results[first][0]) / (n - first))
        extra_s = "-" if n == first else "%.3f" % ((s - results[first][1]) / (n - first))
        print("%-5d %12.2f %12.2f %8.2f %20s %20s %14.2f %14.2f %10.2f %16.1f %16.1f" % (
            n, d, s, d / s, extra_d, extra_s, dc, sc, dc / sc, dp, sp))
    verdict = all(results[n][0] <= results[n][1] for n in sizes)
    print("target (diagnose <= setup at every N): %s" % ("met" if verdict else "NOT met"))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
