# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which limit fired for one OOM kill: the killed unit's own (``unit``), a slice above it (``slice``),
the container it runs in (``container``), another cgroup above it (``cgroup``) or the whole machine
(``host``), from the kernel's ``oom_memcg`` (the cgroup whose limit was hit) against ``task_memcg``
(where the victim ran).

Only a ``unit`` kill means the unit's MemoryMax is too small (or it leaks); any other limit is shared
with the unit's neighbours, and a MemoryMax sized from one dead process would be a guess.

``container_kills`` attributes kills to the containers memory_facts listed (``containers.list``): a kill whose
limit fired at a listed container's cgroup, or inside it, is that container's (its own limit fired: not a host
OOM); the container rules report those, and the host-level OOM rules leave them out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.module_utils.cgroups import container_of
from ansible_collections.headroom.memory.plugins.module_utils.systemd.unit_names import container_match, unit_from_cgroup
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import processes, unit_cgroups, victim_name

KINDS = ("unit", "slice", "container", "cgroup", "host")


def _parts(path):
    return [p for p in str(path or "").split("/") if p]


def kill_limit(event, own_limits=None):
    """``{kind, cgroup, unit}`` for one event: ``cgroup`` is the oom_memcg that fired (None for host
    kills), ``unit`` the killed unit. ``own_limits`` ({unit: limit_mb}) lets a memcg kill that names no
    oom_memcg (old kernels) count as the unit's own when the unit has a limit of its own."""
    unit = event.get("unit") or unit_from_cgroup(event.get("task_memcg") or event.get("cgroup"))
    scope = event.get("scope")
    oom = event.get("oom_memcg")
    if scope == "global" or (scope != "memcg" and not oom) or (oom and not _parts(oom)):
        return {"kind": "host", "cgroup": None, "unit": unit}
    if not oom:
        kind = "unit" if unit and (own_limits or {}).get(unit) else "cgroup"
        return {"kind": kind, "cgroup": None, "unit": unit}
    parts = _parts(oom)
    last, parent = parts[-1], (parts[-2] if len(parts) > 1 else "")
    if container_of(last, parent):
        kind = "container"  # also when the "unit" is the container itself (docker/<id>)
    elif unit and last == unit:
        kind = "unit"
    elif last.endswith(".slice"):
        kind = "slice"
    else:
        kind = "cgroup"
    return {"kind": kind, "cgroup": oom, "unit": unit}


def describe(limit):
    """A short sentence naming the limit that fired."""
    kind, cgroup = limit["kind"], limit.get("cgroup")
    if kind == "host":
        return "a host-wide (global) OOM: the whole machine ran out, any process could be picked"
    if kind == "unit":
        return "the unit's own memory limit (%s)" % (cgroup or "memcg")
    if kind == "container":
        return "the container's limit (%s), not the unit's own" % cgroup
    if kind == "slice":
        return "the limit of slice %s, shared with its other units" % cgroup
    return "the limit of cgroup %s above the unit" % (cgroup or "(not named by the kernel)")


def _inside(path, cgroup):
    path, cgroup = str(path or "").rstrip("/"), str(cgroup or "").rstrip("/")
    return bool(_parts(path)) and bool(_parts(cgroup)) and (path == cgroup or path.startswith(cgroup + "/"))


def container_of_kill(event, containers):
    """The container (an item of ``containers``, memory_facts' ``containers.list``) whose own limit fired for
    ``event``, or None. The limit that fired is the kernel's ``oom_memcg``; on kernels that name none, a memcg
    kill whose victim ran in a container with a limit counts as that container's. A host-wide (global) kill is
    never a container's, even when its victim ran in one: any process could have been picked. A container is
    recognised by its cgroup path or by its id in the path (the cgroup of a container that the kill stopped
    is gone from the facts, its id is not)."""
    if not isinstance(event, dict) or event.get("scope") == "global":
        return None
    path = event.get("oom_memcg")
    if not path:
        if event.get("scope") != "memcg":
            return None
        path = event.get("task_memcg") or event.get("cgroup")
        if not path:
            return None
    listed = [c for c in containers or [] if isinstance(c, dict)]
    ids = set()
    for part in _parts(path):
        match = container_match(part)
        if match:
            ids.add(match[1])
    for c in listed:
        if (c.get("id") in ids or _inside(path, c.get("cgroup"))) and (
                event.get("oom_memcg") or c.get("limit_mb") or c.get("engine_memory_mb")):
            return c
    return None


def container_kills(events, containers):
    """[(event, container)] of the ``events`` that ``container_of_kill`` gives to a listed container."""
    found = []
    for event in events or []:
        c = container_of_kill(event, containers)
        if c is not None:
            found.append((event, c))
    return found


# --- what the logs cannot support: the kernel's own counters ---------------------------------------------------

def unread_reason(source):
    """Why one OOM history source (an item of memory_facts' ``oom.sources``) was not read and what would read it,
    as one clause; None when it was read or is absent. Only ``denied`` is a matter of privileges."""
    state = source.get("status")
    name = source.get("name") or "a source"
    msg = source.get("msg") or source.get("message") or ""
    if state == "denied":
        return "%s was not readable (%s): become: true reads it" % (name, msg or "permission denied")
    if state == "error" and "timed out" in msg:
        return "the %s read timed out (%s): a shorter oom_since reads less of it" % (name, msg)
    if state == "error":
        return "%s could not be read (%s)" % (name, msg or "error")
    return None


