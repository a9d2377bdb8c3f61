# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sizing verdict: can this host's services fit in its memory at all, however they are tuned?

    needed = the steady working set of every other process group (RSS, PSS where memory_facts read it; a
             leak's growth left out)
           + the minimum sensible memory of each database (PostgreSQL: the default shared_buffers 128 MiB +
             a few connections x work_mem; MariaDB/MySQL: MySQLTuner's peak of one 128 MiB buffer-pool chunk,
             the small caches and a few connections; Redis: its live dataset, what it holds; MongoDB: the
             database role's smallest share)
           + the minimum of each worker pool (the workers role's minimum of 2 workers x the measured per-worker
             cost + the shared part, held once; never more than the pool holds now)
           + the OS reserve (budget.default_reserve_mb of the memory the host's processes have)

against the memory the processes have (triage.common.memory_view: RAM, or the container's limit below it).

- ``ram_insufficient`` (warning; critical when the services alone, without the reserve, are more than the
  memory): ``needed`` is more than the memory. It says "needs at least N (has M)" with the arithmetic and
  offers no remedy: no tuning gets there, only more memory or fewer services.
- ``ram_tight`` (info): the services' steady working set now (+ reserve) is more than the memory, but
  ``needed`` fits: it names what tuning frees, biggest first, as far as needed to fit, and the findings
  whose remedies do it (database_oversized, workers_oversubscribed, leak_suspect), or says that none does.
- Silent when what the services hold now fits with the reserve.

A leaking process is not steady: one caught growing between the two samples is counted at its first-sample
size; one killed again and again with a growing anon-rss is left out (its steady size is unknown), and the
evidence says so. ``ram_needed_mb`` gives ``needed`` for the fleet summary ("RAM needed")."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

from ansible_collections.headroom.memory.plugins.plugin_utils.budget import default_reserve_mb
from ansible_collections.headroom.memory.plugins.plugin_utils.database import sizing
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import (
    DATABASE_COMMS, comm_matches, databases, finding, fmt_mb, process_groups, processes)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.database import (
    MYSQL_DEFAULTS, PG_DEFAULTS_KB, database_oversized)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.leak import leak_suspect, suspects_of
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.workers import masters, workers_oversubscribed
from ansible_collections.headroom.memory.plugins.plugin_utils.workers.plan import ROLE_MIN, WorkersError, worker_cost

MIB = 1024 * 1024
# "a few" connections at the databases' floor: the fewest a database role plan leaves
FEW_CONNECTIONS = sizing.MIN_CONNECTIONS
# the other process groups named in the arithmetic; the rest are summed in one line
NAMED_OTHERS = 5
# which rule's remedy frees what a component holds above its minimum
FREED_BY = {"database": "database_oversized", "pool": "workers_oversubscribed"}


def _mb(value):
    """A MiB figure from the facts as a whole number, 0 when it is not a finite number of 0 or more."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        return 0
    return int(value)


def _name(value):
    """A process name for the arithmetic lines (the renderers escape it; this keeps it short)."""
    return str(value if value is not None else "?")[:64]


def steady_mb(group):
    """What a process group holds: its RSS, or count x average PSS when memory_facts read it (less, since the
    pages its processes share are then counted once)."""
    rss = _mb(group.get("rss_mb"))
    if group.get("pss_avg_mb") is None:
        return rss
    return min(rss, _mb(group.get("pss_avg_mb")) * _mb(group.get("count")))


def database_floor_mb(engine, holds_mb):
    """(MiB, how) of the least memory a database engine is sensibly run with; Redis' is what it holds."""
    if engine == "postgresql":
        kb = sizing.postgresql_worst_case_kb(PG_DEFAULTS_KB["shared_buffers"], FEW_CONNECTIONS, PG_DEFAULTS_KB["work_mem"],
                                             0, 0)
        return kb // 1024, "shared_buffers %s + %d connections x work_mem %s x %d" % (
            fmt_mb(PG_DEFAULTS_KB["shared_buffers"] // 1024), FEW_CONNECTIONS, fmt_mb(PG_DEFAULTS_KB["work_mem"] // 1024),
            sizing.WORK_MEM_FACTOR)
    if engine in ("mariadb", "mysql"):
        variables = dict(MYSQL_DEFAULTS, key_buffer_size=sizing.SMALL_CACHE, aria_pagecache_buffer_size=sizing.SMALL_CACHE)
        peak = sizing.mysqltuner_peak(variables, FEW_CONNECTIONS)
        return peak["peak"] // MIB, "server buffers %s (innodb_buffer_pool_size one %s chunk) + %d connections x %d KiB" % (
            fmt_mb(peak["server_buffers"] // MIB), fmt_mb(MYSQL_DEFAULTS["innodb_buffer_pool_size"] // MIB),
            FEW_CONNECTIONS, peak["per_thread_buffers"] // 1024)
    if engine == "redis":
        return holds_mb, "its live dataset (what it holds): Redis cannot hold less than it stores"
    return sizing.MIN_SHARE_MB[engine], "the database role's smallest %s share" % engine


def _pool_comms(facts, thresholds):
    """The comms of the worker pools: the masters whose settings memory_facts read, and the worker_comms groups
    of more processes than the workers role's minimum."""
    comms = set(m.get("comm") for m, _count in masters(facts))
    for group in process_groups(facts):
        if (group.get("count") or 0) > ROLE_MIN and comm_matches(group.get("comm"), thresholds["worker_comms"]):
            comms.add(group.get("comm"))
    return comms


def _pool(group):
    """(min MiB, how) of a pool at the workers role's minimum count, or (None, why) when its cost is unknown."""
    try:
        per_worker, fixed, basis = worker_cost(group)
    except WorkersError as exc:
        return None, str(exc)
    need = fixed + ROLE_MIN * per_worker
    return need, "%d workers x %s + %s shared (per worker: %s)" % (ROLE_MIN, fmt_mb(per_worker), fmt_mb(fixed), basis)


def _leaks(facts, thresholds, ctx):
    """({comm: MiB left out}, lines) for the leak suspects: a suspect caught between the samples stays at its
    first-sample size (what the group holds); one known from its kills is left out."""
    left_out, lines = {}, []
    for s in suspects_of(facts, thresholds, ctx):
        comm = s.get("comm")
        if comm in DATABASE_COMMS:
            continue  # the database's floor replaces what it holds anyway
        if s.get("start_mb") is not None:
            lines.append("%s (pid %s): leaking, counted at its first-sample size %s (it grew to %s)" % (
                _name(comm), s.get("pid"), fmt_mb(s["start_mb"]), fmt_mb(s["peak_mb"])))
            continue
        listed = [p for p in processes(facts) if p.get("comm") == comm and (not s.get("unit") or p.get("unit") == s["unit"])]
        held = sum(_mb(p.get("rss_mb")) for p in listed)
        left_out[comm] = left_out.get(comm, 0) + held
        lines.append("%s%s: leaking (killed again and again, growing), left out: its steady size is unknown%s" % (
            _name(comm), " (%s)" % _name(s["unit"]) if s.get("unit") else "",
            " (holds %s now)" % fmt_mb(held) if held else ""))
    return left_out, lines


def verdict(facts, thresholds, ctx):
    """The arithmetic: {total_mb, scope, reserve_mb, needed_mb, steady_mb, components, lines}, where steady_mb
    is what the services hold now (+ reserve) and ``components`` the databases and pools with {name, kind,
    now_mb, min_mb}; None when the facts give no memory total or no process groups. Worked out once per
    context (the rules and the host's summary share it)."""
    if "sizing_verdict" not in ctx:
        ctx["sizing_verdict"] = _verdict(facts, thresholds, ctx)
    return ctx["sizing_verdict"]


def _verdict(facts, thresholds, ctx):
    view = ctx["view"]
    total = view.get("total_mb")
    groups = process_groups(facts)
    if not isinstance(total, int) or isinstance(total, bool) or total <= 0 or not groups:
        return None
    reserve = default_reserve_mb(total)
    dbs = dict((d["comm"], d) for d in databases(facts))
    pools = _pool_comms(facts, thresholds)
    left_out, leak_lines = _leaks(facts, thresholds, ctx)
    components, others, lines = [], [], []
    for group in groups:
        comm = group.get("comm")
        holds = steady_mb(group)
        if comm in dbs:
            engine = dbs[comm]["engine"]
            now = _mb(dbs[comm]["rss_mb"])
            floor, how = database_floor_mb(engine, now)
            components.append({"name": engine, "kind": "database", "now_mb": now, "min_mb": floor})
            lines.append("%s (%s): at least %s = %s (holds %s now, %s)" % (
                engine, _name(comm), fmt_mb(floor), how, fmt_mb(now), dbs[comm].get("source") or "RSS"))
        elif comm in pools:
            least, how = _pool(group)
            if least is None:
                others.append((comm, holds))
                continue
            least = min(least, holds)
            components.append({"name": "%s pool" % _name(comm), "kind": "pool", "now_mb": holds, "min_mb": least})
            lines.append("%s pool: at least %s = %s (%d workers hold %s now)" % (
                _name(comm), fmt_mb(least), how, group.get("count") or 0, fmt_mb(holds)))
        else:
            others.append((comm, max(holds - left_out.get(comm, 0), 0)))
    others.sort(key=lambda o: (-o[1], str(o[0])))
    others_mb = sum(mb for _comm, mb in others)
    named = ", ".join("%s %s" % (_name(c), fmt_mb(mb)) for c, mb in others[:NAMED_OTHERS])
    lines.append("other processes: %s steady (RSS, or PSS where read, of %d group(s)%s%s)" % (
        fmt_mb(others_mb), len(others), ": " if named else "", named + (", ..." if len(others) > NAMED_OTHERS else "")))
    lines += leak_lines
    lines.append("OS reserve: %s (the budget's reserve for %s)" % (fmt_mb(reserve), fmt_mb(total)))
    services_min = others_mb + sum(c["min_mb"] for c in components)
    services_now = others_mb + sum(c["now_mb"] for c in components)
    return {"total_mb": total, "scope": view.get("scope"), "reserve_mb": reserve, "services_mb": services_min,
            "needed_mb": services_min + reserve, "steady_mb": services_now + reserve, "components": components,
            "lines": lines}


def ram_needed_mb(facts, thresholds, ctx):
    """The memory the host's services need at least (the verdict's ``needed_mb``), or None when unknown."""
    result = verdict(facts, thresholds, ctx)
    return result["needed_mb"] if result else None


def _has(result):
    return "%s%s" % (fmt_mb(result["total_mb"]), ", the container's limit" if result["scope"] == "cgroup" else "")


def ram_insufficient(facts, thresholds, ctx):
    result = verdict(facts, thresholds, ctx)
    if result is None or result["needed_mb"] <= result["total_mb"]:
        return []
    needed, total = result["needed_mb"], result["total_mb"]
    evidence = ["needs at least %s (has %s): the services at their minimum %s + OS reserve %s = %s, %s over" % (
        fmt_mb(needed), _has(result), fmt_mb(result["services_mb"]), fmt_mb(result["reserve_mb"]), fmt_mb(needed),
        fmt_mb(needed - total))] + result["lines"]
    severity = "critical" if result["services_mb"] > total else "warning"
    text = ("No tuning makes these services fit: even at their minimum sensible settings they need at least %s and "
            "the host has %s. Give it at least %s (more RAM, or a larger container limit), or move a service to "
            "another host. The other findings' remedies lower the risk of a kill; they cannot make the services fit."
            % (fmt_mb(needed), fmt_mb(total), fmt_mb(needed)))
    return [finding("ram_insufficient", severity, "RAM insufficient: needs at least %s (has %s)" % (
        fmt_mb(needed), fmt_mb(total)), evidence, text)]


def ram_tight(facts, thresholds, ctx):
    result = verdict(facts, thresholds, ctx)
    if result is None or result["needed_mb"] > result["total_mb"] or result["steady_mb"] <= result["total_mb"]:
        return []
    total = result["total_mb"]
    fired = set(f["id"] for rule in (database_oversized, workers_oversubscribed, leak_suspect)
                for f in rule(facts, thresholds, ctx))
    freeing = sorted((c for c in result["components"] if c["now_mb"] > c["min_mb"]),
                     key=lambda c: (c["min_mb"] - c["now_mb"], c["name"]))
    over, steps, offered = result["steady_mb"] - total, [], []
    for c in freeing:
        if over <= 0:
            break
        rule = FREED_BY[c["kind"]]
        steps.append("%s: %s -> %s frees %s (%s)" % (
            c["name"], fmt_mb(c["now_mb"]), fmt_mb(c["min_mb"]), fmt_mb(c["now_mb"] - c["min_mb"]),
            "the remedy of %s" % rule if rule in fired else "no finding offers it: size it by hand"))
        if rule in fired and rule not in offered:
            offered.append(rule)
        over -= c["now_mb"] - c["min_mb"]
    evidence = ["holds %s now with the OS reserve (has %s); at their minimum the services need at least %s: they "
                "fit once tuned" % (fmt_mb(result["steady_mb"]), _has(result), fmt_mb(result["needed_mb"]))]
    evidence += ["tuning gets there: %s" % s for s in steps] + result["lines"]
    if "leak_suspect" in fired:
        offered.append("leak_suspect")  # a leak is no part of the steady figures: stopping it keeps them steady
    text = ("The services fit in %s only once tuned: %s." % (
        fmt_mb(total), "apply the remedies of %s" % ", ".join(offered) if offered else
        "no finding offers the tuning: lower the caches and worker counts named above by hand"))
    return [finding("ram_tight", "info", "RAM is tight: the services fit only once tuned (need at least %s of %s)" % (
        fmt_mb(result["needed_mb"]), fmt_mb(total)), evidence, text)]
