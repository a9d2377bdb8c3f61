# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Triage rule workers_oversubscribed: a worker pool configured (or running) with more workers than its memory
holds.

php-fpm, Apache prefork and gunicorn are judged by their settings (memory_facts' ``settings.workers``: the
count they may reach, not the count running now) with the workers role's arithmetic (plugin_utils.workers.plan,
plugin_utils.budget): one worker costs the larger of the role's measured cost (largest PSS / average USS, else
largest RSS) and the largest anon-rss of a killed worker of the pool; the pool may use its share of the memory
it can really get (its unit's limit, the container's or the host's, minus every other process and the OS
reserve). A pool fires when its configured count needs more than the share plus the role's keep tolerance (a
count the role would keep is no finding, so one the role sets clears it); the remedy is the count that fits. A
gunicorn's finding names where its count is set (memory_facts' ``source``); one set on its unit's command line,
which wins over the GUNICORN_CMD_ARGS the role writes, gets the exact ExecStart change instead of the role.

Other worker groups (uwsgi, puma, celery, ...) and pools whose settings were not read are judged by count x
average RSS: a pool whose listed processes run in a unit with a memory limit against that limit (the pool's
members are the listed processes in that unit; all of the group when none is listed elsewhere), one without
a limited unit against what is available plus what it holds already."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.plugin_utils.budget import BudgetError, memory_share
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import (
    comm_matches, finding, fmt_mb, is_service, limits_entry, processes, process_groups, unit_limits,
    victim_name)
from ansible_collections.headroom.memory.plugins.plugin_utils.workers.plan import (
    DEFAULT_MAX, ROLE_MIN, WorkersError, worker_cost, worker_count)
from ansible_collections.headroom.memory.plugins.plugin_utils.workers.files import gunicorn_cli_change
from ansible_collections.headroom.memory.plugins.plugin_utils.workers.pools import TOLERANCE_PCT

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
    found, judged = configured_pools(facts, ctx["events"])
    for group in process_groups(facts):
        comm = group.get("comm")
        if comm in judged or not comm_matches(comm, thresholds["worker_comms"]) or group.get("rss_mb_avg") is None:
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


# what caps each kind's worker count, as settings.workers reports it: (setting name, settings key)
CONFIGURED = {"php_fpm": ("pm.max_children", "max_children"), "apache": ("MaxRequestWorkers", "processes"),
              "gunicorn": ("workers (--workers / GUNICORN_CMD_ARGS / WEB_CONCURRENCY)", "workers")}


def masters(facts):
    """The pool masters whose configured worker count memory_facts read: [(master, count)]; Apache only on
    prefork (one process per worker)."""
    out = []
    for m in ((facts.get("settings") or {}).get("workers") or []):
        kind, settings = m.get("kind"), m.get("settings") or {}
        if kind not in CONFIGURED or (kind == "apache" and settings.get("mpm") != "prefork"):
            continue
        count = settings.get(CONFIGURED[kind][1])
        if isinstance(count, int) and not isinstance(count, bool) and count > 0:
            out.append((m, count))
    return out


