# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every triage rule shares: thresholds and their defaults, the host's effective memory, the OOM
events that belong to the host, and the finding record itself.

A finding is ``{id, severity, title, evidence, remedy}``: ``evidence`` is a list of short sentences,
``remedy`` is ``{text, role, vars, settings}`` where ``role`` is a role of this collection (or None),
``vars`` the variables to give it (ready for host_vars) and ``settings`` the concrete settings to change
where no role of this collection manages them (``[{service, setting, value}]``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import re

# the triage rules and the report renderers format sizes with these (defined once, in sizes)
from ansible_collections.headroom.memory.plugins.module_utils.sizes import (  # noqa: F401 pylint: disable=unused-import
    format_mb as fmt_mb, size_string_mb as size_str)
from ansible_collections.headroom.memory.plugins.module_utils.oom.options import MAX_EVENTS_DEFAULT

SEVERITY_RANK = {"critical": 3, "warning": 2, "info": 1}

# every threshold a rule reads, with its default; ``diagnose_thresholds`` is merged over these
DEFAULT_THRESHOLDS = {
    # memory_available_low: MemAvailable (or the cgroup's room) as % of RAM (alert rules: 15% / 10%)
    "available_warn_pct": 15,
    "available_crit_pct": 10,
    # memory_pressure_high: PSI /proc/pressure/memory avg60, in %
    "psi_some_avg60_warn": 10.0,
    "psi_full_avg60_warn": 2.0,
    "psi_full_avg60_crit": 10.0,
    # oom_kills_recent: this many kills in the window make it critical (one is a warning)
    "oom_kills_crit": 3,
    # only kills whose memcg path starts with this prefix count (hosts that share a kernel, e.g.
    # containers: /libpod_parent/libpod-<id>, /docker/<id>); None counts every kill in the log
    "oom_cgroup_prefix": None,
    # leak_suspect: kills of the same process with anon-rss growing by this % from first to last
    "leak_min_kills": 2,
    "leak_kill_growth_pct": 20,
    # leak_suspect between two samples: growth of one pid's RSS + swap, both conditions must hold
    "leak_sample_growth_mb": 32,
    "leak_sample_growth_pct": 10,
    # database_oversized: a database's resident memory as % of RAM (MySQLTuner's danger line is 85%)
    "database_warn_pct": 50,
    "database_crit_pct": 85,
    # the share of RAM the remedy sizes a database to (its cache settings and its MemoryMax backstop)
    "database_target_pct": 50,
    # workers_oversubscribed: count x average RSS against the room (unit limit or available + own)
    "workers_min_count": 4,
    "workers_fit_pct": 90,
    "workers_target_pct": 75,
    "worker_comms": ["php-fpm.*", "apache2", "httpd", "gunicorn.*", "uwsgi", "puma.*", "celery",
                     "unicorn.*", "sidekiq.*", "node", "python[0-9.]*", "ruby[0-9.]*"],
    # jvm_heap_unbounded: the heap the remedy sets, as % of the unit's limit (or of RAM without one)
    "jvm_heap_limit_pct": 60,
    "jvm_heap_ram_pct": 25,
    # pm2_restart_loop: this many restarts of one PM2 app (all its instances) make a loop; any unstable restart does
    "pm2_restarts_warn": 10,
    # swap_missing: hosts with at most this much RAM should have swap
    "swap_missing_max_ram_mb": 8192,
    # swappiness_high: above this (above the database value where a database runs)
    "swappiness_max": 60,
    "swappiness_max_database": 10,
    "swappiness_target": 10,
    # overcommit_risky: Committed_AS against CommitLimit (mode 2) or against RAM + swap (mode 0)
    "overcommit_strict_pct": 90,
    "overcommit_heuristic_pct": 150,
    # oom_protection_missing: processes that must survive a kill elsewhere, and their suggested adj
    "protected_comms": ["sshd", "postgres", "mysqld", "mariadbd", "mongod", "redis-server"],
    "protected_score_adj": -900,
}

# the range of each numeric threshold (both ends allowed): a value outside it makes a rule fire always or never
THRESHOLD_RANGES = {
    "available_warn_pct": (0, 100), "available_crit_pct": (0, 100),
    "psi_some_avg60_warn": (0, 100), "psi_full_avg60_warn": (0, 100), "psi_full_avg60_crit": (0, 100),
    "oom_kills_crit": (1, 1000000),
    "leak_min_kills": (2, 1000), "leak_kill_growth_pct": (1, 10000),
    "leak_sample_growth_mb": (1, 1048576), "leak_sample_growth_pct": (1, 10000),
    "database_warn_pct": (1, 100), "database_crit_pct": (1, 100), "database_target_pct": (1, 100),
    "workers_min_count": (1, 100000), "workers_fit_pct": (1, 100), "workers_target_pct": (1, 100),
    "jvm_heap_limit_pct": (1, 100), "jvm_heap_ram_pct": (1, 100),
    "pm2_restarts_warn": (1, 1000000),
    "swap_missing_max_ram_mb": (0, 1073741824),
    "swappiness_max": (0, 200), "swappiness_max_database": (0, 200), "swappiness_target": (0, 200),
    "overcommit_strict_pct": (1, 100), "overcommit_heuristic_pct": (1, 10000),
    "protected_score_adj": (-1000, 0),
}
DATABASE_COMMS = {
    "postgres": "postgresql",
    "postmaster": "postgresql",
    "mysqld": "mysql",
    "mariadbd": "mariadb",
    "mongod": "mongodb",
    "redis-server": "redis",
}


class ThresholdError(ValueError):
    """A ``diagnose_thresholds`` entry that is unknown or of the wrong type, or a malformed
    ``diagnose_scheduled_restart_units``: the operator's input, which stops the whole run."""


def merge_thresholds(overrides=None):
    """Defaults with ``overrides`` merged over them; unknown keys and wrong types raise ThresholdError."""
    merged = dict(DEFAULT_THRESHOLDS)
    if overrides is not None and not isinstance(overrides, dict):
        raise ThresholdError("diagnose_thresholds must be a dict of threshold: value, got %s %r"
                             % (type(overrides).__name__, overrides))
    for key, value in (overrides or {}).items():
        if key not in DEFAULT_THRESHOLDS:
            raise ThresholdError("diagnose_thresholds: unknown key %r; known keys: %s"
                                 % (key, ", ".join(sorted(DEFAULT_THRESHOLDS))))
        default = DEFAULT_THRESHOLDS[key]
        if default is None:
            if value is not None and not isinstance(value, str):
                raise ThresholdError("diagnose_thresholds.%s: expected a string or null, got %r" % (key, value))
        elif value is None:
            raise ThresholdError("diagnose_thresholds.%s: expected %s, got null" % (
                key, "a list of strings" if isinstance(default, list) else "a number"))
        elif isinstance(default, list):
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                raise ThresholdError("diagnose_thresholds.%s: expected a list of strings, got %r" % (key, value))
            value = list(value)
            for pattern in value:
                try:
                    re.compile("(?:%s)$" % pattern)
                except re.error as exc:
                    raise ThresholdError("diagnose_thresholds.%s: %r is not a regular expression (%s)"
                                         % (key, pattern, exc))
        elif isinstance(value, bool):
            raise ThresholdError("diagnose_thresholds.%s: expected a number, got %r" % (key, value))
        elif not isinstance(value, (int, float)):
            try:
                value = float(value) if isinstance(default, float) else int(value)
            except (TypeError, ValueError):
                raise ThresholdError("diagnose_thresholds.%s: expected a number, got %r" % (key, value))
        if isinstance(value, float) and not math.isfinite(value):
            raise ThresholdError("diagnose_thresholds.%s: expected a finite number, got %r" % (key, value))
        if key in THRESHOLD_RANGES and not THRESHOLD_RANGES[key][0] <= value <= THRESHOLD_RANGES[key][1]:
            raise ThresholdError("diagnose_thresholds.%s: %r is out of range: from %s to %s" % (
                key, value, THRESHOLD_RANGES[key][0], THRESHOLD_RANGES[key][1]))
        merged[key] = value
    return merged


def threshold_errors(overrides=None):
    """[] when ``overrides`` (diagnose_thresholds) merge cleanly, else [message naming the key and value]: the
    check the diagnose and remediate preflights run before the first host query."""
    try:
        merge_thresholds(overrides)
    except ThresholdError as exc:
        return [str(exc)]
    return []


def finding(rule_id, severity, title, evidence, text, role=None, role_vars=None, settings=None):
    """One finding record."""
    return {
        "id": rule_id,
        "severity": severity,
        "title": title,
        "evidence": list(evidence),
        "remedy": {
            "text": text,
            "role": role,
            "vars": role_vars or {},
            "settings": settings or [],
        },
    }


def short_time(text):
    """An ISO-8601 UTC time as ``2026-11-25 22:39:22 UTC`` (no fraction); other text unchanged."""
    m = re.match(r"^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?Z$", str(text or ""))
    return "%s %s UTC" % m.groups() if m else text


def pct(part, whole):
    """``part`` as a percentage of ``whole`` (one decimal), None when either is unknown or whole is 0."""
    if part is None or not whole:
        return None
    return round(100.0 * part / whole, 1)


def memory_view(facts):
    """The memory the host's processes really have: the cgroup limit when it is below RAM (inside a
    container), else MemTotal. ``{total_mb, available_mb, available_pct, scope}``; None values when
    unknown."""
    mem = facts.get("memory") or {}
    cgroup = facts.get("cgroup") or {}
    total, available = mem.get("total_mb"), mem.get("available_mb")
    limit = cgroup.get("limit_mb")
    scope = "host"
    if limit is not None and (total is None or limit < total):
        usage = cgroup.get("usage_mb")
        room = None if usage is None else max(limit - usage, 0)
        if room is not None and available is not None:
            room = min(room, available)
        total, available, scope = limit, room, "cgroup"
    return {"total_mb": total, "available_mb": available, "available_pct": pct(available, total), "scope": scope}


_RUNTIME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")


def shared_kernel(facts):
    """The container runtime (``podman``, ``docker``, ``lxc``...) when the host is a container sharing its
    host's kernel (memory_facts' ``cgroup.container``), else None. Swap and every ``vm.*`` sysctl are then the
    host's: a swap file or a sysctl set from the container changes them for the host and all its containers.
    A runtime name that is not a short plain word (it is read from a file in the container) is ``container``."""
    runtime = (facts.get("cgroup") or {}).get("container")
    if not runtime:
        return None
    return runtime if isinstance(runtime, str) and _RUNTIME_RE.match(runtime) else "container"


def host_levers(facts, runtime, what):
    """The remedy text of a rule about ``what`` (swap, a vm.* sysctl) inside a container sharing its host's
    kernel: what can be done there, in plain words, and no change to make from inside the container."""
    limit = (facts.get("cgroup") or {}).get("limit_mb")
    limit_text = ("memory limit (now %s: raise it if the container needs more)" % fmt_mb(limit) if limit is not None
                  else "memory limit (it has none: set one with podman/docker --memory)")
    return ("This host is a %s container: it shares its host's kernel, so %s belongs to the host and changing it "
            "from here would change it for the host and every container on it. Nothing is proposed here. The levers "
            "are the host's swap and sysctls (manage them on the host) and this container's %s."
            % (runtime, what, limit_text))


def _event_paths(event):
    return [p for p in (event.get("oom_memcg"), event.get("task_memcg"), event.get("cgroup")) if p]


def own_events(facts, thresholds):
    """The OOM events of this host: all of them, or with ``oom_cgroup_prefix`` those whose cgroup path
    lies under that prefix (events that name no cgroup cannot be attributed and are left out)."""
    events = ((facts.get("oom") or {}).get("events")) or []
    prefix = thresholds.get("oom_cgroup_prefix")
    if not prefix:
        return list(events)
    prefix = prefix.rstrip("/")
    return [e for e in events
            if any(p == prefix or p.startswith(prefix + "/") for p in _event_paths(e))]


def window_kills(facts, thresholds):
    """(events, total): this host's own OOM events (own_events), only the newest MAX_EVENTS_DEFAULT of them
    (what memory_facts lists by default: facts listing more are cut here), and how many kills it had in the
    window. The kills memory_facts left out of its list (``oom.dropped``, beyond its oom_max_events) count too,
    except with ``oom_cgroup_prefix``: those cannot be attributed to the host."""
    events = own_events(facts, thresholds)
    total = len(events)
    if not thresholds.get("oom_cgroup_prefix"):
        total += int((facts.get("oom") or {}).get("dropped") or 0)
    return events[-MAX_EVENTS_DEFAULT:], total


def victim_name(event):
    """The comm of an event's victim, or ``?``."""
    return ((event.get("victim") or {}).get("comm")) or "?"


def victim_rss_mb(event):
    """anon + file + shmem rss of the victim at kill time, in MiB, or None."""
    victim = event.get("victim") or {}
    parts = [victim.get(k) for k in ("anon_rss_kb", "file_rss_kb", "shmem_rss_kb")]
    if all(p is None for p in parts):
        return None
    return sum(p or 0 for p in parts) // 1024


def processes(facts):
    """The listed processes (top by RSS), never None."""
    return facts.get("processes") or []


def container_list(facts):
    """The containers memory_facts listed (``containers.list``: docker, podman and cgroup-only ones), never None."""
    return [c for c in ((facts.get("containers") or {}).get("list") or []) if isinstance(c, dict)]


def process_groups(facts):
    """The per-comm groups, never None."""
    return facts.get("process_groups") or []


def unit_limits(facts):
    """{unit: limit_mb} of the units/containers with a memory limit."""
    limited = (facts.get("cgroup") or {}).get("limited") or []
    return dict((u.get("unit"), u.get("limit_mb")) for u in limited if u.get("unit"))


def is_service(unit):
    """True for a systemd service name (what service_limits, heap and the database settings act on);
    container ids and scopes are not."""
    return bool(unit) and unit.endswith(".service")


def limits_entry(facts, unit, memory_high=None, memory_max=None, memory_swap_max=None, **extra):
    """One ``service_limits_units`` item for headroom.memory.service_limits. MemoryHigh and MemorySwapMax work
    on cgroup v2 only: elsewhere the throttle becomes a MemoryMax a quarter above it (unless a MemoryMax is
    given), and MemorySwapMax is left out."""
    entry = {"unit": unit}
    v2 = str((facts.get("cgroup") or {}).get("version")) == "2"
    if memory_high is not None and v2:
        entry["memory_high"] = size_str(memory_high)
    if memory_max is not None:
        entry["memory_max"] = size_str(memory_max)
    elif memory_high is not None and not v2:
        entry["memory_max"] = size_str(memory_high * 5 // 4)
    if memory_swap_max is not None and v2:
        entry["memory_swap_max"] = size_str(memory_swap_max) if memory_swap_max else "0"
    entry.update(extra)
    return entry


def comm_matches(comm, patterns):
    """True when ``comm`` fully matches one of the regular expressions."""
    return any(re.match("(?:%s)$" % p, comm or "") for p in patterns)


def databases(facts):
    """The database engines running: [{engine, comm, rss_mb, count, unit, source}] from the process groups.
    Its size is its unit's cgroup counter (working set) where memory_facts read it; else from RSS:
    PostgreSQL's backends share its buffers, so its largest process, others are summed."""
    units = {}
    for proc in processes(facts):
        if proc.get("comm") in DATABASE_COMMS and proc.get("unit"):
            units.setdefault(proc["comm"], proc["unit"])
    found = []
    for group in process_groups(facts):
        comm = group.get("comm")
        if comm not in DATABASE_COMMS:
            continue
        rss = group.get("rss_mb_max") if DATABASE_COMMS[comm] == "postgresql" else group.get("rss_mb")
        source = "RSS"
        counted = unit_cgroups(facts).get(units.get(comm)) or {}
        if is_service(units.get(comm)) and counted.get("working_set_mb") is not None:
            rss, source = counted["working_set_mb"], "cgroup working set"
        found.append({"engine": DATABASE_COMMS[comm], "comm": comm, "rss_mb": rss,
                      "count": group.get("count"), "unit": units.get(comm), "source": source})
    return found


def _under(path, ancestor):
    """True when cgroup ``path`` lies strictly below ``ancestor``."""
    ancestor = (ancestor or "").rstrip("/")
    return bool(path) and path != ancestor and path.startswith(ancestor + "/")


def unit_cgroups(facts):
    """{unit: {cgroup, limit_mb, usage_mb, working_set_mb, pressure}} of the services and containers whose
    cgroup memory_facts read (``cgroup.units``, else the limited ones only)."""
    cgroup = facts.get("cgroup") or {}
    found = {}
    for entry in (cgroup.get("limited") or []) + (cgroup.get("units") or []):
        if entry.get("unit"):
            found[entry["unit"]] = entry
    return found


def unit_use_mb(facts, unit):
    """(MiB, source) the unit holds: its cgroup's working set (usage minus inactive page cache) or usage
    as the kernel counts them; else the sum of its listed processes' RSS, which counts shared memory once
    per process and misses the unlisted ones; (None, None) when nothing says."""
    entry = unit_cgroups(facts).get(unit) or {}
    if entry.get("working_set_mb") is not None:
        return entry["working_set_mb"], "cgroup working set"
    if entry.get("usage_mb") is not None:
        return entry["usage_mb"], "cgroup usage"
    rss = [p.get("rss_mb") or 0 for p in processes(facts) if p.get("unit") == unit]
    if rss:
        return sum(rss), "RSS of its listed processes"
    return None, None


def unit_ceiling_mb(facts, unit):
    """(MiB, where, used_mb) of the most memory ``unit`` can ever get, its own limit aside: the host's RAM
    (the container's limit inside one) or the limit of a slice or cgroup above the unit, whichever is
    smallest; ``used_mb`` is what that whole cgroup (or host) holds now, None when unknown."""
    view = memory_view(facts)
    cgroup = facts.get("cgroup") or {}
    best = view["total_mb"]
    if view["scope"] == "cgroup":
        where = "the container limit"
        used = cgroup.get("working_set_mb") if cgroup.get("working_set_mb") is not None else cgroup.get("usage_mb")
    else:
        where = "the host's RAM"
        used = None if best is None or view["available_mb"] is None else best - view["available_mb"]
    path = (unit_cgroups(facts).get(unit) or {}).get("cgroup")
    if not path:
        path = next((p.get("cgroup") for p in processes(facts) if p.get("unit") == unit and p.get("cgroup")), None)
        cut = (path or "").find("/%s" % unit)
        path = path[:cut + len(unit) + 1] if cut >= 0 else path  # the unit's cgroup, not a sub-cgroup of it
    for entry in cgroup.get("limited") or []:
        limit = entry.get("limit_mb")
        if limit is not None and _under(path, entry.get("cgroup")) and (best is None or limit < best):
            best, where = limit, "the limit of %s" % entry.get("cgroup")
            used = entry.get("working_set_mb") if entry.get("working_set_mb") is not None else entry.get("usage_mb")
    return best, where, used


def unit_room_mb(facts, unit):
    """(MiB, where) the unit can really get: its ceiling (unit_ceiling_mb) minus what everything else
    under that ceiling holds now; the unit's own limit when that is smaller."""
    ceiling, where, used = unit_ceiling_mb(facts, unit)
    if ceiling is None:
        return None, None
    own, _source = unit_use_mb(facts, unit)
    room = ceiling
    if used is not None and own is not None:
        room = max(ceiling - max(used - own, 0), 0)
        where = "%s minus what the rest holds" % where
    limit = unit_limits(facts).get(unit)
    if limit is not None and limit < room:
        return limit, "the memory limit of %s" % unit
    return room, where
