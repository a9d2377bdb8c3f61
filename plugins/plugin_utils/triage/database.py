# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Triage rule database_oversized: PostgreSQL / MariaDB / MySQL / MongoDB / Redis holding more of the
host than a database should share with its neighbours. The remedy names the engine's own setting
(no database role exists in this collection yet) and a service_limits backstop."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import (
    databases, finding, fmt_mb, is_service, limits_entry, pct, size_str)

SERVICE_LIMITS = "headroom.memory.service_limits"


def engine_settings(engine, ram_mb, target_mb):
    """[{service, setting, value}] sizing ``engine`` to ``target_mb`` of a ``ram_mb`` host."""
    if engine == "postgresql":
        # PGTune: shared_buffers = RAM/4, bounded by the database's share
        return [{"service": "postgresql", "setting": "shared_buffers", "value": size_str(min(ram_mb // 4, target_mb), 128) + "B",
                 "file": "postgresql.conf"}]
    if engine in ("mysql", "mariadb"):
        # the buffer pool is most of the footprint; keep it to 3/4 of the share, whole 128M chunks
        pool = max(128, (target_mb * 3 // 4) // 128 * 128)
        return [{"service": engine, "setting": "innodb_buffer_pool_size", "value": size_str(pool, 128),
                 "file": "my.cnf [mysqld]"}]
    if engine == "mongodb":
        # WiredTiger's own default is 50% of (RAM - 1 GB); apply it to the share instead of the host
        gb = max(0.25, round((target_mb - 1024) / 2.0 / 1024, 2))
        return [{"service": "mongodb", "setting": "storage.wiredTiger.engineConfig.cacheSizeGB",
                 "value": gb, "file": "mongod.conf"}]
    if engine == "redis":
        return [{"service": "redis", "setting": "maxmemory", "value": "%dmb" % (target_mb * 4 // 5),
                 "file": "redis.conf"}]
    return []


def database_oversized(facts, thresholds, ctx):
    ram = ctx["view"]["total_mb"]
    if not ram:
        return []
    found = []
    for db in databases(facts):
        share = pct(db["rss_mb"], ram)
        if share is None or share < thresholds["database_warn_pct"]:
            continue
        severity = "critical" if share >= thresholds["database_crit_pct"] else "warning"
        target = ram * thresholds["database_target_pct"] // 100
        settings = engine_settings(db["engine"], ram, target)
        evidence = ["%s (%d process(es)) holds %s (%s) = %.1f%% of %s (line %s%%, critical at %s%%)" % (
            db["comm"], db["count"] or 0, fmt_mb(db["rss_mb"]), db.get("source") or "RSS", share, fmt_mb(ram),
            thresholds["database_warn_pct"], thresholds["database_crit_pct"])]
        evidence += ["suggested: %s = %s in %s" % (s["setting"], s["value"], s["file"]) for s in settings]
        role_vars = None
        if is_service(db["unit"]):
            role_vars = {"service_limits_units": [limits_entry(facts, db["unit"], target * 9 // 10, target)]}
        text = ("The database is sized as if it owned the host. Size its cache to its share "
                "(%d%% of RAM = %s): %s. No database role exists in this collection yet: change the "
                "setting in the database's own configuration; headroom.memory.service_limits puts a "
                "MemoryHigh/MemoryMax backstop on its unit." % (
                    thresholds["database_target_pct"], fmt_mb(target),
                    "; ".join("%s = %s" % (s["setting"], s["value"]) for s in settings)))
        found.append(finding("database_oversized", severity,
                             "%s holds %.0f%% of memory" % (db["engine"], share), evidence, text,
                             SERVICE_LIMITS if role_vars else None, role_vars, settings))
    return found
