# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The database filters are thin: instance validation and detection, the plan per engine from live values,
and bad input as AnsibleFilterError naming the value."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.headroom.memory.plugins.filter.database import FilterModule
from ansible_collections.headroom.memory.plugins.plugin_utils.database import pgtune

F = FilterModule().filters()
MIB = 1024 * 1024


def test_postgresql_settings_is_pgtune():
    params = {"memory_mb": 16384, "cpus": 4, "workload": "web", "storage": "ssd", "connections": 100,
              "db_size": "mid_ram", "version": 18}
    got = F["postgresql_settings"](params)
    assert got == pgtune.postgresql_settings(params)
    assert (got["shared_buffers"], got["wal_buffers"], got["work_mem"], got["huge_pages"]) == (
        "4GB", "16MB", "40329kB", "try")
    with pytest.raises(AnsibleFilterError) as err:
        F["postgresql_settings"]({"memory_mb": 1024, "workload": "oltpx"})
    assert "oltpx" in str(err.value)


def test_instance_errors_name_every_problem():
    errors = F["database_instance_errors"]([
        {"engine": "oracle"},
        {"engine": "postgresql", "memory": "lots", "connections": 0, "cluster": "../etc"},
        {"engine": "redis", "workload": "web", "persistence": "sometimes", "restart": "yes", "config_file": "x;rm"},
        {"engine": "redis", "name": "r"}, {"engine": "redis", "name": "r", "port": 6380},
        {"engine": "mariadb", "unit": "mariadb.service; reboot", "bogus": 1},
    ])
    text = "\n".join(errors)
    for word in ("engine 'oracle'", "memory 'lots'", "connections 0", "cluster '../etc'", "workload 'web'",
                 "persistence 'sometimes'", "restart 'yes'", "config_file 'x;rm'", "name r is used more than once",
                 "unit 'mariadb.service; reboot'", "unknown key(s) bogus"):
        assert word in text
    assert F["database_instance_errors"]([{"engine": "postgresql", "memory": "40%"},
                                          {"engine": "redis", "memory": "256M", "persistence": False}]) == []
    assert F["database_instance_errors"]("postgresql") == ["database_instances must be a list, got str"]


FACTS = {
    "memory": {"total_mb": 1024}, "cgroup": {"limit_mb": 1024},
    "process_groups": [{"comm": "postgres", "count": 6, "rss_mb": 120},
                       {"comm": "redis-server", "count": 1, "rss_mb": 10},
                       {"comm": "systemd", "count": 2, "rss_mb": 20}],
    "processes": [{"comm": "redis-server", "unit": "redis-server.service"},
                  {"comm": "postgres", "unit": "postgresql@15-main.service"}],
}


def test_detection_and_defaults():
    found = F["database_instances"]([], FACTS)
    assert [(i["engine"], i["name"], i["unit"]) for i in found] == [
        ("postgresql", "postgresql", None), ("redis", "redis", "redis-server.service")]
    assert found[0]["workload"] == "web" and found[0]["memory"] == "auto" and found[0]["restart"] is False
    assert found[1]["config_file"] == "/etc/redis/redis.conf" and found[1]["port"] == 6379
    with pytest.raises(AnsibleFilterError):
        F["database_instances"]([{"engine": "db2"}], FACTS)


def share(instance, share_mb=400):
    inst = F["database_instances"]([instance])[0]
    return {"instance": inst, "share_mb": share_mb, "arithmetic": "test share"}


def test_plan_postgresql_from_live_values():
    plan = F["database_plan"](share({"engine": "postgresql"}, 400), {"version": "15", "max_connections": "20",
                                                                     "cpus": 2})
    expected = pgtune.settings_kb({"memory_mb": 400, "connections": 20, "cpus": 2, "version": 15})
    assert plan["settings_kb"]["shared_buffers"] == expected["shared_buffers"] == 102400
    assert plan["conf"]["shared_buffers"] == "'100MB'"
    assert "max_connections" not in plan["settings"]
    assert plan["share_arithmetic"] == "test share" and plan["name"] == "postgresql"
    # Debian's default 100 connections x 4MB x 2 do not fit 400 MiB: refused with what would fit
    with pytest.raises(AnsibleFilterError) as err:
        F["database_plan"](share({"engine": "postgresql"}, 400), {"version": "15", "max_connections": "100"})
    assert "at most 28 connections fit" in str(err.value)
    plan = F["database_plan"](share({"engine": "postgresql", "connections": 28}, 400), {"version": 15,
                                                                                        "max_connections": "100"})
    assert plan["settings"]["max_connections"] == 28 and plan["conf"]["max_connections"] == "28"


def test_plan_mariadb_from_show_variables_lines():
    rows = ["version\t10.11.14-MariaDB-0+deb12u2", "innodb_buffer_pool_size\t8589934592",
            "innodb_buffer_pool_chunk_size\t134217728", "max_connections\t20", "key_buffer_size\t16777216",
            "sort_buffer_size\t2097152", "tmp_table_size\t16777216", "max_heap_table_size\t16777216"]
    variables = F["database_parse"]("\n".join(rows), "mysql_vars")
    assert variables["version"] == "10.11.14-MariaDB-0+deb12u2"
    plan = F["database_plan"](share({"engine": "mariadb"}, 1024), {"variables": variables})
    assert plan["settings"]["innodb_buffer_pool_size"] == 512 * MIB
    assert plan["live"]["innodb_buffer_pool_size"] == 8589934592


