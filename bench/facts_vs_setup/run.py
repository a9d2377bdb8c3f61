# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wall time of `ansible localhost -m headroom.memory.memory_facts` against `-m setup -a
gather_subset=hardware` and against `-m ping` (the floor: ansible's own start-up and module transfer).

Every round runs each command once, in a rotating order (interleaved, so drift hits all alike); the
medians over the rounds are compared. Target (issue 3): memory_facts' cost above ping is at most 10% of
setup's cost above ping.

With --breakdown it also splits each module's cost into the controller side (building the AnsiballZ
payload: finding and compiling every module_utils file) and the target side (running the payload with
the target's python), each as a median over the rounds, to show where the time goes.

usage: python bench/facts_vs_setup/run.py [--rounds N] [--warmup N] [--breakdown]
Run with the project's venv and ANSIBLE_COLLECTIONS_PATH pointing at the synced collection
(`make bench BENCH=facts_vs_setup` sets both).
"""

import argparse
import glob
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

CASES = [
    ("ping", ["-m", "ansible.builtin.ping"]),
    ("setup hardware", ["-m", "ansible.builtin.setup", "-a", "gather_subset=hardware"]),
    ("memory_facts", ["-m", "headroom.memory.memory_facts"]),
    ("memory_facts !oom", ["-m", "headroom.memory.memory_facts", "-a", "gather_subset=!oom"]),
]


def ansible_bin():
    candidate = os.path.join(os.path.dirname(sys.executable), "ansible")
    return candidate if os.path.exists(candidate) else "ansible"


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(args, env):
    """(wall seconds, CPU seconds of the whole process tree) of one ad hoc call."""
    cpu0 = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run([ansible_bin(), "localhost"] + args, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    elapsed = time.perf_counter() - start, _children_cpu() - cpu0
    if proc.returncode != 0 or "SUCCESS" not in proc.stdout:
        raise SystemExit("command failed: ansible localhost %s\n%s%s" % (" ".join(args), proc.stdout, proc.stderr))
    return elapsed


BUILD_SCRIPT = r"""
import sys, time, json
from ansible.plugins.loader import init_plugin_loader, module_loader
init_plugin_loader([p for p in sys.argv[1].split(':') if p])
from ansible.executor.module_common import modify_module
from ansible.template import Templar
from ansible.utils.collection_loader._collection_finder import _get_collection_metadata
templar = Templar(loader=None)
for collection in ('ansible.builtin', 'headroom.memory'):
    _get_collection_metadata(collection)  # an ad hoc run has read the routing before it builds the module
result = {}
for name in ['ansible.builtin.stat'] + sys.argv[2:]:  # stat: a warm-up build, not reported
    ctx = module_loader.find_plugin_with_context(name)
    start = time.perf_counter()
    modify_module(module_name=name.split('.')[-1], module_path=ctx.plugin_resolved_path, module_args={},
                  templar=templar, task_vars={'ansible_python_interpreter': sys.executable})
    result[name] = time.perf_counter() - start
print(json.dumps(result))
"""


BREAKDOWN = [
    ("ping", "ansible.builtin.ping", ""),
    ("setup hardware", "ansible.builtin.setup", "gather_subset=hardware"),
    ("memory_facts", "headroom.memory.memory_facts", ""),
    ("memory_facts !oom", "headroom.memory.memory_facts", "gather_subset=!oom"),
]


def build_times(env):
    """Seconds to build each module's payload on the controller (fresh ansiballz cache, warm ansible)."""
    tmp = tempfile.mkdtemp(prefix="facts-vs-setup-build-")
    try:
        proc = subprocess.run(
            [sys.executable, "-c", BUILD_SCRIPT, env["ANSIBLE_COLLECTIONS_PATH"]]
            + sorted({m for _n, m, _a in BREAKDOWN}),
            env=dict(env, ANSIBLE_LOCAL_TEMP=tmp), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            universal_newlines=True, check=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    import json  # pylint: disable=import-outside-toplevel
    return json.loads(proc.stdout.strip().splitlines()[-1])


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
    builds = {name: [] for name, _m, _a in BREAKDOWN}
    runs = {name: [] for name, _m, _a in BREAKDOWN}
    tmp, found = payloads(env)
    try:
        for _round in range(rounds):
            built = build_times(env)
            for name, module, _args in BREAKDOWN:
                builds[name].append(built[module])
                start = time.perf_counter()
                subprocess.run([sys.executable, found[name]], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               check=True)
                runs[name].append(time.perf_counter() - start)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    b0, r0 = statistics.median(builds["ping"]), statistics.median(runs["ping"])
    print()
    print("breakdown, medians over %d rounds (seconds; 'above' = minus ping's)" % rounds)
    print("%-20s %9s %9s %12s %12s" % ("module", "build", "run", "build above", "run above"))
    for name, _m, _a in BREAKDOWN:
        b, r = statistics.median(builds[name]), statistics.median(runs[name])
        print("%-20s %9.3f %9.3f %12.3f %12.3f" % (name, b, r, b - b0, r - r0))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--breakdown", action="store_true", help="also split controller and target time")
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
    for name in ("memory_facts", "memory_facts !oom"):
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
    for name in ("memory_facts", "memory_facts !oom"):
        ccost = cmed[name] - cmed["ping"]
        print("  %s / setup hardware (CPU, above ping) = %.1f%%" % (name, 100 * ccost / csetup if csetup > 0 else float("inf")))
    cost = med["memory_facts"] - floor
    ratio = cost / setup_cost if setup_cost > 0 else float("inf")
    print("target (memory_facts <= 10%% of setup's cost above ping): %s" % ("met" if ratio <= 0.10 else "MISSED"))
    if opts.breakdown:
        breakdown(env, opts.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
