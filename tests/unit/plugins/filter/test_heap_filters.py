# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The heap filters are thin: they pass through to plugin_utils and turn bad input into AnsibleFilterError."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.headroom.memory.plugins.filter.heap_plan import FilterModule

F = FilterModule().filters()
MIB = 1024 * 1024
DROPIN = "/etc/systemd/system/es.service.d/50-headroom-heap.conf"


def info(start=1000.0, mtime=None):
    return {
        "host": {"cgroup": "v1", "systemd_version": 252, "mem_total": 24 * 1024 * MIB, "swap_total": 0},
        "units": {"es.service": {"load_state": "loaded", "active_state": "active", "main_pid_start": start,
                                 "props": {"MemoryMax": str(512 * MIB), "MemoryLimit": "infinity"}}},
        "paths": {DROPIN: mtime},
    }


def test_filter_names():
    assert sorted(F) == ["heap_default_files", "heap_edit_default", "heap_plan", "heap_preflight", "heap_restart"]


def test_java_versions_from_registered_loop_results():
    results = [{"item": {"unit": "es", "runtime": "java", "percent": 50},
                "stderr": 'openjdk version "17.0.19" 2026-04-21', "stdout": ""}]
    plan = F["heap_plan"]([{"unit": "es", "runtime": "java", "percent": 50}], info(), results)
    assert plan["units"][0]["flags"] == ["-XX:MaxRAMPercentage=50.0"]
    # java missing (command failed): no version, so an explicit -Xmx
    failed = [{"item": {"unit": "es"}, "stderr": "No such file or directory", "stdout": ""}]
    plan = F["heap_plan"]([{"unit": "es", "runtime": "java", "percent": 50}], info(), failed)
    assert plan["units"][0]["flags"] == ["-Xmx256m"]
    plan = F["heap_plan"]([{"unit": "es", "runtime": "java", "percent": 50}], info(), {"es": "version \"21\""})
    assert plan["units"][0]["flags"] == ["-XX:MaxRAMPercentage=50.0"]


def test_restart_by_mtime_or_check_mode_change():
    plan = F["heap_plan"]([{"unit": "es", "runtime": "java", "max": "256M"}], info())
    assert F["heap_restart"](plan, info(start=1000.0, mtime=1001.0)) == ["es.service"]
    assert F["heap_restart"](plan, info(start=1000.0, mtime=999.0)) == []
    assert F["heap_restart"](plan, info(start=1000.0, mtime=None), [DROPIN]) == ["es.service"]


def test_edit_default():
    assert F["heap_edit_default"]('JAVA_OPTS="-Xmx1g"\n', "JAVA_OPTS", ["-Xmx512m"]).endswith('JAVA_OPTS="-Xmx512m"\n')


def test_bad_input():
    with pytest.raises(AnsibleFilterError, match="unit_memory_info"):
        F["heap_plan"]([], {})
    with pytest.raises(AnsibleFilterError, match="must be a list"):
        F["heap_plan"]("es", info())
