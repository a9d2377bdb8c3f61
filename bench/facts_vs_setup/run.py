# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wall time of `ansible localhost -m headroom.memory.memory_facts` against `-m setup -a
gather_subset=hardware` and against `-m ping` (the floor: ansible's own start-up and module transfer).

Every round runs each command once, in a rotating order (interleaved, so drift hits all alike); the
medians over the rounds are compared. Target (issue 3): memory_facts' cost above ping is at most 10% of
setup's cost above ping.

With --breakdown it also splits each module's cost into the controller side (building the AnsiballZ
payload inside ansible's forked worker, as it really happens, and the same with the garbage collector off,
to show its share; see worker_build.py) and the target side (running the payload with the target's python),
each as a median over the rounds.

With --hosts N (default 8; 0 skips it) it also measures the cost of one more host in a fleet run, where the
payload is built once per run (fleet.py).

usage: python bench/facts_vs_setup/run.py [--rounds N] [--warmup N] [--breakdown] [--hosts N]
Run with the project's venv and ANSIBLE_COLLECTIONS_PATH pointing at the synced collection
(`make bench BENCH=facts_vs_setup` sets both).
"""

import argparse
import glob
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fleet  # noqa: E402  pylint: disable=wrong-import-position

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

CASES = [
    ("ping", ["-m", "ansible.builtin.ping"]),
    ("setup hardware", ["-m", "ansible.builtin.setup", "-a", "gather_subset=hardware"]),
    ("memory_facts", ["-m", "headroom.memory.memory_facts"]),
    ("memory_facts !oom", ["-m", "headroom.memory.memory_facts", "-a", "gather_subset=!oom"]),
    ("memory_facts !oom pss", ["-m", "headroom.memory.memory_facts", "-a", "gather_subset=!oom pss=true"]),
]

MEASURED = ("memory_facts", "memory_facts !oom", "memory_facts !oom pss")


def pss_walk(env, rounds):
    """The process walk alone, in one process, without and with pss (smaps_rollup of groups of 2+)."""
    code = (
        "import time, statistics\n"
        "from ansible_collections.headroom.memory.plugins.module_utils.facts.processes import read_processes\n"
        "def t(pss):\n"
        "    s = time.perf_counter(); _p, g = read_processes('/proc', 10, pss=pss); return time.perf_counter() - s, g\n"
        "plain, pss = [], []\n"
        "for _ in range(%d):\n"
        "    plain.append(t(False)[0]); d, g = t(True); pss.append(d)\n"
        "n = sum(x['count'] for x in g)\n"
        "m = sum(x.get('measured', 0) + (1 if x.get('parent') else 0) for x in g)\n"
        "print('process walk: %%d processes, %%d in groups of 2+ read for PSS' %% (n, m))\n"
        "a, b = statistics.median(plain), statistics.median(pss)\n"
        "print('  pss=false %%.2f ms, pss=true %%.2f ms (+%%.2f ms, %%.1f us per smaps_rollup read)'"
        " %% (a * 1e3, b * 1e3, (b - a) * 1e3, (b - a) * 1e6 / max(m, 1)))\n" % rounds)
    paths = env["ANSIBLE_COLLECTIONS_PATH"].split(os.pathsep)
    subprocess.run([sys.executable, "-c", code], env=dict(env, PYTHONPATH=os.pathsep.join(paths)), check=True)


def ansible_bin():
    candidate = os.path.join(os.path.dirname(sys.executable), "ansible")
    return candidate if os.path.exists(candidate) else "ansible"


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(args, env, host_count=None):
    """(wall seconds, CPU seconds of the whole process tree) of one ad hoc call.

    ``args`` follow ``ansible localhost`` unless ``host_count`` is given: then they start with the host
    pattern, and that many hosts must answer SUCCESS.
    """
    cpu0 = _children_cpu()
    start = time.perf_counter()
    cmd = [ansible_bin()] + (args if host_count else ["localhost"] + args)
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=False)
    elapsed = time.perf_counter() - start, _children_cpu() - cpu0
    if proc.returncode != 0 or proc.stdout.count("SUCCESS") != (host_count or 1):
        raise SystemExit("command failed: %s\n%s%s" % (" ".join(cmd), proc.stdout, proc.stderr))
    return elapsed


BREAKDOWN = [
    ("ping", "ansible.builtin.ping", ""),
    ("setup hardware", "ansible.builtin.setup", "gather_subset=hardware"),
    ("memory_facts", "headroom.memory.memory_facts", ""),
    ("memory_facts !oom", "headroom.memory.memory_facts", "gather_subset=!oom"),
]


def worker_build(module, args, env, nogc=False):
    """(seconds, GC collections per generation) of one payload build inside ansible's forked worker."""
    with tempfile.NamedTemporaryFile(prefix="facts-vs-setup-build-", suffix=".jsonl") as log:
        cmd = [sys.executable, os.path.join(HERE, "worker_build.py"), log.name, "localhost", "-m", module]
        subprocess.run(cmd + (["-a", args] if args else []), env=dict(env, HEADROOM_BENCH_NOGC="1" if nogc else "0"),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
        (line,) = log.read().decode().splitlines()
    record = json.loads(line)
    return record["seconds"], record["gc"]


def payloads(env):
    """{case: path of a kept AnsiballZ payload} under a private remote tmp (deleted by the caller)."""
    tmp = tempfile.mkdtemp(prefix="facts-vs-setup-payload-")
    found = {}
    for name, module, args in BREAKDOWN:
        before = set(glob.glob(os.path.join(tmp, "*", "AnsiballZ_*.py")))
        cmd = [ansible_bin(), "localhost", "-m", module] + (["-a", args] if args else [])
        subprocess.run(cmd, env=dict(env, ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=tmp),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
        (found[name],) = set(glob.glob(os.path.join(tmp, "*", "AnsiballZ_*.py"))) - before
    return tmp, found


def breakdown(env, rounds):
    """Split each call into the payload build (in the worker, with and without the garbage collector)
    and the payload's run on the target, medians over ``rounds``."""
    cols = ("build", "build gc off", "run")
    samples = {name: {col: [] for col in cols} for name, _m, _a in BREAKDOWN}
    collections = {}
    tmp, found = payloads(env)
    try:
        for _round in range(rounds):
            for name, module, args in BREAKDOWN:
                seconds, collections[name] = worker_build(module, args, env)
                samples[name]["build"].append(seconds)
                samples[name]["build gc off"].append(worker_build(module, args, env, nogc=True)[0])
                start = time.perf_counter()
                subprocess.run([sys.executable, found[name]], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               check=True)
                samples[name]["run"].append(time.perf_counter() - start)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    med = {name: {col: statistics.median(v) for col, v in by_col.items()} for name, by_col in samples.items()}
    print()
    print("breakdown, medians over %d rounds (seconds; 'above' = minus ping's): the payload build in the forked"
          " worker, the same with the garbage collector off, the payload's run on the target" % rounds)
    print("%-20s %9s %13s %9s %12s %18s %12s  %s" % (
        "module", "build", "build gc off", "run", "build above", "build gc off above", "run above", "GC runs (gen 0/1/2)"))
    for name, _m, _a in BREAKDOWN:
        row, base = med[name], med["ping"]
        print("%-20s %9.3f %13.3f %9.3f %12.3f %18.3f %12.3f  %s" % (
            name, row["build"], row["build gc off"], row["run"], row["build"] - base["build"],
            row["build gc off"] - base["build gc off"], row["run"] - base["run"],
            "/".join(str(n) for n in collections[name])))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--breakdown", action="store_true", help="also split controller and target time")
    parser.add_argument("--hosts", type=int, default=8,
                        help="also measure the cost of one more host over this many local aliases (0: skip)")
    opts = parser.parse_args()

    env = dict(os.environ)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(ROOT, ".work", "collections"))
    env.update({"ANSIBLE_LOCALHOST_WARNING": "False", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
                "ANSIBLE_NOCOLOR": "1", "ANSIBLE_PYTHON_INTERPRETER": sys.executable})

    times = {name: [] for name, _args in CASES}
    cpu = {name: [] for name, _args in CASES}
    for _round in range(opts.warmup):
        for _name, args in CASES:
            run_once(args, env)
    for r in range(opts.rounds):
        order = CASES[r % len(CASES):] + CASES[:r % len(CASES)]
        for name, args in order:
            wall, used = run_once(args, env)
            times[name].append(wall)
            cpu[name].append(used)

    med = {name: statistics.median(values) for name, values in times.items()}
    floor = med["ping"]
    setup_cost = med["setup hardware"] - floor
    print("rounds: %d (interleaved, rotating order), medians of wall time per ad hoc call" % opts.rounds)
    print("%-20s %9s %9s %9s %14s" % ("command", "median s", "min s", "max s", "above ping s"))
    for name, _args in CASES:
        print("%-20s %9.3f %9.3f %9.3f %14.3f" % (
            name, med[name], min(times[name]), max(times[name]), med[name] - floor))
    for name in MEASURED:
        cost = med[name] - floor
        ratio = cost / setup_cost if setup_cost > 0 else float("inf")
        print("%s cost above ping / setup hardware cost above ping = %.3f / %.3f = %.1f%%" % (
            name, cost, setup_cost, 100 * ratio))
    # CPU time of the whole process tree is far less disturbed by other load on the machine than wall
    # time: the same comparison on it shows whether a wall-time ratio is real or noise
    cmed = {name: statistics.median(values) for name, values in cpu.items()}
    csetup = cmed["setup hardware"] - cmed["ping"]
    print("cross-check on CPU time (user+sys of the process tree), medians:")
    for name, _args in CASES:
        print("  %-20s %7.3f s  above ping %7.3f s" % (name, cmed[name], cmed[name] - cmed["ping"]))
    for name in MEASURED:
        ccost = cmed[name] - cmed["ping"]
        print("  %s / setup hardware (CPU, above ping) = %.1f%%" % (name, 100 * ccost / csetup if csetup > 0 else float("inf")))
    cost = med["memory_facts"] - floor
    ratio = cost / setup_cost if setup_cost > 0 else float("inf")
    print("target (memory_facts <= 10%% of setup's cost above ping): %s" % ("met" if ratio <= 0.10 else "MISSED"))
    print("pss=true above gather_subset=!oom: %+.3f s wall, %+.3f s CPU" % (
        med["memory_facts !oom pss"] - med["memory_facts !oom"], cmed["memory_facts !oom pss"] - cmed["memory_facts !oom"]))
    pss_walk(env, max(opts.rounds, 21))
    if opts.breakdown:
        breakdown(env, opts.rounds)
    if opts.hosts > 1:
        per = fleet.per_host(CASES, run_once, env, opts.rounds, opts.hosts, sys.executable)
        fleet.report(per, opts.hosts, opts.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
