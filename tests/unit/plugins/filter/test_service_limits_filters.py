# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service_limits filters are thin: they pass through to plugin_utils and turn bad input into AnsibleFilterError."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.headroom.memory.plugins.filter.service_limits_plan import FilterModule

F = FilterModule().filters()
MIB = 1024 * 1024

INFO = {
    "host": {"cgroup": "v1", "systemd_version": 257, "mem_total": 24 * 1024 * MIB, "swap_total": 0},
    "units": {"app.service": {
        "load_state": "loaded", "active_state": "active", "main_pid": 10, "memory_current": 10 * MIB,
        "live": {"MemoryMax": "infinity"}, "oom_score_adj": 0, "overrides": [],
        "props": {"MemoryMax": "infinity", "MemoryLimit": "infinity", "OOMScoreAdjust": "0"}}},
}


def test_filter_names():
    assert sorted(F) == ["service_limits_live", "service_limits_plan", "service_limits_preflight", "service_limits_report",
                         "service_limits_restart"]


def test_plan_live_restart_report_chain():
    plan = F["service_limits_plan"]([{"unit": "app", "memory_max": "96M", "oom_score_adjust": 300}], INFO)
    assert plan["refusals"] == []
    live = F["service_limits_live"](plan, INFO)
    assert live[0]["args"] == ["MemoryMax=100663296"]
    restarts = F["service_limits_restart"](plan, INFO)
    assert restarts[0]["unit"] == "app.service"
    report = F["service_limits_report"](plan["units"], live, restarts)
    assert report[0]["restart_required"] is True


def test_margin_is_a_size():
    plan = F["service_limits_plan"]([{"unit": "app", "memory_max": "64M"}], INFO, margin="1M")
    assert plan["refusals"] == []
    plan = F["service_limits_plan"]([{"unit": "app", "memory_max": "64M"}], INFO, margin="60M")
    assert "MemoryCurrent 10485760 bytes" in plan["refusals"][0]
    with pytest.raises(AnsibleFilterError, match="service_limits_margin"):
        F["service_limits_plan"]([], INFO, margin="lots")


def test_bad_input():
    with pytest.raises(AnsibleFilterError, match="unit_memory_info"):
        F["service_limits_plan"]([], {"units": {}})
    with pytest.raises(AnsibleFilterError, match="must be a list"):
        F["service_limits_plan"]({"unit": "app"}, INFO)
