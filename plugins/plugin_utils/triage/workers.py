# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Triage rule workers_oversubscribed: a worker group (php-fpm, apache2/httpd, gunicorn, uwsgi, puma,
celery, ...) whose count x average RSS does not fit in the room it has.

A pool whose listed processes run in a unit with a memory limit is measured against that limit (the
pool's members are the listed processes in that unit; all of the group when none is listed elsewhere).
A pool without a limited unit is measured against what is available plus what it holds already."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import (
    comm_matches, finding, fmt_mb, is_service, limits_entry, processes, process_groups, unit_limits)

SERVICE_LIMITS = "headroom.memory.service_limits"
WORKERS = "headroom.memory.workers"

# the setting that caps the worker count, by comm prefix
WORKER_SETTINGS = (
    ("php-fpm", "php-fpm", "pm.max_children"),
    ("apache2", "apache2", "MaxRequestWorkers"),
    ("httpd", "httpd", "MaxRequestWorkers"),
    ("gunicorn", "gunicorn", "workers (--workers / WEB_CONCURRENCY)"),
    ("uwsgi", "uwsgi", "processes"),
    ("puma", "puma", "workers"),
    ("celery", "celery", "--concurrency"),
    ("unicorn", "unicorn", "worker_processes"),
    ("sidekiq", "sidekiq", "--concurrency"),
    ("node", "node", "cluster/PM2 instances"),
    ("python", "python worker pool", "worker count (gunicorn --workers, celery --concurrency, ...)"),
    ("ruby", "ruby worker pool", "worker count (puma workers, unicorn worker_processes, ...)"),
)


def worker_setting(comm):
    """(service, setting) that caps the number of ``comm`` workers."""
    for prefix, service, setting in WORKER_SETTINGS:
        if comm.startswith(prefix):
            return service, setting
    return comm, "worker count"


def pools(facts, group, view):
    """[(count, avg_mb, room_mb, where, unit)] to check for one process group."""
    comm = group.get("comm")
    listed = [p for p in processes(facts) if p.get("comm") == comm]
    limits = unit_limits(facts)
    found = []
    for unit in sorted(set(p.get("unit") for p in listed if limits.get(p.get("unit")))):
        members = [p for p in listed if p.get("unit") == unit]
        if len(members) == len(listed):
            count, avg = group.get("count") or 0, group.get("rss_mb_avg")
        else:
            count, avg = len(members), sum(p.get("rss_mb") or 0 for p in members) // len(members)
        found.append((count, avg, limits[unit], "the memory limit of %s" % unit, unit))
    if not found and view["available_mb"] is not None:
        units = set(p.get("unit") for p in listed)
        unit = units.pop() if len(units) == 1 else None
        found.append((group.get("count") or 0, group.get("rss_mb_avg"),
                      view["available_mb"] + (group.get("rss_mb") or 0), "available + its own", unit))
    return found


def workers_oversubscribed(facts, thresholds, ctx):
    found = []
    for group in process_groups(facts):
        comm = group.get("comm")
        if not comm_matches(comm, thresholds["worker_comms"]) or group.get("rss_mb_avg") is None:
            continue
        for count, avg, room, where, unit in pools(facts, group, ctx["view"]):
            needed = count * avg
            if count < thresholds["workers_min_count"] or not room or needed <= room * thresholds["workers_fit_pct"] / 100.0:
                continue
            found.append(_finding(facts, comm, count, avg, room, where, unit, group.get("rss_mb_max"), thresholds))
    return _one_pool_list(found)


def _one_pool_list(found):
    """Every finding that names the workers role proposes the same ``workers_pools``: all of the host's pools.

    The remedy gate offers a plain variable only when every finding proposes the same value, so a php-fpm and
    an Apache finding on one host would otherwise cancel each other out of remedy-vars/."""
    mine = [f for f in found if f["remedy"]["role"] == WORKERS]
    pools_list = []
    for f in mine:
        for pool in f["remedy"]["vars"]["workers_pools"]:
            if pool not in pools_list:
                pools_list.append(pool)
    pools_list.sort(key=lambda p: (p["kind"], p.get("config") or p.get("unit") or ""))
    for f in mine:
        f["remedy"]["vars"] = {"workers_pools": [dict(p) for p in pools_list]}
    return found


def workers_pool(comm, unit):
    """A ready headroom.memory.workers pool entry for a php-fpm, apache2 or gunicorn group, else None.

    php-fpm's pool file is Debian's default for its version (check it); gunicorn needs its unit."""
    if comm.startswith("php-fpm") and comm[7:].replace(".", "").isdigit() and "." in comm:
        return {"kind": "php_fpm", "config": "/etc/php/%s/fpm/pool.d/www.conf" % comm[7:]}
    if comm == "apache2":
        return {"kind": "apache_prefork"}
    if comm == "gunicorn" and is_service(unit):
        return {"kind": "gunicorn", "unit": unit}
    return None


def _finding(facts, comm, count, avg, room, where, unit, largest, thresholds):
    needed = count * avg
    severity = "critical" if needed > room else "warning"
    fits = max(1, int(room * thresholds["workers_target_pct"] / 100.0 // max(avg, 1)))
    service, setting = worker_setting(comm)
    evidence = ["%d %s workers \u00d7 %s average RSS = %s (largest %s)"
                % (count, comm, fmt_mb(avg), fmt_mb(needed), fmt_mb(largest)),
                "room: %s = %s; fit line %s%%" % (where, fmt_mb(room), thresholds["workers_fit_pct"]),
                "%d workers fit in %s%% of the room" % (fits, thresholds["workers_target_pct"])]
    # per_worker_mb and room_mb let the remedy gate check that the count fits
    settings = [{"service": service, "setting": setting, "value": fits, "per_worker_mb": max(avg, 1), "room_mb": room}]
    role, role_vars = None, None
    pool = workers_pool(comm, unit)
    if pool:
        role, role_vars = WORKERS, {"workers_pools": [pool]}
        text = ("More workers than memory allows: set %s %s = %d (%s%% of %s at %s each), or let "
                "headroom.memory.workers size it from the workers' measured PSS/USS (run it while the pool "
                "serves its usual load); headroom.memory.service_limits keeps a MemoryHigh/MemoryMax backstop "
                "on the unit." % (service, setting, fits, thresholds["workers_target_pct"], fmt_mb(room), fmt_mb(avg)))
    else:
        if is_service(unit):
            role, role_vars = SERVICE_LIMITS, {"service_limits_units": [limits_entry(facts, unit, room * 9 // 10, room)]}
        text = ("More workers than memory allows: set %s %s = %d (%s%% of %s at %s each) in the service's "
                "configuration; headroom.memory.service_limits keeps a MemoryHigh/MemoryMax backstop on the unit."
                % (service, setting, fits, thresholds["workers_target_pct"], fmt_mb(room), fmt_mb(avg)))
    return finding("workers_oversubscribed", severity, "%d %s workers do not fit in %s" % (count, comm, fmt_mb(room)),
                   evidence, text, role, role_vars, settings)
