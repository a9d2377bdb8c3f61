# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One set of rules for a unit's memory limit (#31 finding 4, #32): an absolute floor that needs no live
reading, and a margin that diagnose's gate proposes with room for drift and service_limits enforces."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.headroom.memory.plugins.filter.service_limits_plan import FilterModule
from ansible_collections.headroom.memory.plugins.plugin_utils import limit_rules
from ansible_collections.headroom.memory.plugins.plugin_utils.service_limits.plan import (
    plan, preflight, refusals_for, resolve_item)
from ansible_collections.headroom.memory.plugins.plugin_utils.triage.gate import gate, margin_mb
from ansible_collections.headroom.memory.tests.unit.plugins.plugin_utils.triage.test_triage_gate import host, proposing

MIB = 1024 * 1024
GIB = 1024 * MIB
HOST = {"mem_total": 2 * GIB, "swap_total": 0, "cgroup": "v2", "systemd_version": 257}
OPTS = {"margin": None, "allow_unkillable": False, "allow_missing_units": False, "clear_runtime_overrides": False}


def unit(active_state="active", current=None, working_set=None):
    """A unit as unit_memory_info reports it; a stopped or failed one has no reading."""
    return {"load_state": "loaded", "active_state": active_state, "main_pid": 7 if active_state == "active" else None,
            "memory_current": current, "working_set": working_set, "live": {"MemoryMax": "infinity"},
            "oom_score_adj": None, "props": {}, "overrides": []}


@pytest.mark.parametrize("field,value,message", [
    ("memory_max", "1M", "app.service: MemoryMax=1M, 1048576 bytes is below the floor of 32 MiB"),
    ("memory_max", "31M", "app.service: MemoryMax=31M, 32505856 bytes is below the floor of 32 MiB"),
    ("memory_max", 0, "app.service: MemoryMax=0 bytes is refused: systemd ignores 0 as out of range"),
    ("memory_max", "0", "app.service: MemoryMax=0 bytes is refused"),
    ("memory_max", "0%", "app.service: MemoryMax=0%, 0 bytes is refused"),
    ("memory_high", "4M", "app.service: MemoryHigh=4M, 4194304 bytes is below the floor of 32 MiB"),
])
def test_preflight_refuses_a_limit_under_the_floor_without_any_host_reading(field, value, message):
    item = {"unit": "app", field: value, "force": True}  # force skips the live check, never the floor
    [error] = preflight([item])
    assert error.startswith(message)


def test_the_floor_itself_infinity_and_zero_swap_or_low_pass():
    assert preflight([{"unit": "app", "memory_max": "32M", "memory_high": "32M"},
                      {"unit": "b", "memory_max": "infinity", "memory_swap_max": 0, "memory_low": 0}]) == []


def test_a_stopped_or_failed_unit_is_held_to_the_floor_after_a_percentage_resolves():
    items = [{"unit": "app", "memory_max": "1%"}]  # 1 % of the stand-in total passes preflight ...
    assert preflight(items) == []
    for state in ("inactive", "failed"):
        result = plan(items, {"app.service": unit(state)}, HOST, OPTS)  # ... and is 20 MiB of this host's 2 GiB
        assert result["refusals"] == ["app.service: MemoryMax=1%, 21474836 bytes is below the floor of 32 MiB: no "
                                      "service starts and stays up under it (its binaries, libraries and kernel memory "
                                      "count too); a stopped unit would be killed the moment it starts"]


def test_the_whole_list_is_checked_before_anything_changes():
    errors = preflight([{"unit": "good", "memory_max": "1G"}, {"unit": "bad", "memory_max": "1M"},
                        {"unit": "worse", "memory_max": 0}])
    assert [e.split(":")[0] for e in errors] == ["bad.service", "worse.service"]


