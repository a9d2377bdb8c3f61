# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PGTune port at the edges its own test suite does not reach (found by mutation testing, tests/MUTATION.md):
each threshold of configurationSlice.js at the value where it flips, integer kB where PGTune floors, and the
input refusals word for word."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.database import pgtune


def kb(**params):
    full = {"memory_mb": 8192}
    full.update(params)
    return pgtune.settings_kb(full)


def test_wal_buffers_edges():
    """3 % of shared_buffers, floored; raised to 16MB only strictly between 14MB and 16MB."""
    assert kb(memory_mb=1024)["wal_buffers"] == 3 * 262144 // 100 == 7864  # 7864.32 floored
    assert kb(memory_mb=1900)["wal_buffers"] == 16384  # 3 % of 475MB = 14592 kB, above 14MB
    # desktop: shared_buffers = RAM / 16; 7467 MiB -> 477888 kB -> 3 % = 14336 kB = 14MB exactly: kept
    assert kb(memory_mb=7467, workload="desktop")["wal_buffers"] == 14336


def test_windows_postgresql_10_keeps_its_shared_buffers():
    """PGTune caps shared_buffers at 512MB on Windows only below version 10."""
    assert kb(memory_mb=4096, version=10, os="windows")["shared_buffers"] == 1048576


def test_io_workers_edges():
    """max(3, cpus // 4) capped at 32, left out when it is PostgreSQL's default of 3."""
    assert kb(version=18, os="mac", cpus=18)["io_workers"] == 4  # 18 // 4, floored
    assert kb(version=18, os="mac", cpus=16)["io_workers"] == 4
    assert "io_workers" not in kb(version=18, os="mac", cpus=15)


def test_maintenance_work_mem_at_exactly_the_windows_limit():
    """32 GiB / 16 = 2GB reaches the Windows (<= 17) limit: 2GB - 1MB; on Linux 2GB is written as is."""
    assert kb(memory_mb=32768, version=17, os="windows")["maintenance_work_mem"] == 2 * 1048576 - 1024
    assert kb(memory_mb=32768)["maintenance_work_mem"] == 2 * 1048576
    assert kb(memory_mb=32768)["autovacuum_work_mem"] == 2 * 1048576  # maintenance >= 2GB
    assert "autovacuum_work_mem" not in kb(memory_mb=32767)


def test_huge_pages_at_exactly_2gb_of_shared_buffers():
    assert kb(memory_mb=8192)["huge_pages"] == "try"
    assert kb(memory_mb=8191)["huge_pages"] == "off"


def test_parallel_maintenance_workers_from_version_11():
    assert kb(version=11, cpus=5)["max_parallel_maintenance_workers"] == 3  # ceil(5 / 2)
    assert kb(version=11, cpus=16)["max_parallel_maintenance_workers"] == 4  # at most 4
    assert "max_parallel_maintenance_workers" not in kb(version=10, cpus=16)


def test_jit_is_off_for_mixed_workloads():
    assert kb(version=15, workload="mixed")["jit"] == "off"
    assert "jit" not in kb(version=15, workload="desktop")


@pytest.mark.parametrize("memory_mb,warning", [
    (255, "this tool not being optimal for low memory systems"), (256, None), (102400, None),
    (102401, "this tool not being optimal for very high memory systems")])
def test_memory_warnings_flip_at_256mb_and_100gb(memory_mb, warning):
    got = pgtune.warnings(pgtune.normalise({"memory_mb": memory_mb, "version": 14}))
    assert got == ([warning] if warning else [])


@pytest.mark.parametrize("params,drive", [
    ({"storage": "ssd"}, "SSDs"), ({"storage": "san"}, "SAN storage"), ({"storage": "hdd"}, None),
    ({"storage": "ssd", "db_size": "less_ram"}, None)])
def test_data_warehouse_warning_names_the_drive(params, drive):
    full = {"memory_mb": 8192, "version": 14, "workload": "dw"}
    full.update(params)
    got = pgtune.warnings(pgtune.normalise(full))
    if drive is None:
        assert got == []
    else:
        assert got == ["Cost parameters for Data Warehouses on %s are left at defaults to avoid catastrophic index "
                       "scan selections; monitor query planner behavior and adjust random_page_cost if necessary"
                       % drive]


def test_inputs_at_their_bounds_are_accepted():
    p = pgtune.normalise({"memory_mb": 1 << 40, "cpus": 9999, "connections": 999999, "version": "15"})
    assert (p["memory_mb"], p["cpus"], p["connections"], p["version"]) == (1 << 40, 9999, 999999, 15)
    assert pgtune.normalise({"memory_mb": 1, "connections": 1})["connections"] == 1


@pytest.mark.parametrize("params,message", [
    ([], "postgresql_settings expects a mapping, got list"),
    ({"memory_mb": 1024, "ram": 1, "cores": 2}, "unknown key(s) cores, ram; known: memory_mb, cpus, workload, "
                                                "storage, connections, db_size, version, os"),
    ({}, "memory_mb is required"),
    ({"memory_mb": (1 << 40) + 1}, "memory_mb %d is not a whole number from 1 to %d" % ((1 << 40) + 1, 1 << 40)),
    ({"memory_mb": 1024, "cpus": 10000}, "cpus 10000 is not a whole number from 1 to 9999"),
    ({"memory_mb": 1024, "connections": 1000000}, "connections 1000000 is not a whole number from 1 to 999999"),
    ({"memory_mb": 1024, "connections": 0}, "connections 0 is not a whole number from 1 to 999999"),
    ({"memory_mb": 1024, "db_size": "huge"}, "db_size 'huge' is not one of less_ram, mid_ram, greater_ram"),
    ({"memory_mb": 1024, "os": "bsd"}, "os 'bsd' is not one of linux, windows, mac"),
    ({"memory_mb": 1024, "version": 9}, "version 9 is not one of 10, 11, 12, 13, 14, 15, 16, 17, 18"),
])
def test_refusals_word_for_word(params, message):
    with pytest.raises(pgtune.PgtuneError) as err:
        pgtune.normalise(params)
    assert str(err.value) == message
