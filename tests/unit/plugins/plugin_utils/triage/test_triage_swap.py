# -*- coding: utf-8 -*-
"""swap_missing, swappiness_high, container_without_limit and overcommit_risky."""

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import context
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import merge_thresholds
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.containers import container_without_limit
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.kernel import overcommit_risky
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.swap import (
    swap_missing, swap_size_mb, swappiness_high)
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import (
    group, healthy)


def run(rule, facts, **overrides):
    thresholds = merge_thresholds(overrides)
    return rule(facts, thresholds, context(facts, thresholds))


def no_swap(facts):
    facts["swap"].update(total_mb=0, free_mb=0, used_mb=0, devices=[])
    return facts


def test_no_swap_on_a_small_host_suggests_a_swap_file():
    facts = no_swap(healthy())
    facts["memory"]["total_mb"] = 3900
    [f] = run(swap_missing, facts)
    assert f["id"] == "swap_missing"
    assert f["remedy"]["role"] == "headroom.memory.swap"
    assert f["remedy"]["vars"] == {"swap_files": [{"path": "/swapfile", "size": "4G"}], "swap_swappiness": 10}


def test_no_swap_in_a_1g_container_counts_the_limit_as_ram():
    facts = no_swap(healthy())
    facts["cgroup"].update(limit_mb=1024, usage_mb=100)
    [f] = run(swap_missing, facts)
    assert f["remedy"]["vars"]["swap_files"][0]["size"] == "2G"
    assert "(cgroup limit)" in f["evidence"][0]


def test_no_swap_on_a_big_host_or_swap_present_is_fine():
    assert run(swap_missing, no_swap(healthy())) == []  # 16000 MiB > 8192
    small = healthy()
    small["memory"]["total_mb"] = 2000
    assert run(swap_missing, small) == []


@pytest.mark.parametrize("ram, size", [(1024, 2048), (4096, 4096), (16384, 4096)])
def test_swap_size_follows_the_red_hat_table(ram, size):
    assert swap_size_mb(ram) == size


def test_swappiness_above_the_line_is_reported():
    facts = healthy()
    facts["sysctl"]["vm.swappiness"] = 100
    [f] = run(swappiness_high, facts)
    assert f["severity"] == "info" and f["remedy"]["vars"] == {"swap_swappiness": 10}


def test_swappiness_60_is_fine_but_not_with_a_database():
    assert run(swappiness_high, healthy()) == []
    facts = healthy()
    facts["process_groups"].append(group("postgres", 5, 100))
    [f] = run(swappiness_high, facts)
    assert f["severity"] == "warning" and "postgresql" in f["evidence"][0]


def test_swappiness_without_swap_is_moot():
    facts = no_swap(healthy())
    facts["sysctl"]["vm.swappiness"] = 100
    assert run(swappiness_high, facts) == []


def test_unlimited_containers_are_listed():
    facts = healthy()
    facts["cgroup"]["unlimited_containers"] = [{"cgroup": "/docker/abc", "runtime": "docker"},
                                               {"cgroup": "/kubepods/burstable/pod1/def", "runtime": "kubepods"}]
    [f] = run(container_without_limit, facts)
    assert f["id"] == "container_without_limit" and f["title"].startswith("2 container(s)")
    assert f["remedy"]["role"] is None  # no role sets a container's limit: the remedy says how
    assert run(container_without_limit, healthy()) == []


def test_overcommit_always_is_risky_unless_only_redis_needs_it():
    facts = healthy()
    facts["sysctl"]["vm.overcommit_memory"] = 1
    [f] = run(overcommit_risky, facts)
    assert f["remedy"]["settings"][0]["setting"] == "vm.overcommit_memory"
    facts["process_groups"].append(group("redis-server", 1, 500))
    assert run(overcommit_risky, facts) == []


def test_overcommit_strict_close_to_the_commit_limit_is_risky():
    facts = healthy()
    facts["sysctl"]["vm.overcommit_memory"] = 2
    assert run(overcommit_risky, facts) == []  # 6000 of 10000
    facts["memory"]["committed_as_mb"] = 9500
    [f] = run(overcommit_risky, facts)
    assert f["remedy"]["settings"][0] == {"service": "kernel", "setting": "vm.overcommit_ratio", "value": 70,
                                          "file": "/etc/sysctl.d/"}


def test_heuristic_overcommit_far_beyond_ram_and_swap_is_risky():
    facts = healthy()
    assert run(overcommit_risky, facts) == []
    facts["memory"]["committed_as_mb"] = 30000  # of 18048 RAM + swap
    [f] = run(overcommit_risky, facts)
    assert "166%" in f["evidence"][0]
