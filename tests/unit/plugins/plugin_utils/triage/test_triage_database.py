# -*- coding: utf-8 -*-
"""database_oversized and database_defaults: databases judged by their own settings with the database role's
arithmetic (its share from budget, its plan from sizing), the remedy a database_instances entry the role
accepts; without settings, by what they hold."""

import copy

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.database import sizing
from ansible_collections.headroom.memory.plugins.plugin_utils.database.shares import shares
from ansible_collections.headroom.memory.plugins.plugin_utils.database.instances import normalise
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import context, triage_entry
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import merge_thresholds
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.database import (
    OFFER_PCT, database_defaults, database_oversized)
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import (
    group, healthy, proc)

MIB = 1024 * 1024


def run(facts, rule=database_oversized, **overrides):
    thresholds = merge_thresholds(overrides)
    return rule(facts, thresholds, context(facts, thresholds))


def with_db(comm, rss, unit, count=1, peak=None):
    facts = healthy()
    facts["process_groups"].append(group(comm, count, rss // count, peak))
    facts["processes"].insert(0, proc(comm, peak or rss, unit=unit))
    return facts


def container(limit_mb=1024):
    """A container with a memory limit running only small processes."""
    facts = healthy()
    facts["memory"]["total_mb"] = 24000
    facts["cgroup"].update({"limit_mb": limit_mb, "usage_mb": 200, "working_set_mb": 200})
    facts["processes"] = [proc("systemd", 12, pid=1, unit=None)]
    facts["process_groups"] = [group("systemd", 2, 10), group("sshd", 1, 10)]
    return facts


def server(engine, settings, **extra):
    entry = {"engine": engine, "pid": 100, "settings": settings, "explicit": sorted(settings), "files_read": 1,
             "problems": [], "unit": {"postgresql": "postgresql@15-main.service", "redis": "redis-server.service",
                                      "mariadb": "mariadb.service"}.get(engine)}
    entry.update(extra)
    return entry


def planted_postgres(limit_mb=1024):
    """The issue's PostgreSQL: shared_buffers at 75% of a 1 GiB container, 300 connections x 64MB work_mem."""
    facts = container(limit_mb)
    # an agent of 128 MiB beside it keeps the share at 1024 - 158 - 128 reserve (1/8) = 738 MiB
    facts["process_groups"] += [group("fluent-bit", 1, 128), group("postgres", 8, 20, 40)]
    facts["settings"] = {"databases": [server("postgresql", {
        "shared_buffers": 768 * 1024, "max_connections": 300, "work_mem": 64 * 1024}, version=15, cluster="15/main")]}
    return facts


def role_share(facts, instance):
    """What the database role's preflight makes of the remedy's instance on the same facts."""
    entries, errors = normalise([instance])
    assert errors == []
    [share] = shares(entries, facts)
    return share


def test_postgres_configured_for_a_bigger_host_names_each_setting_and_the_amount():
    facts = planted_postgres()
    [f] = run(facts)
    assert f["id"] == "database_oversized" and f["severity"] == "critical"
    assert f["title"] == "postgresql 15/main is configured for more memory than it can get"
    evidence = "\n".join(f["evidence"])
    # 1024 MiB container - 158 MiB others - 128 MiB reserve = 738 MiB share
    assert "shared_buffers 768 MiB alone is 30 MiB over its share of 738 MiB (75.0% of 1.0 GiB)" in evidence
    assert "300 connections x work_mem 64 MiB x 2" in evidence and "(the container limit)" in evidence
    assert "work_mem 64 MiB is 60 MiB over the 4 MiB the database role sets" in evidence
    assert "max_connections 300 is 254 over the 46 that fit a 664 MiB share" in evidence
    assert "unit postgresql@15-main.service" == f["evidence"][1]
    assert f["remedy"]["role"] == "headroom.memory.database"
    [instance] = f["remedy"]["vars"]["database_instances"]
    assert instance == {"engine": "postgresql", "cluster": "15/main", "name": "postgresql-15-main",
                        "memory": "%dM" % (738 * OFFER_PCT // 100), "connections": 46}
    # what the role writes is its business: evidence, not remedy.settings (settings no role manages)
    assert f["remedy"]["settings"] == []
    assert f["evidence"][-1] == ("the database role would set shared_buffers = 166MB, work_mem = 4MB, "
                                 "max_connections = 46 (in conf.d/50-headroom-memory.conf)")


def test_the_role_accepts_the_postgres_remedy_on_the_same_host():
    facts = planted_postgres()
    [f] = run(facts)
    [instance] = f["remedy"]["vars"]["database_instances"]
    share = role_share(facts, instance)
    assert share["share_mb"] == 664
    plan = sizing.postgresql_plan(share["share_mb"], connections=instance["connections"], version=15,
                                  write_connections=True)
    assert plan["worst_case_kb"] <= share["share_mb"] * 1024
    # one connection more would not fit: the count is the most the share holds
    with pytest.raises(sizing.SizingError):
        sizing.postgresql_plan(share["share_mb"], connections=instance["connections"] + 1, version=15)


def test_the_remedy_passes_the_gate_into_remedy_vars():
    entry = triage_entry({"host": "pg", "facts": planted_postgres()})
    assert entry["withheld"] == []
    [instance] = entry["remedy_vars"]["database_instances"]
    assert instance["cluster"] == "15/main" and "service_limits_units" not in entry["remedy_vars"]


def test_postgres_within_its_share_is_fine():
    facts = planted_postgres()
    facts["settings"]["databases"][0]["settings"] = {"shared_buffers": 160 * 1024, "max_connections": 40,
                                                     "work_mem": 4096}
    assert run(facts) == []


def test_only_the_worst_case_over_the_share_is_a_warning():
    facts = planted_postgres(limit_mb=4096)
    facts["settings"]["databases"][0]["settings"] = {"shared_buffers": 512 * 1024, "max_connections": 200,
                                                     "work_mem": 8192}
    [f] = run(facts)  # 512 + 200 x 8 x 2 + 3 x 64 = 3904 MiB > 3810 MiB share, < 4096 MiB
    assert f["severity"] == "warning"
    assert not any("alone is" in e for e in f["evidence"])


def test_no_share_for_postgres_means_no_remedy_but_the_numbers():
    facts = planted_postgres(limit_mb=300)  # 300 - 158 - 64 = 78 MiB: below PostgreSQL's minimum
    [f] = run(facts)
    assert f["severity"] == "critical" and f["remedy"]["role"] is None and f["remedy"]["vars"] == {}
    assert "cannot hold postgresql" in f["remedy"]["text"]


def test_mariadb_buffer_pool_over_its_share():
    facts = container(2048)
    facts["process_groups"].append(group("mariadbd", 1, 300))
    planted = {"innodb_buffer_pool_size": 6 * 1024 * MIB, "max_connections": 500}
    facts["settings"] = {"databases": [server("mariadb", planted)]}
    [f] = run(facts)
    assert f["severity"] == "critical"
    evidence = "\n".join(f["evidence"])
    assert "innodb_buffer_pool_size 6.0 GiB is" in evidence and "over the" in evidence
    [instance] = f["remedy"]["vars"]["database_instances"]
    assert instance["engine"] == "mariadb" and instance["name"] == "mariadb"
    share = role_share(facts, instance)
    plan = sizing.mariadb_plan(share["share_mb"], "mariadb", "10.11", dict(
        (k, v) for k, v in facts["settings"]["databases"][0]["settings"].items()))
    assert plan["peak"]["peak"] <= share["share_mb"] * MIB


def test_redis_maxmemory_above_the_container():
    facts = container(1024)
    facts["process_groups"].append(group("redis-server", 1, 100))
    facts["settings"] = {"databases": [server("redis", {"maxmemory": 2048 * MIB, "persistence": True})]}
    [f] = run(facts)
    assert f["severity"] == "critical"
    assert any("maxmemory 2.0 GiB is" in e for e in f["evidence"])
    assert f["evidence"][-1].startswith("the database role would set maxmemory = ")
    assert run(facts, database_defaults) == []


def test_redis_without_maxmemory_holding_little_is_left_on_defaults():
    facts = container(1024)
    facts["process_groups"].append(group("redis-server", 1, 100))
    facts["processes"].insert(0, proc("redis-server", 100, pid=300, unit="redis-server.service"))
    facts["settings"] = {"databases": [server("redis", {"persistence": False})]}
    assert run(facts) == []
    [f] = run(facts, database_defaults)
    assert f["id"] == "database_defaults" and f["severity"] == "warning"
    assert "no maxmemory" in f["evidence"][0]
    [instance] = f["remedy"]["vars"]["database_instances"]
    assert instance["engine"] == "redis" and f["remedy"]["role"] == "headroom.memory.database"
    # persistence off: maxmemory = 80% of the share offered
    assert "maxmemory = %dmb " % int(int(instance["memory"][:-1]) * 0.8) in f["evidence"][-1]


def test_redis_without_maxmemory_holding_most_is_oversized_once():
    facts = container(1024)
    facts["process_groups"].append(group("redis-server", 1, 600))
    facts["processes"].insert(0, proc("redis-server", 600, pid=300, unit="redis-server.service"))
    facts["settings"] = {"databases": [server("redis", {"persistence": False})]}
    [f] = run(facts)
    assert f["severity"] == "warning" and f["title"] == "redis holds 59% of memory and has no maxmemory"
    assert run(facts, database_defaults) == []
    entry = triage_entry({"host": "db", "facts": facts})
    assert [x["id"] for x in entry["findings"]].count("database_oversized") == 1
    assert entry["remedy_vars"]["database_instances"] == f["remedy"]["vars"]["database_instances"]


@pytest.mark.parametrize("engine, comm, settings, limit, fires", [
    ("postgresql", "postgres", {"shared_buffers": 131072, "max_connections": 100}, 16384, True),
    ("postgresql", "postgres", {}, 16384, True),
    ("postgresql", "postgres", {}, 2048, False),   # the role would give it less than 4 x 128 MiB: defaults are fine
    ("postgresql", "postgres", {"shared_buffers": 1048576}, 16384, False),
    ("mariadb", "mariadbd", {}, 16384, True),
    ("mariadb", "mariadbd", {"innodb_buffer_pool_size": 4096 * MIB}, 16384, False),
])
def test_defaults_where_they_matter(engine, comm, settings, limit, fires):
    facts = container(limit)
    facts["process_groups"].append(group(comm, 1, 50))
    facts["settings"] = {"databases": [server(engine, settings, version=15, cluster="15/main")]}
    found = run(facts, database_defaults)
    assert bool(found) == fires
    if fires:
        assert found[0]["severity"] == "info" and found[0]["remedy"]["role"] == "headroom.memory.database"
        assert found[0]["remedy"]["vars"]["database_instances"][0]["engine"] == engine


def test_two_servers_split_the_share_as_the_role_does():
    facts = planted_postgres(limit_mb=4096)
    facts["process_groups"].append(group("redis-server", 1, 50))
    facts["settings"]["databases"].append(server("redis", {"maxmemory": 3072 * MIB, "persistence": True}))
    found = run(facts)
    shares_seen = set(int(f["remedy"]["vars"]["database_instances"][0]["memory"][:-1]) for f in found)
    assert len(found) == 2 and len(shares_seen) == 1
    entry = triage_entry({"host": "two", "facts": facts})
    assert sorted(i["engine"] for i in entry["remedy_vars"]["database_instances"]) == ["postgresql", "redis"]


def test_settings_unread_falls_back_to_what_it_holds():
    [f] = run(with_db("mariadbd", 10000, "mariadb.service"))
    assert f["severity"] == "warning" and f["remedy"]["role"] == "headroom.memory.database"
    assert f["remedy"]["vars"] == {"database_instances": [{"engine": "mariadb", "name": "mariadb", "memory": "8000M"}]}
    assert "would set innodb_buffer_pool_size = " in f["evidence"][-1]
    assert "was not read" in f["evidence"][-2]


@pytest.mark.parametrize("comm, setting", [
    ("mysqld", "innodb_buffer_pool_size"), ("mongod", "storage.wiredTiger.engineConfig.cacheSizeGB"),
    ("redis-server", "maxmemory"), ("postgres", "shared_buffers"),
])
def test_each_engine_held_most_of_ram_gets_its_setting_from_the_roles_plan(comm, setting):
    held = 3000 if comm == "redis-server" else 14000  # Redis: data that fits the maxmemory of the share
    [f] = run(with_db(comm, held, "x.service", peak=held), database_warn_pct=15)
    assert "the database role would set %s = " % setting in f["evidence"][-1]


def test_redis_unread_holding_more_than_its_share_allows_gets_a_decision_not_a_maxmemory():
    [f] = run(with_db("redis-server", 14000, "x.service", peak=14000))
    assert f["remedy"]["role"] is None and f["remedy"]["vars"] == {}
    assert not any("would set maxmemory" in e for e in f["evidence"])
    assert "it holds 14000 MiB of data" in f["remedy"]["text"]
    assert "accept eviction explicitly with policy allkeys-lru" in f["remedy"]["text"]


def fleet_redis(settings, rss=368, limit=512):
    """The fleet's Redis: 368 MiB of data in a 512 MiB container beside a 150 MiB app: its share is
    512 - 180 others (systemd 20, sshd 10, node 150) - 64 reserve (1/8, floor) = 268 MiB, offered 241 MiB (90 %),
    so maxmemory would be 120 MiB with persistence: about the fleet's 89-97 MB."""
    facts = container(limit)
    facts["process_groups"] += [group("node", 1, 150), group("redis-server", 1, rss)]
    facts["processes"].insert(0, proc("redis-server", rss, pid=300, unit="redis-server.service"))
    facts["settings"] = {"databases": [server("redis", settings)]}
    return facts


def test_fleet_redis_too_big_for_its_share_gets_the_decision_and_no_maxmemory():
    facts = fleet_redis({"maxmemory": 2048 * MIB, "persistence": True})
    [f] = run(facts)
    assert f["severity"] == "critical"
    assert f["remedy"]["role"] is None and f["remedy"]["vars"] == {}
    text = f["remedy"]["text"]
    assert text.startswith("Its data does not fit the maxmemory its share allows, so no maxmemory is offered: ")
    assert "it holds 368 MiB of data, more than the 120 MiB maxmemory its 241 MiB share allows" in text
    assert "refuse every write at once" in text and "a share of 507 MiB or more" in text
    assert "accept eviction explicitly with policy allkeys-lru (about 248 MiB of keys evicted at once)" in text
    assert "it holds 368 MiB now (RSS): more than the maxmemory its share allows" in f["evidence"]
    assert not any("would set maxmemory" in e for e in f["evidence"])


def test_fleet_redis_without_maxmemory_gets_the_decision_too():
    facts = fleet_redis({"persistence": True})
    found = run(facts) + run(facts, database_defaults)
    assert len(found) == 1 and found[0]["remedy"]["role"] is None
    assert "refuse every write at once" in found[0]["remedy"]["text"]


def test_fleet_redis_with_eviction_chosen_keeps_it_and_says_what_is_evicted():
    facts = fleet_redis({"maxmemory": 2048 * MIB, "persistence": True, "maxmemory_policy": "allkeys-lru"})
    [f] = run(facts)
    [instance] = f["remedy"]["vars"]["database_instances"]
    assert instance == {"engine": "redis", "name": "redis", "memory": "241M", "policy": "allkeys-lru"}
    assert f["evidence"][-1] == "the database role would set maxmemory = 120mb (in redis.conf)"
    share = role_share(facts, instance)
    plan = sizing.redis_plan(share["share_mb"], True, policy=instance["policy"], data_mb=368)
    assert plan["maxmemory_mb"] == 120 and "evicts about 248 MiB of keys at once, as chosen" in plan["arithmetic"]


def test_fleet_redis_whose_data_fits_when_raised_gets_the_raised_maxmemory():
    facts = fleet_redis({"maxmemory": 2048 * MIB, "persistence": True}, rss=200, limit=600)
    [f] = run(facts)  # share 600 - 180 - 75 = 345, offered 310: 0.5 x 310 = 155 < 200 + 20 <= 0.8 x 310 = 248
    assert f["remedy"]["role"] == "headroom.memory.database"
    assert f["evidence"][-1] == "the database role would set maxmemory = 220mb (in redis.conf)"


def test_a_modest_database_is_fine():
    assert run(with_db("mysqld", 4000, "mariadb.service")) == []


def test_postgres_backends_sharing_buffers_are_not_summed():
    assert run(with_db("postgres", 30 * 600, "postgresql.service", count=30, peak=3000)) == []


def test_facts_without_settings_or_processes_give_nothing():
    facts = copy.deepcopy(planted_postgres())
    facts["process_groups"] = None  # budget cannot give a share: no judgement by settings, no crash
    assert run(facts) == [] and run(facts, database_defaults) == []


def test_redis_left_on_defaults_whose_data_does_not_fit_gets_the_decision():
    # 900 MiB held = 44 % of the 2 GiB container (below the oversized line); its share 2048 - 630 others - 256 =
    # 1162 MiB, offered 1045: 900 + 90 > 0.8 x 1045 = 836, so no maxmemory is offered, the decision is
    facts = fleet_redis({"persistence": True}, rss=900, limit=2048)
    facts["process_groups"].append(group("java", 1, 450))
    assert run(facts) == []
    [f] = run(facts, database_defaults)
    assert f["id"] == "database_defaults" and f["remedy"]["role"] is None and f["remedy"]["vars"] == {}
    assert "it holds 900 MiB of data" in f["remedy"]["text"] and "policy allkeys-lru" in f["remedy"]["text"]
    assert not any("would set maxmemory" in e for e in f["evidence"])
