# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Triage rules for Node.js and PM2: node_heap_unbounded, pm2_restart_threshold_missing, pm2_restart_loop.

They read memory_facts' ``pm2`` subset (``pm2.apps``: one entry per PM2 process, instances of a cluster share the
name) and the ``node_heap_mb``/``node_heap_source`` of node processes in ``processes``. V8 sizes its default old
space from the memory it sees, often the host's and not the unit's or the container's, and in PM2 cluster mode
every instance gets that ceiling.

Remedies are ``pm2_apps`` items for headroom.memory.pm2 (``max_memory_restart``, ``max_old_space_size``) sized from
what the app holds and the room it has; a node service run by systemd without PM2 gets the heap role's
``heap_services`` item (runtime node: ``NODE_OPTIONS=--max-old-space-size``), the one place that sets a unit's heap.
The remedy gate (triage.gate) then checks every size against the host: a threshold under what the app holds now
would restart it forever, and is withheld with that reason. Beside the PM2 leak finding (an app without a threshold
that grew or was OOM-killed) an app listed in ``diagnose_scheduled_restart_pm2_apps`` also gets ``cron_restart``
(once a day, leak.SCHEDULED_RESTART_CRON): a stop-gap while the leak is found, as service_limits' restart_every is
for a unit."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.attribution import pm2_apps, pm2_daemon_units
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import (
    finding, fmt_mb, is_service, memory_view, processes, size_str, unit_limits, unit_room_mb, unit_use_mb, victim_rss_mb)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.leak import SCHEDULED_RESTART_CRON, suspects_of
from ansible_collections.headroom.memory.plugins.plugin_utils.pm2.plan import plan as pm2_plan

PM2 = "headroom.memory.pm2"
HEAP = "headroom.memory.heap"

# a node service's heap (heap role, NODE_OPTIONS) may take this share of what its unit can get, split between its
# node processes (the rest: young generation, code, buffers, native memory); the gate allows up to HEAP_SHARE_PCT.
# A PM2 app is sized by the pm2 role's plan instead (size_pm2).
NODE_HEAP_PCT = 60
# a threshold at or above this share of the threshold in force means PM2 is restarting the app for memory it needs
THRESHOLD_TIGHT_PCT = 90
# PM2 statuses of an app that is not up
DOWN = ("errored", "stopped")
_STEP = 16  # MiB: a node service's heap is proposed in 16 MiB steps, rounded down (never above the room)