def test_auto_margin_reads_the_working_set_and_falls_back_to_memory_current():
    settings = resolve_item({"unit": "app", "memory_max": "560M"}, 2 * GIB)[2]
    # 2 GiB of page cache on top of 500 MiB working set: the kernel reclaims the cache before it kills
    busy = unit(current=2500 * MIB, working_set=500 * MIB)
    assert refusals_for("app.service", settings, busy, OPTS) == []  # 560 > 500 + 25
    [refusal] = refusals_for("app.service", settings, unit(current=540 * MIB), OPTS)  # 560 <= 540 + 27
    assert "its MemoryCurrent 566231040 bytes (540 MiB), plus the margin 28311552 bytes (27 MiB)" in refusal
    [refusal] = refusals_for("app.service", settings, unit(current=3 * GIB, working_set=540 * MIB), OPTS)
    assert "its working set (MemoryCurrent minus inactive page cache) 566231040 bytes" in refusal
    # an explicit service_limits_margin replaces the rule
    assert len(refusals_for("app.service", settings, busy, dict(OPTS, margin=64 * MIB))) == 1


@pytest.mark.parametrize("use_mb", [0, 1, 20, 50, 300, 600, 900])
def test_what_the_gate_lets_through_the_role_accepts_on_an_unchanged_or_slightly_grown_host(use_mb):
    smallest = max(use_mb + margin_mb(use_mb), limit_rules.LIMIT_FLOOR // MIB)
    facts = host(unit_use=use_mb, limit_mb=4096)
    assert gate(facts, [proposing("a", memory_max="%dM" % smallest)])["withheld"] == []
    assert gate(facts, [proposing("a", memory_max="%dM" % (smallest - 1))])["withheld"]
    settings = resolve_item({"unit": "app", "memory_max": "%dM" % smallest}, 8 * GIB)[2]
    use = use_mb * MIB + MIB - 1  # the gate rounds the working set down to MiB
    assert refusals_for("app.service", settings, unit(current=use + GIB, working_set=use), OPTS) == []
    grown = use + limit_rules.apply_margin(use) // 2  # the unit grew between the diagnosis and the apply
    assert refusals_for("app.service", settings, unit(current=grown, working_set=grown), OPTS) == []


def test_the_gate_withholds_a_limit_under_the_floor_even_for_a_unit_it_has_no_reading_of():
    facts = host()  # other.service: killed by the kernel and stopped, so no cgroup and no reading
    facts.setdefault("oom", {})["events"] = [{"unit": "other.service", "sources": ["kmsg"], "killer": "kernel"}]
    result = gate(facts, [proposing("a", unit="other.service", memory_max="16M", memory_high="8M")])
    assert result["vars"] == {}
    assert sorted(w["reason"] for w in result["withheld"]) == [
        "MemoryHigh 8 MiB is below the floor of 32 MiB that service_limits enforces: no service runs under it",
        "MemoryMax 16 MiB is below the floor of 32 MiB that service_limits enforces: no service runs under it"]


def test_margins_are_the_gates_old_numbers_and_the_role_demands_half():
    assert margin_mb(600) == 60 and margin_mb(50) == 16
    assert limit_rules.apply_margin(600 * MIB) == 30 * MIB and limit_rules.apply_margin(0) == 8 * MIB


def test_filter_margin_auto_or_a_size():
    filters = FilterModule().filters()
    info = {"host": HOST, "units": {"app.service": unit(current=100 * MIB)}}
    assert filters["service_limits_plan"]([{"unit": "app", "memory_max": "120M"}], info)["refusals"] == []
    assert filters["service_limits_plan"]([{"unit": "app", "memory_max": "120M"}], info, margin="AUTO")["refusals"] == []
    assert filters["service_limits_plan"]([{"unit": "app", "memory_max": "120M"}], info, margin="64M")["refusals"]
    assert filters["service_limits_preflight"]([], margin="auto") == []
    assert filters["service_limits_preflight"]([], margin="automatic")[0].startswith("service_limits_margin: ")
    with pytest.raises(AnsibleFilterError, match="service_limits_margin"):
        filters["service_limits_plan"]([], info, margin="lots")
