# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cost of one more host: `ansible all -f 1 -m <module>` over N local host aliases against 1.

Across a fleet ansible builds each module's payload once per run (its ansiballz cache) and starts once,
so what grows with the fleet is the per-host part: sending the payload, running it, handling its result.
(T(N hosts) - T(1 host)) / (N - 1), medians over the rounds, isolates that part; forks=1 keeps the hosts
one after another so that the figure is not shared out over the machine's cores.
"""

import os
import statistics
import tempfile

INVENTORY = "[all:vars]\nansible_connection=local\nansible_python_interpreter=%s\n\n[fleet]\n%s\n"


def write_inventory(directory, hosts, python):
    path = os.path.join(directory, "hosts.ini")
    with open(path, "w") as f:
        f.write(INVENTORY % (python, "\n".join("bench-host-%02d" % i for i in range(1, hosts + 1))))
    return path


def per_host(cases, run_once, env, rounds, hosts, python):
    """{case: seconds per extra host}, medians over ``rounds`` of interleaved 1-host and N-host runs."""
    samples = {name: [] for name, _args in cases}
    with tempfile.TemporaryDirectory(prefix="facts-vs-setup-fleet-") as tmp:
        inventory = write_inventory(tmp, hosts, python)
        for r in range(rounds):
            order = cases[r % len(cases):] + cases[:r % len(cases)]
            for name, args in order:
                one, _cpu = run_once(["bench-host-01", "-i", inventory, "-f", "1"] + args, env, host_count=1)
                many, _cpu = run_once(["all", "-i", inventory, "-f", "1"] + args, env, host_count=hosts)
                samples[name].append((many - one) / (hosts - 1))
    return {name: statistics.median(values) for name, values in samples.items()}


def report(per, hosts, rounds):
    floor = per["ping"]
    setup_cost = per["setup hardware"] - floor
    print()
    print("per extra host (ansible all -f 1 over %d local aliases against 1; medians of %d rounds)" % (hosts, rounds))
    print("%-20s %14s %14s" % ("module", "per host s", "above ping s"))
    for name, value in per.items():
        print("%-20s %14.3f %14.3f" % (name, value, value - floor))
    for name in ("memory_facts", "memory_facts !oom"):
        cost = per[name] - floor
        print("%s per-host cost above ping / setup hardware's = %.3f / %.3f = %.1f%%" % (
            name, cost, setup_cost, 100 * cost / setup_cost if setup_cost > 0 else float("inf")))
