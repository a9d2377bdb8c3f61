# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The memory a service is configured to hold, from its own settings, and the one rule over it: a unit's
MemoryMax or MemoryHigh below it is refused (the gate withholds a proposal, the database finding flags an
existing limit). Defined once here, used by triage.gate (proposals and remediate's recheck) and triage.database.

What counts is memory the service allocates whatever its load (below it the limit fires or throttles once it
has filled): PostgreSQL's shared_buffers (its default when the files leave it out), MariaDB/MySQL's
innodb_buffer_pool_size, Redis' maxmemory (when set), a JVM's -Xmx / -XX:MaxHeapSize. Per-connection and
per-worker memory are load, not configuration, and are left out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import (
    fmt_mb, is_service, processes, unit_limits)
from ansible_collections.headroom.memory.plugins.plugin_utils.database import sizing

MIB = 1024 * 1024
# built-in defaults of the settings the arithmetic needs, where the files leave them out
PG_DEFAULTS_KB = {"shared_buffers": 131072, "work_mem": 4096, "maintenance_work_mem": 65536,
                  "autovacuum_work_mem": -1, "max_connections": 100, "autovacuum_max_workers": 3}
MYSQL_DEFAULTS = {  # MariaDB 10.11 / MySQL 8.0, bytes
    "innodb_buffer_pool_size": 128 * MIB, "key_buffer_size": 128 * MIB, "innodb_log_buffer_size": 16 * MIB,
    "query_cache_size": 1 * MIB, "aria_pagecache_buffer_size": 128 * MIB, "max_connections": 151,
    "read_buffer_size": 128 * 1024, "read_rnd_buffer_size": 256 * 1024, "sort_buffer_size": 2 * MIB,
    "thread_stack": 292 * 1024, "join_buffer_size": 256 * 1024, "binlog_cache_size": 32 * 1024,
    "tmp_table_size": 16 * MIB, "max_heap_table_size": 16 * MIB, "innodb_buffer_pool_chunk_size": 128 * MIB,
    "innodb_buffer_pool_instances": 1,
}
_JAVA_HEAP = re.compile(r"^(?:-Xmx|-XX:MaxHeapSize=)([0-9]{1,15})([kKmMgGtT]?)$")
_UNIT_FACTOR = {"": 1, "k": 1024, "m": MIB, "g": 1024 * MIB, "t": 1024 * 1024 * MIB}


def servers(facts):
    """The database servers memory_facts read the settings of (``settings.databases``)."""
    return [s for s in ((facts.get("settings") or {}).get("databases") or [])
            if s.get("engine") in sizing.ENGINES and isinstance(s.get("settings"), dict)]


def _whole(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _java_heap_mb(cmdline):
    """(MiB, flag) of the last heap flag on a java command line (the JVM takes the last), or None."""
    tokens = cmdline if isinstance(cmdline, (list, tuple)) else str(cmdline or "").split()
    found = None
    for token in tokens:
        match = _JAVA_HEAP.match(str(token))
        if match:
            found = (int(match.group(1)) * _UNIT_FACTOR[match.group(2).lower()] // MIB, str(token))
    return found


def _database_mb(server):
    """(MiB, how) of what a database server is configured to hold, or None."""
    engine, settings = server["engine"], server["settings"]
    if engine == "postgresql":
        kb = settings.get("shared_buffers")
        explicit = _whole(kb)
        kb = kb if explicit else PG_DEFAULTS_KB["shared_buffers"]
        return kb // 1024, "shared_buffers %s%s" % (fmt_mb(kb // 1024), "" if explicit else ", the default")
    if engine in ("mariadb", "mysql"):
        pool = settings.get("innodb_buffer_pool_size")
        explicit = _whole(pool)
        pool = pool if explicit else MYSQL_DEFAULTS["innodb_buffer_pool_size"]
        return pool // MIB, "innodb_buffer_pool_size %s%s" % (fmt_mb(pool // MIB), "" if explicit else ", the default")
    if engine == "redis" and _whole(settings.get("maxmemory")):
        return settings["maxmemory"] // MIB, "maxmemory %s" % fmt_mb(settings["maxmemory"] // MIB)
    return None


def configured_mb(facts, unit):
    """(MiB, how) of the most memory ``unit`` is configured to hold by its service's own settings, or None
    when memory_facts read none (settings subset, java command lines)."""
    found = []
    for server in servers(facts or {}):
        if server.get("unit") == unit:
            held = _database_mb(server)
            if held:
                found.append(held)
    for proc in processes(facts or {}):
        if proc.get("unit") == unit and proc.get("cmdline") is not None:
            heap = _java_heap_mb(proc["cmdline"])
            if heap and heap[0] > 0:
                found.append((heap[0], "java heap %s" % heap[1]))
    return max(found, key=lambda f: (f[0], f[1])) if found else None


def below_configured(facts, unit, key, mb):
    """Why a ``key`` (MemoryMax, MemoryHigh) of ``mb`` MiB on ``unit`` is below what its service is configured
    to hold, naming both values; None when it is not (or nothing is known)."""
    held = configured_mb(facts, unit)
    if held is None or mb is None or mb >= held[0]:
        return None
    consequence = "killed" if key == "MemoryMax" else "throttled"
    return ("%s %s is below the %s that %s is configured to hold (%s): it is %s once that fills; lower the "
            "setting first or give the unit more" % (key, fmt_mb(mb), fmt_mb(held[0]), unit, held[1], consequence))


def existing_limit_problems(facts, units):
    """The sentences for each of ``units`` whose own MemoryMax (as memory_facts read it) is below what its
    service is configured to hold."""
    limits = unit_limits(facts or {})
    out = []
    for unit in units:
        if is_service(unit) and limits.get(unit) is not None:
            reason = below_configured(facts, unit, "MemoryMax", limits[unit])
            if reason:
                out.append("its own " + reason)
    return out
