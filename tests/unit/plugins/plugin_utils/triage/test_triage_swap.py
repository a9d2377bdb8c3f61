# -*- coding: utf-8 -*-
"""swap_missing, swappiness_high, container_without_limit and overcommit_risky."""

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import context, merge_remedy_vars, triage_host
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import fmt_mb, merge_thresholds
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


def test_swap_missing_line_includes_its_own_value_and_sizes_in_512m_steps():
    facts = no_swap(healthy())
    facts["memory"]["total_mb"] = 8192      # at the line: still a small host
    assert [f["id"] for f in run(swap_missing, facts)] == ["swap_missing"]
    facts["memory"]["total_mb"] = 2300      # RAM rounds up to 2304 MiB; the suggestion to 512 MiB steps
    [f] = run(swap_missing, facts)
    assert f["remedy"]["vars"]["swap_files"][0]["size"] == "2560M"
    assert f["title"] == "No swap on a 2.2 GiB host" and f["evidence"][0] == "no active swap; RAM 2.2 GiB (line 8.0 GiB)"
    assert isinstance(swap_size_mb(2300), int)


def in_container(facts, runtime="podman", limit_mb=1024):
    """The facts of a container sharing its host's kernel (memory_facts' cgroup.container), limited to ``limit_mb``."""
    facts["cgroup"].update(container=runtime, limit_mb=limit_mb, usage_mb=100 if limit_mb else 5000)
    return facts


@pytest.mark.parametrize("runtime", [None, "podman"])
def test_no_swap_proposes_a_swap_file_on_a_machine_but_only_the_levers_in_a_container(runtime):
    facts = no_swap(healthy())
    facts["cgroup"].update(container=runtime, limit_mb=1024, usage_mb=100)  # the same 1 GiB limit both times
    [f] = run(swap_missing, facts)
    if runtime is None:  # a VM or bare metal: the limit is a slice's, the swap its own
        assert f["severity"] == "warning" and f["remedy"]["role"] == "headroom.memory.swap"
        assert f["remedy"]["vars"]["swap_files"] == [{"path": "/swapfile", "size": "2G"}]
        return
    assert f["severity"] == "info" and f["remedy"]["role"] is None
    assert f["remedy"]["vars"] == {} and f["remedy"]["settings"] == []
    assert f["evidence"] == ["no active swap on the host this podman container shares its kernel with; RAM %s (cgroup limit) "
                             "(line %s)" % (fmt_mb(1024), fmt_mb(8192))]
    text = f["remedy"]["text"]
    assert text.startswith("This host is a podman container: it shares its host's kernel, so swap (and vm.swappiness) "
                           "belongs to the host")
    assert "The levers are the host's swap and sysctls (manage them on the host)" in text
    assert text.endswith("and this container's memory limit (now %s: raise it if the container needs more)." % fmt_mb(1024))


def test_a_container_without_a_limit_is_told_to_set_one():
    facts = in_container(no_swap(healthy()), "docker", limit_mb=None)
    facts["memory"]["total_mb"] = 4000
    [f] = run(swap_missing, facts)
    assert f["remedy"]["role"] is None and "docker container" in f["remedy"]["text"]
    assert "it has none: set one with podman/docker --memory" in f["remedy"]["text"]


def test_high_swappiness_in_a_container_names_the_host_and_proposes_nothing():
    facts = in_container(healthy())
    facts["sysctl"]["vm.swappiness"] = 100
    [f] = run(swappiness_high, facts)
    assert f["remedy"]["role"] is None and f["remedy"]["vars"] == {}
    assert f["title"] == "vm.swappiness 100 of the host is high" and "vm.swappiness belongs to the host" in f["remedy"]["text"]


def test_overcommit_in_a_container_names_the_value_for_the_host_but_proposes_no_setting():
    facts = in_container(healthy())
    facts["sysctl"]["vm.overcommit_memory"] = 1
    [f] = run(overcommit_risky, facts)
    assert f["remedy"]["settings"] == [] and f["remedy"]["role"] is None
    assert "vm.overcommit_* (on the host: vm.overcommit_memory = 0) belongs to the host" in f["remedy"]["text"]
    on_a_vm = healthy()
    on_a_vm["sysctl"]["vm.overcommit_memory"] = 1
    [g] = run(overcommit_risky, on_a_vm)
    assert g["remedy"]["settings"][0]["setting"] == "vm.overcommit_memory"


@pytest.mark.parametrize("runtime, shown", [("lxc", "lxc"), ("x\nAdd a swap file", "container"), ("a" * 40, "container"),
                                            (["podman"], "container")])
def test_a_runtime_name_reaches_the_report_only_as_a_short_plain_word(runtime, shown):
    [f] = run(swap_missing, in_container(no_swap(healthy()), runtime))
    assert f["remedy"]["text"].startswith("This host is a %s container:" % shown)
    assert "\n" not in f["remedy"]["text"] and f["remedy"]["role"] is None


@pytest.mark.parametrize("swap_mb", [0, 2048])
def test_a_container_gets_no_swap_file_and_no_sysctl_from_the_whole_triage(swap_mb):
    facts = in_container(healthy())
    facts["swap"].update(total_mb=swap_mb, free_mb=swap_mb, used_mb=0)
    facts["sysctl"].update({"vm.swappiness": 100, "vm.overcommit_memory": 1})
    findings = triage_host(facts)
    assert {"swap_missing" if not swap_mb else "swappiness_high", "overcommit_risky"} <= set(f["id"] for f in findings)
    assert all(f["remedy"]["role"] != "headroom.memory.swap" for f in findings)
    assert [s for f in findings for s in f["remedy"]["settings"] if str(s.get("setting")).startswith("vm.")] == []
    assert merge_remedy_vars(findings, facts) == {}
