# -*- coding: utf-8 -*-
"""database_oversized: the engine's own setting, and service_limits as the backstop."""

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import context
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import merge_thresholds
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.database import database_oversized
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import (
    group, healthy, proc)


def run(facts, **overrides):
    thresholds = merge_thresholds(overrides)
    return database_oversized(facts, thresholds, context(facts, thresholds))


def with_db(comm, rss, unit, count=1, peak=None):
    facts = healthy()
    facts["process_groups"].append(group(comm, count, rss // count, peak))
    facts["processes"].insert(0, proc(comm, peak or rss, unit=unit))
    return facts


def test_a_modest_database_is_fine():
    assert run(with_db("mysqld", 4000, "mariadb.service")) == []


@pytest.mark.parametrize("comm, unit, setting, value", [
    ("mysqld", "mysql.service", "innodb_buffer_pool_size", "5888M"),
    ("mariadbd", "mariadb.service", "innodb_buffer_pool_size", "5888M"),
    ("mongod", "mongod.service", "storage.wiredTiger.engineConfig.cacheSizeGB", 3.41),
    ("redis-server", "redis-server.service", "maxmemory", "6400mb"),
])
def test_a_database_holding_most_of_ram_gets_its_setting(comm, unit, setting, value):
    [f] = run(with_db(comm, 10000, unit))
    assert f["id"] == "database_oversized" and f["severity"] == "warning"
    assert f["remedy"]["settings"][0]["setting"] == setting
    assert f["remedy"]["settings"][0]["value"] == value
    assert f["remedy"]["role"] == "headroom.memory.service_limits"
    assert f["remedy"]["vars"] == {"service_limits_units": [{"unit": unit, "memory_high": "7424M", "memory_max": "8G"}]}


def test_postgres_is_sized_by_its_largest_process_and_gets_pgtune_shared_buffers():
    facts = with_db("postgres", 30 * 600, "postgresql@15-main.service", count=30, peak=14000)
    [f] = run(facts)
    assert f["severity"] == "critical"  # 14000 of 16000 = 87.5% >= 85%
    assert f["remedy"]["settings"][0] == {"service": "postgresql", "setting": "shared_buffers", "value": "4GB",
                                          "file": "postgresql.conf"}


def test_postgres_backends_sharing_buffers_are_not_summed():
    # 30 backends x 600 MiB would be 18000 MiB summed; the largest is 3000 MiB: fine
    assert run(with_db("postgres", 30 * 600, "postgresql.service", count=30, peak=3000)) == []


def test_no_service_limits_when_the_unit_is_unknown():
    facts = healthy()
    facts["process_groups"].append(group("redis-server", 1, 12000))
    [f] = run(facts)
    assert f["remedy"]["role"] is None and f["remedy"]["settings"]
