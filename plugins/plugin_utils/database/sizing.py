# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Database memory sizing from a share (MiB) instead of the whole host: PostgreSQL (PGTune plus a
worst-case check), MariaDB/MySQL (buffer pool in whole chunks, MySQLTuner's peak), Redis (maxmemory with
fork copy-on-write room) and MongoDB (mongod's own cache formula applied to the share).

Every function is pure: what the server runs with now comes in as arguments (read by the role), and a
share that cannot hold the engine raises SizingError with the numbers.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.headroom.memory.plugins.module_utils.database.conf import PG_UNITS_KB
from ansible_collections.headroom.memory.plugins.plugin_utils.database import pgtune

MIB = 1024 * 1024
ENGINES = ("postgresql", "mariadb", "mysql", "redis", "mongodb")

# The smallest share each engine is sized for (MiB): below it the engine's own floors (PGTune's 4 MB
# work_mem, one 128 MiB buffer-pool chunk, mongod's 256 MiB cache) leave nothing for the rest of it.
MIN_SHARE_MB = {"postgresql": 128, "mariadb": 256, "mysql": 256, "redis": 32, "mongodb": 512}

# PostgreSQL worst case: each connection may run this many work_mem-sized sort/hash nodes at once.
# PGTune leaves (RAM - shared_buffers) / 3 per connection, i.e. three nodes; 2 here keeps PGTune's own
# numbers (25 % shared_buffers + 1/16 maintenance x 3 workers) inside the share for every workload.
WORK_MEM_FACTOR = 2
PG_AUTOVACUUM_WORKERS_DEFAULT = 3
PG_MEMORY_SCOPE = ("shared_buffers", "effective_cache_size", "maintenance_work_mem", "wal_buffers", "work_mem",
                   "huge_pages", "autovacuum_work_mem")
PG_RESTART_SETTINGS = ("shared_buffers", "huge_pages", "wal_buffers", "max_connections", "max_worker_processes",
                       "autovacuum_max_workers", "io_method", "max_wal_senders", "wal_level")

REDIS_FRACTION_PERSISTENT = 0.5   # BGSAVE / AOF rewrite fork: copy-on-write may duplicate every page
REDIS_FRACTION_VOLATILE = 0.8     # fragmentation, client and replica output buffers are outside maxmemory
# maxmemory never goes below what Redis holds now plus this margin (room to keep writing) without saying so; a
# raise to fit the data may take the share up to REDIS_FRACTION_VOLATILE, eating into the fork's room
REDIS_DATA_MARGIN_PCT = 10
REDIS_EVICTING = ("allkeys-lru", "allkeys-lfu", "allkeys-random")  # policies that make room from any key
REDIS_POLICIES = ("noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu",
                  "volatile-random", "volatile-ttl")

MONGO_CACHE_MIN_MB = 256
# MariaDB/MySQL: what the MyISAM key cache and Aria page cache are cut to when the peak does not fit (an
# InnoDB server uses them for system tables and internal temporary tables only), and the fewest connections
# a plan may leave.
SMALL_CACHE = 16 * MIB
MIN_CONNECTIONS = 10


class SizingError(ValueError):
    """The share cannot hold the engine; the message carries the numbers and what to do."""


def _mb(value_bytes):
    return "%d MiB" % (value_bytes // MIB)


def check_share(engine, share_mb):
    """Refuse a share below the engine's sane minimum."""
    if engine not in ENGINES:
        raise SizingError("unknown engine %r: one of %s" % (engine, ", ".join(ENGINES)))
    if share_mb < MIN_SHARE_MB[engine]:
        raise SizingError("%s: a share of %d MiB is below its minimum of %d MiB; give it more memory "
                          "(database_instances[].memory) or move it to a bigger host"
                          % (engine, share_mb, MIN_SHARE_MB[engine]))


# --- PostgreSQL ------------------------------------------------------------------------------------

def postgresql_worst_case_kb(shared_buffers, connections, work_mem, autovacuum_workers, autovacuum_mem,
                             factor=WORK_MEM_FACTOR):
    """shared_buffers + connections x work_mem x factor + autovacuum workers x their memory, in kB."""
    return shared_buffers + connections * work_mem * factor + autovacuum_workers * autovacuum_mem


def postgresql_plan(share_mb, cpus=None, workload="web", storage="ssd", connections=None, db_size="mid_ram",
                    version=18, scope="memory", write_connections=False,
                    factor=WORK_MEM_FACTOR):
    """PGTune on the share, then the worst case checked against it (work_mem lowered, or refused).

    ``connections`` is the max_connections the server runs with (or will); it is written only with
    ``write_connections``. ``scope`` memory writes PG_MEMORY_SCOPE, pgtune every setting PGTune gives.
    Returns {settings (printed as PGTune prints them), settings_kb, worst_case_kb, share_kb, work_mem_lowered,
    arithmetic, warnings}.
    """
    check_share("postgresql", share_mb)
    params = {"memory_mb": share_mb, "cpus": cpus, "workload": workload, "storage": storage,
              "connections": connections, "db_size": db_size, "version": version}
    values = pgtune.settings_kb(dict((k, v) for k, v in params.items() if v is not None))
    # PostgreSQL keeps wal_buffers in 8kB pages: write what it will show, not a value it rounds
    values["wal_buffers"] -= values["wal_buffers"] % 8
    conns = values["max_connections"]
    av_workers = values.get("autovacuum_max_workers") or PG_AUTOVACUUM_WORKERS_DEFAULT
    av_mem = values.get("autovacuum_work_mem") or values["maintenance_work_mem"]
    share_kb = share_mb * 1024
    sb = values["shared_buffers"]
    worst = postgresql_worst_case_kb(sb, conns, values["work_mem"], av_workers, av_mem, factor)
    lowered = None
    if worst > share_kb:
        room = share_kb - sb - av_workers * av_mem
        work_mem = room // (conns * factor) if room > 0 else 0
        if work_mem < pgtune.WORK_MEM_FLOOR_KB:
            fit = room // (pgtune.WORK_MEM_FLOOR_KB * factor) if room > 0 else 0
            raise SizingError(
                "postgresql: %d connections x 4MB work_mem x %d + shared_buffers %s + %d autovacuum workers x %s "
                "= %d kB does not fit the share of %d MiB (%d kB); at most %d connections fit: lower "
                "max_connections (database_instances[].connections) and put a pooler (pgbouncer) in front, "
                "or give PostgreSQL more memory" % (
                    conns, factor, pgtune.format_kb(sb), av_workers, pgtune.format_kb(av_mem),
                    postgresql_worst_case_kb(sb, conns, pgtune.WORK_MEM_FLOOR_KB, av_workers, av_mem, factor),
                    share_mb, share_kb, max(fit, 0)))
        lowered = {"from_kb": values["work_mem"], "to_kb": work_mem}
        values["work_mem"] = work_mem
        worst = postgresql_worst_case_kb(sb, conns, work_mem, av_workers, av_mem, factor)
    if scope == "memory":
        chosen = dict((k, v) for k, v in values.items() if k in PG_MEMORY_SCOPE)
    else:
        chosen = dict((k, v) for k, v in values.items() if k != "max_connections")
    if write_connections:
        chosen["max_connections"] = conns
    arithmetic = ("worst case = shared_buffers %s + %d connections x work_mem %s x %d + %d autovacuum workers x %s "
                  "= %s <= share %d MiB" % (
                      pgtune.format_kb(sb), conns, pgtune.format_kb(values["work_mem"]), factor, av_workers,
                      pgtune.format_kb(av_mem), "%d MiB" % (worst // 1024), share_mb))
    if lowered:
        arithmetic += " (work_mem lowered from PGTune's %s)" % pgtune.format_kb(lowered["from_kb"])
    return {
        "settings": pgtune.format_settings(chosen),
        "settings_kb": chosen,
        "share_kb": share_kb,
        "worst_case_kb": worst,
        "work_mem_lowered": lowered,
        "arithmetic": arithmetic,
        "warnings": pgtune.warnings(pgtune.normalise(dict((k, v) for k, v in params.items() if v is not None))),
    }


def postgresql_value_kb(setting, unit):
    """pg_settings (setting, unit) as kB: ('16384', '8kB') -> 131072; ('4096', 'kB') -> 4096; None if not memory."""
    m = re.match(r"^(\d+)?\s*(kB|MB|GB|TB)$", unit or "")
    if not m or not re.match(r"^-?\d+$", str(setting)):
        return None
    return int(setting) * int(m.group(1) or 1) * PG_UNITS_KB[m.group(2)]


def postgresql_conf_value(value):
    """A value as written in postgresql.conf: strings single-quoted (quotes doubled), numbers bare."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (int, float)):
        return str(value)
    return "'%s'" % str(value).replace("'", "''")


# --- MariaDB / MySQL -------------------------------------------------------------------------------

def _version_tuple(version):
    m = re.match(r"^(\d+)\.(\d+)(?:\.(\d+))?", str(version or ""))
    if not m:
        raise SizingError("unknown server version %r" % (version,))
    return tuple(int(x or 0) for x in m.groups())


def buffer_pool_percent(share_mb):
    """How much of the share the buffer pool gets: 60 % under 4 GiB, 70 % to 16 GiB, 75 % above."""
    if share_mb < 4096:
        return 60
    if share_mb < 16384:
        return 70
    return 75


def pool_unit(engine, version, chunk_size, instances):
    """The buffer pool's granularity in bytes: chunk x instances (instances ignored on MariaDB >= 10.6)."""
    if _version_tuple(version) >= (10, 6) and engine == "mariadb":
        instances = 1
    chunk = chunk_size if chunk_size and chunk_size > 0 else MIB  # MariaDB's 0 = autosize, 1 MiB steps
    return chunk * max(int(instances or 1), 1)


def round_pool_up(size, unit):
    """What the server makes of ``size``: rounded up to a whole number of units (the manual's rule)."""
    return -(-size // unit) * unit


def round_pool_down(size, unit):
    """``size`` rounded down to whole units, so the server's own rounding never takes it over the share."""
    return size // unit * unit


PER_THREAD = ("read_buffer_size", "read_rnd_buffer_size", "sort_buffer_size", "thread_stack", "join_buffer_size",
              "binlog_cache_size")
SERVER_BUFFERS = ("key_buffer_size", "innodb_buffer_pool_size", "innodb_additional_mem_pool_size",
                  "innodb_log_buffer_size", "query_cache_size", "aria_pagecache_buffer_size")


def mysqltuner_peak(variables, max_connections=None):
    """MySQLTuner's max_peak_memory (bytes) = server buffers + per-thread buffers x max_connections.

    ``variables`` are SHOW VARIABLES values in bytes; absent ones count 0. Returns
    {server_buffers, per_thread_buffers, max_connections, peak}. (MySQLTuner adds performance_schema memory;
    it is not a variable and is left to the share's margin.)
    """
    v = dict((k, int(x)) for k, x in (variables or {}).items() if str(x).lstrip("-").isdigit())
    tmp = min(v.get("tmp_table_size", 0), v.get("max_heap_table_size", 0))
    per_thread = sum(v.get(k, 0) for k in PER_THREAD) + tmp
    server = sum(v.get(k, 0) for k in SERVER_BUFFERS)
    conns = v.get("max_connections", 0) if max_connections is None else int(max_connections)
    return {"server_buffers": server, "per_thread_buffers": per_thread, "max_connections": conns,
            "peak": server + per_thread * conns}


def mariadb_plan(share_mb, engine, version, variables, connections=None):
    """Buffer pool from the share in whole units, then MySQLTuner's peak checked against the share.

    ``variables`` are the server's SHOW VARIABLES (bytes) now. The MyISAM/Aria caches are capped at SMALL_CACHE
    (an InnoDB server barely uses them); when the peak does not fit, max_connections is lowered to what fits;
    when fewer than MIN_CONNECTIONS fit, the pool gives up room for them, down to half of its percentage; below
    that the plan is refused with the numbers.
    """
    check_share(engine, share_mb)
    share = share_mb * MIB
    pct = buffer_pool_percent(share_mb)
    unit = pool_unit(engine, version, variables.get("innodb_buffer_pool_chunk_size"),
                     variables.get("innodb_buffer_pool_instances"))
    target = share * pct // 100
    pool = max(round_pool_down(target, unit), unit)
    if pool > share * 3 // 4:
        raise SizingError(
            "%s: the buffer pool's unit (chunk x instances) is %s, more than 3/4 of the share of %d MiB; "
            "lower innodb_buffer_pool_chunk_size or give it more memory" % (engine, _mb(unit), share_mb))
    conns = int(connections if connections is not None else variables.get("max_connections", 151))
    planned = dict(variables)
    planned["innodb_buffer_pool_size"] = pool
    settings = {"innodb_buffer_pool_size": pool}
    # the MyISAM key cache and Aria page cache: an InnoDB server needs little of either, so at most SMALL_CACHE
    # (or 2 % of the share); always written, so that a second run (which reads the cut values) plans the same
    # (whole MiB: the server rounds key_buffer_size down to 4 KiB blocks, and a value it changes is not idempotent)
    small = max(SMALL_CACHE, share // 50 // MIB * MIB)
    notes = []
    for key in ("key_buffer_size", "aria_pagecache_buffer_size"):
        if key in planned:
            value = min(int(planned.get(key) or 0), small)
            if value != int(planned.get(key) or 0):
                notes.append("%s %s -> %s" % (key, _mb(int(planned[key])), _mb(value)))
            planned[key] = settings[key] = value
    peak = mysqltuner_peak(planned, conns)
    lowered = None
    shrunk = None
    if peak["peak"] > share:
        room = share - peak["server_buffers"]
        fit = room // peak["per_thread_buffers"] if peak["per_thread_buffers"] and room > 0 else 0
        if fit < MIN_CONNECTIONS:
            # make room for MIN_CONNECTIONS from the buffer pool, down to half of what the share gave it
            others = peak["server_buffers"] - pool
            smaller = round_pool_down(share - others - peak["per_thread_buffers"] * MIN_CONNECTIONS, unit)
            if smaller < max(unit, target // 2):
                raise SizingError(
                    "%s: server buffers %s + %d connections x %s per thread = %s does not fit the share of %d MiB, "
                    "and %d connections fit only with a buffer pool under half of its %d%% (%s); lower the per-thread "
                    "buffers (sort/join/read buffers, tmp_table_size) or give it more memory" % (
                        engine, _mb(peak["server_buffers"]), conns, _mb(peak["per_thread_buffers"]),
                        _mb(peak["peak"]), share_mb, MIN_CONNECTIONS, pct, _mb(target)))
            shrunk = {"from": pool, "to": smaller}
            pool = planned["innodb_buffer_pool_size"] = settings["innodb_buffer_pool_size"] = smaller
            fit = MIN_CONNECTIONS
        if int(fit) != conns:
            lowered = {"from": conns, "to": int(fit)}
        conns = int(fit)
        peak = mysqltuner_peak(planned, conns)
    # always written: a second run starts from the lowered value and must plan the same
    settings["max_connections"] = conns
    arithmetic = ("innodb_buffer_pool_size = %d%% of share %d MiB = %s, rounded down to whole %s units = %s; "
                  "peak (MySQLTuner) = server buffers %s + %d connections x %d KiB per thread = %s <= share %d MiB"
                  % (pct, share_mb, _mb(target), _mb(unit), _mb(shrunk["from"] if shrunk else pool),
                     _mb(peak["server_buffers"]), conns,
                     peak["per_thread_buffers"] // 1024, _mb(peak["peak"]), share_mb))
    if shrunk:
        arithmetic += " (buffer pool lowered to %s to fit %d connections)" % (_mb(shrunk["to"]), MIN_CONNECTIONS)
    # what was cut from the server's current values goes in the report, not in the file: a second run starts
    # from the cut values, cuts nothing, and must write the same file
    file_arithmetic = arithmetic
    if notes:
        arithmetic += " (cut: %s)" % ", ".join(notes)
    if lowered:
        arithmetic += " (max_connections lowered from %d)" % lowered["from"]
    return {"settings": settings, "unit": unit, "peak": peak, "max_connections_lowered": lowered,
            "buffer_pool_lowered": shrunk, "arithmetic": arithmetic, "file_arithmetic": file_arithmetic}


# --- Redis -----------------------------------------------------------------------------------------

def redis_persistent(save, appendonly):
    """Is RDB or AOF persistence on, from CONFIG GET save / appendonly?"""
    return bool(str(save or "").strip()) or str(appendonly or "").strip().lower() == "yes"


def redis_plan(share_mb, persistent, workload=None, policy=None, data_mb=None):
    """maxmemory (bytes, whole MiB) and maxmemory-policy: half the share with persistence (fork room),
    80 % without; allkeys-lru for a cache, noeviction for a store (workload, else persistence decides).

    ``data_mb`` is what Redis holds now (used_memory, or its RSS): a maxmemory below it + REDIS_DATA_MARGIN_PCT
    would refuse every write at once (noeviction) or evict at once, so redis_fit_data decides (see there).
    """
    check_share("redis", share_mb)
    fraction = REDIS_FRACTION_PERSISTENT if persistent else REDIS_FRACTION_VOLATILE
    maxmemory_mb = int(share_mb * fraction)
    if workload not in (None, "cache", "store"):
        raise SizingError("redis: workload %r is not cache or store" % (workload,))
    chosen = policy is not None or workload is not None  # the user decided eviction, not persistence's guess
    if policy is None:
        kind = workload or ("store" if persistent else "cache")
        policy = "noeviction" if kind == "store" else "allkeys-lru"
    elif policy not in REDIS_POLICIES:
        raise SizingError("redis: policy %r is not one of %s" % (policy, ", ".join(REDIS_POLICIES)))
    arithmetic = "maxmemory = %s x share %d MiB = %d MiB (%s)" % (
        fraction, share_mb, maxmemory_mb,
        "RDB/AOF persistence on: the fork's copy-on-write may double it" if persistent
        else "no persistence: room for fragmentation and output buffers")
    data = redis_fit_data(share_mb, maxmemory_mb, data_mb, policy, chosen, persistent)
    if data["note"]:
        arithmetic += "; " + data["note"]
    maxmemory_mb = data["maxmemory_mb"]
    return {"settings": {"maxmemory": maxmemory_mb * MIB, "maxmemory-policy": policy},
            "maxmemory_mb": maxmemory_mb, "arithmetic": arithmetic, "data_mb": data_mb}


def redis_fit_data(share_mb, maxmemory_mb, data_mb, policy, chosen, persistent=False):
    """{maxmemory_mb, note}: the planned maxmemory checked against the ``data_mb`` Redis holds now.

    - unknown data, or maxmemory >= data + REDIS_DATA_MARGIN_PCT: kept;
    - else, when data + margin fits in REDIS_FRACTION_VOLATILE of the share: raised to it (the note says that
      with persistence the fork's copy-on-write room is then less than the usual half);
    - else, when the data still fits below maxmemory (only the margin does not): kept, the note says so;
    - else, when the user chose an allkeys-* policy (policy, or workload cache): kept, the note says how much
      data is evicted at once;
    - else SizingError: the data does not fit. It never proposes a maxmemory below the data with noeviction
      (every write refused) nor evicts data nobody decided to lose; the message states the decision: a share of
      at least (data + margin) / 0.8 (more memory), or accept eviction with policy allkeys-lru.
    """
    if data_mb is None:
        return {"maxmemory_mb": maxmemory_mb, "note": ""}
    if isinstance(data_mb, bool) or not isinstance(data_mb, int) or data_mb < 0:
        raise SizingError("redis: the data it holds %r is not a whole number of MiB" % (data_mb,))
    needed = data_mb + -(-data_mb * REDIS_DATA_MARGIN_PCT // 100)
    if maxmemory_mb >= needed:
        return {"maxmemory_mb": maxmemory_mb, "note": ""}
    ceiling = int(share_mb * REDIS_FRACTION_VOLATILE)
    if needed <= ceiling:
        return {"maxmemory_mb": needed, "note": (
            "raised to the %d MiB it holds + %d%% = %d MiB (at most %s x share = %d MiB), so that its data fits%s"
            % (data_mb, REDIS_DATA_MARGIN_PCT, needed, REDIS_FRACTION_VOLATILE, ceiling,
               "; less room is left for the persistence fork's copy-on-write" if persistent else ""))}
    if maxmemory_mb >= data_mb:
        return {"maxmemory_mb": maxmemory_mb, "note": (
            "it holds %d MiB: only %d MiB left for new data, less than the %d%% margin (the share allows no more)"
            % (data_mb, maxmemory_mb - data_mb, REDIS_DATA_MARGIN_PCT))}
    if chosen and policy in REDIS_EVICTING:
        return {"maxmemory_mb": maxmemory_mb, "note": (
            "it holds %d MiB: maxmemory-policy %s evicts about %d MiB of keys at once, as chosen"
            % (data_mb, policy, data_mb - maxmemory_mb))}
    least = -(-needed * 10 // int(REDIS_FRACTION_VOLATILE * 10))
    raise SizingError(
        "redis: it holds %d MiB of data, more than the %d MiB maxmemory its %d MiB share allows (%d MiB with a %d%% "
        "margin would need a share of at least %d MiB); with maxmemory-policy %s it would %s. Decide: give it more "
        "memory (a share of %d MiB or more), or accept eviction explicitly with policy allkeys-lru (about %d MiB of "
        "keys evicted at once)" % (
            data_mb, maxmemory_mb, share_mb, needed, REDIS_DATA_MARGIN_PCT, least, policy,
            "refuse every write at once" if policy not in REDIS_EVICTING and not policy.startswith("volatile")
            else "evict keys at once (a choice nobody made)" if policy in REDIS_EVICTING
            else "evict only keys with a TTL and refuse writes when none is left",
            least, data_mb - maxmemory_mb))


def redis_config_lines(text, settings):
    """redis.conf text with ``settings`` (name -> value) set: the last active line of each name replaced in
    place, earlier duplicates commented out, missing ones appended. Values are written as redis.conf wants
    (bytes as '<n>mb' when whole MiB)."""
    out = (text or "").splitlines()
    for name, value in settings.items():
        if name == "maxmemory" and isinstance(value, int) and value % MIB == 0:
            value = "%dmb" % (value // MIB)
        line = "%s %s" % (name, value)
        hits = [i for i, raw in enumerate(out) if re.match(r"^\s*%s\s" % re.escape(name), raw + " ", re.IGNORECASE)]
        if hits:
            for i in hits[:-1]:
                out[i] = "# " + out[i] + "  # superseded by headroom.memory.database"
            out[hits[-1]] = line
        else:
            out.append(line)
    return "\n".join(out) + "\n"


# --- MongoDB ---------------------------------------------------------------------------------------

def mongodb_plan(share_mb):
    """cacheSizeGB = mongod's own default, max((mem - 1 GiB) x 0.5, 256 MiB), with the share as mem."""
    check_share("mongodb", share_mb)
    cache_mb = max((share_mb - 1024) // 2, MONGO_CACHE_MIN_MB)
    cache_gb = int(cache_mb * 100 // 1024) / 100.0  # two decimals, rounded down
    cache_gb = max(cache_gb, 0.25)
    arithmetic = "cacheSizeGB = max((share %d MiB - 1024) x 0.5, 256) MiB = %d MiB = %s GB" % (
        share_mb, cache_mb, cache_gb)
    return {"settings": {"storage.wiredTiger.engineConfig.cacheSizeGB": cache_gb}, "cache_mb": cache_mb,
            "arithmetic": arithmetic}


def mongodb_config(config, cache_gb):
    """A parsed mongod.conf (dict) with storage.wiredTiger.engineConfig.cacheSizeGB set."""
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise SizingError("mongod.conf is not a YAML mapping")
    merged = dict(config)
    node = merged
    for key in ("storage", "wiredTiger", "engineConfig"):
        child = node.get(key)
        if child is None:
            child = {}
        elif not isinstance(child, dict):
            raise SizingError("mongod.conf: %s is not a mapping" % key)
        node[key] = dict(child)
        node = node[key]
    node["cacheSizeGB"] = cache_gb
    return merged
