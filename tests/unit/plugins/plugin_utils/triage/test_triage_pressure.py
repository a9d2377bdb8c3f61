# -*- coding: utf-8 -*-
"""memory_available_low and memory_pressure_high."""

import pytest

from ansible_collections.headroom.memory.plugins.plugin_utils.triage.engine import context
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.common import merge_thresholds
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.pressure import (
    memory_available_low, memory_pressure_high)
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_facts import healthy


def run(rule, facts, **overrides):
    thresholds = merge_thresholds(overrides)
    return rule(facts, thresholds, context(facts, thresholds))


def test_available_above_15_percent_is_fine():
    assert run(memory_available_low, healthy()) == []


def test_available_under_15_percent_warns_with_psi():
    facts = healthy()
    facts["memory"]["available_mb"] = 2000  # 12.5%
    facts["pressure"]["some"]["avg60"] = 3.5
    [f] = run(memory_available_low, facts)
    assert f["severity"] == "warning"
    assert "12.5%" in f["evidence"][0]
    assert "PSI some avg60 3.50%" in f["evidence"]
    assert f["remedy"]["vars"] == {"service_limits_units": [{"unit": "app.service", "memory_high": "960M"}]}


def test_available_under_10_percent_is_critical_and_notes_missing_swap():
    facts = healthy()
    facts["memory"]["available_mb"] = 800
    facts["swap"]["total_mb"] = 0
    [f] = run(memory_available_low, facts)
    assert f["severity"] == "critical"
    assert "no swap to absorb a spike" in f["evidence"]


def test_available_reads_the_cgroup_inside_a_container():
    facts = healthy()
    facts["cgroup"].update(limit_mb=1024, usage_mb=980)
    [f] = run(memory_available_low, facts)
    assert "of the cgroup limit" in f["title"]


def test_threshold_is_a_variable():
    facts = healthy()
    facts["memory"]["available_mb"] = 4000  # 25%
    assert run(memory_available_low, facts) == []
    assert len(run(memory_available_low, facts, available_warn_pct=30)) == 1


def test_low_psi_is_fine_and_absent_psi_is_silent():
    assert run(memory_pressure_high, healthy()) == []
    facts = healthy()
    facts["pressure"] = None
    assert run(memory_pressure_high, facts) == []


def test_psi_some_over_threshold_warns():
    facts = healthy()
    facts["pressure"]["some"]["avg60"] = 12.0
    [f] = run(memory_pressure_high, facts)
    assert f["severity"] == "warning" and "some avg60 12.00%" in f["evidence"][0]


def test_psi_full_over_critical_threshold_is_critical():
    facts = healthy()
    facts["pressure"]["full"]["avg60"] = 15.0
    [f] = run(memory_pressure_high, facts)
    assert f["severity"] == "critical"
    assert f["remedy"]["role"] == "headroom.memory.service_limits"


def test_the_default_alert_lines_are_15_and_10_percent():
    """The documented defaults at their edges: exactly 15% is fine, just under warns; under 10% is critical."""
    facts = healthy()
    total = facts["memory"]["total_mb"]
    facts["memory"]["available_mb"] = total * 15 // 100
    assert run(memory_available_low, facts) == []
    facts["memory"]["available_mb"] = total * 149 // 1000
    assert [f["severity"] for f in run(memory_available_low, facts)] == ["warning"]
    facts["memory"]["available_mb"] = total * 10 // 100
    assert [f["severity"] for f in run(memory_available_low, facts)] == ["warning"]
    facts["memory"]["available_mb"] = total * 99 // 1000
    assert [f["severity"] for f in run(memory_available_low, facts)] == ["critical"]


@pytest.mark.parametrize("some, full, severity", [
    (10.0, 0.0, "warning"),     # some at its line (10.0) warns
    (9.99, 0.0, None),
    (0.0, 2.0, "warning"),      # full at its warning line
    (0.0, 10.0, "critical"),    # full at its critical line
    (12.0, None, "warning"),    # one of the two lines missing: the other still counts
    (None, 3.0, "warning"),
    (None, None, None),
])
def test_psi_lines_are_inclusive_and_each_line_stands_alone(some, full, severity):
    facts = healthy()
    facts["pressure"]["some"]["avg60"] = some
    facts["pressure"]["full"]["avg60"] = full
    assert [f["severity"] for f in run(memory_pressure_high, facts)] == ([severity] if severity else [])


def test_pressure_remedy_bounds_the_biggest_service():
    facts = healthy()
    facts["pressure"]["some"]["avg60"] = 20.0
    [f] = run(memory_pressure_high, facts)
    assert f["id"] == "memory_pressure_high" and f["title"] == "Memory pressure high (PSI)"
    [entry] = f["remedy"]["vars"]["service_limits_units"]
    assert entry["unit"] == "app.service" and "memory_high" in entry
    assert any(e.startswith("biggest unit: app.service (") for e in f["evidence"])


def thrashing_machine(facts):
    facts["pressure"]["some"]["avg60"] = 40.0
    facts["pressure"]["full"]["avg60"] = 25.0
    return facts


def test_calm_container_next_to_a_thrashing_one_reads_its_own_cgroup_pressure():
    facts = thrashing_machine(healthy())  # /proc/pressure/memory: the whole machine thrashes
    facts["cgroup"].update(container="podman", pressure={"some": {"avg10": 0.0, "avg60": 0.0, "avg300": 0.0, "total_us": 9},
                                                         "full": {"avg10": 0.0, "avg60": 0.0, "avg300": 0.0, "total_us": 3}})
    assert run(memory_pressure_high, facts) == []
    # its own pressure high: a real finding, named as the container's own
    facts["cgroup"]["pressure"]["full"]["avg60"] = 12.0
    [f] = run(memory_pressure_high, facts)
    assert f["severity"] == "critical" and "this container's cgroup (memory.pressure)" in f["evidence"][0]


def test_whole_machine_pressure_in_a_v1_container_is_information_only():
    facts = thrashing_machine(healthy())
    facts["cgroup"].update(version="1", container="podman", pressure=None)
    [f] = run(memory_pressure_high, facts)
    assert f["severity"] == "info" and "whole machine" in f["title"]
    assert "shared by every container" in f["evidence"][0]
    assert f["remedy"]["vars"] == {} and f["remedy"]["role"] is None  # no journald capped for a neighbour's thrash
    # the same with a container limit but no container marker: still not this host's own
    facts["cgroup"].update(container=None, limit_mb=1024, usage_mb=300)
    assert run(memory_pressure_high, facts)[0]["severity"] == "info"


def test_machine_of_its_own_keeps_its_pressure_critical_and_confines_the_biggest_unit_by_counter():
    facts = thrashing_machine(healthy())
    facts["cgroup"]["units"] = [
        {"cgroup": "/system.slice/app.service", "unit": "app.service", "limit_mb": None, "usage_mb": 700,
         "working_set_mb": 650, "pressure": None},
        {"cgroup": "/system.slice/postgresql.service", "unit": "postgresql.service", "limit_mb": None,
         "usage_mb": 1500, "working_set_mb": 1200, "pressure": None}]
    [f] = run(memory_pressure_high, facts)
    assert f["severity"] == "critical" and "the host (/proc/pressure/memory)" in f["evidence"][0]
    # postgresql holds more by its cgroup counter than app does, whatever app's single process RSS (900)
    assert "biggest unit: postgresql.service (1.2 GiB)" in f["evidence"]