def _down16(mb):
    return max(int(mb) // _STEP * _STEP, 0)


def app_groups(facts):
    """[(name, [instances])] of the PM2 apps, by name (cluster instances share it), in name order."""
    groups = {}
    for app in pm2_apps(facts):
        groups.setdefault(str(app["name"]), []).append(app)
    return sorted(groups.items())


def app_label(name, instances):
    """``PM2 app api (id 0)``, ``PM2 app api (ids 0, 1)``."""
    ids = [str(a.get("pm_id")) for a in instances if a.get("pm_id") is not None]
    if not ids:
        return "PM2 app %s" % name
    return "PM2 app %s (id%s %s)" % (name, "s" if len(ids) > 1 else "", ", ".join(ids))


def app_use_mb(instances):
    """(per instance, all instances) MiB the app holds now: the largest instance's RSS and their sum."""
    values = [a.get("memory_mb") for a in instances if isinstance(a.get("memory_mb"), (int, float))]
    return (max(values), sum(values)) if values else (None, None)


def app_room_mb(facts, name, instances):
    """(MiB, where) all instances of the app may have: what PM2's unit can get (unit_room_mb) minus what the unit's
    other PM2 apps hold; without a unit, the host's (or container's) available memory plus what the app holds."""
    _per, own = app_use_mb(instances)
    unit = next((a.get("unit") for a in instances if a.get("unit")), None)
    if unit:
        room, where = unit_room_mb(facts, unit)
        if room is None:
            return None, None
        others = sum(a.get("memory_mb") or 0 for a in pm2_apps(facts) if a.get("unit") == unit and str(a["name"]) != name)
        if others:
            room, where = max(room - others, 0), "%s, less %s its other PM2 apps hold" % (where, fmt_mb(others))
        return room, "%s (%s)" % (unit, where)
    view = memory_view(facts)
    if view["available_mb"] is None:
        return None, None
    return view["available_mb"] + (own or 0), "the %s's available memory plus what the app holds" % (
        "container" if view["scope"] == "cgroup" else "host")


# --- sizing: the pm2 role's own plan (plugin_utils/pm2/plan.py), so that a remedy is one the role accepts ----------

def size_pm2(facts, instances, steady_mb=None, peak_mb=None):
    """``{max_memory_restart, max_old_space_size, errors}`` for one instance of a PM2 app (``instances``: its pm2
    facts entries) from pm2.plan.plan: the threshold at the peak (a kill's RSS, a second sample, else what it holds
    now) plus diagnose's drift margin, never above the app's share of the host (or of PM2's unit's limit), never
    under what it holds plus the margin; the heap a share of that threshold. ``errors`` say why none fits."""
    unit = next((a.get("unit") for a in instances if a.get("unit")), None)
    sized = pm2_plan(instances, facts, peak_mb=peak_mb, steady_mb=steady_mb,
                     unit_limit_mb=unit_limits(facts).get(unit) if unit else None,
                     unit_use_mb=unit_use_mb(facts, unit)[0] if unit else None)
    if sized["errors"]:
        return {"max_memory_restart": None, "max_old_space_size": None, "errors": sized["errors"]}
    return {"max_memory_restart": sized["max_memory_restart"], "max_old_space_size": sized["max_old_space_size"],
            "errors": []}


def _unbounded(instances):
    return [a for a in instances if a.get("heap_mb") is None and a.get("heap_source") in (None, "default")]


def _pm2_heaps(facts, evidence, entries, named):
    for name, instances in app_groups(facts):
        loose = _unbounded(instances)
        defaults = [a.get("default_heap_mb") for a in loose if isinstance(a.get("default_heap_mb"), (int, float))]
        if not loose or not defaults:
            continue
        count = max(len(instances), max(a.get("instances") or 0 for a in instances))
        total = max(defaults) * count
        room, where = app_room_mb(facts, name, instances)
        if room is None or total <= room:
            continue
        label = app_label(name, instances)
        named.append(label)
        evidence.append("%s (%s, %d instance(s)): no --max-old-space-size; V8's default heap is %s each, %s in all, "
                        "more than %s can give (%s)" % (label, instances[0].get("exec_mode") or "fork", count,
                                                        fmt_mb(max(defaults)), fmt_mb(total), fmt_mb(room), where))
        size = size_pm2(facts, instances)
        if size["errors"]:
            evidence.extend("%s: no heap proposed: %s" % (label, e) for e in size["errors"])
        else:  # the heap with the threshold it is a share of (the pm2 role's rule)
            entries.append({"name": name, "max_memory_restart": size["max_memory_restart"],
                            "max_old_space_size": size["max_old_space_size"]})


def _node_units(facts, pm2_pids, pm2_units):
    """{unit or None: [node processes]} of the node processes PM2 does not run, with V8's default heap."""
    found = {}
    pm2_units = set(pm2_units) | pm2_daemon_units(facts)
    for proc in processes(facts):
        if proc.get("node_heap_source") != "default" or not isinstance(proc.get("node_heap_mb"), (int, float)):
            continue
        if proc.get("pid") in pm2_pids or (proc.get("unit") and proc.get("unit") in pm2_units):
            continue
        found.setdefault(proc.get("unit") if is_service(proc.get("unit")) else None, []).append(proc)
    return found


def _systemd_heaps(facts, evidence, heap_entries, named):
    apps = pm2_apps(facts)
    pm2_pids = set(a.get("pid") for a in apps if a.get("pid") is not None)
    pm2_units = set(a.get("unit") for a in apps if a.get("unit"))
    for unit, procs in sorted(_node_units(facts, pm2_pids, pm2_units).items(), key=lambda kv: str(kv[0])):
        ceiling = max(p["node_heap_mb"] for p in procs)
        if unit is None:
            evidence.append("node pid(s) %s outside a service: V8's default heap is %s each; set --max-old-space-size "
                            "where they are started" % (", ".join(str(p.get("pid")) for p in procs), fmt_mb(ceiling)))
            continue
        room, where = unit_room_mb(facts, unit)
        if room is None or ceiling * len(procs) <= room:
            continue
        named.append("unit %s" % unit)
        evidence.append("%s: %d node process(es) without --max-old-space-size; V8's default heap is %s each, more than "
                        "%s it can get (%s)" % (unit, len(procs), fmt_mb(ceiling), fmt_mb(room), where))
        heap = _down16(room * NODE_HEAP_PCT // 100 // len(procs))
        if heap:
            heap_entries.append({"unit": unit, "runtime": "node", "max": size_str(heap, step=_STEP)})


def node_heap_unbounded(facts, thresholds, ctx):
    evidence, entries, heap_entries, named = [], [], [], []
    _pm2_heaps(facts, evidence, entries, named)
    _systemd_heaps(facts, evidence, heap_entries, named)
    if not named:
        return []
    role_vars = {}
    if entries:
        role_vars["pm2_apps"] = entries
    if heap_entries:
        role_vars["heap_services"] = heap_entries
    text = ("Give every Node process an explicit heap (--max-old-space-size) sized to its share: V8 sizes its default "
            "from the memory it sees, often the host's, and every PM2 cluster instance gets that ceiling.")
    role = PM2 if entries else (HEAP if heap_entries else None)
    if entries and heap_entries:
        text += " The PM2 apps get it from headroom.memory.pm2, the node services from headroom.memory.heap."
    return [finding("node_heap_unbounded", "warning", "Node heap unbounded: %s" % ", ".join(named), evidence, text,
                    role, role_vars or None)]


def _kills_of(ctx, name):
    return [e for e in ctx.get("events") or [] if e.get("pm2_app") is not None and str(e["pm2_app"]) == name
            and e.get("complete", True)]


def pm2_restart_threshold_missing(facts, thresholds, ctx):
    suspects = None
    evidence, entries, named, recycled = [], [], [], []
    recyclable = ctx.get("scheduled_restart_pm2_apps") or frozenset()
    for name, instances in app_groups(facts):
        if any(a.get("max_memory_restart_mb") for a in instances):
            continue
        kills = _kills_of(ctx, name)
        if suspects is None:
            suspects = [s for s in suspects_of(facts, thresholds, ctx) if s.get("pid") is not None]
        pids = set(a.get("pid") for a in instances if a.get("pid") is not None)
        grew = [s for s in suspects if s["pid"] in pids]
        if not kills and not grew:
            continue
        label = app_label(name, instances)
        named.append(label)
        per, _all = app_use_mb(instances)
        # sized from what it holds now: a threshold under that would restart it again and again (the gate checks)
        steady = per if per else (min(s["start_mb"] for s in grew) if grew else None)
        peaks = [victim_rss_mb(e) for e in kills if victim_rss_mb(e)]
        if kills:
            evidence.append("%s: OOM-killed %d time(s) in the window (RSS at the kills: %s) and has no max_memory_restart"
                            % (label, len(kills), ", ".join(fmt_mb(p) for p in peaks) or "unknown"))
        for s in grew:
            evidence.append("%s: %s; no max_memory_restart" % (label, s["evidence"]))
        peak = max(peaks + [s["peak_mb"] for s in grew]) if (peaks or grew) else None
        size = size_pm2(facts, instances, steady_mb=steady, peak_mb=peak)
        entry = {"name": name}
        if size["errors"]:
            evidence.extend("%s: no threshold proposed: %s" % (label, e) for e in size["errors"])
        else:
            entry["max_memory_restart"] = size["max_memory_restart"]
            evidence.append("%s: threshold sized from %s held now%s" % (
                label, fmt_mb(steady), " and a peak of %s" % fmt_mb(peak) if peak else ""))
        if name in recyclable:
            entry["cron_restart"] = SCHEDULED_RESTART_CRON
            recycled.append(name)
        if len(entry) > 1:
            entries.append(entry)
    if not named:
        return []
    text = ("A PM2 app that leaks or was OOM-killed should be restarted by PM2 at a memory threshold "
            "(max_memory_restart) before the kernel kills it, or another process in its place: one app restarted at "
            "its threshold instead of a kill anywhere on the host. Find the leak meanwhile.")
    if recycled:
        text += (" As a stop-gap while the leak is found, %s restarted by PM2 every day at 04:00 (cron_restart %s), as "
                 "diagnose_scheduled_restart_pm2_apps allows: not a fix." % (
                     ", ".join(sorted(recycled)) + (" is" if len(recycled) == 1 else " are"), SCHEDULED_RESTART_CRON))
    return [finding("pm2_restart_threshold_missing", "warning",
                    "PM2 app without a memory threshold: %s" % ", ".join(named), evidence, text,
                    PM2 if entries else None, {"pm2_apps": entries} if entries else None)]


def pm2_restart_loop(facts, thresholds, ctx):
    evidence, entries, named = [], [], []
    severity = "warning"
    for name, instances in app_groups(facts):
        unstable = sum(a.get("unstable_restarts") or 0 for a in instances)
        restarts = sum(a.get("restarts") or 0 for a in instances)
        errored = [a for a in instances if a.get("status") == "errored"]
        if not (unstable or errored or restarts >= thresholds["pm2_restarts_warn"]):
            continue
        label = app_label(name, instances)
        named.append(label)
        if errored:
            severity = "critical"
        evidence.append("%s: %d restart(s), %d unstable (restarted within PM2's min_uptime), status %s" % (
            label, restarts, unstable, ", ".join(sorted(set(str(a.get("status")) for a in instances)))))
        threshold = max([a.get("max_memory_restart_mb") or 0 for a in instances])
        per, _all = app_use_mb(instances)
        if threshold and per is not None and per * 100 >= threshold * THRESHOLD_TIGHT_PCT:
            evidence.append("%s holds %s with max_memory_restart %s: PM2 restarts it for memory it needs"
                            % (label, fmt_mb(per), fmt_mb(threshold)))
            size = size_pm2(facts, instances)
            if size["errors"]:
                evidence.extend("%s: no threshold proposed: %s" % (label, e) for e in size["errors"])
            else:
                entries.append({"name": name, "max_memory_restart": size["max_memory_restart"]})
    if not named:
        return []
    text = ("An app PM2 keeps restarting is not serving: read its logs (pm2 logs NAME) for why it exits. Where its "
            "memory threshold is under what it needs, raise the threshold (only within the room it has).")
    return [finding("pm2_restart_loop", severity, "PM2 restart loop: %s" % ", ".join(named), evidence, text,
                    PM2 if entries else None, {"pm2_apps": entries} if entries else None)]
