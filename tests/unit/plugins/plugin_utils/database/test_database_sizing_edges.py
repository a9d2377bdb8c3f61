# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Engine sizing at its edges (found by mutation testing, tests/MUTATION.md): the worst case that fits exactly,
work_mem lowered to exactly PGTune's 4MB floor, the autovacuum terms of a big host, the buffer pool's unit and
its 3/4 rule, the caches' 2 % cap, and every sentence (arithmetic and refusals) word for word."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.database import pgtune, sizing
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.database.test_database_sizing import (
    DEFAULTS)

MIB = 1024 * 1024
GIB = 1024 * MIB

PER_THREAD_KB = (131072 + 262144 + 2097152 + 299008 + 262144 + 32768 + 16777216) // 1024  # 19396 KiB


# --- PostgreSQL ------------------------------------------------------------------------------------

def test_arithmetic_sentence_of_a_plan_that_fits():
    """4096 MiB, web, 100 connections: sb 1GB, maintenance 256MB x 3 autovacuum workers, PGTune's work_mem."""
    plan = sizing.postgresql_plan(4096, cpus=2, workload="web", connections=100, version=15)
    work_mem = (4096 * 1024 - 1048576) // ((100 + 8) * 3)  # (RAM - sb) / ((conns + 8 workers) x 3)
    worst = 1048576 + 100 * work_mem * 2 + 3 * 262144
    assert plan["settings_kb"]["work_mem"] == work_mem
    assert plan["arithmetic"] == ("worst case = shared_buffers 1GB + 100 connections x work_mem %dkB x 2 + 3 autovacuum "
                                  "workers x 256MB = %d MiB <= share 4096 MiB" % (work_mem, worst // 1024))
    assert plan["share_kb"] == 4096 * 1024
    assert plan["warnings"] == ["wal_compression = lz4 requires PostgreSQL to be compiled with --with-lz4"]


def test_a_big_host_counts_its_autovacuum_workers_and_memory():
    """16 cpus: PGTune's 4 autovacuum workers; maintenance 4GB >= 2GB: autovacuum_work_mem 2GB each."""
    plan = sizing.postgresql_plan(65536, cpus=16, connections=100, version=17)
    tuned = pgtune.settings_kb({"memory_mb": 65536, "cpus": 16, "connections": 100, "version": 17})
    assert tuned["autovacuum_max_workers"] == 4 and tuned["autovacuum_work_mem"] == 2 * 1048576
    assert plan["worst_case_kb"] == 16 * 1048576 + 100 * tuned["work_mem"] * 2 + 4 * 2 * 1048576
    assert "+ 4 autovacuum workers x 2GB =" in plan["arithmetic"]
    assert plan["settings"]["autovacuum_work_mem"] == "2GB"


def test_a_worst_case_equal_to_the_share_is_kept():
    """512 MiB, 36 connections: 128MB + 36 x 4MB x 2 + 3 x 32MB = 524288 kB, the share exactly."""
    plan = sizing.postgresql_plan(512, connections=36, version=15)
    assert plan["worst_case_kb"] == 512 * 1024 and plan["work_mem_lowered"] is None
    assert "lowered" not in plan["arithmetic"]


def test_work_mem_lowered_to_exactly_the_4mb_floor_is_accepted():
    """1 GiB, less_ram (x 1.3), 72 connections: room 1048576 - 256MB - 3 x 64MB = 589824 kB = 72 x 2 x 4096."""
    plan = sizing.postgresql_plan(1024, connections=72, db_size="less_ram", version=15)
    tuned = pgtune.settings_kb({"memory_mb": 1024, "connections": 72, "db_size": "less_ram", "version": 15})
    assert tuned["work_mem"] > 4096
    assert plan["work_mem_lowered"] == {"from_kb": tuned["work_mem"], "to_kb": 4096}
    assert plan["worst_case_kb"] == 262144 + 72 * 4096 * 2 + 3 * 65536 == 1024 * 1024
    assert plan["arithmetic"] == ("worst case = shared_buffers 256MB + 72 connections x work_mem 4MB x 2 + 3 autovacuum "
                                  "workers x 64MB = 1024 MiB <= share 1024 MiB (work_mem lowered from PGTune's %dkB)"
                                  % tuned["work_mem"])
    with pytest.raises(sizing.SizingError, match="at most 72 connections fit"):
        sizing.postgresql_plan(1024, connections=73, db_size="less_ram", version=15)


def test_lowered_worst_case_is_recomputed():
    plan = sizing.postgresql_plan(16384, workload="web", connections=300, db_size="less_ram", version=17)
    to = plan["work_mem_lowered"]["to_kb"]
    assert plan["worst_case_kb"] == 4 * 1048576 + 300 * to * 2 + 3 * 1048576


def test_refusal_word_for_word():
    """512 MiB, 500 connections: 128MB + 500 x 4MB x 2 + 3 x 32MB; room 294912 kB / 8192 = 36 connections."""
    with pytest.raises(sizing.SizingError) as err:
        sizing.postgresql_plan(512, connections=500, version=15)
    assert str(err.value) == (
        "postgresql: 500 connections x 4MB work_mem x 2 + shared_buffers 128MB + 3 autovacuum workers x 32MB = %d kB "
        "does not fit the share of 512 MiB (524288 kB); at most 36 connections fit: lower max_connections "
        "(database_instances[].connections) and put a pooler (pgbouncer) in front, or give PostgreSQL more memory"
        % (131072 + 500 * 4096 * 2 + 3 * 32768))


def test_pgtune_scope_leaves_max_connections_out_unless_asked():
    plan = sizing.postgresql_plan(8192, cpus=4, connections=50, version=17, scope="pgtune")
    assert "max_connections" not in plan["settings"] and plan["settings"]["max_worker_processes"] == 4


def test_conf_values_of_booleans():
    assert sizing.postgresql_conf_value(True) == "on"
    assert sizing.postgresql_conf_value(False) == "off"


def test_share_refusals_word_for_word():
    with pytest.raises(sizing.SizingError) as err:
        sizing.check_share("oracle", 4096)
    assert str(err.value) == "unknown engine 'oracle': one of postgresql, mariadb, mysql, redis, mongodb"
    with pytest.raises(sizing.SizingError) as err:
        sizing.check_share("redis", 31)
    assert str(err.value) == ("redis: a share of 31 MiB is below its minimum of 32 MiB; give it more memory "
                              "(database_instances[].memory) or move it to a bigger host")
    sizing.check_share("redis", 32)


# --- MariaDB / MySQL -------------------------------------------------------------------------------

def test_pool_unit_edges():
    assert sizing.pool_unit("mariadb", "10.6.0", 128 * MIB, 8) == 128 * MIB  # 10.6 has one instance
    assert sizing.pool_unit("mariadb", "10.5", 128 * MIB, 8) == GIB  # "10.5" without a patch level
    assert sizing.pool_unit("mysql", "8.0", 1, None) == 1  # a 1-byte chunk is a chunk; no instances = 1
    assert sizing.pool_unit("mysql", "8.0", -1, 2) == 2 * MIB  # nonsense chunk: 1 MiB steps
    with pytest.raises(sizing.SizingError) as err:
        sizing.pool_unit("mysql", None, MIB, 1)
    assert str(err.value) == "unknown server version None"


def test_mariadb_plan_arithmetic_word_for_word():
    plan = sizing.mariadb_plan(8192, "mariadb", "10.11.14-MariaDB", dict(DEFAULTS, max_connections=100))
    pool = 44 * 128 * MIB  # 70 % of 8192 = 5734.4 MiB, rounded down to 128 MiB chunks
    server = 128 * MIB + pool + 16777216 + 1048576 + 128 * MIB
    peak = server + 100 * PER_THREAD_KB * 1024
    assert plan["unit"] == 128 * MIB
    assert plan["arithmetic"] == plan["file_arithmetic"] == (
        "innodb_buffer_pool_size = 70%% of share 8192 MiB = 5734 MiB, rounded down to whole 128 MiB units = 5632 MiB; "
        "peak (MySQLTuner) = server buffers %d MiB + 100 connections x %d KiB per thread = %d MiB <= share 8192 MiB"
        % (server // MIB, PER_THREAD_KB, peak // MIB))


def test_mariadb_cut_and_lowered_sentences():
    plan = sizing.mariadb_plan(1024, "mariadb", "10.11.14-MariaDB", DEFAULTS)
    fit = plan["max_connections_lowered"]["to"]
    assert plan["arithmetic"] == plan["file_arithmetic"] + (
        " (cut: key_buffer_size 128 MiB -> 20 MiB, aria_pagecache_buffer_size 128 MiB -> 20 MiB)"
        " (max_connections lowered from 151)")
    assert " + %d connections x %d KiB per thread = " % (fit, PER_THREAD_KB) in plan["file_arithmetic"]


def test_mariadb_shrunk_pool_sentence():
    v = dict(DEFAULTS, innodb_buffer_pool_chunk_size=0)
    plan = sizing.mariadb_plan(584, "mariadb", "11.8.3-MariaDB", v)
    assert plan["file_arithmetic"].startswith(
        "innodb_buffer_pool_size = 60% of share 584 MiB = 350 MiB, rounded down to whole 1 MiB units = 350 MiB; ")
    assert plan["file_arithmetic"].endswith(
        " (buffer pool lowered to %d MiB to fit 10 connections)" % (plan["settings"]["innodb_buffer_pool_size"] // MIB))


def test_mysql_counts_its_instances_in_the_unit():
    v = dict(DEFAULTS, innodb_buffer_pool_instances=4, max_connections=10)
    plan = sizing.mariadb_plan(4096, "mysql", "8.0.36", v)
    assert plan["unit"] == 512 * MIB
    assert plan["settings"]["innodb_buffer_pool_size"] == 5 * 512 * MIB  # 70 % = 2867 MiB -> 5 x 512 MiB
    # MariaDB 10.11 ignores the instances
    assert sizing.mariadb_plan(4096, "mariadb", "10.11.6", v)["unit"] == 128 * MIB


def test_a_unit_over_three_quarters_of_the_share_is_refused():
    v = dict(DEFAULTS, innodb_buffer_pool_instances=8)  # 8 x 128 MiB = 1 GiB units
    with pytest.raises(sizing.SizingError) as err:
        sizing.mariadb_plan(1024, "mysql", "8.0.36", v)
    assert str(err.value) == ("mysql: the buffer pool's unit (chunk x instances) is 1024 MiB, more than 3/4 of the "
                              "share of 1024 MiB; lower innodb_buffer_pool_chunk_size or give it more memory")
    # 3 x 256 MiB = 768 MiB is exactly 3/4 of 1024 MiB: one unit, accepted
    v = dict(DEFAULTS, innodb_buffer_pool_chunk_size=256 * MIB, innodb_buffer_pool_instances=3, max_connections=10,
             key_buffer_size=0, aria_pagecache_buffer_size=0)
    assert sizing.mariadb_plan(1024, "mysql", "8.0.36", v)["settings"]["innodb_buffer_pool_size"] == 768 * MIB


def test_connections_default_to_the_servers_151_and_the_argument_wins():
    v = dict(DEFAULTS)
    del v["max_connections"]
    assert sizing.mariadb_plan(16384, "mariadb", "10.11.6", v)["settings"]["max_connections"] == 151
    plan = sizing.mariadb_plan(16384, "mariadb", "10.11.6", DEFAULTS, connections=50)
    assert plan["settings"]["max_connections"] == 50 and plan["peak"]["max_connections"] == 50


def test_caches_are_cut_to_two_percent_of_a_big_share():
    v = dict(DEFAULTS, key_buffer_size=GIB)
    plan = sizing.mariadb_plan(8192, "mariadb", "10.11.6", v)
    assert plan["settings"]["key_buffer_size"] == 8192 * MIB // 50 // MIB * MIB == 163 * MIB


def test_caches_that_fit_are_kept_and_not_reported():
    v = dict(DEFAULTS, key_buffer_size=0, aria_pagecache_buffer_size=16 * MIB, max_connections=10)
    plan = sizing.mariadb_plan(1024, "mariadb", "10.11.6", v)
    assert plan["settings"]["key_buffer_size"] == 0 and plan["settings"]["aria_pagecache_buffer_size"] == 16 * MIB
    assert "cut:" not in plan["arithmetic"]


def test_no_per_thread_buffers_and_no_room_is_refused_not_divided_by_zero():
    v = dict((k, 0) for k in DEFAULTS)
    v.update(innodb_buffer_pool_chunk_size=0, innodb_log_buffer_size=2 * GIB, max_connections=10)
    with pytest.raises(sizing.SizingError, match="10 connections fit only with a buffer pool under half"):
        sizing.mariadb_plan(1024, "mariadb", "10.11.6", v)


def test_ten_connections_refusal_word_for_word_and_its_half_pool_edge():
    with pytest.raises(sizing.SizingError) as err:
        sizing.mariadb_plan(256, "mariadb", "10.11.6", dict(DEFAULTS, sort_buffer_size=64 * MIB))
    per_thread = PER_THREAD_KB * 1024 - 2097152 + 64 * MIB
    server = 16 * MIB + 128 * MIB + 16777216 + 1048576 + 16 * MIB
    assert str(err.value) == (
        "mariadb: server buffers %d MiB + 151 connections x %d MiB per thread = %d MiB does not fit the share of 256 "
        "MiB, and 10 connections fit only with a buffer pool under half of its 60%% (153 MiB); lower the per-thread "
        "buffers (sort/join/read buffers, tmp_table_size) or give it more memory"
        % (server // MIB, per_thread // MIB, (server + 151 * per_thread) // MIB))
    # 1024 MiB, 1 MiB units: 10 connections of ~72 MiB leave a pool of ~247 MiB, under half of 614 MiB: refused
    v = dict(DEFAULTS, innodb_buffer_pool_chunk_size=0, sort_buffer_size=55 * MIB)
    with pytest.raises(sizing.SizingError, match=r"under half of its 60% \(614 MiB\)"):
        sizing.mariadb_plan(1024, "mariadb", "10.11.6", v)


# --- Redis and MongoDB -----------------------------------------------------------------------------

def test_redis_arithmetic_and_refusals_word_for_word():
    plan = sizing.redis_plan(400, persistent=True)
    assert plan["maxmemory_mb"] == 200
    assert plan["arithmetic"] == ("maxmemory = 0.5 x share 400 MiB = 200 MiB (RDB/AOF persistence on: the fork's "
                                  "copy-on-write may double it)")
    assert sizing.redis_plan(400, persistent=False)["arithmetic"] == (
        "maxmemory = 0.8 x share 400 MiB = 320 MiB (no persistence: room for fragmentation and output buffers)")
    assert sizing.redis_plan(400, persistent=False, workload="store")["settings"]["maxmemory-policy"] == "noeviction"
    assert sizing.redis_plan(400, persistent=False, policy="volatile-ttl")["settings"]["maxmemory-policy"] == \
        "volatile-ttl"
    with pytest.raises(sizing.SizingError) as err:
        sizing.redis_plan(400, persistent=False, workload="queue")
    assert str(err.value) == "redis: workload 'queue' is not cache or store"
    with pytest.raises(sizing.SizingError) as err:
        sizing.redis_plan(400, persistent=False, policy="lru")
    assert str(err.value) == "redis: policy 'lru' is not one of " + ", ".join(sizing.REDIS_POLICIES)


def test_redis_config_lines_edges():
    assert sizing.redis_config_lines(None, {"maxmemory": 100 * MIB}) == "maxmemory 100mb\n"
    # not whole MiB: bytes as they are; other settings never get the mb suffix
    assert sizing.redis_config_lines("", {"maxmemory": MIB + 1, "hz": 2 * MIB}) == \
        "maxmemory %d\nhz %d\n" % (MIB + 1, 2 * MIB)
    text = "maxmemory 1gb\nMAXMEMORY 2gb\nmaxmemory 3gb\n"
    assert sizing.redis_config_lines(text, {"maxmemory": 100 * MIB}).splitlines() == [
        "# maxmemory 1gb  # superseded by headroom.memory.database",
        "# MAXMEMORY 2gb  # superseded by headroom.memory.database", "maxmemory 100mb"]


def test_redis_append_only_alone_is_persistence():
    assert sizing.redis_persistent(None, " YES ") is True
    assert sizing.redis_persistent(None, "") is False


def test_mongodb_arithmetic_and_config_refusals():
    plan = sizing.mongodb_plan(3001)  # (3001 - 1024) // 2 = 988 MiB; 988 x 100 // 1024 = 96 -> 0.96 GB
    assert plan["cache_mb"] == 988 and plan["settings"]["storage.wiredTiger.engineConfig.cacheSizeGB"] == 0.96
    assert plan["arithmetic"] == "cacheSizeGB = max((share 3001 MiB - 1024) x 0.5, 256) MiB = 988 MiB = 0.96 GB"
    assert sizing.mongodb_plan(1035)["settings"]["storage.wiredTiger.engineConfig.cacheSizeGB"] == 0.25
    with pytest.raises(sizing.SizingError) as err:
        sizing.mongodb_config(["storage"], 1.0)
    assert str(err.value) == "mongod.conf is not a YAML mapping"
    with pytest.raises(sizing.SizingError) as err:
        sizing.mongodb_config({"storage": {"wiredTiger": 3}}, 1.0)
    assert str(err.value) == "mongod.conf: wiredTiger is not a mapping"
    assert sizing.mongodb_config(None, 0.5) == {"storage": {"wiredTiger": {"engineConfig": {"cacheSizeGB": 0.5}}}}
    assert sizing.mongodb_config({"storage": None}, 0.5) == {
        "storage": {"wiredTiger": {"engineConfig": {"cacheSizeGB": 0.5}}}}


def test_mysqltuner_peak_counts_what_is_given_only():
    assert sizing.mysqltuner_peak({"sort_buffer_size": 100, "tmp_table_size": 50}) == {
        "server_buffers": 0, "per_thread_buffers": 100, "max_connections": 0, "peak": 0}
    assert sizing.mysqltuner_peak({"max_heap_table_size": 50, "join_buffer_size": "x", "max_connections": 3}) == {
        "server_buffers": 0, "per_thread_buffers": 0, "max_connections": 3, "peak": 0}
    assert sizing.mysqltuner_peak({"key_buffer_size": "-5"})["server_buffers"] == -5


def test_the_work_mem_factor_reaches_every_worst_case():
    """factor 3 (three work_mem-sized nodes per connection): fit, lowered and refused all count 3."""
    plan = sizing.postgresql_plan(4096, cpus=2, connections=100, version=15, factor=3)
    work_mem = plan["settings_kb"]["work_mem"]
    assert plan["worst_case_kb"] == 1048576 + 100 * work_mem * 3 + 3 * 262144
    plan = sizing.postgresql_plan(16384, connections=300, db_size="less_ram", version=17, factor=3)
    to = plan["work_mem_lowered"]["to_kb"]
    assert to == (16384 * 1024 - 4 * 1048576 - 3 * 1048576) // (300 * 3)
    assert plan["worst_case_kb"] == 4 * 1048576 + 300 * to * 3 + 3 * 1048576
    with pytest.raises(sizing.SizingError) as err:
        sizing.postgresql_plan(512, connections=500, version=15, factor=3)
    assert "x 4MB work_mem x 3 + shared_buffers 128MB + 3 autovacuum workers x 32MB = %d kB" % (
        131072 + 500 * 4096 * 3 + 3 * 32768) in str(err.value)
    assert "at most %d connections fit" % (294912 // (4096 * 3)) in str(err.value)


def test_exactly_ten_connections_that_fit_keep_the_pool():
    """596 MiB, 1 MiB units: 60 % = 357 MiB leaves room for exactly 10 connections; the pool stays."""
    plan = sizing.mariadb_plan(596, "mariadb", "11.8.3-MariaDB", dict(DEFAULTS, innodb_buffer_pool_chunk_size=0))
    assert plan["settings"]["innodb_buffer_pool_size"] == 357 * MIB
    assert plan["settings"]["max_connections"] == 10 and plan["buffer_pool_lowered"] is None


def test_a_bare_key_line_is_replaced():
    assert sizing.redis_config_lines("maxmemory\n", {"maxmemory": 100 * MIB}) == "maxmemory 100mb\n"
