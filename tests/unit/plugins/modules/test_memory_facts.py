# -*- coding: utf-8 -*-
"""memory_facts: gather_subset resolution, argument checks, and main() run against this machine's /proc."""

import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.headroom.memory.plugins.module_utils.facts.subsets import SUBSETS, resolve_subsets
from ansible_collections.headroom.memory.plugins.modules import memory_facts

ALL = set(SUBSETS)


@pytest.mark.parametrize("requested, expected", [
    (["all"], ALL),
    (None, ALL),
    ([], ALL),
    (["!oom"], ALL - {"oom"}),
    (["!oom", "!processes"], ALL - {"oom", "processes"}),
    (["memory"], {"memory"}),
    (["memory", "cgroup"], {"memory", "cgroup"}),
    (["all", "!oom"], ALL - {"oom"}),
    (["!all"], set()),
    (["!all", "oom"], {"oom"}),           # as setup: what is named explicitly survives !all
    (["oom", "!oom"], {"oom"}),
    ([" memory "], {"memory"}),
])
def test_resolve_subsets_like_setup(requested, expected):
    assert resolve_subsets(requested) == expected


@pytest.mark.parametrize("requested", [["hardware"], ["memory", "!bogus"], ["min"]])
def test_unknown_subset_is_a_clear_error(requested):
    with pytest.raises(ValueError, match="gather_subset: unknown .*choose from all, memory, swap"):
        resolve_subsets(requested)


def run_module(capsys, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            memory_facts.main()
    return json.loads(capsys.readouterr().out)


def test_everything_but_oom_from_this_machine(capsys):
    result = run_module(capsys, {"gather_subset": ["!oom"], "top": 3})
    assert result["changed"] is False
    facts = result["ansible_facts"]["headroom"]
    assert set(facts) == {"memory", "vmstat", "swap", "sysctl", "pressure", "cgroup", "processes", "process_groups",
                          "processes_uptime_s"}
    assert facts["processes_uptime_s"] > 0
    assert facts["memory"]["total_mb"] > 0
    assert facts["memory"]["available_mb"] <= facts["memory"]["total_mb"]
    assert isinstance(facts["vmstat"]["oom_kill"], int)
    assert set(facts["sysctl"]) >= {"vm.swappiness", "kernel.dmesg_restrict"}
    assert facts["cgroup"]["version"] in ("1", "2", "hybrid")
    assert 1 <= len(facts["processes"]) <= 3
    assert all("cmdline" not in p for p in facts["processes"])
    assert sum(g["count"] for g in facts["process_groups"]) >= len(facts["processes"])
    assert os.getpid() not in {p["pid"] for p in facts["processes"]}  # the module itself is left out


def test_one_subset_returns_only_its_keys(capsys):
    facts = run_module(capsys, {"gather_subset": ["processes"], "top": 1, "cmdline": True})["ansible_facts"]["headroom"]
    assert set(facts) == {"processes", "process_groups", "processes_uptime_s"}
    assert len(facts["processes"]) == 1 and "cmdline" in facts["processes"][0]


def test_check_mode_returns_the_same_keys(capsys):
    args = {"gather_subset": ["memory", "sysctl"]}
    normal = run_module(capsys, args)["ansible_facts"]["headroom"]
    checked = run_module(capsys, dict(args, _ansible_check_mode=True))
    assert checked["changed"] is False
    assert set(checked["ansible_facts"]["headroom"]) == set(normal) == {"memory", "vmstat", "sysctl"}
    assert checked["ansible_facts"]["headroom"]["sysctl"] == normal["sysctl"]


def test_bad_subset_fails_before_reading(capsys):
    result = run_module(capsys, {"gather_subset": ["hardware"]})
    assert result["failed"] is True
    assert "unknown entry 'hardware'" in result["msg"]


def test_negative_top_fails(capsys):
    result = run_module(capsys, {"top": -1, "gather_subset": ["processes"]})
    assert result["failed"] is True and "top must be 0 or more" in result["msg"]


def test_bad_oom_source_is_rejected_by_the_spec(capsys):
    result = run_module(capsys, {"oom_sources": ["dmesg"]})
    assert result["failed"] is True and "oom_sources" in result["msg"]


def test_gather_with_nothing_selected_is_empty():
    assert memory_facts.gather(set(), {"top": 10, "cmdline": False}) == {}


DMESG = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "proc", "memory-facts-bookworm-dmesg.log")
UNIT = "headroom-oomtest-memory-facts-bookworm-222232.service"


def test_oom_from_files_only(capsys):
    """A real kill captured from the molecule scenario's ring buffer, read back through the module."""
    result = run_module(capsys, {"gather_subset": ["oom"], "oom_sources": ["files"], "oom_files": [DMESG],
                                 "oom_since": "all"})
    oom = result["ansible_facts"]["headroom"]["oom"]
    assert set(result["ansible_facts"]["headroom"]) == {"oom"}
    assert oom["since"] is None
    assert isinstance(oom["kills_since_boot"], int)  # from this machine's /proc/vmstat
    (event,) = oom["events"]
    assert event["killer"] == "kernel" and event["scope"] == "memcg" and event["unit"] == UNIT
    assert event["victim"]["comm"] == "python3" and event["victim"]["pid"] == 12937
    assert event["victim"]["anon_rss_kb"] == 48896
    assert oom["counts"]["by_unit"] == {UNIT: 1}
    assert [s["status"] for s in oom["sources"]] == ["read"]


def test_bad_oom_since_fails_before_reading(capsys):
    result = run_module(capsys, {"gather_subset": ["oom"], "oom_since": "yesterday"})
    assert result["failed"] is True and "oom_since" in result["msg"]


def test_files_source_without_files_fails(capsys):
    result = run_module(capsys, {"gather_subset": ["oom"], "oom_sources": ["files"]})
    assert result["failed"] is True and "oom_files" in result["msg"]


def test_oom_options_are_not_checked_when_oom_is_not_gathered(capsys):
    result = run_module(capsys, {"gather_subset": ["!oom"], "oom_since": "yesterday"})
    assert "failed" not in result and "oom" not in result["ansible_facts"]["headroom"]


def test_uptime_of_the_sample_from_proc(tmp_path):
    (tmp_path / "uptime").write_text("86412.37 170000.00\n")
    assert memory_facts.read_uptime(str(tmp_path)) == 86412.37
    (tmp_path / "uptime").write_text("garbage\n")
    assert memory_facts.read_uptime(str(tmp_path)) is None
    assert memory_facts.read_uptime(str(tmp_path / "missing")) is None
