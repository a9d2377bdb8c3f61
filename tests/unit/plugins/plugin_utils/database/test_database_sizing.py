# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Engine sizing from a share: PostgreSQL's worst case on top of PGTune, MariaDB/MySQL buffer-pool rounding
(the manual's examples) and MySQLTuner's peak, Redis maxmemory and policy, MongoDB's cache formula."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.database import pgtune, sizing

MIB = 1024 * 1024
GIB = 1024 * MIB


# --- PostgreSQL ------------------------------------------------------------------------------------

def test_pgtune_numbers_kept_when_the_worst_case_fits():
    plan = sizing.postgresql_plan(4096, cpus=2, workload="web", connections=100, version=15)
    tuned = pgtune.settings_kb({"memory_mb": 4096, "cpus": 2, "workload": "web", "connections": 100, "version": 15})
    assert plan["settings_kb"]["work_mem"] == tuned["work_mem"]
    assert plan["work_mem_lowered"] is None
    # 1GB + 100 x work_mem x 2 + 3 x 256MB
    assert plan["worst_case_kb"] == 1048576 + 100 * tuned["work_mem"] * 2 + 3 * 262144
    assert plan["worst_case_kb"] <= 4096 * 1024
    # memory scope: only memory settings, max_connections not written unless asked
    assert set(plan["settings"]) == {"shared_buffers", "effective_cache_size", "maintenance_work_mem",
                                     "wal_buffers", "work_mem", "huge_pages"}
    assert plan["settings"]["shared_buffers"] == "1GB"


def test_work_mem_lowered_to_fit_the_share():
    """less_ram boosts work_mem by 1.3: 25 % + 0.65 x 75 %... exceeds the share; work_mem comes down."""
    plan = sizing.postgresql_plan(16384, workload="web", connections=300, db_size="less_ram", version=17)
    tuned = pgtune.settings_kb({"memory_mb": 16384, "workload": "web", "connections": 300, "db_size": "less_ram",
                                "version": 17})
    share_kb = 16384 * 1024
    sb, mwm = tuned["shared_buffers"], tuned["maintenance_work_mem"]
    assert sizing.postgresql_worst_case_kb(sb, 300, tuned["work_mem"], 3, mwm) > share_kb
    expected = (share_kb - sb - 3 * mwm) // (300 * 2)
    assert plan["work_mem_lowered"] == {"from_kb": tuned["work_mem"], "to_kb": expected}
    assert plan["settings_kb"]["work_mem"] == expected
    assert plan["worst_case_kb"] <= share_kb
    assert "lowered from PGTune's" in plan["arithmetic"]


def test_refused_when_even_4mb_does_not_fit():
    with pytest.raises(sizing.SizingError) as err:
        sizing.postgresql_plan(512, connections=500, version=15)
    text = str(err.value)
    # 512 MiB: sb 128MB, 3 x 32MB autovacuum -> room 288 MiB = 294912 kB; / (4096 x 2) = 36 connections
    assert "500 connections" in text and "at most 36 connections fit" in text and "pooler" in text


def test_write_connections_and_pgtune_scope():
    plan = sizing.postgresql_plan(8192, cpus=4, connections=50, version=17, scope="pgtune", write_connections=True)
    assert plan["settings"]["max_connections"] == 50
    assert plan["settings"]["jit"] == "off" and plan["settings"]["wal_compression"] == "lz4"
    assert "max_worker_processes" in plan["settings"]


def test_share_below_minimum_refused():
    with pytest.raises(sizing.SizingError) as err:
        sizing.postgresql_plan(100)
    assert "100 MiB is below its minimum of 128 MiB" in str(err.value)


@pytest.mark.parametrize("setting,unit,kb", [("16384", "8kB", 131072), ("4096", "kB", 4096), ("64", "MB", 65536),
                                             ("-1", "kB", -1), ("100", None, None), ("on", None, None)])
def test_pg_settings_units(setting, unit, kb):
    assert sizing.postgresql_value_kb(setting, unit) == kb


def test_conf_value_quoting():
    assert sizing.postgresql_conf_value("256MB") == "'256MB'"
    assert sizing.postgresql_conf_value("it's") == "'it''s'"
    assert sizing.postgresql_conf_value(100) == "100"


# --- MariaDB / MySQL -------------------------------------------------------------------------------

def test_manual_rounding_9g_16_instances_to_10g():
    """MySQL manual (innodb-buffer-pool-resize): 9G with 16 instances of 128M chunks becomes 10G."""
    unit = sizing.pool_unit("mysql", "8.0.36", 128 * MIB, 16)
    assert unit == 2 * GIB
    assert sizing.round_pool_up(9 * GIB, unit) == 10 * GIB


def test_manual_rounding_1_5g_8_instances_to_2g():
    unit = sizing.pool_unit("mysql", "5.7.44", 128 * MIB, 8)
    assert sizing.round_pool_up(3 * GIB // 2, unit) == 2 * GIB
    assert sizing.round_pool_down(3 * GIB // 2, unit) == 1 * GIB


def test_mariadb_10_6_ignores_instances():
    assert sizing.pool_unit("mariadb", "10.11.14-MariaDB-0+deb12u2", 128 * MIB, 8) == 128 * MIB
    assert sizing.pool_unit("mariadb", "10.5.23-MariaDB", 128 * MIB, 8) == GIB
    assert sizing.pool_unit("mariadb", "11.8.3-MariaDB", 0, None) == MIB  # chunk 0 = autosize
    # bookworm's 10.11.18 (read live in the database scenario) reports chunk 0 too, and its SET GLOBAL keeps any
    # whole MiB (601 MiB stays 601 MiB; 601 MiB + 1 byte becomes 601 MiB)
    assert sizing.pool_unit("mariadb", "10.11.18-MariaDB-0+deb12u1", 0, None) == MIB


def test_unknown_version_refused():
    with pytest.raises(sizing.SizingError) as err:
        sizing.pool_unit("mysql", "banana", 128 * MIB, 1)
    assert "banana" in str(err.value)


DEFAULTS = {  # MariaDB 10.11 defaults, bytes (SHOW VARIABLES)
    "read_buffer_size": 131072, "read_rnd_buffer_size": 262144, "sort_buffer_size": 2097152,
    "thread_stack": 299008, "join_buffer_size": 262144, "binlog_cache_size": 32768,
    "tmp_table_size": 16777216, "max_heap_table_size": 16777216, "key_buffer_size": 134217728,
    "innodb_buffer_pool_size": 134217728, "innodb_log_buffer_size": 16777216, "query_cache_size": 1048576,
    "aria_pagecache_buffer_size": 134217728, "max_connections": 151,
    "innodb_buffer_pool_chunk_size": 134217728, "innodb_buffer_pool_instances": 1,
}


def test_mysqltuner_peak_formula():
    peak = sizing.mysqltuner_peak(DEFAULTS)
    per_thread = 131072 + 262144 + 2097152 + 299008 + 262144 + 32768 + min(16777216, 16777216)
    server = 134217728 + 134217728 + 16777216 + 1048576 + 134217728
    assert peak == {"server_buffers": server, "per_thread_buffers": per_thread, "max_connections": 151,
                    "peak": server + per_thread * 151}


def test_mysqltuner_tmp_is_the_smaller_of_the_two():
    v = dict(DEFAULTS, tmp_table_size=64 * MIB, max_heap_table_size=32 * MIB)
    assert sizing.mysqltuner_peak(v)["per_thread_buffers"] - sizing.mysqltuner_peak(DEFAULTS)["per_thread_buffers"] \
        == 16 * MIB


@pytest.mark.parametrize("share,pct", [(1024, 60), (4095, 60), (4096, 70), (16383, 70), (16384, 75)])
def test_buffer_pool_percent_by_share(share, pct):
    assert sizing.buffer_pool_percent(share) == pct


def test_mariadb_plan_rounds_down_and_keeps_a_fitting_peak():
    # 8 GiB share: 70 % = 5734.4 MiB -> 44 chunks of 128 MiB = 5632 MiB; 100 connections fit
    plan = sizing.mariadb_plan(8192, "mariadb", "10.11.14-MariaDB", dict(DEFAULTS, max_connections=100))
    small = min(128 * MIB, 8192 * MIB // 50 // MIB * MIB)  # capped at 2 % of the share: 128 MiB is below it
    assert plan["settings"] == {"innodb_buffer_pool_size": 5632 * MIB, "max_connections": 100,
                                "key_buffer_size": small, "aria_pagecache_buffer_size": small}
    assert plan["max_connections_lowered"] is None
    assert plan["peak"]["peak"] == sizing.mysqltuner_peak(dict(
        DEFAULTS, innodb_buffer_pool_size=5632 * MIB, max_connections=100, key_buffer_size=small,
        aria_pagecache_buffer_size=small))["peak"]


@pytest.mark.parametrize("version", ["11.8.3-MariaDB", "10.11.18-MariaDB-0+deb12u1"])
@pytest.mark.parametrize("share", [584, 876, 1024, 3000, 8192])
def test_mariadb_plan_is_a_fixed_point(share, version):
    """A second run reads what the first one set and must plan the same settings (idempotence)."""
    v = dict(DEFAULTS, innodb_buffer_pool_chunk_size=0)
    first = sizing.mariadb_plan(share, "mariadb", version, v)
    second = sizing.mariadb_plan(share, "mariadb", version, dict(v, **first["settings"]))
    assert second["settings"] == first["settings"]
    # the file's comment too: what the first run cut is reported, never written (molecule's idempotence caught it)
    assert second["file_arithmetic"] == first["file_arithmetic"]
    assert "cut:" not in first["file_arithmetic"] and "lowered from" not in first["file_arithmetic"]


def test_mariadb_cuts_are_reported_in_the_arithmetic():
    plan = sizing.mariadb_plan(1024, "mariadb", "10.11.14-MariaDB", DEFAULTS)
    assert "(cut: key_buffer_size" in plan["arithmetic"] and "(max_connections lowered from 151)" in plan["arithmetic"]
    assert plan["arithmetic"].startswith(plan["file_arithmetic"])


def test_mariadb_plan_cuts_caches_then_lowers_connections():
    # 1 GiB share: 60 % = 614 MiB -> 512 MiB pool; 151 connections of ~19 MiB do not fit
    plan = sizing.mariadb_plan(1024, "mariadb", "10.11.14-MariaDB", DEFAULTS)
    pool = plan["settings"]["innodb_buffer_pool_size"]
    assert pool == 512 * MIB
    small = max(16 * MIB, 1024 * MIB // 50 // MIB * MIB)
    assert plan["settings"]["key_buffer_size"] == small and plan["settings"]["aria_pagecache_buffer_size"] == small
    server = small + pool + 16777216 + 1048576 + small
    per_thread = sizing.mysqltuner_peak(DEFAULTS)["per_thread_buffers"]
    fit = (1024 * MIB - server) // per_thread
    assert plan["max_connections_lowered"] == {"from": 151, "to": fit}
    assert plan["settings"]["max_connections"] == fit
    assert plan["peak"]["peak"] <= 1024 * MIB


def test_mariadb_plan_refuses_when_ten_connections_do_not_fit():
    v = dict(DEFAULTS, sort_buffer_size=64 * MIB)
    with pytest.raises(sizing.SizingError) as err:
        sizing.mariadb_plan(256, "mariadb", "10.11.6", v)
    assert "10 connections fit only with a buffer pool under half of its 60%" in str(err.value)


def test_mariadb_pool_gives_room_for_ten_connections():
    """MariaDB 11.8 (chunk 0: 1 MiB steps) on 584 MiB: 60 % = 350 MiB leaves room for 9.99 connections."""
    v = dict(DEFAULTS, innodb_buffer_pool_chunk_size=0)
    plan = sizing.mariadb_plan(584, "mariadb", "11.8.3-MariaDB", v)
    per_thread = sizing.mysqltuner_peak(v)["per_thread_buffers"]
    others = 16 * MIB + 16 * MIB + 16777216 + 1048576  # key, aria (cut), log buffer, query cache
    pool = (584 * MIB - others - 10 * per_thread) // MIB * MIB
    assert plan["settings"]["innodb_buffer_pool_size"] == pool < 584 * MIB * 60 // 100
    assert plan["buffer_pool_lowered"] == {"from": 584 * MIB * 60 // 100 // MIB * MIB, "to": pool}
    assert plan["settings"]["max_connections"] == 10
    assert plan["peak"]["peak"] <= 584 * MIB


def test_mariadb_small_share_keeps_one_chunk():
    plan = sizing.mariadb_plan(400, "mariadb", "10.11.6", dict(DEFAULTS, max_connections=10))
    assert plan["settings"]["innodb_buffer_pool_size"] == 128 * MIB


# --- Redis -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("save,aof,persistent", [("3600 1 300 100 60 10000", "no", True), ("", "no", False),
                                                 ("", "yes", True), (None, None, False)])
def test_redis_persistence(save, aof, persistent):
    assert sizing.redis_persistent(save, aof) is persistent


def test_redis_plan_fractions_and_policy():
    plan = sizing.redis_plan(400, persistent=True)
    assert plan["settings"] == {"maxmemory": 200 * MIB, "maxmemory-policy": "noeviction"}
    plan = sizing.redis_plan(400, persistent=False)
    assert plan["settings"] == {"maxmemory": 320 * MIB, "maxmemory-policy": "allkeys-lru"}
    plan = sizing.redis_plan(400, persistent=True, workload="cache")
    assert plan["settings"]["maxmemory-policy"] == "allkeys-lru"
    with pytest.raises(sizing.SizingError):
        sizing.redis_plan(400, persistent=True, policy="lru")
    with pytest.raises(sizing.SizingError):
        sizing.redis_plan(16, persistent=False)


def test_redis_config_lines():
    text = "bind 127.0.0.1\nmaxmemory 0\n# maxmemory-policy noeviction\nmaxmemory 8gb\n"
    out = sizing.redis_config_lines(text, {"maxmemory": 200 * MIB, "maxmemory-policy": "noeviction"})
    assert out.splitlines() == ["bind 127.0.0.1", "# maxmemory 0  # superseded by headroom.memory.database",
                                "# maxmemory-policy noeviction", "maxmemory 200mb", "maxmemory-policy noeviction"]
    # idempotent
    assert sizing.redis_config_lines(out, {"maxmemory": 200 * MIB, "maxmemory-policy": "noeviction"}) == out


# --- MongoDB ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("share,cache_mb,gb", [(4096, 1536, 1.5), (16384, 7680, 7.5), (1280, 256, 0.25),
                                               (512, 256, 0.25), (3000, 988, 0.96)])
def test_mongodb_formula_on_the_share(share, cache_mb, gb):
    """mongod: max((mem - 1 GiB) x 0.5, 256 MiB); sizing-rules 3: 4 GB -> 1.5, 16 GB -> 7.5, 1.25 GB -> 256 MB."""
    plan = sizing.mongodb_plan(share)
    assert plan["cache_mb"] == cache_mb
    assert plan["settings"]["storage.wiredTiger.engineConfig.cacheSizeGB"] == gb


def test_mongodb_config_merge():
    conf = {"storage": {"dbPath": "/var/lib/mongodb"}, "net": {"port": 27017}}
    out = sizing.mongodb_config(conf, 1.5)
    assert out == {"storage": {"dbPath": "/var/lib/mongodb", "wiredTiger": {"engineConfig": {"cacheSizeGB": 1.5}}},
                   "net": {"port": 27017}}
    assert conf == {"storage": {"dbPath": "/var/lib/mongodb"}, "net": {"port": 27017}}
    with pytest.raises(sizing.SizingError):
        sizing.mongodb_config({"storage": "x"}, 1.0)


def test_unknown_engine():
    with pytest.raises(sizing.SizingError) as err:
        sizing.check_share("oracle", 4096)
    assert "oracle" in str(err.value)


def test_mariadb_caches_in_whole_mib():
    """876 MiB: 2 % = 17.52 MiB; MariaDB would round 18371051 down to 4 KiB blocks, so 17 MiB is written."""
    plan = sizing.mariadb_plan(876, "mariadb", "11.8.9-MariaDB", dict(DEFAULTS, innodb_buffer_pool_chunk_size=0))
    assert plan["settings"]["key_buffer_size"] == plan["settings"]["aria_pagecache_buffer_size"] == 17 * MIB


# --- Redis against the data it holds (issue #32) -----------------------------------------------------

def test_redis_plan_keeps_maxmemory_above_the_data():
    plan = sizing.redis_plan(400, persistent=True, data_mb=150)  # 150 + 15 <= 200
    assert plan["maxmemory_mb"] == 200 and "raised" not in plan["arithmetic"]


def test_redis_plan_raises_maxmemory_to_the_data_when_the_share_allows():
    plan = sizing.redis_plan(600, persistent=True, data_mb=368)  # 368 + 37 = 405 > 300, <= 0.8 x 600 = 480
    assert plan["settings"] == {"maxmemory": 405 * MIB, "maxmemory-policy": "noeviction"}
    assert "raised to the 368 MiB it holds + 10% = 405 MiB (at most 0.8 x share = 480 MiB)" in plan["arithmetic"]
    assert "persistence fork" in plan["arithmetic"]
    plan = sizing.redis_plan(600, persistent=False, data_mb=400)  # 440 <= 480
    assert plan["maxmemory_mb"] == 480 and "raised" not in plan["arithmetic"]
    plan = sizing.redis_plan(600, persistent=False, data_mb=450)  # 495 > 480 and > 480: data fits, margin not
    assert plan["maxmemory_mb"] == 480 and "only 30 MiB left for new data, less than the 10% margin" in plan["arithmetic"]
    plan = sizing.redis_plan(700, persistent=False, data_mb=520)  # 572 > 560 ceiling; 520 < 560 kept
    assert plan["maxmemory_mb"] == 560
    plan = sizing.redis_plan(800, persistent=False, data_mb=560)  # 640 >= 616: without persistence the plan already is the ceiling
    assert plan["maxmemory_mb"] == 640 and "persistence fork" not in plan["arithmetic"]


def test_redis_plan_never_sets_noeviction_below_the_data():
    # the fleet's Redis: 368 MiB of data, a share of ~190 MiB gave maxmemory 89-97 MB
    with pytest.raises(sizing.SizingError) as e:
        sizing.redis_plan(190, persistent=True, data_mb=368)
    msg = str(e.value)
    assert "it holds 368 MiB of data, more than the 95 MiB maxmemory its 190 MiB share allows" in msg
    assert "a share of at least 507 MiB" in msg and "refuse every write at once" in msg
    assert "accept eviction explicitly with policy allkeys-lru (about 273 MiB of keys evicted at once)" in msg
    # nor evict on a guess: no persistence defaults to allkeys-lru, but nobody chose it
    with pytest.raises(sizing.SizingError, match="a choice nobody made"):
        sizing.redis_plan(190, persistent=False, data_mb=368)
    with pytest.raises(sizing.SizingError, match="evict only keys with a TTL"):
        sizing.redis_plan(190, persistent=False, data_mb=368, policy="volatile-lru")


def test_redis_plan_evicts_only_when_chosen():
    plan = sizing.redis_plan(190, persistent=True, policy="allkeys-lru", data_mb=368)
    assert plan["settings"] == {"maxmemory": 95 * MIB, "maxmemory-policy": "allkeys-lru"}
    assert "evicts about 273 MiB of keys at once, as chosen" in plan["arithmetic"]
    assert sizing.redis_plan(190, persistent=True, workload="cache", data_mb=368)["maxmemory_mb"] == 95
    with pytest.raises(sizing.SizingError, match="not a whole number"):
        sizing.redis_plan(190, persistent=True, data_mb="368")