def log_coverage(facts, events=None):
    """Whether the logs support the kill counts, against the kernel's own counters.

    ``{supported, missing_since_boot, reasons, units}``: ``supported`` False when the kernel's count proves kills
    missing from the logs, or when no count says and a source was not read; ``missing_since_boot`` the kernel kills since boot (/proc/vmstat
    ``oom_kill``) that no log holds (0 when none or unknown); ``reasons`` why, one clause each (a source not read,
    or the ring buffer having rolled over when every source was read); ``units`` [{unit, logged, counted}] for each
    unit whose cgroup's ``oom_kill`` counter (memory.events / memory.oom_control) exceeds the kills the logs give
    it, listed only when the count is not supported (the counter also holds kills older than the window)."""
    oom = facts.get("oom") or {}
    counted = oom.get("kills_since_boot")
    logged = oom.get("kernel_kills_logged_since_boot")
    missing = counted - logged if isinstance(counted, int) and isinstance(logged, int) and counted > logged else 0
    reasons = [r for r in (unread_reason(s) for s in oom.get("sources") or [] if isinstance(s, dict)) if r]
    if missing and not reasons:
        reasons.append("the logs hold %d of the kernel's %d OOM kills since boot (oom_kill in /proc/vmstat): the "
                       "kernel's ring buffer keeps only its newest messages, the older reports rolled out of it and "
                       "no journal or syslog file kept them" % (logged, counted))
    # unsupported: the kernel's count proves kills missing, or no count says and a source was not read
    supported = not missing and (not reasons or (isinstance(counted, int) and isinstance(logged, int)))
    units = []
    if not supported:
        by_unit = dict((oom.get("counts") or {}).get("by_unit") or {})
        if not by_unit:
            for event in events or []:
                if isinstance(event, dict) and event.get("unit"):
                    by_unit[event["unit"]] = by_unit.get(event["unit"], 0) + 1
        for unit, entry in sorted(unit_cgroups(facts).items()):
            counter = entry.get("oom_kill")
            if isinstance(counter, int) and not isinstance(counter, bool) and counter > by_unit.get(unit, 0):
                units.append({"unit": unit, "logged": by_unit.get(unit, 0), "counted": counter})
    return {"supported": supported, "missing_since_boot": missing, "reasons": reasons, "units": units}


# --- PM2: which PM2 app a killed node process was ---------------------------------------------------------------

def pm2_apps(facts):
    """The PM2 apps memory_facts listed (its ``pm2`` subset): a list of mappings, never None."""
    apps = (facts.get("pm2") or {}).get("apps") or []
    return [a for a in apps if isinstance(a, dict) and a.get("name") is not None]


def pm2_daemon_units(facts):
    """The units a PM2 daemon runs in, seen from the process list (its comm is ``PM2 v5.4.2: God``; ``pm2 startup``
    names the unit pm2-<user>.service) and from the pm2 facts: the heap role must not set NODE_OPTIONS there, nor
    service_limits a limit, every app would inherit it."""
    units = set(p.get("unit") for p in processes(facts)
                if p.get("unit") and (str(p.get("comm") or "").startswith("PM2") or str(p["unit"]).startswith("pm2-")))
    return units | set(a.get("unit") for a in pm2_apps(facts) if a.get("unit"))


def _node_like(comm, app_name):
    """A victim comm a PM2 app's process can have: ``node`` (``nodejs``), the ``node <script>`` title PM2 gives
    it (cut to the kernel's 15 characters), or the app's own name as the process set it."""
    comm = str(comm or "")
    return comm in ("node", "nodejs") or comm.startswith("node ") or (bool(comm) and comm == str(app_name)[:15])


def pm2_owner(event, facts):
    """``{pm2_app, pm2_id}`` of the PM2 app whose node process ``event`` killed, or None. By pid: the victim's pid is
    an app's pid in the pm2 facts. Else by cgroup: the kill was in the systemd unit PM2 runs under and one app name
    alone runs there (``pm2_id`` then only when it has one instance: PM2 restarted the dead one, its pid is gone)."""
    victim = event.get("victim") or {}
    pid, comm = victim.get("pid"), victim.get("comm")
    apps = pm2_apps(facts)
    if pid is not None:
        for app in apps:
            if app.get("pid") == pid and _node_like(comm, app["name"]):
                return {"pm2_app": app["name"], "pm2_id": app.get("pm_id")}
    unit = event.get("unit")
    if not unit:
        return None
    mine = [a for a in apps if a.get("unit") == unit]
    names = sorted(set(str(a["name"]) for a in mine))
    if len(names) != 1 or not _node_like(comm, names[0]):
        return None  # no PM2 app there, or several: the kernel's record cannot tell which
    return {"pm2_app": mine[0]["name"], "pm2_id": mine[0].get("pm_id") if len(mine) == 1 else None}


def attribute_pm2(events, facts):
    """``events`` with ``pm2_app`` and ``pm2_id`` added (on copies) to the kills of a PM2 app's node process."""
    if not pm2_apps(facts):
        return list(events)
    out = []
    for event in events:
        owner = pm2_owner(event, facts) if isinstance(event, dict) else None
        out.append(dict(event, **owner) if owner else event)
    return out


def victim_label(event):
    """What the report calls a kill's victim: ``PM2 app api (id 0)`` for a PM2 app's process, else its comm."""
    if event.get("pm2_app") is not None:
        ident = event.get("pm2_id")
        return "PM2 app %s%s" % (event["pm2_app"], "" if ident is None else " (id %s)" % ident)
    return victim_name(event)