def test_plan_redis_persistence_from_live_and_refusal_names_instance():
    plan = F["database_plan"](share({"engine": "redis"}, 300), {"save": "3600 1", "appendonly": "no"})
    assert plan["persistent"] is True and plan["settings"]["maxmemory"] == 150 * MIB
    plan = F["database_plan"](share({"engine": "redis", "persistence": False}, 300), {"save": "3600 1"})
    assert plan["settings"] == {"maxmemory": 240 * MIB, "maxmemory-policy": "allkeys-lru"}
    with pytest.raises(AnsibleFilterError) as err:
        F["database_plan"](share({"engine": "redis"}, 16), {"save": ""})
    assert "redis (redis)" in str(err.value) and "nothing was changed" in str(err.value)


INFO_368 = "# Memory\r\nused_memory:385875968\r\nused_memory_human:368.00M\r\nmaxmemory_policy:noeviction\r\n"


def test_plan_redis_never_below_the_data_it_holds():
    info = F["database_parse"](INFO_368, "redis_info")
    assert info["used_memory"] == "385875968" and info["maxmemory_policy"] == "noeviction" and "# Memory" not in info
    # the fleet's Redis: 368 MiB held, a 190 MiB share: refused with the decision, before anything changes
    with pytest.raises(AnsibleFilterError) as err:
        F["database_plan"](share({"engine": "redis"}, 190), {"save": "3600 1", "info": info})
    msg = str(err.value)
    assert msg.startswith("redis (redis): redis: it holds 368 MiB of data") and "nothing was changed" in msg
    assert "accept eviction explicitly with policy allkeys-lru" in msg
    plan = F["database_plan"](share({"engine": "redis", "policy": "allkeys-lru"}, 190), {"save": "3600 1", "info": info})
    assert plan["settings"] == {"maxmemory": 95 * MIB, "maxmemory-policy": "allkeys-lru"}
    plan = F["database_plan"](share({"engine": "redis"}, 600), {"save": "3600 1", "info": info})
    assert plan["settings"]["maxmemory"] == 405 * MIB  # raised to 368 + 10 %
    # no INFO (or no used_memory in it): planned as before
    assert F["database_plan"](share({"engine": "redis"}, 190), {"save": "3600 1"})["maxmemory_mb"] == 95
    assert F["database_plan"](share({"engine": "redis"}, 190), {"save": "", "info": {"used_memory": "x"}})[
        "maxmemory_mb"] == 152


def test_mongodb_conf_filter():
    out = F["database_mongodb_conf"](None, 0.25)
    assert out == {"storage": {"wiredTiger": {"engineConfig": {"cacheSizeGB": 0.25}}}}
    with pytest.raises(AnsibleFilterError):
        F["database_mongodb_conf"]([1, 2], 0.25)


def test_parse_client_output():
    rows = "shared_buffers\t128MB\t16384\t8kB\tf\nwork_mem\t4MB\t4096\tkB\tt\nbroken line"
    assert F["database_parse"](rows, "pg_settings") == {
        "shared_buffers": {"shown": "128MB", "setting": "16384", "unit": "8kB", "pending_restart": False},
        "work_mem": {"shown": "4MB", "setting": "4096", "unit": "kB", "pending_restart": True}}
    # CONFIG GET: an empty value last loses its line to the stripped output
    assert F["database_parse"]("maxmemory\n0\nappendonly\nno\nsave", "redis_config") == {
        "maxmemory": "0", "appendonly": "no", "save": ""}
    assert F["database_parse"]("save\n\nmaxmemory\n0\n", "redis_config") == {"save": "", "maxmemory": "0"}
    with pytest.raises(AnsibleFilterError):
        F["database_parse"]("", "xml")


def test_compare():
    live = {"shared_buffers": {"shown": "128MB", "pending_restart": True}, "work_mem": {"shown": "4MB"},
            "effective_cache_size": {"shown": "4GB"}}
    got = F["database_compare"]({"shared_buffers": "100MB", "work_mem": "4MB", "effective_cache_size": "3GB"},
                                live, "postgresql")
    assert got == {"applied": ["work_mem"], "pending_restart": ["shared_buffers"],
                   "differs": [{"name": "effective_cache_size", "planned": "3GB", "live": "4GB"}]}
    got = F["database_compare"]({"innodb_buffer_pool_size": 134217728}, {"innodb_buffer_pool_size": "134217728"},
                                "mariadb")
    assert got["applied"] == ["innodb_buffer_pool_size"]


def test_wal_buffers_written_in_whole_pages():
    plan = F["database_plan"](share({"engine": "postgresql"}, 400), {"version": 15, "max_connections": 20})
    # PGTune: 3% of 100MB = 3072 kB; at 300 MiB: 2304 kB; at 130 MiB: 998 kB -> 992 kB (124 pages)
    assert plan["settings"]["wal_buffers"] == "3MB"
    plan = F["database_plan"](share({"engine": "postgresql"}, 130), {"version": 15, "max_connections": 5})
    assert pgtune.postgresql_settings({"memory_mb": 130})["wal_buffers"] == "998kB"
    assert plan["settings"]["wal_buffers"] == "992kB"