def killed_peak_mb(events, comm):
    """The largest anon-rss (MiB) of a killed ``comm`` process among ``events`` (the host's own), or None."""
    peaks = [((e.get("victim") or {}).get("anon_rss_kb") or 0) // 1024 for e in events if victim_name(e) == comm]
    return max(peaks) if peaks else None


def configured_pools(facts, events):
    """(findings, judged comms): each pool master whose configured count x per-worker cost does not fit its
    share, judged with the workers role's arithmetic."""
    found, judged = [], set()
    pools = masters(facts)
    own = sorted(set(m.get("comm") for m, _count in pools))
    groups = dict((g.get("comm"), g) for g in process_groups(facts))
    limits = unit_limits(facts)
    for master, count in pools:
        comm, unit = master.get("comm"), master.get("unit")
        group = groups.get(comm)
        try:
            per_worker, fixed, basis = worker_cost(group)
            share = memory_share("auto", facts, own_comms=own, instances=len(pools), unit_limit_mb=limits.get(unit))
        except (WorkersError, BudgetError):
            continue
        judged.add(comm)
        peak = killed_peak_mb(events, comm)
        measured = per_worker
        if peak is not None and peak > per_worker:
            per_worker = peak
            basis += "; raised to the largest killed %s's anon-rss %d MiB" % (comm, peak)
        needed = fixed + count * per_worker
        if needed <= share["share_mb"] * (100 + TOLERANCE_PCT) / 100.0:
            continue  # what the role keeps: a finding here is one the role clears
        found.append(_configured_finding(master, count, per_worker, measured, fixed, basis, share, needed, peak))
    return found, judged


def _configured_finding(master, count, per_worker, measured, fixed, basis, share, needed, peak):
    kind, comm, unit = master["kind"], master["comm"], master.get("unit")
    setting, _key = CONFIGURED[kind]
    service = worker_setting(comm)[0]
    # critical when the pool at full load, beside everything else, is more than the memory there is (or when one
    # of its workers was killed already); else it only eats the OS reserve and the room the others grow into
    severity = "critical" if needed > share["total_mb"] - share["others_mb"] or peak is not None else "warning"
    evidence = ["%s %s = %d: %d × %s per worker + %s shared = %s at full load" % (
        service, setting, count, count, fmt_mb(per_worker), fmt_mb(fixed), fmt_mb(needed)),
        "per worker: %s" % basis,
        "the pool's share (the workers role's arithmetic): %s: %s" % (fmt_mb(share["share_mb"]), share["arithmetic"])]
    if peak is not None:
        evidence.append("a %s worker was OOM-killed holding %s of its own (anon-rss)" % (comm, fmt_mb(peak)))
    source = (master.get("settings") or {}).get("source") if kind == "gunicorn" else None
    if source:
        evidence.append("gunicorn's worker count is set by: %s%s" % (source, " (%s's ExecStart)" % unit if (
            source == "command line" and unit) else ""))
    try:
        # no CPU cap here (memory_facts does not count CPUs): the role also caps gunicorn at 2 x cores + 1; no
        # fewer than the role's own minimum, which it would refuse to go under
        sized = worker_count(share["share_mb"], fixed, per_worker, ROLE_MIN, DEFAULT_MAX, None, comm)
    except WorkersError as e:
        evidence.append(str(e).replace(" Nothing was changed.", ""))
        text = ("Fewer than %d %s workers (the least headroom.memory.workers sets, its workers_min) fit in the "
                "pool's share: no worker count is offered. Move the service to a host (or container) with more "
                "memory, or lower what each worker holds (PHP memory_limit, the application's caches)." % (
                    ROLE_MIN, comm))
        return finding("workers_oversubscribed", "critical", "%s %s = %d does not fit in %s" % (
            service, setting, count, fmt_mb(share["share_mb"])), evidence, text)
    fits = sized["count"]
    evidence.append(sized["arithmetic"])
    settings = [{"service": service, "setting": setting, "value": fits, "per_worker_mb": per_worker,
                 "room_mb": share["share_mb"] - fixed}]
    pool = _pool_entry(master, unit)
    role, role_vars = None, None
    if source == "command line":
        # gunicorn takes its command line over the GUNICORN_CMD_ARGS the workers role writes: say the exact change
        text = ("Configured for more workers than memory allows: %s fit (%s). %s." % (
            fits, sized["arithmetic"], gunicorn_cli_change(unit or "the service's unit", "--workers %d" % count, fits)))
    elif pool is not None:
        if per_worker > measured:
            pool["per_worker"] = per_worker
        role, role_vars = WORKERS, {"workers_pools": [pool]}
        text = ("Configured for more workers than memory allows: %s %s = %d fits (%s); headroom.memory.workers sets "
                "it, from the workers' measured PSS/USS%s." % (
                    service, setting, fits, sized["arithmetic"],
                    " raised to the killed worker's size" if "per_worker" in pool else ""))
    else:
        text = ("Configured for more workers than memory allows: set %s %s = %d (%s) in the service's configuration, "
                "or list the pool in headroom.memory.workers' workers_pools." % (service, setting, fits, sized["arithmetic"]))
    return finding("workers_oversubscribed", severity, "%s %s = %d does not fit in %s (%d fit)" % (
        service, setting, count, fmt_mb(share["share_mb"]), fits), evidence, text, role, role_vars, settings)


def _pool_entry(master, unit):
    """The workers_pools entry the role takes for this master, or None when it cannot be named safely (a php-fpm
    master with pools other than Debian's single www)."""
    if master["kind"] == "php_fpm":
        pools = (master.get("settings") or {}).get("pools") or []
        if [p.get("name") for p in pools] != ["www"]:
            return None
    return workers_pool(master["comm"], unit)


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
